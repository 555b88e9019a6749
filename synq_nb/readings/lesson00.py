"""Readings of notebook 00 (overview): the course map with its measured run times, and what this run's numbers
show about per-channel ranges, round-to-nearest (RTN) at each bit-width, calibration, rounding of one channel's
weights, the straight-through estimators and the model size.

Every function takes values the notebook computed and returns Markdown; where the reading depends on the outcome,
the function picks the words (``tests/test_readings_00.py`` checks each branch).
"""
from __future__ import annotations

import numpy as np

from . import num, signed

# RTN verdicts, in points of top-1 lost against full precision
ALMOST_FREE = 1.0  # a drop up to this is "almost free"
COLLAPSE = 20.0    # a drop beyond this is "a collapse"
LEVEL = 0.2        # two accuracies this close (points) are "level" (or two test images, if more)

# The course map: (prefix, file, title, what it teaches, needs first). The descriptions are the map's text.
LESSONS = [
    ("00", "00_overview.ipynb", "00 · Overview",
     "why quantize; scale, zero point, grid, rounding, clipping; per-channel ranges; activation calibration; the "
     "straight-through estimator; how much naive rounding loses at 8, 4 and 3 bits; model size",
     "Python, PyTorch basics"),
    ("01", "01_synthesis.ipynb", "01 · Synthesis",
     "what BatchNorm statistics remember about the training data; the BNS loss and HAST's hard-sample inception "
     "loss; turning noise into a labelled synthetic set; how closely the images match the statistics, layer by layer; the NaN pitfall", "00"),
    ("02", "02_frequency_filtering.ipynb", "02 · Frequency filtering",
     "power spectra of real and synthetic images; the Gaussian low-pass filter and its cut-off d0 (SynQ's Idea 1)",
     "00, 01"),
    ("03", "03_gradcam_alignment.ipynb", "03 · Grad-CAM alignment",
     "Grad-CAM step by step; teacher and quantized student look at different places; the CAM alignment loss "
     "(Idea 2)", "00, 02 (its fine-tuned student is 05's run, which ships with synq_nb)"),
    ("04", "04_difficulty_soft_labels.ipynb", "04 · Difficulty and soft labels",
     "difficulty 1 − p(y); when the assigned label is wrong; knowledge distillation's soft labels and the "
     "threshold tau (Idea 3)", "00, 01, 02"),
    ("05", "05_finetuning.ipynb", "05 · Fine-tuning",
     "the full SynQ objective (Eq. 6) and a whole fine-tuning run, RTN against fine-tuned", "00, 02, 03, 04"),
    ("06", "06_evaluation_ablation.ipynb", "06 · Evaluation and ablation",
     "baseline, each idea alone, all three; how to read an ablation across seeds", "01-05"),
    ("07", "07_reproduce.ipynb", "07 · Reproduce",
     "a whole parameterised experiment over seeds, against the paper's Table 1", "00, 05, 06"),
]

NOT_MEASURED = "not measured yet"


# ------------------------------------------------------------------ the course map
def duration(seconds) -> str:
    """``42.4`` -> ``'42 s'``; ``1077`` -> ``'18.0 min'``; ``None`` -> ``'not measured yet'``."""
    if seconds is None:
        return NOT_MEASURED
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def times_by_lesson(notebooks: dict) -> dict:
    """``results/notebook_times.json``'s ``notebooks`` entry ({"00_overview": {"cold_s": ..., "warm_s": ...}})
    keyed by the lesson's prefix: {"00": {"cold_s": ..., "warm_s": ...}} (missing times are ``None``)."""
    return {stem[:2]: {"cold_s": entry.get("cold_s"), "warm_s": entry.get("warm_s")} for stem, entry in notebooks.items()}


