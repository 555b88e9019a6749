"""Runnable outside the checkout (issue 19, item 2).

* The bundle ``synq_nb/data/committed.json.gz`` (:mod:`synq_nb.bundle`) holds exactly what the checkout holds now:
  the committed runs of ``results/runs``, ``results/notebook_times.json`` and ``notebooks/GLOSSARY.md``.
* Without ``results/runs``, ``load_runs()`` reads the bundle, gives the same runs, and says so.
* The wheel, installed into a fresh virtual environment that does not see this checkout, executes a notebook that
  reads the committed runs, copied alone into an empty folder, at smoke settings with the offline data. The notebook
  is 04 (about 1 min at smoke on 2 cores, its readings use the committed ablation and tau runs); 06, which reads the
  most runs, takes 4 to 8 min at smoke (five fine-tunings), too long for `make test`:
  ``SYNQ_WHEEL_NOTEBOOK=06_evaluation_ablation.ipynb pytest tests/test_bundle.py -k wheel`` runs it instead.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest

from synq_nb import bundle, results

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = os.environ.get("SYNQ_WHEEL_NOTEBOOK", "04_difficulty_soft_labels.ipynb")
SHIPPED_LINE = "committed runs: the copy shipped with synq_nb"  # bundle.source_line, printed by load_runs


def test_bundle_matches_the_checkout():
    if not (REPO / bundle.RUNS).is_dir():
        pytest.skip("not a source checkout")
    assert bundle.BUNDLE.is_file(), f"{bundle.BUNDLE} is missing: build it with `{bundle.REBUILD}`"
    diff = bundle.differences(REPO)
    assert not diff, (f"synq_nb/data/{bundle.BUNDLE.name} is out of date with the checkout; rebuild it with "
                      f"`{bundle.REBUILD}` and commit it:\n  " + "\n  ".join(diff[:20]))
    files = bundle.read()
    assert {bundle.TIMES, bundle.GLOSSARY} <= set(files)
    assert bundle.BUNDLE.stat().st_size < 300 * 1024, "the bundle should stay small (it is about 80 KiB)"


def test_bundle_bytes_are_reproducible(tmp_path):
    """Rebuilding an unchanged checkout writes the same bytes (no time stamp, sorted paths): no churn in git."""
    files = {"results/runs/a/x.json": {"b": 1.5, "a": [1, 2]}, "notebooks/GLOSSARY.md": "# Glossary\n"}
    assert bundle.encode(files) == bundle.encode(dict(reversed(files.items())))
    out = tmp_path / "b.json.gz"
    out.write_bytes(bundle.encode(files))
    assert bundle.read(out) == files


@pytest.fixture
def fresh_bundle(tmp_path, monkeypatch):
    """A bundle built now from this checkout, in place of the package's (so these tests check the mechanism even
    while the committed bundle is out of date: test_bundle_matches_the_checkout reports that)."""
    if not results.RUNS_DIR.is_dir():
        pytest.skip("not a source checkout")
    monkeypatch.setattr(bundle, "BUNDLE", bundle.write(REPO, tmp_path / "committed.json.gz"))


def test_load_runs_reads_the_bundle_outside_a_checkout(fresh_bundle, monkeypatch, capsys):
    in_checkout = results.load_runs()
    assert "results/runs/ in this source checkout" in in_checkout.source
    monkeypatch.setattr(results, "RUNS_DIR", REPO / "no-such-folder")
    monkeypatch.setattr(results, "_SAID_BUNDLE", False)
    capsys.readouterr()
    shipped = results.load_runs()
    assert shipped == in_checkout and shipped.keys() == in_checkout.keys()
    assert "shipped in the package" in shipped.source
    said = capsys.readouterr().out
    assert said.startswith(SHIPPED_LINE) and said.count("\n") == 1
    results.load_runs()
    assert capsys.readouterr().out == "", "the line is printed once per process"
    # each call gets its own copy: a notebook that changes a run does not change the next call's
    shipped["main"][0]["final_top1"] = -1.0
    assert results.load_runs()["main"][0]["final_top1"] != -1.0
    # a folder given explicitly is read alone, as before
    assert results.load_runs(REPO / "no-such-folder") == {}


def test_notebook_times_and_glossary_outside_a_checkout(fresh_bundle, monkeypatch, tmp_path, capsys):
    assert bundle.notebook_times() == json.loads((REPO / bundle.TIMES).read_text())
    assert bundle.glossary(tmp_path) == bundle.CHECKOUT / bundle.GLOSSARY and not any(tmp_path.glob("*.md")), \
        "in a source checkout nothing is written (papermill may run a notebook from another folder)"
    monkeypatch.setattr(bundle, "CHECKOUT", tmp_path / "elsewhere")
    assert bundle.notebook_times() == bundle.read()[bundle.TIMES]
    written = bundle.glossary(tmp_path)
    assert written.read_text() == (REPO / bundle.GLOSSARY).read_text()
    assert "wrote" in capsys.readouterr().out
    written.write_text("mine")
    bundle.glossary(tmp_path)
    assert written.read_text() == "mine", "an existing GLOSSARY.md is left alone"


def test_environment_yml_installs_the_package():
    lines = [l.strip() for l in (REPO / "environment.yml").read_text().splitlines()]
    assert "- -e ." in lines or "- ." in lines


def _needs_data():
    data, weights = os.environ.get("SYNQ_DATA_DIR"), os.environ.get("SYNQ_WEIGHTS_DIR")
    if not (data and (Path(data) / "cifar10" / "test.npz").is_file() and weights and Path(weights).is_dir()):
        pytest.skip("set SYNQ_DATA_DIR (cifar10/test.npz) and SYNQ_WEIGHTS_DIR (teacher weights) to execute the notebook")


def _run(args, **kw):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, args))} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}"
    return r.stdout


@pytest.mark.slow
def test_wheel_in_a_fresh_venv_runs_a_notebook_alone(tmp_path):
    _needs_data()
    t0 = time.perf_counter()
    # 1. The wheel, built from a copy of what it is made of (pip would otherwise write build/ into the checkout).
    src = tmp_path / "src"
    shutil.copytree(REPO / "synq_nb", src / "synq_nb", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    # this environment's setuptools builds it when there is one (no index needed); else pip fetches setuptools
    _run([sys.executable, "-m", "pip", "wheel", src, "--no-deps", "-q", "-w", tmp_path / "dist"]
         + (["--no-build-isolation"] if _has("setuptools") else []))
    wheel = next((tmp_path / "dist").glob("synq_nb-*.whl"))
    assert f"synq_nb/data/{bundle.BUNDLE.name}" in zipfile.ZipFile(wheel).namelist(), "the wheel lacks the bundle"

    # 2. A fresh venv outside the checkout. Its dependencies (torch, papermill, ...) come from this environment's
    #    site-packages through a .pth line: a plain path, so the .pth files there (the editable synq_nb) are not run.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    py = venv / "bin" / "python"
    site = Path(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip())
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (site / "_synq_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    work = tmp_path / "alone"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "JUPYTER_PATH", "JUPYTER_DATA_DIR")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               SYNQ_SMOKE="1", SYNQ_CACHE_DIR=str(tmp_path / "cache"))
    where = "import importlib.util as u; s = u.find_spec('synq_nb'); print(s.origin if s else 'absent')"
    assert _run([py, "-c", where], cwd=work, env=env).strip() == "absent", \
        "the fresh venv sees a synq_nb before the wheel is installed: the test would not exercise the wheel"
    _run([py, "-c", "import torch, papermill, ipykernel"], cwd=work, env=env)

    # 3. A kernel for this venv. The wheel is NOT installed here: the notebook's set-up cell installs it, as for a
    #    reader without the package (pip finds it in dist/ as it would on the package index; no dependencies, and
    #    --ignore-installed: this environment's editable synq_nb metadata must neither satisfy nor be uninstalled).
    env.update(PIP_FIND_LINKS=str(tmp_path / "dist"), PIP_NO_INDEX="1", PIP_NO_DEPS="1", PIP_IGNORE_INSTALLED="1")
    _run([py, "-m", "ipykernel", "install", "--prefix", venv, "--name", "synq-wheel-test"], cwd=work, env=env)
    kernel = json.loads((venv / "share/jupyter/kernels/synq-wheel-test/kernel.json").read_text())
    assert Path(kernel["argv"][0]) == py

    # 4. The notebook, copied alone into an empty folder, executed there by that kernel.
    shutil.copy(REPO / "notebooks" / NOTEBOOK, work / NOTEBOOK)
    out = work / f"executed_{NOTEBOOK}"
    t1 = time.perf_counter()
    _run([py, "-m", "papermill", NOTEBOOK, out.name, "-k", "synq-wheel-test", "--cwd", work, "--no-progress-bar"],
         cwd=work, env=env, timeout=900)
    t2 = time.perf_counter()
    nb = json.loads(out.read_text())
    text = "".join(o.get("text", "") if isinstance(o.get("text", ""), str) else "".join(o["text"])
                   for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
                   if o.get("output_type") == "stream")
    errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert "synq_nb was missing: installed synq-nb" in text, "the set-up cell did not install the package"
    origin = Path(_run([py, "-c", where], cwd=work, env=env).strip())
    assert origin.is_relative_to(venv), f"synq_nb imported from {origin}, not from the wheel"
    assert SHIPPED_LINE in text, "the notebook did not read the runs shipped with the package"
    assert "all checks passed" in text
    print(f"wheel + venv + install: {t1 - t0:.0f} s; notebook {NOTEBOOK} at smoke: {t2 - t1:.0f} s")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_every_set_up_cell_installs_this_version_when_the_package_is_missing():
    """The one install line of each notebook pins the version in pyproject.toml (a notebook and its package agree)."""
    import tomllib

    import nbformat

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for path in sorted((REPO / "notebooks").glob("0*.ipynb")):
        setup = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source
        assert "except ModuleNotFoundError:" in setup, path.name
        assert f'%pip install -q "synq-nb=={version}"' in setup, path.name
        assert setup.index("except ModuleNotFoundError") < setup.index("import synq_nb as sq"), path.name
