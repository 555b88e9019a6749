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
    assert "median (0.436) below its mean (0.781)" in text and "Two numbers cannot describe that shape" in text


def test_channel_before_noise_as_close_and_symmetric():
    chan = {NOISE: _chan(0.75, 5.0, 0.0), REAL: _chan(0.90, 2.1, 0.1)}
    text = L.channel_before(chan, RUN_MEAN, RUN_VAR, "layer 0, channel 0,")
    assert "noise is at least as close to the running mean as the real images" in text
    assert "nearer the running statistics than noise" not in text
    assert "close to symmetric here (skewness 0.10" in text and "not Gaussian" not in text
    assert "Two numbers cannot describe" not in text and "say nothing about it" not in text


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
    assert "differs: skewness 0.46 against the real images' 0.90 (noise: 0.02)" in text
    assert "like the data" not in text and "only in the statistics" not in text


def test_channel_after_only_mean_closer_synthetic_beats_real_in_nothing():
    chan = dict(CHAN, **{SYN: _chan(0.80, 9.0, 0.85)})
    text = L.channel_after(chan, RUN_MEAN, RUN_VAR)
    assert "The mean is closer to the running one than the noise's, the variance is not." in text
    assert "happens to be similar: skewness 0.85 against the real images' 0.90 (noise: 0.02)" in text
    assert "differs" not in text


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
NAN = float("nan")
# the committed demo: image 0 at p_y = 1.0, image 1 at 0.408; gamma 0.5, beta 0.1
GRADS = {"plain": [4.68e-15, 0.0296], "graph": [NAN, 0.0298], "clamp": [4.68e-17, 0.0298], "detach": [0.0, 0.0228],
         "package": [4.68e-17, 0.0228]}
W_PKG = [0.01, 0.769]


def test_nan_demo_as_predicted():
    text = L.nan_demo([1.0, 0.408], GRADS, W_PKG, 0.5)
    assert "$p_y$ = 1.0 exactly in float32" in text and "0.408" in text
    assert "image 0 a NaN gradient and image 1 a finite one" in text and "$\\infty \\cdot 0$" in text
    assert "Either change alone removes it" in text and "clamp alone image 0's gradient is 4.68e-17" in text
    assert "detach alone it is 0 (image 0's weight is then $(1 - p_y)^\\gamma$ = 0)" in text
    assert "4.68e-17 for image 0 and 0.0228 for image 1" in text
    assert "floor the weight's value at (0.0001)^0.5 = 0.01: image 0 keeps weight 0.01 where HAST's weight is 0" in text
    assert "image 1 keeps 0.769" in text and "change to HAST's loss" in text
    # the ordering is plain cross-entropy's, not the weight's (finding 3)
    assert "not because of the weight" in text and "4.68e-15 against image 1's 0.0296" in text
    assert "multiplies image 0's push by 0.01 and image 1's by 0.769" in text
    assert "as the weight intends" not in text and "it is done" not in text


def test_nan_demo_no_nan_when_p_below_one_and_plain_order_reversed():
    grads = dict(GRADS, graph=[0.03, 0.02], plain=[0.05, 0.02])
    text = L.nan_demo([0.9999, 0.4], grads, [0.01, 0.77], 0.5)
    assert "0.999900" in text and "image 0 a finite gradient" in text and "did not produce the NaN" in text
    assert "not because of the weight" not in text
    assert "Plain cross-entropy ($\\gamma$ = 0) gives image 0 0.05 and image 1 0.02" in text


def test_nan_demo_only_one_fix_works():
    text = L.nan_demo([1.0, 0.4], dict(GRADS, detach=[NAN, 0.02]), W_PKG, 0.5)
    assert "The clamp alone removes it, the detach alone does not (image 0's gradient NaN)" in text
    text = L.nan_demo([1.0, 0.4], dict(GRADS, clamp=[NAN, 0.02]), W_PKG, 0.5)
    assert "The detach alone removes it, the clamp alone does not" in text
    text = L.nan_demo([1.0, 0.4], dict(GRADS, clamp=[NAN, 0.02], detach=[NAN, 0.02]), W_PKG, 0.5)
    assert "Neither the clamp alone nor the detach alone" in text and "Either change" not in text


def test_nan_demo_package_not_finite():
    text = L.nan_demo([1.0, 0.4], dict(GRADS, package=[NAN, 0.02]), W_PKG, 0.5)
    assert "not finite either" in text and "bug" in text and "smaller push" not in text and "floor" not in text