def course_map(times: dict | None, source: dict | None = None) -> str:
    """The course map as a Markdown table with the measured run times.

    ``times``: {"00": {"cold_s": float | None, "warm_s": float | None}, ...}, or ``None`` when the checkout has
    no ``results/notebook_times.json``. ``source``: that file's content (its ``date``, ``machine``, ``command``
    say where the times come from). A lesson without a time reads "not measured yet"."""
    lines = ["| notebook | what it teaches | needs first | run time, cold cache | run time, warm cache |",
             "|---|---|---|---|---|"]
    for key, file, title, teaches, needs in LESSONS:
        t = (times or {}).get(key) or {}
        lines.append(f"| {title} | {teaches} | {needs} | {duration(t.get('cold_s'))} | "
                     f"{duration(t.get('warm_s'))} |")
    table = "\n".join(lines)
    if times is None:
        return (table + "\n\n**Run times: not measured in this checkout** (`results/notebook_times.json` is "
                "missing; `python benchmarks/notebook_times.py` writes it).")
    source = source or {}
    where = []
    if source.get("date"):
        where.append(f"on {source['date']}")
    else:
        dates = sorted({e.get(f"{s}_date") for e in source.get("notebooks", {}).values() for s in ("cold", "warm")}
                       - {None})
        if dates:
            where.append(f"on {dates[0]}" if len(dates) == 1 else f"between {dates[0]} and {dates[-1]}")
    if source.get("machine"):
        where.append(f"on {source['machine']}")
    if source.get("command"):
        where.append(f"with `{source['command']}`")
    text = table + "\n\n" + "Run times measured " + (" ".join(where) if where else "(no date or machine recorded)")
    text += (", at the reader's settings (the defaults of each `parameters` cell). Cold: with an empty cache, as on "
             "a first run, so the synthetic set is made and the fine-tuned runs that ship with synq_nb are loaded "
             "from the package; warm: with the cache filled, so everything is loaded.")
    cold = [(times.get(k) or {}).get("cold_s") for k, *_ in LESSONS]
    warm = [(times.get(k) or {}).get("warm_s") for k, *_ in LESSONS]
    if all(v is not None for v in cold + warm):
        text += (f" The whole course: {duration(sum(cold))} cold, {duration(sum(warm))} warm (each notebook run "
                 "alone with its own empty cache for the cold times; run in order, later notebooks reuse what "
                 "earlier ones cached).")
    else:
        missing = sum(v is None for v in cold + warm)
        text += f" No total for the whole course: {missing} of the {len(cold + warm)} times are not measured yet."
    return text


# ------------------------------------------------------------------ per-channel or per-tensor ranges
def rank_correlation(x, y) -> float:
    """Spearman's rank correlation of two sequences (ranks by order; ties are not expected for float data)."""
    rx = np.argsort(np.argsort(np.asarray(x, dtype=float)))
    ry = np.argsort(np.argsort(np.asarray(y, dtype=float)))
    return float(np.corrcoef(rx, ry)[0, 1])


def _association(rho: float, what: str) -> str:
    if rho >= 0.5:
        return f"the gain grows with {what} (rank correlation {signed(rho)})"
    if rho <= -0.5:
        return f"the gain shrinks as {what} grows (rank correlation {signed(rho)})"
    return f"{what} hardly predicts the gain (rank correlation {signed(rho)})"


