"""Readings of notebook 07 (reproduce a whole experiment), generated from the values it computed: the committed main
runs (and where SynQ's lead over the baseline arises: at RTN or in fine-tuning, with the measured cost per
iteration), how this execution got its runs (computed or reloaded, with the seconds measured when they were
computed), the seeds of this run, the final epoch against the best one, the drop from full precision against the
paper's Table 1, the budget against the paper's, the levers beyond the paper (paired differences with 95 % t
intervals, the device they ran on, the cost per iteration where measured), the teacher's soft labels on this run's
synthetic set, the ``cpu-plus`` preset in sample (seeds 0-2, which chose the levers) and out of sample (the
``confirm`` set: fresh seeds, CPU seconds at one thread each, SynQ as published at ``cpu-plus``'s iteration counts
as the same-cost control, whatever seeds it has), the real-data frontier (on shared seeds), the solutions of
Exercises 2-5 and the summary.

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_07.py`` checks each branch with made-up numbers on both sides of it). :func:`findings`
gives the claims the lesson makes about the committed runs as ``{claim: holds}`` for the checks cell.
"""
from __future__ import annotations

import math
import re
import statistics

from ..results import T975, gap_closed, interval_verdict, lever_name, paired, t_interval, whole_cpu_seconds
from . import num, paired_sentence, signed
from . import join_list as _list

# Constants and thresholds of the verdicts (each is named in the reading it shapes)
GOAL_W3A3 = 78.0       # the top-1 set as the goal of the levers at W3A3 (issue 12)
GOAL_SOURCE = "which the project's issue 12 set for W3A3 without any real image, as a mean over seeds 0-2"
STEADIER = 2.0         # one row's seed std at least this multiple of the other's "varies ... times as much"
CONFIDENT = 0.9        # the teacher's median largest probability at least this: its soft labels are "nearly one-hot"
NOT_IN_CHECKOUT = "not in this checkout"
CPU, PLUS, SAME_COST, CAM_OFF = "cpu", "cpu-plus", "cpu-syn150-ep15", "cpu-cam-off"  # names in the confirm set
CONFIRM_FILES = ("`results/runs/confirm/w3a3_{cpu,cpu-plus}_s*.json` (fresh seeds, one thread each, with CPU "
                 "seconds per stage) and `results/runs/confirm/w3a3_cpu-syn150-ep15_s*.json` (SynQ as published "
                 "at `cpu-plus`'s iteration counts)")
SETTING_NAMES = {CPU: "`cpu` (SynQ as published)", PLUS: "`cpu-plus`",
                 SAME_COST: "SynQ as published at `cpu-plus`'s iteration counts (`cpu-syn150-ep15`)",
                 CAM_OFF: "`cpu` with λ_CAM = 0 (`cpu-cam-off`)"}
LEVER_WORDS = {"kdT4": "KD at $T$ = 4", "kdT8": "KD at $T$ = 8", "mse": "MSE weight ranges",
               "lsq": "learned activation step sizes, LSQ", "qlr10": "LSQ step sizes at 10× the learning rate"}
# LSQ on or off: (with LSQ, without it); the last pair also raises the step sizes' learning rate tenfold
LSQ_PAIRS = (("lsq", "paper"), ("mse-lsq", "mse"), ("mse-lsq-kdT4", "mse-kdT4"), ("mse-lsq-qlr10", "mse"))
VERDICT_WORDS = {"gain": "above zero", "loss": "below zero", "unresolved": "contains zero"}


# ------------------------------------------------------------------ small helpers


def _seeds(seeds) -> str:
    seeds = list(seeds)
    return f"seed{'s' if len(seeds) != 1 else ''} {_list(seeds)}"


def _mean(d) -> float:
    v = list(d.values()) if isinstance(d, dict) else list(d)
    return statistics.fmean(v) if v else float("nan")


def _std(d) -> float:
    v = list(d.values()) if isinstance(d, dict) else list(d)
    return statistics.stdev(v) if len(v) > 1 else float("nan")


def _mean_std(d) -> str:
    """``'72.55 ± 0.62'``; one value: ``'72.31 (one seed)'``."""
    v = list(d.values()) if isinstance(d, dict) else list(d)
    if len(v) == 1:
        return f"{num(v[0])} (one seed)"
    return f"{num(_mean(v))} ± {num(_std(v))}"


def _values(d: dict) -> str:
    """``{0: 72.31, 1: 72.09}`` -> ``'72.31 and 72.09'`` (in seed order)."""
    return _list(num(d[s]) for s in sorted(d))


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def threads(run: dict) -> int | None:
    """The CPU threads a run used, from its ``device`` (``'cpu (x86_64, 1 threads)'`` -> 1); None on a GPU."""
    m = re.search(r"(\d+) threads?\)", run.get("device", ""))
    return int(m.group(1)) if m else None


def interval_text(p: dict) -> str:
    """A :func:`synq_nb.results.paired` comparison's 95 % t interval for a table: ``'[+2.89, +3.81] above zero'``
    (``'— (one seed)'`` with fewer than two seeds)."""
    if len(p["diffs"]) < 2:
        return "— (one seed)"
    lo, hi = t_interval(p["diffs"])
    return f"[{signed(lo)}, {signed(hi)}] {VERDICT_WORDS[interval_verdict(p)]}"


def welch_interval(a, b) -> dict | None:
    """Mean of ``a`` minus mean of ``b`` for two groups of different seeds (unpaired), with Welch's 95 % t interval:
    {"diff", "lo", "hi", "half", "df"}; the Welch-Satterthwaite degrees of freedom are rounded down (which widens the
    interval a little) to use :data:`synq_nb.results.T975`. None with fewer than two values on a side."""
    a, b = list(a.values()) if isinstance(a, dict) else list(a), list(b.values()) if isinstance(b, dict) else list(b)
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        d = _mean(a) - _mean(b)
        return dict(diff=d, lo=d, hi=d, half=0.0, df=len(a) + len(b) - 2)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    k = max(1, int(df))
    half = (T975[k - 1] if k <= len(T975) else 1.96) * math.sqrt(va + vb)
    d = _mean(a) - _mean(b)
    return dict(diff=d, lo=d - half, hi=d + half, half=half, df=df)


def _t_note(n: int) -> str:
    if n == 2:
        return (" With two seeds the 95 % t quantile is 12.7: only a large and very consistent effect gets an "
                "interval that excludes zero.")
    return ""


# ------------------------------------------------------------------ the committed runs, arranged for the readings
def main_by_bits(main_runs) -> dict:
    """{w_bits: {"synq": {seed: final top-1}, "baseline": {...}, "rtn": {seed: SynQ's RTN top-1}, "baseline_rtn":
    {seed: the baseline's RTN top-1}}} from the committed ``main`` runs, for the bit-widths that have both SynQ and
    the baseline."""
    from ..results import BASELINE, SYNQ, by_seed

    out = {}
    for bits in sorted({r["w_bits"] for r in main_runs or []}, reverse=True):
        final, rtn = by_seed(main_runs, bits=bits), by_seed(main_runs, bits=bits, key="rtn_top1")
        if SYNQ in final and BASELINE in final:
            out[bits] = dict(synq=final[SYNQ], baseline=final[BASELINE], rtn=rtn[SYNQ],
                             baseline_rtn=rtn.get(BASELINE, {}))
    return out


def committed_drops(main_runs, row: dict) -> list:
    """Rows for :func:`table1` from the committed main runs (SynQ) and the paper's Table 1 ``row``
    (``notebooks_run.paper_row``): bits, fp, final and rtn means, seeds, the paper's drop."""
    out = []
    for bits, d in main_by_bits(main_runs).items():
        if f"w{bits}a{bits}" not in row:
            continue
        fp = next(r["fp_top1"] for r in main_runs if r["w_bits"] == bits)
        out.append(dict(bits=bits, fp=fp, final=_mean(d["synq"]), rtn=_mean(d["rtn"]), n=len(d["synq"]),
                        paper_drop=row["fp"] - row[f"w{bits}a{bits}"][0]))
    return out


def real_reference(real_runs, bits: int = 3, images: int = 1024) -> dict | None:
    """The real-data reference (``results/runs/real``) at ``bits`` on ``images`` real training images: the final
    top-1 of SynQ and of the baseline (means, and ``by_seed``: SynQ's {seed: top-1}), the seeds; None when either
    is missing."""
    from ..results import BASELINE, SYNQ, ideas

    sel = [r for r in real_runs or [] if r["w_bits"] == bits and r["config"].get("num_images") == images]
    by = {}
    for r in sel:
        by.setdefault(ideas(r), {})[r["seed"]] = r["final_top1"]
    if SYNQ not in by or BASELINE not in by:
        return None
    return dict(synq=_mean(by[SYNQ]), baseline=_mean(by[BASELINE]), images=images, seeds=sorted(by[SYNQ]),
                by_seed=dict(sorted(by[SYNQ].items())))


def in_sample_rows(plus_runs, cpu: dict) -> list:
    """The in-sample table: per seed, ``cpu-plus`` (``plus_runs``, W3A3), ``cpu`` ({seed: top-1}), the difference
    and the threads the ``cpu-plus`` run used."""
    return [{"seed": r["seed"], "cpu-plus": num(r["final_top1"]), "cpu (SynQ as published)": num(cpu[r["seed"]]),
             "difference": signed(r["final_top1"] - cpu[r["seed"]]), "cpu-plus threads": threads(r) or "?"}
            for r in sorted(plus_runs, key=lambda r: r["seed"]) if r["seed"] in cpu]


# ------------------------------------------------------------------ section 2: the committed main runs
def synq_iteration_cost(cost: dict | None, batch: int) -> dict | None:
    """SynQ's fine-tuning iteration against the baseline's at ``batch`` from a ``benchmarks/cost.py`` file
    (``results/cost_cpu.json``): {"ratio", "batch", "device", "iters"}; None when the file or the batch is missing."""
    row = (cost or {}).get("per_batch", {}).get(str(batch))
    if not row or "ratio_synq_over_baseline" not in row:
        return None
    return dict(ratio=row["ratio_synq_over_baseline"], batch=batch, device=cost["device"], iters=cost.get("iters"))


def lever_iteration_costs(cost_files: dict, levers: dict) -> dict:
    """{lever row: [(its fine-tuning iteration over plain SynQ's, device, file), ...]} for the rows of ``levers``
    that a ``benchmarks/cost.py`` file measured as a variant (``cost_files``: {file stem: its JSON})."""
    out = {}
    for stem, c in sorted(cost_files.items()):
        v = c.get("variants") or {}
        if "synq" not in v:
            continue
        for name in v:
            if name in levers and isinstance(v[name], dict) and "median_s" in v[name]:
                out.setdefault(name, []).append((v[name]["median_s"] / v["synq"]["median_s"], c.get("device", "?"),
                                                 f"results/{stem}.json"))
    return out


