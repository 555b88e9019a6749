"""The generated readings of notebook 04 (synq_nb.readings.lesson04): every branch, with made-up numbers on both
sides of it. Fast: no model, no data."""
from __future__ import annotations

import math

import numpy as np
import pytest

from synq_nb.readings import lesson04 as L

CIFAR = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
NAN = float("nan")


# ------------------------------------------------------------------ made-up inputs
def _softmax(z, t):
    e = [math.exp(v / t) for v in z]
    return [v / sum(e) for v in e]


def _run(seed=0, d0=8.0, tau=0.7, final=72.0, hard=0.25, w_bits=3, f=1, c=1, s=1):
    return dict(w_bits=w_bits, a_bits=w_bits, seed=seed, final_top1=final, history=dict(hard_frac=[0.3, hard]),
                config=dict(d0=d0, tau=tau, use_filter=bool(f), use_cam=bool(c), use_soft_labels=bool(s)))


def _tau_runs(top1_8=(72.06, 71.82, 72.31), top1_16=(68.24, 70.22, 68.62)):
    out = []
    for d0, vals, shares in ((8.0, top1_8, (0.218, 0.231, 0.249)), (16.0, top1_16, (0.363, 0.392, 0.425))):
        out += [_run(d0=d0, tau=t, final=v, hard=h) for t, v, h in zip((0.5, 0.6, 0.7), vals, shares)]
    return out


def _d0_runs(at8=(72.31, 72.09, 73.25), at16=(68.62, 65.70, 70.03)):
    return ([_run(seed=s, d0=8.0, final=v) for s, v in enumerate(at8)]
            + [_run(seed=s, d0=16.0, final=v) for s, v in enumerate(at16)]
            + [_run(seed=0, d0=4.0, final=55.86), _run(seed=0, d0=8.0, final=88.9, w_bits=4)])


# the committed W3A3 ablation, (filter, CAM, soft labels) -> (seed 0, seed 1), CE share of the soft-label runs
ABL = {(0, 0, 0): (57.70, 53.73), (1, 0, 0): (66.61, 65.04), (0, 1, 0): (60.05, 58.85), (0, 0, 1): (58.83, 55.51),
       (1, 1, 0): (68.08, 68.07), (1, 0, 1): (69.64, 68.26), (0, 1, 1): (61.24, 58.22), (1, 1, 1): (72.31, 72.09)}


def _ablation(table=None):
    out = []
    for (f, c, s), vals in (table or ABL).items():
        for seed, v in enumerate(vals):
            hard = 1.0 if not s else (0.247 if f else 0.453)
            out.append(_run(seed=seed, final=v, hard=hard, f=f, c=c, s=s))
    return out


def _sim(strong=((3, 5, 0.0865), (5, 3, 0.0856), (2, 0, 0.0265), (2, 4, 0.0245), (2, 3, 0.0242)), base=0.002,
         within=None):
    """A 10 x 10 mean-probability matrix: off-diagonal ``base``, ``within`` inside each group, the ``strong`` cells."""
    veh = {0, 1, 8, 9}
    m = np.full((10, 10), base)
    if within is not None:
        for a in range(10):
            for b in range(10):
                if (a in veh) == (b in veh):
                    m[a, b] = within
    for a, b, v in strong:
        m[a, b] = v
    np.fill_diagonal(m, 0.9)
    return m


EDGES = [i / 10 for i in range(11)]


# ------------------------------------------------------------------ softmax and temperature
def test_pct_small_values():
    assert L._pct(0.2763) == "27.6 %" and L._pct(1e-9, 2) == "less than 0.01 %" and L._pct(0.0, 2) == "0.00 %"


def test_wrong_share_sums_the_other_classes():
    assert L._wrong_share([1.0, 1e-12, 3e-12]) == pytest.approx(4e-12) and L._wrong_share([0.2, 0.5, 0.3]) == 0.5


def test_temperature_same_top_invisible_then_closer_to_uniform():
    z = [-2, -5, 3, 23.7, -9.9, 4, 2.5, 1, -1, -3]
    probs = {t: _softmax(z, t) for t in (1.0, 4.0, 20.0)}
    probs[1.0][3] = 1.0  # a top class that rounds to exactly 1 (float32) still leaves the others their share
    text = L.temperature(probs, CIFAR, 3)
    assert "'cat' is the top class at every temperature" in text and "at $T$ = 20" in text
    assert "share less than 0.01 %" in text and "would be invisible" in text
    assert "much closer to the uniform 10 %, but not uniform" in text and "dog" in text.split("lead")[0]
    assert "not the top class" not in text and "still far" not in text


