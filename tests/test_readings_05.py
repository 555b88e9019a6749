"""The generated readings of notebook 05 (synq_nb.readings.lesson05): every branch, with made-up numbers on both
sides of it, asserting that the numbers appear and that the right words are chosen. No model, no data."""
import math

import pytest

from synq_nb.readings import lesson05 as L


def hist(loss, top1, hard_frac=None, lr=None, seconds=None):
    n = len(loss)
    return dict(epoch=list(range(1, n + 1)), loss=loss, top1=top1,
                hard_frac=hard_frac if hard_frac is not None else [0.25] * n,
                lr=lr if lr is not None else [1e-3 * 0.5 * (1 + math.cos(math.pi * (i + 1) / n)) for i in range(n)],
                seconds=seconds if seconds is not None else [10.0] * n)


# The committed reader-settings run (notebook 05, seed 0): the loss falls 37 %, rises at epochs 8 and 10, and the
# accuracy is flat after epoch 1.
LOSS = [0.7261, 0.6138, 0.5785, 0.5322, 0.5118, 0.4939, 0.4747, 0.4751, 0.4589, 0.4598]
TOP1 = [88.54, 88.7, 88.85, 88.51, 88.23, 88.36, 88.72, 88.69, 88.97, 88.79]


def iters(loss, m=100, spread=0.02):
    """Per-iteration losses around each epoch mean, with a fixed zig-zag of the given size (mean exactly kept)."""
    out = []
    for v in loss:
        out += [v + spread * (1 if i % 2 else -1) for i in range(m)]
    return out


# ------------------------------------------------------------------ first batch
def test_first_batch_kd_largest_cam_small():
    t = L.first_batch(0.9897, 0.2574, 0.02222, 0.5, 5, 1.2295, 0.31, 0.7)
    assert "1.2295" in t and "KD 0.9897 (80 %)" in t and "0.5 × CE 0.1287 (10 %)" in t and "5 × CAM 0.1111 (9 %)" in t
    assert "largest part is distillation" in t
    assert "31 %" in t and "0.8303" in t  # the mean CE of the selected samples, 0.2574 / 0.31
    assert "45× smaller than KD" in t and "lifts it to 9 %" in t


def test_first_batch_other_largest_no_ce_cam_not_small():
    t = L.first_batch(0.1, 0.0, 0.08, 0.5, 5, 0.5, 0.0, 0.7)
    assert "largest part is 5 × CAM" in t
    assert "No sample of this batch" in t and "zero" in t
    assert "not small next to KD" in t and "80 %" in t
    t = L.first_batch(0.1, 1.0, 0.001, 0.5, 5, 0.605, 0.5, 0.7)
    assert "largest part is 0.5 × CE" in t and "100× smaller than KD" in t


# ------------------------------------------------------------------ one step
def test_one_step_few_codes_clipped_quantized_most_nonadditive():
    t = L.one_step(206, 268336, 695, 698, 0.007, 23.735, 5, 1.1610, 0.9509, 1.1139, 1.0144)
    assert "206 of 268,336" in t and "0.077 %" in t and "almost none" in t and "0.007" in t and "695 of 698" in t
    assert "23.735, above the threshold 5" in t and "scaled it by 0.21" in t
    assert "fell from 1.1610 to 0.9509" in t and "-0.2101" in t
    assert "1.1139 (-0.0471, 22 %" in t and "1.0144 (-0.1466, 70 %)" in t
    assert "most of the change came from the quantized layers" in t and "206 codes" in t
    assert "not measured here" in t and "whole quantization step" not in t
    assert "add up to 92 %, not 100 %" in t


def test_one_step_many_codes_unclipped_unquantized_most_additive():
    t = L.one_step(5000, 100000, 10, 10, 0.8, 3.0, 5, 1.0, 0.8, 0.85, 0.95)
    assert "5.000 %" in t and "not few" in t and "almost none" not in t
    assert "3.000, below the threshold 5" in t and "did nothing" in t
    assert "75 %" in t and "25 %" in t and "came from the parameters that are not quantized" in t
    assert "not 100 %" not in t
    t = L.one_step(1, 1000, 1, 10, 0.1, 3.0, 0, 1.0, 1.2, 1.1, 1.1)
    assert "no clipping is set" in t and "rose from 1.0000 to 1.2000" in t