def gains_over_rtn(d: dict) -> dict | None:
    """SynQ's and the baseline's gain over their own RTN students, and what differs at RTN, for one bit-width of
    :func:`main_by_bits`: {"rtn_gap": paired(SynQ RTN, baseline RTN), "synq_gain": paired(SynQ, its RTN),
    "base_gain": paired(baseline, its RTN), "diff": paired(SynQ's gain, the baseline's gain), "gains": (SynQ's
    per-seed gains, the baseline's)}; None without the baseline's RTN or with fewer than two shared seeds."""
    brtn, rtn = d.get("baseline_rtn") or {}, d.get("rtn") or {}
    seeds = sorted(set(d["synq"]) & set(rtn) & set(d["baseline"]) & set(brtn))
    if len(seeds) < 2:
        return None
    gs = {s: d["synq"][s] - d["rtn"][s] for s in seeds}
    gb = {s: d["baseline"][s] - brtn[s] for s in seeds}
    return dict(rtn_gap=paired({s: d["rtn"][s] for s in seeds}, {s: brtn[s] for s in seeds}),
                synq_gain=paired({s: d["synq"][s] for s in seeds}, {s: d["rtn"][s] for s in seeds}),
                base_gain=paired({s: d["baseline"][s] for s in seeds}, {s: brtn[s] for s in seeds}),
                diff=paired(gs, gb), gains=(gs, gb))


def _iv(p: dict) -> str:
    lo, hi = t_interval(p["diffs"])
    return f"{signed(p['mean'])} [{signed(lo)}, {signed(hi)}]"


def where_the_lead_arises(bits: int, d: dict) -> str:
    """Where SynQ's lead over the baseline at ``bits`` arises: already at RTN (SynQ's RTN student is calibrated on
    low-pass filtered images, the baseline's on unfiltered ones), or in fine-tuning (SynQ's gain over its RTN minus
    the baseline's); '' when the baseline's RTN is missing."""
    g = gains_over_rtn(d)
    if g is None:
        return ""
    v_rtn, v_diff = interval_verdict(g["rtn_gap"]), interval_verdict(g["diff"])
    seeds = g["rtn_gap"]["seeds"]
    text = (f"*Where the W{bits}A{bits} lead arises.* Before any fine-tuning, SynQ's RTN student has its activation "
            "ranges calibrated on low-pass filtered images, the baseline's on unfiltered ones; paired by seed, "
            + paired_sentence({s: d["rtn"][s] for s in seeds}, {s: d["baseline_rtn"][s] for s in seeds},
                              what="SynQ's RTN − the baseline's RTN")
            + f". Fine-tuning then adds {_iv(g['synq_gain'])} points to SynQ and {_iv(g['base_gain'])} to the "
            "baseline (mean [95 % t interval]); "
            + paired_sentence(*g["gains"], what="SynQ's gain over RTN − the baseline's") + ".")
    if v_diff == "unresolved":
        text += (" These seeds do not show that SynQ's fine-tuning adds more than the baseline's"
                 + (": the lead at the final epoch is already there at RTN." if v_rtn == "gain" else "."))
    elif v_diff == "gain":
        text += " SynQ's fine-tuning adds more than the baseline's: part of the lead is made during fine-tuning."
    else:
        text += (" The baseline's fine-tuning recovers more than SynQ's, from its lower start"
                 + (": SynQ's lead is smaller at the final epoch than at RTN." if v_rtn == "gain" else "."))
    return text


def committed(by_bits: dict, iter_cost: dict | None = None) -> str:
    """The committed main runs: ``by_bits`` as :func:`main_by_bits` gives. SynQ against the baseline at each
    bit-width, mean ± std, the paired difference with its interval, which row varies more from seed to seed, where
    the lead arises (:func:`where_the_lead_arises`), the measured cost of a SynQ fine-tuning iteration against the
    baseline's (``iter_cost``: {"ratio", "batch", "device", "iters"} from ``results/cost_cpu.json``, or None), and
    whether the finding (SynQ's pipeline above the baseline) holds at every bit-width."""
    out, verdicts = [], {}
    for bits in sorted(by_bits, reverse=True):
        synq, base = by_bits[bits]["synq"], by_bits[bits]["baseline"]
        p = paired(synq, base)
        if not p["seeds"]:
            continue
        verdicts[bits] = interval_verdict(p)
        text = (f"**W{bits}A{bits}.** SynQ ends at {_mean_std(synq)} and the baseline at {_mean_std(base)} (final "
                f"epoch, mean ± sample std over {_seeds(sorted(synq))}). Paired by seed, "
                + paired_sentence(synq, base, what="SynQ − baseline") + ".")
        ss, sb = _std(synq), _std(base)
        if not (math.isnan(ss) or math.isnan(sb)) and min(ss, sb) > 0:
            hi, lo = ("baseline", "SynQ") if sb >= ss else ("SynQ", "baseline")
            r = max(ss, sb) / min(ss, sb)
            if r >= STEADIER:
                text += (f" The {hi} varies from seed to seed {r:.1f} times as much as {lo} (std "
                         f"{num(max(ss, sb))} against {num(min(ss, sb))}).")
            else:
                text += (f" The two rows vary from seed to seed by similar amounts (std {num(sb)} for the baseline, "
                         f"{num(ss)} for SynQ: within a factor {STEADIER:g}).")
        lead = where_the_lead_arises(bits, by_bits[bits])
        out.append(text + ("\n\n" + lead if lead else ""))
    if not verdicts:
        return "No committed main runs with both SynQ and the baseline are in this checkout."
    if iter_cost:
        out.append(f"Cost: one SynQ fine-tuning iteration takes {iter_cost['ratio']:.2f}x the time of a baseline "
                   f"iteration (median of {iter_cost['iters']} iterations at batch {iter_cost['batch']} on "
                   f"{iter_cost['device']}, `results/cost_cpu.json`); both methods fine-tune on the same synthetic set "
                   "for the same number of steps.")
    else:
        out.append(f"The measured cost of a SynQ fine-tuning iteration against the baseline's (`results/cost_cpu.json`) "
                   f"is {NOT_IN_CHECKOUT}.")
    gains = [b for b, v in verdicts.items() if v == "gain"]
    names = [f"W{b}A{b}" for b in sorted(verdicts, reverse=True)]
    if len(gains) == len(verdicts):
        out.append(f"SynQ's whole pipeline (filtered calibration and synthesis-aware fine-tuning together) ends above "
                   f"the baseline with an interval above zero at {_list(names)}: that is the finding this notebook "
                   "lets you rerun. Whether SynQ's fine-tuning would beat the baseline's from the same start needs "
                   "the baseline calibrated on filtered images, a run the committed sets do not have (notebook 05, "
                   "*RTN against fine-tuned*).")
    elif gains:
        out.append(f"SynQ beats the baseline with an interval above zero only at "
                   f"{_list(f'W{b}A{b}' for b in sorted(gains, reverse=True))}; at the other bit-width these seeds "
                   "do not establish the gain.")
    else:
        out.append(f"At no bit-width ({_list(names)}) does the interval lie above zero: these committed seeds do not "
                   "establish that SynQ beats the baseline.")
    return "\n\n".join(out)


# ------------------------------------------------------------------ section 4: this execution's runs
def run_times(rows) -> str:
    """How this execution got each seed's run, with the seconds measured when it was computed. ``rows``: one dict
    per seed with ``seed``, ``epochs_before`` (epochs the checkpoint held before this call), ``epochs_done``,
    ``finetune_s`` (the history's seconds: training only), ``call_s`` (the summary line's seconds),
    ``from_cache`` (the synthetic set was loaded), ``synthesis_s`` (seconds it took when it was made), ``device``
    (this call's); optional ``committed_s`` and ``committed_device``: the fine-tuning seconds of the committed run of
    the same setting and seed (``results/runs/main``), for scale."""
    out = []
    unknown = ("the checkpoint does not record the device or the number of threads it was trained on; its results "
               "name {}, the device of the call that last evaluated it")
    for r in rows:
        ep, ft = r["epochs_done"], num(r["finetune_s"], 0)
        if r["epochs_before"] <= 0:
            head = (f"**computed in this execution**: {ep} epochs of fine-tuning in {ft} s on {r['device']} "
                    "(training only; the test evaluations are not included)")
        elif r["epochs_before"] >= ep:
            head = (f"**reloaded, not computed**: the run was finished before (cached by an earlier execution, or "
                    f"shipped with synq_nb), so nothing was trained now; the {ep} epochs took {ft} s when they were computed (training only; "
                    + unknown.format(r["device"]) + ")")
        else:
            head = (f"**resumed**: the checkpoint held {r['epochs_before']} epochs from an earlier execution; this "
                    f"execution trained epochs {r['epochs_before'] + 1} to {ep} on {r['device']}; all {ep} took {ft} s "
                    "(training only; the checkpoint does not record the device of the earlier epochs)")
        syn = (f"its synthetic set was loaded from the cache (it took {num(r['synthesis_s'], 0)} s when an earlier "
               "execution made it)" if r["from_cache"] else
               f"its synthetic set was made in this execution, in {num(r['synthesis_s'], 0)} s")
        if r["epochs_before"] < ep:
            call = (f"The {num(r['call_s'], 0)} s in brackets in its summary line are this call's own: loading, "
                    + ("synthesis, " if not r["from_cache"] else "") + "the training and the evaluations.")
        else:
            call = (f"This call took {num(r['call_s'], 1)} s: " + ("synthesis and " if not r["from_cache"] else "")
                    + "the reload; nothing was trained or evaluated again (the accuracies are the ones recorded when "
                    "the run was computed).")
        out.append(f"- Seed {r['seed']}: {head}; {syn}. " + call
                   + (f" For scale: the committed run of the same setting and seed (`results/runs/main`) spent "
                      f"{num(r['committed_s'], 0)} s fine-tuning on {r['committed_device']}."
                      if r.get("committed_s") is not None else ""))
    return "\n".join(out)


def seeds_reading(rows) -> str:
    """The per-seed table of this run: ``rows`` = [{"seed", "rtn", "final"}, ...]. One seed: its gain over RTN and
    no spread; several: the range, the std and the paired final − RTN with its interval."""
    gains = {r["seed"]: r["final"] - r["rtn"] for r in rows}
    if len(rows) == 1:
        r = rows[0]
        word = "raised" if gains[r["seed"]] > 0 else "did not raise"
        return (f"One seed (seed {r['seed']}): fine-tuning {word} the top-1 from RTN's {num(r['rtn'])} to "
                f"{num(r['final'])} ({signed(gains[r['seed']])} points). One row has no seed-to-seed spread and no "
                "interval: it is one run, not a result to report. Pass `-y \"seeds: [0, 1, 2]\"` (section 8) for that.")
    finals = {r["seed"]: r["final"] for r in rows}
    rtns = {r["seed"]: r["rtn"] for r in rows}
    below = [s for s, g in gains.items() if g <= 0]
    text = (f"Over {_seeds(sorted(finals))} the final top-1 runs from {num(min(finals.values()))} to "
            f"{num(max(finals.values()))} (mean ± std {_mean_std(finals)}): that spread is what a single run can be "
            "off by. "
            "Paired by seed, " + paired_sentence(finals, rtns, what="final − RTN") + ".")
    if below:
        text += f" Fine-tuning did not beat RTN on {_seeds(below)}."
    else:
        text += " Fine-tuning beat RTN on every seed."
    return text


