"""The generated readings of notebook 02 (synq_nb.readings.lesson02): every branch, with made-up numbers on both
sides of it. Fast: no model, no data."""
from __future__ import annotations

import pytest

from synq_nb.readings import lesson02 as L

INF = float("inf")
REAL, NOISE, SYN = "real (test)", "Gaussian noise (synthesis start)", "synthetic"
RAW, FILT = "raw synthetic", "filtered synthetic (d0 = 8)"


# ------------------------------------------------------------------ made-up inputs
def _ranges(raw_highs, filt_highs):
    return {RAW: [(0.0, h) for h in raw_highs], FILT: [(0.0, h) for h in filt_highs]}


def _gap(errors: dict):
    """errors: {student: (real, raw, filtered) relative errors}; KL = 2 x the error, agreement made up."""
    out = {}
    for s, (a, b, c) in errors.items():
        for name, e in (("real (test)", a), ("raw synthetic", b), ("filtered synthetic", c)):
            out[(s, name)] = dict(agreement=80.0, rel_error=e, kl=2 * e)
    return out


def _run(w_bits=3, seed=0, d0=8.0, final=70.0, rtn=50.0, use_filter=True, cam=True, soft=True, **extra):
    r = dict(w_bits=w_bits, a_bits=w_bits, seed=seed, final_top1=final, rtn_top1=rtn,
             config=dict(d0=d0, use_filter=use_filter, use_cam=cam, use_soft_labels=soft))
    r.update(extra)
    return r


def _val(d0, val, test, seed=0, fp=99.98, val_rtn=60.0):
    return _run(d0=d0, seed=seed, final=test, val_final_top1=val, val_rtn_top1=val_rtn, val_fp_top1=fp)


SWEEP = {INF: (1.0, 0.9748, 0.6823), 2: (0.1006, 0.1004, 0.0), 4: (0.1123, 0.1182, 0.0109),
         8: (0.3145, 0.3136, 0.2357), 16: (0.9414, 0.8575, 0.5410), 32: (1.0, 0.9654, 0.6467),
         80: (1.0, 0.9738, 0.6766)}


# ------------------------------------------------------------------ low part + high part
def test_split_synthetic_high_part_larger():
    text = L.split([0.0605, 0.0245, 0.0351], [0.399, 0.411], 8)
    assert "2.5 % to 6.0 %" in text and "39.9 % to 41.1 %" in text and "mean 40.5 %" in text
    assert "10.1x as large a share" in text and "no larger" not in text


def test_split_synthetic_high_part_not_larger():
    text = L.split([0.30, 0.40], [0.10, 0.20], 4)
    assert "$d_0$ = 4" in text and "no larger a share" in text and "x as large" not in text


# ------------------------------------------------------------------ spectra
def _spectra(h_real=0.0708, h_noise=0.8087, h_syn=0.6823, s_real=-3.01, s_noise=0.0, s_syn=-0.51):
    return L.spectra({REAL: h_real, NOISE: h_noise, SYN: h_syn}, {REAL: s_real, NOISE: s_noise, SYN: s_syn}, 8)


def test_spectra_between_closer_to_noise_with_excess_texture():
    text = _spectra()
    assert "7.08 %" in text and "80.87 %" in text and "68.23 %" in text and "-0.51" in text
    assert "lies between the two, closer to the noise's flat line" in text
    assert "fell from 80.87 % in the noise" in text and "9.6x the real images' high-frequency share" in text


def test_spectra_between_closer_to_real():
    text = _spectra(s_syn=-2.5)
    assert "closer to the real images' fall" in text and "(slope differences 2.50 to the noise, 0.51" in text


def test_spectra_steeper_than_real_and_no_excess():
    text = _spectra(h_syn=0.05, s_syn=-3.5)
    assert "falls at least as steeply as the real images' (-3.50 against -3.01)" in text
    assert "no more high-frequency energy than the real ones" in text and "lies between" not in text


def test_spectra_flatter_than_noise_and_no_move():
    text = _spectra(h_syn=0.85, s_syn=0.2)
    assert "at least as flat as the noise's (0.20 against 0.00)" in text
    assert "did not move energy toward low frequencies" in text and "85.00 %" in text


