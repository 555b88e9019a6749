"""The generated readings of notebook 06 (synq_nb.readings.lesson06): every branch, with made-up numbers on both
sides of it. Fast: no model, no data."""
from __future__ import annotations

import math
import statistics

import pytest

from synq_nb import results
from synq_nb.readings import lesson06 as L

BASE, FILT, CAM, SOFT, ALL = "baseline", "+ filter", "+ CAM", "+ soft labels", "all three (SynQ)"
FLAGS = {BASE: (0, 0, 0), FILT: (1, 0, 0), CAM: (0, 1, 0), SOFT: (0, 0, 1), ALL: (1, 1, 1)}


# ------------------------------------------------------------------ made-up inputs
def _live(base=42.19, filt=54.00, cam=39.92, soft=42.04, full=60.46, rtn_plain=42.04, rtn_filter=58.95):
    rtn = {BASE: rtn_plain, FILT: rtn_filter, CAM: rtn_plain, SOFT: rtn_plain, ALL: rtn_filter}
    final = {BASE: base, FILT: filt, CAM: cam, SOFT: soft, ALL: full}
    return rtn, final


def _abl(rows: dict) -> dict:
    """{combination: [top-1 of seed 0, seed 1, ...]} -> {combination: {seed: top-1}}."""
    return {c: dict(enumerate(v)) for c, v in rows.items()}


ABLATION = _abl({(0, 0, 0): [57.70, 53.73], (1, 0, 0): [66.61, 65.04], (0, 1, 0): [60.05, 58.85],
                 (0, 0, 1): [58.83, 55.51], (1, 1, 0): [68.08, 68.07], (1, 0, 1): [69.64, 68.26],
                 (0, 1, 1): [61.24, 58.22], (1, 1, 1): [72.31, 72.09]})


def _crun(setting, seed, top1, val=None, total=600.0, synth=150.0, ft=450.0, cache=False, threads=1, synth_iters=50,
          epochs=10, bits=3, with_cpu_s=True):
    r = dict(run_name=f"w{bits}a{bits}_{setting}_s{seed}", set="confirm", w_bits=bits, a_bits=bits, seed=seed,
             final_top1=top1, device=f"cpu (x86_64, {threads} threads)", synthetic_from_cache=cache,
             config=dict(num_images=1024, synth_iters=synth_iters, synth_batch=256, synth_lr=0.25, alpha_bns=1.0,
                         beta_il=1.0, gamma_il=1.0, epochs=epochs, d0=8.0))
    if with_cpu_s:
        r["cpu_s"] = dict(total=total, synthesis=synth, finetune=ft)
    if val is not None:
        r["val_final_top1"] = val
    return r


def _confirm(plus=(79.61, 81.56, 79.50), cpu=(73.38, 71.61, 72.11), plus_val=(84.8, 86.0, 84.1),
             cpu_val=(77.5, 75.9, 75.6), plus_cost=1147.0, cpu_cost=665.0, seeds=(3, 4, 5), **kw):
    runs = []
    for s, a, b, va, vb in zip(seeds, plus, cpu, plus_val, cpu_val):
        runs.append(_crun("cpu-plus", s, a, va, total=plus_cost, synth=422.0, ft=645.0, synth_iters=150, epochs=15, **kw))
        runs.append(_crun("cpu", s, b, vb, total=cpu_cost, synth=148.0, ft=450.0, **kw))
    return runs


def _vald0(scores: dict, seed=0):
    """scores: {d0: (validation top-1, test top-1 or None)}."""
    out = []
    for d0, (val, test) in scores.items():
        out.append(dict(run_name=f"w3a3_d0-{d0:g}_s{seed}", w_bits=3, a_bits=3, seed=seed, final_top1=test,
                        val_final_top1=val, val_rtn_top1=55.0, val_fp_top1=99.9, config=dict(d0=float(d0))))
    return out


def _real_rows(gb=(71.0, 75.5), gs=(46.7, 51.9), real_b=(81.85, 83.39), real_s=(81.37, 82.39), syn_b=57.70,
               syn_s=72.31):
    rows = []
    for n, a, b, rb, rs in zip((1024, 5120), gb, gs, real_b, real_s):
        rows.append({"bits": "W3A3", "method": "baseline (KD + CE)", "seed": 0, "real images": n, "FP": 91.73,
                     "synthetic": syn_b, "real": rb, "gap closed by real data (%)": a})
        rows.append({"bits": "W3A3", "method": "filter + CAM + soft labels", "seed": 0, "real images": n, "FP": 91.73,
                     "synthetic": syn_s, "real": rs, "gap closed by real data (%)": b})
    return rows


