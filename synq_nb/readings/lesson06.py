"""Readings of notebook 06 (evaluation and ablation), generated from the values it computed: the live ablation at a
reduced budget, its ranking against the committed full-budget runs, the simulated false-positive rates of the old
"beyond the seed spread" rule and of the 95 % t interval, the committed ablation read across seeds (pairing, the
intervals, the interactions, one seed that misleads), the main runs, per-class accuracy and agreement, best over
epochs against the final epoch, how the settings were chosen (seeds 0-2 against the fresh seeds 3-5, the paired
``cpu-plus`` minus ``cpu`` difference with its cost, d0 on the validation split), the real-data reference, two
exercises and the summary.

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_06.py`` checks each branch with made-up numbers on both sides of it).
"""
from __future__ import annotations

import math
import re
import statistics

from ..results import (BASELINE, SYNQ, T975, ablation_order, combo_name, interval_verdict, lever_name, paired,
                       t_interval, whole_cpu_seconds)
from . import change, num, paired_sentence, signed
from . import join_list as _list
from .lesson02 import _val_by_d0, validation_choice  # d0 on the validation split: notebook 02 reads it in full

# Thresholds of the verdicts (each is named in the reading it shapes)
LEVEL = 0.05        # two top-1 values (points) this close are "level" (5 of 10,000 test images)
NOMINAL = 0.05      # the false-positive rate a 95 % interval promises
SE_BAND = 3.0       # a simulated rate within this many binomial standard errors of another is "close" to it
SHARED = 0.5        # pairing "removed most" of a row's spread when s_d is below this share of the unpaired spread
TOP = 3             # "among the largest losses": the first TOP classes by loss
UNIFORM = 5.0       # per-class losses (points) whose range is below this are "about uniform"
SAME_COST = 0.10    # two runs whose CPU seconds differ by less than this share cost "about the same"
NOT_IN_CHECKOUT = "not in this checkout"
CPU, PLUS, SAME_ITERS = "cpu", "cpu-plus", "cpu-syn150-ep15"   # names of the confirm set's settings
DEFAULT_D0 = 8.0
PAIRS = (((1, 0, 0), (0, 1, 0)), ((1, 0, 0), (0, 0, 1)), ((0, 1, 0), (0, 0, 1)))


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


def _where(a: float, b: float, tol: float = LEVEL) -> str:
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
    return statistics.stdev(xs) if len(xs) > 1 else float("nan")


def _interval(p: dict) -> str:
    lo, hi = t_interval(p["diffs"])
    if math.isnan(lo):
        return "one seed: no interval"
    return f"[{signed(lo)}, {signed(hi)}]"


# ------------------------------------------------------------------ section 2: the live ablation
def run_times(finetune_s: dict, reloaded: dict, device: str) -> str:
    """``finetune_s``: {variant: fine-tuning seconds measured when the run was computed (the sum of its history's
    per-epoch seconds, test evaluations excluded)}; ``reloaded``: {variant: True when this execution reloaded the
    finished run from the cache instead of training it}."""
    lo, hi = min(finetune_s.values()), max(finetune_s.values())
    secs = f"fine-tuning took {num(lo, 0)} to {num(hi, 0)} s per run (test evaluations excluded)"
    n, back = len(reloaded), [v for v, r in reloaded.items() if r]
    if not back:
        return f"All {n} runs were computed in this execution, on {device}: {secs}."
    if len(back) == n:
        return (f"All {n} runs were finished by an earlier execution and reloaded from the cache (`SYNQ_CACHE_DIR`): "
                f"this execution trained nothing. The table's seconds were measured when the runs were computed: "
                f"{secs}. The seconds of the summary lines above are this execution's: loading, evaluation and the "
                "reload.")
    made = [v for v in reloaded if not reloaded[v]]
    return (f"{len(made)} of the {n} runs were computed in this execution ({_list(made)}), {len(back)} reloaded from "
            f"the cache ({_list(back)}); the table's seconds are each run's own, measured when it was computed: {secs}.")


def live_verdicts(rtn: dict, final: dict, flags: dict, baseline: str = "baseline") -> dict:
    """``rtn``/``final``: {variant: test top-1 (%)} before and after fine-tuning; ``flags``: {variant: (filter, CAM,
    soft labels)}. Returns ``vs_rtn`` ({variant: above/below/level} against its own RTN), ``vs_base`` (each other
    variant against the baseline's final), ``best_single`` (the single idea with the highest final), ``full`` (the
    variant with all three), ``full_vs_best`` and ``lead`` ({variant whose RTN differs from the baseline's:
    "widened"/"narrowed"/"kept"}: its final lead over the baseline against its RTN head start)."""
    base = final[baseline]
    singles = [n for n in final if sum(flags[n]) == 1]
    best = max(singles, key=final.get) if singles else None
    full = next((n for n in final if all(flags[n])), None)
    lead = {}
    for n in final:
        if n != baseline and abs(rtn[n] - rtn[baseline]) > LEVEL:
            head, gain = rtn[n] - rtn[baseline], final[n] - base
            lead[n] = "widened" if gain > head + LEVEL else "narrowed" if gain < head - LEVEL else "kept"
    return dict(vs_rtn={n: _where(final[n], rtn[n]) for n in final},
                vs_base={n: _where(final[n], base) for n in final if n != baseline},
                best_single=best, full=full, lead=lead,
                full_vs_best=_where(final[full], final[best]) if full and best else None)


