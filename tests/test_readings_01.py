"""The generated readings of notebook 01 (synq_nb.readings.lesson01): every branch, with made-up numbers on both
sides of it, asserting that the numbers appear and that the right words are chosen. Fast: no model, no data."""
from __future__ import annotations

import numpy as np
import pytest

from synq_nb.readings import lesson01 as L

NOISE, SYN, REAL = "Gaussian noise", "synthetic", "real (test set)"


# ------------------------------------------------------------------ made-up inputs
def _chan(mean, var, skew, median=None):
    return dict(mean=mean, var=var, skew=skew, median=mean if median is None else median)


# the committed reader-settings values of layer1.2.bn2, channel 1 (running mean 0.746, variance 2.080)
RUN_MEAN, RUN_VAR = 0.746, 2.080
CHAN = {NOISE: _chan(1.683, 7.423, 0.02), REAL: _chan(0.781, 2.111, 0.90, 0.436), SYN: _chan(0.952, 1.800, 0.46)}


def _history(bns, il=None, conf=None, acc=None):
    n = len(bns)
    ramp = list(np.linspace(0.1, 0.97, n))
    return dict(bns=list(bns), il=il if il is not None else list(np.linspace(1.2, 0.001, n)),
                confidence=conf if conf is not None else ramp, accuracy=acc if acc is not None else ramp)


def _geometric(first, last, n):
    return list(np.geomspace(first, last, n))


# steep for the first 10 of 50 iterations, then slower, still falling at the end (as in the committed run)
FRONT = _geometric(70.8, 15.0, 11)[:-1] + _geometric(15.0, 1.58, 40)
# slow for the first 10 iterations, then faster, flat over the last 5
LATE = _geometric(70.0, 60.0, 11)[:-1] + _geometric(60.0, 7.0, 35) + [7.0] * 5


def _err(syn_mean, noise_mean, real_mean, syn_var=None, noise_var=None, real_var=None):
    n = len(syn_mean)
    return {SYN: dict(mean=np.array(syn_mean), var=np.array(syn_var if syn_var else [0.5] * n)),
            NOISE: dict(mean=np.array(noise_mean), var=np.array(noise_var if noise_var else [5.0] * n)),
            REAL: dict(mean=np.array(real_mean), var=np.array(real_var if real_var else [0.1] * n))}


ERR = _err([8.5, 3.1, 1.4, 2.5, 0.5, 0.1], [0.06, 0.09, 0.09, 0.23, 1.6, 1.3], [0.08, 0.03, 0.03, 0.03, 0.01, 0.01],
           syn_var=[4.3, 0.75, 0.36, 1.2, 0.14, 0.3], noise_var=[22, 13, 16, 81, 15, 1100],
           real_var=[4.8, 0.4, 0.13, 0.26, 0.015, 0.53])
LBNS = {NOISE: 70.74, SYN: 1.534, REAL: 0.4746}
LAST = {NOISE: (40, 64), SYN: (61, 64), REAL: (0, 64)}


def _rgb(mean, spread, n=50, seed=0):
    rng = np.random.default_rng(seed)
    return np.asarray(mean)[None] + spread * rng.standard_normal((n, 3))


RGB_SYN = _rgb([0.38, 0.60, 0.23], 0.008)
RGB_REAL = _rgb([0.50, 0.49, 0.45], 0.15)


# ------------------------------------------------------------------ channel summary
def test_channel_summary_numbers():
    s = L.channel_summary([0.0, 0.0, 0.0, 3.0])
    assert s["mean"] == pytest.approx(0.75) and s["var"] == pytest.approx(1.6875) and s["median"] == 0.0
    assert s["skew"] == pytest.approx(1.1547, abs=1e-4)  # long tail to the right
    assert L.channel_summary([1.0, 2.0, 3.0])["skew"] == pytest.approx(0.0)
    assert L.channel_summary([2.0, 2.0])["skew"] == 0.0  # no spread: no skewness


# ------------------------------------------------------------------ one channel, before synthesis
def test_channel_before_real_closer_and_skewed_right():
    text = L.channel_before(CHAN, RUN_MEAN, RUN_VAR, "`layer1.2.bn2`, channel 1,")
    assert "`layer1.2.bn2`, channel 1, the running statistics are mean 0.746 and variance 2.080" in text
    assert "mean 0.781 and variance 2.111 (+0.035 from the running mean, 1.01x the running variance)" in text
    assert "mean 1.683 and variance 7.423 (+0.937 from the running mean, 3.57x" in text
    assert "nearer the running statistics than noise in both" in text and "at least as close" not in text
    assert "not Gaussian: its skewness is 0.90" in text and "tail to the right" in text
    assert "median (0.436) below its mean (0.781)" in text