def test_temperature_visible_at_t1_and_still_far_at_high_t():
    z = [0.0, 1.0, 2.0]
    probs = {1.0: _softmax(z, 1), 0.1: _softmax(z, 0.1)}  # the lowest T is 0.1, the highest 1
    text = L.temperature(probs, ["a", "b", "c"], 2)
    assert "is the top class at every temperature" in text
    assert "already share less than 0.01 %" not in text and "would be invisible" in text  # at T = 0.1, c takes all
    text = L.temperature({1.0: _softmax(z, 1), 2.0: _softmax([0, 0.5, 30], 2)}, ["a", "b", "c"], 2)
    assert "already share" in text and "visible even without a higher temperature" in text
    assert "Even at $T$ = 2 the largest probability is" in text and "still far from the uniform 33 %" in text


def test_temperature_top_changes_and_label_not_top():
    probs = {1.0: [0.7, 0.2, 0.1], 4.0: [0.3, 0.4, 0.3]}
    text = L.temperature(probs, ["a", "b", "c"], 0)
    assert "The top class changes with the temperature: 'a' at $T$ = 1, 'b' at $T$ = 4" in text
    assert "(The image's label is 'a', not the top class.)" in text


# ------------------------------------------------------------------ dark knowledge
def test_top_confusions_skips_diagonal_and_nan_rows():
    m = _sim()
    m[7, :] = NAN
    top = L.top_confusions(m, 3)
    assert [(a, b) for a, b, _ in top] == [(3, 5), (5, 3), (2, 0)] and top[0][2] == pytest.approx(0.0865)


def test_dark_knowledge_majority_within_and_dark_cross_blocks():
    text = L.dark_knowledge(_sim(within=0.015), CIFAR)
    assert "cat images give dog 8.65 %" in text and "mirror image dog to cat at 8.56 %" in text
    assert "4 of the 5 connect two animals or two vehicles; the exception: bird to airplane" in text
    assert "The blocks where the groups meet are the dark ones" in text and "not darker" not in text


def test_dark_knowledge_all_within():
    strong = ((3, 5, 0.09), (5, 3, 0.08), (9, 1, 0.05), (1, 9, 0.04), (2, 4, 0.03))
    text = L.dark_knowledge(_sim(strong, within=0.01), CIFAR)
    assert "All 5 connect two animals or two vehicles" in text and "exception" not in text


def test_dark_knowledge_minority_within_and_no_darker_cross_blocks():
    strong = ((3, 0, 0.09), (5, 1, 0.08), (2, 8, 0.05), (3, 5, 0.04), (4, 9, 0.03))
    text = L.dark_knowledge(_sim(strong, base=0.02, within=0.005), CIFAR)
    assert "Only 1 of the 5 connect two animals or two vehicles; the others cross the groups" in text
    assert "cat to airplane" in text and "are not darker than the blocks within them" in text


def test_dark_knowledge_without_vehicle_classes_names_pairs_only():
    names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
    text = L.dark_knowledge(_sim(), names)
    assert "d images give f 8.65 %" in text and "animals" not in text and "blocks" not in text


# ------------------------------------------------------------------ KD against CE
def test_kd_vs_ce_inherited():
    text = L.kd_vs_ce(0.9897, 4.3202, 4.0034, 0.71875, 128)
    assert "batch of 128" in text and "KL to the teacher is 0.990" in text and "4.320, 4.4x as large" in text
    assert "cross-entropy of 4.003" in text and "71.9 %" in text and "(93 % of it) would remain" in text
    assert "its own error" not in text


def test_kd_vs_ce_teacher_worse_than_student():
    text = L.kd_vs_ce(1.90, 4.656, 5.143, 0.781, 32)
    assert "at least as large a cross-entropy" in text and "2.5x as large" in text and "78.1 %" in text
    assert "of it) would remain" not in text and "its own error" not in text


def test_kd_vs_ce_own_error_and_ce_not_larger():
    text = L.kd_vs_ce(2.0, 1.5, 0.3, 0.05, 64)
    assert "no larger than the KL (0.75x)" in text and "20 % of the student's" in text and "its own error" in text
    assert "would remain" not in text


