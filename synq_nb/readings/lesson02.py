"""Readings of notebook 02 (frequency filtering): what this run's numbers show about the low and high parts of
images, the power spectra of real, noise and synthetic images, the activation ranges and accuracy of RTN copies
calibrated on raw and on filtered synthetic images (mechanism 2), the teacher-student gap on real, raw and filtered
images (mechanism 3), the teacher on filtered images across d0, how d0 was chosen (test set, then the validation
split), the ideal against the Gaussian filter, and the summary.

Every function takes values the notebook computed (or the committed run JSONs, ``synq_nb.results.load_runs()``)
and returns Markdown; where the reading depends on the outcome, the function picks the words
(``tests/test_readings_02.py`` checks each branch with made-up numbers).
"""
from __future__ import annotations

import statistics

from ..results import by_seed, interval_verdict, paired
from . import num, paired_sentence, signed
from . import join_list as _list

INF = float("inf")
LEVEL = 0.05        # two top-1 accuracies (points) this close are "level"
CONF_DROP = 5.0     # the teacher's confidence "starts to fall" where it is this many points below unfiltered
CHANCE_MARGIN = 3.0  # an accuracy within this many points of 100 / classes is "at chance"
NOT_IN_CHECKOUT = "not in this checkout"


def _pct(x: float, digits: int = 2) -> str:
    """A fraction as a percentage: ``0.6823`` -> ``'68.23 %'``."""
    return f"{num(100 * x, digits)} %"


def _d0(d: float) -> str:
    return "none (d0 = inf)" if d == INF else f"{d:g}"


def _mean(xs) -> float:
    return statistics.fmean(xs)


# ------------------------------------------------------------------ section 4: low part + high part
def split(real_share, synthetic_share, d0: float) -> str:
    """The share of each image's variance (energy after removing its mean) that lies in the high part, for the real
    and the synthetic rows of the split figure (fractions 0-1)."""
    r, s = list(real_share), list(synthetic_share)
    head = (f"At $d_0$ = {d0:g}, the high part holds {_pct(min(r), 1)} to {_pct(max(r), 1)} of the variance of the "
            f"real images shown (mean {_pct(_mean(r), 1)}) and {_pct(min(s), 1)} to {_pct(max(s), 1)} of the "
            f"synthetic ones (mean {_pct(_mean(s), 1)}). ")
    if _mean(s) > _mean(r):
        return head + (f"The synthetic images put {_mean(s) / _mean(r):.1f}x as large a share of themselves into the "
                       "high part: for the teacher, trained on photographs like the real rows, they are a different "
                       "kind of input. Five images are an illustration; section 2 measures whole sets.")
    return head + ("On these few images the synthetic high part is no larger a share than the real one: the "
                   "difference section 2 measures over whole sets does not show in every image.")


# ------------------------------------------------------------------ section 2: spectra
def spectra(hf: dict, slope: dict, radius: float, real: str = "real (test)",
            noise: str = "Gaussian noise (synthesis start)", synthetic: str = "synthetic") -> str:
    """``hf``: share (0-1) of each set's energy beyond ``radius``; ``slope``: the fitted log-log slope of each
    set's radial profile."""
    h_r, h_n, h_s = hf[real], hf[noise], hf[synthetic]
    s_r, s_n, s_s = slope[real], slope[noise], slope[synthetic]
    out = [f"Beyond $D$ = {radius:g}, the real test images keep {_pct(h_r)} of their energy, the Gaussian noise "
           f"{_pct(h_n)} and the synthetic images {_pct(h_s)}; the fitted slopes are {num(s_r)} (real), {num(s_n)} "
           f"(noise) and {num(s_s)} (synthetic)."]
    if s_r < s_s < s_n:
        closer = "the noise's flat line" if abs(s_s - s_n) < abs(s_s - s_r) else "the real images' fall"
        out.append(f"The synthetic profile lies between the two, closer to {closer} (slope differences "
                   f"{num(abs(s_s - s_n))} to the noise, {num(abs(s_s - s_r))} to the real images).")
    elif s_s <= s_r:
        out.append(f"The synthetic profile does not lie between the two: it falls at least as steeply as the real "
                   f"images' ({num(s_s)} against {num(s_r)}).")
    else:
        out.append(f"The synthetic profile does not lie between the two: it is at least as flat as the noise's "
                   f"({num(s_s)} against {num(s_n)}).")
    if h_s < h_n:
        out.append(f"The optimisation moved energy toward low frequencies (the share beyond $D$ = {radius:g} fell from "
                   f"{_pct(h_n)} in the noise it started from to {_pct(h_s)}),")
    else:
        out.append(f"The optimisation did not move energy toward low frequencies (the share beyond $D$ = {radius:g} "
                   f"is {_pct(h_s)}, against {_pct(h_n)} in the noise it started from),")
    if h_s > h_r:
        out.append(f"but the synthetic images keep {h_s / h_r:.1f}x the real images' high-frequency share: this is "
                   "the texture the rest of the notebook is about.")
    else:
        out.append("and the synthetic images keep no more high-frequency energy than the real ones: at these "
                   "settings there is no excess texture for a filter to remove.")
    return " ".join(out)


