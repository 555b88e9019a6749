"""Readings of notebook 06 (evaluation and ablation), generated from the values it computed: the live ablation at a
reduced budget read against the test set's own noise, its ranking against the committed full-budget runs, the
simulated false-positive rates of the old "beyond the seed spread" rule and of the 95 % t interval, the committed
ablation read across seeds (pairing, the intervals, the interactions, the paper's pattern, one seed that misleads),
CAM on more seeds (the ablation's seeds pooled with the fresh ones), what the filter does (calibration or fine-tuning
inputs), the main runs, per-class accuracy and agreement of the live students, best over epochs against the final
epoch, how the settings were chosen (seeds 0-2 against the fresh seeds 3-5, d0 on the validation split), the
real-data reference, the exercises and the summary.

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_06.py`` checks each branch with made-up numbers on both sides of it).

``cpu-plus`` (notebook 07's preset) is read in notebook 07, section 7, not here.
"""
from __future__ import annotations

import math
import random
import statistics

from ..results import (ADDED_LATER, BASELINE, SYNQ, T975, ablation_order, by_lever, combo_name, interval_verdict,
                       lever_name, paired, t_interval)
from . import num, paired_sentence, signed
from . import join_list as _list
from .lesson02 import _val_by_d0, validation_choice  # d0 on the validation split: notebook 02 reads it in full

# Thresholds of the verdicts (each is named in the reading it shapes)
Z95 = 1.96          # a difference beyond Z95 binomial standard errors is "beyond the test set's noise"
NOMINAL = 0.05      # the false-positive rate a 95 % interval promises
SE_BAND = 3.0       # a simulated rate within this many binomial standard errors of another is "close" to it
SHARED = 0.5        # pairing "removed most" of a row's spread when s_d is below this share of the unpaired spread
DOMINANT = 2.0      # one noise "dominates" another when its std is at least this multiple of the other's
RANGE_Q = 0.95      # per-class losses are "about uniform" when their range is below this quantile of noise alone
NOT_IN_CHECKOUT = "not in this checkout"
CPU, CAM_OFF = "cpu", "cpu-cam-off"    # names of the confirm set's settings read here (cpu-plus: notebook 07)
DEFAULT_D0 = 8.0
PAIRS = (((1, 0, 0), (0, 1, 0)), ((1, 0, 0), (0, 0, 1)), ((0, 1, 0), (0, 0, 1)))
# The paper's W3A3 ablation (ResNet-18 on ImageNet, top-1 %; /work/shared/docs/METHOD.md, "Ablation"): another model
# and data set, so only its pattern compares with ours. benchmarks/make_tables.py holds the same numbers.
PAPER_ABLATION = {(0, 0, 0): 43.63, (1, 0, 0): 49.43, (0, 1, 0): 48.26, (0, 0, 1): 46.42,
                  (1, 1, 0): 51.24, (1, 0, 1): 50.81, (0, 1, 1): 50.06, (1, 1, 1): 52.02}
FILTER, CAM, SOFT = (1, 0, 0), (0, 1, 0), (0, 0, 1)
CAM_SOFT, FILTER_SOFT = (0, 1, 1), (1, 0, 1)


