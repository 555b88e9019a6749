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
N = 10_000


# ------------------------------------------------------------------ made-up inputs
def _live(base=42.19, filt=54.00, cam=41.84, soft=43.27, full=59.54, rtn_plain=42.04, rtn_filter=58.95):
    rtn = {BASE: rtn_plain, FILT: rtn_filter, CAM: rtn_plain, SOFT: rtn_plain, ALL: rtn_filter}
    final = {BASE: base, FILT: filt, CAM: cam, SOFT: soft, ALL: full}
    return rtn, final


def _abl(rows: dict) -> dict:
    """{combination: [top-1 of seed 0, seed 1, ...]} -> {combination: {seed: top-1}}."""
    return {c: dict(enumerate(v)) for c, v in rows.items()}


ABLATION = _abl({(0, 0, 0): [57.70, 53.73], (1, 0, 0): [66.61, 65.04], (0, 1, 0): [60.05, 58.85],
                 (0, 0, 1): [58.83, 55.51], (1, 1, 0): [68.08, 68.07], (1, 0, 1): [69.64, 68.26],
                 (0, 1, 1): [61.24, 58.22], (1, 1, 1): [72.31, 72.09]})
ABL_RTN = {c: {0: 58.95 if c[0] else 42.04, 1: 58.74 if c[0] else 40.43} for c in ABLATION}
FULL0 = {BASE: 57.70, FILT: 66.61, CAM: 60.05, SOFT: 58.83, ALL: 72.31}     # the committed ablation, seed 0


def _crun(setting, seed, top1, val=None, total=600.0, synth=150.0, ft=450.0, cache=False, threads=1, synth_iters=50,
          epochs=10, bits=3, with_cpu_s=True, wall=None, rtn=59.0, **cfg):
    r = dict(run_name=f"w{bits}a{bits}_{setting}_s{seed}", set="confirm", w_bits=bits, a_bits=bits, seed=seed,
             final_top1=top1, rtn_top1=rtn, device=f"cpu (x86_64, {threads} threads)", synthetic_from_cache=cache,
             total_s=wall if wall is not None else 2 * total,
             config=dict(num_images=1024, synth_iters=synth_iters, synth_batch=256, synth_lr=0.25, alpha_bns=1.0,
                         beta_il=1.0, gamma_il=1.0, epochs=epochs, d0=8.0, seed=seed, **cfg))
    if with_cpu_s:
        r["cpu_s"] = dict(total=total, synthesis=synth, finetune=ft)
    if val is not None:
        r["val_final_top1"] = val
    return r


def _confirm(cpu=(73.38, 71.61, 72.11), off=(71.79, 70.40, 67.74), seeds=(3, 4, 5), with_cpu_s=True):
    runs = []
    for s, a, b in zip(seeds, cpu, off):
        runs.append(_crun("cpu", s, a, a + 4, total=665.0, synth=148.0, ft=450.0, with_cpu_s=with_cpu_s))
        runs.append(_crun("cpu-cam-off", s, b, b + 4, total=484.0, synth=0.0, ft=417.0, cache=True, with_cpu_s=with_cpu_s,
                          wall=680.0))
    return runs


def _vald0(scores: dict, seed=0):
    """scores: {d0: (validation top-1, test top-1 or None)}."""
    out = []
    for d0, (val, test) in scores.items():
        out.append(dict(run_name=f"w3a3_d0-{d0:g}_s{seed}", w_bits=3, a_bits=3, seed=seed, final_top1=test,
                        val_final_top1=val, val_rtn_top1=55.0, val_fp_top1=99.9, config=dict(d0=float(d0))))
    return out


def _sweep(d0s=(4, 8, 16, 32, 80)):
    return [dict(run_name=f"w3a3_d0-{d:g}_s0", w_bits=3, seed=0, final_top1=60.0, config=dict(d0=float(d))) for d in d0s]


def _calib(rows: dict):
    """rows: {seed: (RTN, final)} -> calib run JSONs."""
    return [dict(run_name=f"w3a3_synq-calib-raw_s{s}", set="calib", w_bits=3, a_bits=3, seed=s, rtn_top1=r, final_top1=f,
                 config=dict(filter_calibration=False)) for s, (r, f) in rows.items()]


MAIN_SYNQ = {0: 72.31, 1: 72.09, 2: 73.25}
MAIN_BASE_RTN = {0: 42.04, 1: 40.43, 2: 40.95}


def _real_rows(gb=(71.0, 75.5), gs=(46.7, 51.9), real_b=(81.85, 83.39), real_s=(81.37, 82.39), syn_b=57.70,
               syn_s=72.31):
    rows = []
    for n, a, b, rb, rs in zip((1024, 5120), gb, gs, real_b, real_s):
        rows.append({"bits": "W3A3", "method": "baseline (KD + CE)", "seed": 0, "real images": n, "FP": 91.73,
                     "synthetic": syn_b, "real": rb, "gap closed by real data (%)": a})
        rows.append({"bits": "W3A3", "method": "filter + CAM + soft labels", "seed": 0, "real images": n, "FP": 91.73,
                     "synthetic": syn_s, "real": rs, "gap closed by real data (%)": b})
    return rows


# ------------------------------------------------------------------ helpers and the noise band
def test_small_helpers():
    assert L._verb("CAM alone", "is", "are") == "is" and L._verb("all three", "is", "are") == "are"
    assert L._verb("soft labels alone", "is", "are") == "are" and L._verb("filter + CAM", "is", "are") == "are"
    assert L._list([3, 4]) == "3 and 4" and L._list([1, 2, 3]) == "1, 2 and 3" and L._list([]) == "none"
    assert L._row((0, 0, 0)) == "the baseline" and L._row((1, 0, 0)) == "the filter alone"
    assert L._row((0, 1, 0)) == "CAM alone" and L._row((1, 1, 1)) == "all three" and L._row((0, 1, 1)) == "CAM + soft labels"
    assert L._where(1.0, 1.04, 0.05) == "level" and L._where(1.1, 1.0, 0.05) == "above" and L._where(0.9, 1.0, 0.05) == "below"
    assert L._where(1.0, 2.0, 1.5) == "level"
    assert L._ord(1) == "1st" and L._ord(2) == "2nd" and L._ord(3) == "3rd" and L._ord(5) == "5th"


def test_noise_band_by_hand():
    assert L.eval_sd(50.0, 10_000) == pytest.approx(0.5)
    assert L.eval_sd(100.0, 10_000) == 0.0
    assert L.noise_band((50.0, 50.0), 10_000) == pytest.approx(1.96 * math.sqrt(0.5))
    assert L.noise_band((42.19, 42.04), 10_000) == pytest.approx(1.37, abs=0.01)
    assert L.noise_band((50.0,) * 4, 10_000) == pytest.approx(1.96)          # four terms: twice one's variance x2
    assert L.noise_band((50.0, 50.0), 500) > 6                                # smoke's 500 images: a wide band