# ------------------------------------------------------------------ helpers
def test_small_helpers():
    assert L._verb("CAM alone", "is", "are") == "is" and L._verb("all three", "is", "are") == "are"
    assert L._verb("soft labels alone", "is", "are") == "are" and L._verb("filter + CAM", "is", "are") == "are"
    assert L._list([3, 4]) == "3 and 4" and L._list([1, 2, 3]) == "1, 2 and 3" and L._list([]) == "none"
    assert L._row((0, 0, 0)) == "the baseline" and L._row((1, 0, 0)) == "the filter alone"
    assert L._row((0, 1, 0)) == "CAM alone" and L._row((1, 1, 1)) == "all three" and L._row((0, 1, 1)) == "CAM + soft labels"
    assert L._where(1.0, 1.04) == "level" and L._where(1.1, 1.0) == "above" and L._where(0.9, 1.0) == "below"
    assert L._ord(1) == "1st" and L._ord(2) == "2nd" and L._ord(3) == "3rd" and L._ord(5) == "5th"


# ------------------------------------------------------------------ run times
def test_run_times_all_computed():
    text = L.run_times({BASE: 375.2, FILT: 336.6}, {BASE: False, FILT: False}, "cpu (x86_64, 2 threads)")
    assert "All 2 runs were computed in this execution" in text and "337 to 375 s" in text and "2 threads" in text


def test_run_times_all_reloaded():
    text = L.run_times({BASE: 45.2, FILT: 57.8}, {BASE: True, FILT: True}, "cpu")
    assert "reloaded from the cache" in text and "trained nothing" in text and "45 to 58 s" in text


def test_run_times_mixed():
    text = L.run_times({BASE: 45.0, FILT: 58.0, CAM: 50.0}, {BASE: True, FILT: False, CAM: True}, "cpu")
    assert "1 of the 3 runs were computed in this execution (+ filter)" in text
    assert "2 reloaded from the cache (baseline and + CAM)" in text


# ------------------------------------------------------------------ the live ablation
def test_live_ablation_at_the_committed_numbers():
    rtn, final = _live()
    v = L.live_verdicts(rtn, final, FLAGS)
    assert v["best_single"] == FILT and v["full"] == ALL and v["full_vs_best"] == "above"
    assert v["vs_rtn"] == {BASE: "above", FILT: "below", CAM: "below", SOFT: "level", ALL: "above"}
    assert v["vs_base"][CAM] == "below" and v["vs_base"][SOFT] == "below"
    assert v["lead"] == {FILT: "narrowed", ALL: "widened"}
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100)
    assert "The single idea with the largest gain is the filter alone: 54.00 %, +11.81 points" in text
    assert "CAM alone ends 2.27 points below the baseline (39.92 %)" in text
    assert "soft labels alone end 0.15 points below the baseline" in text
    assert "+18.27 points against the baseline and +6.46 against the best single idea (above it)" in text
    assert "the filter alone fell from 58.95 to 54.00" in text and "soft labels alone stayed within 0.05 of 42.04" in text
    assert "For the filter alone and CAM alone, fine-tuning at this budget ended below" in text
    assert "The filter alone, calibrated on filtered images, starts 16.91 points above the baseline's RTN" in text
    assert "All three, calibrated on filtered images, start 16.91 points above" in text
    assert "after fine-tuning it ends +11.81 points" in text and "after fine-tuning they end +18.27 points" in text
    assert "fine-tuning gave back 5.10 points, and all of the final gain was there before" in text
    assert "fine-tuning added 1.36 points to it" in text
    assert "31.27 points short of it" in text and "10 of the preset's 100 iterations" in text


def test_live_ablation_no_single_idea_helps_and_nothing_falls():
    rtn, final = _live(base=50.0, filt=49.0, cam=48.0, soft=50.02, full=49.5, rtn_filter=42.04)
    v = L.live_verdicts(rtn, final, FLAGS)
    assert v["best_single"] == SOFT and v["vs_base"][SOFT] == "level" and v["lead"] == {}
    assert v["full_vs_best"] == "below"
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100)
    assert "No single idea ends above the baseline; the best of them, soft labels alone, ends at 50.02 % (+0.02" in text
    assert "(below it)" in text and "No row ends below its RTN starting point." in text
    assert "head start" not in text


def test_live_ablation_gain_above_and_lead_kept_and_start_below():
    rtn, final = _live(base=42.0, filt=60.0, cam=45.0, soft=44.0, full=60.0, rtn_filter=60.0, rtn_plain=42.0)
    v = L.live_verdicts(rtn, final, FLAGS)
    assert v["lead"][FILT] == "kept" and v["full_vs_best"] == "level"
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100)
    assert "CAM alone ends 3.00 points above the baseline" in text and "(level with it)" in text
    assert "neither widened nor narrowed" in text
    rtn2, final2 = _live(rtn_filter=30.0, filt=35.0, full=50.0)       # calibration on filtered images starts lower
    assert "starts 12.04 points below the baseline's RTN" in L.live_ablation(rtn2, final2, FLAGS, 91.73, 0, 10, 100)


