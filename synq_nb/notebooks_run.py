"""The notebook series: set-up helpers shared by every notebook, and a runner that executes them.

``python -m synq_nb.notebooks_run --out outputs/notebooks [--smoke] [--only 02] [--inplace]``
executes ``notebooks/NN_*.ipynb`` with papermill into ``--out`` (``--inplace``: over the notebooks
themselves, to refresh the committed outputs). ``--smoke`` sets ``SYNQ_SMOKE=1`` for the kernel, so
every notebook's ``parameters`` cell picks its small settings.

Parameters and sweeps (papermill's ``-p NAME VALUE`` / ``-y YAML``; the output folder is created):
``python -m synq_nb.notebooks_run --only 07 --out outputs/07_w3a3.ipynb -p w_bits 3 -p a_bits 3 -y "seeds: [0, 1]"``;
``... --only 07 --out outputs/sweep --sweep "w_bits+a_bits: [4, 3]" --sweep "use_cam: [True, False]"`` runs one
executed notebook per combination and collects their ``summary.json`` into ``sweep.md`` / ``sweep.json`` /
``sweep.png`` (:func:`run_sweep`). Inside a notebook, ``check_parameters(globals())`` stops on an unknown or invalid
parameter, and :class:`Checks` asserts invariants but reports results in a parameterised run.

Inside a notebook: ``env = notebook_setup()`` (device with CPU fallback, seeds, data / weights / cache
locations from ``SYNQ_DATA_DIR`` / ``SYNQ_WEIGHTS_DIR`` / ``SYNQ_CACHE_DIR``, modest figure dpi), and
``run_dir(cfg)`` for the folder where :func:`synq_nb.run_experiment` keeps (and resumes) a run.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"

# Paper Table 1 (SynQ, ICLR 2025), top-1 %, mean +- std of 5 seeds; "other" = best competing method.
PAPER_TABLE1 = {
    ("resnet20", "cifar10"): dict(fp=93.89, w4a4=(92.76, 0.10), w3a3=(88.11, 0.15), other_w4a4=("TexQ", 92.68), other_w3a3=("PLF", 88.04)),
    ("resnet20", "cifar100"): dict(fp=70.33, w4a4=(67.34, 0.15), w3a3=(57.28, 0.29), other_w4a4=("TexQ", 67.18), other_w3a3=("PLF", 57.03)),
    ("resnet18", "imagenet"): dict(fp=71.47, w4a4=(67.90, 0.19), w3a3=(52.02, 0.34), other_w4a4=("TexQ", 67.73), other_w3a3=("TexQ", 50.28)),
    ("resnet50", "imagenet"): dict(fp=77.73, w4a4=(71.05, 0.17), w3a3=(26.89, 0.24), other_w4a4=("TexQ", 70.72), other_w3a3=("TexQ", 25.27)),
    ("mobilenetv2", "imagenet"): dict(fp=73.03, w4a4=(67.27, 0.21), w3a3=(34.21, 0.27), other_w4a4=("TexQ", 67.07), other_w3a3=("TexQ", 32.80)),
}


def paper_row(model: str, dataset: str):
    """The paper's Table 1 row for a teacher name (``resnet20_cifar10_akamaster`` -> ResNet-20 / CIFAR-10),
    or None when the paper has no such row."""
    arch = model.split("_")[0]
    return PAPER_TABLE1.get((arch, dataset))


def smoke_mode() -> bool:
    """True when ``SYNQ_SMOKE=1`` (CI: every notebook small and fast)."""
    return os.environ.get("SYNQ_SMOKE", "0").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class NotebookEnv:
    device: object
    smoke: bool
    seed: int
    data_dir: Path | None
    weights_dir: Path | None
    cache_dir: Path

    def __repr__(self):
        return (f"device={self.device}  smoke={self.smoke}  seed={self.seed}\n"
                f"SYNQ_DATA_DIR={self.data_dir}\nSYNQ_WEIGHTS_DIR={self.weights_dir}\nSYNQ_CACHE_DIR={self.cache_dir}")


def notebook_setup(seed: int = 0, dpi: int = 72, device=None, threads: int | None = None) -> NotebookEnv:
    """The first cell of every notebook: seeds, device (CUDA if available, else CPU), locations.

    Reads ``SYNQ_DATA_DIR`` (real data, needed for evaluation), ``SYNQ_WEIGHTS_DIR`` (teacher
    weights) and ``SYNQ_CACHE_DIR`` (synthetic sets and runs). A missing folder is reported with the
    variable to set (the teacher loader still tries a download when a weights file is missing).
    """
    import matplotlib
    import numpy as np
    import torch

    from .models import cache_dir, get_device

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    matplotlib.rcParams.update({"figure.dpi": dpi, "savefig.dpi": dpi, "figure.max_open_warning": 0,
                                "axes.titlesize": "medium", "axes.grid": False})
    env = NotebookEnv(get_device(device), smoke_mode(), seed, None, None, cache_dir())
    for var, attr in (("SYNQ_DATA_DIR", "data_dir"), ("SYNQ_WEIGHTS_DIR", "weights_dir")):
        value = os.environ.get(var)
        if not value:
            print(f"note: {var} is not set; set it to the folder holding the "
                  f"{'datasets (cifar10/test.npz ...)' if attr == 'data_dir' else 'teacher weights (*.th / *.pth)'} "
                  f"if the default location (download / ~/.cache) does not work offline.")
            continue
        path = Path(value).expanduser().resolve()
        if not path.is_dir():
            raise FileNotFoundError(f"{var}={value!r} is not a folder: set {var} to the folder holding the "
                                    f"{'datasets' if attr == 'data_dir' else 'teacher weights'}")
        setattr(env, attr, path)
    return env


class ParameterError(ValueError):
    """A notebook parameter that is unknown (misspelled) or has an invalid value."""


PARAMETERS_MARK = "# Parameters (papermill"  # first line of every notebook's own `parameters` cell
INJECTED_MARK = "# Parameters"              # first line of the cell papermill injects after it


def _assigned_names(source: str) -> list:
    """Names assigned at the top level of a cell (``a = 1``, ``a, b = 1, 2``), in order."""
    import ast

    names = []
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return names
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            for n in ast.walk(t):
                if isinstance(n, ast.Name) and n.id not in names:
                    names.append(n.id)
    return names


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_value(name: str, value):
    """The error message for an invalid value of a parameter the series uses, or None when it is valid."""
    from .config import PRESETS
    from .data import DATASETS
    from .models import TEACHERS
    from .quantization import MAX_BITS, MIN_BITS

    def bits_ok(v):
        return _is_int(v) and MIN_BITS <= v <= MAX_BITS

    number = (int, float)
    if name in ("w_bits", "a_bits") and not bits_ok(value):
        return f"must be an integer from {MIN_BITS} to {MAX_BITS}"
    if name == "bits_list" and not (isinstance(value, (list, tuple)) and value and all(bits_ok(b) for b in value)):
        return f"must be a non-empty list of integers from {MIN_BITS} to {MAX_BITS}, e.g. -y 'bits_list: [8, 4, 3]'"
    if name == "preset" and value not in PRESETS:
        return f"must be one of {', '.join(map(repr, PRESETS))}"
    if name == "model" and value not in TEACHERS:
        return f"must be one of {', '.join(TEACHERS)}"
    if name == "dataset" and value not in DATASETS:
        return f"must be one of {', '.join(DATASETS)}"
    if name == "seed" and not (_is_int(value) and value >= 0):
        return "must be a non-negative integer"
    if name == "seeds" and not (isinstance(value, (list, tuple)) and value and all(_is_int(s) and s >= 0 for s in value)
                                and len(set(value)) == len(value)):
        return "must be a non-empty list of distinct non-negative integers, e.g. -y 'seeds: [0, 1, 2]'"
    if name.startswith("use_") and not isinstance(value, bool):
        return "must be True or False (papermill: -p NAME True)"
    if name == "tau" and value is not None and not (isinstance(value, number) and not isinstance(value, bool) and 0 <= value <= 1):
        return "must be None (the preset's value) or a number in [0, 1]"
    if name == "d0" and value is not None and not (isinstance(value, number) and not isinstance(value, bool) and 0 < value < float("inf")):
        return "must be None (the preset's value) or a positive number"
    if name == "d0_list" and not (isinstance(value, (list, tuple)) and value and all(isinstance(v, number) and not isinstance(v, bool) and v > 0 for v in value)):
        return "must be a non-empty list of positive numbers"
    if name == "lr" and value is not None and not (isinstance(value, number) and not isinstance(value, bool) and 0 < value < float("inf")):
        return "must be None (the preset's value) or a positive number"
    if name == "radius" and not (isinstance(value, number) and not isinstance(value, bool) and 0 < value < float("inf")):
        return "must be a positive number"
    if name == "eval_limit" and value is not None and not (_is_int(value) and value > 0):
        return "must be None (all test images) or a positive integer"
    if name in ("calib_images", "n_compare", "n_real", "n_show", "n_loss", "per_class", "views", "bins") and not (_is_int(value) and value > 0):
        return "must be a positive integer"
    if name == "budget_fraction" and not (isinstance(value, number) and not isinstance(value, bool) and 0 < value <= 1):
        return "must be a number in (0, 1]"
    if name == "out_dir" and not isinstance(value, str):
        return "must be a folder name (a string; \"\" for the default)"
    return None


def check_parameters(namespace: dict, names=None) -> dict:
    """Stop a notebook at once on a parameter it does not take or an invalid value, before any heavy work.

    Call it in the cell right after the ``parameters`` cell: ``params = check_parameters(globals())``.
    ``names``: the parameters the notebook takes; by default the names its own ``parameters`` cell assigns
    (found in the kernel's input history by that cell's first line, ``# Parameters (papermill ...``).
    Papermill only warns about a parameter the notebook does not know and injects it anyway, so a
    misspelled ``-p presett smoke`` would silently run the default preset: here it raises
    :class:`ParameterError` listing the parameters the notebook takes. Returns ``{name: value}``.
    """
    history = [h for h in namespace.get("In", []) if isinstance(h, str)]
    own_at = max((i for i, h in enumerate(history) if h.lstrip().startswith(PARAMETERS_MARK)), default=None)
    if names is None:
        if own_at is None:
            raise ParameterError("check_parameters: no `parameters` cell found in the input history; "
                                 "pass names=[...] explicitly")
        names = _assigned_names(history[own_at])
    elif isinstance(names, str):
        names = names.split()
    names = list(names)
    injected = []
    start = own_at + 1 if own_at is not None else 0
    for h in history[start:]:
        lines = h.strip().splitlines()
        if lines and lines[0].strip() == INJECTED_MARK:
            injected = _assigned_names(h)
    takes = ", ".join(names)
    unknown = [n for n in injected if n not in names]
    if unknown:
        import difflib

        hints = [f"{n!r} (did you mean {close[0]!r}?)" if (close := difflib.get_close_matches(n, names, n=1)) else repr(n)
                 for n in unknown]
        raise ParameterError(f"unknown parameter(s) {', '.join(hints)}: this notebook takes {takes}")
    missing = [n for n in names if n not in namespace]
    if missing:
        raise ParameterError(f"parameter(s) {', '.join(missing)} not defined: run the `parameters` cell first")
    bad = [f"{n}={namespace[n]!r} {msg}" for n in names if (msg := _check_value(n, namespace[n])) is not None]
    if bad:
        raise ParameterError("invalid parameter value(s): " + "; ".join(bad) + f" (this notebook takes {takes})")
    return Parameters({n: namespace[n] for n in names}, injected=injected)


class Parameters(dict):
    """The notebook's parameters by name; ``injected``: the names papermill set (empty at the reader's
    defaults), so that ``params.injected`` tells a parameterised run from the reader's run."""

    def __init__(self, values: dict, injected=()):
        super().__init__(values)
        self.injected = list(injected)