def test_config_diff():
    a, b = _crun("cpu", 3, 72.0), _crun("cpu", 4, 71.0)
    assert L.config_diff(a, b) == set()
    c = _crun("cpu", 3, 72.0, lambda_cam=0.0)
    assert L.config_diff(a, c) == {"lambda_cam"}
    assert L.config_diff({"config": {}}, {"config": {"weight_range": "minmax"}}) == set()   # ADDED_LATER default


# ------------------------------------------------------------------ run times
def test_run_times_all_computed():
    text = L.run_times({BASE: 375.2, FILT: 336.6}, {BASE: False, FILT: False}, "cpu (x86_64, 2 threads)")
    assert "All 2 runs were computed in this execution" in text and "337 to 375 s" in text and "2 threads" in text
    assert "wall seconds" in text and "This execution spent" not in text


def test_run_times_all_reloaded_with_this_executions_split():
    now = {BASE: dict(load=0.3, validation=17.6, synthesis=0.0, calibration=1.5, evaluation_during_finetune=0.0,
                      finetune=1.0, evaluation=32.1),
           FILT: dict(load=0.3, validation=16.0, synthesis=0.0, calibration=1.5, evaluation_during_finetune=5.0,
                      finetune=1.2, evaluation=29.0)}
    text = L.run_times({BASE: 45.2, FILT: 57.8}, {BASE: True, FILT: True}, "cpu", now)
    assert "finished before this execution" in text and "trained and evaluated nothing" in text and "45 to 58 s" in text
    assert "This execution spent 100 s on the 2 runs (48 to 52 s each)" in text
    assert "2 s fine-tuning, 61 s evaluating the test set" in text and "34 s on the validation split" in text
    assert "4 s on the rest" in text


def test_run_times_mixed():
    text = L.run_times({BASE: 45.0, FILT: 58.0, CAM: 50.0}, {BASE: True, FILT: False, CAM: True}, "cpu")
    assert "1 of the 3 runs were computed in this execution (+ filter)" in text
    assert "2 finished before and reloaded (baseline and + CAM)" in text


# ------------------------------------------------------------------ the live ablation
def test_live_ablation_at_the_committed_numbers():
    rtn, final = _live()
    v = L.live_verdicts(rtn, final, FLAGS, N)
    assert v["best_single"] == FILT and v["full"] == ALL and v["full_vs_best"] == "above"
    assert v["vs_rtn"] == {BASE: "level", FILT: "below", CAM: "level", SOFT: "level", ALL: "level"}
    assert v["vs_base"] == {FILT: "above", CAM: "level", SOFT: "level", ALL: "above"}
    assert v["lead"] == {FILT: "narrowed", ALL: "kept"}
    assert set(v["ties"]) == {(BASE, CAM), (BASE, SOFT)}                       # CAM and soft labels: 1.43 apart, beyond
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100, N)
    assert "about ±1.37 points near 42 %" in text and "This is one seed" in text
    assert "the filter alone: 54.00 %, +11.81 points over the baseline, beyond the test set's noise" in text
    assert "CAM alone ends 0.35 points below the baseline (41.84 %), within the test set's noise (±1.37)" in text
    assert "soft labels alone end 1.08 points above the baseline (43.27 %), within the test set's noise" in text
    assert "+17.35 points against the baseline and +5.54 against the best single idea: above it, beyond" in text
    assert "the baseline +0.15; the filter alone -4.95; CAM alone -0.20" in text
    assert "The filter alone ended below its RTN start beyond noise" in text
    assert "For the baseline, CAM alone, soft labels alone and all three the change lies within" in text
    assert "The filter alone, calibrated on filtered images, starts 16.91 points above the baseline's RTN" in text
    assert "5.10 less than that head start (noise ±1.94): fine-tuning gained less with it than without" in text
    assert "they end +17.35 points from the baseline, +0.44 against that head start, within noise" in text
    assert "the baseline and CAM alone (0.35 apart); the baseline and soft labels alone (1.08 apart)" in text
    assert "32.19 points short of it" in text and "10 of the preset's 100 iterations" in text


def test_live_ablation_no_single_idea_beyond_noise_and_rises():
    rtn, final = _live(base=50.0, filt=49.0, cam=48.0, soft=50.9, full=49.8, rtn_filter=42.04)
    v = L.live_verdicts(rtn, final, FLAGS, N)
    assert v["best_single"] == SOFT and v["vs_base"][SOFT] == "level" and v["lead"] == {}
    assert v["full_vs_best"] == "level" and v["vs_rtn"][BASE] == "above"
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100, N)
    assert "No single idea ends above the baseline beyond noise; the best of them, soft labels alone, ends at 50.90 % " \
           "(+0.90 points, within the test set's noise" in text
    assert "level with it" in text and "rose beyond noise" in text and "ended below" not in text
    assert "head start" not in text


def test_live_ablation_lead_widened_and_a_filter_that_starts_below():
    rtn, final = _live(base=42.0, filt=65.0, cam=45.0, soft=44.0, full=62.0, rtn_filter=58.0, rtn_plain=42.0)
    v = L.live_verdicts(rtn, final, FLAGS, N)
    assert v["lead"][FILT] == "widened" and v["full_vs_best"] == "below"
    text = L.live_ablation(rtn, final, FLAGS, 91.73, 0, 10, 100, N)
    assert "CAM alone ends 3.00 points above the baseline (45.00 %), beyond the test set's noise" in text
    assert "7.00 more than that head start (noise ±" in text and "fine-tuning added to it" in text
    assert "below it, beyond" in text
    rtn2, final2 = _live(rtn_filter=30.0, filt=35.0, full=50.0)       # calibration on filtered images starts lower
    assert "starts 12.04 points below the baseline's RTN" in L.live_ablation(rtn2, final2, FLAGS, 91.73, 0, 10, 100, N)
    assert L.live_verdicts(rtn2, final2, FLAGS, N)["vs_rtn"][FILT] == "above"


