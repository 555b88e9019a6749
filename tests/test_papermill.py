"""Papermill reproductions as users run them (issue 13).

* ``check_parameters``: a parameter a notebook does not take (a misspelling) or an invalid value stops the
  notebook in the cell after ``parameters``, with an error that lists what the notebook takes.
* ``Checks``: invariants always fail; result checks fail at the reader's defaults and are reported (a
  ``WARNING`` line, ``warnings`` in notebook 07's ``summary.json``) in a parameterised run.
* The runner (``python -m synq_nb.notebooks_run``) takes papermill's ``-p`` / ``-y``, creates the output
  folder, and runs sweeps collected into one table and plot.

The papermill runs need the offline data (SYNQ_DATA_DIR / SYNQ_WEIGHTS_DIR) and are made at smoke size.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pytest  # noqa: E402

from synq_nb import notebooks_run as nr  # noqa: E402
from synq_nb.notebooks_run import Checks, ParameterError, check_parameters  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
OWN = '# Parameters (papermill: -p NAME VALUE).\nw_bits = 4\na_bits = 4\npreset = "cpu"\nseeds = [0]\nuse_cam = True\nlr = None\n'


def _namespace(injected: str | None = None, **values) -> dict:
    """A kernel namespace as papermill leaves it: the notebook's parameters cell, then its injected cell."""
    ns = dict(w_bits=4, a_bits=4, preset="cpu", seeds=[0], use_cam=True, lr=None)
    history = ["", "import synq_nb", OWN]
    if injected is not None:
        history.append("# Parameters\n" + injected)
    ns.update(values, In=history)
    return ns


# ----------------------------------------------------------------------- check_parameters
def test_defaults_pass_and_nothing_is_injected():
    params = check_parameters(_namespace())
    assert dict(params) == dict(w_bits=4, a_bits=4, preset="cpu", seeds=[0], use_cam=True, lr=None)
    assert params.injected == []


def test_injected_names_are_recorded():
    params = check_parameters(_namespace('w_bits = 3\npreset = "smoke"\n', w_bits=3, preset="smoke"))
    assert params.injected == ["w_bits", "preset"] and params["w_bits"] == 3


def test_a_misspelled_parameter_stops_with_the_list_of_parameters():
    with pytest.raises(ParameterError) as e:
        check_parameters(_namespace('presett = "smoke"\n', presett="smoke"))
    msg = str(e.value)
    assert "'presett'" in msg and "did you mean 'preset'" in msg
    assert "this notebook takes w_bits, a_bits, preset, seeds, use_cam, lr" in msg


@pytest.mark.parametrize("name,value,words", [
    ("w_bits", 9, "from 2 to 8"), ("a_bits", 3.0, "integer"), ("preset", "gpu", "'smoke'"),
    ("seeds", "[0, 1]", "-y 'seeds"), ("seeds", [0, 0], "distinct"), ("use_cam", "false", "True or False"),
    ("lr", -1.0, "positive"), ("lr", 0, "positive"),
])
def test_a_bad_value_is_named(name, value, words):
    with pytest.raises(ParameterError) as e:
        check_parameters(_namespace(f"{name} = {value!r}\n", **{name: value}))
    msg = str(e.value)
    assert f"{name}={value!r}" in msg and words in msg, msg


def test_no_parameters_cell_is_a_clear_error():
    with pytest.raises(ParameterError, match="no `parameters` cell"):
        check_parameters({"In": ["", "x = 1"]})


# ----------------------------------------------------------------------- Checks
def test_checks_strict_fails_on_a_result_and_lenient_reports_it(capsys):
    strict = Checks(strict=True)
    strict.invariant(True, "fine")
    with pytest.raises(AssertionError, match="did not hold: gain"):
        strict.result(False, "gain")
    lenient = Checks(strict=False)
    assert lenient.result(True, "holds") is True
    assert lenient.result(False, "fine-tuning beats RTN (52.30 vs 52.20)") is False
    assert lenient.done() == ["fine-tuning beats RTN (52.30 vs 52.20)"]
    out = capsys.readouterr().out
    assert "WARNING: did not hold in this run: fine-tuning beats RTN (52.30 vs 52.20)" in out
    assert "1 of 2 held" in out and "all checks passed" not in out
    with pytest.raises(AssertionError, match="invariant broken: shape"):
        lenient.invariant(False, "shape")  # invariants fail in every run
    ok = Checks(strict=False)
    ok.result(True, "a")
    ok.invariant(True, "b")
    assert ok.done() == [] and "all checks passed (2)" in capsys.readouterr().out


# ----------------------------------------------------------------------- runner: -p / -y, sweeps (no execution)
@pytest.mark.parametrize("text", ["True", "False", "None", "3", "-2", "1e-12", "0.5", "smoke", "[0, 1]", "nan"])
def test_p_values_are_read_as_papermill_reads_them(text):
    from papermill.cli import _resolve_type

    ours, theirs = nr._resolve_type(text), _resolve_type(text)
    assert type(ours) is type(theirs) and (ours == theirs or ours != ours)


