"""Readings of notebook 04 (knowledge distillation, difficulty and soft labels), generated from the values it
computed: the softmax at several temperatures, the teacher's dark knowledge on the real test set, the KD loss
against the cross-entropy on one batch, the difficulty of the raw and of the filtered, augmented synthetic images,
the teacher's error rate by difficulty bin (the paper's Fig. 3), the share of samples that get the cross-entropy at
tau, how that share moves with tau, how tau was chosen (the paper's value; the committed tau runs read on the test
set), what the soft labels did in the committed ablation, and Exercise 3 (filter against augmentation).

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_04.py`` checks each branch with made-up numbers on both sides of it).
"""
from __future__ import annotations

import math
import statistics

from ..results import by_seed, interval_verdict, paired
from . import num, paired_sentence, signed
from . import join_list as _list

# Constants and thresholds of the verdicts (each is named in the reading it shapes)
PAPER_TAU = 0.7        # the SynQ paper's tau for ResNet-20 on CIFAR-10 (searched in {0.5, ..., 0.7})
VEHICLES = ("airplane", "automobile", "ship", "truck")  # CIFAR-10's vehicle classes; the other six are animals
FLAT_RATIO = 10.0      # at the highest T, largest / smallest probability below this is "much closer to uniform"
INVISIBLE = 0.01       # wrong classes that share less than this (fraction) are invisible on a linear scale
INHERITED = 0.5        # the teacher's own CE at least this share of the student's: the CE is mostly inherited
SHARE_CLOSE = 5.0      # two CE shares (points) this close "agree"
TAU_MOVE_SMALL = 10.0  # the share with the CE moving less than this (points) between two tau is "little"
AUG_EFFECT = 5.0       # augmentation changing the share with the CE by more than this (points) "matters"
NOT_IN_CHECKOUT = "not in this checkout"
# Adding the soft labels (CE only where delta <= tau) to each combination of the other two ideas:
# (with soft labels, without them, what stays on); combinations are (filter, CAM, soft labels) as 0/1.
SOFT_CONTEXTS = (((0, 0, 1), (0, 0, 0), "with neither the filter nor CAM"),
                 ((0, 1, 1), (0, 1, 0), "with CAM alone"),
                 ((1, 0, 1), (1, 0, 0), "with the filter alone"),
                 ((1, 1, 1), (1, 1, 0), "with the filter and CAM (SynQ)"))