# ------------------------------------------------------------------ the reduced budget
def test_budget_ranking_at_the_committed_numbers():
    _, live = _live()
    v = L.budget_verdicts(live, FULL0, FLAGS, N, N)
    assert not v["same"] and set(v["moved"]) == {BASE, CAM, SOFT} and v["pairs"] == 10
    assert len(v["agree"]) == 7 and not v["reversed"]
    assert v["live_only"] == [(CAM, SOFT)] and v["full_only"] == [(BASE, CAM)] and v["ties"] == [(BASE, SOFT)]
    text = L.budget_ranking(live, FULL0, FLAGS, 10, 100, 0, N, N)
    assert "CAM alone -0.35 → +2.35" in text and "By the point values the rankings differ" in text
    assert "the baseline 4th → 5th" in text and "CAM alone 5th → 3rd" in text
    assert "7 of the 10 pairs of rows are ordered beyond noise at both budgets, all the same way" in text
    assert "Ordered only at 10 iterations per epoch, within noise at 100: CAM alone and soft labels alone (-1.43) live, " \
           "+1.22 committed" in text
    assert "Ordered only at 100, within noise at 10: the baseline and CAM alone (-2.35) committed, +0.35 live" in text
    assert "Within noise at both budgets: the baseline and soft labels alone" in text
    assert "No pair is ordered one way at one budget and the other way" in text and "no evidence" in text


def test_budget_ranking_reversed_pair():
    live = {BASE: 42.0, FILT: 54.0, CAM: 38.0, SOFT: 41.0, ALL: 60.0}
    full = {BASE: 57.0, FILT: 66.0, CAM: 62.0, SOFT: 57.5, ALL: 72.0}
    v = L.budget_verdicts(live, full, FLAGS, N, N)
    assert (BASE, CAM) in v["reversed"]
    text = L.budget_ranking(live, full, FLAGS, 10, 100, 0, N, N)
    assert "of them, the ones below reverse" in text
    assert "Ordered in opposite directions beyond noise at the two budgets: the baseline and CAM alone (+4.00) live, " \
           "-5.00 committed" in text and "the budget changed their order" in text
    assert "No pair is ordered one way" not in text


def test_budget_ranking_same_and_missing():
    live = {BASE: 42.0, FILT: 54.0, CAM: 43.0, SOFT: 42.5, ALL: 60.0}
    full = {BASE: 57.0, FILT: 66.0, CAM: 60.0, SOFT: 58.0, ALL: 72.0}
    text = L.budget_ranking(live, full, FLAGS, 10, 100, 0, N, N)
    assert L.budget_verdicts(live, full, FLAGS, N, N)["same"] and "By the point values both budgets order the 5 rows" in text
    assert "the rankings differ" not in text
    for missing in (None, {**full, CAM: float("nan")}):
        assert L.budget_verdicts(live, missing, FLAGS, N, N) is None
        assert "are not compared here" in L.budget_ranking(live, missing, FLAGS, 10, 100, 0, N, N)


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
    sw = L.swings(ABLATION)
    assert sw[(0, 0, 0)] == pytest.approx(-3.97) and all(x < 0 for x in sw.values())
    text = L.seed_table(ABLATION)
    assert "the unpaired gain (the difference of the two means) is +1.45 points, smaller than" in text
    assert "(2.81)" in text and "+1.13, +1.78 (positive on every seed), with std 0.46" in text
    assert "Read unpaired, the gain hides inside the seed spread" in text
    assert "its change from seed 0 to seed 1: the baseline's is -3.97" in text
    assert "soft labels alone (3.66 → 0.46; change -3.32)" in text and "CAM + soft labels (3.53 → 0.67; change -3.02)" in text
    assert "their change is close to the baseline's" in text and "filter + CAM (2.81 → 2.80; change -0.01)" in text
    assert "Every row moves in the baseline's direction" in text and "correlate perfectly, +1 or -1" in text
    assert "rise and fall" not in text
    assert "spread less over seeds on average (mean std 0.56 against 2.03), but not every one" in text
    assert "none of the 7 rows' intervals excludes zero" in text and "12.706" in text
    assert "the narrowest, soft labels alone, is [-2.67, +5.58]" in text


def test_seed_table_two_seeds_not_every_row_in_the_baselines_direction():
    abl = _abl({(0, 0, 0): [50.0, 40.0], (0, 0, 1): [51.0, 41.5], (1, 0, 0): [60.0, 62.0]})
    text = L.seed_table(abl)
    assert "Not every row moves in the baseline's direction" in text and "change +2.00" in text


def test_seed_table_three_seeds_and_other_branches():
    abl = _abl({(0, 0, 0): [50.0, 40.0, 45.0], (0, 0, 1): [60.0, 58.0, 59.5], (1, 0, 0): [60.0, 71.0, 40.0],
                (0, 1, 0): [50.2, 40.25, 45.2], (1, 1, 1): [70.0, 70.1, 69.9]})
    assert L.swings(abl) is None
    v = L.seed_verdicts(abl)
    assert v["filter_std"] == "not"   # the filter rows spread more on average here
    text = L.seed_table(abl)
    assert "+14.17 points, larger than the larger of the two rows' seed-to-seed stds (5.00)" in text
    assert "Read unpaired" not in text
    assert "these rows share most of the baseline's movement over seeds" in text          # CAM alone
    assert "Their seed effect is not the baseline's" in text            # the filter row spreads more than the baseline
    assert "do not spread less over seeds" in text
    assert "exclude zero" in text and "CAM alone" in text             # CAM alone: +0.2, +0.25, +0.2 -> resolved
    abl3 = _abl({(0, 0, 0): [50.0, 40.0, 45.0], (0, 0, 1): [55.0, 46.0, 49.0], (1, 1, 1): [70.0, 70.1, 69.9]})
    assert "Each of them spreads less over seeds than the baseline" in L.seed_table(abl3)
    abl2 = _abl({(0, 0, 0): [50.0, 40.0], (1, 0, 0): [60.0, 59.0], (0, 1, 0): [52.0, 47.0]})
    assert L.seed_verdicts(abl2)["filter_std"] == "every"
    assert "Every row with the filter spreads less over seeds (std 0.71-0.71)" in L.seed_table(abl2)
    one = _abl({(0, 0, 0): [50.0], (0, 0, 1): [51.0]})
    assert "fewer than two seeds" in L.seed_table(one)


def test_seed_table_mixed_signs_for_soft_labels():
    abl = _abl({(0, 0, 0): [50.0, 40.0], (0, 0, 1): [51.0, 39.5]})
    text = L.seed_table(abl)
    assert "(of both signs)" in text and "Read unpaired" not in text


# ------------------------------------------------------------------ interactions and the paper
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


def test_paper_comparison_at_the_committed_numbers():
    v = L.paper_verdicts(ABLATION)
    assert v["same_order"] and not v["same_signs"]
    assert v["inter"][((1, 0, 0), (0, 0, 1))] == pytest.approx((1.67, -1.41), abs=0.01)
    text = L.paper_comparison(ABLATION)
    assert "ResNet-18 on ImageNet at W3A3, another model and data set" in text
    assert "+5.80 (filter), +4.63 (CAM) and +2.79 (soft labels) there; +10.11, +3.73 and +1.45 here" in text
    assert "the same order, filter > CAM > soft labels" in text
    assert "-2.82 (filter and CAM), -1.41 (filter and soft labels) and -0.99 (CAM and soft labels), all negative" in text
    assert "different signs for filter and soft labels" in text and "point estimates" in text