# ------------------------------------------------------------------ section 5: mechanism 2 (activation ranges)
def width_ratios(ranges: dict, raw: str, filtered: str) -> list:
    """Per activation quantizer, the width of the range calibrated on ``raw`` divided by the one on ``filtered``."""
    return [(a[1] - a[0]) / (b[1] - b[0]) for a, b in zip(ranges[raw], ranges[filtered])]


def _mechanism2(ratios, acc_raw, acc_filtered) -> tuple:
    wider = sum(r > 1 for r in ratios)
    return wider > len(ratios) / 2, acc_filtered - acc_raw


def ranges_reading(ranges: dict, rtn_acc: dict, fp_acc: float, raw: str, filtered: str, w_bits: int,
                   a_bits: int) -> str:
    """``ranges``: {calibration set: [(low, high) per activation quantizer]}; ``rtn_acc``: {calibration set: test
    top-1 %}; ``fp_acc``: the teacher's test top-1 %."""
    ratios = width_ratios(ranges, raw, filtered)
    n, wider, narrower = len(ratios), sum(r > 1 for r in ratios), sum(r < 1 for r in ratios)
    k = max(range(n), key=lambda i: ratios[i])
    out = [f"Calibrated on raw synthetic images, the range is wider than calibrated on filtered ones at {wider} of "
           f"{n} activation quantizers" + (f" and narrower at {narrower}" if narrower else "")
           + f" (width ratio {num(min(ratios))} to {num(max(ratios))})."]
    if k == 0:
        out.append(f"The ratio is largest at the first quantizer ({num(ratios[0])}x).")
    else:
        out.append(f"The ratio is largest at quantizer {k + 1} of {n} ({num(ratios[k])}x), not at the first "
                   f"({num(ratios[0])}x).")
    a_r, a_f = rtn_acc[raw], rtn_acc[filtered]
    d = a_f - a_r
    acc = (f"On the real test set (full precision {num(fp_acc)} %), the W{w_bits}A{a_bits} copy calibrated on filtered "
           f"images scores {num(a_f)} % and the one calibrated on raw images {num(a_r)} %")
    if abs(d) <= LEVEL:
        out.append(acc + ": level, so the filtered calibration made no difference to accuracy here.")
    elif d > 0:
        out.append(acc + f": {signed(d)} points for the filtered calibration, before any fine-tuning.")
    else:
        out.append(acc + f": {signed(d)} points, so the filtered calibration cost accuracy here.")
    widened, _ = _mechanism2(ratios, a_r, a_f)
    if widened and d > LEVEL:
        out.append("Both halves of mechanism 2 show in this run: the raw images widened most ranges, and the copy "
                   "with the narrower ranges is the more accurate one on real images. One seed and one bit-width; "
                   "the benchmarks below repeat the comparison over seeds.")
    elif widened:
        out.append("The raw images widened most ranges, as mechanism 2 says, but the accuracy did not follow: at "
                   "these settings the width of the ranges is not what decides the accuracy.")
    elif d > LEVEL:
        out.append("The raw images did not widen most ranges, so this run's accuracy gain does not come from "
                   "mechanism 2.")
    else:
        out.append("This run does not show mechanism 2: the raw images did not widen most ranges, and the filtered "
                   "calibration gained no accuracy.")
    return " ".join(out)