# ------------------------------------------------------------------ difficulty of raw and filtered images
def test_difficulty_shift_harder():
    text = L.difficulty_shift(0.752, 0.025, 0.752, 0.0, 4096, 4, 8.0)
    assert "mean difficulty is 0.025" in text and "0.752" in text and "75.2 %" in text and "0.0 %" in text
    assert "(low-pass filtered at $d_0$ = 8; 4 views per image, view 0 unaugmented and the others cropped" in text
    assert "the crop, flip and filter undo much of that" in text
    assert "rose by +0.727" in text and "not harder" not in text
    text = L.difficulty_shift(0.76, 0.41, 0.77, 0.24, 128, 1, 8.0)
    assert "one unaugmented view per image" in text
    assert "the filter undoes much of that: the mean difficulty rose by +0.350" in text


def test_difficulty_shift_not_harder():
    text = L.difficulty_shift(0.02, 0.03, 0.0, 0.0, 128, 1, 8.0, use_filter=False)
    assert "(unfiltered, one unaugmented view per image)" in text and "are not harder than the raw images" in text
    assert "nothing leaves the teacher as sure" in text and "rose by" not in text
    text = L.difficulty_shift(0.02, 0.03, 0.0, 0.0, 512, 4, 8.0, use_filter=False)
    assert "the crop and flip leave the teacher as sure" in text


# ------------------------------------------------------------------ error rate by difficulty
def test_error_by_bin_rises_hardest_wrong_ends_dominate():
    counts = [679, 94, 67, 79, 57, 59, 95, 110, 154, 2702]
    rate = [0, 0, 0, 0, 0, 0.576, 0.863, 1, 1, 1]
    text = L.error_by_bin(EDGES, rate, counts, 0.7)
    assert "Every bin below $\\delta$ = 0.5 (976 samples) has an error rate of exactly 0 %" in text
    assert "grows with difficulty and never falls" in text and "57.6 % (0.5-0.6, 59 samples)" in text
    assert "the same shape as the paper's Fig. 3" in text
    assert "prefers another class for most samples (100.0 %)" in text
    assert "16.6 % of the samples lie in the easiest bin" in text and "66.0 % in the hardest" in text
    assert "clearly easy or clearly hard" in text


def test_error_by_bin_rises_overall_with_a_fall_and_empty_bins():
    counts = [10, 0, 10, 10, 10, 10, 10, 10, 10, 10]
    rate = [0, NAN, 0, 0, 0, 0.6, 0.4, 0.9, 0.8, 0.95]
    text = L.error_by_bin(EDGES, rate, counts, 0.7)
    assert "rises overall" in text
    assert "not in every step: it falls from 0.5-0.6 to 0.6-0.7 and 0.7-0.8 to 0.8-0.9" in text
    assert "(40 samples)" in text and "most samples lie between the two ends" in text


def test_error_by_bin_no_rise_hardest_mostly_right_and_contradiction():
    counts = [10] * 10
    rate = [0, 0, 0, 0.1, 0, 0.6, 0.5, 0.4, 0.3, 0.2]
    text = L.error_by_bin(EDGES, rate, counts, 0.7)
    assert "A bin below $\\delta$ = 0.5 has an error rate of 10.0 %: that contradicts the definition" in text
    assert "does not rise with difficulty" in text and "does not show the shape" in text
    assert "agrees with the label on most samples (error rate 20.0 %)" in text


# ------------------------------------------------------------------ the share at tau
def test_ce_share_minority_bench_close_left_out_carry_ce():
    text = L.ce_share(0.2763, 0.7, 4096, 0.3125, 0.2574, 4.3202, 0.2492, 8.0)
    assert "27.6 % of the 4096" in text and "72.4 % learn" in text and "act on a minority" in text
    assert "$d_0$ = 8, $\\tau$ = 0.7" in text and "24.9 %" in text
    assert "within 5 points" in text and "-2.7 points" in text
    assert "31.25 % pass" in text and "mean CE of 0.824" in text and "6.0 % of it" in text
    assert "the samples left out carry the large cross-entropy" in text