# ------------------------------------------------------------------ mechanism 2
def test_width_ratios():
    assert L.width_ratios({"a": [(0, 2), (-1, 3)], "b": [(0, 1), (0, 2)]}, "a", "b") == [2.0, 2.0]


def test_ranges_mechanism2_shown_largest_deeper():
    text = L.ranges_reading(_ranges([7, 6, 8], [6, 5, 4]), {RAW: 82.70, FILT: 86.33}, 91.73, RAW, FILT, 4, 4)
    assert "at 3 of 3 activation quantizers (width ratio 1.17 to 2.00)" in text and "narrower at" not in text
    assert "largest at quantizer 3 of 3 (2.00x), not at the first (1.17x)" in text
    assert "86.33 %" in text and "82.70 %" in text and "+3.63 points for the filtered calibration" in text
    assert "Both halves of mechanism 2 show" in text and "W4A4" in text


def test_ranges_widened_but_accuracy_did_not_follow():
    text = L.ranges_reading(_ranges([8, 6, 5], [4, 5, 5.5]), {RAW: 60.0, FILT: 58.0}, 91.7, RAW, FILT, 3, 3)
    assert "at 2 of 3" in text and "narrower at 1" in text and "largest at the first quantizer (2.00x)" in text
    assert "-2.00 points, so the filtered calibration cost accuracy" in text
    assert "the accuracy did not follow" in text


def test_ranges_gain_without_wider_ranges():
    text = L.ranges_reading(_ranges([4, 4, 6], [5, 5, 5]), {RAW: 60.0, FILT: 62.0}, 91.7, RAW, FILT, 3, 3)
    assert "at 1 of 3" in text and "narrower at 2" in text
    assert "does not come from mechanism 2" in text


def test_ranges_not_shown_and_level():
    text = L.ranges_reading(_ranges([4, 4, 6], [5, 5, 5]), {RAW: 60.00, FILT: 60.03}, 91.7, RAW, FILT, 3, 3)
    assert "level, so the filtered calibration made no difference" in text
    assert "This run does not show mechanism 2" in text


def test_rtn_benchmarks_over_seeds_and_missing():
    runs = [_run(bits, s, rtn=r, use_filter=f, cam=f, soft=f)
            for bits, s, r, f in ((3, 0, 42.0, False), (3, 1, 40.0, False), (3, 0, 59.0, True), (3, 1, 58.5, True))]
    text = L.rtn_benchmarks(runs)
    assert "W3A3, 41.00 % calibrated on raw images and 58.75 % on filtered ones" in text
    assert "+17.75 points on average over seeds 0, 1" in text and "W4A4" not in text
    assert L.rtn_verdicts(runs) == {3: "gain"}
    assert "not in this checkout" in L.rtn_benchmarks(None) and "not in this checkout" in L.rtn_benchmarks([])
    only_raw = [_run(3, 0, rtn=42.0, use_filter=False, cam=False, soft=False)]
    assert "no pair of RTN copies" in L.rtn_benchmarks(only_raw) and L.rtn_verdicts(only_raw) == {}


# ------------------------------------------------------------------ mechanism 3
def test_gap_contradicts_mechanism3():
    gap = _gap({"raw synthetic": (0.445, 0.541, 0.619), "filtered synthetic": (0.371, 0.432, 0.492)})
    text = L.gap_reading(gap, ["raw synthetic", "filtered synthetic"])
    assert "0.445 on real images, 0.541 on raw synthetic and 0.619 on filtered synthetic" in text
    assert "Both students are further from the teacher on raw synthetic images than on real ones" in text
    assert "This run shows the opposite" in text and "0.541 to 0.619; 0.432 to 0.492" in text
    assert "does not support mechanism 3" in text and "This run agrees" not in text
    assert L.verdicts(_ranges([2], [1]), {RAW: 1, FILT: 2}, RAW, FILT,
                      _gap({RAW: (0.4, 0.5, 0.6)}), [RAW])["mechanism3"] == "contradicts"


def test_gap_supports_mechanism3():
    gap = _gap({"a": (0.439, 1.015, 0.831), "b": (0.380, 0.865, 0.706)})
    text = L.gap_reading(gap, ["a", "b"])
    assert "This run agrees" in text and "1.015 to 0.831; 0.865 to 0.706" in text
    assert "consistent with mechanism 3, not a proof" in text and "opposite" not in text