def rtn_verdicts(main_runs) -> dict:
    """{bits: "gain" / "loss" / "unresolved"}: the 95 % t interval of RTN calibrated on filtered minus on raw
    synthetic images over seeds (committed ``main`` runs), for each bit-width that has both."""
    out = {}
    for bits in (4, 3):
        rows = by_seed(main_runs or [], bits, "rtn_top1")
        if rows.get((0, 0, 0)) and rows.get((1, 1, 1)):
            out[bits] = interval_verdict(paired(rows[(1, 1, 1)], rows[(0, 0, 0)]))
    return out


def rtn_benchmarks(main_runs) -> str:
    """RTN calibrated on filtered minus on raw synthetic images, over seeds, from the committed ``main`` runs
    (the baseline runs calibrate on raw images, the SynQ runs on filtered ones); ``None``/empty: not committed."""
    if not main_runs:
        return (f"The benchmark runs (`results/runs/main`) are {NOT_IN_CHECKOUT}, so this comparison is not repeated "
                "over seeds here.")
    parts = []
    for bits in (4, 3):
        rows = by_seed(main_runs, bits, "rtn_top1")
        raw, filt = rows.get((0, 0, 0)), rows.get((1, 1, 1))
        if not raw or not filt or not (set(raw) & set(filt)):
            continue
        seeds = sorted(set(raw) & set(filt))
        parts.append(f"at W{bits}A{bits}, {num(_mean([raw[s] for s in seeds]))} % calibrated on raw images and "
                     f"{num(_mean([filt[s] for s in seeds]))} % on filtered ones; "
                     + paired_sentence(filt, raw, what="filtered minus raw"))
    if not parts:
        return "The committed benchmark runs hold no pair of RTN copies calibrated on raw and on filtered images."
    return ("Over seeds, in the committed benchmarks (`results/runs/main`, `cpu` preset, RTN before any fine-tuning, "
            "CIFAR-10 test top-1): " + "; ".join(parts) + ".")


# ------------------------------------------------------------------ section 5: mechanism 3 (teacher-student gap)
def _mechanism3(gap: dict, students, real: str, raw: str, filtered: str) -> dict:
    further_raw = [s for s in students if gap[(s, raw)]["rel_error"] > gap[(s, real)]["rel_error"]]
    closer_filtered = [s for s in students if gap[(s, filtered)]["rel_error"] < gap[(s, raw)]["rel_error"]]
    further_filtered = [s for s in students if gap[(s, filtered)]["rel_error"] > gap[(s, raw)]["rel_error"]]
    verdict = ("supports" if len(closer_filtered) == len(students) else
               "contradicts" if len(further_filtered) == len(students) else "mixed")
    return dict(further_raw=further_raw, closer_filtered=closer_filtered, verdict=verdict)




def gap_reading(gap: dict, students, real: str = "real (test)", raw: str = "raw synthetic",
                filtered: str = "filtered synthetic") -> str:
    """``gap``: {(student, evaluation set): {"agreement", "rel_error", "kl"}} (``plotting.teacher_student_gap``);
    ``students``: the students' names, in the table's order."""
    students = list(students)
    m = _mechanism3(gap, students, real, raw, filtered)
    e = lambda s, x: num(gap[(s, x)]["rel_error"], 3)  # noqa: E731
    k = lambda s, x: num(gap[(s, x)]["kl"], 3)  # noqa: E731
    out = []
    for s in students:
        out.append(f"Calibrated on {s}: relative logit error {e(s, real)} on real images, {e(s, raw)} on raw "
                   f"synthetic and {e(s, filtered)} on filtered synthetic (KL {k(s, real)}, {k(s, raw)}, "
                   f"{k(s, filtered)}).")
    n = len(students)
    pairs = "; ".join(f"{e(s, raw)} against {e(s, real)}" for s in students)
    if len(m["further_raw"]) == n:
        out.append(f"{'Both students are' if n == 2 else 'Every student is'} further from the teacher on raw "
                   f"synthetic images than on real ones ({pairs}): knowledge distillation on those images asks the "
                   "student to fix disagreements that real inputs provoke less.")
    elif not m["further_raw"]:
        out.append(f"No student is further from the teacher on raw synthetic images than on real ones ({pairs}): "
                   "here the synthetic images do not exaggerate the disagreement.")
    else:
        out.append(f"Only the student calibrated on {_list(m['further_raw'])} is further from the teacher on raw "
                   f"synthetic images than on real ones ({pairs}).")
    moves = "; ".join(f"{e(s, raw)} to {e(s, filtered)}" for s in students)
    kls = "; ".join(f"{k(s, raw)} to {k(s, filtered)}" for s in students)
    out.append("Mechanism 3 predicts that removing the high frequencies brings the student closer to the teacher.")
    if m["verdict"] == "supports":
        out.append(f"This run agrees: on the filtered images every student is closer to the teacher than on the raw "
                   f"ones (relative error {moves}; KL {kls}). One teacher, one seed, RTN students: consistent with "
                   "mechanism 3, not a proof of it.")
    elif m["verdict"] == "contradicts":
        out.append(f"This run shows the opposite: on the filtered images every student is further from the teacher "
                   f"than on the raw ones (relative error {moves}; KL {kls}). So this run does not support mechanism "
                   "3: the extra disagreement on synthetic images is not explained by their high frequencies. A "
                   "candidate explanation, not measured here: the filtered images are blurred versions of images the "
                   "teacher was sure about, the teacher may be less sure about them (section 6 measures its "
                   "confidence on filtered images), and near its decision boundaries a small error of the student moves the output a lot. Whatever "
                   "the filter gains must then come from the calibration effect above and from what fine-tuning "
                   "makes of the filtered images.")
    else:
        out.append(f"The students disagree (relative error {moves}): closer on the filtered images for "
                   f"{_list(m['closer_filtered']) if m['closer_filtered'] else 'none'}, not for the others. This run "
                   "neither supports nor contradicts mechanism 3.")
    return " ".join(out)