def test_paper_comparison_other_order_same_signs_and_missing():
    abl = {**ABLATION, (0, 1, 0): {0: 70.0, 1: 66.0}, (1, 0, 1): {0: 66.0, 1: 64.0}}   # CAM first, filter+soft small
    v = L.paper_verdicts(abl)
    assert not v["same_order"] and v["same_signs"]
    text = L.paper_comparison(abl)
    assert "a different order: filter > CAM > soft labels there, CAM > filter > soft labels here" in text
    assert "the same signs" in text
    assert "lacks the single-idea rows" in L.paper_comparison(_abl({(0, 0, 0): [50.0]}))


# ------------------------------------------------------------------ one seed can mislead
def test_on_top_of_cam_one_seed_misleads():
    text = L.on_top_of_cam(ABLATION)
    assert "(seed 0: +1.19; seed 1: -0.63)" in text and "of both signs" in text
    assert "Someone who ran only seed 0 would have reported that soft labels add 1.19" in text
    assert "only seed 1 that they cost 0.63" in text
    assert "Adding the filter on top of CAM lifts every seed (+8.03, +9.22)" in text
    assert "the sign pattern differs between the two comparisons, but the interaction it would point to" in text
    assert "-1.18, 95 % t interval [-16.87, +14.52]) is unresolved" in text and "one seed's sign is not to be trusted" in text
    assert "depends on what else is switched on" not in text


def test_on_top_of_cam_agreeing_seeds_and_other_filter_words():
    abl = _abl({(0, 0, 0): [50.0, 49.0], (0, 1, 0): [52.0, 51.0], (0, 1, 1): [53.0, 52.5], (1, 1, 0): [51.0, 50.0],
                (0, 0, 1): [50.5, 48.0]})
    text = L.on_top_of_cam(abl)
    assert "every seed agrees in sign, so this comparison does not show one seed misleading" in text
    assert "lowers every seed" in text and "sign pattern differs" not in text and text.endswith(".")
    abl[(1, 1, 0)] = {0: 53.0, 1: 50.0}
    assert "moves the seeds in opposite directions" in L.on_top_of_cam(abl)
    assert "lacks the CAM rows" in L.on_top_of_cam(_abl({(0, 0, 0): [50.0]}))


def test_on_top_of_cam_resolved_interaction_word():
    abl = _abl({(0, 0, 0): [50.0, 40.0, 45.0], (0, 1, 0): [52.0, 43.0, 47.0], (0, 0, 1): [52.0, 42.5, 47.2],
                (0, 1, 1): [52.5, 42.9, 47.2]})    # on top of CAM: +0.5, -0.1, +0.2; interaction -1.5, -2.6, -2.0
    assert "is resolved." in L.on_top_of_cam(abl)


# ------------------------------------------------------------------ CAM on more seeds
def test_cam_seeds_pooled_gain_at_the_committed_numbers():
    v = L.cam_verdicts(ABLATION, _confirm())
    assert results.interval_verdict(v["ablation"]) == "unresolved" and results.interval_verdict(v["fresh"]) == "unresolved"
    assert v["pooled"]["seeds"] == [0, 1, 3, 4, 5] and v["pooled"]["mean"] == pytest.approx(2.73, abs=0.01)
    assert results.interval_verdict(v["pooled"]) == "gain" and v["cpu_ft"] == (450.0, 417.0)
    text = L.cam_seeds(ABLATION, _confirm())
    assert "CAM on top of the filter and soft labels (all three minus filter + soft labels) is +3.25 points" in text
    assert "the difference is +2.39 points on average over seeds 3, 4, 5 (+1.59, +1.21, +4.37" in text
    assert "over seeds 0, 1, 3, 4 and 5 the mean is +2.73 points (95 % t interval [+1.03, +4.44]" in text
    assert "$t_{0.975,4}$ = 2.776): the interval lies above zero. 5 seeds resolve what neither group" in text
    assert "450 CPU seconds per run with it and 417 without (1.08x" in text


def test_cam_seeds_pooled_unresolved_loss_and_missing_parts():
    flat = L.cam_seeds(ABLATION, _confirm(cpu=(70.0, 72.0, 69.0), off=(71.0, 70.0, 70.5)))
    assert "Even 5 seeds do not resolve CAM's effect" in flat
    abl = {**ABLATION, (1, 0, 1): {0: 74.0, 1: 75.0}}
    loss = L.cam_seeds(abl, _confirm(cpu=(70.0, 70.2, 70.1), off=(72.0, 72.3, 72.1)))
    assert "resolve it as a loss" in loss
    no_fresh = L.cam_seeds(ABLATION, [])
    assert "`cpu-cam-off`) are not in this checkout" in no_fresh and "pool" not in no_fresh
    assert L.cam_verdicts(ABLATION, _confirm(with_cpu_s=False))["cpu_ft"] is None
    overlap = L.cam_verdicts(ABLATION, _confirm(seeds=(0, 1, 5)))
    assert overlap["pooled"] is None                                   # the same seeds cannot pool twice
    assert "are not in this checkout" in L.cam_seeds(_abl({(0, 0, 0): [50.0]}), [])


# ------------------------------------------------------------------ what the filter does
def test_filter_split_without_the_control():
    v = L.filter_verdicts(ABLATION, ABL_RTN, [], MAIN_SYNQ)
    assert v["smaller"] == "every" and results.interval_verdict(v["ft"]) == "loss" and v["calib"] is None
    assert v["ft"]["diffs"] == pytest.approx([-8.00, -7.00], abs=1e-9)
    text = L.filter_split(ABLATION, ABL_RTN, [], MAIN_SYNQ, MAIN_BASE_RTN)
    assert "(seed 0: +16.91 at RTN, +8.91 final; seed 1: +18.31 at RTN, +11.31 final)" in text
    assert "smaller than its RTN head start on every seed" in text
    assert "with the filter minus without is -7.50 points on average over seeds 0, 1 (-8.00, -7.00; 95 % t interval " \
           "[-13.85, -1.15])" in text
    assert "all of the filter's final lead over the baseline was in place before the first fine-tuning step" in text
    assert "(`results/runs/calib`), is not in this checkout" in text