# ------------------------------------------------------------------ small helpers


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _ord(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def _row(flags) -> str:
    """A combination of the ideas in words: ``(0,0,0)`` -> 'the baseline', ``(1,0,0)`` -> 'the filter alone',
    ``(1,1,1)`` -> 'all three', ``(0,1,1)`` -> 'CAM + soft labels'."""
    n = sum(flags)
    if n == 0:
        return "the baseline"
    if n == len(flags):
        return "all three"
    name = combo_name(flags)
    return (f"the {name} alone" if name == "filter" else f"{name} alone") if n == 1 else name


def _verb(name: str, singular: str, plural: str) -> str:
    """The verb that agrees with a row's name: 'all three', 'soft labels alone' and 'filter + CAM' are plural."""
    return plural if name.lower() == "all three" or name.lower().startswith("soft labels") or " + " in name else singular


def _where(a: float, b: float, tol: float) -> str:
    """``'above'``, ``'below'`` or ``'level'`` (``|a - b| <= tol``)."""
    if abs(a - b) <= tol:
        return "level"
    return "above" if a > b else "below"


def _signs(diffs) -> str:
    if all(d > 0 for d in diffs):
        return "positive on every seed"
    if all(d < 0 for d in diffs):
        return "negative on every seed"
    return "of both signs"


def _each(values, digits: int = 2) -> str:
    return ", ".join(signed(v, digits) for v in values)


def _vals(values, digits: int = 2) -> str:
    return ", ".join(num(v, digits) for v in values)


def _seeds(seeds) -> str:
    return _list(sorted(seeds))


def _sd(xs) -> float:
    xs = list(xs)
    return statistics.stdev(xs) if len(xs) > 1 else float("nan")


def _interval(p: dict) -> str:
    lo, hi = t_interval(p["diffs"])
    if math.isnan(lo):
        return "one seed: no interval"
    return f"[{signed(lo)}, {signed(hi)}]"


VERDICT = {"gain": "the interval lies above zero", "loss": "the interval lies below zero",
           "unresolved": "the interval contains zero"}


def _verdict(p: dict) -> str:
    """``interval_verdict`` with "one seed" where there is no interval."""
    return "one seed" if len(p["seeds"]) < 2 else interval_verdict(p)


# ------------------------------------------------------------------ the test set's own noise
def eval_sd(acc: float, n: int) -> float:
    """The binomial standard deviation (points) of a top-1 accuracy ``acc`` (%) measured on ``n`` images."""
    p = min(max(acc / 100.0, 0.0), 1.0)
    return 100.0 * math.sqrt(p * (1.0 - p) / n)


def noise_band(accs, n: int) -> float:
    """Half-width (points) of the 95 % band of a sum or difference of the accuracies ``accs``, each measured on ``n``
    test images, their sampling noise treated as independent: Z95 * sqrt(sum of binomial variances). Models scored
    on the same images err on many of the same ones, so the true noise of their difference is smaller: a difference
    inside this band is "within the test set's noise" by a generous margin."""
    return Z95 * math.sqrt(sum(eval_sd(a, n) ** 2 for a in accs))


def _noise_words(d: float, band: float) -> str:
    return f"within the test set's noise (±{num(band)})" if abs(d) <= band else f"beyond the test set's noise (±{num(band)})"


# ------------------------------------------------------------------ section 2: the live ablation
def run_times(finetune_s: dict, reloaded: dict, device: str, now: dict | None = None) -> str:
    """``finetune_s``: {variant: fine-tuning wall seconds measured when the run was computed (the sum of its
    history's per-epoch seconds, test evaluations excluded)}; ``reloaded``: {variant: True when this execution
    reloaded the finished run from the cache instead of training it}; ``now``: {variant: the run's ``times_s`` of
    this execution, for the runs computed now} (how its seconds split between fine-tuning, test evaluation and the
    validation split)."""
    lo, hi = min(finetune_s.values()), max(finetune_s.values())
    secs = f"fine-tuning took {num(lo, 0)} to {num(hi, 0)} s per run (wall seconds, test evaluations excluded)"
    n, back = len(reloaded), [v for v, r in reloaded.items() if r]
    if not back:
        out = f"All {n} runs were computed in this execution, on {device}: {secs}."
    elif len(back) == n:
        out = (f"All {n} runs were finished before this execution (by an earlier one, or shipped with synq_nb: the lines "
               "above say which) and were reloaded: this execution trained and evaluated nothing (the accuracies are the ones recorded when the runs were "
               f"computed). The table's seconds were measured then: {secs}.")
    else:
        made = [v for v in reloaded if not reloaded[v]]
        out = (f"{len(made)} of the {n} runs were computed in this execution ({_list(made)}), {len(back)} finished before "
               f"and reloaded ({_list(back)}); the table's seconds are each run's own, measured when it was computed: "
               f"{secs}.")
    if now:
        tot = {k: sum(v for s, v in t.items() if s != "evaluation_during_finetune") for k, t in now.items()}
        part = lambda key: sum(t.get(key, 0.0) for t in now.values())  # noqa: E731
        ev, val, ft = part("evaluation"), part("validation"), part("finetune")
        rest = sum(tot.values()) - ev - val - ft
        out += (f" This execution spent {num(sum(tot.values()), 0)} s on the {len(now)} runs ({num(min(tot.values()), 0)} "
                f"to {num(max(tot.values()), 0)} s each): {num(ft, 0)} s fine-tuning, {num(ev, 0)} s evaluating the "
                f"test set (teacher, RTN and final, and any epochs in between), {num(val, 0)} s on the validation split "
                f"and {num(rest, 0)} s on the rest (loading, calibration).")
    return out


def live_verdicts(rtn: dict, final: dict, flags: dict, n: int, baseline: str = "baseline") -> dict:
    """``rtn``/``final``: {variant: test top-1 (%)} before and after fine-tuning, on ``n`` test images; ``flags``:
    {variant: (filter, CAM, soft labels)}. Every comparison is read against :func:`noise_band` of the values it
    compares. Returns ``vs_rtn`` ({variant: above/below/level} against its own RTN), ``vs_base`` (each other variant
    against the baseline's final), ``best_single`` (the single idea with the highest final), ``full`` (the variant
    with all three), ``full_vs_best``, ``lead`` ({variant whose RTN differs from the baseline's beyond noise:
    "widened"/"narrowed"/"kept"}: its final lead over the baseline against its RTN head start) and ``ties`` (pairs of
    variants whose finals lie within noise of each other)."""
    base = final[baseline]
    band = lambda *xs: noise_band(xs, n)  # noqa: E731
    singles = [k for k in final if sum(flags[k]) == 1]
    best = max(singles, key=final.get) if singles else None
    full = next((k for k in final if all(flags[k])), None)
    lead = {}
    for k in final:
        if k != baseline and _where(rtn[k], rtn[baseline], band(rtn[k], rtn[baseline])) != "level":
            d = (final[k] - rtn[k]) - (final[baseline] - rtn[baseline])
            b4 = band(final[k], rtn[k], final[baseline], rtn[baseline])
            lead[k] = "widened" if d > b4 else "narrowed" if d < -b4 else "kept"
    names = list(final)
    ties = [(a, b) for i, a in enumerate(names) for b in names[i + 1:] if abs(final[a] - final[b]) <= band(final[a], final[b])]
    return dict(vs_rtn={k: _where(final[k], rtn[k], band(final[k], rtn[k])) for k in final},
                vs_base={k: _where(final[k], base, band(final[k], base)) for k in final if k != baseline},
                best_single=best, full=full, lead=lead, ties=ties,
                full_vs_best=_where(final[full], final[best], band(final[full], final[best])) if full and best else None)


def _vs_base_text(name: str, d: float, final: float, band: float) -> str:
    ends = _verb(name, "ends", "end")
    w = "above" if d > 0 else "below"
    return f"{name} {ends} {num(abs(d))} points {w} the baseline ({num(final)} %), {_noise_words(d, band)}"


def live_ablation(rtn: dict, final: dict, flags: dict, fp: float, seed: int, iters: int, full_iters: int, n: int,
                  baseline: str = "baseline") -> str:
    """The live ablation's table read against the test set's noise: each idea against the baseline, each row against
    its own RTN start, the filter's head start at RTN against its final lead, the rows that noise cannot order, and
    the distance to full precision."""
    v = live_verdicts(rtn, final, flags, n, baseline)
    base = final[baseline]
    band = lambda *xs: noise_band(xs, n)  # noqa: E731
    out = [f"On seed {seed}, at {iters} iterations per epoch, the baseline ends at {num(base)} % (RTN "
           f"{num(rtn[baseline])} %). Each difference below is read against the test set's own noise: the 95 % band "
           f"of a difference of two accuracies measured on {n:,} test images (about ±{num(band(base, base))} points "
           f"near {num(base, 0)} %). This is one seed, and the seed moves a run by more than the test set does "
           "(the section on seeds measures it)."]
    best = v["best_single"]
    if best:
        g = final[best] - base
        if v["vs_base"][best] == "above":
            out.append(f"The single idea with the largest gain is {_row(flags[best])}: {num(final[best])} %, "
                       f"{signed(g)} points over the baseline, {_noise_words(g, band(final[best], base))}.")
        else:
            out.append(f"No single idea ends above the baseline beyond noise; the best of them, {_row(flags[best])}, "
                       f"ends at {num(final[best])} % ({signed(g)} points, {_noise_words(g, band(final[best], base))}).")
        others = [k for k in final if sum(flags[k]) == 1 and k != best]
        if others:
            out.append(_cap("; ".join(_vs_base_text(_row(flags[k]), final[k] - base, final[k], band(final[k], base))
                                      for k in others)) + ".")
    full = v["full"]
    if full:
        text = f"All three together end at {num(final[full])} %, {signed(final[full] - base)} points against the baseline"
        if best:
            d = final[full] - final[best]
            text += (f" and {signed(d)} against the best single idea: "
                     + {"above": "above it", "below": "below it", "level": "level with it"}[v["full_vs_best"]]
                     + f", {_noise_words(d, band(final[full], final[best]))}")
        out.append(text + ".")
    moves = "; ".join(f"{_row(flags[k])} {signed(final[k] - rtn[k])}" for k in final)
    para2 = [f"Against its own starting point (RTN, before the first fine-tuning step): {moves}."]
    below = [k for k in final if v["vs_rtn"][k] == "below"]
    above = [k for k in final if v["vs_rtn"][k] == "above"]
    level = [k for k in final if v["vs_rtn"][k] == "level"]
    if below:
        para2.append(f"{_cap(_list(_row(flags[k]) for k in below))} ended below {'its' if len(below) == 1 else 'their'} "
                     "RTN start beyond noise: at this budget, fine-tuning lost accuracy there.")
    if above:
        para2.append(f"{_cap(_list(_row(flags[k]) for k in above))} rose beyond noise.")
    if level:
        para2.append(f"For {_list(_row(flags[k]) for k in level)} the change lies within the test set's noise: this run "
                     "cannot say whether fine-tuning helped or harmed there.")
    for k, how in v["lead"].items():
        head, gain = rtn[k] - rtn[baseline], final[k] - base
        b4 = band(final[k], rtn[k], base, rtn[baseline])
        calibrated = ", calibrated on filtered images," if flags[k][0] else ""
        name = _row(flags[k])
        s = (f"{_cap(name)}{calibrated} {_verb(name, 'starts', 'start')} {num(abs(head))} points "
             f"{'above' if head > 0 else 'below'} the baseline's RTN ({num(rtn[k])} % against {num(rtn[baseline])} %); "
             f"after fine-tuning {_verb(name, 'it ends', 'they end')} {signed(gain)} points from the baseline")
        if how == "narrowed":
            s += (f", {num(head - gain)} less than that head start (noise ±{num(b4)}): fine-tuning gained less with it "
                  "than without, and all of its final lead was there before the first fine-tuning step.")
        elif how == "widened":
            s += f", {num(gain - head)} more than that head start (noise ±{num(b4)}): fine-tuning added to it."
        else:
            s += (f", {signed(gain - head)} against that head start, within noise (±{num(b4)}): fine-tuning neither "
                  "widened nor narrowed it measurably.")
        para2.append(s)
    if v["ties"]:
        para2.append("Rows whose finals lie within noise of each other, which this run cannot order: "
                     + "; ".join(f"{_row(flags[a])} and {_row(flags[b])} ({num(abs(final[a] - final[b]))} apart)"
                                 for a, b in v["ties"]) + ".")
    top = max(final, key=final.get)
    para2.append(f"The full-precision teacher scores {num(fp)} %; the best row, {_row(flags[top])}, is "
                 f"{num(fp - final[top])} points short of it.")
    return (" ".join(out) + "\n\n" + " ".join(para2)
            + f"\n\nThis is one seed and {iters} of the preset's {full_iters} iterations per epoch: the next cells ask "
              "whether the full budget orders the rows the same way.")


def _pair_order(a: float, b: float, n: int) -> int:
    """+1 / -1 when ``a`` is above / below ``b`` beyond :func:`noise_band`, 0 within it."""
    d = a - b
    return 0 if abs(d) <= noise_band((a, b), n) else (1 if d > 0 else -1)


def budget_verdicts(live: dict, committed: dict | None, flags: dict, n_live: int, n_full: int,
                    baseline: str = "baseline") -> dict | None:
    """The live and the committed ranking of the same variants. ``same``: the two orders of the point values agree;
    ``moved``: variants whose place differs; per pair of variants, its order beyond noise at each budget (+1, -1 or 0
    within :func:`noise_band`): ``agree`` (ordered the same way at both), ``reversed`` (opposite ways at both),
    ``live_only`` / ``full_only`` (ordered at one budget, within noise at the other), ``ties`` (within noise at both).
    None when a committed value is missing."""
    if not committed or any(committed.get(k) is None or math.isnan(committed[k]) for k in live):
        return None
    rl = sorted(live, key=lambda k: -live[k])
    rc = sorted(live, key=lambda k: -committed[k])
    moved = [k for k in live if rl.index(k) != rc.index(k)]
    names = list(live)
    groups = dict(agree=[], reversed=[], live_only=[], full_only=[], ties=[])
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ol, oc = _pair_order(live[a], live[b], n_live), _pair_order(committed[a], committed[b], n_full)
            key = ("ties" if ol == oc == 0 else "live_only" if oc == 0 else "full_only" if ol == 0 else
                   "agree" if ol == oc else "reversed")
            groups[key].append((a, b))
    return dict(same=rl == rc, live=rl, committed=rc, moved=moved, pairs=len(names) * (len(names) - 1) // 2, **groups)


def budget_ranking(live: dict, committed: dict | None, flags: dict, iters: int, full_iters: int, seed: int,
                   n_live: int, n_full: int, baseline: str = "baseline") -> str:
    """The live ranking (``iters`` per epoch) against the committed one (``full_iters``) on the same seed, pair by
    pair, each pair's order read against the test set's noise at each budget."""
    v = budget_verdicts(live, committed, flags, n_live, n_full, baseline)
    if v is None:
        return (f"The committed ablation has no run of every row at this setting (seed {seed}): the two budgets are "
                "not compared here.")
    gains = "; ".join(f"{_row(flags[k])} {signed(live[k] - live[baseline])} → "
                      f"{signed(committed[k] - committed[baseline])}" for k in live if k != baseline)
    out = [f"Gains over the baseline of the same seed, {iters} → {full_iters} iterations per epoch: {gains}."]
    if v["same"]:
        out.append(f"By the point values both budgets order the {len(live)} rows the same way.")
    else:
        moves = [f"{_row(flags[k])} {_ord(v['live'].index(k) + 1)} → {_ord(v['committed'].index(k) + 1)}"
                 for k in v["moved"]]
        out.append(f"By the point values the rankings differ: {'; '.join(moves)}.")
    pair = lambda a, b, d: f"{_row(flags[a])} and {_row(flags[b])} ({signed(d[a] - d[b])})"  # noqa: E731
    out.append(f"Read against the test set's noise at each budget (the 95 % band of each difference, about "
               f"±{num(noise_band((live[baseline],) * 2, n_live), 1)} points here), {len(v['agree'])} of the "
               f"{v['pairs']} pairs of rows are ordered beyond noise at both budgets"
               + (", all the same way." if not v["reversed"] else "; of them, the ones below reverse."))
    if v["reversed"]:
        out.append("Ordered in opposite directions beyond noise at the two budgets: "
                   + "; ".join(f"{pair(a, b, live)} live, {signed(committed[a] - committed[b])} committed"
                               for a, b in v["reversed"]) + ". On this seed the budget changed their order.")
    if v["live_only"]:
        out.append(f"Ordered only at {iters} iterations per epoch, within noise at {full_iters}: "
                   + "; ".join(f"{pair(a, b, live)} live, {signed(committed[a] - committed[b])} committed"
                               for a, b in v["live_only"]) + ".")
    if v["full_only"]:
        out.append(f"Ordered only at {full_iters}, within noise at {iters}: "
                   + "; ".join(f"{pair(a, b, committed)} committed, {signed(live[a] - live[b])} live"
                               for a, b in v["full_only"]) + ".")
    if v["ties"]:
        out.append("Within noise at both budgets: " + "; ".join(
            f"{_row(flags[a])} and {_row(flags[b])}" for a, b in v["ties"]) + ".")
    if not v["reversed"]:
        out.append("No pair is ordered one way at one budget and the other way at the other beyond noise: where the "
                   "point rankings differ, the rows lie within noise of each other at one budget or both, and one seed "
                   "cannot order them. The pairs that kept their order lie many times the noise apart at both "
                   "budgets, too far for it to move them, so their keeping their places is no evidence for any of "
                   "the three reasons above.")
    return " ".join(out)


# ------------------------------------------------------------------ section 3: false positives by simulation
def false_positives(rule: dict, interval: dict, trials: int) -> str:
    """``rule``/``interval``: {number of seeds: share of simulated zero-effect comparisons called an effect} by the
    spread rule and by the 95 % t interval, over ``trials`` simulations each."""
    ns = sorted(set(rule) & set(interval))
    se = math.sqrt(NOMINAL * (1 - NOMINAL) / trials)
    pct = lambda x: f"{100 * x:.1f} %"  # noqa: E731
    out = [f"Over {trials:,} simulated comparisons with no true effect for each number of seeds, the spread rule "
           "says \"beyond the spread\" in " + _list(f"{pct(rule[n])} with {n} seeds" for n in ns)
           + "; the 95 % t interval excludes zero in " + _list(f"{pct(interval[n])} with {n}" for n in ns) + "."]
    off = [n for n in ns if abs(interval[n] - NOMINAL) > SE_BAND * se]
    if not off:
        out.append(f"The interval keeps the {pct(NOMINAL)} it promises at every number of seeds (within "
                   f"{SE_BAND:g} simulation standard errors, ±{100 * SE_BAND * se:.1f} points).")
    else:
        out.append(f"The interval's rate is off its nominal {pct(NOMINAL)} with {_list(f'{n} seeds' for n in off)} "
                   f"(more than {SE_BAND:g} simulation standard errors, ±{100 * SE_BAND * se:.1f} points): the "
                   "simulation or the t factors need a look.")
    worse = [n for n in ns if rule[n] - interval[n] > SE_BAND * math.sqrt(2) * se]
    close = [n for n in ns if n not in worse]
    if worse:
        out.append("The spread rule calls a zero effect real "
                   + _list(f"{rule[n] / interval[n]:.1f} times as often as the interval with {n} seeds" for n in worse)
                   + ".")
    if close:
        out.append(f"With {_list(close)} seeds the two rates are close ("
                   + "; ".join(f"{pct(rule[n])} against {pct(interval[n])}" for n in close)
                   + "): with enough seeds, asking every seed to agree in sign makes the rule strict.")
    return " ".join(out)


# ------------------------------------------------------------------ section 3: the committed ablation across seeds
def _unpaired_sd(a: dict, b: dict, seeds) -> float:
    return math.sqrt(_sd([a[s] for s in seeds]) ** 2 + _sd([b[s] for s in seeds]) ** 2)


def seed_verdicts(abl: dict, baseline=BASELINE) -> dict:
    """Per combination other than the baseline: its paired comparison ``p``, the unpaired spread of a difference
    (sqrt(s_c^2 + s_0^2)), ``shared`` (s_d below SHARED of it) and the interval's ``verdict``; plus ``filter_std``
    ("every", "on average" or "not": do the rows with the filter spread less over seeds than those without)."""
    rows = {}
    for c in ablation_order(abl):
        if c == baseline:
            continue
        p = paired(abl[c], abl[baseline])
        if len(p["seeds"]) < 2:
            continue
        unp = _unpaired_sd(abl[c], abl[baseline], p["seeds"])
        rows[c] = dict(p=p, unpaired_sd=unp, shared=p["std"] < SHARED * unp, verdict=interval_verdict(p),
                       row_sd=_sd(list(abl[c].values())))
    f_sd = [_sd(list(abl[c].values())) for c in abl if c[0] and len(abl[c]) > 1]
    n_sd = [_sd(list(abl[c].values())) for c in abl if not c[0] and len(abl[c]) > 1]
    if f_sd and n_sd:
        filt = ("every" if max(f_sd) < min(n_sd) else "on average" if statistics.fmean(f_sd) < statistics.fmean(n_sd)
                else "not")
    else:
        filt = None
    return dict(rows=rows, filter_std=filt, f_sd=f_sd, n_sd=n_sd)


def swings(abl: dict, baseline=BASELINE) -> dict | None:
    """With exactly two seeds shared by every row: {combination: x(second seed) - x(first seed)}, the one number
    that is each row's seed effect; None otherwise."""
    seeds = set.intersection(*(set(v) for v in abl.values())) if abl else set()
    if len(seeds) != 2 or any(len(v) != 2 for v in abl.values()):
        return None
    s0, s1 = sorted(seeds)
    return {c: abl[c][s1] - abl[c][s0] for c in abl}


def seed_table(abl: dict, baseline=BASELINE) -> str:
    """The committed ablation's seed table and figure read: the prediction for soft labels alone, where pairing
    removed the spread and where it could not (with two seeds: each row's swing from one seed to the other), how
    seed-sensitive the rows with the filter are, and the intervals."""
    v = seed_verdicts(abl, baseline)
    rows = v["rows"]
    if not rows:
        return "The committed ablation holds fewer than two seeds per row: nothing to pair over seeds."
    out = []
    if SOFT in rows:
        p = rows[SOFT]["p"]
        smaller = abs(p["unpaired"]) < p["spread"]
        out.append(f"Soft labels alone, the prediction: the unpaired gain (the difference of the two means) is "
                   f"{signed(p['unpaired'])} points, {'smaller' if smaller else 'larger'} than the larger of the two "
                   f"rows' seed-to-seed stds ({num(p['spread'])}); the paired differences are {_each(p['diffs'])} "
                   f"({_signs(p['diffs'])}), with std {num(p['std'])}.")
        if smaller and _signs(p["diffs"]) != "of both signs":
            out.append("Read unpaired, the gain hides inside the seed spread; paired, the shared seed effect cancels "
                       "and every seed shows a difference of the same sign.")
    base_sd = _sd(list(abl[baseline].values()))
    shared = [c for c, r in rows.items() if r["shared"]]
    other = [c for c, r in rows.items() if not r["shared"]]
    sw = swings(abl, baseline)
    para = ["Without pairing, the spread of a difference of two rows is $\\sqrt{s_c^2 + s_0^2}$; paired, it is $s_d$."]
    spread = lambda c: f"{_row(c)} ({num(rows[c]['unpaired_sd'])} → {num(rows[c]['p']['std'])}"  # noqa: E731
    if sw is not None:
        s0, s1 = sorted(set.intersection(*(set(x) for x in abl.values())))
        para.append(f"With two seeds, each row's seed effect is one number, its change from seed {s0} to seed {s1}: "
                    f"the baseline's is {signed(sw[baseline])}.")
        if shared:
            para.append("Pairing removed most of the spread for " + _list(f"{spread(c)}; change {signed(sw[c])})"
                                                                          for c in shared)
                        + ": their change is close to the baseline's, so their paired differences barely move.")
        if other:
            para.append("It removed less for " + _list(f"{spread(c)}; change {signed(sw[c])})" for c in other)
                        + ": their change differs more from the baseline's, and the paired differences keep the rest.")
        same_dir = all(x * sw[baseline] > 0 for x in sw.values())
        para.append(("Every row moves in the baseline's direction from one seed to the other; what differs is the size "
                     "of the move." if same_dir else
                     "Not every row moves in the baseline's direction from one seed to the other.")
                    + " With two seeds any two rows correlate perfectly, +1 or -1, so a correlation says nothing here: "
                      "pairing helps as much as the two changes agree in size.")
    else:
        if shared:
            para.append("Pairing removed most of it for " + _list(f"{spread(c)})" for c in shared)
                        + ": these rows share most of the baseline's movement over seeds, the shared seed effect $u_s$.")
        if other:
            para.append("It removed less for " + _list(f"{spread(c)})" for c in other) + ".")
            if all(rows[c]["row_sd"] < base_sd for c in other):
                para.append(f"Each of them spreads less over seeds than the baseline (std "
                            f"{_vals(rows[c]['row_sd'] for c in other)} against {num(base_sd)}), so their paired "
                            "differences inherit the baseline's own swing: pairing cancels only the part of the seed "
                            "effect that two rows share.")
            else:
                para.append("Their seed effect is not the baseline's: pairing cancels only the part of the seed effect "
                            "that two rows share.")
    out.append(" ".join(para))
    n = min(len(r["p"]["seeds"]) for r in rows.values())
    dof = f"with {n} seeds each std rests on {n - 1} degree{'s' if n > 2 else ''} of freedom"
    rng = lambda xs: f"{num(min(xs))}-{num(max(xs))}"  # noqa: E731
    if v["filter_std"] == "every":
        out.append(f"Every row with the filter spreads less over seeds (std {rng(v['f_sd'])}) than every row without "
                   f"it ({rng(v['n_sd'])}); {dof}.")
    elif v["filter_std"] == "on average":
        out.append(f"The rows with the filter spread less over seeds on average (mean std "
                   f"{num(statistics.fmean(v['f_sd']))} against {num(statistics.fmean(v['n_sd']))}), but not every one "
                   f"of them (std {rng(v['f_sd'])} with the filter, {rng(v['n_sd'])} without); {dof}.")
    elif v["filter_std"] == "not":
        out.append(f"The rows with the filter do not spread less over seeds than those without (mean std "
                   f"{num(statistics.fmean(v['f_sd']))} against {num(statistics.fmean(v['n_sd']))}); {dof}.")
    resolved = [c for c, r in rows.items() if r["verdict"] != "unresolved"]
    t = T975[n - 2]
    narrow = min(rows, key=lambda c: t_interval(rows[c]["p"]["diffs"])[1] - t_interval(rows[c]["p"]["diffs"])[0])
    if not resolved:
        out.append(f"With {n} seeds the interval's half-width is $t_{{0.975,{n - 1}}}$ = {t} times $s_d/\\sqrt{{{n}}}$: "
                   f"none of the {len(rows)} rows' intervals excludes zero; the narrowest, {_row(narrow)}, is "
                   f"{_interval(rows[narrow]['p'])}. These seeds resolve no single row of the ablation, however "
                   "consistent the paired differences look.")
    else:
        out.append(f"With {n} seeds ($t_{{0.975,{n - 1}}}$ = {t}) the intervals of "
                   + _list(f"{_row(c)} {_interval(rows[c]['p'])}" for c in resolved) + " exclude zero; those of "
                   + _list(_row(c) for c in rows if c not in resolved) + " contain it.")
    return "\n\n".join(out)


def _interaction_pair(abl: dict, a, b, baseline=BASELINE):
    ab = tuple(x | y for x, y in zip(a, b))
    if not all(k in abl for k in (a, b, ab, baseline)):
        return None
    seeds = set(abl[a]) & set(abl[b]) & set(abl[ab]) & set(abl[baseline])
    together = {s: abl[ab][s] + abl[baseline][s] for s in seeds}   # I = (x_AB - x_0) - (x_A - x_0) - (x_B - x_0)
    apart = {s: abl[a][s] + abl[b][s] for s in seeds}
    return together, apart


def interaction_verdicts(abl: dict, baseline=BASELINE) -> dict:
    """{(A, B): interval verdict of I_AB over seeds} and ``"best pair"``: (the pair with the largest paired gain,
    verdict of all three minus it)."""
    out = {}
    for a, b in PAIRS:
        pr = _interaction_pair(abl, a, b, baseline)
        if pr and pr[0]:
            out[(a, b)] = interval_verdict(paired(*pr))
    pairs = [c for c in abl if sum(c) == 2]
    if pairs and SYNQ in abl:
        best = max(pairs, key=lambda c: paired(abl[c], abl[baseline])["mean"])
        out["best pair"] = (best, interval_verdict(paired(abl[SYNQ], abl[best])))
    return out


def interactions(abl: dict, baseline=BASELINE) -> str:
    """The three interactions I_AB with their per-seed values and 95 % t intervals, and all three against the best
    pair."""
    out = []
    meaning = {"loss": "the pair gains less than the sum of its members: the two ideas partly repair the same defect",
               "gain": "the pair gains more than the sum: each idea makes the other more useful"}
    for a, b in PAIRS:
        pr = _interaction_pair(abl, a, b, baseline)
        if not pr or not pr[0]:
            continue
        p = paired(*pr)
        v = interval_verdict(p)
        s = "- " + paired_sentence(*pr, what=f"$I$ for {combo_name(a)} and {combo_name(b)}")
        if v in meaning:
            s += f"; {meaning[v]}."
        elif len(p["seeds"]) > 1:
            word = "less" if p["mean"] < 0 else "more"
            s += (f". The estimate says the pair gains {word} than the sum of its members; these seeds cannot tell "
                  "that from no interaction.")
        else:
            s += "."
        out.append(s)
    v = interaction_verdicts(abl, baseline)
    if "best pair" in v:
        best, verdict = v["best pair"]
        p = paired(abl[SYNQ], abl[best])
        s = paired_sentence(abl[SYNQ], abl[best], what=f"All three minus the best pair ({combo_name(best)})")
        side = _signs(p["diffs"])
        out.append(f"\n{s}. The difference is {side}" + (
            "; all three beat every pair in the point estimates, and "
            + ("the interval confirms it." if verdict == "gain" else "the interval does not yet confirm it.")
            if side == "positive on every seed" else "; the full method does not beat the best pair on every seed."))
    if not out:
        return "The committed ablation lacks the rows an interaction needs."
    return "\n".join(out)


def paper_verdicts(abl: dict, paper: dict = PAPER_ABLATION, baseline=BASELINE) -> dict | None:
    """The ablation's pattern against the paper's: ``singles`` (ours and the paper's order of the single ideas by
    gain, and whether they agree), ``signs`` ({pair: (our I, the paper's I)}) and ``same_signs``. None without the
    rows."""
    singles = [c for c in (FILTER, CAM, SOFT) if c in abl and c in paper]
    if len(singles) < 2 or baseline not in abl:
        return None
    ours = {c: paired(abl[c], abl[baseline])["mean"] for c in abl}
    theirs = {c: paper[c] - paper[baseline] for c in paper}
    o_order = sorted(singles, key=lambda c: -ours[c])
    p_order = sorted(singles, key=lambda c: -theirs[c])
    inter = {}
    for a, b in PAIRS:
        ab = tuple(x | y for x, y in zip(a, b))
        if all(k in abl for k in (a, b, ab)):
            inter[(a, b)] = (ours[ab] - ours[a] - ours[b], theirs[ab] - theirs[a] - theirs[b])
    return dict(ours=ours, theirs=theirs, ours_order=o_order, paper_order=p_order, same_order=o_order == p_order,
                inter=inter, same_signs=all((x > 0) == (y > 0) for x, y in inter.values()))


def paper_comparison(abl: dict, paper: dict = PAPER_ABLATION, baseline=BASELINE) -> str:
    """The committed ablation's pattern (means over its seeds) against the paper's ResNet-18 ImageNet ablation."""
    v = paper_verdicts(abl, paper, baseline)
    if v is None:
        return "The committed ablation lacks the single-idea rows: no comparison with the paper's pattern."
    ours, theirs = v["ours"], v["theirs"]
    seeds = sorted(set.intersection(*(set(abl[c]) for c in abl)))
    order = lambda cs: " > ".join(combo_name(c) for c in cs)  # noqa: E731
    out = [f"The paper's own ablation is ResNet-18 on ImageNet at W3A3, another model and data set: only the pattern "
           f"compares, not the sizes. Alone, the ideas gain "
           + _list(f"{signed(theirs[c])} ({combo_name(c)})" for c in (FILTER, CAM, SOFT) if c in theirs)
           + " there; " + _list(signed(ours[c]) for c in (FILTER, CAM, SOFT) if c in ours)
           + f" here (means over seeds {_seeds(seeds)}): "
           + (f"the same order, {order(v['ours_order'])}." if v["same_order"] else
              f"a different order: {order(v['paper_order'])} there, {order(v['ours_order'])} here.")]
    if v["inter"]:
        ks = list(v["inter"])
        p_signs = {x[1] < 0 for x in v["inter"].values()}
        p_word = (", all negative" if p_signs == {True} else ", all positive" if p_signs == {False} else "")
        out.append(f"The paper's interactions are "
                   + _list(f"{signed(v['inter'][k][1])} ({combo_name(k[0])} and {combo_name(k[1])})" for k in ks)
                   + f"{p_word}; ours are {_list(signed(v['inter'][k][0]) for k in ks)}: "
                   + ("the same signs." if v["same_signs"] else
                      "different signs for " + _list(f"{combo_name(k[0])} and {combo_name(k[1])}" for k in ks
                                                     if (v["inter"][k][0] > 0) != (v["inter"][k][1] > 0)) + "."))
    out.append("None of our rows or interactions is resolved by its interval (above), and the paper's numbers are "
               "quoted here without a spread: both patterns are point estimates, and where they agree or differ, "
               "neither is measured beyond its noise.")
    return " ".join(out)


def on_top_of_cam(abl: dict) -> str:
    """Soft labels on top of CAM (paired against CAM alone) on each seed; the filter on top of CAM; soft labels over
    the baseline, for contrast, and the interaction that contrast would point to."""
    cam_filt = (1, 1, 0)
    if CAM not in abl or CAM_SOFT not in abl:
        return "The committed ablation lacks the CAM rows: nothing to read."
    p = paired(abl[CAM_SOFT], abl[CAM])
    each = "; ".join(f"seed {s}: {signed(d)}" for s, d in zip(p["seeds"], p["diffs"]))
    out = [f"Soft labels on top of CAM, per seed ({each}): the differences are {_signs(p['diffs'])}."]
    if _signs(p["diffs"]) == "of both signs":
        hi = max(zip(p["diffs"], p["seeds"]))
        lo = min(zip(p["diffs"], p["seeds"]))
        out.append(f"Someone who ran only seed {hi[1]} would have reported that soft labels add {num(hi[0])} points on "
                   f"top of CAM; someone who ran only seed {lo[1]} that they cost {num(-lo[0])}. Both would be "
                   f"describing one draw of the seed; the mean is {signed(p['mean'])} with 95 % t interval "
                   f"{_interval(p)}.")
    else:
        out.append(f"Here every seed agrees in sign, so this comparison does not show one seed misleading; its 95 % "
                   f"t interval is {_interval(p)}.")
    if cam_filt in abl:
        q = paired(abl[cam_filt], abl[CAM])
        word = {"positive on every seed": "lifts every seed", "negative on every seed": "lowers every seed"}.get(
            _signs(q["diffs"]), "moves the seeds in opposite directions")
        out.append(f"Adding the filter on top of CAM {word} ({_each(q['diffs'])}).")
    if SOFT in abl and BASELINE in abl:
        r = paired(abl[SOFT], abl[BASELINE])
        agree = _signs(r["diffs"]) != "of both signs"
        text = f"Soft labels over the baseline give {_each(r['diffs'])}, {_signs(r['diffs'])}"
        pr = _interaction_pair(abl, CAM, SOFT)
        if agree and _signs(p["diffs"]) == "of both signs" and pr and len(pr[0]) > 1:
            i = paired(*pr)
            text += (f": the sign pattern differs between the two comparisons, but the interaction it would point to "
                     f"($I$ for CAM and soft labels, {signed(i['mean'])}, 95 % t interval {_interval(i)}) is "
                     + ("unresolved" if interval_verdict(i) == "unresolved" else "resolved")
                     + ". What two seeds do show is that one seed's sign is not to be trusted: each comparison needs "
                       "its own pairs and its own interval.")
        else:
            text += "."
        out.append(text)
    return " ".join(out)


# ------------------------------------------------------------------ section 3: CAM on more seeds
def _cfg(run: dict) -> dict:
    return {**ADDED_LATER, **run.get("config", {})}


def config_diff(a: dict, b: dict, ignore=("seed", "eval_every", "eval_limit", "device")) -> set:
    """The configuration keys in which runs ``a`` and ``b`` differ (``ADDED_LATER`` defaults filled in), ``ignore``
    left out."""
    ca, cb = _cfg(a), _cfg(b)
    return {k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k)} - set(ignore)


def cam_verdicts(abl: dict, confirm_runs) -> dict | None:
    """CAM on top of the filter and soft labels: ``ablation`` (all three minus filter + soft labels on the
    ablation's seeds), ``fresh`` (``cpu`` minus ``cpu-cam-off`` on the confirm set's seeds), ``pooled`` (both, on
    their union of seeds: the same contrast on different seeds), each a :func:`paired` dict or None; ``cpu_ft``:
    mean fine-tuning CPU seconds of (``cpu``, ``cpu-cam-off``) on the fresh seeds or None."""
    a = paired(abl[SYNQ], abl[FILTER_SOFT]) if SYNQ in abl and FILTER_SOFT in abl else None
    top = by_lever(confirm_runs or [], bits=3)
    f = paired(top[CPU], top[CAM_OFF]) if CPU in top and CAM_OFF in top else None
    a = a if a and a["seeds"] else None
    f = f if f and f["seeds"] else None
    if a is None and f is None:
        return None
    pooled = None
    if a and f and not set(a["seeds"]) & set(f["seeds"]):
        on = {**{s: abl[SYNQ][s] for s in a["seeds"]}, **{s: top[CPU][s] for s in f["seeds"]}}
        off = {**{s: abl[FILTER_SOFT][s] for s in a["seeds"]}, **{s: top[CAM_OFF][s] for s in f["seeds"]}}
        pooled = paired(on, off)
    cpu_ft = None
    if f:
        runs = {k: {r["seed"]: r for r in confirm_runs if r.get("w_bits") == 3 and lever_name(r) == k}
                for k in (CPU, CAM_OFF)}
        ft = {k: [runs[k][s]["cpu_s"]["finetune"] for s in f["seeds"] if "cpu_s" in runs[k].get(s, {})] for k in runs}
        if all(len(x) == len(f["seeds"]) for x in ft.values()):
            cpu_ft = (statistics.fmean(ft[CPU]), statistics.fmean(ft[CAM_OFF]))
    return dict(ablation=a, fresh=f, pooled=pooled, cpu_ft=cpu_ft)


def cam_seeds(abl: dict, confirm_runs) -> str:
    """CAM on top of the filter and soft labels: the ablation's two seeds, the fresh seeds of the confirm set, and
    the two pooled (the same contrast at the same settings, seeds apart), with the fine-tuning CPU seconds CAM costs."""
    v = cam_verdicts(abl, confirm_runs)
    if v is None:
        return ("The rows this needs (all three and filter + soft labels in the ablation, `cpu` and `cpu-cam-off` in "
                f"`results/runs/confirm`) are {NOT_IN_CHECKOUT}.")
    out = []
    if v["ablation"]:
        a = v["ablation"]
        out.append("In the committed ablation, " + paired_sentence(
            {s: abl[SYNQ][s] for s in a["seeds"]}, {s: abl[FILTER_SOFT][s] for s in a["seeds"]},
            what="CAM on top of the filter and soft labels (all three minus filter + soft labels)") + ".")
    if v["fresh"]:
        top = by_lever(confirm_runs, bits=3)
        out.append("The confirm set ran the same contrast on fresh seeds, `cpu` (SynQ as published) against `cpu` with "
                   "CAM switched off, each pair sharing its seed's synthetic set: "
                   + paired_sentence(top[CPU], top[CAM_OFF], what="the difference") + ".")
    else:
        out.append(f"The fresh-seed runs with CAM off (`results/runs/confirm`, `cpu-cam-off`) are {NOT_IN_CHECKOUT}.")
    p = v["pooled"]
    if p:
        seeds = p["seeds"]
        verdict = interval_verdict(p)
        out.append(f"The two are one comparison, the same settings apart from the seed (the checks cell compares the "
                   f"configurations key by key), on different seeds, so they pool: over seeds {_seeds(seeds)} the mean "
                   f"is {signed(p['mean'])} points (95 % t interval {_interval(p)}, $t_{{0.975,{len(seeds) - 1}}}$ = "
                   f"{T975[len(seeds) - 2]}): {VERDICT[verdict]}."
                   + {"gain": f" {len(seeds)} seeds resolve what neither group resolves alone: CAM adds to the "
                              "other two ideas at this budget.",
                      "loss": f" {len(seeds)} seeds resolve it as a loss: at this budget CAM lowers the result of the "
                              "other two ideas.",
                      "unresolved": f" Even {len(seeds)} seeds do not resolve CAM's effect on top of the other two "
                                    "ideas."}[verdict])
    if v["cpu_ft"]:
        on, off = v["cpu_ft"]
        out.append(f"What CAM costs: fine-tuning took {num(on, 0)} CPU seconds per run with it and {num(off, 0)} "
                   f"without ({on / off:.2f}x; fresh seeds, one process each). These CPU seconds, not the wall seconds "
                   "of the live table, are the measure of cost.")
    return " ".join(out)


# ------------------------------------------------------------------ section 3: what the filter does
def filter_verdicts(abl: dict, abl_rtn: dict, calib_runs=None, main_final: dict | None = None,
                    baseline=BASELINE) -> dict | None:
    """The filter alone against the baseline at the full budget: ``head``/``lead`` ({seed: RTN head start, final
    lead}), ``ft`` (paired: fine-tuning gain, final - RTN, with the filter minus without). With the ``calib`` runs
    (SynQ calibrated on raw images, fine-tuned on filtered ones): ``calib`` ({seed: (RTN, final)}), ``cal`` (SynQ as
    published minus them, paired over ``main_final``'s seeds), ``inputs`` (them minus CAM + soft labels),
    ``whole`` (all three minus CAM + soft labels) and ``share`` (mean calibration part over mean whole effect on the
    seeds all three share). None without the filter rows."""
    if FILTER not in abl or baseline not in abl or FILTER not in abl_rtn or baseline not in abl_rtn:
        return None
    seeds = sorted(set(abl[FILTER]) & set(abl[baseline]) & set(abl_rtn[FILTER]) & set(abl_rtn[baseline]))
    if not seeds:
        return None
    head = {s: abl_rtn[FILTER][s] - abl_rtn[baseline][s] for s in seeds}
    lead = {s: abl[FILTER][s] - abl[baseline][s] for s in seeds}
    ft = paired({s: abl[FILTER][s] - abl_rtn[FILTER][s] for s in seeds},
                {s: abl[baseline][s] - abl_rtn[baseline][s] for s in seeds})
    smaller = [s for s in seeds if lead[s] < head[s]]
    out = dict(seeds=seeds, head=head, lead=lead, ft=ft, smaller="every" if len(smaller) == len(seeds) else
               "none" if not smaller else "some", calib=None, cal=None, inputs=None, whole=None, share=None)
    cal = {r["seed"]: (r["rtn_top1"], r["final_top1"]) for r in calib_runs or [] if r.get("w_bits") == 3}
    if cal:
        out["calib"] = dict(sorted(cal.items()))
        cal_final = {s: f for s, (_, f) in cal.items()}
        if main_final:
            p = paired(main_final, cal_final)
            out["cal"] = p if p["seeds"] else None
        if CAM_SOFT in abl:
            p = paired(cal_final, abl[CAM_SOFT])
            out["inputs"] = p if p["seeds"] else None
            if SYNQ in abl:
                w = paired(abl[SYNQ], abl[CAM_SOFT])
                out["whole"] = w if w["seeds"] else None
        if out["inputs"] and out["whole"] and main_final:
            common = sorted(set(out["inputs"]["seeds"]) & set(out["whole"]["seeds"]) & set(main_final))
            if common:
                cal_part = statistics.fmean(main_final[s] - cal_final[s] for s in common)
                whole = statistics.fmean(abl[SYNQ][s] - abl[CAM_SOFT][s] for s in common)
                out["share"] = (cal_part, whole, common)
    return out


def filter_split(abl: dict, abl_rtn: dict, calib_runs=None, main_final: dict | None = None,
                 main_rtn: dict | None = None, baseline=BASELINE) -> str:
    """What the filter does, read on the committed runs: the filter alone's RTN head start against its final lead
    and the fine-tuning gain with it against without; then the control that separates calibration on filtered
    images from fine-tuning on them (``calib_runs``, 0 to 3 seeds), paired against SynQ as published
    (``main_final``, {seed: top-1}; ``main_rtn``: the baseline's RTN of the same seeds)."""
    v = filter_verdicts(abl, abl_rtn, calib_runs, main_final, baseline)
    if v is None:
        return "The committed ablation lacks the filter rows with their RTN accuracies: nothing to read."
    seeds = v["seeds"]
    per = "; ".join(f"seed {s}: {signed(v['head'][s])} at RTN, {signed(v['lead'][s])} final" for s in seeds)
    out = [f"At the full budget the filter alone against the baseline of the same seed ({per}): its final lead is "
           + {"every": "smaller than its RTN head start on every seed.",
              "some": "smaller than its RTN head start on some seeds only.",
              "none": "not smaller than its RTN head start on any seed."}[v["smaller"]]]
    ft = v["ft"]
    fr = {s: abl[FILTER][s] - abl_rtn[FILTER][s] for s in seeds}
    br = {s: abl[baseline][s] - abl_rtn[baseline][s] for s in seeds}
    out.append(f"Fine-tuning gained {_vals(fr.values())} points from RTN with the filter and {_vals(br.values())} "
               "without; " + paired_sentence(fr, br, what="with the filter minus without") + ".")
    verdict = _verdict(ft)
    if verdict == "loss":
        out.append("Fine-tuning gains less with the filter than without. A higher start leaves less room to climb, so "
                   "this contrast cannot say whether the filtered fine-tuning inputs themselves teach less"
                   + ("; what it does show is that all of the filter's final lead over the baseline was in place "
                      "before the first fine-tuning step." if v["smaller"] == "every" else "."))
    elif verdict == "gain":
        out.append("Fine-tuning gains more with the filter than without: the filter helps beyond its head start.")
    elif verdict == "unresolved":
        out.append("These seeds do not resolve whether fine-tuning gains more or less with the filter.")
    text = [" ".join(out)]
    if not v["calib"]:
        text.append("The control that separates the two, SynQ calibrated on raw images and fine-tuned on filtered ones "
                    f"(`results/runs/calib`), is {NOT_IN_CHECKOUT}: how much of the filter's gain is calibration and "
                    "how much the filtered fine-tuning inputs is not measured here.")
        return "\n\n".join(text)
    cal = v["calib"]
    cs = sorted(cal)
    part = [f"**The control.** SynQ calibrated on raw images, fine-tuned on filtered ones with CAM and soft labels "
            f"(`results/runs/calib`, seed{'s' if len(cs) > 1 else ''} {_seeds(cs)}): RTN {_vals(c[0] for c in cal.values())}, "
            f"final {_vals(c[1] for c in cal.values())}."]
    if main_rtn:
        same = [s for s in cs if s in main_rtn and abs(cal[s][0] - main_rtn[s]) < 1e-6]
        if len(same) == len([s for s in cs if s in main_rtn]) and same:
            part.append("Its RTN equals the baseline's of the same seed: the calibration is the same, raw images.")
    if v["cal"]:
        cal_final = {s: c[1] for s, c in cal.items()}
        part.append(paired_sentence(main_final, cal_final, what="SynQ as published minus it (calibration on filtered "
                                                                "images, everything else equal)") + ".")
    if v["inputs"]:
        cal_final = {s: c[1] for s, c in cal.items()}
        part.append(paired_sentence(cal_final, abl[CAM_SOFT], what="It minus CAM + soft labels of the ablation (the "
                                                                   "filtered fine-tuning inputs without filtered "
                                                                   "calibration)") + ".")
    if v["share"]:
        cal_part, whole, common = v["share"]
        one = len(common) == 1
        where = f"seed {common[0]} alone, no interval" if one else f"mean over seeds {_seeds(common)}"
        s = (f"Of the filter's {signed(whole)} on top of CAM and soft labels ({where}), calibration on filtered images "
             f"accounts for {signed(cal_part)} and the filtered fine-tuning inputs for {signed(whole - cal_part)}")
        if cal_part > whole:
            s += (": calibration is worth more than the whole filter, and fine-tuning on filtered images after a raw "
                  "calibration ends below not filtering at all.")
        elif cal_part >= whole / 2:
            s += ": most of the filter's gain is calibration."
        else:
            s += ": most of the filter's gain comes from fine-tuning on filtered images."
        part.append(s)
    if v["cal"]:
        cv = _verdict(v["cal"])
        part.append({"gain": "The calibration part is resolved as a gain over these seeds.",
                     "loss": "The calibration part is resolved as a loss over these seeds.",
                     "unresolved": "These seeds do not resolve the calibration part.",
                     "one seed": "One seed: an indication, without an interval, until the other seeds are "
                                 "committed."}[cv])
    text.append(" ".join(part))
    return "\n\n".join(text)


# ------------------------------------------------------------------ section 3: the main runs
def main_verdicts(groups: dict) -> dict:
    """``groups``: {bits: {combination: {seed: top-1}}}. Returns {bits: interval verdict of SynQ minus the
    baseline} over the bit-widths with at least two shared seeds."""
    out = {}
    for bits, g in groups.items():
        if BASELINE in g and SYNQ in g and len(set(g[BASELINE]) & set(g[SYNQ])) >= 2:
            out[bits] = interval_verdict(paired(g[SYNQ], g[BASELINE]))
    return out


def main_runs(groups: dict) -> str:
    """The main runs (three seeds): SynQ minus the baseline at each bit-width, paired, with each row's std reported
    (not compared: a std from three values rests on two degrees of freedom)."""
    if not groups:
        return f"The committed main runs (`results/runs/main`) are {NOT_IN_CHECKOUT}."
    v = main_verdicts(groups)
    out = []
    for bits in sorted(groups, reverse=True):
        g = groups[bits]
        if bits not in v:
            continue
        s = paired_sentence(g[SYNQ], g[BASELINE], what=f"At W{bits}A{bits}, SynQ minus the baseline")
        sb, sq_ = _sd(g[BASELINE].values()), _sd(g[SYNQ].values())
        out.append(f"- {s}. Seed-to-seed std: baseline {num(sb)}, SynQ {num(sq_)}.")
    if not out:
        return "The committed main runs hold fewer than two seeds per row at every bit-width."
    resolved = [b for b in v if v[b] == "gain"]
    n = min(len(set(groups[b][BASELINE]) & set(groups[b][SYNQ])) for b in v)
    tail = (f"With {n} seeds ($t_{{0.975,{n - 1}}}$ = {T975[n - 2]}) the interval is narrow enough to resolve SynQ's "
            "gain at " + _list(f"W{b}A{b}" for b in sorted(resolved, reverse=True)) + "."
            if resolved else f"Not even {n} seeds resolve SynQ's gain here.")
    stds = (f" The stds are reported, not compared: each rests on {n - 1} degree{'s' if n > 2 else ''} of freedom, and "
            "two stds from so few seeds can differ by a large factor by chance alone.")
    return "\n".join(out) + "\n\n" + tail + stds + (" These are seeds 0-2, the seeds the settings were chosen on "
                                                    "(the section \"How the settings were chosen\" below).")


# ------------------------------------------------------------------ section 4: per class and agreement
def _ranks(xs) -> list:
    """Ranks (1 = smallest), ties given their average rank."""
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def spearman(x, y) -> float:
    """Spearman's rank correlation of two equally long sequences (NaN when a side is constant)."""
    rx, ry = _ranks(list(x)), _ranks(list(y))
    mx, my = statistics.fmean(rx), statistics.fmean(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    sy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return sxy / (sx * sy) if sx and sy else float("nan")


def spearman_critical(k: int) -> float:
    """The |rho| a rank correlation over ``k`` items must exceed for a two-sided 5 % test (the t approximation,
    t = rho sqrt((k-2)/(1-rho^2)) with k-2 degrees of freedom)."""
    t = T975[min(k - 3, len(T975) - 1)]
    return t / math.sqrt(k - 2 + t * t)


def noise_range(sigmas, q: float = RANGE_Q, trials: int = 4000, seed: int = 0) -> float:
    """The ``q`` quantile of max - min of independent normal noise with the std ``sigmas`` (points): how far apart
    per-class values would spread with no true difference between the classes."""
    rng = random.Random(seed)
    r = sorted(max(xs) - min(xs) for xs in ([rng.gauss(0.0, s) for s in sigmas] for _ in range(trials)))
    return r[min(len(r) - 1, int(q * len(r)))]


def per_class_verdicts(per_class: dict, teacher: str, students, counts) -> dict:
    """{student: dict(drops, worst, best, rank_hardest, spread, noise, uniform, rho)}: the per-class loss against the
    teacher (points), the classes with the largest and smallest loss, the rank (1 = largest loss) of the teacher's
    hardest class, the range of the losses, the range noise alone would give (:func:`noise_range`, from the binomial
    noise of each class's two accuracies on its ``counts`` images), whether the range is within it, and the rank
    correlation between the teacher's per-class error and the student's loss; plus ``hardest`` and ``critical``."""
    t = list(per_class[teacher])
    hardest = min(range(len(t)), key=t.__getitem__)
    out = {"hardest": hardest, "critical": spearman_critical(len(t))}
    for s in students:
        drops = [a - b for a, b in zip(t, per_class[s])]
        order = sorted(range(len(drops)), key=lambda k: -drops[k])
        sig = [math.sqrt(eval_sd(a, n) ** 2 + eval_sd(b, n) ** 2) for a, b, n in zip(t, per_class[s], counts)]
        spread, noise = max(drops) - min(drops), noise_range(sig)
        out[s] = dict(drops=drops, worst=order[0], best=order[-1], rank_hardest=order.index(hardest) + 1,
                      spread=spread, noise=noise, uniform=spread <= noise,
                      rho=spearman([100 - a for a in t], drops))
    return out


def per_class_reading(per_class: dict, classes, counts, seed: int, iters: int, full_iters: int, top1: dict,
                      teacher: str = "teacher", students=("baseline", "all three (SynQ)")) -> str:
    """The per-class bars read: which students these are, the teacher's hardest class, each student's largest and
    smallest loss, whether the losses are about uniform (against the range noise alone gives), and whether the
    losses follow the teacher's own per-class error (rank correlation against its 5 % critical value)."""
    students = [s for s in students if s in per_class]
    v = per_class_verdicts(per_class, teacher, students, counts)
    h = v["hardest"]
    k = len(classes)
    out = [f"These are the live students of this execution (seed {seed}, {iters} of the preset's {full_iters} "
           "iterations per epoch: " + _list(f"'{s}' {num(top1[s])} %" for s in students)
           + "), not the committed full-budget runs. The teacher's hardest class is "
           f"'{classes[h]}' ({num(per_class[teacher][h])} %)."]
    for s in students:
        d = v[s]
        w, b = d["worst"], d["best"]
        out.append(f"'{s}' loses most on '{classes[w]}' ({num(d['drops'][w])} points below the teacher) and least on "
                   f"'{classes[b]}' ({num(d['drops'][b])}): a range of {num(d['spread'])} points, against "
                   f"{num(d['noise'])} that the test set's noise alone would span in {100 * RANGE_Q:.0f} % of draws "
                   "with no true difference between the classes: "
                   + ("far from uniform." if not d["uniform"] else "within noise, about uniform.")
                   + f" '{classes[h]}' is its {_ord(d['rank_hardest'])} largest loss of {k}.")
    crit = v["critical"]
    rhos = {s: v[s]["rho"] for s in students}
    follows = [s for s in students if rhos[s] > crit]
    out.append(f"Across the {k} classes, the rank correlation between the teacher's error and the student's loss is "
               + _list(f"ρ = {num(rhos[s])} ('{s}')" for s in students)
               + f"; with {k} classes |ρ| must exceed about {num(crit)} for a two-sided 5 % test.")
    if len(follows) == len(students):
        out.append("For every student the losses are larger where the teacher errs more, beyond what chance ordering "
                   "gives: consistent with the teacher's hard classes lying near its decision boundaries, where "
                   "quantization's perturbation pushes images across (one seed, at this reduced budget).")
    elif follows:
        out.append(f"Only for {_list(repr(s) for s in follows)} do the losses follow the teacher's error beyond chance.")
    else:
        out.append("For no student do the losses follow the teacher's own per-class error beyond what chance ordering "
                   "gives: one hard class among the larger losses is no evidence that they do.")
    return " ".join(out)


def agreement_verdicts(top1: dict, agree: dict) -> dict:
    """``excess``: {variant: agreement - top-1}; ``all_positive``; ``same_order`` (ordering by agreement equals
    ordering by top-1)."""
    excess = {k: agree[k] - top1[k] for k in agree}
    by_a = sorted(agree, key=lambda k: -agree[k])
    by_t = sorted(agree, key=lambda k: -top1[k])
    return dict(excess=excess, all_positive=all(x > 0 for x in excess.values()), same_order=by_a == by_t,
                by_agree=by_a, by_top1=by_t)


def agreement(top1: dict, agree: dict, n: int) -> str:
    """The agreement table read: agreement minus top-1 per variant on these ``n`` test images, and whether agreement
    orders the variants as top-1 does."""
    v = agreement_verdicts(top1, agree)
    ex = v["excess"]
    lo, hi = min(ex, key=ex.get), max(ex, key=ex.get)
    out = [f"On these {n:,} test images, agreement minus top-1 ranges from {signed(ex[lo])} ({lo}) to "
           f"{signed(ex[hi])} ({hi})."]
    if v["all_positive"]:
        out.append("It is positive for every live student: each repeats more of the teacher's errors than it corrects "
                   "(the identity above). No student here was trained without distillation, so this does not say "
                   "what distillation, rather than the teacher's hard images, caused.")
    else:
        neg = [k for k in ex if ex[k] <= 0]
        out.append(f"It is not positive for {_list(neg)}: that student is right on at least as many of the teacher's "
                   "errors as it repeats.")
    if v["same_order"]:
        out.append("Ordered by agreement, the variants come in the same order as by top-1 ("
                   + " > ".join(v["by_agree"]) + ").")
    else:
        out.append("Ordered by agreement (" + " > ".join(v["by_agree"]) + ") they differ from the order by top-1 ("
                   + " > ".join(v["by_top1"]) + "): where they differ, a student is right on images for reasons of "
                   "its own.")
    return " ".join(out)


# ------------------------------------------------------------------ section 5: best over epochs
def best_final_verdicts(evals: dict, n: int) -> dict:
    """``evals``: {run name: {epoch: test top-1}} over the evaluated epochs (the last is the final). Per run:
    ``lift`` (best minus final), ``step`` (final minus the evaluation before it) and ``move`` ("rose", "fell" or
    "flat": the step against :func:`noise_band`)."""
    out = {}
    for name, ev in evals.items():
        es = sorted(ev)
        final, best = ev[es[-1]], max(ev.values())
        step = ev[es[-1]] - ev[es[-2]] if len(es) > 1 else float("nan")
        band = noise_band((ev[es[-1]], ev[es[-2]]), n) if len(es) > 1 else float("nan")
        move = "flat" if math.isnan(step) or abs(step) <= band else "rose" if step > 0 else "fell"
        out[name] = dict(lift=best - final, step=step, band=band, move=move)
    return out


def best_vs_final(evals: dict, n: int) -> str:
    """Best over epochs against the final epoch, and why they differ only in some runs: the last step of each run
    (final minus the evaluation before it) against the test set's noise."""
    if not evals:
        return f"The committed main runs (`results/runs/main`) are {NOT_IN_CHECKOUT}."
    v = best_final_verdicts(evals, n)
    epochs = _list(sorted({e for ev in evals.values() for e in ev}))
    up = {k: x["lift"] for k, x in v.items() if x["lift"] > 0}
    out = [f"Each run evaluated epochs {epochs}."]
    if not up:
        out.append(f"In every one of the {len(v)} runs the final epoch was also the best: here best over epochs and "
                   "final agree.")
    else:
        big = max(up, key=up.get)
        out.append(f"In {len(up)} of the {len(v)} runs an earlier epoch beat the final one, so \"best\" reports it: "
                   + _list(f"{k} ({signed(x)})" for k, x in sorted(up.items()))
                   + f"; the largest lift is {num(up[big])} points ({big}).")
    groups = {m: [k for k in v if v[k]["move"] == m] for m in ("rose", "flat", "fell")}
    rng = lambda ks: f"{signed(min(v[k]['step'] for k in ks))} to {signed(max(v[k]['step'] for k in ks))}"  # noqa: E731
    bands = lambda ks: f"±{num(min(v[k]['band'] for k in ks))} to ±{num(max(v[k]['band'] for k in ks))}"  # noqa: E731
    if groups["rose"]:
        lifted = [k for k in groups["rose"] if k in up]
        out.append(f"From the last evaluation but one to the final, accuracy rose beyond the test set's noise in "
                   f"{len(groups['rose'])} runs ({rng(groups['rose'])} points)"
                   + ("; in those the final epoch is the best." if not lifted else
                      f"; even so an earlier epoch scored higher in {_list(lifted)}."))
    if groups["flat"]:
        lifted = [k for k in groups["flat"] if k in up]
        out.append(f"In {len(groups['flat'])} runs it moved by less than that noise ({rng(groups['flat'])} points, bands "
                   f"{bands(groups['flat'])}): there the test set's noise decides which epoch scores higher, and it "
                   + (f"picked an earlier one in {len(lifted)} ({_list(lifted)})." if lifted else
                      "picked the final one every time."))
    if groups["fell"]:
        out.append(f"In {len(groups['fell'])} runs accuracy fell beyond noise at the end ({rng(groups['fell'])} "
                   "points): there the earlier checkpoint was better, and the final number reports a real loss.")
    out.append("With more evaluated epochs there are more chances for noise to lift one (exercise 4).")
    return " ".join(out)


# ------------------------------------------------------------------ section 6: how the settings were chosen
def unpaired_interval(a, b) -> tuple:
    """mean(a) - mean(b) with a conservative 95 % interval for two groups of different seeds (they cannot be
    paired): half-width t_{0.975, min(n_a, n_b) - 1} * sqrt(s_a^2 / n_a + s_b^2 / n_b). ``(diff, nan, nan)`` when a
    group has fewer than two values."""
    a, b = list(a), list(b)
    diff = statistics.fmean(a) - statistics.fmean(b)
    n = min(len(a), len(b))
    if n < 2:
        return diff, float("nan"), float("nan")
    half = T975[n - 2] * math.sqrt(statistics.variance(a) / len(a) + statistics.variance(b) / len(b))
    return diff, diff - half, diff + half


def sample_verdicts(in_sample: dict, confirm_runs) -> dict:
    """{setting: "higher"/"lower"/"unresolved"/"one seed"}: the fresh seeds against seeds 0-2 (unpaired interval)."""
    top = by_lever(confirm_runs or [], bits=3)
    out = {}
    for name, ins in in_sample.items():
        outs = list(top.get(name, {}).values())
        if not ins or not outs:
            continue
        _, lo, hi = unpaired_interval(outs, ins.values())
        out[name] = "one seed" if math.isnan(lo) else "higher" if lo > 0 else "lower" if hi < 0 else "unresolved"
    return out


def in_and_out_of_sample(in_sample: dict, confirm_runs, scale: tuple | None = None) -> str:
    """Each setting of ``in_sample`` ({setting: {seed: test top-1}} on seeds 0-2, where the settings were chosen)
    against the fresh seeds of the confirm set (out of sample), with the largest optimism the interval leaves open;
    ``scale``: (words, points), a gain to set that bound beside."""
    top = by_lever(confirm_runs or [], bits=3)
    if not any(name in top for name in in_sample):
        return (f"The fresh-seed runs (`results/runs/confirm`) are {NOT_IN_CHECKOUT}: the chosen settings' test "
                "accuracy rests on seeds 0-2 alone, the seeds they were chosen on. When they are committed, this cell "
                "reads them.")
    v = sample_verdicts(in_sample, confirm_runs)
    out = []
    bounds = {}
    for name, ins in in_sample.items():
        outs = dict(sorted(top.get(name, {}).items()))
        if not outs:
            out.append(f"- `{name}` has no fresh-seed run in this checkout.")
            continue
        fresh = (f"fresh seeds {_seeds(outs)}: {_vals(outs.values())} (mean {num(statistics.fmean(outs.values()))}"
                 + (f" ± {num(_sd(outs.values()))}" if len(outs) > 1 else "") + ")")
        if not ins:
            out.append(f"- `{name}`: {fresh}; no run on seeds 0-2 to compare with.")
            continue
        vals = [ins[s] for s in sorted(ins)]
        diff, lo, hi = unpaired_interval(outs.values(), vals)
        if v[name] == "one seed":
            tail = f"{signed(diff)} points out of sample (one seed on a side: no interval)"
        else:
            tail = (f"{signed(diff)} points out of sample (95 % interval {signed(lo)} to {signed(hi)}: "
                    + {"higher": "above zero", "lower": "below zero", "unresolved": "contains zero, not resolved"}[v[name]]
                    + ")")
            if v[name] == "unresolved":
                bounds[name] = -lo
        out.append(f"- `{name}`: seeds {_seeds(ins)}, where the settings were chosen: {_vals(vals)} (mean "
                   f"{num(statistics.fmean(vals))} ± {num(_sd(vals))}); {fresh}: {tail}.")
    lower = [k for k, x in v.items() if x == "lower"]
    higher = [k for k, x in v.items() if x == "higher"]
    if lower:
        out.append(f"\nThe fresh seeds score lower for {_list(f'`{k}`' for k in lower)}: the numbers on seeds 0-2 were "
                   "optimistic, as choosing on them predicts.")
    elif higher:
        out.append(f"\nThe fresh seeds score higher for {_list(f'`{k}`' for k in higher)}: choosing on seeds 0-2 cannot "
                   "make fresh seeds better, so this is the seeds' luck, not the selection.")
    if bounds:
        text = ("\nThese seeds do not resolve a difference between seeds 0-2 and the fresh seeds, and they do not show "
                "that there is none: an optimism of seeds 0-2 up to "
                + _list(f"{num(b)} points (`{k}`)" for k, b in bounds.items())
                + ", the interval's lower end with its sign turned, is within what they allow.")
        if scale:
            words, pts = scale
            big = max(bounds.values())
            text += (f" For scale, {words} is {signed(pts)}: a bias "
                     + ("as large as that" if big >= abs(pts) else f"of {100 * big / abs(pts):.0f} % of it")
                     + " could hide here.")
        out.append(text)
    out.append("The fresh seeds remove the luck of choosing on seeds 0-2; they are scored on the same 10,000 test "
               "images, so a choice that happened to suit these test images would not show here either way.")
    return "\n".join(out)


def fresh_costs(confirm_runs, settings=(CPU, CAM_OFF)) -> str:
    """Caption of the fresh-seed table: wall seconds against CPU seconds per setting (the machine was shared, so only
    CPU seconds measure cost), and what the charged column adds for a run that loaded its synthetic set."""
    rows = {}
    for k in settings:
        rs = [r for r in confirm_runs or [] if r.get("w_bits") == 3 and lever_name(r) == k and "cpu_s" in r]
        if rs:
            rows[k] = (statistics.fmean(r["total_s"] for r in rs), statistics.fmean(r["cpu_s"]["total"] for r in rs),
                       sum(bool(r.get("synthetic_from_cache")) for r in rs), len(rs))
    if not rows:
        return ""
    out = ["Wall seconds per run were " + _list(f"{w / c:.1f}x the CPU seconds for `{k}`" for k, (w, c, _, _) in
                                                rows.items())
           + ": other work shared this 2-core machine while some runs ran, so a wall time says how busy the machine "
             "was as much as what the run cost. CPU seconds are the measure."]
    loaded = [k for k, (_, _, m, _) in rows.items() if m]
    if loaded:
        out.append(f"The runs of {_list(f'`{k}`' for k in loaded)} loaded their synthetic set from the cache: their own "
                   "CPU seconds leave the synthesis out, and the column \"CPU s, synthesis charged\" adds the "
                   "synthesis CPU seconds of the run that made the set, for a fair comparison.")
    return " ".join(out)


def d0_choice(val_d0_runs, sweep_runs=None, default: float = DEFAULT_D0) -> str:
    """Whether the validation split picks the same d0 as the test set did (the ``val-d0`` runs; notebook 02 reads
    them in full), and which candidates it was asked about: ``sweep_runs`` (the ``d0`` set) gives the test-set sweep
    the candidates came from."""
    g = _val_by_d0(val_d0_runs or [])
    if not g:
        return (f"The d0 runs on the validation split (`results/runs/val-d0`) are {NOT_IN_CHECKOUT}: $d_0$ = "
                f"{default:g} still rests on the test set alone.")
    c = validation_choice(val_d0_runs)
    seeds = sorted({s for x in g.values() for s in x["seeds"]})
    one = len(seeds) == 1
    scores = "; ".join(f"$d_0$ = {d:g}: {num(g[d]['val'])} % validation" + (
        f", {num(g[d]['test'])} % test" if g[d]["test"] is not None else "") for d in sorted(g))
    head = f"$d_0$ on the validation split (W3A3, SynQ, seed{'' if one else 's'} {_seeds(seeds)}): {scores}."
    if c is None:
        return head + " Only one $d_0$ ran on the validation split: there is nothing to choose between yet."
    sweep = sorted({float(r["config"]["d0"]) for r in sweep_runs or [] if r.get("w_bits") == 3})
    asked = sorted(g)
    if sweep and set(asked) < set(sweep):
        scope = (f"asked only between {_list(f'{d:g}' for d in asked)}, the finalists of the test set's sweep over "
                 f"{_list(f'{d:g}' for d in sweep)}, ")
    else:
        scope = f"asked between {_list(f'{d:g}' for d in asked)}, "
    scope += "on one seed" if one else f"on {len(seeds)} seeds"
    if c["test"] is None:
        return head + f" The validation split, {scope}, picks $d_0$ = {c['val']:g}; these runs carry no test accuracy."
    if c["same"]:
        text = (f" The validation split, {scope}, picks $d_0$ = {c['val']:g}, as the test set did: that choice is "
                "re-checked without the test set" + ("; the finalists themselves were still chosen on it." if
                                                     set(asked) < set(sweep) else "."))
        if c["val"] != default:
            text += f" It is not the default $d_0$ = {default:g}."
    else:
        text = (f" The validation split, {scope}, picks $d_0$ = {c['val']:g}, the test set $d_0$ = {c['test']:g}: a "
                f"different choice. The presets still use $d_0$ = {default:g}, chosen on the test set.")
    return head + text + " Notebook 02 reads these runs in full (section 6)."


# ------------------------------------------------------------------ section 7: real data as a reference
def _real_groups(rows) -> dict:
    """{(bits, images): {method: row}} for the settings with both a baseline and a SynQ row."""
    groups = {}
    for r in rows or []:
        groups.setdefault((r["bits"], r["real images"]), {})[r["method"]] = r
    return {k: g for k, g in groups.items() if combo_name(BASELINE) in g and combo_name(SYNQ) in g}


def real_verdicts(rows) -> dict | None:
    """``larger``: "every"/"none"/"some" settings where real data closes a larger share of the baseline's gap than of
    SynQ's; ``closer``: in every setting the two methods end closer together on real images than on synthetic ones;
    ``more_less``: {bits: adding real images matters less than making them real}. None without a pair of rows."""
    full = _real_groups(rows)
    if not full:
        return None
    b_name, s_name = combo_name(BASELINE), combo_name(SYNQ)
    larger = [g[b_name]["gap closed by real data (%)"] > g[s_name]["gap closed by real data (%)"] for g in full.values()]
    closer = [abs(g[s_name]["real"] - g[b_name]["real"]) < abs(g[s_name]["synthetic"] - g[b_name]["synthetic"])
              for g in full.values()]
    more = {}
    for (bits, n1), small in full.items():
        for (b2, n2), big in full.items():
            if b2 == bits and n2 > n1:
                more[bits] = all(abs(big[m]["real"] - small[m]["real"]) < abs(small[m]["real"] - small[m]["synthetic"])
                                 for m in (b_name, s_name))
    return dict(larger="every" if all(larger) else "none" if not any(larger) else "some", closer=all(closer),
                more_less=more)


def real_gap(rows) -> str:
    """The real-data table read: ``rows`` as the notebook builds them (keys ``bits``, ``method``, ``real images``,
    ``FP``, ``synthetic``, ``real``, ``gap closed by real data (%)``); baseline and SynQ rows of one bit-width and
    image count are compared."""
    if not rows:
        return f"The real-data runs (`results/runs/real`) are {NOT_IN_CHECKOUT}."
    full = _real_groups(rows)
    v = real_verdicts(rows)
    if v is None:
        return "The real-data runs hold no baseline and SynQ pair of the same setting."
    b_name, s_name = combo_name(BASELINE), combo_name(SYNQ)
    out = []
    for (bits, n), g in sorted(full.items()):
        b, s = g[b_name], g[s_name]
        gb, gs = b["gap closed by real data (%)"], s["gap closed by real data (%)"]
        syn_d, real_d = s["synthetic"] - b["synthetic"], s["real"] - b["real"]
        out.append(f"- {bits}, {n:,} real images: real data closes {num(gb, 1)} % of the baseline's gap and "
                   f"{num(gs, 1)} % of SynQ's. SynQ minus the baseline is {signed(syn_d)} points on synthetic images "
                   f"and {signed(real_d)} on real ones; full precision minus the real-data students: "
                   f"{num(b['FP'] - b['real'])} (baseline), {num(s['FP'] - s['real'])} (SynQ).")
    text = [{"every": "In every setting real data closes a larger share of the baseline's gap than of SynQ's: part of "
                      "what real images would bring, SynQ's ideas already recover on synthetic ones.",
             "none": "In every setting real data closes a smaller share of the baseline's gap than of SynQ's.",
             "some": "Real data closes the larger share of the gap for the baseline in some settings and for SynQ in "
                     "others."}[v["larger"]]]
    if v["closer"]:
        text.append("On real images the two methods end closer together than on synthetic ones in every setting: once "
                    "the data is real, there is less left for the ideas to fix.")
    else:
        text.append("On real images the two methods do not always end closer together than on synthetic ones.")
    for bits, less in v["more_less"].items():
        ns = sorted(n for (b, n) in full if b == bits)
        small, big = full[(bits, ns[0])], full[(bits, ns[-1])]
        gains = {m: big[m]["real"] - small[m]["real"] for m in (b_name, s_name)}
        swap = {m: small[m]["real"] - small[m]["synthetic"] for m in (b_name, s_name)}
        text.append(f"At {bits}, {ns[0]:,} → {ns[-1]:,} real images adds {signed(gains[b_name])} to the baseline and "
                    f"{signed(gains[s_name])} to SynQ, against {signed(swap[b_name])} and {signed(swap[s_name])} for "
                    f"real images instead of synthetic ones at {ns[0]:,}: "
                    + ("more images matter less than real images." if less else
                       "more images matter as much as real images, or more."))
    text.append("One seed (0): indications, not measurements with an interval.")
    return "\n".join(out) + "\n\n" + " ".join(text)


# ------------------------------------------------------------------ exercises
def exercise1(a: dict, b: dict) -> str:
    """Exercise 1 (a row ``a`` against the baseline ``b``, {seed: top-1}): unpaired against paired, and the 95 % t
    interval by hand."""
    p = paired(a, b)
    n = len(p["seeds"])
    if n < 2:
        return f"One seed ({_seeds(p['seeds'])}): a difference of {_each(p['diffs'])}, with no spread and no interval."
    out = [f"Unpaired: a gain of {signed(p['unpaired'])} points against a row spread of {num(p['spread'])}, "
           + ("smaller than the spread." if abs(p["unpaired"]) < p["spread"] else "larger than the spread.")]
    out.append(f"Paired: {signed(p['mean'])} with a std of the differences of {num(p['std'])}, "
               + ("smaller than the mean." if p["std"] < abs(p["mean"]) else "not smaller than the mean."))
    lo, hi = t_interval(p["diffs"])
    verdict = {"gain": "above zero", "loss": "below zero", "unresolved": "it contains zero"}[interval_verdict(p)]
    out.append(f"The 95 % t interval, {signed(p['mean'])} ± {T975[n - 2]} × {num(p['std'])}/√{n}, is "
               f"[{signed(lo)}, {signed(hi)}]: {verdict}.")
    if n == 2 and verdict.startswith("it"):
        out.append(f"With two seeds the half-width is {T975[0] / math.sqrt(2):.2f} times $s_d$: the mean "
                   f"({num(abs(p['mean']))}) would have to exceed {T975[0] / math.sqrt(2):.2f} × {num(p['std'])} = "
                   f"{num(T975[0] / math.sqrt(2) * p['std'])} points for two seeds to resolve it.")
    return " ".join(out)


def exercise2(sub_std: float, formula: float, k: int, n_sub: int, rows: dict) -> str:
    """Exercise 2: the std of ``k`` subsets of ``n_sub`` images against the binomial formula, then, for each committed
    row ``rows`` ({label: (seed-to-seed std, mean top-1, test images)}), its seed-to-seed std against the evaluation
    noise of one measurement at its accuracy."""
    rel = 1 / math.sqrt(2 * (k - 1)) if k > 1 else float("inf")
    agree = abs(sub_std / formula - 1) <= 2 * rel
    out = [f"The {k} subsets of {n_sub:,} images spread with std {num(sub_std)} points; the formula gives "
           f"{num(formula)}: " + (f"they agree within twice the expected error of a std from {k} subsets "
                                  f"(±{100 * 2 * rel:.0f} %)." if agree else
                                  f"they differ by more than twice the expected error of a std from {k} subsets "
                                  f"(±{100 * 2 * rel:.0f} %).")]
    if not rows:
        return out[0] + f" The committed main runs are {NOT_IN_CHECKOUT}: no seed-to-seed std to compare with."
    kinds = {}
    items = []
    for label, (sd, acc, n) in rows.items():
        ev = eval_sd(acc, n)
        r = sd / ev
        kind = "seed" if r >= DOMINANT else "test" if r <= 1 / DOMINANT else "both"
        kinds.setdefault(kind, []).append(label)
        items.append(f"{label}: seed std {num(sd)} against {num(ev)} ({r:.1f}x)")
    out.append("Seed-to-seed std of each committed main row against the evaluation noise of one measurement at its "
               "accuracy on its test images: " + "; ".join(items) + ".")
    words = {"seed": f"the seed dominates (at least {DOMINANT:g} times the test set's noise)",
             "test": f"the test set's noise dominates (at least {DOMINANT:g} times the seed's std)",
             "both": "the two are of the same size"}
    out.append(_cap("; ".join(f"for {_list(v)} {words[k]}" for k, v in kinds.items())) + ".")
    out.append("Which noise matters depends on the row and the bit-width, and each std rests on as few degrees of "
               "freedom as the seeds allow (two with three seeds), so only ratios far from 1 say much. Pairing by seed "
               "removes the seed's shared part, whichever dominates.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(main_groups: dict | None = None, abl: dict | None = None, cam: dict | None = None,
            filt: dict | None = None, fp_rates: tuple | None = None, sample: tuple | None = None, d0_runs=None,
            live: tuple | None = None, budget: dict | None = None) -> str:
    """What the committed runs and this execution showed, committed results first: ``main_groups`` (the main runs),
    ``abl`` (the ablation), ``cam`` = :func:`cam_verdicts`, ``filt`` = :func:`filter_verdicts`, ``fp_rates`` =
    (rule, interval), ``sample`` = (in_sample, confirm_runs), ``d0_runs`` (the val-d0 runs), ``live`` = (rtn,
    final, flags, n) and ``budget`` = :func:`budget_verdicts`."""
    out = []
    for bits, verdict in sorted((main_verdicts(main_groups or {})).items(), reverse=True):
        p = paired(main_groups[bits][SYNQ], main_groups[bits][BASELINE])
        out.append(f"- Main runs, W{bits}A{bits}, seeds {_seeds(p['seeds'])}: SynQ minus the baseline is "
                   f"{signed(p['mean'])} points, 95 % t interval {_interval(p)}: "
                   + {"gain": "resolved as a gain.", "loss": "resolved as a loss.", "unresolved": "not resolved."}[verdict])
    if abl:
        rows = seed_verdicts(abl)["rows"]
        if rows:
            res = [c for c, r in rows.items() if r["verdict"] != "unresolved"]
            n = min(len(r["p"]["seeds"]) for r in rows.values())
            out.append(f"- The committed ablation, {n} seeds: " + (
                f"no row's interval excludes zero (t = {T975[n - 2]})." if not res else
                f"the intervals of {_list(_row(c) for c in res)} exclude zero."))
    if cam and cam.get("pooled"):
        p = cam["pooled"]
        out.append(f"- CAM on top of the filter and soft labels, the ablation's seeds pooled with fresh ones "
                   f"({_seeds(p['seeds'])}): {signed(p['mean'])} points, {_interval(p)}: "
                   + {"gain": "resolved as a gain", "loss": "resolved as a loss",
                      "unresolved": "not resolved"}[interval_verdict(p)]
                   + (f", at {cam['cpu_ft'][0] / cam['cpu_ft'][1]:.2f}x the fine-tuning CPU seconds." if cam["cpu_ft"]
                      else "."))
    if filt:
        ft = filt["ft"]
        s = (f"- The filter alone: fine-tuning's gain from RTN with it minus without is {signed(ft['mean'])} points "
             f"({_interval(ft)}; "
             "its final lead is smaller than its RTN head start on "
             + {"every": "every seed", "some": "some seeds", "none": "no seed"}[filt["smaller"]] + ")")
        if filt.get("share"):
            cal_part, whole, common = filt["share"]
            s += (f"; calibration on filtered images accounts for {signed(cal_part)} of its {signed(whole)} on top of "
                  f"CAM and soft labels (seed{'s' if len(common) > 1 else ''} {_seeds(common)})")
        out.append(s + ".")
    if fp_rates:
        rule, interval = fp_rates
        ns = sorted(set(rule) & set(interval))
        out.append("- With no true effect, the spread rule sees one in " + _list(
            f"{100 * rule[n]:.0f} %" for n in ns) + f" of simulated comparisons ({_list(ns)} seeds); the 95 % t "
                   "interval in " + _list(f"{100 * interval[n]:.0f} %" for n in ns) + ".")
    if sample:
        ins, conf = sample
        top = by_lever(conf or [], bits=3)
        for name, vals in ins.items():
            if vals and top.get(name):
                d, lo, hi = unpaired_interval(top[name].values(), vals.values())
                if not math.isnan(lo):
                    out.append(f"- `{name}` on fresh seeds minus seeds 0-2: {signed(d)} points, 95 % interval "
                               f"[{signed(lo)}, {signed(hi)}]"
                               + (f": an optimism up to {num(-lo)} points is not excluded." if lo < 0 < hi else "."))
    c = validation_choice(d0_runs) if d0_runs else None
    if c is not None and c["test"] is not None:
        out.append(f"- The validation split, asked between {_list(f'{d:g}' for d in c['candidates'])}, picks $d_0$ = "
                   f"{c['val']:g}: " + ("the test set's choice too." if c["same"] else
                                        f"not the test set's ($d_0$ = {c['test']:g})."))
    if live:
        rtn, final, flags, n = live
        v = live_verdicts(rtn, final, flags, n)
        beyond = [k for k, w in v["vs_base"].items() if w != "level"]
        below = [k for k in final if v["vs_rtn"][k] == "below"]
        out.append("- The live ablation (one seed, a reduced budget): " + (
            f"{_list(_row(flags[k]) for k in beyond)} differ{'s' if len(beyond) == 1 else ''} from the baseline beyond "
            "the test set's noise" if beyond else "no row differs from the baseline beyond the test set's noise")
            + ("; " + f"{_list(_row(flags[k]) for k in below)} ended below {'its' if len(below) == 1 else 'their'} "
               "RTN start beyond noise." if below else "; no row ended below its RTN start beyond noise."))
    if budget is not None:
        out.append(f"- The reduced budget against the full one, pair by pair: {len(budget['agree'])} of "
                   f"{budget['pairs']} pairs ordered beyond noise at both, "
                   + (f"{len(budget['reversed'])} reversed." if budget["reversed"] else "none reversed."))
    return "\n".join(out) if out else "Nothing was measured in this execution."