def filter_finetune(ablation_runs) -> str:
    """Whether fine-tuning on filtered images ends higher: the committed W3A3 ablation, filter alone against the
    baseline and SynQ against SynQ without the filter, paired over seeds."""
    if not ablation_runs:
        return (f"Whether a student fine-tuned on filtered images ends up more accurate is the question of the "
                f"ablation runs (`results/runs/ablation`, notebook 06), which are {NOT_IN_CHECKOUT}.")
    rows = by_seed(ablation_runs, 3, "final_top1")
    parts = []
    for t, c, what in (((1, 0, 0), (0, 0, 0), "the filter alone minus the baseline (KD + CE)"),
                       ((1, 1, 1), (0, 1, 1), "SynQ minus SynQ without the filter")):
        if rows.get(t) and rows.get(c) and set(rows[t]) & set(rows[c]):
            parts.append(paired_sentence(rows[t], rows[c], what=what))
    if not parts:
        return "The committed ablation runs hold no pair of runs with and without the filter."
    return ("Whether a student fine-tuned on filtered images ends up more accurate is measured by fine-tuning runs. "
            "In the committed ablation (`results/runs/ablation`, W3A3, `cpu` preset, final-epoch CIFAR-10 test top-1; "
            "notebook 06 reads it in full): " + "; ".join(parts) + ".")