def final_vs_best(rows) -> str:
    """Best over the evaluated epochs against the final epoch, per seed: ``rows`` = [{"seed", "final", "best",
    "evaluated"}, ...] (``evaluated``: the epochs that were evaluated). The rule itself is taught in 05."""
    out = []
    for r in rows:
        d = r["best"] - r["final"]
        n = len(r["evaluated"])
        if d <= 1e-9:
            out.append(f"seed {r['seed']}: the last of its {n} evaluated epochs was also the best ({num(r['final'])})")
        else:
            out.append(f"seed {r['seed']}: best over its {n} evaluated epochs {num(r['best'])}, final "
                       f"{num(r['final'])}, best − final {signed(d)}")
    flattering = [r["seed"] for r in rows if r["best"] - r["final"] > 1e-9]
    text = "; ".join(out) + "."
    text = text[0].upper() + text[1:]
    if flattering:
        text += (f" On {_seeds(flattering)} the best epoch would flatter the run; this notebook reports the final "
                 "epoch (notebook 05, *The final epoch, not the best one*, says why).")
    else:
        text += (" Here the two agree; they need not (notebook 05, *The final epoch, not the best one*), and this "
                 "notebook reports the final epoch either way.")
    return text


# ------------------------------------------------------------------ section 5: against the paper's Table 1
def table1(bits: str, ours: dict, paper: dict, committed_rows=None) -> str:
    """Our drop from full precision against the paper's. ``ours``: fp, final (mean), rtn (mean), n (seeds), preset;
    ``paper``: fp, mean, other_name, other (Table 1); ``committed_rows``: [{"bits", "fp", "final", "rtn", "n",
    "paper_drop"}] from the committed main runs (SynQ), or None."""
    drop, rdrop = ours["fp"] - ours["final"], ours["fp"] - ours["rtn"]
    pdrop, odrop = paper["fp"] - paper["mean"], paper["fp"] - paper["other"]
    tdiff = paper["fp"] - ours["fp"]
    runs = f"{ours['n']} seed{'s' if ours['n'] != 1 else ''}, `{ours['preset']}` preset"
    text = (f"Our teacher scores {num(ours['fp'])}, the paper's {num(paper['fp'])}: ours is {num(abs(tdiff))} points "
            f"{'weaker' if tdiff > 0 else 'stronger'}, which is why the table compares drops. At {bits} this run loses "
            f"{num(drop)} points to quantization ({runs}); the paper's SynQ loses {num(pdrop)} and its best other "
            f"method ({paper['other_name']}) {num(odrop)}. Our drop is {num(abs(drop - pdrop))} points "
            f"{'larger' if drop > pdrop else 'smaller'} than the paper's.")
    if drop < rdrop:
        text += (f" Fine-tuning took our drop from RTN's {num(rdrop)} points to {num(drop)}: it removed "
                 f"{_pct((rdrop - drop) / rdrop) if rdrop > 0 else 'all'} of what rounding lost.")
    else:
        text += (f" Fine-tuning did not reduce our drop: RTN lost {num(rdrop)} points and the fine-tuned student "
                 f"{num(drop)}.")
    if committed_rows:
        parts = [f"W{c['bits']}A{c['bits']} {num(c['fp'] - c['final'])} against the paper's {num(c['paper_drop'])} "
                 f"(RTN: {num(c['fp'] - c['rtn'])})" for c in committed_rows]
        larger = [c for c in committed_rows if c["fp"] - c["final"] > c["paper_drop"]]
        cut = [c for c in committed_rows if c["final"] > c["rtn"]]
        n = committed_rows[0]["n"]
        names = lambda cs: _list(f"W{c['bits']}A{c['bits']}" for c in cs)  # noqa: E731
        if len(larger) == len(committed_rows):
            which = "Our drop is larger than the paper's at every bit-width"
        elif not larger:
            which = "Our drop is smaller than the paper's at every bit-width"
        else:
            which = f"Our drop is larger than the paper's only at {names(larger)}"
        text += (f"\n\nIn the committed `cpu` runs ({n} seeds, `results/runs/main`) SynQ loses {'; '.join(parts)}. "
                 + which + ("; fine-tuning cuts RTN's drop at every bit-width." if len(cut) == len(committed_rows) else
                            f"; fine-tuning cuts RTN's drop only at {names(cut) if cut else 'no bit-width'}."))
    return text


# ------------------------------------------------------------------ section 6: the budget
BUDGET_KEYS = ("synthetic images", "synthesis iterations", "fine-tuning steps", "fine-tuning batch",
               "samples seen in fine-tuning")


def budget_of(cfg) -> dict:
    """The budget of a configuration (``sq.get_config(...)``), under :data:`BUDGET_KEYS`."""
    steps = cfg.epochs * cfg.iters_per_epoch
    return dict(zip(BUDGET_KEYS, (cfg.num_images, cfg.synth_iters, steps, cfg.batch_size, steps * cfg.batch_size)))


def _frac(ours: float, theirs: float) -> str:
    """``_frac(1, 20)`` -> ``'1/20'``; ``_frac(3, 1)`` -> ``'3×'``."""
    return f"1/{theirs / ours:g}" if theirs >= ours else f"{ours / theirs:g}×"


def budget(b_cpu: dict, b_paper: dict, committed_rows=None) -> str:
    """The ``cpu`` budget against the paper's (:func:`budget_of` of each), and how much larger our committed drops
    are than the paper's (``committed_rows``: :func:`committed_drops`, or None), with what those numbers mix."""
    f = {k: _frac(b_cpu[k], b_paper[k]) for k in BUDGET_KEYS}
    text = (f"The `cpu` preset spends {f['synthetic images']} of the paper's synthetic images and "
            f"{f['synthesis iterations']} of its synthesis iterations, and fine-tunes for {f['fine-tuning steps']} of "
            f"its steps at {f['fine-tuning batch']} of its batch, so the student sees "
            f"{f['samples seen in fine-tuning']} of the paper's training samples.")
    if committed_rows:
        ex = {c["bits"]: (c["fp"] - c["final"]) - c["paper_drop"] for c in committed_rows}
        parts = [f"{num(c['fp'] - c['final'])} points at W{c['bits']}A{c['bits']} against the paper's "
                 f"{num(c['paper_drop'])} ({num(abs(ex[c['bits']]))} {'more' if ex[c['bits']] > 0 else 'less'})"
                 for c in committed_rows]
        text += (f" In the committed `cpu` runs ({committed_rows[0]['n']} seeds) SynQ's drop from full precision is "
                 + _list(parts) + ".")
        names = lambda bs: _list(f"W{b}A{b}" for b in bs)  # noqa: E731
        if all(x > 0 for x in ex.values()):
            if len(ex) > 1:
                hi = max(ex, key=ex.get)
                text += f" The excess is {'larger' if len(ex) == 2 else 'largest'} at W{hi}A{hi}."
        elif all(x <= 0 for x in ex.values()):
            text += " Our drop is not larger than the paper's at any bit-width."
        else:
            text += f" Our drop is larger than the paper's only at {names(b for b in ex if ex[b] > 0)}."
        text += (" Those numbers mix the two differences of this section: a weaker teacher and a smaller budget "
                 "changed together, and nothing in these runs separates their shares. Separating them would take our "
                 "teacher at the paper's budget (the `paper` preset, for a GPU) or the paper's teacher at ours. "
                 "Section 2 reads SynQ against the baseline at this budget.")
    return text


# ------------------------------------------------------------------ section 7: the levers (GPU, seeds 0-2)
_BUDGET_TOKEN = re.compile(r"^(syn|ep)(\d+)$")


def _tokens(name: str) -> list:
    return name.split("-")


def changes_budget(name: str) -> bool:
    """Whether a lever's name changes the iteration counts (``...-syn150-ep15``)."""
    return any(_BUDGET_TOKEN.match(t) for t in _tokens(name))


def _budget_words(name: str) -> str:
    words = []
    for t in _tokens(name):
        m = _BUDGET_TOKEN.match(t)
        if m:
            words.append(f"{m.group(2)} synthesis iterations" if m.group(1) == "syn" else f"{m.group(2)} epochs")
    return " and ".join(words)


def lever_rows(levers: dict, reference: str = "paper") -> list:
    """The table of the levers: one dict per lever (best mean first), with the paired difference to ``reference``
    per seed, its mean and its 95 % t interval."""
    rows = []
    for name, by_seed in sorted(levers.items(), key=lambda kv: -_mean(kv[1])):
        p = paired(by_seed, levers[reference]) if name != reference else None
        rows.append({"lever": name, "seeds": len(by_seed), "W3A3 top-1 (mean)": num(_mean(by_seed)),
                     f"Δ vs {reference} (paired mean)": "—" if p is None else signed(p["mean"]),
                     "each seed": "—" if p is None else ", ".join(signed(d, 1) for d in p["diffs"]),
                     "95 % t interval": "" if p is None else interval_text(p)})
    return rows


def device_check(gpu: dict, cpu: dict) -> str:
    """SynQ as published on the GPU (the lever runs' ``paper`` row) against the same settings and seeds on this
    CPU (``results/runs/main``), paired by seed."""
    p = paired(gpu, cpu)
    if not p["seeds"]:
        return "The GPU's `paper` row and the CPU's SynQ runs share no seed: the device cannot be compared."
    text = (f"On the GPU, SynQ as published (the `paper` row) ended at {_values({s: gpu[s] for s in p['seeds']})} "
            f"(mean {num(_mean({s: gpu[s] for s in p['seeds']}))}); on this CPU the same settings and seeds ended at "
            f"{_values({s: cpu[s] for s in p['seeds']})} (mean {num(_mean({s: cpu[s] for s in p['seeds']}))}). Paired "
            "by seed, " + paired_sentence(gpu, cpu, what="GPU − CPU") + ".")
    worst = max(abs(d) for d in p["diffs"])
    v = interval_verdict(p)
    if v == "unresolved":
        text += (f" No device effect is resolved, but single runs differ by up to {num(worst)} points: float "
                 "rounding differs between the devices and training amplifies it. So each lever below is compared "
                 "with the `paper` row of the same device and seed, never with the CPU runs.")
    else:
        text += (f" The device shifts the result ({'up' if v == 'gain' else 'down'} on the GPU, by up to "
                 f"{num(worst)} points on one seed): each lever below is compared only with the `paper` row of the "
                 "same device and seed.")
    return text


def _interaction(levers: dict, ab: str, a: str, b: str, reference: str) -> dict:
    """Per seed, (ab − ref) − (a − ref) − (b − ref) over the seeds all four rows have."""
    seeds = sorted(set(levers[ab]) & set(levers[a]) & set(levers[b]) & set(levers[reference]))
    return {s: levers[ab][s] - levers[a][s] - levers[b][s] + levers[reference][s] for s in seeds}