def test_filter_split_with_one_control_seed():
    calib = _calib({0: (42.04, 51.29)})
    v = L.filter_verdicts(ABLATION, ABL_RTN, calib, MAIN_SYNQ)
    assert v["share"][2] == [0] and v["share"][0] == pytest.approx(21.02) and v["share"][1] == pytest.approx(11.07)
    text = L.filter_split(ABLATION, ABL_RTN, calib, MAIN_SYNQ, MAIN_BASE_RTN)
    assert "(`results/runs/calib`, seed 0): RTN 42.04, final 51.29" in text
    assert "Its RTN equals the baseline's of the same seed" in text
    assert "SynQ as published minus it (calibration on filtered images, everything else equal) is +21.02 points on " \
           "seed 0 alone" in text
    assert "is -9.95 points on seed 0 alone" in text
    assert "Of the filter's +11.07 on top of CAM and soft labels (seed 0 alone, no interval), calibration on filtered " \
           "images accounts for +21.02 and the filtered fine-tuning inputs for -9.95" in text
    assert "calibration is worth more than the whole filter" in text and "One seed: an indication" in text
    only2 = L.filter_split(ABLATION, ABL_RTN, _calib({2: (40.95, 50.0)}), MAIN_SYNQ, MAIN_BASE_RTN)
    assert "is +23.25 points on seed 2 alone" in only2 and "Of the filter's" not in only2   # no ablation row on seed 2


def test_filter_split_with_three_control_seeds_and_the_share_branches():
    calib = _calib({0: (42.04, 51.29), 1: (40.43, 49.0), 2: (40.95, 52.0)})
    v = L.filter_verdicts(ABLATION, ABL_RTN, calib, MAIN_SYNQ)
    assert results.interval_verdict(v["cal"]) == "gain" and v["share"][2] == [0, 1]
    text = L.filter_split(ABLATION, ABL_RTN, calib, MAIN_SYNQ, MAIN_BASE_RTN)
    assert "(`results/runs/calib`, seeds 0, 1 and 2)" in text and "mean over seeds 0 and 1" in text
    assert "The calibration part is resolved as a gain over these seeds." in text
    most = L.filter_split(ABLATION, ABL_RTN, _calib({0: (42.04, 65.0), 1: (40.43, 64.0)}), MAIN_SYNQ)
    assert "most of the filter's gain is calibration" in most and "Its RTN equals" not in most   # no main_rtn given
    little = L.filter_split(ABLATION, ABL_RTN, _calib({0: (42.04, 70.0), 1: (40.43, 68.0)}), MAIN_SYNQ)
    assert "most of the filter's gain comes from fine-tuning on filtered images" in little
    noisy = L.filter_split(ABLATION, ABL_RTN, _calib({0: (42.04, 70.0), 1: (40.43, 60.0)}), MAIN_SYNQ)
    assert "These seeds do not resolve the calibration part." in noisy
    worse = L.filter_split(ABLATION, ABL_RTN, _calib({0: (42.04, 75.0), 1: (40.43, 74.5), 2: (40.9, 75.5)}), MAIN_SYNQ)
    assert "resolved as a loss" in worse
    other_rtn = L.filter_split(ABLATION, ABL_RTN, _calib({0: (45.0, 51.29)}), MAIN_SYNQ, MAIN_BASE_RTN)
    assert "Its RTN equals" not in other_rtn


def test_filter_split_other_fine_tuning_branches_and_missing():
    rtn = {c: dict(v) for c, v in ABL_RTN.items()}
    gain = {**ABLATION, (1, 0, 0): {0: 80.0, 1: 78.0}}                 # fine-tuning adds more with the filter
    text = L.filter_split(gain, rtn, [], MAIN_SYNQ)
    assert "not smaller than its RTN head start on any seed" in text and "helps beyond its head start" in text
    mixed = {**ABLATION, (1, 0, 0): {0: 66.61, 1: 75.0}}
    tm = L.filter_split(mixed, rtn, [], MAIN_SYNQ)
    assert "on some seeds only" in tm and "do not resolve whether fine-tuning gains more or less" in tm
    assert "lacks the filter rows" in L.filter_split(_abl({(0, 0, 0): [50.0]}), {}, [], None)


# ------------------------------------------------------------------ main runs
def test_main_runs_resolved_and_stds_reported_not_compared():
    g = {4: _abl({(0, 0, 0): [85.76, 85.56, 85.81], (1, 1, 1): [88.88, 88.42, 88.70]}),
         3: _abl({(0, 0, 0): [57.70, 53.73, 58.80], (1, 1, 1): [72.31, 72.09, 73.25]})}
    assert L.main_verdicts(g) == {4: "gain", 3: "gain"}
    text = L.main_runs(g)
    assert "At W4A4, SynQ minus the baseline is +2.96 points" in text and "[+2.60, +3.31]" in text
    assert "Seed-to-seed std: baseline 0.13, SynQ 0.23." in text and "Seed-to-seed std: baseline 2.67, SynQ 0.62." in text
    assert "varies more" not in text and "depends more" not in text and "reported, not compared" in text
    assert "With 3 seeds ($t_{0.975,2}$ = 4.303) the interval is narrow enough to resolve SynQ's gain at W4A4 and W3A3" in text
    assert text.index("W4A4") < text.index("W3A3")


def test_main_runs_unresolved_missing_and_too_few_seeds():
    g = {3: _abl({(0, 0, 0): [50.0, 40.0, 45.0], (1, 1, 1): [49.0, 42.0, 46.0]})}
    assert "Not even 3 seeds resolve SynQ's gain here." in L.main_runs(g)
    assert "not in this checkout" in L.main_runs({})
    assert "fewer than two seeds" in L.main_runs({3: _abl({(0, 0, 0): [50.0], (1, 1, 1): [60.0]})})


# ------------------------------------------------------------------ per class and agreement
CLASSES = [f"class{k}" for k in range(10)]
TEACHER = [92.0, 96.8, 87.6, 83.2, 91.0, 86.0, 94.0, 93.5, 95.5, 94.5]
COUNTS = [1000] * 10


def test_spearman_noise_range_and_critical_value():
    assert L.spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert L.spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert L.spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.866, abs=1e-3)        # ties: average ranks
    assert math.isnan(L.spearman([1, 1, 1], [1, 2, 3]))
    assert L.spearman_critical(10) == pytest.approx(0.632, abs=1e-3)                 # exact table: 0.648
    r = L.noise_range([1.0] * 10)
    assert 4.0 < r < 5.0                                                              # 95 % of the range of 10 normals
    assert L.noise_range([2.0] * 10) == pytest.approx(2 * r)