# ------------------------------------------------------------------ section 6: the teacher on filtered images
def sweep(rows: dict, d0: float, radius: float, num_classes: int) -> str:
    """``rows``: {d0 (``inf`` for no filter): (teacher accuracy, mean p(y), high-frequency share)}, fractions 0-1;
    ``d0``: the notebook's d0."""
    acc0, conf0, hf0 = rows[INF]
    finite = sorted(d for d in rows if d != INF)
    out = [f"Unfiltered, the teacher gives the assigned label to {_pct(acc0)} of the synthetic images with mean "
           f"confidence {_pct(conf0)}, and {_pct(hf0)} of their energy lies beyond $D$ = {radius:g}.",
           "The high-frequency share left: " + ", ".join(f"{_pct(rows[d][2])} at $d_0$ = {d:g}"
                                                        for d in reversed(finite)) + "."]
    fall = next((d for d in reversed(finite) if 100 * (conf0 - rows[d][1]) > CONF_DROP), None)
    if fall is None:
        out.append(f"At every $d_0$ of the sweep the teacher's confidence stays within {CONF_DROP:g} points of "
                   f"unfiltered (lowest {_pct(min(rows[d][1] for d in finite))}): these filters remove texture but "
                   "not the evidence the teacher uses.")
    else:
        above = [d for d in finite if d > fall]
        kept = (f"Down to $d_0$ = {min(above):g} the teacher's confidence stays within {CONF_DROP:g} points of "
                f"unfiltered ({_pct(rows[min(above)][1])}); then it falls: " if above else
                f"Already at the weakest filter of the sweep the confidence is more than {CONF_DROP:g} points below "
                "unfiltered: ")
        steps = ", ".join(f"{_pct(rows[d][1])} at $d_0$ = {d:g}" for d in reversed(finite) if d <= fall)
        out.append(kept + f"{steps}. From $d_0$ = {fall:g} down, the filter removes class evidence "
                   "as well as noise, and the fine-tuning labels (what the teacher says about the image) describe an "
                   "image that no longer looks like its class.")
    low = finite[0]
    chance = 100 / num_classes
    a_low = 100 * rows[low][0]
    if abs(a_low - chance) <= CHANCE_MARGIN:
        out.append(f"At $d_0$ = {low:g} the accuracy, {num(a_low)} %, is at chance ({chance:g} % for {num_classes} "
                   "classes): nothing of the class is left.")
    else:
        out.append(f"Even at $d_0$ = {low:g} the accuracy, {num(a_low)} %, is above chance ({chance:g} % for "
                   f"{num_classes} classes): some class evidence survives the strongest filter.")
    if d0 in rows:
        a, c, _ = rows[d0]
        share = c / conf0
        if share < 0.5:
            out.append(f"At this notebook's $d_0$ = {d0:g} the teacher's accuracy is {_pct(a)} and its confidence "
                       f"{_pct(c)}, {100 * share:.0f} % of its unfiltered confidence. That alone does not rule the "
                       "setting out: fine-tuning's main target is the teacher's whole output distribution on the "
                       "filtered image (knowledge distillation, notebook 04), which still says which classes the image "
                       "resembles, and Idea 3 (notebook 04) withholds the hard label from the images the teacher finds "
                       "difficult. Only fine-tuned students can say whether the setting is good (below).")
        else:
            out.append(f"At this notebook's $d_0$ = {d0:g} the teacher keeps most of its confidence: {_pct(c)}, "
                       f"{100 * share:.0f} % of unfiltered (accuracy {_pct(a)}).")
    else:
        out.append(f"This notebook's $d_0$ = {d0:g} is not in the sweep.")
    return " ".join(out)


# ------------------------------------------------------------------ section 6: how d0 was chosen
def _by_d0(runs, bits: int, key: str) -> dict:
    out = {}
    for r in runs:
        if r["w_bits"] == bits and r.get(key) is not None:
            out.setdefault(float(r["config"]["d0"]), {})[r["seed"]] = r[key]
    return out


def d0_test_pick(d0_runs) -> float | None:
    """The d0 with the best seed-0 W3A3 test top-1 among the committed d0 runs (how d0 was first chosen)."""
    s0 = {d: v[0] for d, v in _by_d0(d0_runs or [], 3, "final_top1").items() if 0 in v}
    return max(s0, key=s0.get) if s0 else None