def lever_count(levers: dict, reference: str = "paper") -> str:
    """How many rows, runs and seeds the lever table has, and what picking its best row implies."""
    by_n = {}
    for n, v in levers.items():
        by_n.setdefault(len(v), []).append(n)
    runs = sum(len(v) for v in levers.values())
    parts = [f"{len(ns)} with {k} seed{'s' if k != 1 else ''}" + (f" ({_list(f'`{n}`' for n in sorted(ns))})"
                                                                 if len(ns) <= 2 else "")
             for k, ns in sorted(by_n.items(), reverse=True)]
    others = len(levers) - (reference in levers)
    return (f"The table has {len(levers)} rows, SynQ as published (`{reference}`) and {others} settings beyond it, "
            f"{runs} runs in all: {_list(parts)}. Choosing among {others} rows on the same seeds and the same test "
            "set that measured them favours rows that were lucky there (the winner's curse): the chosen setting's gain "
            "on these seeds is optimistic, apart from the test-set choice; the fresh seeds further down are the "
            "check.")


def iteration_costs(costs: dict | None) -> str:
    """The measured cost of one fine-tuning iteration of a lever row against plain SynQ: ``costs`` =
    {row: [(ratio, device, file), ...]} from ``results/cost_*.json``."""
    if not costs:
        return "No lever row's cost per fine-tuning iteration was measured."
    parts = [f"`{n}` takes " + _list(f"{r:.2f}x plain SynQ's time on {dev} (`{f}`)" for r, dev, f in v)
             for n, v in costs.items()]
    return ("Cost per fine-tuning iteration was measured for " + _list(f"`{n}`" for n in costs) + " only: "
            + "; ".join(parts) + ". The other rows' cost per iteration was not measured.")


def figure_names(levers: dict, budget_cost: float | None = None) -> dict:
    """``levers`` with the rows that change the iteration counts renamed for the figure, so that their bars do not
    read as levers at the same cost: ``'x-syn150-ep15 [larger budget, 1.73x CPU s]'``."""
    tag = "larger budget" + (f", {budget_cost:.2f}x CPU s" if budget_cost is not None else "")
    return {(f"{n} [{tag}]" if changes_budget(n) else n): v for n, v in levers.items()}


def levers_reading(levers: dict, reference: str = "paper", budget_cost: float | None = None,
                   costs: dict | None = None) -> str:
    """The levers against ``reference`` (SynQ as published), each paired by seed with its 95 % t interval: how
    many rows and runs (:func:`lever_count`), the single levers, the pairs of levers (do they add up?), the rows
    that change the iteration counts too (with the CPU-second cost of those counts, ``budget_cost``: SynQ as
    published at them over ``cpu``, when measured), the measured cost per iteration (``costs``, see
    :func:`iteration_costs`) and the rows with one seed."""
    ref = levers[reference]
    singles = [n for n in levers if n != reference and len(_tokens(n)) == 1]
    singles.sort(key=lambda n: -paired(levers[n], ref)["mean"])
    out = [lever_count(levers, reference)]
    if singles:
        out.append("**One switch at a time** (the `cpu` preset's iteration counts):\n\n" + "\n".join(
            f"- `{n}` ({LEVER_WORDS.get(n, n)}): " + paired_sentence(levers[n], ref, what=f"`{n}` − `{reference}`")
            + "." for n in singles))
        resolved = [n for n in singles if interval_verdict(paired(levers[n], ref)) == "gain"]
        if len(resolved) == 1:
            out.append(f"Of the single levers only `{resolved[0]}` has an interval above zero "
                       f"({signed(paired(levers[resolved[0]], ref)['mean'])} points).")
        elif resolved:
            out.append(f"Of the single levers, {_list(f'`{n}`' for n in resolved)} have an interval above zero; the "
                       f"largest is `{resolved[0]}` ({signed(paired(levers[resolved[0]], ref)['mean'])} points).")
        else:
            out.append("No single lever has an interval above zero.")
    pairs = []
    for n in sorted(levers):
        t = _tokens(n)
        if len(t) != 2 or changes_budget(n) or not all(x in levers for x in t):
            continue
        a, b = t
        inter = _interaction(levers, n, a, b, reference)
        if len(inter) < 2:
            continue
        ga, gb = paired(levers[a], ref)["mean"], paired(levers[b], ref)["mean"]
        lo, hi = t_interval(list(inter.values()))
        v = "gain" if lo > 0 else "loss" if hi < 0 else "unresolved"
        words = {"unresolved": (f"no interaction is resolved, and the interval, {num(hi - lo)} points wide, is too "
                                "wide to say whether the two add up"),
                 "gain": "together they gain more than the sum of their parts",
                 "loss": "together they gain less than the sum of their parts: they partly fix the same thing"}[v]
        pairs.append(f"- `{n}`: " + paired_sentence(levers[n], ref, what=f"`{n}` − `{reference}`")
                     + f". The sum of `{a}` and `{b}` alone is {signed(ga + gb)}; together minus that sum is "
                     f"{signed(_mean(inter))} on average (95 % t interval [{signed(lo)}, {signed(hi)}]): {words}. "
                     + paired_sentence(levers[n], levers[b], what=f"What `{a}` adds on top of `{b}`") + "; "
                     + paired_sentence(levers[n], levers[a], what=f"what `{b}` adds on top of `{a}`") + ".")
    if pairs:
        out.append("**Two switches together:**\n\n" + "\n".join(pairs))
    best = max((n for n in levers if n != reference), key=lambda n: _mean(levers[n]), default=None)
    budget_rows = [n for n in levers if changes_budget(n)]
    for n in budget_rows:
        p = paired(levers[n], ref)
        lead = (f"The best mean of the table, {num(_mean(levers[n]))}, is `{n}`'s, and it" if n == best else f"`{n}`")
        text = (f"{lead} changes the budget too ({_budget_words(n)}): its {signed(p['mean'])} over `{reference}` "
                "mixes the levers with more iterations, so it is no evidence for the levers at the same cost.")
        base = "-".join(t for t in _tokens(n) if not _BUDGET_TOKEN.match(t))
        if base in levers:
            text += " " + paired_sentence(levers[n], levers[base],
                                          what=f"What the larger iteration counts add on top of `{base}`") + "."
        if budget_cost is not None:
            text += (f" On this CPU, SynQ as published at these iteration counts costs {budget_cost:.2f}x the CPU "
                     "seconds of `cpu` (one thread each; the out-of-sample runs below).")
        else:
            text += f" The CPU cost of these iteration counts comes from the out-of-sample runs, {NOT_IN_CHECKOUT}."
        out.append(text)
    if best is not None and best not in budget_rows:
        out.append(f"The best mean of the table, {num(_mean(levers[best]))}, is `{best}`'s, at the `cpu` preset's "
                   "iteration counts.")
    out.append(iteration_costs(costs))
    single_seed = [n for n in levers if n != reference and len(paired(levers[n], ref)["seeds"]) == 1]
    if single_seed:
        out.append(f"{_list(f'`{n}`' for n in single_seed)} ran on one seed: a difference, no interval, no claim.")
    return "\n\n".join(out)


# ------------------------------------------------------------------ section 7: the teacher's soft labels
def soft_labels(conf: dict, n: int, seed: int, preset: str, tau: float | None = None,
                ce_share: float | None = None) -> str:
    """What the teacher's soft labels look like on this run's synthetic set, at $T$ = 1 and a higher $T$. ``conf``:
    {"raw": {T: stats}, "seen": {T: stats}} (``"seen"``: the low-pass filtered images fine-tuning shows the student;
    absent without the filter), each stats {"median_max", "share_confident", "top_is_label", "median_py",
    "share_ce"} (median largest probability, share of images whose largest probability is at least
    :data:`CONFIDENT`, share whose top class is the label, median probability of the label, share with
    p(label) >= 1 − tau); ``ce_share``: the fine-tuning history's last-epoch share of samples that kept CE."""
    temps = sorted(conf["raw"])
    t1, th = temps[0], temps[-1]
    raw1 = conf["raw"][t1]
    text = (f"On this run's synthetic set (seed {seed}, `{preset}` preset, {n:,} images) at $T$ = {t1:g}, the images "
            f"as synthesised get a median largest probability of {num(raw1['median_max'])} from the teacher "
            f"({_pct(raw1['share_confident'])} of them at {CONFIDENT:g} or more), and its top class is the label on "
            f"{_pct(raw1['top_is_label'])}.")
    seen = conf.get("seen")
    view, words = (seen, "on the filtered images the student sees") if seen else (conf["raw"], "on them")
    s1, sh = view[t1], view[th]
    if seen:
        text += (f" Fine-tuning shows the student their low-pass filtered versions (notebook 02), and there the median "
                 f"largest probability is {num(s1['median_max'])} ({_pct(s1['share_confident'])} at {CONFIDENT:g} or "
                 f"more), the top class is the label on {_pct(s1['top_is_label'])}, and the label's own median "
                 f"probability is {num(s1['median_py'])}.")
    if s1["median_max"] >= CONFIDENT:
        text += f" So at $T$ = {t1:g} the soft labels {words} are nearly one-hot"
        text += (", and mostly on the label: plain KL says little more than the label there." if s1["top_is_label"] >= 0.5
                 else f", but on another class than the label for {_pct(1 - s1['top_is_label'])} of the images: there "
                 "plain KL does not repeat the label, it disagrees with it.")
    else:
        text += (f" So at $T$ = {t1:g} the soft labels {words} are far from one-hot: half the images get a largest "
                 f"probability below {num(s1['median_max'])}.")
    text += (f" At $T$ = {th:g} the median largest probability falls to {num(sh['median_max'])}: the teacher's "
             "probability spreads over more classes, which is what the temperature lever changes.")
    if tau is not None and ce_share is not None:
        text += (f" For comparison with the fine-tuning loop: {_pct(s1['share_ce'])} of these images (before "
                 f"augmentation) have p(label) ≥ 1 − τ = {num(1 - tau)}, the condition for keeping the CE term "
                 f"(notebook 04), and in the last epoch of this run's training {_pct(ce_share)} of the augmented "
                 "batches' images met it.")
    return text + (" Why $T$ = 4 gained in the lever table is not measured here: these numbers say what the soft "
                   "labels look like, not what the student learns from them.")


# ------------------------------------------------------------------ section 7: cpu-plus in and out of sample
def confirm_settings(runs) -> dict:
    """{setting: {seed: run}} of the ``confirm`` set's W3A3 runs (``w3a3_cpu-plus_s3`` -> ``"cpu-plus"``)."""
    by = {}
    for r in runs or []:
        if r.get("w_bits") == 3:
            by.setdefault(lever_name(r), {})[r["seed"]] = r
    return by


def cost_ratio(a: dict, b: dict, runs) -> float | None:
    """CPU seconds of setting ``a`` over setting ``b`` ({seed: run} each), summed over the seeds both have, each run
    charged the synthesis of its synthetic set (:func:`synq_nb.results.whole_cpu_seconds`); None without them."""
    seeds = sorted(set(a) & set(b))
    ca = [whole_cpu_seconds(a[s], runs) for s in seeds]
    cb = [whole_cpu_seconds(b[s], runs) for s in seeds]
    if not seeds or None in ca + cb:
        return None
    return sum(ca) / sum(cb)