class Checks:
    """The checks at the end of a notebook, in two kinds.

    ``invariant(ok, what)``: holds for every parameter value (shapes, ranges, files written): fails at once.
    ``result(ok, what)``: a finding of the lesson at the reader's settings (e.g. "fine-tuning beats RTN").
    With ``strict=True`` (the reader's defaults: ``Checks(strict=not params.injected)``) a failed result is an
    error; in a parameterised run it is reported (a visible warning, kept in ``warnings``), because an
    experiment whose honest outcome is "no gain" is valid. ``done()`` prints the verdict.
    """

    def __init__(self, strict: bool = True):
        self.strict = strict
        self.warnings = []
        self.count = 0

    def invariant(self, ok, what: str):
        self.count += 1
        if not ok:
            raise AssertionError(f"invariant broken: {what}")

    def result(self, ok, what: str):
        self.count += 1
        if ok:
            return True
        if self.strict:
            raise AssertionError(f"expected at the reader's settings, but did not hold: {what}")
        self.warnings.append(what)
        print(f"WARNING: did not hold in this run: {what}", flush=True)
        return False

    def done(self) -> list:
        if self.warnings:
            print(f"checks done: {self.count - len(self.warnings)} of {self.count} held; "
                  f"{len(self.warnings)} result(s) did not hold in this parameterised run (reported above, not an error)")
        else:
            print(f"all checks passed ({self.count})")
        return self.warnings