def per_channel_reading(layer: str, n_channels: int, step_min: float, step_max: float, tensor_step: float,
                        mse_channel: float, mse_tensor: float, layers: list, bits: int = 4) -> str:
    """One layer's steps and errors, per channel against per tensor, then every layer's gain (``layers``: dicts
    with ``layer``, ``mse_ratio`` = per-tensor / per-channel error, ``step_spread`` = largest / smallest channel
    step, ``tensor_to_median`` = per-tensor step / median channel step)."""
    if mse_channel < mse_tensor:
        verdict = (f"per-channel ranges give a {num(mse_tensor / mse_channel)}x lower mean squared error "
                   f"({mse_channel:.2e} against {mse_tensor:.2e})")
    elif mse_channel > mse_tensor:
        verdict = (f"per-channel ranges give the higher mean squared error here ({mse_channel:.2e} against "
                   f"{mse_tensor:.2e}): a finer step does not guarantee a smaller error for every set of weights")
    else:
        verdict = f"both give the same mean squared error ({mse_channel:.2e})"
    text = (f"**Reading.** In `{layer}` ({n_channels} output channels), the per-channel steps run from "
            f"{step_min:.4f} to {step_max:.4f}, against one per-tensor step of {tensor_step:.4f}; at {bits} bits "
            f"{verdict}.")
    if layers:
        ratios = [r["mse_ratio"] for r in layers]
        better = sum(r > 1 for r in ratios)
        n = len(layers)
        best = max(layers, key=lambda r: r["mse_ratio"])
        worst = min(layers, key=lambda r: r["mse_ratio"])
        count = f"all {n}" if better == n else (f"none of the {n}" if better == 0 else f"{better} of the {n}")
        text += (f" Per-channel ranges give the lower error in {count} convolutions of the network (per-tensor "
                 f"error / per-channel error from {num(worst['mse_ratio'])} in `{worst['layer']}` to "
                 f"{num(best['mse_ratio'])} in `{best['layer']}`).")
        if n >= 3:
            spread = rank_correlation([r["step_spread"] for r in layers], ratios)
            typical = rank_correlation([r["tensor_to_median"] for r in layers], ratios)
            text += (" Which layers gain most? Across layers, "
                     + _association(spread, "the spread of the channel steps (largest / smallest step)") + "; "
                     + _association(typical, "how much wider the tensor's step is than a typical channel's "
                                             "(per-tensor step / median channel step)") + ".")
            if abs(spread) < 0.5 <= typical:
                text += (" The spread is a poor guide because a single near-empty channel makes it huge without "
                         "changing the error of the other channels; the second measure is what most channels lose "
                         "to a shared range.")
    return text


# ------------------------------------------------------------------ round-to-nearest at each bit-width
def rtn_verdict(drop: float) -> str:
    """Words for a drop in top-1 points: almost free / a loss short of a collapse / a collapse."""
    if drop <= ALMOST_FREE:
        return "almost free"
    if drop <= COLLAPSE:
        return "a loss, but not a collapse"
    return "a collapse"


def images(points: float, n_test: int) -> str:
    """A difference in top-1 points as a number of test images: ``0.03`` of 10,000 -> ``'3 of 10,000 images'``."""
    k = round(abs(points) * n_test / 100)
    return f"{k:,} of {n_test:,} image{'s' if n_test != 1 else ''}"


def level_tol(n_test: int) -> float:
    """How close two accuracies on ``n_test`` images must be to read as level: :data:`LEVEL` points, or two
    test images if that is more (0.2 points on 10,000 images, 0.4 on 500)."""
    return max(LEVEL, 200 / n_test) + 1e-9  # accuracies are multiples of 100 / n_test: float rounding aside


def rtn_reading(fp: float, acc: dict, bits_list, n_test: int, seed: int = 0) -> str:
    """Each bit-width's RTN accuracy and drop from full precision, for both calibration sources, and how much the
    source matters. ``acc``: {(bits, "Gaussian"): top-1, (bits, "real"): top-1}."""
    lines = [f"**Reading.** The full-precision teacher scores {num(fp)} % on {n_test:,} test images. Naive RTN:"]
    for b in sorted(bits_list, reverse=True):
        real, noise = acc[(b, "real")], acc[(b, "Gaussian")]
        d_real, d_noise = fp - real, fp - noise
        v_real, v_noise = rtn_verdict(d_real), rtn_verdict(d_noise)
        verdict = v_real if v_real == v_noise else f"{v_real} with real-image ranges, {v_noise} with noise ranges"
        lines.append(f"- **W{b}A{b}**: {num(real)} % with activation ranges from real images, {num(noise)} % from "
                     f"Gaussian noise (drops of {num(d_real)} and {num(d_noise)} points): {verdict}.")
    gaps = {b: acc[(b, "real")] - acc[(b, "Gaussian")] for b in bits_list}
    parts = []
    for b in sorted(bits_list, reverse=True):
        g = gaps[b]
        if g == 0:
            parts.append(f"identical at W{b}A{b}")
        elif abs(g) <= level_tol(n_test):
            who = "real-image ranges" if g > 0 else "noise ranges"
            parts.append(f"level at W{b}A{b} ({who} ahead by {num(abs(g))} points, {images(g, n_test)})")
        elif g > 0:
            parts.append(f"real-image ranges ahead by {num(g)} points at W{b}A{b}")
        else:
            parts.append(f"noise ranges ahead by {num(-g)} points at W{b}A{b}")
    top = max(gaps, key=lambda b: abs(gaps[b]))
    if abs(gaps[top]) <= level_tol(n_test):
        where = "The calibration source made no difference beyond a few images at any bit-width here: "
    else:
        where = f"The calibration source matters most at W{top}A{top}: "
    lines.append("")
    lines.append(where + "; ".join(parts) + f". (One draw of the noise, seed {seed}, and one set of calibration "
                 "images: another draw moves these numbers a little.)")
    return "\n".join(lines)