# ------------------------------------------------------------------ making the set
def test_synthesis_made_loaded_from_cache_unbalanced_labels_cost_not_recorded():
    text = L.synthesis_made(1024, 50, 256, 1077.3, True, 0.0042, [103] * 4 + [102] * 6, "cpu")
    assert "**Loaded from the cache.**" in text and "loaded them in 4 ms" in text and "0.00 s" not in text
    assert "took 1,077 s of wall time (CPU seconds and thread count not recorded)" in text
    assert "4 batches of up to 256" in text and "made before the package recorded CPU seconds" in text
    assert "102 to 103 images" in text and "1,024 is not a multiple of 10" in text
    assert "Computed in this execution" not in text


def test_synthesis_made_loaded_with_cpu_seconds():
    text = L.synthesis_made(1024, 50, 256, 331.0, True, 0.003, [103] * 4 + [102] * 6, "cpu", 151.04, 1)
    assert "took 331 s of wall time and 151 CPU seconds on 1 thread," in text and "not recorded" not in text


def test_synthesis_made_computed_now_balanced_labels():
    text = L.synthesis_made(120, 10, 256, 12.6, False, 12.9, [12] * 10, "cuda", 40.2, 8)
    assert "**Computed in this execution** on cuda: 120 images (10 Adam iterations on each of 1 batch of" in text
    assert "in 13 s of wall time and 40 CPU seconds on 8 threads" in text
    assert "12 images for each of the 10 classes" in text and "cache." in text
    assert "Loaded from the cache" not in text


# ------------------------------------------------------------------ the optimisation curves
def test_progress_front_loaded_still_falling_from_chance():
    text = L.progress(_history(FRONT), 10)
    assert "fell from 70.800 to 1.5800 over 50 iterations (45x lower)" in text
    assert "By iteration 11 it was at 15.000: it fell by a factor of 1.168 per iteration" in text
    assert "1.059 per iteration over the remaining 39" in text and "2.7x steeper at the start" in text
    assert "had not levelled off" in text and "went from 0.100 to 0.970" in text
    assert "say nothing about what the teacher makes of noise" in text and "1/10 of them match any" in text
    assert "chance" not in text and "carries no class" not in text
    assert "The inception loss fell from 1.200" in text


def test_progress_even_fall_levelled_not_at_chance_il_rose():
    text = L.progress(_history(LATE, il=[0.5] + [0.6] * 49, conf=[0.3] * 50, acc=[0.4] * 50), 10)
    assert "no steeper at the start than later" in text and "had levelled off" in text
    assert "The inception loss did not fall" in text and "went from 0.300 to 0.300" in text


def test_progress_all_of_the_fall_at_the_start():
    text = L.progress(_history([70.0, 40.0, 20.0, 10.0] + [10.0] * 16 + [11.0]), 10)
    assert "all of the fall came in the first steps" in text and "steeper" not in text


def test_progress_short_run_names_the_last_iteration():
    text = L.progress(_history(_geometric(70.0, 15.0, 10)), 10)
    assert "the last iteration still took" in text and "the last 1 iterations" not in text


def test_progress_bns_did_not_fall():
    text = L.progress(_history([2.0] * 10 + [3.0]), 10)
    assert "did not fall: 2.000 at the first iteration, 3.0000 at the last" in text and "lower)" not in text


# ------------------------------------------------------------------ what the teacher makes of noise
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def test_noise_classes_few():
    counts = [0, 0, 554, 0, 0, 0, 470, 0, 0, 0]
    text = L.noise_classes(counts, CLASSES, 0.833)
    assert "of the 1,024 Gaussian-noise images" in text and "54.1 % as bird and 45.9 % as frog" in text
    assert "mean top probability of 0.833" in text and "one of 2 classes (100.0 % of the images)" in text
    assert L.noise_in_few_classes(counts)
    one = L.noise_classes([0, 0, 1000, 0, 0, 0, 24, 0, 0, 0], CLASSES, 0.9)
    assert "97.7 % as bird." not in one and "quite surely, one class (97.7 %" in one


def test_noise_classes_spread():
    counts = [100, 110, 90, 105, 95, 100, 104, 96, 100, 100]
    text = L.noise_classes(counts, CLASSES, 0.3)
    assert "spreads the noise over 9 classes before it reaches 90 %" in text and "no class dominates" in text
    assert "not \"no class\"" not in text and not L.noise_in_few_classes(counts)