# ------------------------------------------------------------------ the reduced budget
def test_budget_ranking_differs_only_without_the_filter():
    _, live = _live()
    full = {BASE: 57.70, FILT: 66.61, CAM: 60.05, SOFT: 58.83, ALL: 72.31}
    v = L.budget_verdicts(live, full, FLAGS)
    assert not v["same"] and set(v["moved"]) == {BASE, CAM} and set(v["flips"]) == {CAM, SOFT} and v["gradient_only"]
    text = L.budget_ranking(live, full, FLAGS, 10, 100, 0)
    assert "CAM alone -2.27 → +2.35" in text and "The rankings differ" in text
    assert "the baseline 3rd → 5th" in text and "CAM alone 5th → 3rd" in text
    assert "CAM alone is below the baseline at 10 iterations per epoch and above it at 100" in text
    assert "acts only through the gradient" in text and "Rows with the filter changed too" not in text


def test_budget_ranking_with_a_filter_row_moving():
    live = {BASE: 42.0, FILT: 54.0, CAM: 40.0, SOFT: 41.0, ALL: 60.0}
    full = {BASE: 57.0, FILT: 75.0, CAM: 58.0, SOFT: 57.0, ALL: 72.0}
    v = L.budget_verdicts(live, full, FLAGS)
    assert not v["gradient_only"] and FILT in v["changed"]
    text = L.budget_ranking(live, full, FLAGS, 10, 100, 0)
    assert "Rows with the filter changed too (the filter alone and all three)" in text
    assert "Soft labels alone are below the baseline at 10 iterations per epoch and level with it at 100" in text


def test_budget_ranking_same_and_missing():
    live = {BASE: 42.0, FILT: 54.0, CAM: 43.0, SOFT: 42.5, ALL: 60.0}
    full = {BASE: 57.0, FILT: 66.0, CAM: 60.0, SOFT: 58.0, ALL: 72.0}
    text = L.budget_ranking(live, full, FLAGS, 10, 100, 0)
    assert L.budget_verdicts(live, full, FLAGS)["same"] and "Both budgets order the 5 rows the same way" in text
    assert "The rankings differ" not in text
    for missing in (None, {**full, CAM: float("nan")}):
        assert L.budget_verdicts(live, missing, FLAGS) is None
        assert "are not compared here" in L.budget_ranking(live, missing, FLAGS, 10, 100, 0)


# ------------------------------------------------------------------ the simulation
def test_false_positives_rule_worse_interval_nominal():
    text = L.false_positives({2: 0.392, 3: 0.211, 5: 0.056}, {2: 0.050, 3: 0.048, 5: 0.053}, 20000)
    assert "39.2 % with 2 seeds" in text and "5.0 % with 2" in text
    assert "keeps the 5.0 % it promises" in text and "±0.5 points" in text
    assert "7.8 times as often as the interval with 2 seeds" in text and "4.4 times" in text
    assert "With 5 seeds the two rates are close (5.6 % against 5.3 %)" in text


def test_false_positives_interval_off_and_no_close_rule():
    text = L.false_positives({2: 0.39, 3: 0.21}, {2: 0.09, 3: 0.05}, 20000)
    assert "off its nominal 5.0 % with 2 seeds" in text and "keeps" not in text
    assert "are close" not in text


# ------------------------------------------------------------------ the committed ablation across seeds
def test_seed_table_at_the_committed_numbers():
    v = L.seed_verdicts(ABLATION)
    assert {c for c, r in v["rows"].items() if r["shared"]} == {(0, 0, 1), (0, 1, 1)}
    assert v["filter_std"] == "on average" and all(r["verdict"] == "unresolved" for r in v["rows"].values())
    text = L.seed_table(ABLATION)
    assert "the unpaired gain (the difference of the two means) is +1.45 points, smaller than" in text
    assert "(2.81)" in text and "+1.13, +1.78 (positive on every seed), with std 0.46" in text
    assert "Read unpaired, the gain hides inside the seed spread" in text
    assert "soft labels alone (3.66 → 0.46)" in text and "CAM + soft labels (3.53 → 0.67)" in text
    assert "Each of them spreads less over seeds than the baseline" in text
    assert "spread less over seeds on average (mean std 0.56 against 2.03), but not every one" in text
    assert "none of the 7 rows' intervals excludes zero" in text and "12.706" in text
    assert "the narrowest, soft labels alone, is [-2.67, +5.58]" in text