def _charged(r: dict, runs) -> dict:
    """CPU seconds of a run as :func:`cost_ratio` charges them: whole, synthesis (the maker's when loaded) and
    fine-tuning; {} without them."""
    whole = whole_cpu_seconds(r, runs)
    if whole is None:
        return {}
    return dict(whole=whole, synthesis=whole - r["cpu_s"]["total"] + r["cpu_s"]["synthesis"],
                finetune=r["cpu_s"]["finetune"])


def _top1(by_seed_runs: dict, key: str = "final_top1") -> dict:
    return {s: r[key] for s, r in by_seed_runs.items() if key in r}


def _threads_text(rs) -> str:
    t = sorted({threads(r) for r in rs}, key=lambda x: (x is None, x))
    if len(t) == 1 and t[0] is not None:
        return f"{t[0]} thread{'s' if t[0] != 1 else ''} each"
    return "different thread counts (" + ", ".join("?" if x is None else str(x) for x in t) + ")"


def confirm_rows(runs) -> list:
    """The out-of-sample table: one dict per setting (``cpu``, SynQ as published at ``cpu-plus``'s counts,
    ``cpu-plus``), with each seed's test top-1, the mean, the CPU seconds per run (charged as :func:`cost_ratio`
    does), of which synthesis and fine-tuning, the wall seconds and the threads."""
    by = confirm_settings(runs)
    rows = []
    for key in (CPU, SAME_COST, PLUS):
        if key not in by:
            continue
        rs = [by[key][s] for s in sorted(by[key])]
        ch = [_charged(r, runs) for r in rs]
        cpu = lambda k: num(_mean([c[k] for c in ch]), 0) if all(ch) else "n/a"  # noqa: E731
        rows.append({"setting": SETTING_NAMES[key], "seeds": ", ".join(str(r["seed"]) for r in rs),
                     "test top-1 per seed": ", ".join(num(r["final_top1"]) for r in rs),
                     "mean ± std": _mean_std([r["final_top1"] for r in rs]),
                     "CPU s per run": cpu("whole"), "of which synthesis": cpu("synthesis"),
                     "of which fine-tuning": cpu("finetune"),
                     "wall s per run": num(_mean([r["total_s"] for r in rs]), 0), "threads": _threads_text(rs)})
    return rows


CONFIRM_PAIRS = ((PLUS, CPU, "`cpu-plus` − `cpu` (levers and budget)"),
                 (PLUS, SAME_COST, "`cpu-plus` − SynQ as published at its iteration counts (the levers, same cost)"),
                 (SAME_COST, CPU,
                  "SynQ as published, 150 it. and 15 epochs − 50 it. and 10 epochs (the budget alone)"))


def confirm_pairs(runs) -> list:
    """The out-of-sample comparisons, paired by seed: per seed, mean, 95 % t interval and cost ratio."""
    by = confirm_settings(runs)
    rows = []
    for a, b, label in CONFIRM_PAIRS:
        if a not in by or b not in by:
            continue
        p = paired(_top1(by[a]), _top1(by[b]))
        if not p["seeds"]:
            continue
        c = cost_ratio(by[a], by[b], runs)
        rows.append({"comparison": label, "seeds": ", ".join(map(str, p["seeds"])),
                     "per seed": ", ".join(signed(d) for d in p["diffs"]), "mean": signed(p["mean"]),
                     "95 % t interval": interval_text(p), "cost ratio (CPU s)": "n/a" if c is None else f"{c:.2f}x"})
    return rows


def plus_cost(runs) -> float | None:
    """``cpu-plus`` over ``cpu``, CPU seconds, from the ``confirm`` set (None when not measured)."""
    by = confirm_settings(runs)
    return cost_ratio(by[PLUS], by[CPU], runs) if PLUS in by and CPU in by else None


def budget_cost(runs) -> float | None:
    """SynQ as published at ``cpu-plus``'s iteration counts over ``cpu``, CPU seconds (None when not measured)."""
    by = confirm_settings(runs)
    return cost_ratio(by[SAME_COST], by[CPU], runs) if SAME_COST in by and CPU in by else None


def in_sample(plus: dict, cpu: dict, threads_by_seed: dict | None = None, cost: float | None = None) -> str:
    """``cpu-plus`` against ``cpu`` on the seeds that chose the levers ({seed: final top-1} each), with the threads
    each ``cpu-plus`` run used and the cost ratio measured out of sample (``cost``; None when not measured)."""
    p = paired(plus, cpu)
    if not p["seeds"]:
        return "The committed `cpu-plus` runs and SynQ as published share no seed here: nothing to pair."
    text = (f"**{_seeds(p['seeds']).capitalize()} (in sample).** These seeds' CIFAR-10 test accuracy chose the levers "
            "(the table above) and then confirmed `cpu-plus` on the same test set, so this comparison is not "
            f"independent of the choice. `cpu-plus` ended at {_values({s: plus[s] for s in p['seeds']})} (mean "
            f"{num(_mean({s: plus[s] for s in p['seeds']}))}); SynQ as published on the same seeds at "
            f"{_values({s: cpu[s] for s in p['seeds']})}. Paired by seed, "
            + paired_sentence(plus, cpu, what="`cpu-plus` − `cpu`"))
    if cost is not None:
        text += (f", at {cost:.2f}x the CPU seconds of `cpu` (measured on the fresh seeds below at one thread each; "
                 "these runs recorded no CPU seconds).")
    else:
        text += (f". Its cost ratio is measured on the fresh seeds, whose runs are {NOT_IN_CHECKOUT}; these runs "
                 "recorded no CPU seconds.")
    if threads_by_seed:
        t = {s: threads_by_seed[s] for s in p["seeds"] if s in threads_by_seed}
        if len(set(t.values())) > 1:
            text += (" Their wall times are no cost measurement either: they ran on different thread counts ("
                     + ", ".join(f"seed {s}: {n}" for s, n in t.items()) + ").")
    return text


def selection_bias(out_diffs, in_diffs) -> str:
    """The out-of-sample paired differences (fresh seeds) against the in-sample ones (the seeds that chose): different
    seeds, so compared unpaired with Welch's 95 % t interval (:func:`welch_interval`)."""
    mo, mi = _mean(out_diffs), _mean(in_diffs)
    text = (f"Out of sample the mean difference is {signed(mo)} points, in sample {signed(mi)}: "
            f"{num(abs(mo - mi))} points {'larger' if mo > mi else 'smaller' if mo < mi else 'apart'} on the fresh "
            "seeds.")
    w = welch_interval(out_diffs, in_diffs)
    if w is None:
        return text + " With fewer than two seeds on a side there is no interval for that difference: no claim."
    text += (f" The two groups are different seeds, so they compare unpaired: Welch's 95 % t interval for fresh minus "
             f"in sample is [{signed(w['lo'])}, {signed(w['hi'])}] ({w['df']:.1f} degrees of freedom, rounded down).")
    if w["lo"] > 0:
        text += " The fresh seeds gain more beyond the noise: no sign that choosing on seeds 0-2 inflated the gain."
    elif w["hi"] < 0:
        text += (" The in-sample gain is larger beyond the noise: choosing on seeds 0-2 inflated it by about "
                 f"{num(-w['diff'])} points.")
    else:
        text += (f" No selection bias is resolved: one smaller than about {num(w['half'], 1)} points could not be seen "
                 "with these seeds.")
    return text + (" (The fresh seeds share the test set, so a choice that suits these 10,000 test images would not "
                   "show here either way.)")


def wall_against_cpu(runs) -> str:
    """Whether the confirm set's wall seconds order the settings as their CPU seconds do (each run's own CPU seconds,
    without charging a loaded synthetic set); '' without CPU seconds."""
    by = confirm_settings(runs)
    rows = {}
    for k in (CPU, SAME_COST, PLUS):
        if k in by and all("cpu_s" in r for r in by[k].values()):
            rs = list(by[k].values())
            rows[k] = (_mean([r["cpu_s"]["total"] for r in rs]), _mean([r["total_s"] for r in rs]))
    flips = [(a, b) for a in rows for b in rows if rows[a][0] > rows[b][0] and rows[a][1] < rows[b][1]]
    if len(rows) < 2:
        return ""
    if flips:
        a, b = flips[0]
        return (f"Wall seconds do not follow the CPU seconds here: `{a}` used more CPU seconds per run "
                f"than `{b}` ({num(rows[a][0], 0)} against {num(rows[b][0], 0)}, each run's own, a "
                f"loaded synthetic set not charged) yet took less wall time ({num(rows[a][1], 0)} against "
                f"{num(rows[b][1], 0)} s). Other work shared the 2-core machine during some runs, so a wall time says "
                "how busy the machine was as much as what the run cost.")
    return ("Here the wall seconds order the settings as their CPU seconds do; they still include waiting for the "
            "machine, so the CPU seconds are the measure.")