def test_ce_share_majority_bench_far_kept_samples_not_lower():
    text = L.ce_share(0.8, 0.7, 100, 0.5, 2.5, 4.0, 0.6)
    assert "still act on the majority" in text and "-20.0 points from this notebook's share" in text
    assert "does not describe what the run trained on" in text and "mean CE of 5.000" in text
    assert "do not carry a larger cross-entropy" in text and "$d_0$" not in text.split("recorded")[0]


def test_ce_share_without_bench_and_no_sample_passing():
    text = L.ce_share(0.1, 0.5, 100, 0.0, 0.0, 3.0, None)
    assert "is not in this checkout" in text and "No sample of the batch in the table passes" in text


def test_shares_and_tau_shares_branches():
    assert L.shares([0.0, 0.5, 0.6, 1.0], (0.5, 0.7)) == {0.5: 0.5, 0.7: 0.75}
    d = [0.05] * 166 + [0.3] * 72 + [0.6] * 38 + [0.8] * 64 + [0.95] * 660
    text = L.tau_shares(d)
    assert "from 23.8 % to 27.6 %: 3.8 % of the samples" in text and "16.6 % lie at or below 0.1" in text
    assert "66.0 % above 0.9" in text and "changes the target of few samples" in text
    text = L.tau_shares([0.55] * 50 + [0.05] * 50)
    assert "from 50.0 % to 100.0 %" in text and "changes the target of a large share" in text


# ------------------------------------------------------------------ how tau was chosen
def test_tau_choice_one_seed_no_test_noise_scale():
    text = L.tau_choice(_tau_runs(), _d0_runs())
    assert "is the paper's choice for ResNet-20 on CIFAR-10, and the benchmarks keep it." in text
    assert "**test** set" in text and "| 8 | 0.7 | 24.9 % | 72.31 |" in text and "| 16 | 0.6 | 39.2 % | 70.22 |" in text
    assert "72.06, 71.82 and 72.31 % for $\\tau$ = 0.5, 0.6 and 0.7 (highest at 0.7): a spread of 0.49 points" in text
    assert "allow no test of whether $\\tau$ matters" in text
    assert "(0.62 points, seeds 0, 1 and 2): 0.9 points" in text and "(2.21 points, seeds 0, 1 and 2): 3.1 points" in text
    assert "(highest at 0.6): a spread of 1.98" in text
    assert "inside the seed" not in text and "single out" not in text
    assert "No selection of $\\tau$ was made on the validation split" in text


def test_tau_choice_large_spread_reads_the_same_way_and_another_tau():
    runs = _tau_runs(top1_8=(74.0, 71.8, 72.3))
    text = L.tau_choice(runs, _d0_runs(), tau=0.5)
    assert "(this notebook runs at $\\tau$ = 0.5, a parameter)" in text
    assert "(highest at 0.5): a spread of 2.20 points; the difference of two single runs" in text
    assert "0.9 points" in text and "larger than" not in text and "single out" not in text


def test_tau_choice_without_seed_std_or_runs():
    text = L.tau_choice(_tau_runs(), [_run(seed=0, d0=8.0, final=72.31)])
    assert "no seed-to-seed std to give the noise scale" in text and "$\\sqrt{2}$" not in text
    text = L.tau_choice(None, None)
    assert "are not in this checkout" in text and "No selection of $\\tau$ was made on the validation split" in text


# ------------------------------------------------------------------ soft labels in the ablation
def test_soft_label_ablation_gains_with_the_filter_interaction_unresolved():
    text = L.soft_label_ablation(_ablation())
    assert "With neither the filter nor CAM, selective CE minus CE on every sample is +1.45 points" in text
    assert "With the filter and CAM (SynQ), selective CE minus CE on every sample is +4.13 points" in text
    assert "both at $\\lambda_{CE}$ = 0.5" in text and "resolved only where" not in text
    assert "[+1.92, +4.33]" in text and "Resolved gains: with the filter alone and with the filter and CAM" in text
    assert "(with neither the filter nor CAM and with CAM alone) is not evidence of no effect: with 2 seeds" in text
    assert "With CAM off, the interaction is +1.67 points" in text and "[-1.25, +4.59]" in text and "With CAM on, the interaction is +3.85 points" in text and "[-6.38, +14.07]" in text
    assert "Pooled over CAM, the interaction is" in text
    assert "do not show that the soft labels help more with the filter" in text
    assert "24.7 % of the samples over the last epoch with the filter and 45.3 % without it" in text
    assert "most samples are hard either way" in text and "about 25 % (filter) and 45 % (no filter)" in text
    assert "never swept" in text
    assert L.soft_label_verdicts(_ablation()) == {
        "with neither the filter nor CAM": "unresolved", "with CAM alone": "unresolved",
        "with the filter alone": "gain", "with the filter and CAM (SynQ)": "gain"}
    assert set(L.interaction_verdicts(_ablation()).values()) == {"unresolved"}


