"""Readings of notebook 01 (synthesis), generated from the values it computed: one BatchNorm channel for noise,
real and synthetic images, the NaN pitfall demonstration, how the synthetic set was made (computed now or loaded
from the cache, with the seconds it took to make, and the labels per class), the optimisation curves, how certain the
teacher is of the finished images, what the image grid shows (the teacher's verdict, the set's colour, its
high-frequency share), the per-layer match of the BatchNorm statistics, Exercises 3 and 4, and the summary.

Every function takes numbers the notebook computed and returns Markdown; where the reading depends on the outcome,
the function picks the words (``tests/test_readings_01.py`` checks each branch with made-up numbers on both sides).
"""
from __future__ import annotations

import math

import numpy as np

from . import num, signed
from . import join_list as _list, plural as _plural

# Thresholds of the verdicts (each is named in the reading it shapes)
SKEWED = 0.5          # |skewness| above this: the histogram is "skewed"; below: "close to symmetric"
SAME_SHAPE = 0.25     # two skewnesses within this of each other: "a similar shape"
CHANCE_MARGIN = 0.05  # a fraction within this of 1 / classes is "at chance"
LEVELLED = 0.01       # a loss that changed by less than this share over the last tenth of the run "levelled off"
RECOGNISED = 0.9      # the teacher gives the assigned label to at least this share: "recognises them"
CAST = 0.05           # a set's mean colour this far (0-1 pixel scale) from the real images' in some channel: a cast
MOSTLY = 0.75         # "most channels" of a layer: at least this share
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
            f"to the {side} and its median ({num(s['median'], 3)}) {where} its mean ({num(s['mean'], 3)}).")


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
    out.append("Two numbers cannot describe that shape: the running statistics say nothing about it.")
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
                   f"against the real images' {num(r['skew'])}.")
    else:
        out.append(f"The shape, which the loss never asked for, differs: skewness {num(s['skew'])} against the real "
                   f"images' {num(r['skew'])}. The synthetic images are like the data only in the statistics we "
                   "asked for.")
    return " ".join(out)


# ------------------------------------------------------------------ the NaN pitfall
def nan_demo(p_y, naive_finite, package_finite: bool, package_grad) -> str:
    """Two images' probability of the assigned label (float32), whether each image's logit gradient is finite with
    the undetached weight, whether the package's gradients are all finite, and the largest magnitude of the
    package's gradient per image."""
    p0, p1 = float(p_y[0]), float(p_y[1])
    f0, f1 = bool(naive_finite[0]), bool(naive_finite[1])
    at_one = "1.0 exactly in float32" if p0 == 1.0 else num(p0, 6)
    out = [f"Image 0 has $p_y$ = {at_one} and image 1 has $p_y$ = {num(p1, 3)}."]
    word = {True: "finite", False: "NaN"}
    out.append(f"With the weight left in the graph, autograd gives image 0 a {word[f0]} gradient and image 1 a "
               f"{word[f1]} one.")
    if not f0 and p0 == 1.0:
        out.append("That is the $\\infty \\cdot 0$ of the previous section, exactly at the image the teacher is "
                   "certain of.")
    elif f0:
        out.append("Image 0 did not produce the NaN here: the infinite slope needs $p_y$ to round to exactly 1.0.")
    if package_finite:
        g0, g1 = float(package_grad[0]), float(package_grad[1])
        out.append(f"The package's `hard_sample_il` gives finite gradients for both, of largest magnitude "
                   f"{g0:.3g} for image 0 and {g1:.3g} for image 1.")
        if g0 < g1:
            out.append("The confident image gets the smaller push, as the weight intends: it is done.")
        else:
            out.append("The confident image does not get the smaller push here.")
    else:
        out.append("The package's `hard_sample_il` is not finite either: the clamp and the detach did not work, which "
                   "is a bug.")
    return " ".join(out)


