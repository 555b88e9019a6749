"""Saved widget state: a notebook executed by the runner keeps its widgets' state in ``metadata.widgets``, so
GitHub, nbviewer and the book show each panel's last state instead of "Error displaying widget: model not found"."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest

from synq_nb.notebooks_run import WIDGET_STATE_MIME, WIDGET_VIEW_MIME, execute, notebooks, widget_state_problems

# A small notebook with a real panel of synq_nb.widgets (random images, no data needed) and a progress bar.
_CELLS = [
    "import torch\nfrom tqdm.auto import tqdm\nfrom synq_nb import widgets",
    "panel = widgets.d0_explorer(torch.randn(3, 3, 16, 16), d0=4.0)\ndisplay(panel.widget)",
    "for _ in tqdm(range(3), desc='steps'):\n    pass",
    "panel.controls['d0'].value = 2.0  # the saved state is the panel's last state",
]


def _views(nb: dict) -> list:
    return [o["data"][WIDGET_VIEW_MIME]["model_id"] for c in nb["cells"] if c["cell_type"] == "code"
            for o in c.get("outputs", []) if WIDGET_VIEW_MIME in o.get("data", {})]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("widget_state")
    src = tmp / "panel.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in _CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, src)
    out = tmp / "out" / "panel.ipynb"
    execute(src, out, timeout=300)
    return json.loads(out.read_text())


def test_runner_keeps_the_widget_state(executed):
    state = executed["metadata"]["widgets"][WIDGET_STATE_MIME]
    assert "state" in state and state["version_major"] == 2
    models = state["state"]
    views = _views(executed)
    assert len(views) == 2, "the panel and the progress bar"
    assert all(v in models for v in views)
    assert widget_state_problems(executed) == []
    # the panel's last state is saved: the slider at 2.0, the Output holding the redrawn figure
    sliders = [m["state"] for m in models.values() if m["model_name"] == "FloatSliderModel"]
    assert [s["value"] for s in sliders] == [2.0]
    outs = [m["state"] for m in models.values() if m["model_name"] == "OutputModel"]
    assert len(outs) == 1 and any("image/png" in o.get("data", {}) for o in outs[0]["outputs"])
    # every child a container refers to ("IPY_MODEL_<id>") is saved too
    refs = {r[len("IPY_MODEL_"):] for m in models.values() for v in m["state"].values()
            for r in (v if isinstance(v, list) else [v]) if isinstance(r, str) and r.startswith("IPY_MODEL_")}
    assert refs and refs <= set(models)


def test_widget_state_problems_finds_what_is_missing(executed):
    nb = copy.deepcopy(executed)
    views = _views(nb)
    del nb["metadata"]["widgets"][WIDGET_STATE_MIME]["state"][views[0]]
    assert widget_state_problems(nb) == [f"widget view of model {views[0]} has no saved state"]
    nb["metadata"].pop("widgets")
    assert "no metadata.widgets" in widget_state_problems(nb)[0]
    nb["cells"] = [c for c in nb["cells"] if not any(WIDGET_VIEW_MIME in o.get("data", {}) for o in c.get("outputs", []))]
    assert widget_state_problems(nb) == []  # no widgets, nothing to save


def test_committed_notebooks_carry_widget_state():
    """The committed notebooks (executed with ``python -m synq_nb.notebooks_run --inplace``) hold the state of
    every widget they show."""
    with_widgets = 0
    for p in notebooks():
        nb = json.loads(Path(p).read_text())
        with_widgets += bool(_views(nb))
        assert not widget_state_problems(nb), f"{p.name}: {widget_state_problems(nb)[:3]} (re-execute it with " \
                                              f"python -m synq_nb.notebooks_run --inplace --only {p.name[:2]})"
    assert with_widgets >= 1