# ------------------------------------------------------------------ certainty on the finished images
def test_certainty_some_at_one():
    p = np.array([1.0, 1.0, 0.99995, 0.9, 0.874], dtype=np.float32)
    text = L.certainty(p, 0.5)
    assert "2 of the 5 images have $p_y$ = 1.0" in text and "3 have $1 - p_y$ below" in text
    assert "lowest 0.874" in text and "one more iteration would show the loss these images" in text
    assert "whether an image reached 1.0 during the run is not recorded" in text
    assert "at this budget already" not in text  # the finished images were never seen by the loss (finding 5)
    assert "For the 3 images below the clamp the package's weight is its floor, (0.0001)^0.5 = 0.01" in text
    assert "slope would be" not in text  # the detached weight's slope is never used (finding 11)


def test_certainty_one_image_at_one():
    text = L.certainty(np.array([1.0, 0.8], dtype=np.float32), 0.5)
    assert "this image at $p_y$ = 1.0" in text and "its gradient would be NaN" in text
    assert "For the 1 image below the clamp" in text


def test_certainty_inside_clamp_only():
    text = L.certainty(np.array([0.99995, 0.9], dtype=np.float32), 0.5)
    assert "0 of the 2 images" in text and "1 have $1 - p_y$ below" in text
    assert "For the 1 image below the clamp the package's weight is its floor" in text
    assert "one more iteration" not in text and "None is that close" not in text


def test_certainty_none_near():
    text = L.certainty(np.array([0.9, 0.8], dtype=np.float32), 0.5)
    assert "None is that close to 1.0" in text and "neither the NaN pitfall nor the clamp" in text
    assert "floor" not in text


def test_certainty_gamma_at_least_one_is_no_risk():
    text = L.certainty(np.array([1.0, 0.8], dtype=np.float32), 2.0)
    assert "$\\gamma$ = 2" in text and "none of them is a NaN risk" in text and "one more iteration" not in text
    assert "(0.0001)^2 = 1e-08" in text  # the clamp's floor applies whatever gamma


# ------------------------------------------------------------------ the image grid
def test_grid_recognised_colour_cast_more_texture():
    text = L.grid(1.0, 0.975, RGB_SYN, RGB_REAL, 0.682, 0.071, 8)
    assert "100.0 % of these images" in text and "mean probability 0.975" in text and "clearly their classes" in text
    assert "common colour cast" in text and "more green and less red and blue than the photographs" in text
    assert "(-0.09 in red, +0.10 in green, -0.26 in blue; the largest is 30x" in text  # red named too (finding 21)
    assert "9.6x the real images' share" in text and "68.2 % against 7.1 %" in text
    assert "periods under about 4 pixels (beyond distance 8 from the centre" in text  # defined (finding 16)
    assert "notebook 02" not in text  # the pointer to 02 is said once, after the channel figure


def test_grid_most_no_cast_no_excess_texture():
    text = L.grid(0.7, 0.6, _rgb([0.50, 0.49, 0.46], 0.1), RGB_REAL, 0.05, 0.071, 8)
    assert "most of them, not all" in text and "no common colour cast" in text
    assert "no more fine, pixel-scale texture" in text and "x the real images' share" not in text
    assert "periods under about 4 pixels" in text and "notebook 02" not in text


def test_grid_colour_cast_one_direction_and_another_size():
    text = L.grid(1.0, 0.9, _rgb([0.62, 0.49, 0.45], 0.005), RGB_REAL, 0.5, 0.071, 8, size=64)
    assert "more red than the photographs" in text and "less" not in text.split("photographs")[1][:10]
    assert "periods under about 8 pixels" in text


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
    assert "largest mean error is in the first layer (8.500, 142x the noise's 0.060)" in text
    assert "one fact seen twice, not a cause and its effect" in text and "shifts its outputs" not in text
    assert "is not measured in this section: Exercise 3 compares the first layer" in text
    assert "61 of 64 channels" in text and "0 of 64 a real one" in text
    assert "features there are less spread out than the running statistics say" in text
    assert "clean real images' are more spread out in every channel (Exercise 4 measures" in text
    assert "closer to the running statistics than noise from layer 5 on, not matched to them" in text
    assert "3.2x the real images'" in text