def test_channel_before_noise_as_close_and_symmetric():
    chan = {NOISE: _chan(0.75, 5.0, 0.0), REAL: _chan(0.90, 2.1, 0.1)}
    text = L.channel_before(chan, RUN_MEAN, RUN_VAR, "layer 0, channel 0,")
    assert "noise is at least as close to the running mean as the real images" in text
    assert "nearer the running statistics than noise" not in text
    assert "close to symmetric here (skewness 0.10" in text and "not Gaussian" not in text


def test_channel_before_noise_closer_in_variance_and_skewed_left():
    chan = {NOISE: _chan(2.0, 2.0, 0.0), REAL: _chan(0.8, 4.0, -0.8, 1.0)}
    text = L.channel_before(chan, RUN_MEAN, RUN_VAR, "here")
    assert "as close to the running variance as the real images" in text
    assert "skewness is -0.80" in text and "tail to the left" in text and "median (1.000) above its mean" in text


# ------------------------------------------------------------------ one channel, with the synthetic images
def test_channel_after_moved_toward_running_real_closer_shape_differs():
    text = L.channel_after(CHAN, RUN_MEAN, RUN_VAR)
    assert "mean 0.952 and variance 1.800 (+0.206 from the running mean, 0.87x the running variance)" in text
    assert "Both are closer to the running statistics than the noise's" in text
    assert "The real images are closer in the mean and variance." in text
    assert "differs: skewness 0.46 against the real images' 0.90" in text