def test_gap_mixed_and_raw_not_further():
    gap = _gap({"a": (0.6, 0.5, 0.4), "b": (0.6, 0.5, 0.7)})
    text = L.gap_reading(gap, ["a", "b"])
    assert "No student is further from the teacher on raw synthetic images" in text
    assert "The students disagree" in text and "closer on the filtered images for a" in text
    assert "neither supports nor contradicts" in text


def test_gap_only_some_students_further_on_raw():
    gap = _gap({"a": (0.4, 0.5, 0.4), "b": (0.6, 0.5, 0.4)})
    text = L.gap_reading(gap, ["a", "b"])
    assert "Only the student calibrated on a is further" in text and "This run agrees" in text


def test_filter_finetune_paired_and_missing():
    runs = [_run(3, s, final=f, use_filter=flt, cam=c, soft=c)
            for s, f, flt, c in ((0, 57.7, False, False), (1, 53.7, False, False), (0, 66.6, True, False),
                                 (1, 65.0, True, False), (0, 61.2, False, True), (1, 58.2, False, True),
                                 (0, 72.3, True, True), (1, 72.1, True, True))]
    text = L.filter_finetune(runs)
    assert "the filter alone minus the baseline (KD + CE) is +10.10 points" in text
    assert "SynQ minus SynQ without the filter is +12.50 points" in text and "contains zero" in text
    assert "not in this checkout" in L.filter_finetune(None)
    assert "no pair of runs" in L.filter_finetune([_run(3, 0, use_filter=False, cam=False, soft=False)])


# ------------------------------------------------------------------ the sweep
def test_sweep_falls_from_16_chance_and_far_below_at_d0():
    text = L.sweep(SWEEP, 8.0, 8, 10)
    assert "100.00 % of the synthetic images with mean confidence 97.48 %" in text
    assert "67.66 % at $d_0$ = 80" in text and "0.00 % at $d_0$ = 2" in text
    assert "Down to $d_0$ = 32" in text and "(96.54 %); then it falls: 85.75 % at $d_0$ = 16" in text
    assert "From $d_0$ = 16 down" in text
    assert "10.06 %, is at chance (10 % for 10 classes)" in text
    assert "31.36 %, 32 % of its unfiltered confidence" in text and "does not rule the setting out" in text


def test_sweep_never_falls_above_chance_and_keeps_confidence():
    rows = {INF: (1.0, 0.97, 0.68), 16: (0.99, 0.95, 0.5), 32: (1.0, 0.96, 0.6)}
    text = L.sweep(rows, 16.0, 8, 10)
    assert "stays within 5 points of unfiltered (lowest 95.00 %)" in text and "then it falls" not in text
    assert "Even at $d_0$ = 16 the accuracy, 99.00 %, is above chance" in text
    assert "keeps most of its confidence: 95.00 %, 98 % of unfiltered" in text


def test_sweep_falls_at_the_weakest_filter_and_d0_not_in_sweep():
    rows = {INF: (1.0, 0.97, 0.68), 16: (0.5, 0.5, 0.5), 32: (0.8, 0.8, 0.6)}
    text = L.sweep(rows, 8.0, 8, 10)
    assert "Already at the weakest filter" in text and "80.00 % at $d_0$ = 32, 50.00 % at $d_0$ = 16" in text
    assert "$d_0$ = 8 is not in the sweep" in text


# ------------------------------------------------------------------ how d0 was chosen: test set
def _d0_runs():
    runs = [_run(3, 0, d, final=f, rtn=r) for d, f, r in ((4.0, 55.86, 66.63), (8.0, 72.31, 58.95), (16.0, 68.62, 48.89))]
    runs += [_run(3, s, d, final=f) for s, d, f in ((1, 8.0, 72.09), (2, 8.0, 73.25), (1, 16.0, 65.70), (2, 16.0, 70.03))]
    runs += [_run(4, 0, 8.0, final=88.88), _run(4, 0, 16.0, final=87.64)]
    return runs