def test_seed_table_other_branches():
    abl = _abl({(0, 0, 0): [50.0, 40.0, 45.0], (0, 0, 1): [60.0, 58.0, 59.5], (1, 0, 0): [60.0, 71.0, 40.0],
                (0, 1, 0): [50.2, 40.25, 45.2], (1, 1, 1): [70.0, 70.1, 69.9]})
    v = L.seed_verdicts(abl)
    assert v["filter_std"] == "not"   # the filter rows spread more on average here
    text = L.seed_table(abl)
    assert "+14.17 points, larger than the larger of the two rows' seed-to-seed stds (5.00)" in text
    assert "Read unpaired" not in text
    assert "Their seed effect is not the baseline's" in text            # the filter row spreads more than the baseline
    assert "do not spread less over seeds" in text
    assert "exclude zero" in text and "CAM alone" in text             # CAM alone: +0.2, +0.3, +0.1 -> resolved
    abl2 = _abl({(0, 0, 0): [50.0, 40.0], (1, 0, 0): [60.0, 59.0], (0, 1, 0): [52.0, 47.0]})
    assert L.seed_verdicts(abl2)["filter_std"] == "every"
    assert "Every row with the filter spreads less over seeds (std 0.71-0.71)" in L.seed_table(abl2)
    one = _abl({(0, 0, 0): [50.0], (0, 0, 1): [51.0]})
    assert "fewer than two seeds" in L.seed_table(one)


def test_seed_table_mixed_signs_for_soft_labels():
    abl = _abl({(0, 0, 0): [50.0, 40.0], (0, 0, 1): [51.0, 39.5]})
    text = L.seed_table(abl)
    assert "(of both signs)" in text and "Read unpaired" not in text


# ------------------------------------------------------------------ interactions
def test_interactions_unresolved_at_the_committed_numbers():
    v = L.interaction_verdicts(ABLATION)
    assert all(v[p] == "unresolved" for p in L.PAIRS) and v["best pair"] == ((1, 0, 1), "unresolved")
    text = L.interactions(ABLATION)
    assert "$I$ for filter and CAM is -1.49 points" in text and "(-0.88, -2.09;" in text
    assert "the pair gains less than the sum of its members; these seeds cannot tell" in text
    assert "$I$ for filter and soft labels is +1.67" in text and "gains more than the sum" in text
    assert "All three minus the best pair (filter + soft labels) is +3.25" in text
    assert "positive on every seed; all three beat every pair in the point estimates, and the interval does not yet" in text


def test_interactions_resolved_and_best_pair_confirmed():
    # three seeds, consistent interactions: filter+CAM overlap (loss), filter+soft help (gain)
    base = [50.0, 49.0, 51.0]
    rows = {(0, 0, 0): base, (1, 0, 0): [b + 10 for b in base], (0, 1, 0): [b + 4 for b in base],
            (0, 0, 1): [b + 2 for b in base], (1, 1, 0): [b + 12 + e for b, e in zip(base, (0.1, -0.1, 0.0))],
            (1, 0, 1): [b + 14 + e for b, e in zip(base, (0.1, -0.1, 0.0))],
            (0, 1, 1): [b + 6 + e for b, e in zip(base, (0.5, -0.6, 0.2))],
            (1, 1, 1): [b + 18 + e for b, e in zip(base, (0.1, -0.1, 0.05))]}
    abl = _abl(rows)
    v = L.interaction_verdicts(abl)
    assert v[((1, 0, 0), (0, 1, 0))] == "loss" and v[((1, 0, 0), (0, 0, 1))] == "gain"
    assert v["best pair"] == ((1, 0, 1), "gain")
    text = L.interactions(abl)
    assert "the two ideas partly repair the same defect" in text and "each idea makes the other more useful" in text
    assert "the interval confirms it" in text


def test_interactions_full_method_below_a_pair_and_one_seed_and_missing():
    abl = _abl({(0, 0, 0): [50.0, 49.0], (1, 0, 0): [60.0, 59.0], (0, 1, 0): [52.0, 51.0], (1, 1, 0): [63.0, 60.0],
                (1, 1, 1): [62.0, 61.0]})
    text = L.interactions(abl)
    assert "does not beat the best pair on every seed" in text
    one = _abl({(0, 0, 0): [50.0], (1, 0, 0): [60.0], (0, 1, 0): [52.0], (1, 1, 0): [63.0]})
    t1 = L.interactions(one)
    assert "on seed 0 alone" in t1 and "cannot tell that from no interaction" not in t1
    assert "lacks the rows" in L.interactions(_abl({(0, 0, 0): [50.0]}))


# ------------------------------------------------------------------ one seed can mislead
def test_on_top_of_cam_one_seed_misleads():
    text = L.on_top_of_cam(ABLATION)
    assert "(seed 0: +1.19; seed 1: -0.63)" in text and "of both signs" in text
    assert "Someone who ran only seed 0 would have reported that soft labels add 1.19" in text
    assert "only seed 1 that they cost 0.63" in text
    assert "Adding the filter on top of CAM lifts every seed (+8.03, +9.22)" in text
    assert "the same idea agrees in sign there and not on top of CAM" in text


def test_on_top_of_cam_agreeing_seeds_and_other_filter_words():
    abl = _abl({(0, 0, 0): [50.0, 49.0], (0, 1, 0): [52.0, 51.0], (0, 1, 1): [53.0, 52.5], (1, 1, 0): [51.0, 50.0],
                (0, 0, 1): [50.5, 48.0]})
    text = L.on_top_of_cam(abl)
    assert "every seed agrees in sign, so this comparison does not show one seed misleading" in text
    assert "lowers every seed" in text and "agrees in sign there" not in text and text.endswith(".")
    abl[(1, 1, 0)] = {0: 53.0, 1: 50.0}
    assert "moves the seeds in opposite directions" in L.on_top_of_cam(abl)
    assert "lacks the CAM rows" in L.on_top_of_cam(_abl({(0, 0, 0): [50.0]}))