def d0_test(d0_runs, ablation_runs=None, default: float = 8.0) -> str:
    """The committed d0 sensitivity runs (CIFAR-10 **test** top-1, the numbers d0 was first chosen on): a table for
    W3A3 seed 0 (with no filter, d0 = inf, from the ablation's SynQ-without-filter run where committed), the
    d0 where fine-tuning ended below its RTN start, 8 against 16 over seeds, and W4A4."""
    if not d0_runs:
        return f"The d0 sensitivity runs (`results/runs/d0`) are {NOT_IN_CHECKOUT}."
    final, rtn = _by_d0(d0_runs, 3, "final_top1"), _by_d0(d0_runs, 3, "rtn_top1")
    s0 = {d: v[0] for d, v in final.items() if 0 in v}
    r0 = {d: rtn[d][0] for d in s0 if 0 in rtn.get(d, {})}
    none = [r for r in (ablation_runs or []) if r["w_bits"] == 3 and r["seed"] == 0
            and (not r["config"]["use_filter"]) and r["config"]["use_cam"] and r["config"]["use_soft_labels"]]
    table = ["| d0 | RTN before fine-tuning (%) | fine-tuned, final epoch (%) |", "|---|---|---|"]
    table += [f"| {d:g} | {num(r0[d]) if d in r0 else ''} | {num(s0[d])} |" for d in sorted(s0)]
    if none:
        table.append(f"| {_d0(INF)} | {num(none[0]['rtn_top1'])} | {num(none[0]['final_top1'])} |")
    out = ["W3A3, `cpu` preset, SynQ (all three ideas), seed 0, CIFAR-10 **test** top-1; RTN is calibrated on the "
           "synthetic images filtered at that d0" + ("; no filter is the ablation's run with CAM and soft labels "
                                                      "only" if none else "") + ":", "",
           "\n".join(table), ""]
    text = []
    if s0:
        best = max(s0, key=s0.get)
        if best == default:
            text.append(f"On seed 0 the fine-tuned student peaks at $d_0$ = {best:g} ({num(s0[best])} %): this is how "
                        f"the default $d_0$ = {default:g} was first chosen, on test accuracy.")
        else:
            text.append(f"On seed 0 the fine-tuned student peaks at $d_0$ = {best:g} ({num(s0[best])} %), not at the "
                        f"default $d_0$ = {default:g} ({num(s0[default]) if default in s0 else 'not run'} %).")
        if none:
            f_none = none[0]["final_top1"]
            word = "below" if f_none < s0[best] else "not below"
            text.append(f"Without the filter the student ends at {num(f_none)} %, {word} the best filtered run.")
        below = [d for d in sorted(r0) if s0[d] < r0[d]]
        if below:
            best_rtn = max(r0, key=r0.get)
            text.append("At " + _list([f"$d_0$ = {d:g} (RTN {num(r0[d])} % to {num(s0[d])} %)" for d in below])
                        + ", fine-tuning ended below its own starting point: the images were blurred so much that "
                          "training on them did harm"
                        + (f", although calibration on them gave the best RTN of the sweep ($d_0$ = {best_rtn:g})."
                           if best_rtn in below else "."))
        elif r0:
            text.append("At every $d_0$, fine-tuning ended above its RTN starting point.")
    pairs = [(default, d) for d in sorted(final) if d != default and len(set(final[d]) & set(final.get(default, {}))) >= 2]
    for a, b in pairs:
        text.append("Seed by seed, " + paired_sentence(final[a], final[b], what=f"$d_0$ = {a:g} minus $d_0$ = {b:g}")
                    + ".")
    f4 = {d: v[0] for d, v in _by_d0(d0_runs, 4, "final_top1").items() if 0 in v}
    if len(f4) >= 2:
        text.append("At W4A4 (seed 0): " + ", ".join(f"{num(f4[d])} % at $d_0$ = {d:g}" for d in sorted(f4)) + ".")
    text.append("All of these are test-set numbers: a setting chosen on them is tuned on labelled real data, and its "
                "reported test accuracy is optimistic.")
    return "\n".join(out) + "\n" + " ".join(text)


def _val_by_d0(val_runs, bits: int = 3) -> dict:
    """{d0: {"val": mean validation top-1 of the fine-tuned students, "val_rtn": ..., "test": ..., "seeds": [...]}}
    over the runs at ``bits`` (W3A3, the setting d0 was chosen at)."""
    groups = {}
    for r in val_runs:
        if r.get("val_final_top1") is None or r.get("w_bits") != bits:
            continue
        groups.setdefault(float(r["config"]["d0"]), []).append(r)
    mean = lambda rs, key: _mean([r[key] for r in rs]) if all(r.get(key) is not None for r in rs) else None  # noqa: E731
    return {d: dict(val=mean(rs, "val_final_top1"), val_rtn=mean(rs, "val_rtn_top1"), test=mean(rs, "final_top1"),
                    fp=mean(rs, "val_fp_top1"), seeds=sorted(r["seed"] for r in rs)) for d, rs in groups.items()}


def validation_choice(val_runs) -> dict | None:
    """The d0 the validation split picks and the one the test set picks among the same runs:
    ``{"val": d0, "test": d0, "same": bool, "candidates": [...]}``; None without runs, or with fewer than two d0."""
    g = _val_by_d0(val_runs or [])
    if len(g) < 2:
        return None
    val = max(g, key=lambda d: g[d]["val"])
    tested = [d for d in g if g[d]["test"] is not None]
    test = max(tested, key=lambda d: g[d]["test"]) if tested else None
    return dict(val=val, test=test, same=val == test, candidates=sorted(g))