def test_per_class_far_from_uniform_and_following_the_teacher():
    base = [t - 10 - 5 * (100 - t) for t in TEACHER]            # loses more where the teacher errs more
    synq = [t - 5 - 3 * (100 - t) for t in TEACHER]
    pc = {"teacher": TEACHER, "baseline": base, "all three (SynQ)": synq}
    v = L.per_class_verdicts(pc, "teacher", ["baseline", "all three (SynQ)"], COUNTS)
    assert v["hardest"] == 3 and v["baseline"]["rank_hardest"] == 1 and v["baseline"]["worst"] == 3
    assert not v["baseline"]["uniform"] and v["baseline"]["rho"] == pytest.approx(1.0)
    text = L.per_class_reading(pc, CLASSES, COUNTS, 0, 10, 100, {"baseline": 42.19, "all three (SynQ)": 59.54})
    assert "live students of this execution (seed 0, 10 of the preset's 100 iterations per epoch: 'baseline' 42.19 % " \
           "and 'all three (SynQ)' 59.54 %)" in text
    assert "The teacher's hardest class is 'class3' (83.20 %)" in text
    assert "'baseline' loses most on 'class3' (94.00 points below the teacher)" in text
    assert "far from uniform" in text and "'class3' is its 1st largest loss of 10" in text
    assert "ρ = 1.00 ('baseline') and ρ = 1.00 ('all three (SynQ)')" in text and "about 0.63" in text
    assert "For every student the losses are larger where the teacher errs more" in text


def test_per_class_uniform_and_not_following_or_only_one():
    flat = [t - 10 for t in TEACHER]
    pc = {"teacher": TEACHER, "baseline": flat, "all three (SynQ)": [t - 5 for t in TEACHER]}
    v = L.per_class_verdicts(pc, "teacher", ["baseline", "all three (SynQ)"], COUNTS)
    assert v["baseline"]["uniform"] and v["baseline"]["spread"] == pytest.approx(0.0, abs=1e-9)
    text = L.per_class_reading(pc, CLASSES, COUNTS, 0, 10, 100, {"baseline": 42.0, "all three (SynQ)": 59.0})
    assert "a range of 0.00 points" in text and "within noise, about uniform" in text
    assert "For no student do the losses follow the teacher's own per-class error" in text
    pc["all three (SynQ)"] = [t - 5 - 3 * (100 - t) for t in TEACHER]
    assert "Only for 'all three (SynQ)' do the losses follow" in L.per_class_reading(
        pc, CLASSES, COUNTS, 0, 10, 100, {"baseline": 42.0, "all three (SynQ)": 59.0})


def test_agreement_positive_same_order_and_not():
    top1 = {BASE: 42.19, FILT: 54.00, CAM: 39.92}
    agree = {BASE: 42.51, FILT: 54.66, CAM: 40.40}
    v = L.agreement_verdicts(top1, agree)
    assert v["all_positive"] and v["same_order"]
    text = L.agreement(top1, agree, N)
    assert "On these 10,000 test images, agreement minus top-1 ranges from +0.32 (baseline) to +0.66 (+ filter)" in text
    assert "positive for every live student" in text and "does not say what distillation" in text
    assert "as distillation asks" not in text
    assert "same order as by top-1 (+ filter > baseline > + CAM)" in text
    agree2 = {BASE: 42.00, FILT: 54.50, CAM: 43.00}
    v2 = L.agreement_verdicts(top1, agree2)
    assert not v2["all_positive"] and not v2["same_order"]
    text2 = L.agreement(top1, agree2, N)
    assert "It is not positive for baseline" in text2 and "they differ from the order by top-1" in text2


# ------------------------------------------------------------------ best over epochs
MAIN_EVALS = {"w3a3_synq_s0": {5: 70.36, 10: 72.31}, "w3a3_baseline_s2": {5: 57.78, 10: 58.80},
              "w4a4_synq_s1": {5: 88.53, 10: 88.42}, "w4a4_synq_s2": {5: 88.97, 10: 88.70},
              "w4a4_baseline_s0": {5: 85.43, 10: 85.76}}


def test_best_vs_final_at_the_committed_numbers():
    v = L.best_final_verdicts(MAIN_EVALS, N)
    assert v["w3a3_synq_s0"]["move"] == "rose" and v["w3a3_baseline_s2"]["move"] == "flat"
    assert v["w4a4_synq_s2"]["lift"] == pytest.approx(0.27)
    text = L.best_vs_final(MAIN_EVALS, N)
    assert "Each run evaluated epochs 5 and 10" in text
    assert "In 2 of the 5 runs an earlier epoch beat the final one" in text
    assert "w4a4_synq_s1 (+0.11) and w4a4_synq_s2 (+0.27); the largest lift is 0.27 points (w4a4_synq_s2)" in text
    assert "accuracy rose beyond the test set's noise in 1 runs (+1.95 to +1.95 points); in those the final epoch is" in text
    assert "In 4 runs it moved by less than that noise (-0.27 to +1.02 points" in text
    assert "picked an earlier one in 2 (w4a4_synq_s1 and w4a4_synq_s2)" in text


def test_best_vs_final_other_branches():
    none = L.best_vs_final({"a": {5: 50.0, 10: 55.0}, "b": {5: 60.0, 10: 60.2}}, N)
    assert "In every one of the 2 runs the final epoch was also the best" in none
    assert "picked the final one every time" in none
    fell = L.best_vs_final({"a": {5: 60.0, 10: 55.0}}, N)
    assert "accuracy fell beyond noise at the end (-5.00 to -5.00 points)" in fell and "real loss" in fell
    odd = L.best_vs_final({"a": {5: 60.0, 8: 50.0, 10: 55.0}}, N)                  # rose at the end, yet epoch 5 best
    assert "even so an earlier epoch scored higher in a" in odd
    assert "not in this checkout" in L.best_vs_final({}, N)


# ------------------------------------------------------------------ how the settings were chosen
def test_unpaired_interval_by_hand():
    a, b = [73.38, 71.61, 72.11], [72.31, 72.09, 73.25]
    diff, lo, hi = L.unpaired_interval(a, b)
    half = 4.303 * math.sqrt(statistics.variance(a) / 3 + statistics.variance(b) / 3)
    assert diff == pytest.approx(statistics.fmean(a) - statistics.fmean(b))
    assert (lo, hi) == pytest.approx((diff - half, diff + half))
    assert math.isnan(L.unpaired_interval([1.0], [2.0, 3.0])[1])