def _vs_base_text(name: str, d: float, final: float) -> str:
    w, ends = _where(d, 0.0), _verb(name, "ends", "end")
    if w == "level":
        return f"{name} {ends} level with the baseline ({num(final)} %)"
    return f"{name} {ends} {num(abs(d))} points {w} the baseline ({num(final)} %)"


def live_ablation(rtn: dict, final: dict, flags: dict, fp: float, seed: int, iters: int, full_iters: int,
                  baseline: str = "baseline") -> str:
    """The live ablation's table read: each idea against the baseline, each row against its own RTN start, the
    filter's head start at RTN against its final lead, and the distance to full precision."""
    v = live_verdicts(rtn, final, flags, baseline)
    base = final[baseline]
    out = [f"On seed {seed}, at {iters} iterations per epoch, the baseline ends at {num(base)} % (RTN "
           f"{num(rtn[baseline])} %)."]
    best = v["best_single"]
    if best:
        g = final[best] - base
        if v["vs_base"][best] == "above":
            out.append(f"The single idea with the largest gain is {_row(flags[best])}: {num(final[best])} %, "
                       f"{signed(g)} points over the baseline.")
        else:
            out.append(f"No single idea ends above the baseline; the best of them, {_row(flags[best])}, ends at "
                       f"{num(final[best])} % ({signed(g)} points).")
        others = [n for n in final if sum(flags[n]) == 1 and n != best]
        if others:
            out.append(_cap("; ".join(_vs_base_text(_row(flags[n]), final[n] - base, final[n]) for n in others)) + ".")
    full = v["full"]
    if full:
        text = f"All three together end at {num(final[full])} %, {signed(final[full] - base)} points against the baseline"
        if best:
            w = v["full_vs_best"]
            text += (f" and {signed(final[full] - final[best])} against the best single idea "
                     + ("(above it)" if w == "above" else "(below it)" if w == "below" else "(level with it)"))
        out.append(text + ".")
    para2 = ["Against its own starting point (RTN, before the first fine-tuning step), "
             + "; ".join(f"{_row(flags[n])} {change(rtn[n], final[n], tol=LEVEL)}" for n in final) + "."]
    below = [n for n in final if v["vs_rtn"][n] == "below"]
    if below:
        para2.append(f"For {_list(_row(flags[n]) for n in below)}, fine-tuning at this budget ended below where "
                     "calibration left the student: the fine-tuning steps did harm.")
    else:
        para2.append("No row ends below its RTN starting point.")
    for n, how in v["lead"].items():
        head, gain = rtn[n] - rtn[baseline], final[n] - base
        calibrated = ", calibrated on filtered images," if flags[n][0] else ""
        name = _row(flags[n])
        s = (f"{_cap(name)}{calibrated} {_verb(name, 'starts', 'start')} {num(abs(head))} points {_where(head, 0.0)} "
             f"the baseline's RTN ({num(rtn[n])} % against {num(rtn[baseline])} %); after fine-tuning "
             f"{_verb(name, 'it ends', 'they end')} {signed(gain)} points from the baseline")
        if how == "narrowed":
            s += (f", less than that head start: relative to the baseline, fine-tuning gave back {num(head - gain)} "
                  "points, and all of the final gain was there before the first fine-tuning step.")
        elif how == "widened":
            s += f", more than that head start: fine-tuning added {num(gain - head)} points to it."
        else:
            s += ": about that head start, which fine-tuning neither widened nor narrowed."
        para2.append(s)
    top = max(final, key=final.get)
    para2.append(f"The full-precision teacher scores {num(fp)} %; the best row, {_row(flags[top])}, is "
                 f"{num(fp - final[top])} points short of it.")
    out_text = " ".join(out) + "\n\n" + " ".join(para2)
    return out_text + (f"\n\nThis is one seed and {iters} of the preset's {full_iters} iterations per epoch: the next "
                       "cell asks whether the full budget ranks the rows the same way.")


def budget_verdicts(live: dict, committed: dict | None, flags: dict, baseline: str = "baseline") -> dict | None:
    """The live and the committed ranking of the same variants: ``same`` (bool), ``moved`` (variants whose place
    differs), ``flips`` (variants on the other side of the baseline), ``changed`` (idea rows that moved or flipped),
    ``gradient_only`` (every changed row is without the filter). None when a committed value is missing."""
    if not committed or any(committed.get(n) is None or math.isnan(committed[n]) for n in live):
        return None
    rl = sorted(live, key=lambda n: -live[n])
    rc = sorted(live, key=lambda n: -committed[n])
    moved = [n for n in live if rl.index(n) != rc.index(n)]
    flips = [n for n in live if n != baseline
             and _where(live[n], live[baseline]) != _where(committed[n], committed[baseline])]
    changed = [n for n in live if n != baseline and (n in moved or n in flips)]
    return dict(same=rl == rc, live=rl, committed=rc, moved=moved, flips=flips, changed=changed,
                gradient_only=bool(changed) and all(not flags[n][0] for n in changed))