def test_soft_label_interaction_resolved_and_share_majority():
    # the gain is +4 with the filter and +1 without it at both CAM settings, every seed alike but a little noise
    table = {k: ((60.0, 60.2) if not k[2] else ((64.0, 64.3) if k[0] else (61.0, 61.1))) for k in ABL}
    text = L.soft_label_ablation(_ablation(table))
    assert "The interaction is resolved with CAM off, with CAM on and pooled over CAM" in text
    assert "do not show" not in text
    g1, g0 = L.soft_label_interaction(_ablation(table))["pooled over CAM"]
    assert g1 == pytest.approx({0: 4.0, 1: 4.1}) and g0 == pytest.approx({0: 1.0, 1: 0.9})
    assert L.interaction_verdicts(_ablation(table)) == {"with CAM off": "gain", "with CAM on": "gain",
                                                        "pooled over CAM": "gain"}
    runs = [dict(r, history=dict(hard_frac=[0.3, 0.7])) for r in _ablation(table)]
    assert "the hard samples are not a majority in both" in L.soft_label_ablation(runs)
    only_filter = [r for r in _ablation() if r["config"]["use_filter"]]
    assert L.soft_label_interaction(only_filter) == {} and "interaction" not in L.soft_label_ablation(only_filter)


def test_soft_label_ablation_gain_everywhere_none_and_mixed():
    every = {k: (v[0] + 3 * k[2], v[1] + 3 * k[2]) for k, v in {k: (60.0, 60.2) for k in ABL}.items()}
    text = L.soft_label_ablation(_ablation(every))
    assert "The interval lies above zero in every combination" in text and "not evidence" not in text
    none = {k: ((60.0, 61.0) if k[2] else (60.5, 60.4)) for k in ABL}
    text = L.soft_label_ablation(_ablation(none))
    assert "No interval excludes zero" in text and "not evidence of no effect" in text
    mixed = {k: ((57.0, 57.2) if k == (0, 0, 1) else (60.0, 60.2)) for k in ABL}
    text = L.soft_label_ablation(_ablation(mixed))
    assert "resolved losses: with neither the filter nor CAM" in text and "Resolved gains: none" in text


def test_soft_label_ablation_absent():
    assert "not in this checkout" in L.soft_label_ablation(None)
    only_base = [_run(seed=0, f=0, c=0, s=0)]
    assert "no pair of runs with and without the soft labels" in L.soft_label_ablation(only_base)


# ------------------------------------------------------------------ Exercise 3
TABLE = {"none": {"no filter": (0.025, 1.0), "d0 = 16": (0.143, 0.9805), "d0 = 8": (0.686, 0.3486)},
         "crop + flip": {"no filter": (0.618, 0.4424), "d0 = 16": (0.640, 0.4160), "d0 = 8": (0.772, 0.2549)}}


def test_filter_vs_augmentation_falls_aug_matters_bench_agrees():
    text = L.filter_vs_augmentation(TABLE, 0.7, {8.0: 0.249, 16.0: 0.425})
    assert "Augmentation 'none': the share with $\\delta \\le$ 0.7 falls as the filter gets stronger" in text
    assert "100.0 % (no filter) -> 98.0 % (d0 = 16) -> 34.9 % (d0 = 8)" in text
    assert "moves the mean difficulty from 0.025 to 0.618" in text and "from 100.0 % to 44.2 %" in text
    assert "makes many images hard" in text and "24.9 % at $d_0$ = 8, 42.5 % at $d_0$ = 16" in text
    assert "the same direction" in text
    assert L.exercise3_findings(TABLE, {8.0: 0.249, 16.0: 0.425}) == {
        "the share falls as the filter gets stronger, in every row": True,
        "the augmentation alone makes many images hard": True,
        "in the benchmark runs the stronger filter leaves fewer samples the CE": True}