# config fields added after cached runs were named by their hash (issue 20's official-recipe options): left out of the
# hash at their default, so that the runs cached before they existed are found again
HASHED_WITHOUT = ("cam_clamp_weights", "lambda_fa", "lambda_adv", "adv_eps")


def config_hash(cfg) -> str:
    from .results import ADDED_LATER

    d = cfg.to_dict()
    d.pop("device", None)
    for k in HASHED_WITHOUT:  # fields added after cached runs were keyed: at their old value, the old hash
        if d.get(k) == ADDED_LATER[k]:
            d.pop(k)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:10]


def run_dir(cfg, name: str | None = None) -> Path:
    """``$SYNQ_CACHE_DIR/runs/<name>``: where a run keeps its checkpoint, so that it resumes (and a
    finished run reloads instantly). The default name encodes the settings and a hash of the config,
    so a changed setting never resumes from a stale checkpoint."""
    from .models import cache_dir

    if name is None:
        ideas = "".join(t for t, on in (("F", cfg.use_filter), ("C", cfg.use_cam), ("S", cfg.use_soft_labels)) if on) or "base"
        name = f"{cfg.model}-W{cfg.w_bits}A{cfg.a_bits}-{cfg.preset}-{ideas}-seed{cfg.seed}-{config_hash(cfg)}"
    return cache_dir() / "runs" / name