def budget_ranking(live: dict, committed: dict | None, flags: dict, iters: int, full_iters: int, seed: int,
                   baseline: str = "baseline") -> str:
    """The live ranking (``iters`` per epoch) against the committed one (``full_iters``) on the same seed."""
    v = budget_verdicts(live, committed, flags, baseline)
    if v is None:
        return (f"The committed ablation has no run of every row at this setting (seed {seed}): the two budgets are "
                "not compared here.")
    gains = "; ".join(f"{_row(flags[n])} {signed(live[n] - live[baseline])} → "
                      f"{signed(committed[n] - committed[baseline])}" for n in live if n != baseline)
    out = [f"Gains over the baseline of the same seed, {iters} → {full_iters} iterations per epoch: {gains}."]
    if v["same"]:
        out.append(f"Both budgets order the {len(live)} rows the same way: on seed {seed}, {iters} iterations per "
                   f"epoch ranked them as {full_iters} did, though the sizes of the gains differ.")
        return " ".join(out)
    moves = [f"{_row(flags[n])} {_ord(v['live'].index(n) + 1)} → {_ord(v['committed'].index(n) + 1)}"
             for n in v["moved"]]
    kept = [f"{_row(flags[n])} ({_ord(v['live'].index(n) + 1)})" for n in live if n not in v["moved"]]
    out.append(f"The rankings differ. Moved: {'; '.join(moves)}. Kept their places: {_list(kept)}.")
    for n in v["flips"]:
        w_live = _where(live[n], live[baseline])
        w_full = _where(committed[n], committed[baseline])
        say = lambda w: "level with" if w == "level" else w  # noqa: E731
        name = _row(flags[n])
        out.append(f"{_cap(name)} {_verb(name, 'is', 'are')} {say(w_live)} the baseline at {iters} iterations per "
                   f"epoch and {say(w_full)} it at {full_iters}.")
    if v["gradient_only"]:
        out.append(f"Every idea row that changed place or side ({_list(_row(flags[n]) for n in v['changed'])}) acts "
                   "only through the gradient (no filter); the rows with the filter, which also move the starting "
                   "point, kept their places and sides. That fits the first of the three reasons below; one seed "
                   "cannot tell it from the other two.")
    elif v["changed"]:
        with_f = [n for n in v["changed"] if flags[n][0]]
        out.append(f"Rows with the filter changed too ({_list(_row(flags[n]) for n in with_f)}): the starting point "
                   "alone does not explain the difference, and one seed cannot tell which of the reasons below is at "
                   "work.")
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


def seed_table(abl: dict, baseline=BASELINE) -> str:
    """The committed ablation's seed table and figure read: the prediction for soft labels alone, where pairing
    removed the spread and where it could not, how seed-sensitive the rows with the filter are, and the intervals."""
    v = seed_verdicts(abl, baseline)
    rows = v["rows"]
    if not rows:
        return "The committed ablation holds fewer than two seeds per row: nothing to pair over seeds."
    out = []
    soft = (0, 0, 1)
    if soft in rows:
        p = rows[soft]["p"]
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
    para = ["Without pairing, the spread of a difference of two rows is $\\sqrt{s_c^2 + s_0^2}$; paired, it is $s_d$."]
    if shared:
        para.append("Pairing removed most of it for " + _list(
            f"{_row(c)} ({num(rows[c]['unpaired_sd'])} → {num(rows[c]['p']['std'])})" for c in shared)
            + ": these rows rise and fall with the baseline from seed to seed, the shared seed effect $u_s$ at work.")
    if other:
        para.append("It removed less for " + _list(
            f"{_row(c)} ({num(rows[c]['unpaired_sd'])} → {num(rows[c]['p']['std'])})" for c in other) + ".")
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


def on_top_of_cam(abl: dict) -> str:
    """Soft labels on top of CAM (paired against CAM alone) on each seed; the filter on top of CAM; soft labels over
    the baseline, for contrast."""
    cam, cam_soft, cam_filt, soft = (0, 1, 0), (0, 1, 1), (1, 1, 0), (0, 0, 1)
    if cam not in abl or cam_soft not in abl:
        return "The committed ablation lacks the CAM rows: nothing to read."
    p = paired(abl[cam_soft], abl[cam])
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
        q = paired(abl[cam_filt], abl[cam])
        word = {"positive on every seed": "lifts every seed", "negative on every seed": "lowers every seed"}.get(
            _signs(q["diffs"]), "moves the seeds in opposite directions")
        out.append(f"Adding the filter on top of CAM {word} ({_each(q['diffs'])}).")
    if soft in abl and BASELINE in abl:
        r = paired(abl[soft], abl[BASELINE])
        agree = _signs(r["diffs"]) != "of both signs"
        out.append(f"Soft labels over the baseline give {_each(r['diffs'])}, {_signs(r['diffs'])}"
                   + (": the same idea agrees in sign there and not on top of CAM. An idea's effect depends on what "
                      "else is switched on (the interaction again), and each comparison needs its own pairs."
                      if agree and _signs(p["diffs"]) == "of both signs" else "."))
    return " ".join(out)