def test_d0_test_default_best_with_no_filter_row_and_harm():
    abl = [_run(3, 0, final=61.24, rtn=42.04, use_filter=False), _run(3, 1, final=58.2, use_filter=False)]
    text = L.d0_test(_d0_runs(), abl)
    assert "| 8 | 58.95 | 72.31 |" in text and "| none (d0 = inf) | 42.04 | 61.24 |" in text
    assert "| 61.24 |\n\nOn seed 0" in text  # a blank line ends the table before the prose
    assert "peaks at $d_0$ = 8 (72.31 %): this is how the default" in text
    assert "Without the filter the student ends at 61.24 %, below the best filtered run" in text
    assert "$d_0$ = 4 (RTN 66.63 % to 55.86 %)" in text and "best RTN of the sweep ($d_0$ = 4)" in text
    assert "$d_0$ = 8 minus $d_0$ = 16 is +4.43 points on average over seeds 0, 1, 2" in text
    assert "88.88 % at $d_0$ = 8, 87.64 % at $d_0$ = 16" in text and "optimistic" in text
    assert L.d0_test_pick(_d0_runs()) == 8.0 and L.d0_test_pick(None) is None


def test_d0_test_other_best_no_harm_no_ablation():
    runs = [_run(3, 0, d, final=f, rtn=r) for d, f, r in ((8.0, 70.0, 60.0), (16.0, 71.0, 50.0))]
    text = L.d0_test(runs, None)
    assert "peaks at $d_0$ = 16 (71.00 %), not at the default $d_0$ = 8 (70.00 %)" in text
    assert "none (d0 = inf)" not in text and "Without the filter" not in text
    assert "At every $d_0$, fine-tuning ended above its RTN starting point" in text
    assert "Seed by seed" not in text and "W4A4" not in text
    harm_not_best = [_run(3, 0, d, final=f, rtn=r) for d, f, r in ((4.0, 50.0, 55.0), (8.0, 70.0, 60.0))]
    t2 = L.d0_test(harm_not_best)
    assert "$d_0$ = 4 (RTN 55.00 % to 50.00 %)" in t2 and "best RTN of the sweep" not in t2
    assert "not in this checkout" in L.d0_test(None)


# ------------------------------------------------------------------ how d0 was chosen: validation split
def test_validation_missing():
    for runs in (None, [], [_run()]):  # a run without val_final_top1 does not count
        text = L.d0_validation(runs)
        assert "not in this checkout" in text and "$d_0$ = 8 still rests on the test set alone" in text
    assert L.validation_choice(None) is None


def test_validation_same_choice():
    runs = [_val(8.0, 97.10, 72.31), _val(16.0, 96.20, 68.62), dict(_val(16.0, 99.0, 88.0), w_bits=4)]  # W4A4 ignored
    text = L.d0_validation(runs)
    assert "| 8 | 97.10 | 60.00 |" in text and "| 16 | 96.20 | 60.00 |" in text
    assert "The teacher scores 99.98 %" in text
    assert "picks $d_0$ = 8 (97.10 %, +0.90 points ahead of $d_0$ = 16 (one seed: no interval))" in text
    assert "picked $d_0$ = 8 too: the same choice" in text and "different" not in text
    assert "for the chosen setting, $d_0$ = 8: 72.31 %" in text and "in-sample" in text and "candidate list" in text
    assert L.validation_choice(runs) == dict(val=8.0, test=8.0, same=True, candidates=[8.0, 16.0])


def test_validation_different_choice():
    runs = [_val(8.0, 96.20, 72.31), _val(16.0, 97.10, 68.62), _val(4.0, 90.0, 55.86)]
    text = L.d0_validation(runs)
    assert "picks $d_0$ = 16 (97.10 %, +0.90 points ahead of $d_0$ = 8" in text
    assert "the test set picked $d_0$ = 8: a different choice" in text
    assert "still use $d_0$ = 8, chosen on the test set" in text
    assert "for the chosen setting, $d_0$ = 16: 68.62 %" in text and "same choice" not in text
    assert L.validation_choice(runs)["same"] is False


def test_validation_same_choice_off_default_and_seeds():
    runs = [_val(16.0, 97.0, 70.0, seed=0), _val(16.0, 98.0, 71.0, seed=1), _val(8.0, 96.0, 69.0, seed=0, fp=None)]
    text = L.d0_validation(runs)
    assert "seeds 0, 1" in text and "| 16 | 97.50 |" in text and "(one seed" not in text
    assert "same choice" in text and "It is not the default $d_0$ = 8" in text
    assert "for the chosen setting, $d_0$ = 16: 70.50 %" in text


