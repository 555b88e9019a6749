"""Readings of notebook 01 (synthesis), generated from the values it computed: one BatchNorm channel for noise,
real and synthetic images, the NaN pitfall demonstration (the weight in the graph, clamped, detached, both, and plain
cross-entropy), how the synthetic set was made (computed now or loaded from the cache, with the wall and CPU seconds it
took to make, and the labels per class), the optimisation curves, what the teacher makes of noise, how certain the
teacher is of the finished images, what the image grid shows (the teacher's verdict, the set's colour, its
high-frequency share), the per-layer match of the BatchNorm statistics, Exercises 3 and 4 (Exercise 4: what makes
real images miss the running statistics, with the sampling part estimated from disjoint draws), and the summary.

Every function takes numbers the notebook computed and returns Markdown; where the reading depends on the outcome,
the function picks the words (``tests/test_readings_01.py`` checks each branch with made-up numbers on both sides).
"""
from __future__ import annotations

import math

import numpy as np

from ..results import t_interval
from . import num, signed
from . import join_list as _list, plural as _plural

# Thresholds of the verdicts (each is named in the reading it shapes)
SKEWED = 0.5          # |skewness| above this: the histogram is "skewed"; below: "close to symmetric"
SAME_SHAPE = 0.25     # two skewnesses within this of each other: "a similar shape"
FEW_CLASSES = 3       # the teacher puts at least NOISE_SHARE of the noise images into at most this many classes
NOISE_SHARE = 0.9
LEVELLED = 0.01       # a loss that changed by less than this share over the last tenth of the run "levelled off"
RECOGNISED = 0.9      # the teacher gives the assigned label to at least this share: "recognises them"
CAST = 0.05           # a set's mean colour this far (0-1 pixel scale) from the real images' in some channel: a cast
MOSTLY = 0.75         # "most channels" of a layer: at least this share
MOST = 0.5            # Exercise 4: an effect that removes more than this share of a value removes "most" of it
COLOURS = ("red", "green", "blue")