# ------------------------------------------------------------------ making the set
def synthesis_made(n: int, iters: int, batch: int, seconds: float, from_cache: bool, load_seconds: float,
                   label_counts, device: str) -> str:
    """``seconds``: the synthetic set's own ``seconds`` (measured when it was computed); ``load_seconds``: what the
    call took in this execution; ``label_counts``: images per assigned class."""
    batches = -(-n // batch)
    work = f"{iters} Adam iterations on each of {batches} {'batch' if batches == 1 else 'batches'} of up to {batch} images"
    if from_cache:
        out = [f"**Loaded from the cache.** This execution did not optimise the {num(n, 0)} images: it loaded them in "
               f"{num(load_seconds, 2)} s. Making them ({work}) took {num(seconds, 0)} s when they were computed, "
               "measured then, on the machine and under the load of that run, which need not be this one."]
    else:
        out = [f"**Computed in this execution**: {num(n, 0)} images ({work}) in {num(seconds, 0)} s on {device}. "
               "Later runs with the same settings load them from the cache."]
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
    chance = 1 / num_classes
    out.append(f"The teacher's mean probability of the assigned label went from {num(conf[0], 3)} to "
               f"{num(conf[-1], 3)}, and the share of images it classifies as their label from {_pct(acc[0])} to "
               f"{_pct(acc[-1])}.")
    if abs(conf[0] - chance) <= CHANCE_MARGIN and abs(acc[0] - chance) <= CHANCE_MARGIN:
        out.append(f"Both start at chance (1/{num_classes} = {num(chance)}): the starting noise carries no class.")
    else:
        out.append(f"They do not start at chance (1/{num_classes} = {num(chance)}).")
    return " ".join(out)


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
        out.append(f"So the NaN pitfall is not only a long-budget problem: at this budget already, the undetached "
                   f"weight would give {'this image' if at_one == 1 else 'these images'} a NaN gradient, and through "
                   "the BatchNorm statistics the whole batch would turn to NaN at the next step. (The loss sees each "
                   "image before its step; the finished images are one step further on.)")
    elif inside:
        out.append(f"None has reached 1.0, but for these {inside} the clamp is already in force: without it, the "
                   f"weight's slope would be over {gamma * clamp ** (gamma - 1):.3g} for them and growing.")
    else:
        out.append("None is that close to 1.0: at this budget the pitfall does not arise; it needs a more certain "
                   "teacher than this run produced.")
    return " ".join(out)


# ------------------------------------------------------------------ the image grid
def grid(acc: float, conf: float, rgb_synthetic, rgb_real, hf_synthetic: float, hf_real: float,
         radius: float) -> str:
    """``acc``, ``conf``: the teacher on the finished images (share with the assigned label, mean p_y);
    ``rgb_*``: per-image mean pixel value of each colour channel (N x 3, 0-1 scale) of the synthetic and the real
    images; ``hf_*``: each set's share of spectral energy beyond ``radius`` (``sq.high_frequency_energy``)."""
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
        hi, lo = int(np.argmax(d)), int(np.argmin(d))
        out.append(f"That is a common colour cast, the same in nearly every image: more {COLOURS[hi]} and less "
                   f"{COLOURS[lo]} than the photographs (the largest shift, {signed(float(d[big]))} in "
                   f"{COLOURS[big]}, is {num(abs(d[big]) / spread_s, 0)}x the spread between images). It is one reason "
                   "the rows look alike.")
    else:
        out.append("There is no common colour cast: the set's mean colour is within the spread between images of the "
                   "real images' colour, or close to it.")
    if hf_synthetic > hf_real:
        out.append(f"Under the colour, the synthetic images carry {num(hf_synthetic / hf_real, 1)}x the real images' "
                   f"share of fine, pixel-scale texture ({_pct(hf_synthetic)} against {_pct(hf_real)} of the energy "
                   f"beyond distance {radius:g} from the centre of the Fourier spectrum): notebook 02 measures this "
                   "texture, explains where it comes from and removes it.")
    else:
        out.append(f"They carry no more fine, pixel-scale texture than the real images ({_pct(hf_synthetic)} against "
                   f"{_pct(hf_real)} of the energy beyond distance {radius:g} from the centre of the Fourier spectrum, "
                   "notebook 02): at these settings there is little for its filter to remove.")
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
    for stat in ("mean", "var"):
        word = "mean" if stat == "mean" else "variance"
        better = np.asarray(s[stat]) < np.asarray(z[stat])
        k = int(better.sum())
        if k == n:
            out.append(f"The synthetic images' {word} error is below the noise's in all {n} layers.")
        else:
            worse = [i for i in range(n) if not better[i]]
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
                f"against {num(float(z['mean'][0]), 3)} for noise)")
        if cast:
            text += (": the first convolution sees the raw colours, and the common colour cast of the grid shifts "
                     "its outputs' means.")
        else:
            text += ", although the grid showed no common colour cast."
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
    out.append(f"In the last layer ({last_name}, the right panels), {k} of {c} channels have a synthetic variance "
               f"below the running one, and {kr} of {c} a real one: the synthetic images' features there are {spread} "
               "the training data's.")
    return " ".join(out)