def ranges_reading(bits: int, hi_noise, hi_real, lo_noise=None, lo_real=None) -> str:
    """The calibrated activation ranges, noise against real images, over every activation quantizer."""
    lo_noise = lo_noise if lo_noise is not None else [0.0] * len(hi_noise)
    lo_real = lo_real if lo_real is not None else [0.0] * len(hi_real)
    w_noise = np.asarray(hi_noise, dtype=float) - np.asarray(lo_noise, dtype=float)
    w_real = np.asarray(hi_real, dtype=float) - np.asarray(lo_real, dtype=float)
    r = w_noise / w_real
    n, wider = len(r), int((r > 1).sum())
    if wider == n:
        count = f"a wider range than real images at all {n} activation quantizers"
    elif wider == 0:
        count = f"a narrower range than real images at all {n} activation quantizers"
    else:
        count = (f"a wider range than real images at {wider} of the {n} activation quantizers and a narrower one "
                 f"at {n - wider}")
    text = (f"**Reading.** At W{bits}A{bits}, Gaussian noise gives {count} (noise width / real width from "
            f"{num(r.min())} to {num(r.max())}, median {num(float(np.median(r)))}).")
    if wider:
        text += (f" Where the noise range is wider, the {2**bits} levels are spread over values that real images "
                 "rarely produce, so the step on real activations is coarser than it needs to be.")
    if wider < n:
        text += " Where it is narrower, real images' largest activations are clipped."
    last = "wider" if r[-1] > 1 else "narrower"
    text += (f" At the last quantizer, the one before the classifier, the noise range is {last} "
             f"({num(w_noise[-1])} against {num(w_real[-1])}).")
    return text


# ------------------------------------------------------------------ one channel's weights after rounding
def levels_reading(layer: str, channel: int, n_weights: int, levels: dict) -> str:
    """How one output channel's weights spread over the levels after RTN. ``levels``: {bits: {"distinct": int,
    "at_zero": share on the level 0, "top2": share on the two most used levels}}."""
    parts = [f"{b}-bit RTN keeps {levels[b]['distinct']} distinct values (at most {2**b}) and puts "
             f"{num(100 * levels[b]['at_zero'], 1)} % of the weights on zero" for b in sorted(levels, reverse=True)]
    low = min(levels)
    top2 = levels[low]["top2"]
    if top2 > 0.5:
        end = (f"At {low} bits, {num(100 * top2, 1)} % of the weights share the two most used levels: most of the "
               "fine differences between small weights, which the network learned, are gone.")
    else:
        end = (f"At {low} bits, the two most used levels hold {num(100 * top2, 1)} % of the weights: fewer than "
               "half, so most weights still differ from their neighbours after rounding.")
    return (f"**Reading.** In output channel {channel} of `{layer}` ({n_weights} weights), " + "; ".join(parts)
            + ". " + end)