# ------------------------------------------------------------------ main runs
def test_main_runs_resolved_and_which_row_varies_more():
    g = {4: _abl({(0, 0, 0): [85.76, 85.56, 85.81], (1, 1, 1): [88.88, 88.42, 88.70]}),
         3: _abl({(0, 0, 0): [57.70, 53.73, 58.80], (1, 1, 1): [72.31, 72.09, 73.25]})}
    v = L.main_verdicts(g)
    assert v == {4: ("gain", "SynQ"), 3: ("gain", "baseline")}
    text = L.main_runs(g)
    assert "At W4A4, SynQ minus the baseline is +2.96 points" in text and "[+2.60, +3.31]" in text
    assert "SynQ varies more from seed to seed than the baseline" in text
    assert "the baseline, trained on the raw synthetic set, depends more" in text
    assert "With 3 seeds ($t_{0.975,2}$ = 4.303) the interval is narrow enough to resolve SynQ's gain at W4A4 and W3A3" in text
    assert text.index("W4A4") < text.index("W3A3")


def test_main_runs_unresolved_missing_and_too_few_seeds():
    g = {3: _abl({(0, 0, 0): [50.0, 40.0, 45.0], (1, 1, 1): [49.0, 42.0, 46.0]})}
    assert "Not even 3 seeds resolve SynQ's gain here." in L.main_runs(g)
    assert "not in this checkout" in L.main_runs({})
    assert "fewer than two seeds" in L.main_runs({3: _abl({(0, 0, 0): [50.0], (1, 1, 1): [60.0]})})


# ------------------------------------------------------------------ per class and agreement
CLASSES = ["airplane", "automobile", "bird", "cat"]


def test_per_class_hardest_among_the_largest_losses():
    pc = {"teacher": [92.0, 96.8, 87.6, 83.2], "baseline": [55.1, 79.9, 25.2, 18.2],
          "all three (SynQ)": [61.3, 85.6, 43.9, 30.3]}
    v = L.per_class_verdicts(pc, "teacher", ["baseline", "all three (SynQ)"])
    assert v["hardest"] == 3 and v["baseline"]["rank_hardest"] == 1 and v["baseline"]["worst"] == 3
    text = L.per_class_reading(pc, CLASSES)
    assert "The teacher's hardest class is 'cat' (83.20 %)" in text
    assert "The student 'baseline' loses most on 'cat' (65.00 points below the teacher) and least on 'automobile' (16.90)" in text
    assert "far from uniform (range 48.10 points)" in text and "1st largest loss, among the 3 largest" in text
    assert "also among the students' largest losses" in text


def test_per_class_uniform_and_hardest_elsewhere():
    pc = {"teacher": [90.0, 95.0, 96.0, 80.0], "baseline": [80.0, 85.0, 86.0, 70.0],
          "all three (SynQ)": [85.0, 94.0, 90.0, 80.0]}
    v = L.per_class_verdicts(pc, "teacher", ["baseline", "all three (SynQ)"])
    assert v["baseline"]["rank_hardest"] == 4 and v["baseline"]["spread"] == pytest.approx(0.0)
    text = L.per_class_reading(pc, CLASSES)
    assert "the losses are about uniform (range 0.00 points)" in text       # the baseline: 10 points everywhere
    assert "far from uniform (range 6.00 points)" in text and "not among the 3 largest" in text
    assert "the losses do not follow the teacher's own difficulty" in text
    pc["all three (SynQ)"] = [89.0, 94.0, 95.0, 70.0]                    # SynQ loses most on the hardest class
    assert "among the largest losses of all three (SynQ) only" in L.per_class_reading(pc, CLASSES)


def test_agreement_positive_same_order_and_not():
    top1 = {BASE: 42.19, FILT: 54.00, CAM: 39.92}
    agree = {BASE: 42.51, FILT: 54.66, CAM: 40.40}
    v = L.agreement_verdicts(top1, agree)
    assert v["all_positive"] and v["same_order"]
    text = L.agreement(top1, agree)
    assert "from +0.32 (baseline) to +0.66 (+ filter)" in text and "positive for every variant" in text
    assert "same order as by top-1 (+ filter > baseline > + CAM)" in text
    agree2 = {BASE: 42.00, FILT: 54.50, CAM: 43.00}
    v2 = L.agreement_verdicts(top1, agree2)
    assert not v2["all_positive"] and not v2["same_order"]
    text2 = L.agreement(top1, agree2)
    assert "It is not positive for baseline" in text2 and "they differ from the order by top-1" in text2