# ------------------------------------------------------------------ exercises
def exercise3(runs: dict, noise_bns: float, full: str = "full loss", il_only: str = "inception loss only") -> str:
    """``runs``: {name: dict(L_BNS=..., confidence=...)} for the full loss and the inception loss alone;
    ``noise_bns``: L_BNS of the Gaussian noise (the starting point)."""
    f, o = runs[full], runs[il_only]
    out = [f"Without the BatchNorm term $L_{{BNS}}$ ends at {num(o['L_BNS'], 3)}, against {num(f['L_BNS'], 3)} with "
           f"the full loss."]
    if o["L_BNS"] > noise_bns:
        out.append(f"That is above the {num(noise_bns, 3)} of the Gaussian noise both runs started from: the features "
                   "drifted further from the training statistics than the noise's.")
    elif o["L_BNS"] > f["L_BNS"]:
        out.append(f"That is below the {num(noise_bns, 3)} of the starting noise, but {num(o['L_BNS'] / f['L_BNS'], 1)}x "
                   "the full loss's: the inception loss alone moves the statistics a little, the BatchNorm term does "
                   "most of the work.")
    else:
        out.append("That is no higher than with the full loss: at this budget the BatchNorm term made no difference "
                   "to the statistics.")
    if o["confidence"] >= f["confidence"]:
        out.append(f"The teacher is at least as sure of the inception-only images (mean $p_y$ {num(o['confidence'], 3)} "
                   f"against {num(f['confidence'], 3)}): convincing the teacher is easy, and that alone does not make "
                   "the images a stand-in for the data.")
    else:
        out.append(f"The teacher is less sure of the inception-only images (mean $p_y$ {num(o['confidence'], 3)} "
                   f"against {num(f['confidence'], 3)}).")
    return " ".join(out)


def exercise4(rows, synthetic_bns: float) -> str:
    """``rows``: two dicts (``images``, ``L_BNS train``, ``L_BNS test``), the smaller set first; ``synthetic_bns``:
    the synthetic set's L_BNS (the section above)."""
    a, b = rows[0], rows[-1]
    na, nb = a["images"], b["images"]
    out = []
    floors = {}
    for split in ("train", "test"):
        key = f"L_BNS {split}"
        la, lb = a[key], b[key]
        who = "training" if split == "train" else split
        text = f"For {who} images $L_{{BNS}}$ went from {num(la, 4)} at {na} images to {num(lb, 4)} at {num(nb, 0)}"
        floors[split] = _floor_share(la, lb, na, nb)
        if lb < la:
            floor = floors[split] * lb
            text += (f" ({signed(100 * (lb - la) / la, 0)} %). If the sampling part shrinks as $1/n$ (the variance of "
                     f"a mean does), these two points leave about {num(floor, 4)} that does not shrink: "
                     f"{_pct(floor / lb, 0)} of the value at {num(nb, 0)} images.")
        else:
            text += ": it did not fall with more images, so no sampling part shows at these sizes."
        out.append(text)
    if min(floors.values()) > 0.5:
        out.append("For training and test images alike, most of what is left is not sampling noise but the other two "
                   "effects, augmentation and the moving average, which more images do not remove.")
    else:
        out.append("For at least one split most of the loss is sampling noise at these sizes: more images would "
                   "lower it further.")
    if synthetic_bns > b["L_BNS test"]:
        out.append(f"The synthetic images, fitted to the running statistics themselves, are at {num(synthetic_bns, 4)}: "
                   f"still above real images at this budget.")
    else:
        out.append(f"The synthetic images, fitted to the running statistics themselves, are at {num(synthetic_bns, 4)}: "
                   "at or below real images.")
    return " ".join(out)


# ------------------------------------------------------------------ summary
def summary(n: int, iters: int, seconds: float, from_cache: bool, history: dict, acc: float, p_y, l_bns: dict,
            synthetic: str = "synthetic", real: str = "real (test set)", noise: str = "Gaussian noise") -> str:
    """One bullet per finding of this run (each already read in its section); ``acc``, ``p_y``: the teacher on the
    finished images (share with the assigned label; probability of the assigned label per image, float32)."""
    b = history["bns"]
    p = np.asarray(p_y, dtype=np.float32)
    conf, at_one = float(p.mean()), int((p == np.float32(1.0)).sum())
    made = "loaded from the cache" if from_cache else "computed in this execution"
    ls, lr_, lz = l_bns[synthetic], l_bns[real], l_bns[noise]
    lines = [f"- Synthesis: {num(n, 0)} images, {iters} iterations, {made}; making them took {num(seconds, 0)} s "
             "(measured when they were made).",
             f"- $L_{{BNS}}$ during synthesis: {num(b[0], 3)} to {num(b[-1], 4)}. On the finished images the teacher "
             f"gives the assigned label to {_pct(acc)} (mean $p_y$ {num(conf, 3)}); {at_one} "
             f"{_plural(at_one, 'image')} at $p_y$ = 1.0 in float32.",
             f"- Against the running statistics: $L_{{BNS}}$ {num(ls, 3)} for the synthetic images, "
             f"{'below' if ls < lz else 'not below'} the noise's {num(lz, 3)} and "
             f"{'above' if ls > lr_ else 'not above'} the real images' {num(lr_, 3)}."]
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