def test_filter_vs_augmentation_no_fall_aug_little_bench_opposite():
    table = {"none": {"no filter": (0.1, 0.9), "d0 = 16": (0.1, 0.95)},
             "crop + flip": {"no filter": (0.12, 0.88), "d0 = 16": (0.2, 0.8)}}
    text = L.filter_vs_augmentation(table, 0.5, {8.0: 0.5, 16.0: 0.3})
    assert "'none': the share with $\\delta \\le$ 0.5 does not fall steadily" in text
    assert "changes little here; the filter is what makes the images hard" in text
    assert "does not leave fewer samples the CE" in text
    f = L.exercise3_findings(table, {8.0: 0.5, 16.0: 0.3})
    assert not any(f.values()) and len(f) == 3


def test_filter_vs_augmentation_bench_absent_or_single():
    assert "CE shares are not in this checkout" in L.filter_vs_augmentation(TABLE, 0.7, {})
    text = L.filter_vs_augmentation(TABLE, 0.7, {8.0: 0.249})
    assert "hold one $d_0$ at this $\\tau$ (24.9 % at $d_0$ = 8): no direction" in text
    assert "in the benchmark runs" not in " ".join(L.exercise3_findings(TABLE, {8.0: 0.249}))


# ------------------------------------------------------------------ summary and the checks' findings
COUNTS = [679, 94, 67, 79, 57, 59, 95, 110, 154, 2702]
RISING = [0, 0, 0, 0, 0, 0.576, 0.863, 1, 1, 1]


def test_summary_at_the_committed_values():
    text = L.summary(0.2763, 0.7, EDGES, RISING, COUNTS, 0.99, 4.32, 4.0, _tau_runs(), _d0_runs(), _ablation())
    assert "27.6 % of the filtered, augmented samples get the cross-entropy (a minority)" in text
    assert "grows with difficulty, from 57.6 % to 100.0 % (the paper's Fig. 3)" in text
    assert "is mostly the teacher's own (4.000)" in text and "one seed per value and allow no test" in text
    assert "(seeds 0 and 1, 95 % t intervals)" in text and "resolved gain in 2 of 4 combinations" in text
    assert "no control at the same hard-label weight" in text and "pooled over CAM, is unresolved." in text
    assert "with the filter alone; with the filter and CAM (SynQ)" in text


def test_summary_other_branches():
    overall = [0, 0, 0, 0, 0, 0.6, 0.4, 0.9, 0.8, 0.95]
    text = L.summary(0.6, 0.7, EDGES, overall, [10] * 10, 1.0, 3.0, 0.5, _tau_runs(top1_8=(74.0, 71.8, 72.3)),
                     _d0_runs(), _ablation({k: (60.0, 61.0) if k[2] else (60.5, 60.4) for k in ABL}))
    assert "(the majority)" in text and "rises overall, from 60.0 % to 95.0 %, but not in every bin" in text
    assert "mostly its own error (the teacher's is 0.500)" in text and "allow no test" in text
    assert "resolved gain in 0 of 4 combinations (selective CE" in text
    big = {k: ((60.0, 60.2) if not k[2] else ((64.0, 64.3) if k[0] else (61.0, 61.1))) for k in ABL}
    text = L.summary(0.3, 0.7, EDGES, flat_ := [0, 0, 0, 0, 0, 0.9, 0.5, 0.4, 0.3, 0.2], [10] * 10, 1.0, 3.0, 2.0,
                     ablation_runs=_ablation(big))
    assert "pooled over CAM, is resolved (above zero)." in text and flat_
    flat = [0, 0, 0, 0, 0, 0.9, 0.5, 0.4, 0.3, 0.2]
    text = L.summary(0.3, 0.7, EDGES, flat, [10] * 10, 1.0, 3.0, 2.0)
    assert "does not rise (90.0 % to 20.0 %)" in text and "$\\tau$ = 0.7 is the paper's value" not in text
    assert "ablation" not in text