def _pct(x: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.6823`` -> ``'68.2 %'``."""
    return f"{100 * x:.{digits}f} %"






def _layers(idx) -> str:
    """0-based layer indices as the reader counts them (1-based): ``[0, 1, 2, 3]`` -> ``'the first 4 layers (1-4)'``."""
    idx = sorted(int(i) for i in idx)
    if idx == list(range(len(idx))) and len(idx) > 1:
        return f"the first {len(idx)} layers (1-{len(idx)})"
    if idx == [0]:
        return "the first layer"
    return f"{_plural(len(idx), 'layer')} {_list(i + 1 for i in idx)}"


# ------------------------------------------------------------------ one BatchNorm channel
def channel_summary(values) -> dict:
    """Mean, (biased) variance, skewness and median of the values one BatchNorm channel receives (the histogram's
    numbers; the figure's legend prints the same mean and variance)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    m, var = float(v.mean()), float(v.var())
    skew = float(((v - m) ** 3).mean() / var ** 1.5) if var > 0 else 0.0
    return dict(mean=m, var=var, skew=skew, median=float(np.median(v)))


def _stats(s: dict, run_mean: float, run_var: float) -> str:
    return (f"mean {num(s['mean'], 3)} and variance {num(s['var'], 3)} ({signed(s['mean'] - run_mean, 3)} from the "
            f"running mean, {num(s['var'] / run_var)}x the running variance)")


def _dist(s: dict, run_mean: float, run_var: float) -> tuple:
    """How far a source is from the running statistics: |mean difference| and |log of the variance ratio|."""
    return abs(s["mean"] - run_mean), abs(math.log(s["var"] / run_var))


def _shape(s: dict, who: str) -> str:
    k = s["skew"]
    if abs(k) <= SKEWED:
        return f"The {who}' histogram is close to symmetric here (skewness {num(k)}; a Gaussian's is 0)."
    side = "right" if k > 0 else "left"
    where = "below" if k > 0 else "above"
    return (f"The {who}' histogram is not Gaussian: its skewness is {num(k)} (a Gaussian's is 0), with a long tail "
            f"to the {side} and its median ({num(s['median'], 3)}) {where} its mean ({num(s['mean'], 3)}). Two "
            "numbers cannot describe that shape: the running statistics say nothing about it.")


def channel_before(chan: dict, run_mean: float, run_var: float, where: str, real: str = "real (test set)",
                   noise: str = "Gaussian noise") -> str:
    """``chan``: {source: :func:`channel_summary`} for noise and real images; ``where``: the layer and channel."""
    r, z = chan[real], chan[noise]
    out = [f"In {where} the running statistics are mean {num(run_mean, 3)} and variance {num(run_var, 3)}. The real "
           f"test images give {_stats(r, run_mean, run_var)}; Gaussian noise gives {_stats(z, run_mean, run_var)}."]
    dr, dz = _dist(r, run_mean, run_var), _dist(z, run_mean, run_var)
    if dr[0] < dz[0] and dr[1] < dz[1]:
        out.append("The real images land nearer the running statistics than noise in both the mean and the "
                   "variance: already at this depth of the network, noise produces features that real images do "
                   "not.")
    else:
        which = _list([w for w, a, b in (("mean", dr[0], dz[0]), ("variance", dr[1], dz[1])) if b <= a])
        out.append(f"Here noise is at least as close to the running {which} as the real images: this channel does not "
                   "tell noise from real images by that statistic.")
    out.append(_shape(r, "real images"))
    return " ".join(out)


def channel_after(chan: dict, run_mean: float, run_var: float, synthetic: str = "synthetic",
                  real: str = "real (test set)", noise: str = "Gaussian noise") -> str:
    """The same channel with the synthetic images added (``chan`` as in :func:`channel_before`, with ``synthetic``)."""
    s, r, z = chan[synthetic], chan[real], chan[noise]
    ds, dr, dz = (_dist(x, run_mean, run_var) for x in (s, r, z))
    out = [f"The synthetic images give {_stats(s, run_mean, run_var)}."]
    closer = [w for w, i in (("mean", 0), ("variance", 1)) if ds[i] < dz[i]]
    if len(closer) == 2:
        out.append("Both are closer to the running statistics than the noise's: the optimisation moved this channel "
                   "from where noise put it toward what it saw in training.")
    elif closer:
        other = "variance" if closer == ["mean"] else "mean"
        out.append(f"The {closer[0]} is closer to the running one than the noise's, the {other} is not.")
    else:
        out.append("Neither is closer to the running statistics than the noise's: this channel is one the "
                   "optimisation did not fix.")
    if ds[0] < dr[0] and ds[1] < dr[1]:
        out.append("They are even closer than the real images' (synthesis fits the running statistics "
                   "themselves; real test images are another sample).")
    else:
        out.append("The real images are closer in the "
                   + _list([w for w, i in (("mean", 0), ("variance", 1)) if dr[i] <= ds[i]]) + ".")
    if abs(s["skew"] - r["skew"]) <= SAME_SHAPE:
        out.append(f"The shape, which the loss never asked for, happens to be similar: skewness {num(s['skew'])} "
                   f"against the real images' {num(r['skew'])} (noise: {num(z['skew'])}).")
    else:
        out.append(f"The shape, which the loss never asked for, differs: skewness {num(s['skew'])} against the real "
                   f"images' {num(r['skew'])} (noise: {num(z['skew'])}).")
    return " ".join(out)


# ------------------------------------------------------------------ the NaN pitfall
def _mag(g: float) -> str:
    return "NaN" if g is None or not math.isfinite(g) else ("0" if g == 0 else f"{g:.3g}")


def nan_demo(p_y, grads: dict, weights, gamma: float, clamp: float = 1e-4) -> str:
    """Two images' probability of the assigned label (float32); ``grads``: {variant: [largest |gradient| of image 0's
    logits, of image 1's]} (NaN where not finite) for ``"plain"`` (cross-entropy alone, gamma = 0), ``"graph"`` (the
    weight left in the graph, HAST's loss as written), ``"clamp"`` (clamped, in the graph), ``"detach"`` (detached,
    not clamped) and ``"package"`` (``hard_sample_il``: clamped and detached); ``weights``: the package's weight of
    each image."""
    p0, p1 = float(p_y[0]), float(p_y[1])
    fin = {k: [g is not None and math.isfinite(g) for g in v] for k, v in grads.items()}
    at_one = "1.0 exactly in float32" if p0 == 1.0 else num(p0, 6)
    out = [f"Image 0 has $p_y$ = {at_one} and image 1 has $p_y$ = {num(p1, 3)}."]
    word = {True: "finite", False: "NaN"}
    out.append(f"With the weight left in the graph (HAST's loss as written), autograd gives image 0 a "
               f"{word[fin['graph'][0]]} gradient and image 1 a {word[fin['graph'][1]]} one.")
    if not fin["graph"][0] and p0 == 1.0:
        out.append("That is the $\\infty \\cdot 0$ of the previous section, exactly at the image the teacher is "
                   "certain of.")
    elif fin["graph"][0]:
        out.append("Image 0 did not produce the NaN here: the infinite slope needs $p_y$ to round to exactly 1.0.")
    c_ok, d_ok = all(fin["clamp"]), all(fin["detach"])
    if c_ok and d_ok:
        out.append(f"Either change alone removes it: with the clamp alone image 0's gradient is "
                   f"{_mag(grads['clamp'][0])} (below the clamp the clamped value is a constant, so its slope is 0 and "
                   f"the infinite slope is never used), and with the detach alone it is {_mag(grads['detach'][0])} "
                   f"(image 0's weight is then $(1 - p_y)^\\gamma$ = {_g((1 - p0) ** gamma)}).")
    elif c_ok or d_ok:
        good, bad = ("clamp", "detach") if c_ok else ("detach", "clamp")
        out.append(f"The {good} alone removes it, the {bad} alone does not (image 0's gradient "
                   f"{_mag(grads[bad][0])}).")
    else:
        out.append("Neither the clamp alone nor the detach alone removes it here.")
    if all(fin["package"]):
        w0, w1 = float(weights[0]), float(weights[1])
        out.append(f"The package's `hard_sample_il` does both and gives finite gradients, of largest magnitude "
                   f"{_mag(grads['package'][0])} for image 0 and {_mag(grads['package'][1])} for image 1. With the "
                   "weight detached its slope is never used, so what the clamp still does is floor the weight's "
                   f"value at ({clamp:g})^{gamma:g} = {_g(clamp ** gamma)}: image 0 keeps weight {_g(w0)} "
                   f"where HAST's weight is {_g((1 - p0) ** gamma)}, image 1 keeps {_g(w1)}. That is a small "
                   f"change to HAST's loss, for every image with $1 - p_y$ below {clamp:g}.")
    else:
        out.append("The package's `hard_sample_il` is not finite either: the clamp and the detach did not work, which "
                   "is a bug.")
        return " ".join(out)
    g0, g1 = grads["plain"]
    if fin["plain"][0] and fin["plain"][1] and g0 < g1:
        out.append(f"Image 0 gets the smaller push, but not because of the weight: plain cross-entropy ($\\gamma$ = 0) "
                   f"already gives it {_mag(g0)} against image 1's {_mag(g1)}, since the softmax's slope vanishes "
                   f"as $p_y \\to 1$. The weight then multiplies image 0's push by {_g(w0)} and image 1's by "
                   f"{_g(w1)}.")
    else:
        out.append(f"Plain cross-entropy ($\\gamma$ = 0) gives image 0 {_mag(g0)} and image 1 {_mag(g1)}; the weight "
                   f"multiplies image 0's push by {_g(w0)} and image 1's by {_g(w1)}.")
    return " ".join(out)


# ------------------------------------------------------------------ making the set
def _cost(seconds: float, cpu_seconds, threads) -> str:
    """The wall seconds, and the CPU seconds and thread count where the set recorded them."""
    if cpu_seconds is None or threads is None:
        return f"{num(seconds, 0)} s of wall time (CPU seconds and thread count not recorded)"
    return (f"{num(seconds, 0)} s of wall time and {num(cpu_seconds, 0)} CPU seconds on {threads} "
            f"{_plural(threads, 'thread')}")


def _g(x: float) -> str:
    """A weight: ``0.01``, ``0.769``, ``0``."""
    return f"{x:.3g}"


def synthesis_made(n: int, iters: int, batch: int, seconds: float, from_cache: bool, load_seconds: float,
                   label_counts, device: str, cpu_seconds: float | None = None, threads: int | None = None) -> str:
    """``seconds``, ``cpu_seconds``, ``threads``: the synthetic set's own (measured when it was computed; None where a
    cached set predates them); ``load_seconds``: what the call took in this execution; ``label_counts``: images per
    assigned class."""
    batches = -(-n // batch)
    work = f"{iters} Adam iterations on each of {batches} {'batch' if batches == 1 else 'batches'} of up to {batch} images"
    cost = _cost(seconds, cpu_seconds, threads)
    if from_cache:
        out = [f"**Loaded from the cache.** This execution did not optimise the {num(n, 0)} images: it loaded them in "
               f"{num(1000 * load_seconds, 0)} ms. Making them ({work}) took {cost}, measured when they were computed, "
               "on the machine and under the load of that run, which need not be this one."]
        if cpu_seconds is None or threads is None:
            out.append("The set was made before the package recorded CPU seconds and threads; wall seconds depend on "
                       "the threads and on what else ran, so they compare only with runs made the same way.")
    else:
        out = [f"**Computed in this execution** on {device}: {num(n, 0)} images ({work}) in {cost}. Later runs with "
               "the same settings load them from the cache."]
    counts = [int(c) for c in label_counts]
    k = len(counts)
    if min(counts) == max(counts):
        out.append(f"The assigned labels are balanced: {counts[0]} images for each of the {k} classes.")
    else:
        out.append(f"Labels are assigned in turn (image $i$ gets class $i \\bmod {k}$), so each of the {k} classes "
                   f"has {min(counts)} to {max(counts)} images: {num(n, 0)} is not a multiple of {k}.")
    return " ".join(out)


# ------------------------------------------------------------------ the optimisation curves
def progress(history: dict, num_classes: int) -> str:
    """The synthesis history (per iteration, mean over batches): ``bns``, ``il``, ``confidence``, ``accuracy``."""
    b, il = list(history["bns"]), list(history["il"])
    conf, acc = list(history["confidence"]), list(history["accuracy"])
    n = len(b)
    out = []
    if b[-1] < b[0]:
        out.append(f"$L_{{BNS}}$ fell from {num(b[0], 3)} to {num(b[-1], 4)} over {n} iterations "
                   f"({num(b[0] / b[-1], 0)}x lower).")
        k = max(1, n // 5)
        if n - 1 > k:
            early = math.log(b[0] / b[k]) / k
            late = math.log(b[k] / b[-1]) / (n - 1 - k)
            head = (f"By iteration {k + 1} it was at {num(b[k], 3)}: it fell by a factor of {num(math.exp(early), 3)} "
                    f"per iteration over the first {k} steps and {num(math.exp(late), 3)} per iteration over the "
                    f"remaining {n - 1 - k}")
            if _front_loaded(b) and late > 0:
                out.append(head + f", so on the log scale of the left panel the curve is {num(early / late, 1)}x "
                           "steeper at the start.")
            elif _front_loaded(b):
                out.append(head + ": all of the fall came in the first steps.")
            else:
                out.append(head + ": on the log scale the curve is no steeper at the start than later.")
        m = max(1, n // 10)
        last = (b[-1 - m] - b[-1]) / b[-1 - m]
        span = "the last iteration" if m == 1 else f"the last {m} iterations"
        if _still_falling(b):
            out.append(f"It had not levelled off: {span} still took {_pct(last)} off it.")
        elif n > m:
            out.append(f"It had levelled off: {span} changed it by {_pct(last)}.")
    else:
        out.append(f"$L_{{BNS}}$ did not fall: {num(b[0], 3)} at the first iteration, {num(b[-1], 4)} at the last.")
    if il[-1] < il[0]:
        out.append(f"The inception loss fell from {num(il[0], 3)} to {num(il[-1], 4)}.")
    else:
        out.append(f"The inception loss did not fall ({num(il[0], 3)} to {num(il[-1], 4)}).")
    out.append(f"The teacher's mean probability of the assigned label went from {num(conf[0], 3)} to "
               f"{num(conf[-1], 3)}, and the share of images it classifies as their label from {_pct(acc[0])} to "
               f"{_pct(acc[-1])}. The first values say nothing about what the teacher makes of noise: the labels are "
               f"assigned in turn, independently of the noise, so in expectation 1/{num_classes} of them match any "
               "prediction the teacher makes.")
    return " ".join(out)


def noise_classes(counts, classes, top_probability: float) -> str:
    """What the teacher makes of Gaussian noise: ``counts``, how many noise images it classifies as each class;
    ``top_probability``: the mean over the images of its largest softmax probability."""
    c = np.asarray(counts, dtype=np.int64)
    n = int(c.sum())
    order = [int(i) for i in np.argsort(-c, kind="stable") if c[i] > 0]
    cum, few = 0, []
    for i in order:
        few.append(i)
        cum += int(c[i])
        if cum >= NOISE_SHARE * n:
            break
    parts = _list(f"{_pct(c[i] / n)} as {classes[i]}" for i in few)
    out = [f"What the teacher makes of noise: of the {num(n, 0)} Gaussian-noise images of this notebook's comparison "
           f"it classifies {parts}, with a mean top probability of {num(top_probability, 3)}."]
    if len(few) <= FEW_CLASSES:
        out.append(f"To the teacher noise is not \"no class\": it is, quite surely, "
                   f"{'one class' if len(few) == 1 else f'one of {len(few)} classes'} ({_pct(cum / n)} of the "
                   "images).")
    else:
        out.append(f"It spreads the noise over {len(few)} classes before it reaches {_pct(NOISE_SHARE, 0)} of the "
                   "images: no class dominates.")
    return " ".join(out)


def noise_in_few_classes(counts) -> bool:
    """The branch :func:`noise_classes` took: at least ``NOISE_SHARE`` of the noise images in ``FEW_CLASSES`` classes
    or fewer."""
    c = np.sort(np.asarray(counts, dtype=np.int64))[::-1]
    return bool(c[:FEW_CLASSES].sum() >= NOISE_SHARE * c.sum())


def certainty(p_y, gamma: float, clamp: float = 1e-4) -> str:
    """The teacher's probability of the assigned label on each finished synthetic image (float32), the focusing
    exponent gamma of the hard-sample weight, and the package's clamp on 1 - p_y."""
    p = np.asarray(p_y, dtype=np.float32)
    n = len(p)
    at_one = int((p == np.float32(1.0)).sum())
    inside = int(((np.float32(1.0) - p) < clamp).sum())
    out = [f"On the finished images the teacher gives the assigned label a mean probability of {num(float(p.mean()), 3)} "
           f"(lowest {num(float(p.min()), 3)}). {at_one} of the {num(n, 0)} images have $p_y$ = 1.0 exactly in "
           f"float32, and {inside} have $1 - p_y$ below the package's clamp ({clamp:g})."]
    if gamma >= 1:
        out.append(f"With $\\gamma$ = {gamma:g} the weight's slope stays finite at $p_y$ = 1, so none of them is a NaN "
                   "risk.")
    elif at_one:
        out.append(f"So the NaN pitfall is within reach of this budget: one more iteration would show the loss "
                   f"{'this image' if at_one == 1 else 'these images'} at $p_y$ = 1.0, and with the undetached weight "
                   f"{'its' if at_one == 1 else 'their'} gradient would be NaN, and through the BatchNorm statistics "
                   "the whole batch at the step after. (The history saw each image before its last step; whether an "
                   "image reached 1.0 during the run is not recorded.)")
    if inside:
        out.append(f"For the {inside} {_plural(inside, 'image')} below the clamp the package's weight is its floor, "
                   f"({clamp:g})^{gamma:g} = {_g(clamp ** gamma)}, where HAST's $(1 - p_y)^\\gamma$ would be "
                   "smaller: this is where the clamp changes HAST's loss.")
    elif gamma < 1 and not at_one:
        out.append("None is that close to 1.0: at this budget neither the NaN pitfall nor the clamp comes into play; "
                   "it needs a more certain teacher than this run produced.")
    return " ".join(out)


# ------------------------------------------------------------------ the image grid
def grid(acc: float, conf: float, rgb_synthetic, rgb_real, hf_synthetic: float, hf_real: float,
         radius: float, size: int = 32) -> str:
    """``acc``, ``conf``: the teacher on the finished images (share with the assigned label, mean p_y);
    ``rgb_*``: per-image mean pixel value of each colour channel (N x 3, 0-1 scale) of the synthetic and the real
    images; ``hf_*``: each set's share of spectral energy beyond ``radius`` (``sq.high_frequency_energy``) of a
    ``size`` x ``size`` spectrum."""
    out = [f"The teacher gives {_pct(acc)} of these images their assigned label, with mean probability {num(conf, 3)}"]
    if acc >= RECOGNISED:
        out[0] += ": to the teacher they are clearly their classes, whatever they look like to us."
    elif acc >= 0.5:
        out[0] += ": most of them, not all, are their classes to the teacher."
    else:
        out[0] += ": fewer than half are their classes to the teacher."
    s, r = np.asarray(rgb_synthetic, dtype=np.float64), np.asarray(rgb_real, dtype=np.float64)
    ms, mr = s.mean(0), r.mean(0)
    spread_s, spread_r = float(s.std(0).max()), float(r.std(0).max())
    fmt = lambda v: "(" + ", ".join(num(float(x)) for x in v) + ")"  # noqa: E731
    out.append(f"Averaged over the set, the synthetic images' mean colour (red, green, blue on the 0-1 pixel scale) is "
               f"{fmt(ms)}, against {fmt(mr)} for the real test images; from image to image a channel's mean varies "
               f"with a standard deviation of at most {num(spread_s, 3)} ({num(spread_r, 3)} for the real images).")
    d = ms - mr
    big = int(np.argmax(np.abs(d)))
    if colour_cast(s, r):
        more = [COLOURS[i] for i in range(3) if d[i] > CAST]
        less = [COLOURS[i] for i in range(3) if d[i] < -CAST]
        words = " and ".join(w for w in (f"more {_list(more)}" if more else "", f"less {_list(less)}" if less else "")
                             if w)
        shifts = ", ".join(f"{signed(float(d[i]))} in {COLOURS[i]}" for i in range(3))
        out.append(f"That is a common colour cast, the same in nearly every image: {words} than the photographs "
                   f"({shifts}; the largest is {num(abs(d[big]) / spread_s, 0)}x the spread between images). It is "
                   "one reason the rows look alike.")
    else:
        out.append("There is no common colour cast: the set's mean colour is within the spread between images of the "
                   "real images' colour, or close to it.")
    band = (f"of the energy at periods under about {num(size / radius, 0)} pixels (beyond distance {radius:g} from the "
            "centre of the Fourier spectrum)")
    if hf_synthetic > hf_real:
        out.append(f"Under the colour, the synthetic images carry {num(hf_synthetic / hf_real, 1)}x the real images' "
                   f"share of fine, pixel-scale texture: {_pct(hf_synthetic)} against {_pct(hf_real)} {band}.")
    else:
        out.append(f"They carry no more fine, pixel-scale texture than the real images: {_pct(hf_synthetic)} against "
                   f"{_pct(hf_real)} {band}.")
    return " ".join(out)


# ------------------------------------------------------------------ the per-layer comparison
def layers(err: dict, l_bns: dict, last_below: dict, last_name: str, n_images: int, cast: bool,
           synthetic: str = "synthetic", real: str = "real (test set)", noise: str = "Gaussian noise") -> str:
    """``err``: {source: ``plotting.bn_stats_error``} (per-layer MSE of the mean and the variance, arrays);
    ``l_bns``: {source: L_BNS}; ``last_below``: {source: (channels of the last layer whose batch variance is below
    the running one, channels)}; ``cast``: the grid's reading found a common colour cast (:func:`colour_cast`)."""
    s, r, z = err[synthetic], err[real], err[noise]
    n = len(s["mean"])
    ls, lr_, lz = l_bns[synthetic], l_bns[real], l_bns[noise]
    out = [f"Over {num(n_images, 0)} images per source, $L_{{BNS}}$ is {num(lz, 3)} for noise, {num(ls, 3)} for the "
           f"synthetic images and {num(lr_, 3)} for real images."]
    if ls < lz:
        rel = f"{_pct(ls / lz)} of the noise's"
    else:
        rel = f"no lower than the noise's ({num(ls / lz)}x)"
    if ls > lr_:
        out.append(f"The synthetic set's is {rel} and still {num(ls / lr_, 1)}x the real images'.")
    else:
        out.append(f"The synthetic set's is {rel} and at or below the real images': it fits the running statistics "
                   "more closely than real images do.")
    worse_mean = []
    for stat in ("mean", "var"):
        word = "mean" if stat == "mean" else "variance"
        better = np.asarray(s[stat]) < np.asarray(z[stat])
        k = int(better.sum())
        if k == n:
            out.append(f"The synthetic images' {word} error is below the noise's in all {n} layers.")
        else:
            worse = [i for i in range(n) if not better[i]]
            if stat == "mean":
                worse_mean = worse
            text = (f"The synthetic images' {word} error is below the noise's in {k} of {n} layers; in "
                    f"{_layers(worse)} it is not")
            if stat == "mean" and worse == list(range(len(worse))):
                text += (f" (there the noise's mean error is at most {num(float(max(z['mean'][i] for i in worse)), 3)}: "
                         "zero-mean noise already has nearly the right means, since real images are normalised to "
                         "zero mean as well, and the synthetic images ended further off than the noise they started "
                         "from)")
            out.append(text + ".")
    parts, better = [], []
    for stat in ("mean", "var"):
        word = "mean" if stat == "mean" else "variance"
        k = int((np.asarray(r[stat]) < np.asarray(s[stat])).sum())
        parts.append(f"the lower {word} error in {'every layer' if k == n else f'{k} of {n} layers'}")
        if k < n:
            better.append(f"the {word}s better in {n - k}")
    text = f"Real images have {parts[0]} and {parts[1]}"
    if better:
        text += f"; the synthetic images match {_list(better)}"
    out.append(text + ".")
    top = int(np.argmax(s["mean"]))
    if top == 0:
        text = (f"The synthetic set's largest mean error is in the first layer ({num(float(s['mean'][0]), 3)}, "
                f"{num(float(s['mean'][0]) / float(z['mean'][0]), 0)}x the noise's {num(float(z['mean'][0]), 3)})")
        if cast:
            text += (". The first convolution is linear in the pixels, so the means of its output channels are fixed "
                     "combinations of the images' mean colours: this error and the grid's colour cast are one fact "
                     "seen twice, not a cause and its effect.")
        else:
            text += ", although the grid showed no common colour cast."
        if float(s["mean"][0]) > float(z["mean"][0]):
            text += (" Why an optimisation whose loss includes this layer's term ends further off here than the noise "
                     "it started from is not measured in this section: Exercise 3 compares the first layer with and "
                     "without the BatchNorm term.")
        out.append(text)
    else:
        out.append(f"The synthetic set's largest mean error is in layer {top + 1} "
                   f"({num(float(s['mean'][top]), 3)}), not in the first.")
    k, c = last_below[synthetic]
    kr, _ = last_below[real]
    if k >= MOSTLY * c:
        spread = "less spread out than"
    elif k <= (1 - MOSTLY) * c:
        spread = "more spread out than"
    else:
        spread = "neither consistently more nor less spread out than"
    text = (f"In the last layer ({last_name}, the right panels), {k} of {c} channels have a synthetic variance below "
            f"the running one, and {kr} of {c} a real one: the synthetic images' features there are {spread} the "
            "running statistics say")
    if kr in (0, c):
        text += (f", and the clean real images' are {'more' if kr == 0 else 'less'} spread out in every channel "
                 "(Exercise 4 measures what makes clean real images miss the running statistics)")
    out.append(text + ".")
    if ls > lr_ and ls < lz and worse_mean and worse_mean == list(range(len(worse_mean))) \
            and all(np.asarray(s["var"]) < np.asarray(z["var"])):
        out.append(f"So the synthetic images are closer to the running statistics than noise from layer "
                   f"{len(worse_mean) + 1} on, not matched to them: their $L_{{BNS}}$ is {num(ls / lr_, 1)}x the real "
                   "images'.")
    return " ".join(out)


# ------------------------------------------------------------------ exercises
def exercise3(runs: dict, noise_layer1: float, full: str = "full loss", il_only: str = "inception loss only") -> str:
    """``runs``: {name: dict(start=L_BNS at the first iteration (the history's), L_BNS=of the finished images,
    confidence=the teacher's mean p_y on the finished images, layer1=the first layer's mean error of the finished
    images)} for the full loss and the inception loss alone (same seed: the same starting noise);
    ``noise_layer1``: the first layer's mean error of as many Gaussian-noise images of this notebook's comparison."""
    f, o = runs[full], runs[il_only]
    start = f["start"]
    out = [f"Both runs start from the same noise (same seed), at $L_{{BNS}}$ {num(start, 3)} (the first value of their "
           f"histories). Without the BatchNorm term $L_{{BNS}}$ of the finished images is {num(o['L_BNS'], 3)}, "
           f"against {num(f['L_BNS'], 3)} with the full loss."]
    if o["L_BNS"] > start:
        out.append(f"That is {num(o['L_BNS'] / start, 1)}x the starting noise's: without the term the features "
                   "drifted further from the training statistics than the noise's.")
    elif o["L_BNS"] > f["L_BNS"]:
        out.append(f"That is below the starting noise's, but {num(o['L_BNS'] / f['L_BNS'], 1)}x the full loss's: the "
                   "inception loss alone moves the statistics a little, the BatchNorm term does most of the work.")
    else:
        out.append("That is no higher than with the full loss: at this budget the BatchNorm term made no difference "
                   "to the statistics.")
    if o["confidence"] >= f["confidence"]:
        out.append(f"On the finished images the teacher is at least as sure of the inception-only ones (mean $p_y$ "
                   f"{num(o['confidence'], 3)} against {num(f['confidence'], 3)}): convincing the teacher is easy, and "
                   "that alone does not make the images a stand-in for the data.")
    else:
        out.append(f"On the finished images the teacher is less sure of the inception-only ones (mean $p_y$ "
                   f"{num(o['confidence'], 3)} against {num(f['confidence'], 3)}).")
    a, b = f["layer1"], o["layer1"]
    text = (f"In the first layer the mean error is {num(a, 3)} with the full loss and {num(b, 3)} without the "
            f"BatchNorm term (Gaussian noise: {num(noise_layer1, 3)})")
    if a > b:
        text += (": it is the run with the BatchNorm term that moves the first layer's means away. $L_{BNS}$ averages "
                 "the 19 layers, and its optimisation lowered the average while this one layer's means got worse; "
                 "why the layers trade off this way is not measured here.")
    else:
        text += (": the BatchNorm term keeps the first layer's means nearer the running ones than the inception loss "
                 "alone does.")
    out.append(text)
    return " ".join(out)


# Exercise 4's sources, in the order of its table
TRAIN, AUG, AUG_TRAIN_MODE, TEST = ("clean training images", "training images, training transform",
                                    "training transform, BN in training mode", "clean test images")


def _sampling(full: float, draws, n: int, k: int) -> dict:
    """Fit $L(n) = b + c / n$ to the value at ``n`` images (``full``) and the mean of disjoint ``k``-image draws of the
    same images (``draws``): the sampling part at ``n`` is c / n = (mean - full) / (n / k - 1), the rest b stays;
    each with the 95 % t interval of the draws' mean (nan with fewer than two draws)."""
    d = [float(x) for x in draws]
    m = float(np.mean(d))
    lo, hi = t_interval(d)
    f = n / k - 1
    part = lambda x: (x - full) / f  # noqa: E731
    return dict(full=full, mean=m, lo=lo, hi=hi, sd=float(np.std(d, ddof=1)) if len(d) > 1 else float("nan"),
                draws=len(d), part=part(m), part_lo=part(lo), part_hi=part(hi), stays=full - part(m),
                stays_lo=full - part(hi), stays_hi=full - part(lo))


def exercise4_rows(ex4: dict, n: int, k: int) -> list:
    """The table of Exercise 4: ``ex4`` is {source: dict(full=L_BNS of the ``n`` images, draws=[L_BNS of each
    disjoint ``k``-image draw of them])}."""
    rows = []
    for name, v in ex4.items():
        e = _sampling(v["full"], v["draws"], n, k)
        rows.append({"images": name, f"L_BNS, {n} images": e["full"],
                     f"mean of {e['draws']} draws of {k}": e["mean"],
                     "95 % t interval": f"[{num(e['lo'], 4)}, {num(e['hi'], 4)}]",
                     f"sampling part at {n}": e["part"], "part that stays": e["stays"]})
    return rows


def _interval(a: float, b: float, digits: int = 4) -> str:
    return f"[{num(a, digits)}, {num(b, digits)}]"


def _sampling_sentence(who: str, e: dict, n: int, k: int) -> str:
    text = (f"For {who} the {e['draws']} draws of {k} average {num(e['mean'], 4)} (95 % t interval "
            f"{_interval(e['lo'], e['hi'])}, standard deviation {num(e['sd'], 4)} from draw to draw)")
    if e["lo"] > e["full"]:
        return (text + f": above the {num(e['full'], 4)} at {num(n, 0)}, so a sampling part shows. The fit puts it at "
                f"{num(e['part'], 4)} {_interval(e['part_lo'], e['part_hi'])} at {num(n, 0)} images and leaves "
                f"{num(e['stays'], 4)} {_interval(e['stays_lo'], e['stays_hi'])} that more images would not remove.")
    if e["hi"] < e["full"]:
        return (text + f": below the {num(e['full'], 4)} at {num(n, 0)}, which the $1/n$ model cannot fit (more "
                "images should not raise the expected loss).")
    text += f": the interval contains the {num(e['full'], 4)} at {num(n, 0)}, so at these sizes the sampling part is not resolved"
    if e["part_hi"] < e["full"]:
        return (text + f"; at most {num(max(e['part_hi'], 0.0), 4)} ({_pct(max(e['part_hi'], 0.0) / e['full'], 1)}) "
                f"of the value at {num(n, 0)} is sampling.")
    return text + ", and the draws do not even bound it below the value itself."


def exercise4(ex4: dict, n: int, k: int, synthetic_bns: float) -> str:
    """``ex4``: {source: dict(full=..., draws=[...])} for :data:`TRAIN`, :data:`AUG`, :data:`AUG_TRAIN_MODE` and
    :data:`TEST` (see :func:`exercise4_rows`); ``synthetic_bns``: the synthetic set's L_BNS (the per-layer section,
    over as many images)."""
    e = {name: _sampling(v["full"], v["draws"], n, k) for name, v in ex4.items()}
    tr, au, tm, te = (e[x]["full"] for x in (TRAIN, AUG, AUG_TRAIN_MODE, TEST))
    out = [f"At {num(n, 0)} images $L_{{BNS}}$ is {num(tr, 4)} for clean training images, {num(au, 4)} for the same "
           f"images with the training transform, {num(tm, 4)} with BatchNorm also in training mode, and {num(te, 4)} "
           "for clean test images."]
    if au < (1 - MOST) * tr:
        out.append(f"The training transform alone takes the training images from {num(tr, 4)} to {num(au, 4)}, "
                   f"{_pct(au / tr, 1)} of its value, on the same images: most of what clean images miss is the "
                   "transform the running statistics were measured with (crops with black borders, and flips).")
    elif au < tr:
        out.append(f"The training transform lowers the training images' value from {num(tr, 4)} to {num(au, 4)} "
                   f"({_pct(1 - au / tr, 0)} of it): a part, not most.")
    else:
        out.append(f"The training transform does not lower the training images' value ({num(tr, 4)} to "
                   f"{num(au, 4)}).")
    if tm < au:
        out.append(f"BatchNorm in training mode (each layer normalising by the batch's own statistics, as in training) "
                   f"takes it further down, to {num(tm, 4)}.")
    else:
        out.append(f"BatchNorm in training mode does not lower it further ({num(tm, 4)}).")
    out.append(_sampling_sentence("the transformed images in training mode", e[AUG_TRAIN_MODE], n, k))
    out.append("What stays after the transform and training mode is not attributed by this exercise.")
    out.append(_sampling_sentence("clean training images", e[TRAIN], n, k))
    out.append(_sampling_sentence("clean test images", e[TEST], n, k))
    a, b = e[TRAIN], e[TEST]
    if a["hi"] < b["lo"] or b["hi"] < a["lo"]:
        out.append("The clean training and test draws' intervals do not overlap: the test images are further off.")
    else:
        out.append("The clean training and test draws' intervals overlap: these draws do not separate test from "
                   "training images.")
    if b["sd"] > abs(b["part"]):
        out.append(f"One draw of {k} clean test images scatters with a standard deviation of {num(b['sd'], 4)}, "
                   f"{num(b['sd'] / max(abs(b['part']), 1e-12), 0)}x the sampling part at {num(n, 0)}: one draw per "
                   "size cannot measure that part; the mean of many draws can.")
    else:
        out.append(f"One draw of {k} clean test images scatters with a standard deviation of {num(b['sd'], 4)}, no more "
                   f"than the sampling part at {num(n, 0)} ({num(b['part'], 4)}).")
    if synthetic_bns > te:
        out.append(f"The synthetic images, fitted to the running statistics themselves, are at {num(synthetic_bns, 4)}: "
                   f"{num(synthetic_bns / te, 1)}x the clean test images and "
                   f"{num(synthetic_bns / tm, 0)}x the transformed training images in training mode.")
    else:
        out.append(f"The synthetic images, fitted to the running statistics themselves, are at {num(synthetic_bns, 4)}: "
                   "at or below the clean test images.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(n: int, iters: int, seconds: float, from_cache: bool, history: dict, acc: float, p_y, l_bns: dict,
            cpu_seconds: float | None = None, threads: int | None = None, synthetic: str = "synthetic",
            real: str = "real (test set)", noise: str = "Gaussian noise") -> str:
    """One bullet per finding of this run (each already read in its section); ``acc``, ``p_y``: the teacher on the
    finished images (share with the assigned label; probability of the assigned label per image, float32)."""
    b = history["bns"]
    p = np.asarray(p_y, dtype=np.float32)
    conf, at_one = float(p.mean()), int((p == np.float32(1.0)).sum())
    made = "loaded from the cache" if from_cache else "computed in this execution"
    ls, lr_, lz = l_bns[synthetic], l_bns[real], l_bns[noise]
    lines = [f"- Synthesis: {num(n, 0)} images, {iters} iterations, {made}; making them took "
             f"{_cost(seconds, cpu_seconds, threads)}, measured when they were made.",
             f"- $L_{{BNS}}$ during synthesis: {num(b[0], 3)} to {num(b[-1], 4)}. On the finished images the teacher "
             f"gives the assigned label to {_pct(acc)} (mean $p_y$ {num(conf, 3)}); {at_one} "
             f"{_plural(at_one, 'image')} at $p_y$ = 1.0 in float32.",
             f"- Against the running statistics: $L_{{BNS}}$ {num(ls, 3)} for the synthetic images, "
             f"{'below' if ls < lz else 'not below'} the noise's {num(lz, 3)} and "
             f"{'above' if ls > lr_ else 'not above'} the clean real images' {num(lr_, 3)}."]
    return "\n".join(lines)


# ------------------------------------------------------------------ the claims above, as checks
def _front_loaded(b) -> bool:
    n, k = len(b), max(1, len(b) // 5)
    return n - 1 > k and b[-1] < b[0] and math.log(b[0] / b[k]) / k > math.log(b[k] / b[-1]) / (n - 1 - k)


def _still_falling(b) -> bool:
    m = max(1, len(b) // 10)
    return len(b) > m and (b[-1 - m] - b[-1]) / b[-1 - m] >= LEVELLED


def colour_cast(rgb_synthetic, rgb_real) -> bool:
    """Whether the synthetic set has a common colour cast: its mean colour is more than ``CAST`` from the real images'
    in some channel, by more than its images vary (``rgb_*``: per-image mean of each colour channel, 0-1 scale)."""
    s, r = np.asarray(rgb_synthetic, dtype=np.float64), np.asarray(rgb_real, dtype=np.float64)
    d = s.mean(0) - r.mean(0)
    big = float(np.abs(d).max())
    return big > CAST and float(s.std(0).max()) < big


def findings(chan: dict, run_mean: float, run_var: float, history: dict, noise_counts, p_y, acc: float,
             gamma: float, rgb_synthetic, rgb_real, hf_synthetic: float, hf_real: float, err: dict, l_bns: dict,
             last_below: dict, clamp: float = 1e-4, synthetic: str = "synthetic", real: str = "real (test set)",
             noise: str = "Gaussian noise") -> dict:
    """Each branch the readings above took at the reader's settings, as {claim: holds?}, for ``checks.result``."""
    s, r, z = chan[synthetic], chan[real], chan[noise]
    ds, dr, dz = (_dist(x, run_mean, run_var) for x in (s, r, z))
    b = list(history["bns"])
    p = np.asarray(p_y, dtype=np.float32)
    worse_mean = [i for i in range(len(err[synthetic]["mean"]))
                  if not err[synthetic]["mean"][i] < err[noise]["mean"][i]]
    k, c = last_below[synthetic]
    return {
        "BN channel: real images nearer the running mean and variance than noise": dr[0] < dz[0] and dr[1] < dz[1],
        "BN channel: the real images' histogram is skewed": abs(r["skew"]) > SKEWED,
        "BN channel: synthetic mean and variance nearer the running ones than noise's": ds[0] < dz[0] and ds[1] < dz[1],
        "BN channel: the synthetic histogram's shape differs from the real one's": abs(s["skew"] - r["skew"]) > SAME_SHAPE,
        "L_BNS falls faster per iteration in the first fifth than later (log scale)": _front_loaded(b),
        "L_BNS had not levelled off at the last iteration": _still_falling(b),
        "the inception loss falls": history["il"][-1] < history["il"][0],
        f"the teacher puts at least {NOISE_SHARE:.0%} of the noise images into at most {FEW_CLASSES} classes":
            noise_in_few_classes(noise_counts),
        "some finished images have p_y = 1.0 in float32 (one more iteration with the undetached weight gives NaN)":
            gamma < 1 and int((p == np.float32(1.0)).sum()) > 0,
        "some finished images have 1 - p_y below the clamp (the clamp floors their weight)":
            int(((np.float32(1.0) - p) < clamp).sum()) > 0,
        f"the teacher gives at least {RECOGNISED:.0%} of the finished images their assigned label": acc >= RECOGNISED,
        "the synthetic set has a common colour cast": colour_cast(rgb_synthetic, rgb_real),
        "the synthetic images carry more high-frequency energy than real ones": hf_synthetic > hf_real,
        "L_BNS: synthetic below noise and above real": l_bns[noise] > l_bns[synthetic] > l_bns[real],
        "the synthetic mean error exceeds the noise's only in the first layers": bool(worse_mean)
        and worse_mean == list(range(len(worse_mean))),
        "the synthetic variance error is below the noise's in every layer": bool(
            (np.asarray(err[synthetic]["var"]) < np.asarray(err[noise]["var"])).all()),
        "real images have the lower mean error in every layer": bool(
            (np.asarray(err[real]["mean"]) < np.asarray(err[synthetic]["mean"])).all()),
        "the synthetic set's largest mean error is in the first layer": int(np.argmax(err[synthetic]["mean"])) == 0,
        "last layer: most synthetic variances below the running ones": k >= MOSTLY * c,
        "last layer: every real variance above the running one": last_below[real][0] == 0,
    }


def exercise3_findings(runs: dict, full: str = "full loss", il_only: str = "inception loss only") -> dict:
    """The branches :func:`exercise3` took, as {claim: holds?}."""
    f, o = runs[full], runs[il_only]
    return {"Exercise 3: without the BatchNorm term L_BNS ends above the starting noise's": o["L_BNS"] > f["start"],
            "Exercise 3: the teacher is at least as sure of the finished inception-only images":
                o["confidence"] >= f["confidence"],
            "Exercise 3: the first layer's mean error is larger with the BatchNorm term than without":
                f["layer1"] > o["layer1"]}


def exercise4_findings(ex4: dict, n: int, k: int, synthetic_bns: float) -> dict:
    """The branches :func:`exercise4` took, as {claim: holds?}."""
    e = {name: _sampling(v["full"], v["draws"], n, k) for name, v in ex4.items()}
    tr, au, tm, te = (e[x]["full"] for x in (TRAIN, AUG, AUG_TRAIN_MODE, TEST))
    a, b = e[TRAIN], e[TEST]
    return {"Exercise 4: the training transform removes most of the clean training images' L_BNS": au < (1 - MOST) * tr,
            "Exercise 4: BatchNorm in training mode lowers it further": tm < au,
            "Exercise 4: transformed images in training mode show a sampling part (draws' interval above)":
                e[AUG_TRAIN_MODE]["lo"] > tm,
            "Exercise 4: clean training images' sampling part not resolved (interval contains the value)":
                a["lo"] <= tr <= a["hi"],
            "Exercise 4: clean test images show a sampling part (draws' interval above)": b["lo"] > te,
            "Exercise 4: the clean training and test draws' intervals overlap":
                not (a["hi"] < b["lo"] or b["hi"] < a["lo"]),
            "Exercise 4: the synthetic images' L_BNS is above the clean test images'": synthetic_bns > te}