def test_parse_sweep_multiplies_axes_and_ties_joined_names():
    pts = nr.parse_sweep(["w_bits+a_bits: [4, 3]", "use_cam: [true, false]", "seeds: [[0], [1, 2]]"])
    assert len(pts) == 2 * 2 * 2
    assert pts[0] == dict(w_bits=4, a_bits=4, use_cam=True, seeds=[0])
    assert all(p["w_bits"] == p["a_bits"] for p in pts)
    assert nr.sweep_name(pts[-1]) == "w_bits-3_a_bits-3_use_cam-False_seeds-1,2"
    for bad in ("w_bits", "w_bits: 4", "w_bits: []", "[1, 2]", "a: [1"):
        with pytest.raises(ValueError, match="--sweep"):
            nr.parse_sweep([bad])


def _fake_summary(folder: Path, finals, rtn, warnings=()):
    import statistics

    folder.mkdir(parents=True)
    folder.joinpath("summary.json").write_text(json.dumps(dict(
        seeds=list(range(len(finals))), fp_top1=91.73, rtn_top1_mean=rtn, final_top1=finals,
        final_top1_mean=statistics.mean(finals), final_top1_std=statistics.stdev(finals) if len(finals) > 1 else None,
        drop_from_fp=91.73 - statistics.mean(finals), warnings=list(warnings), eval_images=1000, preset="smoke")))


def test_sweep_table_and_figure_from_the_summaries(tmp_path):
    from matplotlib.figure import Figure

    from synq_nb import plotting

    pts = nr.parse_sweep(["w_bits+a_bits: [4, 3]", "use_cam: [true, false]"])
    _fake_summary(tmp_path / nr.sweep_name(pts[0]), [88.0, 89.0, 90.0], 86.0)
    _fake_summary(tmp_path / nr.sweep_name(pts[1]), [87.0, 88.0], 86.0)
    _fake_summary(tmp_path / nr.sweep_name(pts[2]), [60.0], 61.0, warnings=["fine-tuning beats RTN (seed 0: RTN 61.00, final 60.00)"])
    rows = nr.collect_sweep(tmp_path, pts)  # pts[3] has no summary: a failed run
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "failed"]
    # a notebook that raised after writing its summary counts as failed
    assert [r["status"] for r in nr.collect_sweep(tmp_path, pts, failed=[nr.sweep_name(pts[1])])] == ["ok", "failed", "ok", "failed"]
    assert rows[0]["final_top1_mean"] == 89.0 and rows[0]["final_top1_std"] == 1.0
    table = nr.sweep_table(rows, ["w_bits", "a_bits", "use_cam"])
    lines = table.splitlines()
    assert len(lines) == 2 + 4
    assert "89.00 ± 1.00" in lines[2] and "| 4 | 4 | True |" in lines[2]
    assert "60.00 (1 seed)" in lines[4] and "fine-tuning beats RTN" in lines[4]
    assert "FAILED" in lines[5]
    ok = [r for r in rows if r["status"] == "ok"]
    fig = plotting.sweep_figure(ok, ["w_bits", "a_bits", "use_cam"])
    assert isinstance(fig, Figure)
    heights = sorted(round(p.get_height(), 6) for p in fig.axes[0].patches)
    assert heights == sorted(round(r["final_top1_mean"], 6) for r in ok)  # one bar per setting, at its mean
    plotting.close(fig)


def test_runner_refuses_ambiguous_requests(tmp_path, capsys):
    with pytest.raises(SystemExit):  # a file name for several notebooks
        nr.main(["--out", str(tmp_path / "x.ipynb"), "--only", "00", "07"])
    with pytest.raises(SystemExit):  # a sweep of several notebooks
        nr.main(["--out", str(tmp_path), "--sweep", "w_bits: [4]"])
    with pytest.raises(SystemExit):  # --inplace keeps the reader's settings
        nr.main(["--inplace", "--only", "07", "-p", "w_bits", "3"])
    assert nr.main(["--out", str(tmp_path), "--only", "00", "--sweep", "w_bits: [4]"]) == 2  # 00 writes no summary
    assert "takes no out_dir" in capsys.readouterr().err


def test_runner_passes_parameters_as_papermill_would(tmp_path, monkeypatch):
    """-p / -y reach papermill typed as its CLI types them; a relative out_dir is relative to where the command
    runs (the kernel runs in notebooks/); --out NAME.ipynb is the executed notebook's path."""
    seen = {}

    def fake_execute(path, out, smoke=False, parameters=None, timeout=None, cwd=None):
        seen.update(path=path, out=out, parameters=parameters)
        return 0.0

    monkeypatch.setattr(nr, "execute", fake_execute)
    monkeypatch.chdir(tmp_path)
    assert nr.main(["--only", "07", "--out", "o/07.ipynb", "-p", "w_bits", "3", "-p", "use_cam", "False",
                    "-p", "lr", "1e-3", "-p", "out_dir", "rel/run", "-y", "seeds: [0, 1]"]) == 0
    assert seen["path"].name == "07_reproduce.ipynb" and seen["out"] == Path("o/07.ipynb")
    assert seen["parameters"] == dict(w_bits=3, use_cam=False, lr=1e-3, out_dir=str(tmp_path / "rel" / "run"), seeds=[0, 1])