def test_layers_opposite_outcomes():
    err = _err([0.5, 3.0, 0.01], [1.0, 0.5, 1.0], [0.6, 0.1, 0.001], syn_var=[9, 9, 9], noise_var=[1, 1, 1],
               real_var=[0.1, 0.1, 0.1])
    text = L.layers(err, {NOISE: 1.0, SYN: 2.0, REAL: 3.0}, {NOISE: (0, 4), SYN: (0, 4), REAL: (4, 4)}, "x", 64, True)
    assert "no lower than the noise's (2.00x)" in text and "at or below the real images'" in text
    assert "in layer 2 it is not." in text and "nearly the right means" not in text  # not the first layers
    assert "below the noise's in 0 of 3 layers; in the first 3 layers (1-3) it is not" in text  # variances
    assert "lower mean error in 2 of 3 layers" in text and "match the means better in 1" in text
    assert "largest mean error is in layer 2 (3.000), not in the first" in text
    assert "more spread out than" in text and "Exercise 4 measures" in text  # all 4 real variances below
    assert "clean real images' are less spread out in every channel" in text
    assert "not matched" not in text and "Exercise 3 compares" not in text


def test_layers_mixed_last_layer_and_single_first_layer():
    err = _err([2.0, 0.1, 0.1], [1.0, 1.0, 1.0], [0.01, 0.01, 0.01])
    text = L.layers(err, LBNS, {NOISE: (2, 4), SYN: (2, 4), REAL: (2, 4)}, "x", 64, False)
    assert "in the first layer it is not" in text and "neither consistently more nor less spread out" in text
    assert "although the grid showed no common colour cast" in text and "one fact seen twice" not in text
    assert "Exercise 3 compares the first layer" in text  # 2.0 against the noise's 1.0
    assert "Exercise 4" not in text  # 2 of 4 real variances below: no pointer
    assert "all 3 layers" in text and "every layer and the lower variance error in every layer" in text


# ------------------------------------------------------------------ the findings (checks)
NOISE_COUNTS = [0, 0, 554, 0, 0, 0, 470, 0, 0, 0]


def _findings(**kw):
    args = dict(chan=CHAN, run_mean=RUN_MEAN, run_var=RUN_VAR, history=_history(FRONT), noise_counts=NOISE_COUNTS,
                p_y=np.array([1.0, 0.99995, 0.9], dtype=np.float32), acc=1.0, gamma=0.5, rgb_synthetic=RGB_SYN,
                rgb_real=RGB_REAL, hf_synthetic=0.682, hf_real=0.071, err=ERR, l_bns=LBNS, last_below=LAST)
    args.update(kw)
    return L.findings(**args)


def test_findings_all_hold_at_the_committed_shape():
    f = _findings()
    assert len(f) == 20 and all(f.values()), [k for k, v in f.items() if not v]
    assert not any("chance" in k for k in f)  # the first iteration's 1/C holds whatever the teacher does (finding 10)


def test_findings_each_can_fail():
    flipped = _findings(chan={NOISE: _chan(0.75, 2.08, 0.0), REAL: _chan(2.0, 9.0, 0.1), SYN: _chan(5.0, 20.0, 0.2)},
                        history=_history(LATE, il=[0.5] * 10 + [0.6],
                                         conf=[0.4] * 50, acc=[0.4] * 50),
                        noise_counts=[100, 110, 90, 105, 95, 100, 104, 96, 100, 100],
                        p_y=np.array([0.9], dtype=np.float32), acc=0.5,
                        rgb_synthetic=RGB_REAL, hf_synthetic=0.05,
                        err=_err([0.1, 3.0], [1.0, 1.0], [0.5, 0.5], syn_var=[9, 9]),
                        l_bns={NOISE: 1.0, SYN: 2.0, REAL: 3.0},
                        last_below={NOISE: (0, 4), SYN: (0, 4), REAL: (4, 4)})
    assert not any(flipped.values()), [k for k, v in flipped.items() if v]


def test_findings_gamma_at_least_one_has_no_nan_pitfall():
    f = _findings(gamma=2.0)
    assert not f["some finished images have p_y = 1.0 in float32 (one more iteration with the undetached weight "
                 "gives NaN)"]
    assert f["some finished images have 1 - p_y below the clamp (the clamp floors their weight)"]


# ------------------------------------------------------------------ exercise 3
RUNS = {"full loss": dict(start=69.82, L_BNS=2.7687, confidence=0.9232, layer1=11.067),
        "inception loss only": dict(start=69.82, L_BNS=1344.1, confidence=0.9984, layer1=0.152)}