def test_validation_one_candidate_and_no_test():
    text = L.d0_validation([_val(8.0, 97.0, 72.0)])
    assert "Only $d_0$ = 8 ran on the validation split: there is nothing to choose between" in text
    no_test = [_val(8.0, 97.0, None), _val(16.0, 96.0, None)]
    t2 = L.d0_validation(no_test)
    assert "picks $d_0$ = 8" in t2 and "carry no test accuracy" in t2


# ------------------------------------------------------------------ exercise 4
@pytest.mark.parametrize("ideal_acc,words", [(16.80, "cost the teacher more class evidence"),
                                             (40.00, "the ideal filter kept more class evidence"),
                                             (31.47, "recognises both filtered sets equally well")])
def test_ideal_vs_gaussian_branches(ideal_acc, words):
    text = L.ideal_vs_gaussian({"gaussian": 23.57, "ideal": 0.0}, {"gaussian": 31.45, "ideal": ideal_acc},
                               {"gaussian": 31.36, "ideal": 16.34}, 8, 8)
    assert words in text and f"{ideal_acc:.2f} % of the ideal-filtered" in text and "23.57 %" in text
    others = {"cost the teacher more class evidence", "the ideal filter kept more class evidence",
              "recognises both filtered sets equally well"} - {words}
    assert not any(o in text for o in others)


# ------------------------------------------------------------------ summary
def _summary(gap_errors, val_runs, s_syn=-0.51):
    gap = _gap(gap_errors)
    return L.summary({REAL: 0.0708, NOISE: 0.8087, SYN: 0.6823}, {REAL: -3.01, NOISE: 0.0, SYN: s_syn}, 8,
                     _ranges([7, 6], [6, 5]), {RAW: 82.70, FILT: 86.33}, RAW, FILT, 4, 4, gap, list(gap_errors),
                     SWEEP, 8.0, val_runs)


def test_summary_branches():
    text = _summary({RAW: (0.445, 0.541, 0.619)}, None)
    assert "68.23 %" in text and "lies between the real" in text
    assert "wider at 2 of 2 quantizers" in text and "(+3.63 points for the filter): shown in this run" in text
    assert "Mechanism 3 (high frequencies amplify the student's error): not supported" in text
    assert "31.36 % at $d_0$ = 8, against 97.48 % unfiltered" in text
    assert "validation runs that re-check the choice are not in this checkout" in text
    t2 = _summary({RAW: (0.4, 0.6, 0.5)}, [_val(8.0, 97.1, 72.3), _val(16.0, 96.2, 68.6)], s_syn=0.5)
    assert "lies outside" in t2 and "Mechanism 3 (high frequencies amplify the student's error): supported" in t2
    assert "the validation split picks it too" in t2
    t3 = _summary({"a": (0.4, 0.6, 0.5), "b": (0.4, 0.5, 0.6)}, [_val(8.0, 96.2, 72.3), _val(16.0, 97.1, 68.6)])
    assert "neither supported nor contradicted" in t3 and "the validation split picks $d_0$ = 16 instead" in t3


def test_verdicts():
    v = L.verdicts(_ranges([7, 6], [6, 5]), {RAW: 82.7, FILT: 86.3}, RAW, FILT,
                   _gap({RAW: (0.4, 0.6, 0.5)}), [RAW])
    assert v == dict(mechanism2=True, mechanism3="supports")
    v = L.verdicts(_ranges([5, 5], [6, 6]), {RAW: 82.7, FILT: 86.3}, RAW, FILT,
                   _gap({RAW: (0.4, 0.6, 0.5)}), [RAW])
    assert v["mechanism2"] is False


def test_show_returns_the_text_without_a_second_echo(capsys, monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # outside a kernel, even after tests that made one
    """R.show's return value equals the Markdown (for checks) but is not echoed again as a cell's Out[...]."""
    from synq_nb import readings as R

    shown = R.show("**x**")
    assert shown == "**x**" and isinstance(shown, str) and "**x**" in capsys.readouterr().out
    assert shown._ipython_display_() is None  # IPython calls this instead of printing the repr