# ------------------------------------------------------------------ best over epochs
def test_best_vs_final_branches():
    some = L.best_vs_final({"w4a4_synq_s1": 0.11, "w4a4_synq_s2": 0.27, "w3a3_synq_s0": 0.0}, [5, 10])
    assert "In 2 of the 3 runs an earlier epoch beat the final one" in some
    assert "w4a4_synq_s1 (+0.11) and w4a4_synq_s2 (+0.27)" in some and "largest lift is 0.27 points" in some
    none = L.best_vs_final({"a": 0.0, "b": 0.0}, [5, 10])
    assert "in every one the final epoch was also the best" in none and "epochs 5 and 10" in none
    assert "not in this checkout" in L.best_vs_final({}, [])


# ------------------------------------------------------------------ how the settings were chosen
def test_unpaired_interval_by_hand():
    a, b = [73.38, 71.61, 72.11], [72.31, 72.09, 73.25]
    diff, lo, hi = L.unpaired_interval(a, b)
    half = 4.303 * math.sqrt(statistics.variance(a) / 3 + statistics.variance(b) / 3)
    assert diff == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
    assert (lo, hi) == pytest.approx((diff - half, diff + half))
    assert math.isnan(L.unpaired_interval([1.0], [2.0, 3.0])[1])


def test_in_and_out_of_sample_unresolved_at_the_committed_numbers():
    ins = {"cpu": {0: 72.31, 1: 72.09, 2: 73.25}, "cpu-plus": {0: 82.18, 1: 79.09, 2: 78.95}}
    conf = _confirm()
    assert L.sample_verdicts(ins, conf) == {"cpu": "unresolved", "cpu-plus": "unresolved"}
    text = L.in_and_out_of_sample(ins, conf)
    assert "`cpu`: seeds 0, 1 and 2, where the settings were chosen: 72.31, 72.09, 73.25 (mean 72.55 ± 0.62)" in text
    assert "fresh seeds 3, 4 and 5: 73.38, 71.61, 72.11 (mean 72.37 ± 0.91): -0.18 points out of sample" in text
    assert "contains zero, not resolved" in text and "too small to see with these seeds" in text


def test_in_and_out_of_sample_lower_higher_one_seed_and_missing():
    conf = _confirm(cpu=(70.0, 70.2, 70.1), plus=(86.0, 86.2, 86.1))
    ins = {"cpu": {0: 75.0, 1: 75.2, 2: 75.1}, "cpu-plus": {0: 80.0, 1: 80.1, 2: 80.2}}
    assert L.sample_verdicts(ins, conf) == {"cpu": "lower", "cpu-plus": "higher"}
    text = L.in_and_out_of_sample(ins, conf)
    assert "below zero" in text and "above zero" in text
    assert "The fresh seeds score lower for `cpu`: the numbers on seeds 0-2 were optimistic" in text
    only_high = L.in_and_out_of_sample({"cpu-plus": ins["cpu-plus"]}, conf)
    assert "the seeds' luck, not the selection" in only_high and "no run on seeds 0-2 to compare with" in only_high
    one = _confirm(seeds=(3,), plus=(80.0,), cpu=(72.0,), plus_val=(85.0,), cpu_val=(76.0,))
    assert L.sample_verdicts(ins, one) == {"cpu": "one seed", "cpu-plus": "one seed"}
    assert "one seed on a side: no interval" in L.in_and_out_of_sample(ins, one)
    assert "`cpu-plus` has no fresh-seed run" in L.in_and_out_of_sample(ins, [r for r in conf if "plus" not in r["run_name"]])
    assert "not in this checkout" in L.in_and_out_of_sample(ins, None)
    assert "not in this checkout" in L.in_and_out_of_sample(ins, [])


def test_fresh_pair_gain_with_its_cost_and_the_same_cost_comparison():
    conf = _confirm()
    conf += [_crun("cpu-syn150-ep15", s, t, 80.0, total=735.0, synth=0.0, ft=660.0, cache=True, synth_iters=150,
                   epochs=15) for s, t in ((3, 76.49), (4, 75.38))]
    v = L.fresh_verdicts(conf)
    assert v["gain"] == "gain" and v["val"] == "gain" and v["ratio"] == pytest.approx(1147 / 665)
    assert v["same_cost"][0] == "unresolved" and v["same_cost"][1] == pytest.approx(2 * 1147 / (2 * (735 + 422)))
    text = L.fresh_pair(conf)
    assert "`cpu-plus` minus `cpu` is +7.86 points on average over seeds 3, 4, 5" in text and "[+3.13, +12.59]" in text
    assert "It costs 1.72x the CPU seconds of `cpu`: 1,147 s per run against 665 s" in text
    assert "synthesis 422 against 148, fine-tuning 645 against 450" in text and "each run on 1 thread." in text
    assert "bought with more compute, not the same budget" in text
    assert "On the validation split the same runs give" in text and "the same verdict as the test set" in text
    assert "What SynQ as published gives at about the same cost" in text and "(150 synthesis iterations, 15 epochs" in text
    assert "76.49, 75.38 on seeds 3 and 4" in text and "`cpu-plus` minus it is +4.65" in text