def out_of_sample(runs, insample: tuple | None = None, goal: float = GOAL_W3A3) -> str:
    """The fresh seeds (the ``confirm`` set): ``cpu-plus`` against ``cpu`` with the cost ratio, on the test set and on
    the validation split; against the in-sample gain (``insample``: ({seed: cpu-plus}, {seed: cpu}) or None); the
    goal; and SynQ as published at ``cpu-plus``'s iteration counts (the same-cost control), which splits the gain
    into the budget and the levers."""
    by = confirm_settings(runs)
    if PLUS not in by or CPU not in by:
        return (f"**The out-of-sample runs are {NOT_IN_CHECKOUT}.** This part reads {CONFIRM_FILES}. Without them "
                "there is no out-of-sample number for `cpu-plus`, no cost ratio and no same-cost control: the seeds "
                "0-2 numbers above are in sample only.")
    plus, cpu = _top1(by[PLUS]), _top1(by[CPU])
    p = paired(plus, cpu)
    if not p["seeds"]:
        return "The out-of-sample `cpu-plus` and `cpu` runs share no seed: nothing to pair."
    seeds = p["seeds"]
    rs = [by[k][s] for k in (PLUS, CPU) for s in seeds]
    cost = cost_ratio({s: by[PLUS][s] for s in seeds}, {s: by[CPU][s] for s in seeds}, runs)
    ch = {k: [_charged(by[k][s], runs) for s in seeds] for k in (PLUS, CPU)}
    out = []
    text = (f"**Fresh {_seeds(seeds)} (out of sample: never used to choose anything).** `cpu-plus` ended at "
            f"{_values({s: plus[s] for s in seeds})} (mean {num(_mean({s: plus[s] for s in seeds}))}); `cpu` at "
            f"{_values({s: cpu[s] for s in seeds})} (mean {num(_mean({s: cpu[s] for s in seeds}))}). Paired by seed, "
            + paired_sentence(plus, cpu, what="`cpu-plus` − `cpu`"))
    if cost is not None and all(ch[PLUS]) and all(ch[CPU]):
        m = {k: {x: _mean([c[x] for c in ch[k]]) for x in ("whole", "synthesis", "finetune")} for k in ch}
        text += (f", at **{cost:.2f}x the CPU seconds** of `cpu` ({num(m[PLUS]['whole'], 0)} against "
                 f"{num(m[CPU]['whole'], 0)} s per run on average; synthesis {num(m[PLUS]['synthesis'], 0)} against "
                 f"{num(m[CPU]['synthesis'], 0)}, fine-tuning {num(m[PLUS]['finetune'], 0)} against "
                 f"{num(m[CPU]['finetune'], 0)}; {_threads_text(rs)}).")
        if cost > 1:
            text += " `cpu-plus` is not the same budget as `cpu`: it buys its gain partly with more computation."
        else:
            text += " `cpu-plus` costs no more than `cpu` here."
    else:
        text += ". These runs carry no CPU seconds: no cost ratio can be given."
    text += _t_note(len(seeds))
    out.append(text)
    wall = wall_against_cpu(runs)
    if wall:
        out.append(wall)
    vp, vc = _top1(by[PLUS], "val_final_top1"), _top1(by[CPU], "val_final_top1")
    if paired(vp, vc)["seeds"]:
        n_val = {r.get("val_images") for k in (PLUS, CPU) for r in by[k].values()} - {None}
        size = f"{n_val.pop():,} " if len(n_val) == 1 else ""
        out.append(f"On the validation split ({size}training images of the split that chooses settings, none of them "
                   "used to choose the levers; the teacher trained on them, so the numbers run higher), "
                   + paired_sentence(vp, vc, what="`cpu-plus` − `cpu`") + ".")
    extra = []
    if insample is not None:
        pi = paired(*insample)
        if pi["seeds"]:
            extra.append(selection_bias(p["diffs"], pi["diffs"]))
    reached = [s for s in seeds if plus[s] >= goal]
    mp = _mean({s: plus[s] for s in seeds})
    extra.append(f"The goal of {num(goal, 1)} %, {GOAL_SOURCE}: the fresh seeds' mean, {num(mp)}, is "
                 f"{'above' if mp >= goal else 'below'} it, and {len(reached)} of {len(seeds)} seeds reach it.")
    out.append(" ".join(extra))
    if SAME_COST in by:
        ctl = _top1(by[SAME_COST])
        pc = paired(plus, ctl)
        pb = paired(ctl, cpu)
        if pc["seeds"]:
            cs = pc["seeds"]
            c_pc = cost_ratio({s: by[PLUS][s] for s in cs}, {s: by[SAME_COST][s] for s in cs}, runs)
            c_pb = cost_ratio({s: by[SAME_COST][s] for s in pb["seeds"]}, {s: by[CPU][s] for s in pb["seeds"]}, runs)
            ratio_pc = "" if c_pc is None else f"; `cpu-plus` costs {c_pc:.2f}x its CPU seconds"
            ratio_pb = "" if c_pb is None else f", at {c_pb:.2f}x the CPU seconds of `cpu`"
            text = (f"**What SynQ as published gives at `cpu-plus`'s cost.** With `cpu-plus`'s iteration counts (150 "
                    "synthesis iterations, 15 epochs) but the paper's quantizer and plain KD, SynQ as published ended "
                    f"at {_values({s: ctl[s] for s in cs})} on {_seeds(cs)} (mean {num(_mean({s: ctl[s] for s in cs}))}"
                    f"{ratio_pc}). Paired by seed, "
                    + paired_sentence(plus, ctl, what="`cpu-plus` − this control (the levers at the same cost)")
                    + "; "
                    + paired_sentence(ctl, cpu, what=f"the larger budget alone (the control − `cpu`{ratio_pb})")
                    + ".")
            v_lev, v_bud = interval_verdict(pc), interval_verdict(pb)
            if v_lev == "gain":
                text += " The levers gain at the same cost."
            elif v_lev == "loss":
                text += " At the same cost the levers lose."
            if v_lev != "unresolved":
                text += {"gain": " The larger budget alone gains too.", "loss": " The larger budget alone loses.",
                         "unresolved": " The larger budget alone is not resolved on these seeds."}[v_bud]
            else:
                both = sorted(set(cs) & set(pb["seeds"]))
                gl = _mean([plus[s] - ctl[s] for s in both]) if both else float("nan")
                gb = _mean([ctl[s] - cpu[s] for s in both]) if both else float("nan")
                text += (f" These seeds do not show that the levers gain at the same cost. On {_seeds(both)}, "
                         f"`cpu-plus`'s {signed(gl + gb)} over `cpu` splits into {signed(gb)} from the larger budget "
                         f"and {signed(gl)} from the levers")
                text += (", and neither part is resolved on its own." if v_bud == "unresolved" else
                         f"; only the budget's part is resolved ({VERDICT_WORDS[v_bud]}).")
            text += _t_note(len(cs))
            out.append(text)
    else:
        out.append(f"SynQ as published at `cpu-plus`'s iteration counts (`cpu-syn150-ep15`) is {NOT_IN_CHECKOUT}: "
                   "this notebook cannot say what SynQ as published gives at `cpu-plus`'s cost.")
    return "\n\n".join(out)


def frontier(fp: float, synq: dict, real: dict | None = None, plus_out: dict | None = None,
             cost: float | None = None) -> str:
    """How far the synthetic-data students are from the teacher and from real data: ``synq`` {seed: W3A3 SynQ,
    ``cpu``}; ``real``: :func:`real_reference` (or None); ``plus_out`` {seed: ``cpu-plus`` out of sample} (or None)
    and its cost ratio over ``cpu``. The share of the gap real images close is taken on the seeds both have
    (:func:`synq_nb.results.gap_closed`), never a mean over other seeds against one run."""
    m = _mean(synq)
    text = (f"SynQ as published at W3A3 ends {num(fp - m)} points below the teacher ({num(fp)}; mean {num(m)} over "
            f"{_seeds(sorted(synq))}).")
    if not real:
        return text + f" The real-data reference runs (`results/runs/real`) are {NOT_IN_CHECKOUT}."
    text += (f" Fine-tuned the same way on {real['images']:,} real training images ({_seeds(real['seeds'])}, the "
             f"real-data reference of notebook 06), SynQ reaches {num(real['synq'])} and the baseline (KD + CE) "
             f"{num(real['baseline'])}.")
    by = real.get("by_seed") or {}
    shared = sorted(set(by) & set(synq))
    if shared:
        shares = [gap_closed(fp, synq[s], by[s]) for s in shared]
        sh = _mean(shares)
        on = (f"on {_seeds(shared)}, against the synthetic-data run{'s' if len(shared) > 1 else ''} of the same "
              f"seed{'s' if len(shared) > 1 else ''}, {_values({s: synq[s] for s in shared})}")
        if sh > 0:
            text += (f" Real images close {_pct(sh)} of SynQ's gap to the teacher {on} (`results.gap_closed`): that "
                     "part is the synthetic images' cost"
                     + ("; one seed, so no interval." if len(shared) == 1 else "."))
        else:
            text += f" Real images do not close any of SynQ's gap {on}."
    else:
        text += (" The real-data runs share no seed with the synthetic-data runs here, so the share of the gap they "
                 "close is not computed.")
    if plus_out:
        lo, hi = min(plus_out.values()), max(plus_out.values())
        r = real["synq"]
        where = ("within" if lo <= r <= hi else "above" if r > hi else "below")
        text += (f" `cpu-plus` on fresh {_seeds(sorted(plus_out))} ended at {num(lo)} to {num(hi)}; the real-data SynQ "
                 f"run{'s' if len(real['seeds']) != 1 else ''} ({num(r)}) lie{'' if len(real['seeds']) != 1 else 's'} "
                 f"{where} that range")
        if len(real["seeds"]) < 2:
            text += ", and one real-data seed gives no interval for the difference"
        text += ((f". `cpu-plus` also costs {cost:.2f}x the CPU seconds of `cpu` and uses other quantizer and KD "
                  "settings" if cost else ". `cpu-plus` also uses other quantizer and KD settings")
                 + ": not a comparison at the same settings. Whether the levers would lift the real-data runs as much "
                 "is not measured.")
    return text


# ------------------------------------------------------------------ exercises
def sweep_cost(run_s, synth_s, n_runs: int, n_seeds: int, n_threads: int | None = None) -> str:
    """Exercise 2: the sweep's cost from measured times. ``run_s``: the committed runs' wall seconds without
    synthesis; ``synth_s``: the seconds their synthetic sets took when made; ``n_runs`` runs over ``n_seeds`` seeds
    (one synthetic set per seed, made once). Wall times include waiting when other work shared the machine, so the
    estimate uses the medians and gives the slowest pace beside it."""
    med_r, med_s = statistics.median(run_s), statistics.median(synth_s)
    mid = (n_runs * med_r + n_seeds * med_s) / 3600
    hi = (n_runs * max(run_s) + n_seeds * max(synth_s)) / 3600
    th = f"{n_threads} thread{'s' if n_threads != 1 else ''}" if n_threads else "the recorded threads"
    return (f"The committed `cpu` runs of `results/runs/main` took {num(min(run_s), 0)} to {num(max(run_s), 0)} s "
            f"each without synthesis, median {num(med_r, 0)} s (wall time on {th}), and their synthetic sets took "
            f"{num(min(synth_s), 0)} to {num(max(synth_s), 0)} s when they were made, median {num(med_s, 0)} s. Wall "
            "times include waiting whenever other work shared the 2-core machine, so the slow end is not the runs' "
            f"own cost and the medians are the better guess. At the medians the sweep's {n_runs} runs, with "
            f"{n_seeds} synthetic sets (one per seed, made once and then loaded from the cache), take about "
            f"{mid:.1f} hours one after the other ({n_runs} × run + {n_seeds} × synthesis); at the slowest pace "
            f"measured, {hi:.1f} hours.")


def lr_tiny(rtn: float, final: float, moved: dict | None = None, other: tuple | None = None) -> str:
    """Exercise 3: fine-tuning at lr 1e-12. ``moved``: :func:`synq_nb.plotting.weight_code_changes` of the RTN
    student against the fine-tuned one (``weights``, ``codes_changed``, ``channels``, ``channels_regridded``);
    ``other``: (changed, total) trainable values outside the quantized weights (BatchNorm, biases) that changed at
    all. None: not compared."""
    same = final == rtn
    head = (f"Here the final top-1 equals RTN exactly ({num(final)})." if same else
            f"Here the final top-1 ({num(final)}) differs from RTN ({num(rtn)}) by {signed(final - rtn)} points.")
    if moved is None or other is None:
        return head + (" The weights were not compared, so which values moved is not measured." if same else
                       " Some value of the network moved; which one is not measured here.")
    n_q, n_grid = moved["codes_changed"], moved["channels_regridded"]
    text = (f"{head} Compared with the RTN student, {n_q:,} of the fine-tuned student's {moved['weights']:,} integer "
            f"weight codes differ, {n_grid} of its {moved['channels']:,} output channels changed their quantization "
            f"grid, and {other[0]:,} of its {other[1]:,} other trainable values (BatchNorm scales and shifts, biases) "
            "changed at all")
    if n_q == 0 and n_grid == 0 and other[0] == 0:
        return text + ": fine-tuning changed nothing the network computes with, so the equal accuracy is no accident."
    if n_q == 0 and n_grid == 0:
        return (text + ": no weight crossed a rounding boundary, so what moved lies outside the quantized weights"
                + (", and too little to change a test prediction." if same else "."))
    return (text + ": some latent weights sat close enough to a rounding boundary to cross it"
            + (", yet no test prediction changed." if same else "."))