def test_in_and_out_of_sample_unresolved_with_its_bound():
    ins = {"cpu": {0: 72.31, 1: 72.09, 2: 73.25}}
    conf = _confirm()
    assert L.sample_verdicts(ins, conf) == {"cpu": "unresolved"}
    text = L.in_and_out_of_sample(ins, conf, ("SynQ's whole W4A4 gain", 2.96))
    assert "`cpu`: seeds 0, 1 and 2, where the settings were chosen: 72.31, 72.09, 73.25 (mean 72.55 ± 0.62)" in text
    assert "fresh seeds 3, 4 and 5: 73.38, 71.61, 72.11 (mean 72.37 ± 0.91): -0.18 points out of sample" in text
    assert "(95 % interval -2.92 to +2.55: contains zero, not resolved)" in text
    assert "an optimism of seeds 0-2 up to 2.92 points (`cpu`)" in text and "too small to see" not in text
    assert "For scale, SynQ's whole W4A4 gain is +2.96: a bias of 99 % of it could hide here." in text
    assert "same 10,000 test images" in text
    big = L.in_and_out_of_sample(ins, conf, ("a gain", 1.0))
    assert "a bias as large as that could hide here" in big
    assert "For scale" not in L.in_and_out_of_sample(ins, conf)


def test_in_and_out_of_sample_lower_higher_one_seed_and_missing():
    conf = _confirm(cpu=(70.0, 70.2, 70.1), off=(86.0, 86.2, 86.1))
    ins = {"cpu": {0: 75.0, 1: 75.2, 2: 75.1}, "cpu-cam-off": {0: 80.0, 1: 80.1, 2: 80.2}}
    assert L.sample_verdicts(ins, conf) == {"cpu": "lower", "cpu-cam-off": "higher"}
    text = L.in_and_out_of_sample(ins, conf)
    assert "below zero" in text and "above zero" in text and "optimism of seeds 0-2 up to" not in text
    assert "The fresh seeds score lower for `cpu`: the numbers on seeds 0-2 were optimistic" in text
    only_high = L.in_and_out_of_sample({"cpu-cam-off": ins["cpu-cam-off"], "cpu": {}}, conf)
    assert "the seeds' luck, not the selection" in only_high and "no run on seeds 0-2 to compare with" in only_high
    one = _confirm(seeds=(3,), cpu=(72.0,), off=(70.0,))
    assert L.sample_verdicts(ins, one) == {"cpu": "one seed", "cpu-cam-off": "one seed"}
    assert "one seed on a side: no interval" in L.in_and_out_of_sample(ins, one)
    assert "`cpu-cam-off` has no fresh-seed run" in L.in_and_out_of_sample(
        ins, [r for r in conf if "cam-off" not in r["run_name"]])
    assert "not in this checkout" in L.in_and_out_of_sample(ins, None)
    assert "not in this checkout" in L.in_and_out_of_sample(ins, [])


def test_fresh_costs_caption():
    text = L.fresh_costs(_confirm())
    assert "2.0x the CPU seconds for `cpu` and 1.4x the CPU seconds for `cpu-cam-off`" in text
    assert "CPU seconds are the measure" in text and "The runs of `cpu-cam-off` loaded their synthetic set" in text
    made = L.fresh_costs([r for r in _confirm() if "cam-off" not in r["run_name"]])
    assert "loaded their synthetic set" not in made
    assert L.fresh_costs([]) == "" and L.fresh_costs(_confirm(with_cpu_s=False)) == ""


def test_whole_cpu_seconds_charges_the_synthesis_of_the_run_that_made_the_set():
    maker = _crun("cpu", 3, 72.0, total=665.0, synth=148.0)
    user = _crun("cpu-cam-off", 3, 71.0, total=484.0, synth=0.0, cache=True)
    assert results.whole_cpu_seconds(maker, [maker, user]) == 665.0
    assert results.whole_cpu_seconds(user, [maker, user]) == 632.0
    assert results.whole_cpu_seconds(user, [user]) is None            # no run made the set
    assert results.whole_cpu_seconds(_crun("cpu", 3, 72.0, with_cpu_s=False), [maker]) is None


def test_d0_choice_branches():
    same = L.d0_choice(_vald0({8: (76.35, 72.31), 16: (71.54, 68.62)}), _sweep())
    assert "$d_0$ = 8: 76.35 % validation, 72.31 % test" in same
    assert "asked only between 8 and 16, the finalists of the test set's sweep over 4, 8, 16, 32 and 80, on one seed, " \
           "picks $d_0$ = 8, as the test set did" in same
    assert "the finalists themselves were still chosen on it" in same and "without the test set\"" not in same
    assert "Notebook 02 reads these runs" in same and "not the default" not in same
    no_sweep = L.d0_choice(_vald0({8: (76.35, 72.31), 16: (71.54, 68.62)}))
    assert "asked between 8 and 16, on one seed" in no_sweep and "finalists" not in no_sweep
    other = L.d0_choice(_vald0({8: (70.0, 69.0), 16: (74.0, 71.0)}))
    assert "picks $d_0$ = 16, as the test set did" in other and "It is not the default $d_0$ = 8" in other
    diff = L.d0_choice(_vald0({8: (70.0, 72.0), 16: (74.0, 71.0)}))
    assert "the test set $d_0$ = 8: a different choice" in diff and "still use $d_0$ = 8, chosen on the test set" in diff
    two = L.d0_choice(_vald0({8: (76.0, 72.0), 16: (71.0, 68.0)}) + _vald0({8: (75.0, 72.0), 16: (70.0, 68.0)}, seed=1))
    assert "on 2 seeds" in two and "seeds 0 and 1" in two
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
def test_exercise1_cam_alone_two_seeds_unresolved():
    text = L.exercise1({0: 60.05, 1: 58.85}, {0: 57.70, 1: 53.73})
    assert "+3.73 points against a row spread of 2.81, larger than the spread" in text
    assert "std of the differences of 1.96, smaller than the mean" in text
    assert "+3.73 ± 12.706 × 1.96/√2, is [-13.86, +21.33]: it contains zero" in text
    assert "the half-width is 8.98 times $s_d$: the mean (3.73) would have to exceed 8.98 × 1.96 = 17.60 points" in text


def test_exercise1_other_branches():
    text = L.exercise1({0: 60.0, 1: 70.0, 2: 65.0}, {0: 50.0, 1: 60.0, 2: 55.5})
    assert "larger than the spread" in text and "above zero" in text and "would have to exceed" not in text
    soft = L.exercise1({0: 58.83, 1: 55.51}, {0: 57.70, 1: 53.73})
    assert "smaller than the spread" in soft
    noisy = L.exercise1({0: 50.0, 1: 60.0}, {0: 52.0, 1: 55.0})
    assert "not smaller than the mean" in noisy
    loss = L.exercise1({0: 40.0, 1: 41.0, 2: 40.5}, {0: 50.0, 1: 51.2, 2: 50.4})
    assert "below zero" in loss
    one = L.exercise1({0: 51.0}, {0: 50.0})
    assert "One seed (0): a difference of +1.00, with no spread and no interval." == one