def test_one_step_no_change():
    t = L.one_step(0, 1000, 0, 10, 0.0, 0.5, 5, 1.0, 1.0, 1.0, 1.0)
    assert "did not change (1.0000)" in t and "0 of 1,000" in t


# ------------------------------------------------------------------ computed or reloaded
def test_run_time_computed_reloaded_resumed():
    secs = [500.0, 600.0, 550.0, 580.0]
    c = L.run_time(secs, 0, 4, 2300.0, "cpu (x86_64, 2 threads)")
    assert c.startswith("**Computed in this execution.**") and "2,230 s" in c and "500 to 600 s per epoch" in c
    assert "2,300 s" in c and "cpu (x86_64, 2 threads)" in c and "Reloaded" not in c
    r = L.run_time(secs, 4, 4, 34.0, "cpu")
    assert r.startswith("**Reloaded, not computed.**") and "trained and evaluated nothing" in r and "2,230 s" in r
    assert "in 34.0 s it reloaded" in r and "the reload's seconds and the fine-tuning's" in r
    m = L.run_time(secs, 1, 4, 1800.0, "cpu")
    assert m.startswith("**Resumed.**") and "500 s" in m and "epochs 2 to 4" in m and "1,730 s" in m and "2,230 s" in m
    same = L.run_time([5.0, 5.2], 0, 2, 8.0, "cpu")
    assert "about 5 s per epoch" in same


# ------------------------------------------------------------------ the curves
def test_curves_committed_run_flat_accuracy_falling_loss():
    t = L.curves(hist(LOSS, TOP1), 86.33, 91.73, 10000, iters(LOSS))
    assert "fell from 0.7261 (epoch 1) to 0.4598 (epoch 10), by 37 %" in t
    assert "fell most between epochs 1 and 2 (-0.1123" in t
    assert "the fall slowed" in t
    assert "did not fall in every epoch" in t and "epochs 8 (+0.0004" in t and "10 (+0.0009" in t
    assert "noise of the random batches" in t and "real rise" not in t
    assert "after every epoch" in t
    assert "88.54" in t and "88.23 and 88.97" in t and "+0.25 points from epoch 1" in t and "3.19 points" in t
    assert "**The curve is flat after epoch 1" in t and "approaching" not in t
    assert "41 % of the 5.40-point gap" in t and "90 % of the final gain" in t
    assert "less than 2 sampling standard deviations" in t and "2 × 0.32 = 0.63 points" in t
    assert "(one seed)" in t and "from epoch 2 (0.6138) to epoch 10 (0.4598) the loss fell by 25 %" in t
    assert "accuracy moved by +0.25 points from epoch 1 to epoch 10" in t and "larger than the test-set noise" in t
    assert "fitting the synthetic set" in t and "drawn about" not in t
    assert "between 25.0 and 25.0 %" in t and "about constant" in t
    assert "No spike" in t


def test_curves_monotone_and_real_rise_and_no_iter_loss():
    mono = [1.0, 0.7, 0.55, 0.5, 0.48]
    t = L.curves(hist(mono, [80, 82, 84, 86, 88]), 78.0, 90.0, 10000)
    assert "It fell in every epoch." in t and "did not fall" not in t
    assert "**The curve rose towards the full-precision line" in t and "moved together" in t
    rising = [1.0, 0.7, 0.6, 0.5, 0.58]
    t = L.curves(hist(rising, [None] * 5), 78.0, 90.0, 10000, iters(rising, spread=0.01))
    assert "rose at epoch 5 (+0.0800" in t and "real rise" in t and "batches, not a turn of the curve" not in t
    assert "No epoch was evaluated" in t
    t = L.curves(hist(rising, [None] * 4 + [85.0]), 78.0, 90.0, 10000)  # no per-iteration losses: no noise verdict
    assert "rose at epoch 5" in t and "standard error" not in t and "single point" in t and "epoch 5 only" in t