def solution4(by_bits: dict) -> str:
    """Exercise 4: SynQ − baseline paired at each bit-width with the 95 % t interval, and the gain over the std of
    the differences. ``by_bits``: as :func:`committed`."""
    out, verdicts = [], {}
    for bits in sorted(by_bits, reverse=True):
        p = paired(by_bits[bits]["synq"], by_bits[bits]["baseline"])
        if len(p["seeds"]) < 2:
            continue
        verdicts[bits] = interval_verdict(p)
        out.append(f"At W{bits}A{bits}, " + paired_sentence(by_bits[bits]["synq"], by_bits[bits]["baseline"],
                                                            what="SynQ − baseline")
                   + f"; the mean is {abs(p['mean']) / p['std']:.1f} times the std of the differences ({num(p['std'])}).")
    if not verdicts:
        return "The committed main runs are not in this checkout (or have one seed): nothing to pair."
    bad = [b for b, v in verdicts.items() if v != "gain"]
    if not bad:
        out.append("At every bit-width the interval lies above zero. Three seeds suffice here only because the gain is "
                   "large next to the spread of its paired differences; a gain the size of the seed spread "
                   "(exercise 1) would need more seeds.")
    else:
        out.append(f"At {_list(f'W{b}A{b}' for b in sorted(bad, reverse=True))} the interval does not lie above zero: "
                   "these seeds do not establish the gain there; more seeds would narrow the interval.")
    return "\n\n".join(out)


def lsq_verdicts(levers: dict) -> dict:
    """{(with LSQ, without it): interval verdict} for the :data:`LSQ_PAIRS` present with at least two shared seeds."""
    out = {}
    for a, b in LSQ_PAIRS:
        if a in levers and b in levers and len(paired(levers[a], levers[b])["seeds"]) >= 2:
            out[(a, b)] = interval_verdict(paired(levers[a], levers[b]))
    return out


def solution5(levers: dict, rule: dict | None = None, false_positive: float | None = None) -> str:
    """Exercise 5: LSQ on minus LSQ off against each reference row, with 95 % t intervals; what the old spread rule
    said (``rule``: {pair: said yes}) and how often it says yes to a zero effect with three seeds."""
    v = lsq_verdicts(levers)
    if not v:
        return "The committed lever runs are not in this checkout: nothing to pair."
    lines = [f"- `{a}` − `{b}`: " + paired_sentence(levers[a], levers[b], what="LSQ on minus off") + "."
             + (" This pair also raises the step sizes' learning rate tenfold." if "qlr10" in a else "")
             for a, b in v]
    out = ["\n".join(lines)]
    gains = [k for k, x in v.items() if x == "gain"]
    losses = [k for k, x in v.items() if x == "loss"]
    neg = [k for k in v if paired(levers[k[0]], levers[k[1]])["mean"] < 0]
    pos = [k for k in v if k not in neg]
    name = lambda ks: _list(f"`{b}`" for _, b in ks)  # noqa: E731
    pair = lambda ks: _list(f"`{a}` − `{b}`" for a, b in ks)  # noqa: E731
    if gains and losses:
        out.append(f"LSQ gains against {name(gains)} and loses against {name(losses)}: its effect depends on the rest "
                   "of the setting.")
    elif gains:
        out.append(f"LSQ gains against {name(gains)}, and no comparison shows a loss.")
    elif losses:
        out.append(f"LSQ loses against {name(losses)}, and no comparison shows a gain: leaving it out is backed by "
                   "these intervals.")
    else:
        signs = (f"the mean is below zero for {pair(neg)} and above zero for {pair(pos)}: its sign depends on the "
                 "reference row" if neg and pos else
                 f"the mean is {'below' if neg else 'above'} zero in every comparison")
        out.append(f"No interval resolves LSQ's effect, and {signs}. `cpu-plus` leaves LSQ out because no comparison "
                   "shows a gain, not because LSQ is shown to hurt.")
    if rule:
        yes = [k for k, said in rule.items() if said]
        fp = f" about {_pct(false_positive)} of the time" if false_positive is not None else ""
        if yes:
            unresolved = [k for k in yes if v.get(k) == "unresolved"]
            out.append(f"The rule this exercise used before (every seed the same sign and the mean larger than the "
                       f"std of the differences) said yes for {_list(f'`{a}` − `{b}`' for a, b in yes)}; with three "
                       f"seeds it says yes to a zero effect{fp} (simulated in the cell above; notebook 06 teaches the "
                       "simulation)"
                       + (", and the interval of the same differences contains zero." if unresolved else "."))
        else:
            out.append(f"The rule this exercise used before (every seed the same sign and the mean larger than the std "
                       f"of the differences) says yes for none of these pairs; it says yes to a zero effect{fp} with "
                       "three seeds (simulated in the cell above; notebook 06 teaches the simulation).")
    return "\n\n".join(out)


# ------------------------------------------------------------------ summary and checks
def summary(by_bits: dict, levers: dict | None = None, confirm_runs=None, iter_cost: dict | None = None) -> str:
    """The results bullets of the summary: SynQ's pipeline against the baseline (committed main runs), where its
    lead arises (at RTN or in fine-tuning, :func:`gains_over_rtn`) and the cost per iteration (``iter_cost`` as in
    :func:`committed`), ``cpu-plus`` out of sample with its cost, the same-cost control, and LSQ."""
    out = []
    parts, splits, diff_v, rtn_v = [], [], {}, {}
    for bits in sorted(by_bits, reverse=True):
        d = by_bits[bits]
        p = paired(d["synq"], d["baseline"])
        if len(p["seeds"]) < 2:
            continue
        parts.append(f"W{bits}A{bits} {_iv(p)}")
        g = gains_over_rtn(d)
        if g is not None:
            diff_v[bits], rtn_v[bits] = interval_verdict(g["diff"]), interval_verdict(g["rtn_gap"])
            splits.append(f"at W{bits}A{bits} SynQ's RTN student starts {_iv(g['rtn_gap'])} above the baseline's, "
                          f"and over its own RTN SynQ gains {_iv(g['synq_gain'])} while the baseline gains "
                          f"{_iv(g['base_gain'])}")
    if parts:
        ok = all(interval_verdict(paired(by_bits[b]["synq"], by_bits[b]["baseline"])) == "gain" for b in by_bits
                 if len(paired(by_bits[b]["synq"], by_bits[b]["baseline"])["seeds"]) >= 2)
        text = ("- Over the committed seeds (paired, mean [95 % t interval]), SynQ's pipeline ends above the baseline "
                "by " + "; ".join(parts) + ". "
                + ("Every interval lies above zero: the pipeline's finding holds at our budget."
                   if ok else "Not every interval lies above zero: the finding is not established at every bit-width."))
        if splits:
            text += " Where the lead arises: " + "; ".join(splits) + "."
            names = lambda bs: _list(f"W{b}A{b}" for b in sorted(bs, reverse=True))  # noqa: E731
            more = [b for b, v in diff_v.items() if v == "gain"]
            less = [b for b, v in diff_v.items() if v == "loss"]
            if not more and not less:
                text += (" At no bit-width do these seeds show SynQ's fine-tuning adding more than the baseline's"
                         + ("; the lead is already there at RTN, where SynQ's activation ranges are calibrated on "
                            "filtered images (section 2)." if all(v == "gain" for v in rtn_v.values()) else
                            " (section 2)."))
            else:
                text += ((f" SynQ's fine-tuning adds more than the baseline's at {names(more)}." if more else "")
                         + (f" The baseline's fine-tuning recovers more than SynQ's at {names(less)}." if less else "")
                         + " (Section 2.)")
        if iter_cost:
            text += (f" One SynQ fine-tuning iteration costs {iter_cost['ratio']:.2f}x a baseline iteration "
                     f"({iter_cost['device']}, batch {iter_cost['batch']}).")
        out.append(text)
    by = confirm_settings(confirm_runs)
    if PLUS in by and CPU in by and paired(_top1(by[PLUS]), _top1(by[CPU]))["seeds"]:
        p = paired(_top1(by[PLUS]), _top1(by[CPU]))
        c = plus_cost(confirm_runs)
        text = ("- Beyond the paper, `cpu-plus` (MSE weight ranges, $T$ = 4, 150 synthesis iterations, 15 epochs) "
                f"against `cpu` on fresh {_seeds(p['seeds'])}: {signed(p['mean'])} points, 95 % t interval "
                f"{interval_text(p)}" + ("" if c is None else f", at {c:.2f}x the CPU seconds") + ".")
        if SAME_COST in by and paired(_top1(by[PLUS]), _top1(by[SAME_COST]))["seeds"]:
            pc = paired(_top1(by[PLUS]), _top1(by[SAME_COST]))
            text += (f" SynQ as published at the same iteration counts ends at {num(_mean(_top1(by[SAME_COST])))}; "
                     f"`cpu-plus` − it is {signed(pc['mean'])} ({interval_text(pc)}, {_seeds(pc['seeds'])}).")
        text += " The levers were chosen on the test set (seeds 0-2), not on the validation split."
        out.append(text)
    else:
        out.append(f"- Beyond the paper: the out-of-sample `cpu-plus` runs are {NOT_IN_CHECKOUT}; the levers were "
                   "chosen on the test set (seeds 0-2), so their in-sample gains are optimistic.")
    if levers:
        v = lsq_verdicts(levers)
        if v:
            if set(v.values()) == {"unresolved"}:
                out.append(f"- LSQ: none of its {len(v)} comparisons resolves its effect (exercise 5).")
            else:
                out.append("- LSQ: " + "; ".join(f"against `{b}` {VERDICT_WORDS[x]}" for (_, b), x in v.items())
                           + " (exercise 5).")
    return "\n".join(out)