def notebooks(only=None) -> list:
    """The notebooks in order; ``only``: prefixes such as ``["02", "05"]``."""
    paths = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        paths = [p for p in paths if any(p.name.startswith(o) for o in only)]
    return paths


def execute(path: Path, out: Path, smoke: bool = False, parameters: dict | None = None, timeout: int | None = None,
            cwd: Path | None = None) -> float:
    """Execute one notebook with papermill into ``out`` (a file path); returns seconds."""
    import papermill as pm

    if smoke:
        os.environ["SYNQ_SMOKE"] = "1"
    out.parent.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    pm.execute_notebook(str(path), str(out), parameters=parameters or {}, kernel_name="python3",
                        cwd=str(cwd or path.parent), progress_bar=False, execution_timeout=timeout)
    _check_widget_state(out)
    scrub_machine_paths(out)
    return time.perf_counter() - t


def scrub_machine_paths(path: Path):
    """Rewrite the folders of the machine that executed a notebook, in its outputs and metadata (papermill's
    included), as ``$SYNQ_DATA_DIR``, ``$SYNQ_WEIGHTS_DIR``, ``$SYNQ_CACHE_DIR``, paths relative to the
    repository (``./notebooks/...``), ``~`` and ``$TMPDIR``: a committed notebook names no folder of ours."""
    import tempfile

    subs = {}
    for var in ("SYNQ_DATA_DIR", "SYNQ_WEIGHTS_DIR", "SYNQ_CACHE_DIR"):
        value = os.environ.get(var)
        if var == "SYNQ_CACHE_DIR" and not value:
            from .models import cache_dir
            value = str(cache_dir())
        if value:
            for v in (value.rstrip("/"), str(Path(value).expanduser().resolve())):
                subs[v] = f"${var}"
    repo = NOTEBOOK_DIR.parent
    subs[str(repo)] = "."
    subs[str(repo.resolve())] = "."
    subs[str(Path.home())] = "~"
    subs[tempfile.gettempdir()] = "$TMPDIR"
    text = original = Path(path).read_text()
    for old in sorted((k for k in subs if len(k) > 1), key=len, reverse=True):
        text = text.replace(old, subs[old])
    if text != original:
        Path(path).write_text(text)


WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"