def test_curves_largest_fall_late_and_not_flattening():
    late = [1.0, 0.95, 0.9, 0.7, 0.3]
    t = L.curves(hist(late, [80, 80, 80, 80, 80]), 78.0, 90.0, 10000)
    assert "largest fall was not at the start but between epochs 4 and 5 (-0.4000)" in t
    assert "had not flattened" in t and "the fall slowed" not in t


def test_curves_loss_rose_accuracy_fell_below_rtn():
    t = L.curves(hist([0.5, 0.55, 0.6, 0.7], [70.0, 66.0, 63.0, 60.0]), 65.0, 90.0, 10000)
    assert "rose from 0.5000 (epoch 1) to 0.7000 (epoch 4)" in t and "warning sign" in t
    assert "below the red line" in t and "-5.00 points from RTN" in t
    assert "**The curve fell back after epoch 1" in t
    assert "loss rose by 27 %" in t and "did not fall by 10 % or more after epoch 2" in t


def test_curves_fell_with_falling_loss_and_two_epochs_and_above_fp():
    t = L.curves(hist([1.0, 0.9, 0.8, 0.7], [85.0, 83.0, 81.0, 79.0]), 75.0, 90.0, 10000)
    assert "over-fitting the synthetic set" in t
    two = L.curves(hist([0.98, 0.85], [85.2, 84.4]), 84.0, 91.5, 1000)
    assert "At epoch 2 it was -0.80 points from epoch 1" in two and "between 84.40 and 84.40" not in two
    assert "only one epoch follows epoch 1" in two and "from epoch 2 (0.8500) to epoch 2" not in two
    assert "of the final gain" not in two  # epoch 1 was above the end: no share of the gain to quote
    assert "1,000 test images" in two and "1.15 points" in two
    above = L.curves(hist([1.0, 0.9], [92.0, 92.5]), 80.0, 91.0, 10000)
    assert "already at or above full precision" in above and "at or above full precision (91.00 %)" in above


def test_curves_evaluated_subset_ce_share_changed_and_spike():
    loss = [1.0, 0.8, 0.7, 0.65, 0.6, 0.58, 0.56, 0.55, 0.54, 0.53]
    top1 = [None] * 4 + [88.79] + [None] * 4 + [88.88]
    hf = [0.10, 0.12, 0.15, 0.18, 0.20, 0.22, 0.25, 0.27, 0.29, 0.30]
    il = iters(loss, spread=0.01)
    il[450] = 3.0
    t = L.curves(hist(loss, top1, hard_frac=hf), 86.33, 91.73, 10000, il)
    assert "after epochs 5 and 10 only" in t and "After epoch 5 it was at 88.79 %" in t
    assert "At epoch 10 it was +0.09 points from epoch 5" in t
    assert "between 10.0 and 30.0 %" in t and "changed by 20.0 points" in t and "about constant" not in t
    assert "A spike: iteration 451 (epoch 5)" in t and "3.0000" in t


def test_curves_one_epoch():
    t = L.curves(hist([0.9], [85.0]), 84.0, 91.0, 10000)
    assert "One epoch" in t and "no curve to read" in t and "single point" in t