def main_verdicts(groups: dict) -> dict:
    """``groups``: {bits: {combination: {seed: top-1}}}. Returns {bits: (interval verdict of SynQ minus the baseline,
    "baseline" or "SynQ": the row with the larger seed-to-seed std)}."""
    out = {}
    for bits, g in groups.items():
        if BASELINE in g and SYNQ in g and len(set(g[BASELINE]) & set(g[SYNQ])) >= 2:
            p = paired(g[SYNQ], g[BASELINE])
            wider = "baseline" if _sd(list(g[BASELINE].values())) > _sd(list(g[SYNQ].values())) else "SynQ"
            out[bits] = (interval_verdict(p), wider)
    return out


def main_runs(groups: dict) -> str:
    """The main runs (three seeds): SynQ minus the baseline at each bit-width, paired, and which row varies more."""
    if not groups:
        return f"The committed main runs (`results/runs/main`) are {NOT_IN_CHECKOUT}."
    v = main_verdicts(groups)
    out = []
    for bits in sorted(groups, reverse=True):
        g = groups[bits]
        if bits not in v:
            continue
        s = paired_sentence(g[SYNQ], g[BASELINE], what=f"At W{bits}A{bits}, SynQ minus the baseline")
        sb, sq_ = _sd(list(g[BASELINE].values())), _sd(list(g[SYNQ].values()))
        wider = v[bits][1]
        out.append(f"- {s}. The baseline's own seed-to-seed std is {num(sb)}, SynQ's {num(sq_)}: "
                   + ("the baseline, trained on the raw synthetic set, depends more on which set was drawn."
                      if wider == "baseline" else "SynQ varies more from seed to seed than the baseline."))
    if not out:
        return "The committed main runs hold fewer than two seeds per row at every bit-width."
    resolved = [b for b in v if v[b][0] == "gain"]
    n = min(len(set(groups[b][BASELINE]) & set(groups[b][SYNQ])) for b in v)
    tail = (f"With {n} seeds ($t_{{0.975,{n - 1}}}$ = {T975[n - 2]}) the interval is narrow enough to resolve SynQ's "
            "gain at " + _list(f"W{b}A{b}" for b in sorted(resolved, reverse=True)) + "."
            if resolved else f"Not even {n} seeds resolve SynQ's gain here.")
    return "\n".join(out) + "\n\n" + tail + (" These are seeds 0-2, the seeds the settings were chosen on (the section "
                                             "\"How the settings were chosen\" below).")


# ------------------------------------------------------------------ section 4: per class and agreement
def per_class_verdicts(per_class: dict, teacher: str, students) -> dict:
    """{student: dict(drops, worst, rank_hardest, spread)}: the per-class loss against the teacher (points), the class
    with the largest loss, the rank (1 = largest loss) of the teacher's hardest class, and the range of the losses."""
    t = list(per_class[teacher])
    hardest = min(range(len(t)), key=t.__getitem__)
    out = {"hardest": hardest}
    for s in students:
        drops = [a - b for a, b in zip(t, per_class[s])]
        order = sorted(range(len(drops)), key=lambda k: -drops[k])
        out[s] = dict(drops=drops, worst=order[0], best=order[-1], rank_hardest=order.index(hardest) + 1,
                      spread=max(drops) - min(drops))
    return out


def per_class_reading(per_class: dict, classes, teacher: str = "teacher",
                      students=("baseline", "all three (SynQ)")) -> str:
    """The per-class bars read: the teacher's hardest class, each student's largest and smallest loss, whether the
    losses are about uniform, and whether the teacher's hardest class is among the largest losses."""
    students = [s for s in students if s in per_class]
    v = per_class_verdicts(per_class, teacher, students)
    h = v["hardest"]
    out = [f"The teacher's hardest class is '{classes[h]}' ({num(per_class[teacher][h])} %)."]
    for s in students:
        d = v[s]
        w, b = d["worst"], d["best"]
        text = (f"The student '{s}' loses most on '{classes[w]}' ({num(d['drops'][w])} points below the teacher) and least on "
                f"'{classes[b]}' ({num(d['drops'][b])}); ")
        text += ("the losses are far from uniform" if d["spread"] >= UNIFORM else "the losses are about uniform")
        text += f" (range {num(d['spread'])} points). '{classes[h]}' is its {_ord(d['rank_hardest'])} largest loss"
        text += (f", among the {TOP} largest." if d["rank_hardest"] <= TOP else f", not among the {TOP} largest.")
        out.append(text)
    near = [s for s in students if v[s]["rank_hardest"] <= TOP]
    if near and len(near) == len(students):
        out.append("Here the class the teacher finds hardest is also among the students' largest losses, as expected if "
                   "its images sit close to the teacher's decision boundaries, where quantization's perturbation "
                   "pushes some across.")
    elif near:
        out.append(f"The teacher's hardest class is among the largest losses of {_list(near)} only: nearness to "
                   "the teacher's boundaries explains part of the losses, not all.")
    else:
        out.append("The teacher's hardest class is not where the students lose most: in this run the losses do not "
                   "follow the teacher's own difficulty.")
    return " ".join(out)