def test_findings_both_sides():
    z = [-2, -5, 3, 23.7, -9.9, 4, 2.5, 1, -1, -3]
    f = L.findings(p_by_t={t: _softmax(z, t) for t in (1.0, 20.0)}, sim=_sim(within=0.015), classes=CIFAR, kd=0.99,
                   ce_student=4.32, ce_teacher=4.0, edges=EDGES, rate=RISING, counts=COUNTS, share_tau=0.2763,
                   bench_share=0.249, batch_share=0.3125, sel_ce=0.2574, plain_ce=4.32,
                   delta=[0.05] * 90 + [0.6] * 2 + [0.95] * 8, tau_runs=_tau_runs(), d0_runs=_d0_runs(),
                   ablation_runs=_ablation())
    assert len(f) == 13 and all(f.values()), [k for k, v in f.items() if not v]
    g = L.findings(p_by_t={1.0: [0.5, 0.3, 0.2], 2.0: [0.98, 0.01, 0.01]},
                   sim=_sim(((3, 0, 0.09), (5, 1, 0.08), (2, 8, 0.05), (3, 5, 0.04), (4, 9, 0.03)), 0.02, 0.005),
                   classes=CIFAR, kd=5.0, ce_student=4.0, ce_teacher=1.0, edges=EDGES,
                   rate=[0, 0, 0, 0, 0, 0.9, 0.5, 0.4, 0.3, 0.2], counts=[10] * 10, share_tau=0.2, bench_share=0.5,
                   batch_share=0.5, sel_ce=2.5, plain_ce=4.0, delta=[0.55] * 10,
                   tau_runs=_tau_runs(top1_8=(74.0, 71.8, 72.3)), d0_runs=_d0_runs(),
                   ablation_runs=_ablation({k: ((60.0, 60.2) if not k[2] else ((64.0, 64.3) if k[0] else (61.0, 61.1)))
                                            for k in ABL}))
    assert set(g) == set(f) and not any(g.values()), [k for k, v in g.items() if v]
    assert L.findings() == {} and "benchmark CE share agrees" not in L.findings(share_tau=0.3)


def test_bench_ce_shares_and_ablation_without_history():
    runs = _tau_runs() + [_run(seed=1, d0=8.0, hard=0.9), _run(w_bits=4, d0=8.0, hard=0.9)]
    assert L.bench_ce_shares(runs) == {8.0: 0.249, 16.0: 0.425} and L.bench_ce_shares(runs, tau=0.9) == {}
    bare = [dict(r, history={}) for r in _ablation()]
    text = L.soft_label_ablation(bare)
    assert "Resolved gains: with the filter alone and with the filter and CAM (SynQ)" in text
    assert "of the samples over the last epoch" not in text and "never swept" not in text


def _val_tau(vals):
    return [dict(config=dict(tau=t), seed=0, val_final_top1=v, final_top1=70.0) for t, v in vals.items()]


def test_tau_on_the_validation_split_both_branches():
    same = L.validation_tau(_val_tau({0.5: 75.47, 0.6: 75.37, 0.7: 76.35}))
    assert "75.47, 75.37 and 76.35 % for $\\tau$ = 0.5, 0.6 and 0.7" in same
    assert "ranks $\\tau$ = 0.7 first, 0.88 points ahead of the next, the paper's value" in same
    assert "One seed per value" in same
    other = L.validation_tau(_val_tau({0.5: 77.0, 0.6: 75.37, 0.7: 76.35}))
    assert "ranks $\\tau$ = 0.5 first, 0.65 points ahead" in other and "not the paper's 0.7" in other
    assert L.validation_tau(None) is None and L.validation_tau(_val_tau({0.7: 76.0})) is None
    text = L.tau_choice(_tau_runs(), _d0_runs(), val_tau_runs=_val_tau({0.5: 75.47, 0.6: 75.37, 0.7: 76.35}))
    assert "No selection of $\\tau$" not in text and "ranks $\\tau$ = 0.7 first" in text


def test_summary_tau_bullet_reads_the_validation_runs():
    args = (0.2763, 0.7, EDGES, RISING, COUNTS, 0.99, 4.32, 4.0, _tau_runs(), _d0_runs(), _ablation())
    assert "$\\tau$ was not selected on the validation split" in L.summary(*args)
    same = L.summary(*args, val_tau_runs=_val_tau({0.5: 75.47, 0.6: 75.37, 0.7: 76.35}))
    assert "on the validation split (one seed per value) it also ranks first" in same
    other = L.summary(*args, val_tau_runs=_val_tau({0.5: 77.0, 0.6: 75.37, 0.7: 76.35}))
    assert "another value ranks first" in other