def test_exercise2_per_row():
    rows = {"W4A4 baseline": (0.13, 85.71, N), "W4A4 SynQ": (0.23, 88.67, N), "W3A3 baseline": (2.67, 56.74, N),
            "W3A3 SynQ": (0.62, 72.55, N)}
    text = L.exercise2(1.58, 1.55, 10, 1000, rows)
    assert "std 1.58 points; the formula gives 1.55: they agree within twice the expected error" in text
    assert "(±47 %)" in text
    assert "W4A4 baseline: seed std 0.13 against 0.35 (0.4x)" in text and "W3A3 baseline: seed std 2.67 against 0.50 (5.4x)" in text
    assert "For W4A4 baseline the test set's noise dominates" in text
    assert "for W4A4 SynQ and W3A3 SynQ the two are of the same size" in text
    assert "for W3A3 baseline the seed dominates" in text and "depends on the row and the bit-width" in text


def test_exercise2_disagree_and_no_rows():
    text = L.exercise2(3.5, 1.55, 10, 1000, {})
    assert "they differ by more than twice" in text and "not in this checkout" in text


# ------------------------------------------------------------------ summary
def test_summary_with_every_part_committed_first():
    rtn, final = _live()
    mg = {4: _abl({(0, 0, 0): [85.76, 85.56, 85.81], (1, 1, 1): [88.88, 88.42, 88.70]}),
          3: _abl({(0, 0, 0): [57.70, 53.73, 58.80], (1, 1, 1): [72.31, 72.09, 73.25]})}
    text = L.summary(mg, ABLATION, L.cam_verdicts(ABLATION, _confirm()),
                     L.filter_verdicts(ABLATION, ABL_RTN, _calib({0: (42.04, 51.29)}), MAIN_SYNQ),
                     ({2: 0.39, 3: 0.21}, {2: 0.05, 3: 0.048}), ({"cpu": MAIN_SYNQ}, _confirm()),
                     _vald0({8: (76.35, 72.31), 16: (71.54, 68.62)}), (rtn, final, FLAGS, N),
                     L.budget_verdicts(final, FULL0, FLAGS, N, N))
    lines = text.splitlines()
    assert lines[0].startswith("- Main runs, W4A4") and "+2.96 points, 95 % t interval [+2.60, +3.31]: resolved as a gain" in text
    assert "The committed ablation, 2 seeds: no row's interval excludes zero (t = 12.706)" in text
    assert "(0, 1, 3, 4 and 5): +2.73 points, [+1.03, +4.44]: resolved as a gain, at 1.08x the fine-tuning CPU seconds" in text
    assert "with it minus without is -7.50 points ([-13.85, -1.15]; its final lead is smaller than its RTN head start " \
           "on every seed); calibration on filtered images accounts for +21.02 of its +11.07" in text
    assert "39 % and 21 %" in text and "5 % and 5 %" in text
    assert "`cpu` on fresh seeds minus seeds 0-2: -0.18 points, 95 % interval [-2.92, +2.55]: an optimism up to 2.92" in text
    assert "asked between 8 and 16, picks $d_0$ = 8: the test set's choice too" in text
    assert "the filter alone and all three differ from the baseline beyond the test set's noise; the filter alone ended " \
           "below its RTN start beyond noise" in text
    assert "7 of 10 pairs ordered beyond noise at both, none reversed" in text
    assert text.index("Main runs") < text.index("live ablation")
    assert "cpu-plus" not in text


def test_summary_other_branches():
    rtn, final = _live(base=42.0, filt=42.5, cam=42.3, soft=42.1, full=42.6, rtn_filter=42.2, rtn_plain=42.0)
    g = {3: _abl({(0, 0, 0): [50.0, 40.0, 45.0], (1, 1, 1): [49.0, 42.0, 46.0]})}
    abl = _abl({(0, 0, 0): [50.0, 49.0, 51.0], (0, 0, 1): [52.0, 51.0, 53.1]})
    fv = L.filter_verdicts({**ABLATION, (1, 0, 0): {0: 80.0, 1: 78.0}}, ABL_RTN, [], MAIN_SYNQ)
    live = {BASE: 42.0, FILT: 54.0, CAM: 38.0, SOFT: 41.0, ALL: 60.0}
    full = {BASE: 57.0, FILT: 66.0, CAM: 62.0, SOFT: 57.5, ALL: 72.0}
    text = L.summary(g, abl, L.cam_verdicts(ABLATION, []), fv, None, ({"cpu": {0: 75.0, 1: 75.2, 2: 75.1}},
                     _confirm(cpu=(70.0, 70.2, 70.1))), _vald0({8: (70.0, 72.0), 16: (74.0, 71.0)}),
                     (rtn, final, FLAGS, N), L.budget_verdicts(live, full, FLAGS, N, N))
    assert "W3A3, seeds 0, 1 and 2: SynQ minus the baseline is" in text and "not resolved" in text
    assert "the intervals of soft labels alone exclude zero" in text
    assert "pooled" not in text and "on no seed" in text and "calibration" not in text
    assert "optimism up to" not in text and "[" in text
    assert "not the test set's ($d_0$ = 8)" in text
    assert "no row differs from the baseline beyond the test set's noise; no row ended below its RTN start" in text
    assert "pairs ordered beyond noise at both, 2 reversed." in text
    assert L.summary() == "Nothing was measured in this execution."


# ------------------------------------------------------------------ the figures notebook 06 added to synq_nb.plotting
def test_rtn_final_figure_starts_at_zero_and_marks_rtn():
    import matplotlib
    matplotlib.use("Agg")
    from synq_nb import plotting

    rtn, final = _live()
    fig = plotting.rtn_final_figure(rtn, final, reference={"full precision": 91.73}, title="t")
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] == 100
    offsets = [c.get_offsets()[:, 1].tolist() for c in ax.collections]         # the RTN and the final markers
    assert offsets[0] == pytest.approx(list(rtn.values())) and offsets[1] == pytest.approx(list(final.values()))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {"full precision (91.7)", "RTN (before fine-tuning)", "final (after fine-tuning)"}
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1     # outside the axes
    plotting.close(fig)


def test_seed_ablation_figure_labels_its_reference():
    import matplotlib
    matplotlib.use("Agg")
    from synq_nb import plotting

    fig = plotting.seed_ablation_figure({c: ABLATION[c] for c in ((0, 1, 0), (0, 1, 1))}, baseline=(0, 1, 0),
                                        diff_label="row − CAM alone of the same seed")
    assert fig.axes[1].get_ylabel() == "row − CAM alone of the same seed"
    assert plotting.seed_ablation_figure(ABLATION).axes[1].get_ylabel() == "row − baseline of the same seed"