# ------------------------------------------------------------------ the straight-through estimators
def _share_words(share: float, expected: float | None = None, where: str = "") -> str:
    if share == 0:
        return "gradient 1 to none of them (share 0.00): no gradient reaches the input"
    if share == 1:
        return "gradient 1 to every one of them (share 1.00)"
    text = f"gradient 1 to a share of {num(share)} and 0 to the rest"
    if expected is not None:
        agree = "as expected" if abs(share - expected) <= 0.01 else "not the expected"
        text += f"; {where} is a share of {num(expected)} of the inputs, {agree}"
    return text


def ste_reading(shares: dict, n_inputs: int, t_lo: float, t_hi: float, act_lo: float, act_hi: float,
                act_step: float) -> str:
    """The printed shares of inputs with gradient 1 for plain rounding, the weight STE and the clipped STE
    (``shares``: {"round": ..., "weight": ..., "act": ...})."""
    band_lo, band_hi = act_lo - act_step / 2, act_hi + act_step / 2
    expected = (min(band_hi, t_hi) - max(band_lo, t_lo)) / (t_hi - t_lo)
    where = (f"the range [{num(act_lo)}, {num(act_hi)}] widened by half a step ({num(act_step / 2)}) on each side, "
             f"[{num(band_lo)}, {num(band_hi)}], covers {num(band_hi - band_lo)} of the {num(t_hi - t_lo)} units "
             "the inputs span, which")
    return (f"**Reading.** Of the {n_inputs} inputs from {num(t_lo)} to {num(t_hi)}, plain rounding passes "
            f"{_share_words(shares['round'])}. The weight quantizer's STE passes {_share_words(shares['weight'])}. "
            f"The activation quantizer's clipped STE passes {_share_words(shares['act'], expected, where)}.")


# ------------------------------------------------------------------ model size
def size_reading(size_fp_bits: int, size_bits: dict, n_weights: int) -> str:
    """Measured compression against the ideal 32/B, and the share of the quantized model that is overhead
    (scales, zero points, 32-bit BatchNorm parameters and biases). ``size_bits``: {bits: model size in bits}."""
    parts, shares = [], {}
    for b in sorted(size_bits, reverse=True):
        c, ideal = size_fp_bits / size_bits[b], 32 / b
        shares[b] = (size_bits[b] - b * n_weights) / size_bits[b]
        parts.append(f"W{b} {num(c)}x of an ideal {num(ideal)}x ({num(100 * c / ideal, 1)} %)")
    worst = min(size_fp_bits / size_bits[b] / (32 / b) for b in size_bits)
    closeness = ("close to the ideal at every bit-width" if worst >= 0.9
                 else "well below the ideal at the lowest bit-widths")
    overhead = ", ".join(f"{num(100 * shares[b], 1)} % of the W{b} model" for b in sorted(size_bits, reverse=True))
    return (f"**Reading.** Measured compression: {'; '.join(parts)}: {closeness}. The overhead costs the same bits at "
            f"every bit-width, so its share grows as the weights shrink: {overhead}. With {n_weights:,} weights, "
            "the network is small enough for that overhead to show.")


def size_breakdown_reading(weights_bits: int, scales_bits: int, other_bits: int, bits: int = 4) -> str:
    """Exercise 4: where the W4 model's bits go, and which part of the overhead is largest."""
    total = weights_bits + scales_bits + other_bits
    pct = lambda v: num(100 * v / total, 1)  # noqa: E731
    text = (f"**Reading.** Of the W{bits} model's {total:,} bits, the {bits}-bit weights take {weights_bits:,} "
            f"({pct(weights_bits)} %), the scales and zero points {scales_bits:,} ({pct(scales_bits)} %), the other "
            f"32-bit parameters {other_bits:,} ({pct(other_bits)} %). ")
    if scales_bits == other_bits:
        return text + "The two overheads are exactly equal."
    big, small = ("the scales and zero points", "the other parameters") if scales_bits > other_bits else \
        ("the other 32-bit parameters", "the scales and zero points")
    diff = abs(scales_bits - other_bits)
    close = "nearly equal" if diff < 0.1 * min(scales_bits, other_bits) else "clearly apart"
    return text + (f"The larger overhead is {big}, ahead of {small} by {diff:,} bits: the two are {close}.")