def findings(chan: dict, run_mean: float, run_var: float, history: dict, num_classes: int, p_y, acc: float,
             gamma: float, rgb_synthetic, rgb_real, hf_synthetic: float, hf_real: float, err: dict, l_bns: dict,
             last_below: dict, synthetic: str = "synthetic", real: str = "real (test set)",
             noise: str = "Gaussian noise") -> dict:
    """Each branch the readings above took at the reader's settings, as {claim: holds?}, for ``checks.result``."""
    s, r, z = chan[synthetic], chan[real], chan[noise]
    ds, dr, dz = (_dist(x, run_mean, run_var) for x in (s, r, z))
    b, conf, acc0 = list(history["bns"]), list(history["confidence"]), history["accuracy"][0]
    p = np.asarray(p_y, dtype=np.float32)
    worse_mean = [i for i in range(len(err[synthetic]["mean"]))
                  if not err[synthetic]["mean"][i] < err[noise]["mean"][i]]
    k, c = last_below[synthetic]
    chance = 1 / num_classes
    return {
        "BN channel: real images nearer the running mean and variance than noise": dr[0] < dz[0] and dr[1] < dz[1],
        "BN channel: the real images' histogram is skewed": abs(r["skew"]) > SKEWED,
        "BN channel: synthetic mean and variance nearer the running ones than noise's": ds[0] < dz[0] and ds[1] < dz[1],
        "BN channel: the synthetic histogram's shape differs from the real one's": abs(s["skew"] - r["skew"]) > SAME_SHAPE,
        "L_BNS falls faster per iteration in the first fifth than later (log scale)": _front_loaded(b),
        "L_BNS had not levelled off at the last iteration": _still_falling(b),
        "the inception loss falls": history["il"][-1] < history["il"][0],
        "the teacher's confidence and accuracy start at chance": abs(conf[0] - chance) <= CHANCE_MARGIN
        and abs(acc0 - chance) <= CHANCE_MARGIN,
        "some finished images have p_y = 1.0 in float32 (the NaN pitfall arises at this budget)":
            gamma < 1 and int((p == np.float32(1.0)).sum()) > 0,
        f"the teacher gives at least {RECOGNISED:.0%} of the finished images their assigned label": acc >= RECOGNISED,
        "the synthetic set has a common colour cast": colour_cast(rgb_synthetic, rgb_real),
        "the synthetic images carry more high-frequency energy than real ones": hf_synthetic > hf_real,
        "L_BNS: synthetic below noise and above real": l_bns[noise] > l_bns[synthetic] > l_bns[real],
        "the synthetic mean error exceeds the noise's only in the first layers": bool(worse_mean)
        and worse_mean == list(range(len(worse_mean))),
        "real images have the lower mean error in every layer": bool(
            (np.asarray(err[real]["mean"]) < np.asarray(err[synthetic]["mean"])).all()),
        "the synthetic set's largest mean error is in the first layer": int(np.argmax(err[synthetic]["mean"])) == 0,
        "last layer: most synthetic variances below the running ones": k >= MOSTLY * c,
    }


def exercise3_findings(runs: dict, noise_bns: float, full: str = "full loss",
                       il_only: str = "inception loss only") -> dict:
    """The branches :func:`exercise3` took, as {claim: holds?}."""
    f, o = runs[full], runs[il_only]
    return {"Exercise 3: without the BatchNorm term L_BNS ends above the starting noise's": o["L_BNS"] > noise_bns,
            "Exercise 3: the teacher is at least as sure of the inception-only images": o["confidence"] >= f["confidence"]}


def _floor_share(la: float, lb: float, na: int, nb: int) -> float:
    """The part of L_BNS at ``nb`` images that does not shrink as 1/n, as a share of it (1 where it did not fall):
    an expected loss of bias^2 + c / n, fitted to the two sizes ``na`` < ``nb``."""
    if lb >= la:
        return 1.0
    c = (la - lb) / (1 / na - 1 / nb)
    return (lb - c / nb) / lb


def exercise4_findings(rows, synthetic_bns: float) -> dict:
    """The branches :func:`exercise4` took, as {claim: holds?}."""
    a, b = rows[0], rows[-1]
    shares = [_floor_share(a[f"L_BNS {s}"], b[f"L_BNS {s}"], a["images"], b["images"]) for s in ("train", "test")]
    return {"Exercise 4: most of the real images' L_BNS is not sampling noise": min(shares) > 0.5,
            "Exercise 4: the synthetic images' L_BNS is above the real test images'": synthetic_bns > b["L_BNS test"]}
