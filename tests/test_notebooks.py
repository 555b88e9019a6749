"""Every notebook executes (smoke settings, papermill, SYNQ_SMOKE=1) and the widget callbacks redraw
what their controls say. Needs the offline data and teacher weights (SYNQ_DATA_DIR / SYNQ_WEIGHTS_DIR)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from synq_nb import plotting, widgets  # noqa: E402
from synq_nb.filtering import high_frequency_energy, low_pass_filter  # noqa: E402
from synq_nb.notebooks_run import main as runner_main, notebooks, run_dir  # noqa: E402

NOTEBOOKS = notebooks()
MB = 1 << 20


def _needs_data():
    data, weights = os.environ.get("SYNQ_DATA_DIR"), os.environ.get("SYNQ_WEIGHTS_DIR")
    if not (data and (Path(data) / "cifar10" / "test.npz").is_file() and weights and Path(weights).is_dir()):
        pytest.skip("set SYNQ_DATA_DIR (cifar10/test.npz) and SYNQ_WEIGHTS_DIR (teacher weights) to execute the notebooks")


def test_series_is_complete_and_well_formed():
    names = [p.name[:2] for p in NOTEBOOKS]
    assert names == [f"{i:02d}" for i in range(8)], names
    for p in NOTEBOOKS:
        nb = nbformat.read(p, as_version=4)
        nbformat.validate(nb)
        codes = [c for c in nb.cells if c.cell_type == "code"]
        assert "notebook_setup(" in codes[0].source, f"{p.name}: the first code cell must be the set-up cell"
        tagged = [c for c in codes if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1 and "SMOKE" in tagged[0].source, f"{p.name}: one 'parameters' cell reading the smoke switch"
        checks = [c for c in codes if "checks" in c.metadata.get("tags", [])]
        assert len(checks) == 1 and "Checks(" in checks[0].source and "checks.done()" in checks[0].source, \
            f"{p.name}: one code cell tagged 'checks' that builds Checks(...) and ends with checks.done()"
        assert p.stat().st_size < MB, f"{p.name} is {p.stat().st_size / MB:.1f} MB"
        # notebooks call the package; they do not define their own plotting or widget code
        for c in codes:
            assert "ipywidgets" not in c.source and "plt.subplots" not in c.source, p.name


@pytest.fixture(scope="module")
def smoke_env(tmp_path_factory):
    """One fresh cache for the whole series (notebook 01 computes the synthetic set, later ones load it)."""
    _needs_data()
    cache = tmp_path_factory.mktemp("nb_cache")
    saved = {k: os.environ.get(k) for k in ("SYNQ_SMOKE", "SYNQ_CACHE_DIR", "OMP_NUM_THREADS")}
    os.environ.update(SYNQ_SMOKE="1", SYNQ_CACHE_DIR=str(cache))
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the kernels share a 2-core machine
    yield cache
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes_in_smoke_mode(path, smoke_env, tmp_path):
    from synq_nb.notebooks_run import execute

    out = tmp_path / path.name
    execute(path, out, smoke=True, timeout=600)
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    checks = next(c for c in nb.cells if c.cell_type == "code" and "checks" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in checks.get("outputs", []) if o.output_type == "stream")
    assert "all checks passed" in text
    assert not machine_paths(out.read_text()), f"{path.name}: machine paths in the executed notebook"
    images = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert images >= 1, f"{path.name} produced no figure"


def test_runner_cli_only_and_errors(smoke_env, tmp_path, capsys):
    assert runner_main(["--out", str(tmp_path), "--smoke", "--only", "99"]) == 2
    with pytest.raises(SystemExit):
        runner_main(["--smoke", "--inplace"])
    assert runner_main(["--out", str(tmp_path), "--smoke", "--only", "04"]) == 0
    assert (tmp_path / "04_difficulty_soft_labels.ipynb").is_file()
    assert "ok 04_difficulty_soft_labels.ipynb" in capsys.readouterr().out


def test_run_dir_changes_with_the_config(tmp_path, monkeypatch):
    from synq_nb import get_config

    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path))
    a = run_dir(get_config("smoke"))
    assert a.parent == tmp_path / "runs"
    assert run_dir(get_config("smoke", lr=2e-3)) != a
    assert run_dir(get_config("smoke").ideas(False, False, False)) != a
    assert run_dir(get_config("smoke")) == a
    assert run_dir(get_config("smoke"), name="x") == tmp_path / "runs" / "x"


def test_notebook_setup_names_the_variable(monkeypatch, tmp_path):
    from synq_nb.notebooks_run import notebook_setup

    monkeypatch.setenv("SYNQ_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="SYNQ_DATA_DIR"):
        notebook_setup()
    monkeypatch.setenv("SYNQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYNQ_SMOKE", "1")
    env = notebook_setup(seed=3, device="cpu")
    assert env.smoke and env.device.type == "cpu" and env.data_dir == tmp_path.resolve()
    assert torch.initial_seed() == 3


# ------------------------------------------------------------------------- widget callbacks
def _images(n=6, size=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g)


def test_d0_slider_redraws_the_filtered_image():
    x = _images()
    panel = widgets.d0_explorer(x, d0=16.0)
    assert panel.calls == 1 and panel.last["d0"] == 16.0
    first = panel.last["figure"]
    panel.controls["d0"].value = 4.0
    assert panel.calls == 2 and panel.last["d0"] == 4.0 and panel.last["figure"] is not first
    # oracle: the numbers shown are those of the image filtered with the slider's d0
    assert abs(panel.last["hf_after"] - high_frequency_energy(low_pass_filter(x[:1], 4.0), 8.0)) < 1e-6
    assert abs(panel.last["hf_before"] - high_frequency_energy(x[:1], 8.0)) < 1e-6
    stronger = panel.last["hf_after"]
    panel.controls["d0"].value = 24.0
    assert panel.last["hf_after"] > stronger  # a weaker filter leaves more high frequencies
    panel.controls["index"].value = 3
    assert abs(panel.last["hf_before"] - high_frequency_energy(x[3:4], 8.0)) < 1e-6
    plotting.close(panel.last["figure"])


def test_tau_slider_marks_the_hard_label_samples():
    delta = torch.tensor([0.0, 0.1, 0.45, 0.5, 0.55, 0.8, 0.95, 1.0])
    panel = widgets.tau_explorer(delta, tau=0.5, images=_images(8), labels=torch.arange(8) % 4, classes=list("abcd"))
    assert torch.equal(panel.last["hard_mask"], delta <= 0.5) and panel.last["hard_fraction"] == 0.5
    panel.controls["tau"].value = 0.9
    assert panel.last["tau"] == pytest.approx(0.9)
    assert panel.last["hard_fraction"] == 6 / 8 and panel.last["n_soft_only"] == 2
    panel.controls["tau"].value = 0.0
    assert panel.last["hard_fraction"] == 1 / 8
    plotting.close(panel.last["figure"])


def test_cam_picker_computes_the_chosen_class():
    from synq_nb import grad_cam, load_teacher, quantize_model, calibrate_activations

    teacher = load_teacher("resnet20_cifar10_akamaster", pretrained=False, device="cpu")
    x = _images(4)
    student = calibrate_activations(quantize_model(teacher, 4, 4), x)
    labels = torch.tensor([1, 2, 3, 4])
    classes = [f"c{i}" for i in range(10)]
    panel = widgets.cam_picker(teacher, {"student": student}, x, labels, classes)
    assert panel.last["index"] == 0 and panel.last["target"] == 1  # default: the image's label
    panel.controls["index"].value = 2
    panel.controls["target"].value = 7
    assert panel.last["index"] == 2 and panel.last["target"] == 7
    ref = grad_cam(teacher, x[2:3], 7, normalize=True, floor=0.05).detach()
    assert torch.allclose(panel.last["maps"]["teacher"], ref, atol=1e-6)
    s = grad_cam(student, x[2:3], 7, normalize=True, floor=0.05).detach()
    assert panel.last["cam_loss"]["student"] == pytest.approx(float(((s - ref) ** 2).mean()), rel=1e-5, abs=1e-8)
    plotting.close(panel.last["figure"])


def test_error_rate_by_difficulty_is_counted_per_bin():
    delta = torch.tensor([0.05, 0.15, 0.15, 0.95, 0.99, 0.6])
    wrong = torch.tensor([0, 0, 1, 1, 1, 0])
    edges, rate, counts = plotting.error_rate_by_difficulty(delta, wrong, bins=10)
    assert counts.tolist() == [1, 2, 0, 0, 0, 0, 1, 0, 0, 2]
    assert rate[0] == 0 and rate[1] == 0.5 and rate[9] == 1.0 and rate[6] == 0
    assert torch.isnan(torch.tensor(rate[2]))


def test_bn_input_stats_match_a_direct_computation():
    from synq_nb import load_teacher

    teacher = load_teacher("resnet20_cifar10_akamaster", pretrained=False, device="cpu")
    x = _images(10)
    stats = plotting.bn_input_stats(teacher, x, batch_size=3)  # batched accumulation == whole-set statistics
    seen = {}
    h = teacher.bn1.register_forward_pre_hook(lambda m, i: seen.setdefault("x", i[0]))
    with torch.no_grad():
        teacher(x)
    h.remove()
    first = stats[0]
    assert first["name"] == "bn1"
    assert torch.allclose(first["mean"], seen["x"].mean(dim=(0, 2, 3)), atol=1e-5)
    assert torch.allclose(first["var"], seen["x"].var(dim=(0, 2, 3), unbiased=False), atol=1e-4)


def machine_paths(text: str) -> list:
    """Absolute paths of the machine that executed a notebook (repo root, home, temp or cache folders)."""
    import re
    import tempfile

    roots = {str(Path(__file__).resolve().parent.parent), str(Path.home()), tempfile.gettempdir(), "/work/", "/home/", "/Users/"}
    roots |= {os.environ[v] for v in ("SYNQ_DATA_DIR", "SYNQ_WEIGHTS_DIR", "SYNQ_CACHE_DIR") if os.environ.get(v)}
    found = []
    for r in sorted(roots, key=len, reverse=True):
        if len(r) > 1:
            found += re.findall(re.escape(r) + r"[^\s\"']*", text)
    return found


def test_committed_notebooks_hold_no_machine_path():
    """Outputs and metadata (papermill's included) of the committed notebooks name no folder of the machine
    that executed them (the runner rewrites them as $SYNQ_DATA_DIR, $SYNQ_CACHE_DIR, ... or relative paths)."""
    for p in NOTEBOOKS:
        found = machine_paths(p.read_text())
        assert not found, f"{p.name}: {found[:3]}"


def test_committed_outputs_hold_no_error():
    """The committed notebooks carry outputs from a real run: none of them may be an error."""
    for p in NOTEBOOKS:
        nb = json.loads(p.read_text())
        for c in nb["cells"]:
            assert all(o.get("output_type") != "error" for o in c.get("outputs", [])), p.name


def test_options_added_later_keep_the_cached_runs_hash_at_their_default():
    """A run cached before the official-recipe options existed is found again (its hash is the hash of the config
    without those fields); switching one of them on is a different run."""
    import hashlib
    import json

    from synq_nb.config import get_config
    from synq_nb.notebooks_run import HASHED_WITHOUT, config_hash

    cfg = get_config("cpu", w_bits=3, a_bits=3, seed=0)
    old = {k: v for k, v in cfg.to_dict().items() if k != "device" and k not in HASHED_WITHOUT}
    old_hash = hashlib.sha256(json.dumps(old, sort_keys=True, default=str).encode()).hexdigest()[:10]
    assert config_hash(cfg) == old_hash
    assert config_hash(cfg.replace(lambda_fa=1000.0)) != old_hash
    assert config_hash(cfg.replace(cam_clamp_weights=True)) != old_hash