def test_exercise3_above_start_more_confident_bns_term_moves_layer1():
    text = L.exercise3(RUNS, 0.0596)
    assert "start from the same noise (same seed), at $L_{BNS}$ 69.820" in text
    assert "finished images is 1,344.100, against 2.769 with the full loss" in text
    assert "19.3x the starting noise's" in text and "70.7" not in text  # the runs' own start (finding 4)
    assert "On the finished images the teacher is at least as sure" in text and "0.998 against 0.923" in text
    assert "mean error is 11.067 with the full loss and 0.152 without the BatchNorm term (Gaussian noise: 0.060)" in text
    assert "the run with the BatchNorm term that moves the first layer's means away" in text
    assert all(L.exercise3_findings(RUNS).values())


def test_exercise3_between_and_less_confident_il_moves_layer1():
    runs = {"full loss": dict(start=70.0, L_BNS=2.0, confidence=0.9, layer1=0.1),
            "inception loss only": dict(start=70.0, L_BNS=20.0, confidence=0.8, layer1=3.0)}
    text = L.exercise3(runs, 0.06)
    assert "below the starting noise's, but 10.0x the full loss's" in text and "less sure" in text
    assert "keeps the first layer's means nearer the running ones" in text and "moves the first layer's" not in text
    assert not any(L.exercise3_findings(runs).values())


def test_exercise3_no_higher_than_full():
    runs = {"full loss": dict(start=70.0, L_BNS=2.0, confidence=0.9, layer1=1.0),
            "inception loss only": dict(start=70.0, L_BNS=1.5, confidence=0.95, layer1=1.0)}
    assert "no higher than with the full loss" in L.exercise3(runs, 0.06)


# ------------------------------------------------------------------ exercise 4
def _draws(mean, half_spread, k=16):
    """``k`` draws with the given mean, spread evenly over mean +- half_spread (sample std about 0.6 x half_spread)."""
    return list(mean + np.linspace(-half_spread, half_spread, k))


# the committed shape: the transform removes almost all; training mode a little more; sampling resolved for the
# transformed images in training mode and for clean test images, not for clean training images
EX4 = {L.TRAIN: dict(full=0.4421, draws=_draws(0.4810, 0.14)),
       L.AUG: dict(full=0.0055, draws=_draws(0.0409, 0.03)),
       L.AUG_TRAIN_MODE: dict(full=0.0036, draws=_draws(0.0274, 0.025)),
       L.TEST: dict(full=0.4745, draws=_draws(0.5091, 0.05))}


def test_sampling_fit_by_hand():
    e = L._sampling(0.5, [0.6, 0.7], 1024, 64)
    assert e["mean"] == pytest.approx(0.65) and e["part"] == pytest.approx(0.15 / 15)
    assert e["stays"] == pytest.approx(0.5 - 0.01) and e["draws"] == 2
    lo, hi = e["lo"], e["hi"]  # t interval with one degree of freedom: 0.65 +- 12.706 * 0.0707 / sqrt(2)
    assert lo == pytest.approx(0.65 - 12.706 * 0.05, abs=1e-3) and hi == pytest.approx(0.65 + 12.706 * 0.05, abs=1e-3)
    assert e["part_lo"] == pytest.approx((lo - 0.5) / 15) and e["stays_hi"] == pytest.approx(0.5 - (lo - 0.5) / 15)


def test_exercise4_rows():
    rows = L.exercise4_rows(EX4, 1024, 64)
    assert [r["images"] for r in rows] == [L.TRAIN, L.AUG, L.AUG_TRAIN_MODE, L.TEST]
    assert rows[0]["L_BNS, 1024 images"] == 0.4421 and rows[0]["mean of 16 draws of 64"] == pytest.approx(0.4810)
    assert rows[3]["sampling part at 1024"] == pytest.approx((0.5091 - 0.4745) / 15)
    assert rows[2]["95 % t interval"].startswith("[0.0")