def test_whole_cpu_seconds_charges_the_synthesis_of_the_run_that_made_the_set():
    maker = _crun("cpu-plus", 3, 80.0, total=1100.0, synth=420.0, synth_iters=150)
    user = _crun("cpu-syn150-ep15", 3, 76.0, total=700.0, synth=0.0, cache=True, synth_iters=150)
    other = _crun("cpu", 3, 72.0, total=600.0, synth=150.0, synth_iters=50)
    assert results.whole_cpu_seconds(maker, [maker, user, other]) == 1100.0
    assert results.whole_cpu_seconds(user, [maker, user, other]) == 1120.0
    assert results.whole_cpu_seconds(user, [user, other]) is None     # no run made a 150-iteration set
    assert results.whole_cpu_seconds(_crun("cpu", 3, 72.0, with_cpu_s=False), [maker]) is None


def test_fresh_pair_cost_branches():
    cheap = L.fresh_pair(_confirm(plus_cost=500.0, cpu_cost=665.0))
    assert "bought with less compute" in cheap
    same = L.fresh_pair(_confirm(plus_cost=680.0, cpu_cost=665.0))
    assert "about the same compute" in same
    nocpu = L.fresh_pair(_confirm(with_cpu_s=False))
    assert "do not record their CPU seconds" in nocpu and L.fresh_verdicts(_confirm(with_cpu_s=False))["ratio"] is None
    conf = _confirm()
    for r in conf:
        if "plus" in r["run_name"]:
            r["device"] = "cpu (x86_64, 2 threads)"
    assert "different thread counts (1 and 2)" in L.fresh_pair(conf) and L.fresh_verdicts(conf)["ratio"] is None


def test_fresh_pair_validation_disagrees_missing_and_other_cost_of_the_same_iterations():
    conf = _confirm(plus_val=(75.0, 78.0, 74.0), cpu_val=(77.5, 75.9, 75.6))
    v = L.fresh_verdicts(conf)
    assert v["val"] == "unresolved"
    assert "a different verdict from the test set's" in L.fresh_pair(conf)
    no_val = _confirm()
    for r in no_val:
        r.pop("val_final_top1")
    assert L.fresh_verdicts(no_val)["val"] is None and "validation split" not in L.fresh_pair(no_val)
    far = _confirm() + [_crun("cpu-syn150-ep15", 3, 76.0, total=400.0, synth=0.0, cache=True, synth_iters=150)]
    assert "at 0.72x `cpu-plus`'s cost" in L.fresh_pair(far)      # (400 + 422 charged for synthesis) / 1,147
    lone = _confirm() + [_crun("cpu-syn150-ep15", 3, 76.0, total=400.0, synth=0.0, cache=True, synth_iters=99)]
    assert "at a cost not measured here" in L.fresh_pair(lone)
    assert "not in this checkout" in L.fresh_pair([]) and L.fresh_verdicts(None) is None


def test_d0_choice_branches():
    same = L.d0_choice(_vald0({8: (76.35, 72.31), 16: (71.54, 68.62)}))
    assert "$d_0$ = 8: 76.35 % validation, 72.31 % test" in same and "as the test set did" in same
    assert "Notebook 02 reads these runs" in same and "not the default" not in same
    other = L.d0_choice(_vald0({8: (70.0, 69.0), 16: (74.0, 71.0)}))
    assert "picks $d_0$ = 16, as the test set did" in other and "It is not the default $d_0$ = 8" in other
    diff = L.d0_choice(_vald0({8: (70.0, 72.0), 16: (74.0, 71.0)}))
    assert "the test set $d_0$ = 8: a different choice" in diff and "still use $d_0$ = 8, chosen on the test set" in diff
    assert "nothing to choose between yet" in L.d0_choice(_vald0({8: (76.0, 72.0)}))
    assert "carry no test accuracy" in L.d0_choice(_vald0({8: (76.0, None), 16: (70.0, None)}))
    assert "not in this checkout" in L.d0_choice(None) and "still rests on the test set" in L.d0_choice([])


# ------------------------------------------------------------------ real data
def test_real_gap_at_the_committed_numbers():
    rows = _real_rows()
    v = L.real_verdicts(rows)
    assert v == {"larger": "every", "closer": True, "more_less": {"W3A3": True}}
    text = L.real_gap(rows)
    assert "W3A3, 1,024 real images: real data closes 71.0 % of the baseline's gap and 46.7 % of SynQ's" in text
    assert "+14.61 points on synthetic images and -0.48 on real ones" in text
    assert "In every setting real data closes a larger share of the baseline's gap" in text
    assert "end closer together than on synthetic ones in every setting" in text
    assert "1,024 → 5,120 real images adds +1.54 to the baseline and +1.02 to SynQ" in text
    assert "more images matter less than real images" in text and "One seed (0)" in text