def test_curves_reader_values_flat_against_noise_with_reuse():
    """The brief's reader values: loss 0.7354, 0.6127, ..., 0.4602; accuracy 88.54 after epoch 1, 88.88 final."""
    loss = [0.7354, 0.6127, 0.56, 0.53, 0.51, 0.49, 0.48, 0.47, 0.465, 0.4602]
    top1 = [88.54, 88.6, 88.3, 88.9, 88.7, 88.8, 88.9, 88.6, 88.7, 88.88]
    t = L.curves(hist(loss, top1), 86.33, 91.73, 10000, None, 1024, 10 * 250 * 512 // 10)
    assert "from epoch 2 (0.6127) to epoch 10 (0.4602) the loss fell by 25 %" in t and "+0.34 points" in t
    assert "**The curve is flat" in t and "2 × 0.31 = 0.63 points" in t
    assert "1,024 synthetic images are drawn about 125 times each" in t
    assert L.curve_shape(hist(loss, top1), 91.73, 10000) == "flat"
    # the same +0.34 points on 1,000,000 images is beyond the noise: the curve rose
    big = L.curves(hist(loss, top1), 86.33, 91.73, 1000000)
    assert "**The curve rose" in big and "moved together" in big and "larger than the test-set noise" not in big
    assert L.curve_shape(hist(loss, top1), 91.73, 1000000) == "rose"
    # one evaluated epoch: no loss-against-accuracy reading
    last = L.curves(hist([1.0, 0.9], [None, 85.0]), 80.0, 90.0, 10000)
    assert "Loss against accuracy" not in last


def test_curve_shape():
    assert L.curve_shape(hist(LOSS, TOP1), 91.73) == "flat"
    assert L.curve_shape(hist([1, 0.9], [80.0, 86.0]), 90.0) == "rose"
    assert L.curve_shape(hist([1, 0.9], [86.0, 80.0]), 90.0) == "fell"
    assert L.curve_shape(hist([1, 0.9], [91.0, 92.0]), 90.0) == "above"
    assert L.curve_shape(hist([1, 0.9], [None, 85.0]), 90.0) == "one point"
    assert L.curve_shape(hist([1, 0.9], [None, None]), 90.0) == "none"


# ------------------------------------------------------------------ the weighted terms
def contrib(kd, ce, cam):
    return dict(kd=kd, ce=ce, cam=cam, total=[a + b + c for a, b, c in zip(kd, ce, cam)])


def test_loss_terms_kd_every_epoch_cam_share_rose():
    c = contrib([0.5081, 0.3043], [0.0943, 0.0624], [0.1238, 0.0931])
    t = L.loss_terms(c, [1, 10], 0.5, 5)
    assert "last epoch (10)" in t and "0.4598" in t and "KD 0.3043 (66 %)" in t and "5 × CAM 0.0931 (20 %)" in t
    assert "largest term in every epoch" in t
    assert "on the training images the student's maps came closer" in t
    assert "KD fell by 40 %" in t and "0.5 × CE fell by 34 %" in t and "5 × CAM fell by 25 %" in t
    assert "raw 0.02476 to 0.01862" in t and "share rose from 17 % to 20 %" in t and "growing share" in t


def test_loss_terms_other_branches():
    c = contrib([0.5, 0.3], [0.1, 0.1], [0.6, 0.1])  # CAM largest in epoch 1, falls faster than the total
    t = L.loss_terms(c, [1, 2], 0.5, 5)
    assert "but not in epoch 1" in t and "faster than the total" in t and "share fell" in t
    c = contrib([0.2, 0.1], [0.1, 0.05], [0.1, 0.3])  # CAM rises and ends largest
    t = L.loss_terms(c, [1, 2], 0.5, 5)
    assert "largest term was 5 × CAM, not distillation" in t and "5 × CAM rose by 200 %" in t
    assert "The CAM term rose" in t and "warning sign" in t
    one = L.loss_terms(contrib([0.5], [0.1], [0.1]), [1], 0.5, 5)
    assert "every epoch" in one and "fell by" not in one


# ------------------------------------------------------------------ RTN against fine-tuned; final against best
FINAL = {0: 88.88, 1: 88.42, 2: 88.70}
RTN = {0: 86.33, 1: 86.03, 2: 86.12}
BASE_RTN = {0: 82.70, 1: 82.25, 2: 83.82}


def test_rtn_vs_finetuned_gain_with_committed_seeds():
    t = L.rtn_vs_finetuned(91.73, 86.33, 88.79, 0, FINAL, RTN, BASE_RTN, "results/runs/main, W4A4")
    assert "86.33 % (RTN) to 88.79 %" in t and "+2.46 points" in t and "2.94 points" in t and "46 %" in t
    assert "results/runs/main, W4A4" in t and "+2.51 points on average over seeds 0, 1, 2" in t and "above zero" in t
    assert "committed seed-0 run again" in t and "not an independent check" in t
    assert "only to within 0.09 points (-0.09)" in t and "exactly" not in t
    assert "88.42 % (seed 1) and 88.70 % (seed 2)" in t and "their range" not in t
    same = L.rtn_vs_finetuned(91.73, 86.33, 88.88, 0, FINAL, RTN)
    assert "reproduces the committed run exactly" in same and "88.42 % (seed 1) and 88.70 % (seed 2)" in same
    assert "+3.24 points" in t and "already in the RTN bar" in t
    assert "worse than rounding alone" not in t


def test_rtn_vs_finetuned_loss_range_and_unresolved_calibration():
    t = L.rtn_vs_finetuned(91.73, 86.33, 85.00, 5, FINAL, RTN, {0: 86.0, 1: 86.5, 2: 85.6})
    assert "-1.33 points" in t and "worse than rounding alone" in t
    assert "below their range" in t and "seed 5" not in t
    assert "do not show that the filtered calibration helps" in t
    above = L.rtn_vs_finetuned(91.73, 86.33, 89.5, 7, FINAL, RTN)
    assert "above their range" in above and "seed-7" not in above and "88.42 to 88.88 %" in above
    bare = L.rtn_vs_finetuned(91.73, 86.33, 88.79)
    assert "committed" not in bare and "46 %" in bare


def test_final_vs_best():
    t = L.final_vs_best(hist(LOSS, TOP1), 88.79, 88.97, FINAL, {0: 88.88, 1: 88.53, 2: 88.97}, [5, 10],
                        "results/runs/main, W4A4")
    assert "final 88.79 % (epoch 10)" in t and "88.97 % (epoch 9)" in t and "10 evaluated epochs" in t
    assert "+0.18 points" in t
    assert "epochs 5 and 10 evaluated" in t and "+0.00, +0.11, +0.27" in t and "mean +0.13" in t
    assert "not the last on 2 of 3 seeds" in t
    same = L.final_vs_best(hist([1, 0.9], [85.0, 86.0]), 86.0, 86.0)
    assert "was also the best of the 2 evaluated epochs" in same and "same number" in same
    assert "committed" not in same


# ------------------------------------------------------------------ Exercise 3
def test_gradient_norms_branches():
    t = L.gradient_norms((20.56, 3.435, 0.6189), (724.4, 3.435, 0.6189), (0.9897, 0.1287, 0.1111),
                         ("KD", "0.5 x CE", "5 x CAM"))
    assert "20.56" in t and "6.0× the 0.5 x CE" in t and "33.2× the 5 x CAM" in t and "7.7×" in t and "8.9×" in t
    assert "0.5 x CE pushes the weights more" in t and "5 x CAM pushes the weights less" in t
    assert "724.4" in t and "211×" in t and "1,170×" in t and "hardly act" in t
    t = L.gradient_norms((10.0, 5.0, 5.0), (30.0, 5.0, 5.0), (1.0, 0.1, 0.1))
    assert "CE pushes the weights more" in t and "CAM pushes the weights more" in t
    assert "only 6.0×" in t and "still act" in t and "hardly act" not in t


@pytest.mark.parametrize("n,word", [(1, "epoch"), (2, "epochs")])
def test_plural_and_list(n, word):
    assert L._plural(n, "epoch") == word
    assert L._list([5]) == "5" and L._list([5, 10]) == "5 and 10" and L._list([1, 2, 3]) == "1, 2 and 3"


def test_codes_over_run_branches():
    t = L.codes_over_run(19341, 206, 268336, 1000)
    assert "1,000 steps" in t and "19,341 of 268,336" in t and "7.2 %" in t and "94× as many" in t and "added up" in t
    t = L.codes_over_run(300, 206, 268336, 1000)
    assert "300 of 268,336" in t and "did not add up" in t and "as many" not in t
