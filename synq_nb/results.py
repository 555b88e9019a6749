"""The committed benchmark runs (``results/runs/<set>/<name>.json``, written by ``benchmarks/grid.py``) and the
small arithmetic used to read them: which ideas a run used, final top-1 by seed, paired differences over
seeds and the share of the gap to full precision that real data closes.

``benchmarks/make_tables.py`` builds the tables of ``results/RESULTS.md`` with these functions; notebook 06
uses the same ones, so the lesson and the tables cannot disagree. Standard library only.
"""
from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

RUNS_DIR = Path(__file__).resolve().parent.parent / "results" / "runs"  # in a source checkout (else: synq_nb.bundle)
IDEAS = ("use_filter", "use_cam", "use_soft_labels")
# config fields added after runs were recorded, with the value those runs had (a JSON without the key ran with it)
ADDED_LATER = dict(weight_range="minmax", act_quant="ema", quant_lr_mult=1.0, cam_clamp_weights=False, lambda_fa=0.0,
                   lambda_adv=0.0, adv_eps=0.01)
IDEA_NAMES = ("filter", "CAM", "soft labels")
BASELINE = (0, 0, 0)
SYNQ = (1, 1, 1)


class Runs(dict):
    """What :func:`load_runs` returns: {set name: [run JSON, ...]}, plus ``source``, a sentence saying where the
    runs were read from (this checkout's ``results/runs`` or the copy shipped in the package) for a notebook to print."""
    source = ""


_SAID_BUNDLE = False


def load_runs(root=None) -> Runs:
    """{set name: [run JSON, ...]} sorted by run name; unreadable files are skipped with a warning.

    ``root`` None: this checkout's ``results/runs`` (:data:`RUNS_DIR`) when it exists, else the copy shipped in the
    package (``synq_nb/data/committed.json.gz``, :mod:`synq_nb.bundle`; the first such call prints a line saying
    so); the result's ``source`` says which. A folder ``root``: only that folder (a missing one gives ``{}``).
    Folders whose name starts with ``_`` (work folders) are ignored."""
    global _SAID_BUNDLE
    if root is None and not RUNS_DIR.is_dir():
        from . import bundle

        items = [(k.split("/")[0], Path(k).stem, r) for k, r in bundle.run_files().items()]
        out = _group(items, f"the copy shipped in the package (synq_nb/data/{bundle.BUNDLE.name}, {len(items)} runs)")
        if not _SAID_BUNDLE:
            print(bundle.source_line(len(items)))
            _SAID_BUNDLE = True
        return out
    root = Path(RUNS_DIR if root is None else root)
    items = []
    for path in sorted(root.glob("*/*.json")) if root.is_dir() else []:
        if path.parent.name.startswith("_"):
            continue
        try:
            items.append((path.parent.name, path.stem, json.loads(path.read_text())))
        except (OSError, json.JSONDecodeError) as e:
            print(f"warning: skipping {path}: {e}", file=sys.stderr)
    where = "results/runs/ in this source checkout" if root == RUNS_DIR else str(root)
    return _group(items, f"{where} ({len(items)} runs)")


def _group(items, source: str) -> Runs:
    """(set folder, file stem, run JSON) triples -> :class:`Runs`: grouped by the run's ``set`` (else its folder),
    ``run_name`` defaulting to the file stem, sorted by run name."""
    sets = {}
    for folder, stem, r in items:
        r.setdefault("run_name", stem)
        sets.setdefault(r.get("set", folder), []).append(r)
    out = Runs({k: sorted(v, key=lambda r: r["run_name"]) for k, v in sets.items()})
    out.source = source
    return out


def ideas(run: dict) -> tuple:
    """(filter, CAM, soft labels) as 0/1 from a run's config, e.g. ``(1, 0, 1)``."""
    return tuple(int(bool(run["config"][k])) for k in IDEAS)


def combo_name(combo) -> str:
    """``(0, 0, 0)`` -> ``'baseline (KD + CE)'``, ``(1, 0, 1)`` -> ``'filter + soft labels'``."""
    on = [n for n, c in zip(IDEA_NAMES, combo) if c]
    return "baseline (KD + CE)" if not on else " + ".join(on)


def ablation_order(combos) -> list:
    """Baseline first, then one idea, two ideas, all three (within a size: filter before CAM before soft labels)."""
    return sorted(combos, key=lambda c: (sum(c), [-x for x in c]))


def _grouped(runs, group, bits, key) -> dict:
    out = {}
    for r in runs:
        if bits is None or r["w_bits"] == bits:
            out.setdefault(group(r), {})[r["seed"]] = r[key]
    return out


def by_seed(runs, bits: int | None = 3, key: str = "final_top1") -> dict:
    """{combination of ideas: {seed: run[key]}} over the runs at ``bits`` (weights; None: any)."""
    return _grouped(runs, ideas, bits, key)