# ----------------------------------------------------------------------- papermill, as users run it
def _needs_data():
    data, weights = os.environ.get("SYNQ_DATA_DIR"), os.environ.get("SYNQ_WEIGHTS_DIR")
    if not (data and (Path(data) / "cifar10" / "test.npz").is_file() and weights and Path(weights).is_dir()):
        pytest.skip("set SYNQ_DATA_DIR (cifar10/test.npz) and SYNQ_WEIGHTS_DIR to execute notebooks")


@pytest.fixture()
def user_env(tmp_path):
    """The environment of a user's shell: a fresh cache, no SYNQ_SMOKE, one thread."""
    _needs_data()
    env = {k: v for k, v in os.environ.items() if k not in ("SYNQ_SMOKE", "PYTEST_CURRENT_TEST")}
    env.update(SYNQ_CACHE_DIR=str(tmp_path / "cache"))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def _papermill(args, env, cwd):
    return subprocess.run([sys.executable, "-m", "papermill", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=900)


def _notebook(prefix: str) -> Path:
    return next(p for p in nr.notebooks([prefix]))


@pytest.mark.parametrize("prefix", ["07", "00"])
def test_misspelled_parameter_stops_in_the_first_cells(prefix, user_env, tmp_path):
    path = _notebook(prefix)
    if prefix != "07" and "check_parameters(globals())" not in path.read_text():
        pytest.skip(f"{path.name} has no check_parameters cell yet (tests/test_lessons.py requires one)")
    out = tmp_path / "out.ipynb"
    proc = _papermill([str(path), str(out), "-p", "presett", "smoke"] if prefix == "07" else
                      [str(path), str(out), "-p", "seedd", "1"], user_env, REPO)
    assert proc.returncode != 0
    typo, meant = ("presett", "preset") if prefix == "07" else ("seedd", "seed")
    assert "ParameterError" in proc.stderr and f"'{typo}' (did you mean '{meant}'?)" in proc.stderr, proc.stderr[-2000:]
    assert "this notebook takes" in proc.stderr
    nb = nbformat.read(out, as_version=4)
    codes = [c for c in nb.cells if c.cell_type == "code"]
    failed = next(i for i, c in enumerate(codes) if any(o.output_type == "error" for o in c.get("outputs", [])))
    assert "check_parameters(globals())" in codes[failed].source
    assert failed <= 3  # set-up, parameters, papermill's injected cell, the check
    assert all(c.get("execution_count") is None for c in codes[failed + 1:])  # nothing heavy ran after it
    assert not (tmp_path / "cache" / "runs").exists()


def test_bad_value_stops_07_with_the_name(user_env, tmp_path):
    proc = _papermill([str(_notebook("07")), str(tmp_path / "o.ipynb"), "-p", "w_bits", "9", "-y", "seeds: 0"], user_env, REPO)
    assert proc.returncode != 0
    assert "w_bits=9 must be an integer from 2 to 8" in proc.stderr and "seeds=0 must be a non-empty list" in proc.stderr


def test_no_gain_is_reported_not_raised(user_env, tmp_path):
    """A parameterised run whose honest outcome is "no gain" completes, shows the warning and records it.

    Deterministic: with ``lr`` 1e-12 no weight moves (each update is far below float32 resolution of the
    weights), so the fine-tuned network is the RTN network: final == RTN, and "fine-tuning beats RTN" cannot
    hold. The run goes through the runner into a folder that does not exist yet (it is created)."""
    out = tmp_path / "not" / "yet" / "07_nogain.ipynb"
    proc = subprocess.run([sys.executable, "-m", "synq_nb.notebooks_run", "--only", "07", "--out", str(out),
                           "-p", "preset", "smoke", "-p", "use_cam", "False", "-p", "lr", "1e-12",
                           "-p", "out_dir", str(tmp_path / "run")],
                          cwd=tmp_path, env=user_env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    nb = nbformat.read(out, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    checks = next(c for c in nb.cells if "checks" in c.metadata.get("tags", []))
    text = "".join(o.get("text", "") for o in checks.outputs if o.output_type == "stream")
    assert "WARNING: did not hold in this run: fine-tuning beats round-to-nearest (seed 0" in text
    assert "not an error" in text and "all checks passed" not in text
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["final_top1"] == summary["rtn_top1"]  # oracle: nothing moved
    assert len(summary["warnings"]) == 1 and summary["warnings"][0].startswith("fine-tuning beats round-to-nearest (seed 0")
    assert summary["injected"] == ["preset", "use_cam", "lr", "out_dir"] and summary["parameters"]["lr"] == 1e-12