def agreement_verdicts(top1: dict, agree: dict) -> dict:
    """``excess``: {variant: agreement - top-1}; ``all_positive``; ``same_order`` (ordering by agreement equals
    ordering by top-1)."""
    excess = {n: agree[n] - top1[n] for n in agree}
    by_a = sorted(agree, key=lambda n: -agree[n])
    by_t = sorted(agree, key=lambda n: -top1[n])
    return dict(excess=excess, all_positive=all(x > 0 for x in excess.values()), same_order=by_a == by_t,
                by_agree=by_a, by_top1=by_t)


def agreement(top1: dict, agree: dict) -> str:
    """The agreement table read: agreement minus top-1 per variant, and whether agreement orders the variants as
    top-1 does."""
    v = agreement_verdicts(top1, agree)
    ex = v["excess"]
    lo, hi = min(ex, key=ex.get), max(ex, key=ex.get)
    out = [f"Agreement minus top-1 ranges from {signed(ex[lo])} ({lo}) to {signed(ex[hi])} ({hi})."]
    if v["all_positive"]:
        out.append("It is positive for every variant: each student repeats more of the teacher's errors than it "
                   "corrects, as distillation asks of it.")
    else:
        neg = [n for n in ex if ex[n] <= 0]
        out.append(f"It is not positive for {_list(neg)}: that student is right on more of the teacher's errors than "
                   "it repeats.")
    if v["same_order"]:
        out.append("Ordered by agreement, the variants come in the same order as by top-1 ("
                   + " > ".join(v["by_agree"]) + ").")
    else:
        out.append("Ordered by agreement (" + " > ".join(v["by_agree"]) + ") they differ from the order by top-1 ("
                   + " > ".join(v["by_top1"]) + "): where they differ, a student is right on images for reasons of "
                   "its own.")
    return " ".join(out)


# ------------------------------------------------------------------ section 5: best over epochs
def best_vs_final(lifts: dict, epochs) -> str:
    """``lifts``: {run name: best over epochs minus final (points)}; ``epochs``: the evaluated epochs."""
    if not lifts:
        return f"The committed main runs (`results/runs/main`) are {NOT_IN_CHECKOUT}."
    up = {k: x for k, x in lifts.items() if x > 0}
    ev = _list(epochs)
    if not up:
        return (f"Each of the {len(lifts)} runs evaluated epochs {ev}, and in every one the final epoch was also the "
                "best: here best over epochs and final agree.")
    big = max(up, key=up.get)
    return (f"Each run evaluated epochs {ev}. In {len(up)} of the {len(lifts)} runs an earlier epoch beat the final one, "
            f"so \"best\" reports it: " + _list(f"{k} ({signed(x)})" for k, x in sorted(up.items()))
            + f"; the largest lift is {num(up[big])} points ({big}). In the other {len(lifts) - len(up)} the final "
            "epoch was the best. With more evaluated epochs there are more chances for noise to lift one "
            "(exercise 4).")


# ------------------------------------------------------------------ section 6: how the settings were chosen
def _confirm_by(confirm_runs, bits: int = 3) -> dict:
    """{setting: {seed: run}} over the confirm set's runs at ``bits``."""
    out = {}
    for r in confirm_runs or []:
        if r.get("w_bits") == bits:
            out.setdefault(lever_name(r), {})[r["seed"]] = r
    return out


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
    by = _confirm_by(confirm_runs)
    out = {}
    for name in (CPU, PLUS):
        ins, outs = in_sample.get(name) or {}, [r["final_top1"] for r in by.get(name, {}).values()]
        if not ins or not outs:
            continue
        _, lo, hi = unpaired_interval(outs, ins.values())
        out[name] = "one seed" if math.isnan(lo) else "higher" if lo > 0 else "lower" if hi < 0 else "unresolved"
    return out