def d0_validation(val_runs, default: float = 8.0) -> str:
    """Whether the validation split (training images 512-999 of each class) picks the same d0 as the test set did,
    from the committed ``val-d0`` runs; the test set is reported once, for the chosen d0."""
    g = _val_by_d0(val_runs or [])
    if not g:
        return (f"The validation runs (`results/runs/val-d0`) are {NOT_IN_CHECKOUT}: the choice of $d_0$ = "
                f"{default:g} still rests on the test set alone, and its test accuracy above is optimistic by an "
                "amount this checkout cannot measure. When they are committed, this cell reads them.")
    seeds = sorted({s for v in g.values() for s in v["seeds"]})
    table = ["| d0 | validation top-1, fine-tuned (%) | validation top-1, RTN (%) |", "|---|---|---|"]
    table += [f"| {d:g} | {num(g[d]['val'])} | {num(g[d]['val_rtn']) if g[d]['val_rtn'] is not None else ''} |"
              for d in sorted(g)]
    fps = [v["fp"] for v in g.values() if v["fp"] is not None]
    head = (f"W3A3, `cpu` preset, SynQ, seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}, scored on "
            "the validation split:\n\n" + "\n".join(table) + "\n\n")
    if fps:
        head += (f"The teacher scores {num(_mean(fps))} % on these images (it was trained on them), so validation "
                 "accuracy ranks the settings; it does not estimate test accuracy. ")
    c = validation_choice(val_runs)
    if c is None:
        d = next(iter(g))
        return head + (f"Only $d_0$ = {d:g} ran on the validation split: there is nothing to choose between yet, and "
                       f"the choice of $d_0$ = {default:g} still rests on the test set.")
    val, test = c["val"], c["test"]
    others = [d for d in g if d != val]
    runner = max(others, key=lambda d: g[d]["val"])
    one_seed = " (one seed: no interval)" if len(seeds) == 1 else ""
    pick = (f"The validation split picks $d_0$ = {val:g} ({num(g[val]['val'])} %, {signed(g[val]['val'] - g[runner]['val'])} "
            f"points ahead of $d_0$ = {runner:g}{one_seed}). ")
    if test is None:
        return head + pick + "These runs carry no test accuracy to compare the choice with."
    reported = (f"The selection seed's test number for the chosen setting, $d_0$ = {val:g}: {num(g[val]['test'])} % "
                "CIFAR-10 test top-1, in-sample (the test set saw this seed when $d_0$ was first chosen). The "
                "out-of-sample test accuracy of the `cpu` preset comes from fresh seeds that chose nothing "
                "(`results/runs/confirm`; 06 and RESULTS.md section 8).")
    if c["same"]:
        verdict = (f"Among the same candidates the test set picked $d_0$ = {test:g} too: the same choice, now confirmed on the "
                   "validation split. The candidates themselves were the top of the test-set sweep, so the test set "
                   "still chose the candidate list. ")
        if val != default:
            verdict += f"It is not the default $d_0$ = {default:g}, which the presets still use. "
    else:
        verdict = (f"Among the same candidates the test set picked $d_0$ = {test:g}: a different choice. Chosen "
                   f"without the test set, the setting is $d_0$ = {val:g}. ")
        if val != default:
            verdict += (f"The presets and this notebook still use $d_0$ = {default:g}, chosen on the test set: read "
                        f"their test numbers at $d_0$ = {default:g} as tuned on the test set. ")
    return head + pick + verdict + reported