def paired(treatment: dict, control: dict) -> dict:
    """Paired comparison of two {seed: value} dicts over the seeds both have.

    Returns ``seeds``, ``diffs`` (treatment − control of the same seed), ``mean`` and ``std`` of the diffs
    (sample std, ddof=1; nan with fewer than two seeds), and ``unpaired``: the difference of the two means
    over the same seeds with ``spread``, the larger of the two rows' own seed-to-seed std."""
    seeds = sorted(set(treatment) & set(control))
    diffs = [treatment[s] - control[s] for s in seeds]
    sd = lambda xs: statistics.stdev(xs) if len(xs) > 1 else float("nan")
    a, b = [treatment[s] for s in seeds], [control[s] for s in seeds]
    return dict(seeds=seeds, diffs=diffs,
                mean=statistics.fmean(diffs) if diffs else float("nan"), std=sd(diffs),
                unpaired=statistics.fmean(a) - statistics.fmean(b) if seeds else float("nan"),
                spread=max(sd(a), sd(b)) if seeds else float("nan"))


def gap_closed(fp: float, synthetic: float, real: float) -> float:
    """Share (0-1) of the synthetic-data student's gap to full precision that real training images close:
    (real − synthetic) / (FP − synthetic)."""
    if fp == synthetic:
        raise ValueError("no gap to close: the synthetic-data student already matches full precision")
    return (real - synthetic) / (fp - synthetic)


def beyond_seed_spread(p: dict) -> bool:
    """The rule of thumb notebook 06 uses on a :func:`paired` comparison: a gain (or loss) is "beyond the
    seed spread" when at least two seeds were paired, every seed's difference has the same sign, and the
    mean difference is larger in size than ``std``, the seed-to-seed std of the paired differences (the
    spread that is left once the shared seed effect has cancelled). Not a significance test: when the true effect
    is zero it still says yes about 39 % of the time with two seeds and 21 % with three
    (:func:`rule_false_positive_rate`); :func:`t_interval` is the interval that replaces it."""
    d = p["diffs"]
    return (len(d) >= 2 and (all(x > 0 for x in d) or all(x < 0 for x in d))
            and abs(p["mean"]) > p["std"])


# Student's t quantile t_{0.975, df} for df = 1 .. 30 (two-sided 95 % intervals); beyond 30 the normal 1.96 is
# within 0.05 of it. Checked against scipy.stats.t.ppf in tests/test_stats.py.
T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t_interval(diffs) -> tuple:
    """Two-sided 95 % Student t interval ``(low, high)`` for the mean of ``diffs`` (paired differences over seeds):
    mean +- t_{0.975, n-1} * std / sqrt(n). ``(nan, nan)`` with fewer than two values."""
    n = len(diffs)
    if n < 2:
        return float("nan"), float("nan")
    m, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    half = (T975[n - 2] if n - 1 <= len(T975) else 1.96) * sd / n ** 0.5
    return m - half, m + half


def interval_verdict(p: dict) -> str:
    """How a :func:`paired` comparison's 95 % t interval reads: ``"gain"`` (interval above 0), ``"loss"`` (below 0)
    or ``"unresolved"`` (it contains 0, or fewer than two seeds)."""
    lo, hi = t_interval(p["diffs"])
    if lo > 0:
        return "gain"
    if hi < 0:
        return "loss"
    return "unresolved"


def lever_name(run: dict) -> str:
    """The lever of a run of the ``levers``/``plus`` sets, from its name: ``w3a3_mse-lsq_s0`` -> ``mse-lsq``."""
    return run["run_name"].split("_", 1)[1].rsplit("_s", 1)[0]


def by_lever(runs, bits: int | None = 3, key: str = "final_top1") -> dict:
    """{lever: {seed: run[key]}} over the runs at ``bits`` (weights; None: any), e.g. ``{"paper": {0: 72.5}}``."""
    return _grouped(runs, lever_name, bits, key)



def whole_cpu_seconds(run: dict, runs) -> float | None:
    """CPU seconds of ``run`` as if it had made its own synthetic set (``cpu_s["total"]``): a run that loaded its set
    from the cache is charged the synthesis CPU seconds of the run of ``runs`` that made it (same seed and synthesis
    settings, not loaded from the cache). None without ``cpu_s``, or when no run of ``runs`` made the set."""
    if "cpu_s" not in run:
        return None
    if not run.get("synthetic_from_cache"):
        return run["cpu_s"]["total"]
    keys = ("num_images", "synth_iters", "synth_batch", "synth_lr", "alpha_bns", "beta_il", "gamma_il")
    maker = next((m for m in runs if m["seed"] == run["seed"] and not m.get("synthetic_from_cache") and "cpu_s" in m
                  and all(m["config"].get(k) == run["config"].get(k) for k in keys)), None)
    return None if maker is None else run["cpu_s"]["total"] + maker["cpu_s"]["synthesis"]


def rule_false_positive_rate(rule, n_seeds: int, trials: int = 20000, seed: int = 0) -> float:
    """Share of ``trials`` simulated comparisons with NO true effect (paired differences drawn from a normal
    distribution with mean 0) on which ``rule`` (a function of a :func:`paired` dict) says there is one."""
    import random

    rng = random.Random(seed)
    hits = 0
    for _ in range(trials):
        control = {s: rng.gauss(0, 1) for s in range(n_seeds)}
        treatment = {s: control[s] + rng.gauss(0, 1) for s in range(n_seeds)}
        hits += bool(rule(paired(treatment, control)))
    return hits / trials