def findings(by_bits: dict | None = None, levers: dict | None = None, cpu_synq: dict | None = None,
             plus_in: dict | None = None, confirm_runs=None, real: dict | None = None, fp: float | None = None) -> dict:
    """The claims the lesson's readings make about the committed runs at the reader's settings, as
    ``{claim: holds}`` for ``checks.result`` (only the claims whose runs are given)."""
    f = {}
    if by_bits:
        for bits, d in by_bits.items():
            if len(paired(d["synq"], d["baseline"])["seeds"]) >= 2:
                f[f"W{bits}A{bits}: SynQ − baseline has a 95 % t interval above zero (committed main runs)"] = \
                    interval_verdict(paired(d["synq"], d["baseline"])) == "gain"
            g = gains_over_rtn(d)
            if g is not None:
                f[f"W{bits}A{bits}: SynQ's RTN student starts above the baseline's (interval above zero)"] = \
                    interval_verdict(g["rtn_gap"]) == "gain"
                f[f"W{bits}A{bits}: SynQ's gain over RTN minus the baseline's: interval contains zero"] = \
                    interval_verdict(g["diff"]) == "unresolved"
    if levers and "paper" in levers:
        ref = levers["paper"]
        for n, want in (("kdT4", "gain"), ("mse", "unresolved"), ("mse-kdT4", "gain")):
            if n in levers:
                f[f"lever {n} − paper: interval {VERDICT_WORDS[want]}"] = interval_verdict(paired(levers[n], ref)) == want
        if "mse-kdT4" in levers and "kdT4" in levers:
            f["MSE on top of T = 4 has an interval above zero"] = \
                interval_verdict(paired(levers["mse-kdT4"], levers["kdT4"])) == "gain"
        v = lsq_verdicts(levers)
        if v:
            f["no LSQ comparison resolves its effect, and the sign of the mean depends on the reference row"] = (
                set(v.values()) == {"unresolved"}
                and len({paired(levers[a], levers[b])["mean"] < 0 for a, b in v}) == 2)
        best = max((n for n in levers if n != "paper"), key=lambda n: _mean(levers[n]), default=None)
        f["the best mean of the lever table changes the iteration counts"] = best is not None and changes_budget(best)
        if cpu_synq:
            f["GPU − CPU for SynQ as published: interval contains zero"] = \
                interval_verdict(paired(ref, cpu_synq)) == "unresolved"
    if plus_in and cpu_synq:
        f["in sample, cpu-plus − cpu has an interval above zero"] = interval_verdict(paired(plus_in, cpu_synq)) == "gain"
    by = confirm_settings(confirm_runs)
    if PLUS in by and CPU in by:
        plus, cpu = _top1(by[PLUS]), _top1(by[CPU])
        f["out of sample, cpu-plus − cpu has an interval above zero"] = interval_verdict(paired(plus, cpu)) == "gain"
        c = plus_cost(confirm_runs)
        f["cpu-plus costs more CPU seconds than cpu"] = c is not None and c > 1
        f["out of sample, cpu-plus's mean reaches the W3A3 goal"] = _mean(plus) >= GOAL_W3A3
        if plus_in and cpu_synq:
            w = welch_interval(paired(plus, cpu)["diffs"], paired(plus_in, cpu_synq)["diffs"])
            f["fresh minus in-sample gain of cpu-plus (Welch 95 % t interval): no selection bias resolved"] = (
                w is not None and w["lo"] <= 0 <= w["hi"])
        # (the same-cost control's verdicts are not checked: its seeds may grow, and the reading follows them)
        if real and fp is not None and cpu_synq:
            shared = sorted(set(real.get("by_seed") or {}) & set(cpu_synq))
            f["real images close part of SynQ's gap on the seeds both have, and the real-data SynQ run lies within "
              "the range of cpu-plus's fresh seeds"] = (
                bool(shared) and all(gap_closed(fp, cpu_synq[s], real["by_seed"][s]) > 0 for s in shared)
                and min(plus.values()) <= real["synq"] <= max(plus.values()))
    return f


# ------------------------------------------------------------------ section 6: the recipe the authors' code runs
def ms_per_iteration(run: dict) -> float | None:
    """CPU milliseconds per fine-tuning iteration of a committed run (its ``cpu_s["finetune"]`` over its
    iterations); None for runs recorded before CPU seconds were."""
    c = run.get("config", {})
    if not run.get("cpu_s") or not c.get("epochs") or not c.get("iters_per_epoch"):
        return None
    return 1e3 * run["cpu_s"]["finetune"] / (c["epochs"] * c["iters_per_epoch"])


def official_recipe(official: dict, synq: dict, official_ms: float | None = None, synq_ms: float | None = None,
                    matched: dict | None = None, ms_spread: tuple | None = None) -> str:
    """The `official` preset (the official code's losses and d0, with this course's calibration and augmentation)
    against SynQ as published, W3A3 at the `cpu` budget. ``official``/``synq``/``matched``: {seed: (RTN top-1, final
    top-1)}; ``matched``: SynQ as published at the recipe's d0 = 80 (the same calibration images and filtered batches:
    only the losses differ); ``official_ms``/``synq_ms``: CPU ms per fine-tuning iteration on one thread (means over
    runs), ``ms_spread``: the recipe's (lowest, highest) over its runs."""
    if not official:
        return ("The `official` preset's committed runs (`results/runs/official`) are " + NOT_IN_CHECKOUT
                + ": `python benchmarks/grid.py --sets official` makes them (about 25 minutes per run on one thread).")
    o_final = {s: v[1] for s, v in official.items()}
    s_final = {s: v[1] for s, v in synq.items()}
    shared = sorted(set(official) & set(synq))
    if not shared:
        raise ValueError("the official and SynQ runs share no seed: nothing to pair")
    o_rtn, s_rtn = _mean({s: official[s][0] for s in shared}), _mean({s: synq[s][0] for s in shared})
    out = [f"W3A3 at the `cpu` budget, final epoch, CIFAR-10 test top-1: the recipe scores "
           f"{_values({s: o_final[s] for s in shared})} on {_seeds(shared)}, SynQ as published "
           f"{_values({s: s_final[s] for s in shared})} on the same seeds; "
           + paired_sentence(o_final, s_final, "official − SynQ") + "."]
    p = paired(o_final, s_final)
    if len(p["diffs"]) >= 2:
        lo, hi = t_interval(p["diffs"])
        if hi < 0 or lo > 0:
            out.append(f"At this budget the recipe ends **{'below' if hi < 0 else 'above'}** SynQ as published.")
    start = (f"The two start from different places: RTN {num(o_rtn)} for the recipe, {num(s_rtn)} for SynQ."
             if abs(o_rtn - s_rtn) >= 1 else f"The two start level: RTN {num(o_rtn)} for the recipe, {num(s_rtn)} for SynQ.")
    out.append(start + " Both calibrate the activation ranges on this course's synthetic images after the low-pass "
               "filter (the official code calibrates on images from a throw-away generator, which is not implemented "
               "here), so the start is this implementation's: at d0 = 80 the filter leaves a 32 x 32 image almost "
               "unchanged, at SynQ's d0 = 8 it does not.")
    if matched and set(matched) & set(official):
        seeds_m = sorted(set(matched) & set(official))
        m_rtn = _mean({s: matched[s][0] for s in seeds_m})
        pm = paired(o_final, {s: v[1] for s, v in matched.items()})
        verdict = ""
        if len(pm["diffs"]) >= 2:
            lo, hi = t_interval(pm["diffs"])
            verdict = (" With the same images, the recipe's losses end higher than the paper's." if lo > 0 else
                       " With the same images, the paper's losses end higher than the recipe's." if hi < 0 else
                       " These seeds do not say which losses end higher.")
        out.append("What the losses themselves do is read against SynQ as published at the recipe's d0 = 80: the same "
                   f"calibration images (RTN {num(m_rtn)}) and the same filtered batches, only the losses differ. "
                   + paired_sentence(o_final, {s: v[1] for s, v in matched.items()}, "official − SynQ at d0 = 80")
                   + "." + verdict + " The recipe's KD term is also scaled by 8,000 at the same learning rate (its "
                   "gradients clipped at norm 5), so the losses' effect may include a larger step.")
    if official_ms and synq_ms:
        spread = (f" (its runs spread {num(ms_spread[0], 0)} to {num(ms_spread[1], 0)} ms with the machine's load)"
                  if ms_spread and ms_spread[1] > ms_spread[0] else "")
        out.append(f"Cost: one fine-tuning iteration of the recipe takes {num(official_ms, 0)} CPU ms on one thread"
                   f"{spread}, SynQ's {num(synq_ms, 0)} ({num(official_ms / synq_ms)} x), consistent with the "
                   "adversarial term running the student a second time on the perturbed batch (the terms were not "
                   "timed one by one).")
    return " ".join(out)


# ------------------------------------------------------------------ section 7: the choices checked on validation
def _split_cost(r: dict, runs) -> float | None:
    """CPU seconds of a whole run, a loaded synthetic set charged its making (the maker's CPU seconds, else the wall
    seconds it took); None without CPU seconds."""
    if not r.get("cpu_s"):
        return None
    whole = whole_cpu_seconds(r, runs)
    return whole if whole is not None else r["cpu_s"]["total"] + r.get("synthesis_seconds_when_made", 0.0)


def validation_recheck(split_runs, confirm_runs, default_split=(150, 15), all_runs=()) -> str:
    """`cpu-plus`'s synthesis/epoch split chosen again on the validation split (``split_runs``: the `val-split` set,
    seed 0), with each split's CPU seconds, and the levers as a whole on the validation split of the fresh seeds
    (``confirm_runs``). ``all_runs``: every committed run (to charge a loaded synthetic set its making)."""
    out = []
    if split_runs:
        key = lambda r: (r["config"]["synth_iters"], r["config"]["epochs"])  # noqa: E731
        val = {key(r): r["val_final_top1"] for r in split_runs}
        test = {key(r): r["final_top1"] for r in split_runs}
        cost = {key(r): _split_cost(r, list(all_runs) + list(split_runs)) for r in split_runs}
        v, t = max(val, key=val.get), max(test, key=test.get)
        each = ", ".join(f"{a} x {b}: {num(val[(a, b)])}" + (f" ({num(cost[(a, b)], 0)} CPU s)" if cost[(a, b)] else "")
                         for a, b in sorted(val))
        out.append(f"**The split, on the validation split** (seed {split_runs[0]['seed']}, the seed whose test accuracy "
                   f"chose the split before; synthesis iterations x epochs, validation top-1 and the whole run's CPU "
                   f"seconds — {each}): validation picks {v[0]} x {v[1]}"
                   + (", the split `cpu-plus` uses" if v == tuple(default_split) else
                      f", not the {default_split[0]} x {default_split[1]} that `cpu-plus` uses (chosen on the test set)")
                   + f"; on the test set {t[0]} x {t[1]} scores highest" + (" too." if t == v else "."))
        c = [x for x in cost.values() if x]
        if len(c) == len(cost) and len(c) > 1:
            lo, hi = min(c), max(c)
            out[-1] += (f" The splits are not quite equal in cost: {num(lo, 0)} to {num(hi, 0)} CPU seconds "
                        f"({num(100 * (hi / lo - 1), 0)} % apart).")
        out[-1] += " One seed per split: a ranking of single runs, not an interval."
    else:
        out.append("The synthesis/epoch split re-checked on the validation split (`results/runs/val-split`) is "
                   + NOT_IN_CHECKOUT + ".")
    by = confirm_settings(confirm_runs)
    if PLUS in by and "cpu-syn150-ep15" in by:
        a = {s: r["val_final_top1"] for s, r in by[PLUS].items() if "val_final_top1" in r}
        b = {s: r["val_final_top1"] for s, r in by["cpu-syn150-ep15"].items() if "val_final_top1" in r}
        if len(set(a) & set(b)) >= 1:
            p = paired(a, b)
            out.append("**The levers as a whole, on the validation split** of the fresh seeds (`cpu-plus` against SynQ as "
                       "published at the same iteration counts): " + paired_sentence(a, b, "the validation difference")
                       + ". " + ("Kept against none, the bundle passes on validation accuracy alone"
                                 if len(p["diffs"]) >= 2 and t_interval(p["diffs"])[0] > 0 else
                                 "Validation accuracy alone would not keep the bundle against none")
                       + "; this checks the bundle, not the choice of each lever, and the teacher trained on the "
                       "validation images, so their differences need not match the test set's.")
    return "\n\n".join(out)