# ------------------------------------------------------------------ exercise 4
def ideal_vs_gaussian(hf: dict, acc: dict, conf: dict, d0: float, radius: float) -> str:
    """``hf``, ``acc``, ``conf``: {"gaussian": ..., "ideal": ...} in %: high-frequency share, teacher accuracy and
    mean p(y) on the filtered synthetic images."""
    g, i = "gaussian", "ideal"
    out = [f"At $d_0$ = {d0:g}, the ideal filter leaves {num(hf[i])} % of the energy beyond $D$ = {radius:g}, the "
           f"Gaussian {num(hf[g])} %; the teacher gives the assigned label to {num(acc[i])} % of the ideal-filtered "
           f"images (mean p(y) {num(conf[i])} %) and to {num(acc[g])} % of the Gaussian-filtered ones "
           f"({num(conf[g])} %)."]
    if acc[i] < acc[g] - LEVEL:
        out.append("The ideal filter cost the teacher more class evidence: whatever the untouched frequencies just "
                   "inside $d_0$ gave back, the hard cut and its ripples cost more.")
    elif acc[i] > acc[g] + LEVEL:
        out.append("Here the ideal filter kept more class evidence: the untouched frequencies just inside $d_0$ "
                   "outweighed its ripples, on the teacher's own judgement. Smoothness is then an argument about "
                   "artefacts in the image, not about the teacher's accuracy.")
    else:
        out.append("The teacher recognises both filtered sets equally well: at this $d_0$ the choice between the "
                   "kinds is about artefacts in the image, not about accuracy.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(hf: dict, slope: dict, radius: float, ranges: dict, rtn_acc: dict, raw: str, filtered: str,
            w_bits: int, a_bits: int, gap: dict, students, sweep_rows: dict, d0: float, val_runs=None,
            default: float = 8.0, real: str = "real (test)", noise: str = "Gaussian noise (synthesis start)",
            synthetic: str = "synthetic") -> str:
    """The lesson's findings at this run's values, as Markdown bullets."""
    out = []
    between = slope[real] < slope[synthetic] < slope[noise]
    out.append(f"- Spectra: beyond $D$ = {radius:g}, {_pct(hf[synthetic])} of the synthetic images' energy against "
               f"{_pct(hf[real])} for real images and {_pct(hf[noise])} for white noise; the synthetic slope "
               f"({num(slope[synthetic])}) lies {'between' if between else 'outside'} the real ({num(slope[real])}) "
               f"and the noise ({num(slope[noise])}) ones.")
    ratios = width_ratios(ranges, raw, filtered)
    widened, d = _mechanism2(ratios, rtn_acc[raw], rtn_acc[filtered])
    out.append(f"- Mechanism 2 (W{w_bits}A{a_bits} RTN): calibrated on raw synthetic images, the range is wider at "
               f"{sum(r > 1 for r in ratios)} of {len(ratios)} quantizers, and test top-1 is {num(rtn_acc[raw])} % "
               f"against {num(rtn_acc[filtered])} % calibrated on filtered images ({signed(d)} points for the "
               f"filter): {'shown' if widened and d > LEVEL else 'not shown'} in this run.")
    m = _mechanism3(gap, list(students), real, "raw synthetic", "filtered synthetic")
    words = {"supports": "supported: the students are closer to the teacher on filtered images than on raw ones",
             "contradicts": "not supported: the students are further from the teacher on filtered images than on "
                            "raw ones",
             "mixed": "neither supported nor contradicted: the students disagree"}
    out.append(f"- Mechanism 3 (high frequencies amplify the student's error): {words[m['verdict']]}.")
    if d0 in sweep_rows and INF in sweep_rows:
        out.append(f"- The teacher's confidence on the filtered synthetic images: {_pct(sweep_rows[d0][1])} at $d_0$ = "
                   f"{d0:g}, against {_pct(sweep_rows[INF][1])} unfiltered.")
    c = validation_choice(val_runs)
    if c is None:
        out.append(f"- $d_0$ = {default:g} was chosen on CIFAR-10 test accuracy; the validation runs that re-check "
                   f"the choice are {NOT_IN_CHECKOUT}.")
    elif c["val"] == default:
        out.append(f"- $d_0$ = {default:g} was first chosen on CIFAR-10 test accuracy; the validation split picks it "
                   "too.")
    else:
        out.append(f"- $d_0$ = {default:g} was first chosen on CIFAR-10 test accuracy; the validation split picks "
                   f"$d_0$ = {c['val']:g} instead.")
    return "\n".join(out)


def verdicts(ranges: dict, rtn_acc: dict, raw: str, filtered: str, gap: dict, students) -> dict:
    """The branch each reading took, for the checks cell: ``{"mechanism2": bool, "mechanism3": str}``."""
    widened, d = _mechanism2(width_ratios(ranges, raw, filtered), rtn_acc[raw], rtn_acc[filtered])
    return dict(mechanism2=widened and d > LEVEL,
                mechanism3=_mechanism3(gap, list(students), "real (test)", "raw synthetic", "filtered synthetic")["verdict"])