def in_and_out_of_sample(in_sample: dict, confirm_runs) -> str:
    """``cpu`` and ``cpu-plus`` on seeds 0-2 (``in_sample``: {setting: {seed: test top-1}}, where the settings were
    chosen) against the fresh seeds of the confirm set (out of sample)."""
    by = _confirm_by(confirm_runs)
    if not by:
        return (f"The fresh-seed runs (`results/runs/confirm`) are {NOT_IN_CHECKOUT}: the chosen settings' test "
                "accuracy rests on seeds 0-2 alone, the seeds they were chosen on. When they are committed, this cell "
                "reads them.")
    v = sample_verdicts(in_sample, confirm_runs)
    out = []
    for name in (CPU, PLUS):
        ins = in_sample.get(name) or {}
        outs = {s: r["final_top1"] for s, r in sorted(by.get(name, {}).items())}
        if not outs:
            out.append(f"- `{name}` has no fresh-seed run in this checkout.")
            continue
        fresh = (f"fresh seeds {_seeds(outs)}: {_vals(outs.values())} (mean {num(statistics.fmean(outs.values()))}"
                 + (f" ± {num(_sd(list(outs.values())))}" if len(outs) > 1 else "") + ")")
        if not ins:
            out.append(f"- `{name}`: {fresh}; no run on seeds 0-2 to compare with.")
            continue
        vals = [ins[s] for s in sorted(ins)]
        diff, lo, hi = unpaired_interval(outs.values(), vals)
        tail = (f"{signed(diff)} points out of sample" + (
            f" (95 % interval {signed(lo)} to {signed(hi)}: "
            + {"higher": "above zero", "lower": "below zero",
               "unresolved": "contains zero, not resolved"}[v[name]] + ")" if v[name] != "one seed" else
            " (one seed on a side: no interval)"))
        out.append(f"- `{name}`: seeds {_seeds(ins)}, where the settings were chosen: {_vals(vals)} (mean "
                   f"{num(statistics.fmean(vals))} ± {num(_sd(vals))}); {fresh}: {tail}.")
    lower = [n for n, x in v.items() if x == "lower"]
    higher = [n for n, x in v.items() if x == "higher"]
    if lower:
        out.append(f"\nThe fresh seeds score lower for {_list(f'`{n}`' for n in lower)}: the numbers on seeds 0-2 were "
                   "optimistic, as choosing on them predicts.")
    elif higher:
        out.append(f"\nThe fresh seeds score higher for {_list(f'`{n}`' for n in higher)}: choosing on seeds 0-2 cannot "
                   "make fresh seeds better, so this is the seeds' luck, not the selection.")
    elif v and all(x == "unresolved" for x in v.values()):
        out.append("\nFor each setting the fresh seeds differ from seeds 0-2 by less than these intervals can resolve: "
                   "the optimism that choosing on the test set builds in is too small to see with these seeds. It is "
                   "not zero by construction (exercise 4); it is below what they can measure.")
    return "\n".join(out)


def _threads(run: dict):
    m = re.search(r"(\d+) threads?", run.get("device", ""))
    return int(m.group(1)) if m else None


def _cost(a: dict, b: dict, seeds, runs) -> dict | None:
    """CPU seconds of settings ``a`` and ``b`` ({seed: run}) over ``seeds``, synthesis charged to cached runs;
    None without CPU seconds; ``threads`` is None when the runs used different thread counts."""
    ca = [whole_cpu_seconds(a[s], runs) for s in seeds]
    cb = [whole_cpu_seconds(b[s], runs) for s in seeds]
    if None in ca + cb:
        return None
    threads = {_threads(a[s]) for s in seeds} | {_threads(b[s]) for s in seeds}
    return dict(ratio=sum(ca) / sum(cb), a=statistics.fmean(ca), b=statistics.fmean(cb),
                threads=threads.pop() if len(threads) == 1 else None, all_threads=sorted(t for t in threads if t))


def fresh_verdicts(confirm_runs) -> dict | None:
    """``gain``: interval verdict of cpu-plus minus cpu on the fresh seeds (test top-1); ``val``: the same on the
    validation split; ``ratio``: cost ratio in CPU seconds (None when not comparable); ``same_cost``: cpu-plus minus
    SynQ at cpu-plus's iteration counts, and that pair's cost ratio."""
    by = _confirm_by(confirm_runs)
    if CPU not in by or PLUS not in by:
        return None
    top = lambda k: {s: r["final_top1"] for s, r in by[k].items()}  # noqa: E731
    p = paired(top(PLUS), top(CPU))
    if not p["seeds"]:
        return None
    val = {k: {s: r["val_final_top1"] for s, r in by[k].items() if r.get("val_final_top1") is not None}
           for k in (PLUS, CPU)}
    pv = paired(val[PLUS], val[CPU])
    cost = _cost(by[PLUS], by[CPU], p["seeds"], confirm_runs)
    out = dict(gain=interval_verdict(p), mean=p["mean"], val=interval_verdict(pv) if pv["seeds"] else None,
               val_mean=pv["mean"], ratio=cost["ratio"] if cost and cost["threads"] else None, same_cost=None)
    if SAME_ITERS in by:
        q = paired(top(PLUS), top(SAME_ITERS))
        c2 = _cost(by[PLUS], by[SAME_ITERS], q["seeds"], confirm_runs) if q["seeds"] else None
        if q["seeds"]:
            out["same_cost"] = (interval_verdict(q), c2["ratio"] if c2 and c2["threads"] else None)
    return out