def test_exercise4_committed_shape():
    text = L.exercise4(EX4, 1024, 64, 1.5343)
    assert ("At 1,024 images $L_{BNS}$ is 0.4421 for clean training images, 0.0055 for the same images with the "
            "training transform, 0.0036 with BatchNorm also in training mode, and 0.4745 for clean test images") in text
    assert "from 0.4421 to 0.0055, 1.2 % of its value, on the same images: most of what clean images miss" in text
    assert "takes it further down, to 0.0036" in text
    assert "For the transformed images in training mode the 16 draws of 64 average 0.0274" in text
    assert "so a sampling part shows. The fit puts it at 0.0016" in text
    assert "What stays after the transform and training mode is not attributed by this exercise." in text
    assert "For clean training images the 16 draws of 64 average 0.4810" in text
    assert "the interval contains the 0.4421 at 1,024, so at these sizes the sampling part is not resolved" in text
    assert "For clean test images the 16 draws of 64 average 0.5091" in text
    assert "the sampling part is not resolved; at most 0.0057 (1.3 %) of the value at 1,024 is sampling" in text
    assert "leaves 0.4722 [0.4711, 0.4733] that more images would not remove" in text
    assert "intervals overlap" in text and "One draw of 64 clean test images scatters" in text
    assert "14x the sampling part at 1,024: one draw per size cannot measure that part" in text
    assert "1.5343: 3.2x the clean test images and 426x the transformed training images in training mode" in text
    assert "98 %" not in text and "100 %" not in text  # no share from one draw per size (finding 2)
    f = L.exercise4_findings(EX4, 1024, 64, 1.5343)
    assert len(f) == 7 and all(f.values()), [k for k, v in f.items() if not v]


def test_exercise4_opposite_outcomes():
    ex4 = {L.TRAIN: dict(full=0.40, draws=_draws(0.30, 0.02)),       # draws below: the 1/n model does not fit
           L.AUG: dict(full=0.30, draws=_draws(0.31, 0.05)),         # the transform removes a part, not most
           L.AUG_TRAIN_MODE: dict(full=0.35, draws=_draws(0.36, 0.2)),  # training mode does not lower it; unresolved
           L.TEST: dict(full=0.90, draws=_draws(1.00, 0.05))}        # far from training: intervals apart
    text = L.exercise4(ex4, 1024, 64, 0.5)
    assert "lowers the training images' value from 0.4000 to 0.3000 (25 % of it): a part, not most" in text
    assert "does not lower it further (0.3500)" in text
    assert "which the $1/n$ model cannot fit" in text
    assert "the interval contains the 0.3500" in text and "sampling part shows" in text  # the test rows' does
    assert "do not overlap: the test images are further off" in text
    assert "at or below the clean test images" in text
    f = L.exercise4_findings(ex4, 1024, 64, 0.5)
    assert not any(f[k] for k in f if "clean test images show" not in k), f


def test_exercise4_draws_scatter_less_than_the_sampling_part():
    ex4 = dict(EX4, **{L.TEST: dict(full=0.30, draws=_draws(0.60, 0.01))})  # part 0.02, draws' sd about 0.006
    text = L.exercise4(ex4, 1024, 64, 1.5)
    assert "no more than the sampling part at 1,024 (0.0200)" in text and "cannot measure" not in text


def test_exercise4_transform_does_not_lower():
    ex4 = dict(EX4, **{L.AUG: dict(full=0.5, draws=_draws(0.52, 0.01))})
    assert "The training transform does not lower the training images' value (0.4421 to 0.5000)" in \
        L.exercise4(ex4, 1024, 64, 1.5)


def test_exercise4_two_draws_at_smoke_size():
    ex4 = {k: dict(full=v["full"], draws=v["draws"][:2]) for k, v in EX4.items()}
    text = L.exercise4(ex4, 128, 64, 1.5)
    assert "the 2 draws of 64 average" in text and "At 128 images" in text
    assert "the draws do not even bound it below the value itself" in text  # t = 12.7 with one degree of freedom


# ------------------------------------------------------------------ summary
def test_summary_loaded_and_computed():
    h = _history(FRONT)
    loaded = L.summary(1024, 50, 1077.3, True, h, 1.0, np.array([1.0, 0.95], dtype=np.float32), LBNS)
    assert "loaded from the cache; making them took 1,077 s of wall time (CPU seconds and thread count not " \
           "recorded), measured when they were made." in loaded and "70.800 to 1.5800" in loaded
    assert "100.0 % (mean $p_y$ 0.975); 1 image at $p_y$ = 1.0" in loaded
    assert "1.534 for the synthetic images, below the noise's 70.740 and above the clean real images' 0.475" in loaded
    computed = L.summary(128, 10, 12.0, False, h, 0.5, np.array([0.5, 0.6], dtype=np.float32),
                         {NOISE: 1.0, SYN: 2.0, REAL: 3.0}, 30.0, 2)
    assert "computed in this execution" in computed and "0 images at" in computed
    assert "12 s of wall time and 30 CPU seconds on 2 threads" in computed
    assert "not below the noise's" in computed and "not above the clean real images'" in computed