def widget_state_problems(nb: dict) -> list:
    """What keeps a saved notebook's widgets from showing without a kernel (GitHub, nbviewer, the book), as
    messages; empty when every widget view among the outputs (those inside Output widgets included) refers
    to a model saved in ``metadata.widgets[WIDGET_STATE_MIME]["state"]``. A notebook without widgets has none."""
    state = ((nb.get("metadata") or {}).get("widgets") or {}).get(WIDGET_STATE_MIME)
    models = state.get("state") if isinstance(state, dict) else None
    outputs = [o for c in nb.get("cells", []) if c.get("cell_type") == "code" for o in c.get("outputs", [])]
    if isinstance(models, dict):  # views displayed inside Output widgets
        outputs += [o for m in models.values() for o in ((m or {}).get("state") or {}).get("outputs", []) or []
                    if isinstance(o, dict)]
    views = [o["data"][WIDGET_VIEW_MIME].get("model_id") for o in outputs if WIDGET_VIEW_MIME in (o.get("data") or {})]
    if not views:
        return []
    if models is None:
        return [f"{len(views)} widget view(s) but no metadata.widgets['{WIDGET_STATE_MIME}']['state']"]
    return [f"widget view of model {m} has no saved state" for m in views if m not in models]


def _check_widget_state(path: Path):
    """Keep the widget state that papermill (nbclient, ``store_widget_state=True``) saved in
    ``metadata.widgets``: GitHub, nbviewer and the book then show each panel in its last state (static,
    without a kernel) instead of "Error displaying widget: model not found". Raises if a view lacks its model."""
    problems = widget_state_problems(json.loads(Path(path).read_text()))
    if problems:
        raise RuntimeError(f"{Path(path).name}: saved widget state incomplete: " + "; ".join(problems[:3]))