def fresh_pair(confirm_runs) -> str:
    """``cpu-plus`` minus ``cpu`` on the fresh seeds, paired, with its 95 % t interval, the cost ratio in CPU seconds
    (same thread count), the validation split's verdict, and what SynQ as published gives at about cpu-plus's cost."""
    by = _confirm_by(confirm_runs)
    v = fresh_verdicts(confirm_runs)
    if v is None:
        return (f"The fresh-seed runs of `cpu` and `cpu-plus` (`results/runs/confirm`) are {NOT_IN_CHECKOUT}: the gain "
                "of `cpu-plus` rests on seeds 0-2, where its levers were chosen, and its cost is not measured here.")
    top = lambda k: {s: r["final_top1"] for s, r in by[k].items()}  # noqa: E731
    p = paired(top(PLUS), top(CPU))
    out = ["On the fresh seeds, " + paired_sentence(top(PLUS), top(CPU), what="`cpu-plus` minus `cpu`") + "."]
    cost = _cost(by[PLUS], by[CPU], p["seeds"], confirm_runs)
    if cost is None:
        out.append("These runs do not record their CPU seconds: the cost is not compared here.")
    elif cost["threads"] is None:
        out.append(f"The runs used different thread counts ({_list(cost['all_threads'])}): their CPU seconds are not "
                   "compared here.")
    else:
        stage = lambda k, st: statistics.fmean(by[k][s]["cpu_s"].get(st, 0.0) for s in p["seeds"])  # noqa: E731
        word = ("more compute, not the same budget" if cost["ratio"] > 1 + SAME_COST else
                "less compute" if cost["ratio"] < 1 - SAME_COST else "about the same compute")
        out.append(f"It costs {cost['ratio']:.2f}x the CPU seconds of `cpu`: {num(cost['a'], 0)} s per run against "
                   f"{num(cost['b'], 0)} s (synthesis {num(stage(PLUS, 'synthesis'), 0)} against "
                   f"{num(stage(CPU, 'synthesis'), 0)}, fine-tuning {num(stage(PLUS, 'finetune'), 0)} against "
                   f"{num(stage(CPU, 'finetune'), 0)}), each run on {cost['threads']} thread"
                   f"{'s' if cost['threads'] != 1 else ''}. The gain is bought with {word}.")
    if v["val"] is not None:
        same = {"gain": v["gain"] == "gain", "loss": v["gain"] == "loss"}.get(v["val"], v["gain"] == "unresolved")
        out.append(f"On the validation split the same runs give {signed(v['val_mean'])} points ("
                   + {"gain": "interval above zero", "loss": "interval below zero",
                      "unresolved": "interval contains zero"}[v["val"]] + "): "
                   + ("the same verdict as the test set." if same else "a different verdict from the test set's."))
    if v["same_cost"] is not None:
        q = paired(top(PLUS), top(SAME_ITERS))
        cfg = next(iter(by[SAME_ITERS].values()))["config"]
        ratio = v["same_cost"][1]
        how = ("at about the same cost" if ratio is not None and abs(ratio - 1) < SAME_COST else
               f"at {1 / ratio:.2f}x `cpu-plus`'s cost" if ratio else "at a cost not measured here")
        vals = {s: r["final_top1"] for s, r in sorted(by[SAME_ITERS].items())}
        out.append(f"What SynQ as published gives {how}: given `cpu-plus`'s iteration counts "
                   f"({cfg.get('synth_iters')} synthesis iterations, {cfg.get('epochs')} epochs; a run that loaded its "
                   "synthetic set is charged the synthesis of the run that made it), it reaches "
                   f"{_vals(vals.values())} on seeds {_seeds(vals)}; "
                   + paired_sentence(top(PLUS), top(SAME_ITERS), what="`cpu-plus` minus it") + ".")
    return " ".join(out)


def d0_choice(val_d0_runs, default: float = DEFAULT_D0) -> str:
    """Whether the validation split picks the same d0 as the test set did (the ``val-d0`` runs; notebook 02 reads
    them in full)."""
    g = _val_by_d0(val_d0_runs or [])
    if not g:
        return (f"The d0 runs on the validation split (`results/runs/val-d0`) are {NOT_IN_CHECKOUT}: $d_0$ = "
                f"{default:g} still rests on the test set alone.")
    c = validation_choice(val_d0_runs)
    seeds = sorted({s for x in g.values() for s in x["seeds"]})
    scores = "; ".join(f"$d_0$ = {d:g}: {num(g[d]['val'])} % validation" + (
        f", {num(g[d]['test'])} % test" if g[d]["test"] is not None else "") for d in sorted(g))
    head = f"$d_0$ on the validation split (W3A3, SynQ, seed{'s' if len(seeds) > 1 else ''} {_seeds(seeds)}): {scores}."
    if c is None:
        return head + " Only one $d_0$ ran on the validation split: there is nothing to choose between yet."
    if c["test"] is None:
        return head + f" The validation split picks $d_0$ = {c['val']:g}; these runs carry no test accuracy."
    if c["same"]:
        text = (f" The validation split picks $d_0$ = {c['val']:g}, as the test set did: the same choice, now made "
                "without the test set.")
        if c["val"] != default:
            text += f" It is not the default $d_0$ = {default:g}."
    else:
        text = (f" The validation split picks $d_0$ = {c['val']:g}, the test set $d_0$ = {c['test']:g}: a different "
                f"choice. The presets still use $d_0$ = {default:g}, chosen on the test set.")
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
    """Exercise 1 (soft labels alone ``a`` against the baseline ``b``, {seed: top-1}): unpaired against paired, and
    the 95 % t interval by hand."""
    p = paired(a, b)
    n = len(p["seeds"])
    if n < 2:
        return f"One seed ({_seeds(p['seeds'])}): a difference of {_each(p['diffs'])}, with no spread and no interval."
    out = [f"Unpaired: a gain of {signed(p['unpaired'])} points against a row spread of {num(p['spread'])}, "
           + ("smaller than the spread." if abs(p["unpaired"]) < p["spread"] else "larger than the spread.")]
    out.append(f"Paired: {signed(p['mean'])} with a std of the differences of {num(p['std'])}, "
               + ("smaller than the mean." if p["std"] < abs(p["mean"]) else "not smaller than the mean."))
    if n >= 2:  # always: one seed returned above
        lo, hi = t_interval(p["diffs"])
        verdict = {"gain": "above zero", "loss": "below zero", "unresolved": "it contains zero"}[interval_verdict(p)]
        out.append(f"The 95 % t interval, {signed(p['mean'])} ± {T975[n - 2]} × {num(p['std'])}/√{n}, is "
                   f"[{signed(lo)}, {signed(hi)}]: {verdict}."
                   + (" Pairing made the differences consistent, yet two seeds leave a factor of 12.7 in the "
                      "half-width: consistency over two seeds is not yet evidence." if n == 2 and verdict.startswith("it")
                      else ""))
    return " ".join(out)