def test_channel_after_only_mean_closer_synthetic_beats_real_in_nothing():
    chan = dict(CHAN, **{SYN: _chan(0.80, 9.0, 0.85)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "The mean is closer to the running one than the noise's, the variance is not." in text
    assert "happens to be similar: skewness 0.85" in text and "differs" not in text


def test_channel_after_only_variance_closer():
    chan = dict(CHAN, **{SYN: _chan(3.0, 2.2, 0.46)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "The variance is closer to the running one than the noise's, the mean is not." in text


def test_channel_after_neither_closer():
    chan = dict(CHAN, **{SYN: _chan(3.0, 20.0, 0.46)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "Neither is closer" in text and "did not fix" in text


def test_channel_after_synthetic_closer_than_real_in_the_mean_only():
    chan = dict(CHAN, **{SYN: _chan(0.750, 1.5, 0.46)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "The real images are closer in the variance." in text and "even closer" not in text


def test_channel_after_synthetic_closer_than_real():
    chan = dict(CHAN, **{SYN: _chan(0.750, 2.081, 0.46)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "even closer than the real images'" in text and "The real images are closer" not in text


# ------------------------------------------------------------------ the NaN demonstration
def test_nan_demo_as_predicted():
    text = L.nan_demo([1.0, 0.408], [False, True], True, [4.68e-17, 0.0228])
    assert "$p_y$ = 1.0 exactly in float32" in text and "0.408" in text
    assert "image 0 a NaN gradient and image 1 a finite one" in text and "$\\infty \\cdot 0$" in text
    assert "4.68e-17 for image 0 and 0.0228 for image 1" in text and "smaller push, as the weight intends" in text


def test_nan_demo_no_nan_when_p_below_one():
    text = L.nan_demo([0.9999, 0.4], [True, True], True, [0.03, 0.02])
    assert "0.999900" in text and "image 0 a finite gradient" in text and "did not produce the NaN" in text
    assert "does not get the smaller push" in text


def test_nan_demo_package_not_finite():
    text = L.nan_demo([1.0, 0.4], [False, True], False, [float("nan"), 0.02])
    assert "not finite either" in text and "bug" in text and "smaller push" not in text


# ------------------------------------------------------------------ making the set
def test_synthesis_made_loaded_from_cache_unbalanced_labels():
    text = L.synthesis_made(1024, 50, 256, 1077.3, True, 0.04, [103] * 4 + [102] * 6, "cpu")
    assert "**Loaded from the cache.**" in text and "loaded them in 0.04 s" in text
    assert "took 1,077 s when they were computed" in text and "4 batches of up to 256" in text
    assert "102 to 103 images" in text and "1,024 is not a multiple of 10" in text
    assert "Computed in this execution" not in text


def test_synthesis_made_computed_now_balanced_labels():
    text = L.synthesis_made(120, 10, 256, 12.6, False, 12.9, [12] * 10, "cuda")
    assert "**Computed in this execution**: 120 images (10 Adam iterations on each of 1 batch of" in text
    assert "in 13 s on cuda" in text and "12 images for each of the 10 classes" in text and "cache." in text
    assert "Loaded from the cache" not in text


# ------------------------------------------------------------------ the optimisation curves
def test_progress_front_loaded_still_falling_from_chance():
    text = L.progress(_history(FRONT), 10)
    assert "fell from 70.800 to 1.5800 over 50 iterations (45x lower)" in text
    assert "By iteration 11 it was at 15.000: it fell by a factor of 1.168 per iteration" in text
    assert "1.059 per iteration over the remaining 39" in text and "2.7x steeper at the start" in text
    assert "had not levelled off" in text and "Both start at chance (1/10 = 0.10)" in text
    assert "The inception loss fell from 1.200" in text


def test_progress_even_fall_levelled_not_at_chance_il_rose():
    text = L.progress(_history(LATE, il=[0.5] + [0.6] * 49, conf=[0.3] * 50, acc=[0.4] * 50), 10)
    assert "no steeper at the start than later" in text and "had levelled off" in text
    assert "The inception loss did not fall" in text and "do not start at chance" in text


def test_progress_all_of_the_fall_at_the_start():
    text = L.progress(_history([70.0, 40.0, 20.0, 10.0] + [10.0] * 16 + [11.0]), 10)
    assert "all of the fall came in the first steps" in text and "steeper" not in text


def test_progress_short_run_names_the_last_iteration():
    text = L.progress(_history(_geometric(70.0, 15.0, 10)), 10)
    assert "the last iteration still took" in text and "the last 1 iterations" not in text


def test_progress_bns_did_not_fall():
    text = L.progress(_history([2.0] * 10 + [3.0]), 10)
    assert "did not fall: 2.000 at the first iteration, 3.0000 at the last" in text and "lower)" not in text


# ------------------------------------------------------------------ certainty on the finished images
def test_certainty_some_at_one():
    p = np.array([1.0, 1.0, 0.99995, 0.9, 0.874], dtype=np.float32)
    text = L.certainty(p, 0.5)
    assert "2 of the 5 images have $p_y$ = 1.0" in text and "3 have $1 - p_y$ below" in text
    assert "lowest 0.874" in text and "not only a long-budget problem" in text and "these images" in text


def test_certainty_inside_clamp_only():
    text = L.certainty(np.array([0.99995, 0.9], dtype=np.float32), 0.5)
    assert "0 of the 2 images" in text and "1 have $1 - p_y$ below" in text
    assert "clamp is already in force" in text and "over 50 for them" in text


def test_certainty_none_near():
    text = L.certainty(np.array([0.9, 0.8], dtype=np.float32), 0.5)
    assert "None is that close to 1.0" in text and "pitfall does not arise" in text


def test_certainty_gamma_at_least_one_is_no_risk():
    text = L.certainty(np.array([1.0, 0.8], dtype=np.float32), 2.0)
    assert "$\\gamma$ = 2" in text and "none of them is a NaN risk" in text and "long-budget" not in text


# ------------------------------------------------------------------ the image grid
def test_grid_recognised_colour_cast_more_texture():
    text = L.grid(1.0, 0.975, RGB_SYN, RGB_REAL, 0.682, 0.071, 8)
    assert "100.0 % of these images" in text and "mean probability 0.975" in text and "clearly their classes" in text
    assert "common colour cast" in text and "more green and less blue" in text and "in blue" in text
    assert "9.6x the real images' share" in text and "68.2 % against 7.1 %" in text and "distance 8" in text


def test_grid_most_no_cast_no_excess_texture():
    text = L.grid(0.7, 0.6, _rgb([0.50, 0.49, 0.46], 0.1), RGB_REAL, 0.05, 0.071, 8)
    assert "most of them, not all" in text and "no common colour cast" in text
    assert "no more fine, pixel-scale texture" in text and "x the real images' share" not in text


def test_colour_cast_needs_a_shift_larger_than_the_spread():
    assert L.colour_cast(RGB_SYN, RGB_REAL)
    assert not L.colour_cast(_rgb([0.52, 0.49, 0.45], 0.001), RGB_REAL)  # shift below CAST
    assert not L.colour_cast(_rgb([0.60, 0.49, 0.45], 0.2), RGB_REAL)  # images vary more than the shift


def test_grid_few_recognised_and_shift_within_spread():
    # a large shift, but the images vary even more: not a common cast
    text = L.grid(0.3, 0.2, _rgb([0.60, 0.49, 0.45], 0.2), RGB_REAL, 0.5, 0.071, 8)
    assert "fewer than half" in text and "no common colour cast" in text


# ------------------------------------------------------------------ the per-layer comparison
def test_layers_committed_shape():
    text = L.layers(ERR, LBNS, LAST, "`layer3.2.bn2`", 1024, True)
    assert "$L_{BNS}$ is 70.740 for noise, 1.534 for the synthetic images and 0.475 for real" in text
    assert "2.2 % of the noise's and still 3.2x the real images'" in text
    assert "below the noise's in 2 of 6 layers; in the first 4 layers (1-4) it is not" in text
    assert "noise's mean error is at most 0.230" in text and "nearly the right means" in text
    assert "variance error is below the noise's in all 6 layers" in text
    assert "lower mean error in every layer and the lower variance error in 4 of 6 layers" in text
    assert "match the variances better in 2" in text
    assert "largest mean error is in the first layer (8.500, against 0.060 for noise)" in text
    assert "the common colour cast of the grid shifts its outputs' means" in text
    assert "61 of 64 channels" in text and "0 of 64 a real one" in text
    assert "features there are less spread out than the training data's" in text


def test_layers_opposite_outcomes():
    err = _err([0.5, 3.0, 0.01], [1.0, 0.5, 1.0], [0.6, 0.1, 0.001], syn_var=[9, 9, 9], noise_var=[1, 1, 1],
               real_var=[0.1, 0.1, 0.1])
    text = L.layers(err, {NOISE: 1.0, SYN: 2.0, REAL: 3.0}, {NOISE: (0, 4), SYN: (0, 4), REAL: (4, 4)}, "x", 64, True)
    assert "no lower than the noise's (2.00x)" in text and "at or below the real images'" in text
    assert "in layer 2 it is not." in text and "nearly the right means" not in text  # not the first layers
    assert "below the noise's in 0 of 3 layers; in the first 3 layers (1-3) it is not" in text  # variances
    assert "lower mean error in 2 of 3 layers" in text and "match the means better in 1" in text
    assert "largest mean error is in layer 2 (3.000), not in the first" in text
    assert "more spread out than" in text


def test_layers_mixed_last_layer_and_single_first_layer():
    err = _err([2.0, 0.1, 0.1], [1.0, 1.0, 1.0], [0.01, 0.01, 0.01])
    text = L.layers(err, LBNS, {NOISE: (2, 4), SYN: (2, 4), REAL: (2, 4)}, "x", 64, False)
    assert "in the first layer it is not" in text and "neither consistently more nor less spread out" in text
    assert "although the grid showed no common colour cast" in text and "shifts its outputs" not in text
    assert "all 3 layers" in text and "every layer and the lower variance error in every layer" in text


# ------------------------------------------------------------------ the findings (checks)
def _findings(**kw):
    args = dict(chan=CHAN, run_mean=RUN_MEAN, run_var=RUN_VAR, history=_history(FRONT), num_classes=10,
                p_y=np.array([1.0, 0.9], dtype=np.float32), acc=1.0, gamma=0.5, rgb_synthetic=RGB_SYN,
                rgb_real=RGB_REAL, hf_synthetic=0.682, hf_real=0.071, err=ERR, l_bns=LBNS, last_below=LAST)
    args.update(kw)
    return L.findings(**args)


def test_findings_all_hold_at_the_committed_shape():
    f = _findings()
    assert len(f) == 17 and all(f.values()), [k for k, v in f.items() if not v]


def test_findings_each_can_fail():
    flipped = _findings(chan={NOISE: _chan(0.75, 2.08, 0.0), REAL: _chan(2.0, 9.0, 0.1), SYN: _chan(5.0, 20.0, 0.2)},
                        history=_history(LATE, il=[0.5] * 10 + [0.6],
                                         conf=[0.4] * 50, acc=[0.4] * 50),
                        p_y=np.array([0.9], dtype=np.float32), acc=0.5,
                        rgb_synthetic=RGB_REAL, hf_synthetic=0.05,
                        err=_err([0.1, 3.0], [1.0, 1.0], [0.5, 0.5]), l_bns={NOISE: 1.0, SYN: 2.0, REAL: 3.0},
                        last_below={NOISE: (0, 4), SYN: (0, 4), REAL: (4, 4)})
    assert not any(flipped.values()), [k for k, v in flipped.items() if v]


def test_findings_gamma_at_least_one_has_no_nan_pitfall():
    assert not _findings(gamma=2.0)["some finished images have p_y = 1.0 in float32 (the NaN pitfall arises at "
                                    "this budget)"]


# ------------------------------------------------------------------ exercises
RUNS = {"full loss": dict(L_BNS=2.7687, confidence=0.9081), "inception loss only": dict(L_BNS=1344.1, confidence=0.9983)}


def test_exercise3_above_noise_and_more_confident():
    text = L.exercise3(RUNS, 70.74)
    assert "ends at 1,344.100, against 2.769" in text and "above the 70.740 of the Gaussian noise" in text
    assert "at least as sure" in text and "0.998 against 0.908" in text
    assert all(L.exercise3_findings(RUNS, 70.74).values())


def test_exercise3_between_and_less_confident():
    runs = {"full loss": dict(L_BNS=2.0, confidence=0.9), "inception loss only": dict(L_BNS=20.0, confidence=0.8)}
    text = L.exercise3(runs, 70.0)
    assert "below the 70.000 of the starting noise, but 10.0x the full loss's" in text and "less sure" in text
    assert not any(L.exercise3_findings(runs, 70.0).values())


def test_exercise3_no_higher_than_full():
    runs = {"full loss": dict(L_BNS=2.0, confidence=0.9), "inception loss only": dict(L_BNS=1.5, confidence=0.95)}
    assert "no higher than with the full loss" in L.exercise3(runs, 70.0)


ROWS = [{"images": 64, "L_BNS train": 0.6060, "L_BNS test": 0.4803},
        {"images": 1024, "L_BNS train": 0.4421, "L_BNS test": 0.4745}]


def test_exercise4_mostly_bias_synthetic_above():
    text = L.exercise4(ROWS, 1.5343)
    assert "For training images $L_{BNS}$ went from 0.6060 at 64 images to 0.4421 at 1,024 (-27 %)" in text
    assert "about 0.4312 that does not shrink: 98 %" in text and "about 0.4741" in text
    assert "training and test images alike, most of what is left is not sampling noise" in text
    assert "at 1.5343: still above real images" in text
    assert all(L.exercise4_findings(ROWS, 1.5343).values())


def test_exercise4_mostly_sampling_did_not_fall_synthetic_below():
    rows = [{"images": 64, "L_BNS train": 1.0, "L_BNS test": 0.40},
            {"images": 1024, "L_BNS train": 0.10, "L_BNS test": 0.45}]
    text = L.exercise4(rows, 0.2)
    assert "For training images" in text and "(-90 %)" in text
    assert "For test images $L_{BNS}$ went from 0.4000 at 64 images to 0.4500 at 1,024: it did not fall" in text
    assert "most of the loss is sampling noise" in text and "at or below real images" in text
    assert not any(L.exercise4_findings(rows, 0.2).values())


# ------------------------------------------------------------------ summary
def test_summary_loaded_and_computed():
    h = _history(FRONT)
    loaded = L.summary(1024, 50, 1077.3, True, h, 1.0, np.array([1.0, 0.95], dtype=np.float32), LBNS)
    assert "loaded from the cache; making them took 1,077 s" in loaded and "70.800 to 1.5800" in loaded
    assert "100.0 % (mean $p_y$ 0.975); 1 image at $p_y$ = 1.0" in loaded
    assert "1.534 for the synthetic images, below the noise's 70.740 and above the real images' 0.475" in loaded
    computed = L.summary(128, 10, 12.0, False, h, 0.5, np.array([0.5, 0.6], dtype=np.float32),
                         {NOISE: 1.0, SYN: 2.0, REAL: 3.0})
    assert "computed in this execution" in computed and "0 images at" in computed
    assert "not below the noise's" in computed and "not above the real images'" in computed