def test_real_gap_other_branches():
    none = _real_rows(gb=(40.0, 45.0), gs=(50.0, 55.0), real_s=(90.0, 91.0), real_b=(60.0, 85.0))
    v = L.real_verdicts(none)
    assert v["larger"] == "none" and not v["closer"] and v["more_less"] == {"W3A3": False}
    text = L.real_gap(none)
    assert "closes a smaller share of the baseline's gap" in text and "do not always end closer" in text
    assert "more images matter as much as real images, or more" in text
    some = _real_rows(gb=(40.0, 60.0), gs=(50.0, 55.0))
    assert L.real_verdicts(some)["larger"] == "some" and "in some settings" in L.real_gap(some)
    assert "not in this checkout" in L.real_gap([])
    assert "no baseline and SynQ pair" in L.real_gap([r for r in _real_rows() if r["method"].startswith("base")])


# ------------------------------------------------------------------ exercises
def test_exercise1_two_seeds_unresolved():
    text = L.exercise1({0: 58.83, 1: 55.51}, {0: 57.70, 1: 53.73})
    assert "+1.45 points against a row spread of 2.81, smaller than the spread" in text
    assert "std of the differences of 0.46, smaller than the mean" in text
    assert "+1.45 ± 12.706 × 0.46/√2, is [-2.67, +5.58]: it contains zero" in text
    assert "consistency over two seeds is not yet evidence" in text


def test_exercise1_other_branches():
    text = L.exercise1({0: 60.0, 1: 70.0, 2: 65.0}, {0: 50.0, 1: 60.0, 2: 55.5})
    assert "larger than the spread" in text and "above zero" in text and "not yet evidence" not in text
    noisy = L.exercise1({0: 50.0, 1: 60.0}, {0: 52.0, 1: 55.0})
    assert "not smaller than the mean" in noisy
    loss = L.exercise1({0: 40.0, 1: 41.0, 2: 40.5}, {0: 50.0, 1: 51.2, 2: 50.4})
    assert "below zero" in loss
    one = L.exercise1({0: 51.0}, {0: 50.0})
    assert "One seed (0): a difference of +1.00, with no spread and no interval." == one


def test_exercise2_branches():
    text = L.exercise2(1.58, 1.55, 10, 1000, 0.49, 2.81)
    assert "std 1.58 points; the formula gives 1.55: they agree within twice the expected error" in text
    assert "(±47 %)" in text and "5.7 times larger: the seed, not the test set" in text
    text2 = L.exercise2(3.5, 1.55, 10, 1000, 3.0, 2.81)
    assert "they differ by more than twice" in text2 and "matters as much as the seed" in text2


# ------------------------------------------------------------------ summary
def test_summary_with_every_part():
    rtn, final = _live()
    full = {BASE: 57.70, FILT: 66.61, CAM: 60.05, SOFT: 58.83, ALL: 72.31}
    text = L.summary((rtn, final, FLAGS), L.budget_verdicts(final, full, FLAGS),
                     ({2: 0.39, 3: 0.21}, {2: 0.05, 3: 0.048}), L.fresh_verdicts(_confirm()),
                     _vald0({8: (76.35, 72.31), 16: (71.54, 68.62)}))
    assert "the largest single gain is the filter alone's" in text
    assert "the filter alone and CAM alone ended below their RTN start" in text
    assert "differently from the full budget (the baseline and CAM alone moved)" in text
    assert "39 % and 21 %" in text and "5 % and 5 %" in text
    assert "`cpu-plus` minus `cpu` is +7.86 points, resolved as a gain, at 1.72x the CPU seconds" in text
    assert "picks $d_0$ = 8: the test set's choice too" in text


def test_summary_other_branches():
    rtn, final = _live(base=42.0, filt=60.0, cam=45.0, soft=44.0, full=62.0, rtn_filter=58.0, rtn_plain=42.0)
    same = {BASE: 57.0, FILT: 70.0, CAM: 60.0, SOFT: 58.0, ALL: 72.0}
    fresh = L.fresh_verdicts(_confirm(plus=(72.0, 73.0, 71.0), cpu=(72.5, 71.0, 72.0), with_cpu_s=False))
    text = L.summary((rtn, final, FLAGS), L.budget_verdicts(final, same, FLAGS), None, fresh,
                     _vald0({8: (70.0, 72.0), 16: (74.0, 71.0)}))
    assert "no row ended below its RTN start" in text and "as the full budget did" in text
    assert "not resolved" in text and "CPU seconds" not in text
    assert "not the test set's ($d_0$ = 8)" in text
    rtn1, final1 = _live(cam=40.0, filt=60.0, full=61.0, rtn_filter=58.0)
    assert "CAM alone ended below its RTN start" in L.summary((rtn1, final1, FLAGS), None, None, None)
    assert L.summary(None, None, None, None) == "Nothing was measured in this execution."