def _resolve_type(value: str):
    """A ``-p NAME VALUE`` value as papermill's command line reads it: True / False / None, int, float, else str."""
    if value in ("True", "False", "None"):
        return {"True": True, "False": False, "None": None}[value]
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def notebook_parameters(path: Path) -> list:
    """The names a notebook's own ``parameters`` cell assigns (what ``check_parameters`` accepts)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cell = next((c for c in nb.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", [])), None)
    return _assigned_names(cell.source) if cell is not None else []


def parse_sweep(specs) -> list:
    """The grid points of ``--sweep`` specs, in order: each spec is YAML ``NAME: [v1, v2, ...]`` (several
    ``NAME: [...]`` in one spec, or several specs, multiply); ``NAME+OTHER: [v1, v2]`` gives both names the
    same value (``w_bits+a_bits: [4, 3]`` -> W4A4, W3A3). Returns a list of ``{name: value}``."""
    import itertools

    import yaml

    axes = []
    for spec in specs:
        try:
            d = yaml.safe_load(spec)
        except yaml.YAMLError as e:
            raise ValueError(f"--sweep {spec!r} is not YAML 'NAME: [v1, v2]': {e}") from None
        if not isinstance(d, dict) or not d:
            raise ValueError(f"--sweep {spec!r}: want 'NAME: [v1, v2, ...]', e.g. --sweep 'use_cam: [true, false]'")
        for key, values in d.items():
            if not isinstance(values, list) or not values:
                raise ValueError(f"--sweep {key}: want a non-empty list of values, got {values!r}")
            names = [n.strip() for n in str(key).split("+")]
            axes.append([{n: v for n in names} for v in values])
    if not axes:
        return []
    points = [dict(kv for part in combo for kv in part.items()) for combo in itertools.product(*axes)]
    seen = {}
    for pt in points:
        seen.setdefault(sweep_name(pt), pt)
    return list(seen.values())


def _fmt(v) -> str:
    if isinstance(v, (list, tuple)):
        return ",".join(_fmt(x) for x in v)
    return str(v)


def sweep_name(point: dict) -> str:
    """A folder / file name for one grid point: ``w_bits-3_a_bits-3_use_cam-False``."""
    import re

    name = "_".join(f"{k}-{_fmt(v)}" for k, v in point.items()) or "defaults"
    return re.sub(r"[^A-Za-z0-9_.,+=-]", "", name)


def collect_sweep(out: Path, points: list, failed=()) -> list:
    """One row per grid point from ``out/<sweep_name>/summary.json`` (what notebook 07 writes): the swept
    values, seeds, FP, RTN, final top-1 mean and sample std over the seeds, drop from FP, and the result
    checks that did not hold (``warnings``). A point without a summary, or named in ``failed`` (its notebook
    raised after writing one), gets ``status`` "failed"."""
    rows = []
    for pt in points:
        name = sweep_name(pt)
        f = Path(out) / name / "summary.json"
        row = dict(pt, run=name)
        if name in failed or not f.is_file():
            rows.append(dict(row, status="failed"))
            continue
        s = json.loads(f.read_text())
        row.update(status="ok", seeds=s["seeds"], fp_top1=s["fp_top1"], rtn_top1_mean=s["rtn_top1_mean"],
                   final_top1_mean=s["final_top1_mean"], final_top1_std=s["final_top1_std"], final_top1=s["final_top1"],
                   drop_from_fp=s["drop_from_fp"], warnings=s.get("warnings", []), eval_images=s.get("eval_images"),
                   preset=s.get("preset"))
        rows.append(row)
    return rows


def sweep_table(rows: list, keys: list) -> str:
    """The sweep's markdown table: swept values, final top-1 (mean +- sample std over seeds), RTN, drop from FP,
    and how many result checks did not hold."""
    from .plotting import markdown_table

    table = []
    for r in rows:
        t = {k: _fmt(r.get(k)) for k in keys}
        if r["status"] != "ok":
            t.update({"seeds": "", "final top-1": "FAILED (see the executed notebook)", "RTN": "", "drop from FP": "", "warnings": ""})
        else:
            n = len(r["seeds"])
            t.update({"seeds": _fmt(r["seeds"]),
                      "final top-1": f"{r['final_top1_mean']:.2f} ± {r['final_top1_std']:.2f}" if n > 1 else f"{r['final_top1_mean']:.2f} (1 seed)",
                      "RTN": f"{r['rtn_top1_mean']:.2f}", "drop from FP": f"{r['drop_from_fp']:.2f}",
                      "warnings": "; ".join(r["warnings"]) or "none"})
        table.append(t)
    return markdown_table(table)


def run_sweep(path: Path, out: Path, points: list, fixed: dict | None = None, smoke: bool = False,
              timeout: int | None = None) -> tuple:
    """Execute ``path`` (notebook 07 or any notebook that takes ``out_dir`` and writes ``summary.json``) once per
    grid point with papermill: ``out/<name>.ipynb`` (the executed notebook) and ``out/<name>/`` (its runs and
    ``summary.json``); then ``out/sweep.md`` (table), ``out/sweep.json`` (rows) and ``out/sweep.png`` (plot).
    Returns ``(rows, failed names)``; a failed point is reported and the sweep goes on."""
    from . import plotting

    if "out_dir" not in notebook_parameters(path):
        raise ValueError(f"{path.name} takes no out_dir parameter: a sweep needs a notebook that writes "
                         f"out_dir/summary.json (notebooks/07_reproduce.ipynb)")
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    keys = list(dict.fromkeys(k for pt in points for k in pt))
    failed = []
    for i, pt in enumerate(points, 1):
        name = sweep_name(pt)
        params = dict(fixed or {}, **pt, out_dir=str(out / name))
        try:
            sec = execute(path, out / f"{name}.ipynb", smoke=smoke, parameters=params, timeout=timeout)
        except Exception as e:
            print(f"FAILED [{i}/{len(points)}] {name}: {_error_line(e)}", file=sys.stderr, flush=True)
            failed.append(name)
            continue
        print(f"ok [{i}/{len(points)}] {name} in {sec:.0f} s -> {out / name}.ipynb", flush=True)
    rows = collect_sweep(out, points, failed)
    table = sweep_table(rows, keys)
    fixed_txt = ", ".join(f"{k}={v!r}" for k, v in (fixed or {}).items()) or "the notebook's defaults"
    (out / "sweep.md").write_text(f"# Sweep of {path.name}\n\nFixed: {fixed_txt}. Final-epoch top-1 %, mean ± sample "
                                  f"std over the seeds.\n\n{table}\n\n![sweep](sweep.png)\n")
    (out / "sweep.json").write_text(json.dumps(dict(notebook=path.name, fixed=fixed or {}, keys=keys, rows=rows), indent=2, default=str))
    ok = [r for r in rows if r["status"] == "ok"]
    if ok:
        fig = plotting.sweep_figure(ok, keys, title=f"{path.stem}: {len(ok)} settings")
        fig.savefig(out / "sweep.png", bbox_inches="tight")
        plotting.close(fig)
    return rows, failed


def _error_line(e: Exception) -> str:
    """One line for a failed notebook: the error raised inside it (papermill's ename: evalue), else the exception."""
    if getattr(e, "ename", None):
        return f"{e.ename}: {e.evalue}"
    return f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m synq_nb.notebooks_run", description=__doc__.split("\n\n")[0],
        epilog="examples:\n"
               "  python -m synq_nb.notebooks_run --only 07 --out outputs/07_w3a3.ipynb -p w_bits 3 -p a_bits 3 -y 'seeds: [0, 1]'\n"
               "  python -m synq_nb.notebooks_run --only 07 --out outputs/sweep -p preset smoke \\\n"
               "      --sweep 'w_bits+a_bits: [4, 3]' --sweep 'use_cam: [true, false]' -y 'seeds: [0, 1]'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="outputs/notebooks",
                   help="folder for the executed notebooks (created); with one notebook also a file NAME.ipynb")
    p.add_argument("--smoke", action="store_true", help="small settings (SYNQ_SMOKE=1), as in the tests")
    p.add_argument("--only", nargs="*", default=None, help="notebook prefixes, e.g. --only 02 05")
    p.add_argument("--inplace", action="store_true", help="write the executed notebooks over notebooks/*.ipynb")
    p.add_argument("--timeout", type=int, default=None, help="per-cell timeout in seconds")
    p.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="a notebook parameter, as papermill's -p (True/False/None, numbers, else text)")
    p.add_argument("-y", "--yaml", action="append", default=[], metavar="YAML",
                   help="parameters as YAML, as papermill's -y, e.g. -y 'seeds: [0, 1, 2]'")
    p.add_argument("--sweep", action="append", default=[], metavar="'NAME: [v1, v2]'",
                   help="run one notebook (--only 07) once per combination; NAME+OTHER sets both; "
                        "writes OUT/sweep.md, sweep.json, sweep.png")
    args = p.parse_args(argv)
    if args.smoke and args.inplace:
        p.error("--inplace keeps the reader's settings: do not combine it with --smoke")
    import yaml

    params = {name: _resolve_type(value) for name, value in args.parameter}
    for y in args.yaml:
        try:
            d = yaml.safe_load(y)
        except yaml.YAMLError as e:
            p.error(f"-y {y!r} is not YAML: {e}")
        if not isinstance(d, dict):
            p.error(f"-y {y!r}: want 'NAME: VALUE', e.g. -y 'seeds: [0, 1]'")
        params.update(d)
    if isinstance(params.get("out_dir"), str) and params["out_dir"]:
        params["out_dir"] = str(Path(params["out_dir"]).resolve())  # relative to where the command runs, as papermill's
    if (params or args.sweep) and args.inplace:
        p.error("--inplace refreshes the committed notebooks at the reader's settings: no -p / -y / --sweep")
    paths = notebooks(args.only)
    if not paths:
        print(f"no notebooks match {args.only} in {NOTEBOOK_DIR}", file=sys.stderr)
        return 2
    as_file = Path(args.out).suffix == ".ipynb"
    if (as_file or args.sweep) and len(paths) != 1:
        p.error(f"{'--sweep' if args.sweep else '--out NAME.ipynb'} runs one notebook: pick it with --only "
                f"(now {len(paths)}: {', '.join(x.name for x in paths)})")
    if args.sweep:
        try:
            points = parse_sweep(args.sweep)
            rows, failed = run_sweep(paths[0], Path(args.out), points, fixed=params, smoke=args.smoke, timeout=args.timeout)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(sweep_table(rows, list(dict.fromkeys(k for pt in points for k in pt))))
        print(f"sweep: {len(rows) - len(failed)} of {len(rows)} settings ran -> {Path(args.out) / 'sweep.md'}, sweep.png, sweep.json",
              flush=True)
        return 1 if failed else 0
    failed = []
    for path in paths:
        out = path if args.inplace else Path(args.out) if as_file else Path(args.out) / path.name
        tmp = Path(args.out) if as_file else Path(args.out) / path.name  # --inplace: copied over the notebook once it succeeded
        try:
            sec = execute(path, tmp, smoke=args.smoke, parameters=params, timeout=args.timeout)
        except Exception as e:  # report and go on with the next notebook
            print(f"FAILED {path.name}: {_error_line(e)}", file=sys.stderr)
            failed.append(path.name)
            continue
        if args.inplace:
            shutil.copyfile(tmp, out)
        print(f"ok {path.name} in {sec:.0f} s -> {out}", flush=True)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