def exercise2(sub_std: float, formula: float, k: int, n_sub: int, full_noise: float, seed_std: float) -> str:
    """Exercise 2: the std of ``k`` subsets of ``n_sub`` images against the binomial formula, and the full test set's
    evaluation noise against the baseline's seed-to-seed std."""
    rel = 1 / math.sqrt(2 * (k - 1)) if k > 1 else float("inf")
    agree = abs(sub_std / formula - 1) <= 2 * rel
    out = [f"The {k} subsets of {n_sub:,} images spread with std {num(sub_std)} points; the formula gives "
           f"{num(formula)}: " + (f"they agree within twice the expected error of a std from {k} subsets "
                                  f"(±{100 * 2 * rel:.0f} %)." if agree else
                                  f"they differ by more than twice the expected error of a std from {k} subsets "
                                  f"(±{100 * 2 * rel:.0f} %).")]
    if seed_std > full_noise:
        out.append(f"On the full test set the evaluation noise is {num(full_noise)} points, the committed W3A3 "
                   f"baseline's seed-to-seed std {num(seed_std)}, {seed_std / full_noise:.1f} times larger: the seed, "
                   "not the test set, is the dominant noise, which is why the lesson pairs by seed.")
    else:
        out.append(f"On the full test set the evaluation noise is {num(full_noise)} points, not smaller than the "
                   f"committed W3A3 baseline's seed-to-seed std ({num(seed_std)}): here the test set's own noise "
                   "matters as much as the seed.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(live: dict | None, budget: dict | None, fp_rates: tuple | None, fresh: dict | None,
            d0_runs=None) -> str:
    """What this execution and the committed runs showed, from the verdicts above: ``live`` = (rtn, final, flags),
    ``budget`` = :func:`budget_verdicts`, ``fp_rates`` = (rule, interval) dicts, ``fresh`` = :func:`fresh_verdicts`."""
    out = []
    if live:
        rtn, final, flags = live
        v = live_verdicts(rtn, final, flags)
        below = [n for n in final if v["vs_rtn"][n] == "below"]
        out.append(f"- The live ablation (one seed, a reduced budget): the largest single gain is "
                   f"{_row(flags[v['best_single']])}'s; "
                   + (f"{_list(_row(flags[n]) for n in below)} ended below {'its' if len(below) == 1 else 'their'} "
                      "RTN start." if below else "no row ended below its RTN start."))
    if budget is not None:
        name = (lambda n: _row(live[2][n])) if live else str
        out.append("- The reduced budget ranked the rows " + ("as the full budget did." if budget["same"] else
                   "differently from the full budget (" + _list(name(n) for n in budget["moved"]) + " moved)."))
    if fp_rates:
        rule, interval = fp_rates
        ns = sorted(set(rule) & set(interval))
        out.append("- With no true effect, the spread rule sees one in " + _list(
            f"{100 * rule[n]:.0f} %" for n in ns) + f" of simulated comparisons ({_list(ns)} seeds); the 95 % t "
                   "interval in " + _list(f"{100 * interval[n]:.0f} %" for n in ns) + ".")
    if fresh is not None:
        word = {"gain": "resolved as a gain", "loss": "resolved as a loss", "unresolved": "not resolved"}[fresh["gain"]]
        cost = f", at {fresh['ratio']:.2f}x the CPU seconds" if fresh["ratio"] else ""
        out.append(f"- On fresh seeds, `cpu-plus` minus `cpu` is {signed(fresh['mean'])} points, {word}{cost}.")
    c = validation_choice(d0_runs) if d0_runs else None
    if c is not None and c["test"] is not None:
        out.append(f"- The validation split picks $d_0$ = {c['val']:g}: "
                   + ("the test set's choice too." if c["same"] else f"not the test set's ($d_0$ = {c['test']:g})."))
    return "\n".join(out) if out else "Nothing was measured in this execution."