def _pct(x: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.2763`` -> ``'27.6 %'``; a positive value that would round to zero reads
    ``'less than 0.01 %'``."""
    if 0 < 100 * x < 0.5 * 10 ** -digits:
        return f"less than {num(10 ** -digits, digits)} %"
    return f"{num(100 * x, digits)} %"




def _g(x: float) -> str:
    return f"{x:g}"


def _wrong_share(p) -> float:
    """The probability the classes other than the top one share (summed, so that it survives a top class that
    rounds to exactly 1 in float32)."""
    k = max(range(len(p)), key=p.__getitem__)
    return sum(v for c, v in enumerate(p) if c != k)


# ------------------------------------------------------------------ softmax and temperature
def temperature(probs: dict, classes, label: int) -> str:
    """``probs``: {T: the K probabilities of one image's softmax at temperature T}; ``label``: its class."""
    temps = sorted(probs)
    p = {t: [float(v) for v in probs[t]] for t in temps}
    top = {t: max(range(len(p[t])), key=p[t].__getitem__) for t in temps}
    ratio = {t: max(p[t]) / min(p[t]) for t in temps}
    lo, hi = temps[0], temps[-1]
    out = []
    if len(set(top.values())) == 1:
        out.append(f"{classes[top[lo]]!r} is the top class at every temperature, with "
                   + ", ".join(f"{_pct(p[t][top[t]], 2)} at $T$ = {_g(t)}" for t in temps) + ".")
    else:
        out.append("The top class changes with the temperature: "
                   + ", ".join(f"{classes[top[t]]!r} at $T$ = {_g(t)}" for t in temps)
                   + ". That cannot happen to one image's logits divided by a positive $T$: these are not the "
                     "softmax of the same logits.")
    wrong_lo = _wrong_share(p[lo])
    if wrong_lo < INVISIBLE:
        out.append(f"At $T$ = {_g(lo)} the {len(p[lo]) - 1} other classes share {_pct(wrong_lo, 2)} and the largest "
                   f"probability is {ratio[lo]:.3g} times the smallest: on a linear scale the wrong classes would be "
                   "invisible, which is why the panels use a log scale.")
    else:
        out.append(f"At $T$ = {_g(lo)} the {len(p[lo]) - 1} other classes already share {_pct(wrong_lo, 2)} (largest "
                   f"over smallest probability {ratio[lo]:.3g}): they are visible even without a higher temperature.")
    k = len(p[hi])
    order = sorted((c for c in range(k) if c != top[hi]), key=lambda c: -p[hi][c])[:3]
    runners = ", ".join(f"{classes[c]} {_pct(p[hi][c], 2)}" for c in order)
    if ratio[hi] < FLAT_RATIO:
        out.append(f"At $T$ = {_g(hi)} every class gets between {_pct(min(p[hi]), 2)} and {_pct(max(p[hi]), 2)} "
                   f"(ratio {ratio[hi]:.3g}): much closer to the uniform {_pct(1 / k, 0)}, but not uniform, and the "
                   f"wrong classes keep their order ({runners} lead).")
    else:
        out.append(f"Even at $T$ = {_g(hi)} the largest probability is {ratio[hi]:.3g} times the smallest: still far "
                   f"from the uniform {_pct(1 / k, 0)}; the wrong classes lead in the order {runners}.")
    if top[hi] != label:
        out.append(f"(The image's label is {classes[label]!r}, not the top class.)")
    return " ".join(out)


# ------------------------------------------------------------------ dark knowledge
def top_confusions(sim, k: int = 5) -> list:
    """The ``k`` largest off-diagonal entries of the mean-probability matrix ``sim`` (rows: the images' class,
    columns: the class the probability goes to; rows of absent classes are NaN): ``[(row, column, p), ...]``."""
    n = len(sim)
    cells = [(float(sim[a][b]), a, b) for a in range(n) for b in range(n)
             if a != b and not math.isnan(float(sim[a][b]))]
    return [(a, b, v) for v, a, b in sorted(cells, key=lambda c: -c[0])[:k]]


def _block_mean(sim, rows, cols) -> float:
    vals = [float(sim[a][b]) for a in rows for b in cols if a != b and not math.isnan(float(sim[a][b]))]
    return statistics.fmean(vals) if vals else float("nan")


def dark_knowledge(sim, classes, k: int = 5, vehicles=VEHICLES) -> str:
    """The teacher's strongest confusions on the real test set and the animal/vehicle blocks of ``sim``
    (:func:`synq_nb.plotting.mean_probability_by_class`)."""
    top = top_confusions(sim, k)
    veh = {i for i, c in enumerate(classes) if c in vehicles}
    ani = set(range(len(classes))) - veh
    out = ["The largest off-diagonal entries: " + "; ".join(f"{classes[a]} images give {classes[b]} {_pct(v, 2)}"
                                                            for a, b, v in top) + "."]
    if top:
        a, b, v = top[0]
        back = float(sim[b][a])
        out.append(f"The strongest, {classes[a]} to {classes[b]}, has its mirror image {classes[b]} to {classes[a]} at "
                   f"{_pct(back, 2)}.")
    if not veh or not ani:
        return " ".join(out)
    same = [(a, b) for a, b, _ in top if (a in veh) == (b in veh)]
    cross = [f"{classes[a]} to {classes[b]}" for a, b, _ in top if (a in veh) != (b in veh)]
    if len(same) == len(top):
        out.append(f"All {len(top)} connect two animals or two vehicles.")
    elif len(same) > len(top) / 2:
        out.append(f"{len(same)} of the {len(top)} connect two animals or two vehicles; the exception"
                   f"{'s' if len(cross) > 1 else ''}: {_list(cross)}.")
    else:
        out.append(f"Only {len(same)} of the {len(top)} connect two animals or two vehicles; the others cross the "
                   f"groups ({_list(cross)}).")
    aa, vv = _block_mean(sim, ani, ani), _block_mean(sim, veh, veh)
    av, va = _block_mean(sim, ani, veh), _block_mean(sim, veh, ani)
    blocks = (f"On average an animal image gives each other animal class {_pct(aa, 2)} and each vehicle class "
              f"{_pct(av, 2)}; a vehicle image gives each other vehicle class {_pct(vv, 2)} and each animal class "
              f"{_pct(va, 2)}.")
    if av < aa and va < vv:
        out.append(blocks + f" The blocks where the groups meet are the dark ones ({num(aa / av, 1)}x and "
                            f"{num(vv / va, 1)}x less than within the groups).")
    else:
        out.append(blocks + " The blocks where the groups meet are not darker than the blocks within them: in this "
                            "teacher the split into animals and vehicles does not show.")
    return " ".join(out)


# ------------------------------------------------------------------ KD against CE on one batch
def kd_vs_ce(kd: float, ce_student: float, ce_teacher: float, teacher_wrong: float, n: int) -> str:
    """``kd``: KL(teacher || student) at T = 1; ``ce_student`` / ``ce_teacher``: the cross-entropy of the student's /
    the teacher's logits with the assigned labels; ``teacher_wrong``: the share (0-1) of the batch whose teacher top
    class is not the label; ``n``: the batch size."""
    out = [f"On this batch of {n} filtered synthetic images the RTN student's KL to the teacher is {num(kd, 3)} and "
           f"its cross-entropy with the assigned labels {num(ce_student, 3)}"]
    if ce_student > kd:
        out[0] += f", {ce_student / kd:.1f}x as large."
    else:
        out[0] += f": the cross-entropy is no larger than the KL ({ce_student / kd:.2f}x)."
    out.append(f"The teacher itself has a cross-entropy of {num(ce_teacher, 3)} with the same labels, and its top "
               f"class is not the label on {_pct(teacher_wrong)} of these images.")
    share = ce_teacher / ce_student if ce_student > 0 else float("inf")
    if share >= 1:
        out.append("A student that imitated the teacher perfectly would have at least as large a cross-entropy: the "
                   "student's cross-entropy measures the labels' disagreement with the teacher, not the student's "
                   "error, while the KL measures only the student's departure from the teacher.")
    elif share >= INHERITED:
        out.append(f"So most of the student's cross-entropy ({_pct(share, 0)} of it) would remain for a "
                   "student that imitated the teacher perfectly: it mostly measures the labels' disagreement with the "
                   "teacher, not the student's error, while the KL measures only the student's departure from the "
                   "teacher.")
    else:
        out.append(f"The teacher's own cross-entropy is {_pct(share, 0)} of the student's: most of the student's "
                   "cross-entropy is its own error, since the teacher agrees with these labels far better.")
    return " ".join(out)


# ------------------------------------------------------------------ difficulty of the raw and filtered images
def difficulty_shift(mean_views: float, mean_raw: float, wrong_views: float, wrong_raw: float, n_samples: int,
                     views: int, d0, use_filter: bool = True) -> str:
    """Mean difficulty and the teacher's error share (0-1) on the ``n_samples`` filtered, augmented samples and on the
    raw images."""
    seen = (f"low-pass filtered at $d_0$ = {_g(d0)}" if use_filter else "unfiltered") + (
        f"; {views} views per image, view 0 unaugmented and the others cropped and flipped" if views > 1 else
        ", one unaugmented view per image")
    undo = {(True, True): ("the crop, flip and filter", "undo", "leave"),
            (True, False): ("the crop and flip", "undo", "leave"),
            (False, True): ("the filter", "undoes", "leaves"),
            (False, False): ("nothing", "undoes", "leaves")}[(views > 1, bool(use_filter))]
    out = [f"On the raw synthetic images the mean difficulty is {num(mean_raw, 3)} and the teacher's top class differs "
           f"from the assigned label on {_pct(wrong_raw)}. On the {n_samples} samples scored here ({seen})"
           f" the mean difficulty is {num(mean_views, 3)} and the top class differs on {_pct(wrong_views)}."]
    if mean_views > mean_raw:
        out.append(f"The synthesis optimised the images to be easy for the teacher (notebook 01), and {undo[0]} "
                   f"{undo[1]} much of that: the mean difficulty rose by {signed(mean_views - mean_raw, 3)}.")
    else:
        out.append(f"These samples are not harder than the raw images: at these settings, {undo[0]} {undo[2]} the "
                   "teacher as sure of the labels as before.")
    return " ".join(out)


# ------------------------------------------------------------------ error rate by difficulty (Fig. 3)
def _bins(edges, rate, counts) -> tuple:
    """(all bins, the non-empty bins below 0.5, the non-empty bins above 0.5), each bin (low, high, rate, count)."""
    bins = [(float(a), float(b), float(r), int(k)) for a, b, r, k in zip(edges[:-1], edges[1:], rate, counts)]
    low = [x for x in bins if x[1] <= 0.5 + 1e-9 and x[3]]
    high = [x for x in bins if x[0] >= 0.5 - 1e-9 and x[3]]
    return bins, low, high


def _shape(rates) -> str:
    """``"rises"`` (never falls from one bin to the next), ``"overall"`` (last above first, with a fall on the way)
    or ``"no"``, for the error rates of the bins above 0.5."""
    if len(rates) > 1 and all(x <= y for x, y in zip(rates, rates[1:])):
        return "rises"
    return "overall" if len(rates) > 1 and rates[-1] > rates[0] else "no"


def error_by_bin(edges, rate, counts, tau: float) -> str:
    """``edges`` (bins + 1), ``rate`` (fraction 0-1, NaN when empty) and ``counts`` per bin, as
    :func:`synq_nb.plotting.error_rate_by_difficulty` returns them."""
    bins, low, high = _bins(edges, rate, counts)
    total = sum(k for *_, k in bins)
    out = []
    if low:
        n_low = sum(x[3] for x in low)
        worst = max(x[2] for x in low)
        if worst == 0:
            out.append(f"Every bin below $\\delta$ = 0.5 ({n_low} samples) has an error rate of exactly 0 %, as the "
                       "definition guarantees.")
        else:
            out.append(f"A bin below $\\delta$ = 0.5 has an error rate of {_pct(worst)}: that contradicts the "
                       "definition (a label with probability above one half is the top class), so the inputs are not "
                       "what the table says.")
    if high:
        rates = [x[2] for x in high]
        listed = ", ".join(f"{_pct(r)} ({a:.1f}-{b:.1f}, {k} samples)" for a, b, r, k in high)
        shape = _shape(rates)
        if shape == "rises":
            out.append(f"Above 0.5 the error rate grows with difficulty and never falls from one bin to the next: "
                       f"{listed}, the same shape as the paper's Fig. 3.")
        elif shape == "overall":
            falls = [f"{high[i][0]:.1f}-{high[i][1]:.1f} to {high[i + 1][0]:.1f}-{high[i + 1][1]:.1f}"
                     for i in range(len(rates) - 1) if rates[i + 1] < rates[i]]
            out.append(f"Above 0.5 the error rate rises overall ({listed}), but not in every step: it falls from "
                       f"{_list(falls)}.")
        else:
            out.append(f"Above 0.5 the error rate does not rise with difficulty ({listed}): this run does not show "
                       "the shape of the paper's Fig. 3.")
        a, b, r, k = high[-1]
        if r > 0.5:
            out.append(f"In the hardest bin ({a:.1f}-{b:.1f}) the teacher prefers another class for most samples "
                       f"({_pct(r)}).")
        else:
            out.append(f"Even in the hardest bin ({a:.1f}-{b:.1f}) the teacher agrees with the label on most samples "
                       f"(error rate {_pct(r)}).")
    if total:
        first, last = bins[0][3] / total, bins[-1][3] / total
        ends = (f"{_pct(first)} of the samples lie in the easiest bin ({bins[0][0]:.1f}-{bins[0][1]:.1f}) and "
                f"{_pct(last)} in the hardest ({bins[-1][0]:.1f}-{bins[-1][1]:.1f})")
        if first + last > 0.5:
            out.append(ends + ": most samples are either clearly easy or clearly hard (note the log scale of the "
                              "left panel).")
        else:
            out.append(ends + ": most samples lie between the two ends.")
    return " ".join(out)


# ------------------------------------------------------------------ the share that gets the CE
def shares(delta, taus) -> dict:
    """{tau: share (0-1) of the samples with difficulty <= tau} for a sequence of difficulties."""
    d = [float(x) for x in delta]
    return {float(t): sum(x <= t for x in d) / len(d) for t in taus}


def ce_share(share_tau: float, tau: float, n: int, batch_share: float, sel_ce: float, plain_ce: float,
             bench_share: float | None = None, d0=None) -> str:
    """``share_tau``: share (0-1) of the ``n`` samples with difficulty <= tau; ``batch_share``, ``sel_ce`` and
    ``plain_ce``: the share, the selective CE and the plain CE on the batch of the table; ``bench_share``: the CE
    share over the last epoch of the committed benchmark run at the same d0 and tau (None: not committed)."""
    out = [f"At $\\tau$ = {_g(tau)}, {_pct(share_tau)} of the {n} filtered, augmented samples get the cross-entropy "
           f"term and {_pct(1 - share_tau)} learn from the teacher's soft labels alone"]
    out[0] += (": the hard labels act on a minority." if share_tau < 0.5 else
               ": the hard labels still act on the majority.")
    if bench_share is None:
        out.append(f"The benchmark run at this $d_0$ and $\\tau$ is {NOT_IN_CHECKOUT}.")
    else:
        diff = 100 * (bench_share - share_tau)
        where = f"$d_0$ = {_g(d0)}, " if d0 is not None else ""
        head = (f"The committed benchmark run with the same settings ({where}$\\tau$ = {_g(tau)}, W3A3, seed 0, "
                f"`results/runs/tau`) recorded a CE share of {_pct(bench_share)} over its last epoch")
        if abs(diff) <= SHARE_CLOSE:
            out.append(head + f", within {SHARE_CLOSE:g} points of this notebook's share ({signed(diff, 1)} points; "
                              "the run crops and flips every sample anew at every step, while this notebook leaves "
                              "view 0 unaugmented).")
        else:
            out.append(head + f", {signed(diff, 1)} points from this notebook's share: more than {SHARE_CLOSE:g} "
                              "points, so this notebook's share does not describe what the run trained on.")
    if batch_share <= 0:
        out.append(f"No sample of the batch in the table passes at $\\tau$ = {_g(tau)}, so its selective CE is zero.")
    else:
        easy = sel_ce / batch_share
        head = (f"On the batch in the table {_pct(batch_share, 2)} pass; the selective CE is {num(sel_ce, 3)} against "
                f"{num(plain_ce, 3)} for the plain cross-entropy ({_pct(sel_ce / plain_ce)} of it). It is the share "
                f"times the mean CE of the samples that pass, so those have a mean CE of {num(easy, 3)}, against "
                f"{num(plain_ce, 3)} over the whole batch")
        if easy < plain_ce:
            out.append(head + ": the samples left out carry the large cross-entropy, and they are the ones whose label "
                              "the teacher rejects.")
        else:
            out.append(head + ": the samples left out do not carry a larger cross-entropy than the ones kept.")
    return " ".join(out)


def tau_shares(delta, lo: float = 0.5, hi: float = PAPER_TAU) -> str:
    """How the share with the CE moves between two values of tau, and where the rest of the samples lie."""
    s = shares(delta, (0.1, lo, hi, 0.9))
    move = 100 * (s[hi] - s[lo])
    out = (f"Between $\\tau$ = {_g(lo)} and {_g(hi)} the share with the cross-entropy moves from {_pct(s[lo])} to "
           f"{_pct(s[hi])}: {num(move, 1)} % of the samples have a difficulty in that range, while {_pct(s[0.1])} lie "
           f"at or below 0.1 and {_pct(1 - s[0.9])} above 0.9.")
    if move < TAU_MOVE_SMALL:
        return out + (" Over the range the paper searched, $\\tau$ changes the target of few samples: most are either "
                      "clearly easy or clearly hard.")
    return out + (" Many samples lie in the range the paper searched: here the choice of $\\tau$ changes the target of "
                  "a large share of them.")


# ------------------------------------------------------------------ how tau was chosen (committed runs)
def _tau_grid(tau_runs, bits: int = 3, seed: int = 0) -> dict:
    """{d0: {tau: run}} of the committed tau runs at ``bits`` and ``seed``."""
    out = {}
    for r in tau_runs or []:
        if r["w_bits"] == bits and r["seed"] == seed:
            out.setdefault(float(r["config"]["d0"]), {})[float(r["config"]["tau"])] = r
    return out


def _seed_values(d0_runs, d0: float, tau: float, bits: int = 3) -> dict:
    """{seed: final top-1} of the committed d0 runs at this d0 and tau (the setting's runs over seeds)."""
    return {r["seed"]: r["final_top1"] for r in d0_runs or []
            if r["w_bits"] == bits and float(r["config"]["d0"]) == d0 and float(r["config"]["tau"]) == tau}


def tau_spreads(tau_runs, d0_runs, paper_tau: float = PAPER_TAU, bits: int = 3) -> dict:
    """{d0: dict(top1={tau: test top-1, seed 0}, share={tau: CE share}, spread, best, std, seeds)}: the tau runs'
    spread against the seed-to-seed std of ``paper_tau`` at that d0 (``std`` NaN with fewer than two seeds)."""
    out = {}
    for d0, row in sorted(_tau_grid(tau_runs, bits).items()):
        top1 = {t: row[t]["final_top1"] for t in sorted(row)}
        share = {t: row[t]["history"]["hard_frac"][-1] for t in sorted(row)
                 if row[t].get("history", {}).get("hard_frac")}
        seeds = _seed_values(d0_runs, d0, paper_tau, bits)
        out[d0] = dict(top1=top1, share=share, spread=max(top1.values()) - min(top1.values()),
                       best=max(top1, key=top1.get), seeds=sorted(seeds),
                       std=statistics.stdev(seeds.values()) if len(seeds) > 1 else float("nan"))
    return out


def validation_tau(val_tau_runs, paper_tau: float = PAPER_TAU) -> str | None:
    """The tau runs on the validation split (``results/runs/val-tau``: W3A3, seed 0, d0 8): which value it ranks
    first, with the numbers; None without them."""
    runs = {r["config"]["tau"]: r for r in val_tau_runs or () if r.get("val_final_top1") is not None}
    if len(runs) < 2:
        return None
    taus = sorted(runs)
    val = {t: runs[t]["val_final_top1"] for t in taus}
    best = max(val, key=val.get)
    gap = val[best] - max(v for t, v in val.items() if t != best)
    head = (f"On the validation split (training images 512-999 of each class; W3A3, $d_0$ = 8, seed 0, "
            f"`results/runs/val-tau`) the fine-tuned students score {_list([num(val[t]) for t in taus])} % for "
            f"$\\tau$ = {_list([_g(t) for t in taus])}: it ranks $\\tau$ = {_g(best)} first, {num(gap)} points "
            "ahead of the next, ")
    same = ("the paper's value, which the benchmarks keep." if best == paper_tau else
            f"not the paper's {_g(paper_tau)}; the benchmarks keep {_g(paper_tau)}.")
    return head + same + " One seed per value: a ranking of single runs, with no interval."


def tau_choice(tau_runs, d0_runs, tau: float = PAPER_TAU, paper_tau: float = PAPER_TAU, val_tau_runs=None) -> str:
    """How tau was chosen: the paper's value, kept; the committed tau runs (W3A3, seed 0, CIFAR-10 **test** top-1),
    one seed per value, with the noise scale of a single-run difference (sqrt(2) x the seed-to-seed std of the
    paper's tau at the same d0, from the d0 runs); no test, no validation selection."""
    sp = tau_spreads(tau_runs, d0_runs, paper_tau)
    keep = (f"$\\tau$ = {_g(paper_tau)} is the paper's choice for ResNet-20 on CIFAR-10, and the benchmarks keep it"
            + ("." if tau == paper_tau else f" (this notebook runs at $\\tau$ = {_g(tau)}, a parameter)."))
    if not sp:
        return keep + (f" The committed $\\tau$ runs (`results/runs/tau`) are {NOT_IN_CHECKOUT}. "
                       + (validation_tau(val_tau_runs, paper_tau) or
                          "No selection of $\\tau$ was made on the validation split."))
    rows = ["| $d_0$ | $\\tau$ | CE share, last epoch | test top-1 (%), seed 0 |", "|---|---|---|---|"]
    for d0, v in sp.items():
        rows += [f"| {_g(d0)} | {_g(t)} | {_pct(v['share'][t]) if t in v['share'] else ''} | {num(a)} |"
                 for t, a in v["top1"].items()]
    text = [keep, "The committed $\\tau$ runs (W3A3, `cpu` preset, SynQ, seed 0) were read on the CIFAR-10 **test** "
                  "set:", "", "\n".join(rows), ""]
    said = ["Each value of $\\tau$ has one run (seed 0), so these runs allow no test of whether $\\tau$ matters: a "
            "difference between two single runs has no interval."]
    for d0, v in sp.items():
        taus = list(v["top1"])
        head = (f"At $d_0$ = {_g(d0)} the test top-1 is {_list([num(v['top1'][t]) for t in taus])} % for $\\tau$ = "
                f"{_list([_g(t) for t in taus])} (highest at {_g(v['best'])}): a spread of {num(v['spread'])} points")
        if math.isnan(v["std"]):
            said.append(head + f"; with fewer than two seeds of $\\tau$ = {_g(paper_tau)} at this $d_0$ there is no "
                               "seed-to-seed std to give the noise scale of a single-run difference.")
        else:
            said.append(head + f"; the difference of two single runs has a noise scale of about $\\sqrt{{2}}$ x the "
                               f"seed-to-seed std of $\\tau$ = {_g(paper_tau)} at this $d_0$ "
                               f"({num(v['std'])} points, seeds {_list(v['seeds'])}): {num(math.sqrt(2) * v['std'], 1)} "
                               "points.")
    said.append(validation_tau(val_tau_runs, paper_tau) or
                f"No selection of $\\tau$ was made on the validation split: $\\tau$ = {_g(paper_tau)} is the paper's "
                "value, and the numbers above describe the runs; they did not choose it.")
    return "\n".join(text) + "\n" + " ".join(said)


# ------------------------------------------------------------------ what the soft labels did (ablation)
def soft_label_verdicts(ablation_runs, bits: int = 3) -> dict:
    """{context: "gain" / "loss" / "unresolved"} for adding the soft labels in each context of ``SOFT_CONTEXTS``
    (the 95 % t interval of the paired difference over seeds); contexts without two paired runs are left out."""
    rows = by_seed(ablation_runs or [], bits, "final_top1")
    out = {}
    for on, off, what in SOFT_CONTEXTS:
        if rows.get(on) and rows.get(off) and set(rows[on]) & set(rows[off]):
            out[what] = interval_verdict(paired(rows[on], rows[off]))
    return out


def _ce_share_by_filter(ablation_runs, bits: int = 3) -> dict:
    """{filter on (bool): mean last-epoch CE share} over the ablation runs with the soft labels on."""
    out = {}
    for r in ablation_runs or []:
        c = r["config"]
        if r["w_bits"] == bits and c["use_soft_labels"] and r.get("history", {}).get("hard_frac"):
            out.setdefault(bool(c["use_filter"]), []).append(r["history"]["hard_frac"][-1])
    return {k: statistics.fmean(v) for k, v in out.items()}


def soft_label_interaction(ablation_runs, bits: int = 3) -> dict:
    """The filter x soft-label interaction, paired by seed: {"with CAM off" / "with CAM on" / "pooled over CAM":
    (gain with the filter {seed: ...}, gain without the filter {seed: ...})}, where a gain is soft labels on minus
    off of the same seed; "pooled over CAM" averages each seed's gains over the two CAM settings. Settings without
    a shared seed across the four runs are left out."""
    rows = by_seed(ablation_runs or [], bits, "final_top1")

    def gain(f, c):
        on, off = rows.get((f, c, 1), {}), rows.get((f, c, 0), {})
        return {k: on[k] - off[k] for k in set(on) & set(off)}

    out = {}
    for c, what in ((0, "with CAM off"), (1, "with CAM on")):
        g1, g0 = gain(1, c), gain(0, c)
        if set(g1) & set(g0):
            out[what] = (g1, g0)
    if len(out) == 2:
        (a1, a0), (b1, b0) = out["with CAM off"], out["with CAM on"]
        seeds = set(a1) & set(a0) & set(b1) & set(b0)
        if seeds:
            out["pooled over CAM"] = ({k: (a1[k] + b1[k]) / 2 for k in seeds}, {k: (a0[k] + b0[k]) / 2 for k in seeds})
    return out


def interaction_verdicts(ablation_runs, bits: int = 3) -> dict:
    """{setting: "gain" / "loss" / "unresolved"} of the filter x soft-label interaction (see
    :func:`soft_label_interaction`), by the 95 % t interval of the per-seed difference."""
    return {w: interval_verdict(paired(g1, g0)) for w, (g1, g0) in soft_label_interaction(ablation_runs, bits).items()}


def soft_label_ablation(ablation_runs, bits: int = 3) -> str:
    """What adding the soft labels (selective CE instead of CE on every sample, lambda_CE = 0.5) did in each
    combination of the other two ideas, paired by seed with the 95 % t interval (committed ablation, final-epoch
    CIFAR-10 test top-1); the filter x soft-label interaction paired by seed; the CE share and the confound of the
    hard-label weight."""
    if not ablation_runs:
        return f"The ablation runs (`results/runs/ablation`, notebook 06) are {NOT_IN_CHECKOUT}."
    rows = by_seed(ablation_runs, bits, "final_top1")
    parts = []
    for on, off, what in SOFT_CONTEXTS:
        if rows.get(on) and rows.get(off) and set(rows[on]) & set(rows[off]):
            label = f"{what[0].upper()}{what[1:]}, selective CE minus CE on every sample"
            parts.append("- " + paired_sentence(rows[on], rows[off], what=label) + ".")
    if not parts:
        return "The committed ablation runs hold no pair of runs with and without the soft labels."
    v = soft_label_verdicts(ablation_runs, bits)
    out = [f"In the committed ablation (`results/runs/ablation`, W{bits}A{bits}, `cpu` preset, final-epoch CIFAR-10 "
           "test top-1; notebook 06 reads it in full), turning the soft labels on means the selective CE (CE only "
           f"where $\\delta \\le \\tau$) instead of the CE on every sample, both at $\\lambda_{{CE}}$ = 0.5:", "",
           "\n".join(parts), ""]
    gains = [w for w, x in v.items() if x == "gain"]
    losses = [w for w, x in v.items() if x == "loss"]
    unresolved = [w for w, x in v.items() if x == "unresolved"]
    text = []
    if gains and len(gains) == len(v):
        text.append("The interval lies above zero in every combination.")
    elif not gains and not losses:
        text.append("No interval excludes zero: with these seeds the soft labels' effect is not resolved in any "
                    "combination.")
    else:
        text.append(f"Resolved gains: {_list(gains)}; resolved losses: {_list(losses)}; unresolved: "
                    f"{_list(unresolved)}.")
    if unresolved:
        n = min(len(rows[on]) for on, _, w in SOFT_CONTEXTS if w in unresolved)
        text.append(f"An unresolved row ({_list(unresolved)}) is not evidence of no effect: with {n} seed"
                    f"{'s' if n != 1 else ''} per row only a large, consistent difference resolves.")
    inter = soft_label_interaction(ablation_runs, bits)
    if inter:
        iv = interaction_verdicts(ablation_runs, bits)
        text.append("A gain resolved in one row and not in another is not a difference between the rows; that "
                    "difference is the filter x soft-label interaction, per seed the gain with the filter minus the "
                    "gain without it:")
        text = [" ".join(text), ""] + [
            "- " + paired_sentence(g1, g0, what=f"{w[0].upper()}{w[1:]}, the interaction") + "."
            for w, (g1, g0) in inter.items()] + [""]
        resolved = [w for w, x in iv.items() if x != "unresolved"]
        tail = [("These runs do not show that the soft labels help more with the filter than without it."
                 if not resolved else
                 f"The interaction is resolved {_list(resolved)}: there the soft labels' effect differs with the "
                 "filter on and off.")]
    else:
        tail = []
    share = _ce_share_by_filter(ablation_runs, bits)
    if True in share and False in share:
        most = share[True] < 0.5 and share[False] < 0.5
        tail.append(f"With the soft labels on, the CE reaches {_pct(share[True])} of the samples over the last epoch "
                    f"with the filter and {_pct(share[False])} without it: "
                    + ("most samples are hard either way." if most else "the hard samples are not a majority in both."))
        tail.append("The comparison has no control at the same hard-label weight: the selective CE cuts the effective "
                    f"CE weight to about {_pct(share[True], 0)} (filter) and {_pct(share[False], 0)} (no filter) of "
                    "$\\lambda_{CE}$ = 0.5, and $\\lambda_{CE}$ was never swept, so these runs cannot tell selecting "
                    "the samples apart from weakening the CE.")
    return "\n".join(out) + "\n" + "\n".join(text) + (("\n" if inter else " ") + " ".join(tail) if tail else "")


# ------------------------------------------------------------------ Exercise 3: filter against augmentation
def bench_ce_shares(tau_runs, tau: float = PAPER_TAU, bits: int = 3, seed: int = 0) -> dict:
    """{d0: last-epoch CE share} of the committed tau runs at this tau."""
    return {d0: row[tau]["history"]["hard_frac"][-1] for d0, row in _tau_grid(tau_runs, bits, seed).items()
            if tau in row and row[tau].get("history", {}).get("hard_frac")}


def _falls(shares_by_filter) -> bool:
    return all(a >= b for a, b in zip(shares_by_filter, shares_by_filter[1:]))


def _bench_direction(bench: dict) -> bool:
    """True where the CE share grows with d0 (a stronger filter, a smaller d0, leaves fewer samples the CE)."""
    ds = sorted(bench)
    return all(bench[a] <= bench[b] for a, b in zip(ds, ds[1:]))


def _aug_change(table: dict) -> float:
    """Points by which the augmentation lowers the share with delta <= tau, without a filter."""
    augs = list(table)
    f0 = next(iter(table[augs[0]]))
    return 100 * (table[augs[0]][f0][1] - table[augs[1]][f0][1])


def exercise3_findings(table: dict, bench: dict | None = None) -> dict:
    """The verdicts :func:`filter_vs_augmentation` chose, as booleans for ``checks.result``."""
    f = {"the share falls as the filter gets stronger, in every row":
         all(_falls([v[1] for v in row.values()]) for row in table.values())}
    if len(table) >= 2:
        f["the augmentation alone makes many images hard"] = _aug_change(table) > AUG_EFFECT
    if bench and len(bench) >= 2:
        f["in the benchmark runs the stronger filter leaves fewer samples the CE"] = _bench_direction(bench)
    return f


def filter_vs_augmentation(table: dict, tau: float, bench: dict | None = None) -> str:
    """``table``: {augmentation: {filter: (mean difficulty, share (0-1) with delta <= tau)}}, the augmentations in
    order (none first), the filters from none to the strongest; ``bench``: {d0: last-epoch CE share} of the committed
    runs at this tau."""
    augs = list(table)
    out = []
    for aug in augs:
        row = table[aug]
        names = list(row)
        s = [row[f][1] for f in names]
        steps = " -> ".join(f"{_pct(x)} ({f})" for f, x in zip(names, s))
        if _falls(s):
            out.append(f"Augmentation {aug!r}: the share with $\\delta \\le$ {_g(tau)} falls as the filter gets "
                       f"stronger, {steps}.")
        else:
            out.append(f"Augmentation {aug!r}: the share with $\\delta \\le$ {_g(tau)} does not fall steadily as "
                       f"the filter gets stronger, {steps}.")
    if len(augs) >= 2:
        plain, aug = table[augs[0]], table[augs[1]]
        f0 = next(iter(plain))
        (m0, s0), (m1, s1) = plain[f0], aug[f0]
        change = _aug_change(table)
        head = (f"Without a filter, the augmentation {augs[1]!r} moves the mean difficulty from {num(m0, 3)} to "
                f"{num(m1, 3)} and moves the share with $\\delta \\le$ {_g(tau)} from {_pct(s0)} to {_pct(s1)}")
        if change > AUG_EFFECT:
            out.append(head + ": the augmentation alone makes many images hard, so during fine-tuning difficulty "
                              "comes from both sources.")
        else:
            out.append(head + ": the augmentation alone changes little here; the filter is what makes the images "
                              "hard.")
    if not bench:
        out.append(f"The benchmark runs' CE shares are {NOT_IN_CHECKOUT}.")
    elif len(bench) >= 2:
        ds = sorted(bench)
        listed = ", ".join(f"{_pct(bench[d])} at $d_0$ = {_g(d)}" for d in ds)
        if _bench_direction(bench):
            out.append(f"The committed benchmark runs (W3A3, seed 0, $\\tau$ = {_g(tau)}, with augmentation) recorded "
                       f"CE shares over the last epoch of {listed}: the stronger filter leaves fewer samples the CE, "
                       "the same direction.")
        else:
            out.append(f"The committed benchmark runs (W3A3, seed 0, $\\tau$ = {_g(tau)}, with augmentation) recorded "
                       f"CE shares over the last epoch of {listed}: there the stronger filter does not leave fewer "
                       "samples the CE.")
    else:
        d, x = next(iter(bench.items()))
        out.append(f"The committed benchmark runs hold one $d_0$ at this $\\tau$ ({_pct(x)} at $d_0$ = {_g(d)}): "
                   "no direction to compare.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(share_tau: float, tau: float, edges, rate, counts, kd: float, ce_student: float, ce_teacher: float,
            tau_runs=None, d0_runs=None, ablation_runs=None, paper_tau: float = PAPER_TAU, val_tau_runs=None) -> str:
    """The Summary's bullets about this run, each the verdict of a reading above."""
    out = [f"- At $\\tau$ = {_g(tau)}, {_pct(share_tau)} of the filtered, augmented samples get the cross-entropy "
           f"({'a minority' if share_tau < 0.5 else 'the majority'}); the rest learn from the soft labels alone."]
    high = _bins(edges, rate, counts)[2]
    if high:
        rs = [x[2] for x in high]
        shape = _shape(rs)
        if shape == "rises":
            out.append(f"- Above $\\delta$ = 0.5 the teacher's error rate grows with difficulty, from {_pct(rs[0])} to "
                       f"{_pct(rs[-1])} (the paper's Fig. 3); below 0.5 it is zero by definition.")
        elif shape == "overall":
            out.append(f"- Above $\\delta$ = 0.5 the teacher's error rate rises overall, from {_pct(rs[0])} to "
                       f"{_pct(rs[-1])}, but not in every bin; below 0.5 it is zero by definition.")
        else:
            out.append(f"- Above $\\delta$ = 0.5 the teacher's error rate does not rise ({_pct(rs[0])} to "
                       f"{_pct(rs[-1])}); below 0.5 it is zero by definition.")
    share = ce_teacher / ce_student if ce_student > 0 else float("inf")
    out.append(f"- The RTN student's cross-entropy with the labels ({num(ce_student, 3)}) is "
               + (f"mostly the teacher's own ({num(ce_teacher, 3)}): the labels disagree with the teacher; "
                  if share >= INHERITED else
                  f"mostly its own error (the teacher's is {num(ce_teacher, 3)}); ")
               + f"its KL to the teacher is {num(kd, 3)}.")
    sp = tau_spreads(tau_runs, d0_runs, paper_tau)
    if sp:
        vt = validation_tau(val_tau_runs, paper_tau)
        out.append(f"- $\\tau$ = {_g(paper_tau)} is the paper's value, kept; our $\\tau$ runs on the test set have one "
                   "seed per value and allow no test; "
                   + ("on the validation split (one seed per value) " + ("it also ranks first." if vt and
                      "the paper's value, which" in vt else "another value ranks first.") if vt else
                      "$\\tau$ was not selected on the validation split."))
    v = soft_label_verdicts(ablation_runs)
    if v:
        gains = [w for w, x in v.items() if x == "gain"]
        seeds = sorted({r["seed"] for r in ablation_runs if r["w_bits"] == 3})
        out.append(f"- In the ablation (seeds {_list(seeds)}, 95 % t intervals), turning the soft labels on gives a "
                   f"resolved gain in {len(gains)} of {len(v)} combinations"
                   + (f" ({'; '.join(gains)})" if gains else "")
                   + " (selective CE against CE on every sample at $\\lambda_{CE}$ = 0.5, no control at the same "
                   "hard-label weight)")
        iv = interaction_verdicts(ablation_runs)
        if "pooled over CAM" in iv:
            out[-1] += ("; the filter x soft-label interaction, pooled over CAM, is "
                        + ("unresolved." if iv["pooled over CAM"] == "unresolved" else
                           f"resolved ({'above' if iv['pooled over CAM'] == 'gain' else 'below'} zero)."))
        else:
            out[-1] += "."
    return "\n".join(out)


# ------------------------------------------------------------------ the checks cell
def findings(p_by_t=None, sim=None, classes=None, kd=None, ce_student=None, ce_teacher=None, edges=None, rate=None,
             counts=None, share_tau=None, bench_share=None, batch_share=None, sel_ce=None, plain_ce=None,
             delta=None, tau_runs=None, d0_runs=None, ablation_runs=None) -> dict:
    """The verdicts the readings above chose, as booleans for the notebook's ``checks.result`` (each key is given
    only when its inputs are)."""
    f = {}
    if p_by_t:
        lo, hi = min(p_by_t), max(p_by_t)
        p_lo, p_hi = [float(v) for v in p_by_t[lo]], [float(v) for v in p_by_t[hi]]
        f["wrong classes invisible at the lowest T"] = _wrong_share(p_lo) < INVISIBLE
        f["closer to uniform at the highest T"] = max(p_hi) / min(p_hi) < FLAT_RATIO
    if sim is not None and classes is not None:
        top = top_confusions(sim)
        veh = {i for i, c in enumerate(classes) if c in VEHICLES}
        ani = set(range(len(classes))) - veh
        same = sum((a in veh) == (b in veh) for a, b, _ in top)
        f["most strongest confusions within a group"] = same > len(top) / 2
        f["cross-group blocks darker"] = (_block_mean(sim, ani, veh) < _block_mean(sim, ani, ani)
                                          and _block_mean(sim, veh, ani) < _block_mean(sim, veh, veh))
    if None not in (kd, ce_student, ce_teacher):
        f["CE larger than KD"] = ce_student > kd
        f["CE mostly inherited from the teacher"] = ce_teacher >= INHERITED * ce_student
    if edges is not None:
        bins, _, high = _bins(edges, rate, counts)
        total = sum(x[3] for x in bins)
        f["error rate rises in every step above 0.5"] = bool(high) and _shape([x[2] for x in high]) == "rises"
        f["most of the hardest bin is wrong"] = bool(high) and high[-1][2] > 0.5
        f["most samples in the two end bins"] = total > 0 and (bins[0][3] + bins[-1][3]) / total > 0.5
    if share_tau is not None and bench_share is not None:
        f["benchmark CE share agrees"] = abs(100 * (bench_share - share_tau)) <= SHARE_CLOSE
    if None not in (batch_share, sel_ce, plain_ce) and batch_share > 0:
        f["samples left out carry the larger CE"] = sel_ce / batch_share < plain_ce
    if delta is not None:
        s = shares(delta, (0.5, PAPER_TAU))
        f["tau 0.5 to 0.7 moves few samples"] = 100 * (s[PAPER_TAU] - s[0.5]) < TAU_MOVE_SMALL
    if ablation_runs:
        iv = interaction_verdicts(ablation_runs)
        if iv:
            f["soft labels: the filter x soft-label interaction's intervals contain 0"] = all(
                x == "unresolved" for x in iv.values())
    return f