# ------------------------------------------------------------------ exercise 3: weights or activations
def mixed_reading(fp: float, mixed: dict, n_test: int = 10_000) -> str:
    """Exercise 3: 4-bit weights (W4A8) against 4-bit activations (W8A4), and both (W4A4) against their sum."""
    tol = level_tol(n_test)
    d_w, d_a = fp - mixed["W4A8"], fp - mixed["W8A4"]
    text = (f"**Reading.** With activation ranges from real images, W4A8 scores {num(mixed['W4A8'])} % "
            f"({num(d_w)} points below full precision, {num(fp)} %) and W8A4 {num(mixed['W8A4'])} % ({num(d_a)} "
            "points below). ")
    if abs(d_a - d_w) <= tol:
        text += (f"In this run 4-bit weights and 4-bit activations cost the same, within {num(tol)} points "
                 f"({images(tol, n_test)}).")
    elif d_a > d_w:
        text += (f"In this run 4-bit activations cost {num(d_a - d_w)} points more than 4-bit weights: the "
                 "activations are the harder half.")
    else:
        text += (f"In this run 4-bit weights cost {num(d_w - d_a)} points more than 4-bit activations: the weights "
                 "are the harder half.")
    if "W4A4" in mixed:
        d_both, added = fp - mixed["W4A4"], d_w + d_a
        if abs(d_both - added) <= 0.5:
            how, end = "about", ""
        elif d_both > added:
            how, end = "more than", ": the two errors compound"
        else:
            how, end = "less than", ": the two errors partly overlap"
        text += (f" Both at 4 bits (W4A4, {num(mixed['W4A4'])} %) lose {num(d_both)} points, {how} the two separate "
                 f"losses added ({num(added)}){end}.")
    return text


# ------------------------------------------------------------------ summary
def summary(fp: float, acc: dict, bits_list, compression: dict) -> str:
    """The summary's lines about this run's numbers: RTN at each bit-width, and the size at 4 bits."""
    parts = []
    for b in sorted(bits_list, reverse=True):
        d_real, d_noise = fp - acc[(b, "real")], fp - acc[(b, "Gaussian")]
        parts.append(f"{rtn_verdict(max(d_real, d_noise))} at W{b}A{b} ({num(d_real)} points lost with real-image "
                     f"ranges, {num(d_noise)} with noise ranges)")
    names = lambda bs: ", ".join(f"W{b}A{b}" for b in sorted(bs, reverse=True))  # noqa: E731
    collapsed_real = [b for b in bits_list if fp - acc[(b, "real")] > COLLAPSE]
    collapsed_noise = [b for b in bits_list if fp - acc[(b, "Gaussian")] > COLLAPSE]
    if collapsed_real:
        tail = (f"at {names(collapsed_real)} rounding alone is not enough, even with real calibration images: the "
                "quantized network must be fine-tuned, in zero-shot quantization on synthetic images (notebooks 01 "
                "to 05).")
    elif collapsed_noise:
        tail = (f"at {names(collapsed_noise)} rounding alone is not enough without data (noise ranges collapse, "
                "real-image ranges do not): zero-shot quantization needs better images than noise (notebook 01) "
                "and fine-tuning (notebook 05).")
    else:
        tail = ("rounding alone kept the network above a collapse at every bit-width tried here; fine-tuning "
                "(notebooks 01 to 05) is for the points still lost.")
    lines = [f"- In this run (full precision {num(fp)} %), naive RTN was " + "; ".join(parts) + ". So " + tail]
    if 4 in compression:
        lines.append(f"- 4-bit weights made the model {num(compression[4])}x smaller, against an ideal 8x: scales, "
                     "zero points and BatchNorm cost the rest.")
    return "\n".join(lines)
