"""Figures for the notebooks: plain tensors in, a matplotlib ``Figure`` out (nothing is shown or saved
here), plus the few small measurements the figures plot (BN input statistics, radial spectra,
error rate by difficulty). Images are expected normalised like the teacher's input; pass the
teacher's ``mean``/``std`` to show them in pixel space.
"""
from __future__ import annotations

import math

import matplotlib

import numpy as np
import torch
import torch.nn as nn
from matplotlib.figure import Figure

from .data import denormalize
from .filtering import high_frequency_energy, low_pass_filter, lowpass_mask, power_spectrum, radial_profile
from .quantization import quantize_weight


def _figure(w: float, h: float) -> Figure:
    """A figure managed by pyplot when a backend is active (so notebooks show it inline)."""
    import matplotlib.pyplot as plt

    return plt.figure(figsize=(w, h), layout="constrained")


def close(fig: Figure):
    import matplotlib.pyplot as plt

    plt.close(fig)


def to_pixels(images: torch.Tensor, mean=None, std=None) -> np.ndarray:
    """N x C x H x W (normalised) -> N x H x W x C floats in [0, 1]."""
    x = images.detach().float().cpu()
    if x.dim() == 3:
        x = x[None]
    if mean is not None:
        x = denormalize(x, mean, std)
    else:
        lo = x.amin(dim=(1, 2, 3), keepdim=True)
        hi = x.amax(dim=(1, 2, 3), keepdim=True)
        x = (x - lo) / (hi - lo).clamp(min=1e-8)
    return x.permute(0, 2, 3, 1).numpy()


def _off(ax):
    ax.set_xticks([]), ax.set_yticks([])


# ------------------------------------------------------------------ images, weights, bars
def image_grid(images, labels, classes, mean=None, std=None, per_class: int = 4, title: str | None = None,
               max_classes: int = 10) -> Figure:
    """``per_class`` images of each of the first ``max_classes`` classes, one row per class."""
    labels = torch.as_tensor(labels).cpu()
    shown = [c for c in range(len(classes)) if (labels == c).any()][:max_classes]
    if not shown:
        raise ValueError("no image has a label in range: nothing to show")
    fig = _figure(0.62 * per_class + 1.3, 0.62 * len(shown) + 0.4)
    axes = fig.subplots(len(shown), per_class, squeeze=False)
    for r, c in enumerate(shown):
        idx = torch.nonzero(labels == c)[:per_class, 0]
        pix = to_pixels(images[idx], mean, std)
        for k in range(per_class):
            ax = axes[r, k]
            _off(ax)
            if k < len(pix):
                ax.imshow(pix[k], interpolation="nearest")
            if k == 0:
                ax.set_ylabel(classes[c], rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    return fig


def weight_histogram(weight: torch.Tensor, bits_list=(8, 4, 3), title: str = "weights", channel: int | None = None) -> Figure:
    """Histogram of full-precision weights and, per bit-width, of their round-to-nearest values
    (per-channel min/max, as the quantizer does). ``channel``: one output channel only."""
    w = weight.detach().float().cpu()
    fig = _figure(3.2 * (len(bits_list) + 1), 2.8)
    axes = fig.subplots(1, len(bits_list) + 1, sharex=True)
    sel = (lambda t: t[channel].flatten()) if channel is not None else (lambda t: t.flatten())
    bins = np.linspace(float(sel(w).min()), float(sel(w).max()), 80)
    axes[0].hist(sel(w).numpy(), bins=bins, color="tab:blue")
    axes[0].set_title(f"full precision ({len(torch.unique(sel(w)))} values)")
    axes[0].set_ylabel("count")
    for ax, bits in zip(axes[1:], bits_list):
        q = sel(quantize_weight(w, bits)).numpy()
        ax.hist(sel(w).numpy(), bins=bins, color="tab:blue", alpha=0.25, label="FP")
        vals, counts = np.unique(q, return_counts=True)
        ax.bar(vals, counts, width=(bins[1] - bins[0]) * 1.2, color="tab:red", label=f"{bits}-bit")
        ax.set_title(f"{bits}-bit RTN ({len(vals)} distinct values)")
        ax.legend(loc="upper right", fontsize="small")
    for ax in axes:
        ax.set_xlabel("weight value")
    fig.suptitle(title + (f", output channel {channel}" if channel is not None else ""))
    return fig


def bar_chart(values: dict, ylabel: str = "top-1 accuracy (%)", title: str = "", reference: dict | None = None,
              ylim=None, fmt: str = "{:.1f}") -> Figure:
    """Bars with their values written on top; ``reference``: horizontal lines {label: value}."""
    names, vals = list(values), [float(v) for v in values.values()]
    fig = _figure(max(4.0, 1.1 * len(names) + 1.5), 3.4)
    ax = fig.subplots()
    colors = matplotlib.colormaps["tab10"](np.arange(len(names)) % 10)
    bars = ax.bar(range(len(names)), vals, color=colors)
    for b, v in zip(bars, vals):
        ax.annotate(fmt.format(v), (b.get_x() + b.get_width() / 2, v), ha="center", va="bottom", fontsize="small")
    for i, (label, v) in enumerate((reference or {}).items()):
        ax.axhline(v, ls="--", color=f"C{(i + 3) % 10}", lw=1, label=f"{label} ({fmt.format(v)})")
    if reference:
        ax.legend(loc="lower right", fontsize="small")
    ax.set_xticks(range(len(names)), names, rotation=20 if max(map(len, names)) > 8 else 0, ha="right" if max(map(len, names)) > 8 else "center")
    ax.set_ylabel(ylabel)
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title(title)
    return fig


def markdown_table(rows: list, columns: list | None = None, floatfmt: str = "{:.2f}") -> str:
    """A list of dicts as a Markdown table (for ``IPython.display.Markdown``)."""
    columns = columns or list(rows[0])
    fmt = lambda v: floatfmt.format(v) if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


# ------------------------------------------------------------------ synthesis and BN statistics
def synthesis_history(history: dict, title: str = "synthesis") -> Figure:
    """BN-statistics loss, inception loss and the teacher's confidence per optimisation step."""
    fig = _figure(11, 3)
    ax1, ax2, ax3 = fig.subplots(1, 3)
    it = np.arange(1, len(history["bns"]) + 1)
    ax1.semilogy(it, history["bns"], color="tab:blue")
    ax1.set(title="BN-statistics loss $L_{BNS}$", xlabel="iteration", ylabel="loss (log scale)")
    ax2.plot(it, history["il"], color="tab:orange")
    ax2.set(title="inception loss $L_{IL}$ (hard-sample CE)", xlabel="iteration", ylabel="loss")
    ax3.plot(it, history["confidence"], label="mean $p_{teacher}(y)$", color="tab:green")
    ax3.plot(it, history["accuracy"], label="teacher predicts y", color="tab:red", ls="--")
    ax3.set(title="teacher on the synthetic images", xlabel="iteration", ylabel="fraction", ylim=(-0.02, 1.02))
    ax3.legend(loc="lower right", fontsize="small")
    fig.suptitle(title)
    return fig


@torch.no_grad()
def bn_input_stats(model: nn.Module, images: torch.Tensor, batch_size: int = 256) -> list:
    """Per BatchNorm2d layer: the mean and (biased) variance of its input over (N, H, W) for
    ``images``, next to the layer's running statistics. A list of dicts (name, mean, var,
    running_mean, running_var), tensors on CPU."""
    bns = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    sums = {n: [0.0, 0.0, 0] for n, _ in bns}

    def hook(name):
        def fn(_m, inputs):
            x = inputs[0].detach().double()
            s = sums[name]
            s[0] = s[0] + x.sum(dim=(0, 2, 3))
            s[1] = s[1] + (x * x).sum(dim=(0, 2, 3))
            s[2] += x.shape[0] * x.shape[2] * x.shape[3]
        return fn

    handles = [m.register_forward_pre_hook(hook(n)) for n, m in bns]
    device = next(model.parameters()).device
    try:
        for i in range(0, len(images), batch_size):
            model(images[i:i + batch_size].to(device))
    finally:
        for h in handles:
            h.remove()
    out = []
    for n, m in bns:
        s1, s2, k = sums[n]
        mean = s1 / k
        var = s2 / k - mean**2
        out.append(dict(name=n, mean=mean.float().cpu(), var=var.float().cpu(),
                        running_mean=m.running_mean.float().cpu(), running_var=m.running_var.float().cpu()))
    return out


def bn_stats_error(stats: list) -> dict:
    """Per layer, the MSE of the batch mean and variance against the running statistics."""
    return dict(names=[s["name"] for s in stats],
                mean=np.array([float(((s["mean"] - s["running_mean"]) ** 2).mean()) for s in stats]),
                var=np.array([float(((s["var"] - s["running_var"]) ** 2).mean()) for s in stats]))


def bn_statistics_figure(stats_by_source: dict, layer: int = -1, title: str = "BatchNorm input statistics") -> Figure:
    """Left two panels: per layer, the MSE of the input mean / variance against the running statistics,
    for each image source ({"noise": stats, "synthetic": stats, "real": stats}). Right two: per channel
    of one layer, batch statistic against the running one (on the diagonal = matched)."""
    fig = _figure(14, 3.4)
    axes = fig.subplots(1, 4)
    for i, (src, stats) in enumerate(stats_by_source.items()):
        err = bn_stats_error(stats)
        x = np.arange(len(err["names"]))
        axes[0].semilogy(x, err["mean"], marker="o", ms=3, label=src, color=f"C{i}")
        axes[1].semilogy(x, err["var"], marker="o", ms=3, label=src, color=f"C{i}")
        s = stats[layer]
        axes[2].scatter(s["running_mean"], s["mean"], s=8, alpha=0.7, label=src, color=f"C{i}")
        axes[3].scatter(s["running_var"], s["var"], s=8, alpha=0.7, label=src, color=f"C{i}")
    for ax, what in zip(axes[:2], ("mean", "variance")):
        ax.set(xlabel="BatchNorm layer (input side, in network order)", ylabel=f"MSE of {what} vs running {what}",
               title=f"per-layer {what} error")
        ax.legend(fontsize="small")
    name = next(iter(stats_by_source.values()))[layer]["name"]
    for ax, what in zip(axes[2:], ("mean", "var")):
        lo = min(min(float(s[layer][what].min()), float(s[layer]["running_" + what].min())) for s in stats_by_source.values())
        hi = max(max(float(s[layer][what].max()), float(s[layer]["running_" + what].max())) for s in stats_by_source.values())
        ax.plot([lo, hi], [lo, hi], color="gray", lw=1, ls="--")
        ax.set(xlabel=f"running {what}", ylabel=f"batch {what}", title=f"{name}: per channel {what}")
        ax.legend(fontsize="small")
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ frequency
def radial_energy(images: torch.Tensor):
    """(radius, mean power at that radius) of the batch's centred power spectrum (DC removed)."""
    r, v = radial_profile(power_spectrum(images, log=False))
    return r.numpy(), v.numpy()


def spectra_figure(images_by_name: dict, radius: float | None = None, title: str = "power spectra") -> Figure:
    """One log power spectrum per image set, and their radial energy profiles (each normalised to
    total energy 1, so the shapes compare); ``radius`` marks the high-frequency band."""
    n = len(images_by_name)
    fig = _figure(2.8 * n + 4.2, 3.0)
    axes = fig.subplots(1, n + 1, width_ratios=[1] * n + [1.6])
    for i, (name, x) in enumerate(images_by_name.items()):
        p = power_spectrum(x, log=True).cpu().numpy()
        c = p.shape[0] // 2, p.shape[1] // 2
        rest = np.delete(p.flatten(), c[0] * p.shape[1] + c[1])  # the removed DC term would set the scale
        im = axes[i].imshow(p, cmap="magma", vmin=float(rest.min()), vmax=float(rest.max()))
        fig.colorbar(im, ax=axes[i], shrink=0.8, label="log10 power")
        _off(axes[i])
        label = name
        if radius is not None:
            label += f"\nHF energy (D > {radius:g}): {100 * high_frequency_energy(x, radius):.1f}%"
        axes[i].set_title(label, fontsize="small")
        r, v = radial_energy(x)
        axes[n].semilogy(r[1:], v[1:] / v.sum(), marker=".", label=name, color=f"C{i}")  # r = 0: the removed DC
    if radius is not None:
        axes[n].axvspan(radius, axes[n].get_xlim()[1], color="gray", alpha=0.15, label=f"high frequencies (D > {radius:g})")
    axes[n].set(xlabel="distance D from the spectrum centre", ylabel="share of energy (log)", title="radial energy profile")
    axes[n].legend(fontsize="small")
    fig.suptitle(title)
    return fig


def filter_masks_figure(d0s, size: int = 32, kind: str = "gaussian") -> Figure:
    """The low-pass transfer function G for each d0: as an image, and along a ray from the centre."""
    fig = _figure(2.2 * len(d0s) + 3.8, 2.6)
    axes = fig.subplots(1, len(d0s) + 1, width_ratios=[1] * len(d0s) + [1.8])
    dmax = math.hypot(size // 2, size // 2)
    d = np.linspace(0, dmax, 200)
    for i, d0 in enumerate(d0s):
        g = lowpass_mask(size, size, d0, kind).numpy()
        axes[i].imshow(g, cmap="gray", vmin=0, vmax=1)
        axes[i].set_title(f"d0 = {d0:g}")
        _off(axes[i])
        curve = np.exp(-d**2 / (2 * d0**2)) if kind == "gaussian" else (d <= d0).astype(float)
        axes[-1].plot(d, curve, label=f"d0 = {d0:g}", color=f"C{i}")
    axes[-1].axvline(dmax, color="gray", ls=":", lw=1, label=f"corner (D = {dmax:.1f})")
    axes[-1].set(xlabel="distance D from the centre", ylabel="gain G", title="G(D) = exp(-D²/(2 d0²))", ylim=(0, 1.05))
    axes[-1].legend(fontsize="x-small")
    fig.suptitle(f"{kind} low-pass filters on {size} x {size} spectra")
    return fig


def filtered_images_figure(images, d0s, mean=None, std=None, labels=None, classes=None,
                           title: str = "low-pass filtered synthetic images") -> Figure:
    """Rows: images; columns: the original, then filtered with each d0."""
    n = len(images)
    fig = _figure(0.8 * (len(d0s) + 1) + 0.8, 0.8 * n + 0.5)
    axes = fig.subplots(n, len(d0s) + 1, squeeze=False)
    cols = [("original", images)] + [(f"d0 = {d0:g}", low_pass_filter(images, d0)) for d0 in d0s]
    for j, (name, x) in enumerate(cols):
        pix = to_pixels(x, mean, std)
        for i in range(n):
            axes[i, j].imshow(pix[i], interpolation="nearest")
            _off(axes[i, j])
            if i == 0:
                axes[i, j].set_title(name, fontsize="small")
            if j == 0 and labels is not None and classes is not None:
                axes[i, j].set_ylabel(classes[int(labels[i])], rotation=0, ha="right", va="center")
    fig.suptitle(title)
    return fig


def filter_view(image: torch.Tensor, d0: float, mean=None, std=None, radius: float = 8.0, label: str | None = None):
    """One image before and after the low-pass filter, with both power spectra.

    Returns ``(figure, info)``; ``info`` holds d0 and the high-frequency energy share (D > radius)
    before and after filtering."""
    x = image if image.dim() == 4 else image[None]
    xf = low_pass_filter(x, d0)
    info = dict(d0=float(d0), hf_before=high_frequency_energy(x, radius), hf_after=high_frequency_energy(xf, radius))
    fig = _figure(10, 2.8)
    axes = fig.subplots(1, 4)
    pix = to_pixels(torch.cat([x, xf]), mean, std)
    axes[0].imshow(pix[0], interpolation="nearest")
    axes[0].set_title("original" + (f" ({label})" if label else ""))
    axes[1].imshow(pix[1], interpolation="nearest")
    axes[1].set_title(f"filtered, d0 = {d0:g}")
    spec = [power_spectrum(t, log=True).numpy() for t in (x, xf)]
    hi = max(s.max() for s in spec)
    lo = min(np.sort(s.flatten())[1] for s in spec)  # skip the removed DC term
    for ax, s, hf in zip(axes[2:], spec, (info["hf_before"], info["hf_after"])):
        ax.imshow(s, cmap="magma", vmin=max(lo, hi - 8), vmax=hi)
        ax.set_title(f"log power; HF (D>{radius:g}) {100 * hf:.1f}%", fontsize="small")
    for ax in axes:
        _off(ax)
    return fig, info


def d0_sweep_figure(d0s, accuracy, confidence, hf_energy=None, title: str = "teacher on filtered synthetic images") -> Figure:
    """The teacher's accuracy (on the assigned labels) and mean confidence p(y) against d0 ("inf" = unfiltered)."""
    labels = [("none" if (d is None or d == float("inf")) else f"{d:g}") for d in d0s]
    x = np.arange(len(labels))
    fig = _figure(9 if hf_energy is not None else 5.5, 3.2)
    axes = fig.subplots(1, 2 if hf_energy is not None else 1, squeeze=False)[0]
    axes[0].plot(x, 100 * np.asarray(accuracy, float), marker="o", label="accuracy on assigned labels (%)")
    axes[0].plot(x, 100 * np.asarray(confidence, float), marker="s", label="mean p_teacher(y) (%)")
    axes[0].set_xticks(x, labels)
    axes[0].set(xlabel="filter d0 (smaller = stronger low-pass)", ylabel="%", title=title, ylim=(-2, 102))
    axes[0].legend(fontsize="small", loc="lower right")
    if hf_energy is not None:
        axes[1].plot(x, 100 * np.asarray(hf_energy, float), marker="o", color="tab:purple")
        axes[1].set_xticks(x, labels)
        axes[1].set(xlabel="filter d0", ylabel="% of spectral energy", title="high-frequency energy left")
    return fig


# ------------------------------------------------------------------ Grad-CAM
def cam_overlay_figure(images, maps_by_row: dict, mean=None, std=None, col_titles=None, title: str = "Grad-CAM",
                       row_notes: dict | None = None) -> Figure:
    """Rows: the images, then each model's Grad-CAM maps (N x H x W) over the images; columns: images."""
    n = len(images)
    rows = 1 + len(maps_by_row)
    fig = _figure(1.0 * n + 1.6, 1.0 * rows + 0.5)
    axes = fig.subplots(rows, n, squeeze=False)
    pix = to_pixels(images, mean, std)
    for j in range(n):
        axes[0, j].imshow(pix[j], interpolation="nearest")
        if col_titles:
            axes[0, j].set_title(col_titles[j], fontsize="small")
    axes[0, 0].set_ylabel("image", rotation=0, ha="right", va="center")
    for i, (name, maps) in enumerate(maps_by_row.items(), start=1):
        m = maps.detach().float().cpu()
        m = (m - m.flatten(1).min(1).values[:, None, None]) / (m.flatten(1).max(1).values - m.flatten(1).min(1).values).clamp(min=1e-8)[:, None, None]
        for j in range(n):
            axes[i, j].imshow(pix[j], interpolation="nearest")
            axes[i, j].imshow(m[j].numpy(), cmap="jet", alpha=0.45, vmin=0, vmax=1, interpolation="bilinear")
        label = name + (f"\n{row_notes[name]}" if row_notes and name in row_notes else "")
        axes[i, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize="small")
    for ax in axes.flat:
        _off(ax)
    fig.suptitle(title)
    return fig


# ------------------------------------------------------------------ difficulty
def error_rate_by_difficulty(delta, wrong, bins=10):
    """Bin the difficulty delta in [0, 1] and return (edges, error rate per bin (nan if empty), counts)."""
    delta = torch.as_tensor(delta).float().cpu().numpy()
    wrong = torch.as_tensor(wrong).float().cpu().numpy()
    edges = np.linspace(0, 1, bins + 1) if np.isscalar(bins) else np.asarray(bins, float)
    which = np.clip(np.digitize(delta, edges[1:-1]), 0, len(edges) - 2)
    counts = np.bincount(which, minlength=len(edges) - 1)
    errors = np.bincount(which, weights=wrong, minlength=len(edges) - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(counts > 0, errors / np.maximum(counts, 1), np.nan)
    return edges, rate, counts


def difficulty_figure(delta, wrong, bins: int = 10, tau: float | None = None,
                      title: str = "difficulty of the synthetic images") -> Figure:
    """Left: histogram of delta = 1 - p_teacher(y). Right: the teacher's error rate (argmax != y) per
    difficulty bin (the paper's Fig. 3), with the sample count on each bar."""
    edges, rate, counts = error_rate_by_difficulty(delta, wrong, bins)
    d = torch.as_tensor(delta).float().cpu().numpy()
    fig = _figure(10, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.hist(d, bins=edges, color="tab:blue", edgecolor="white")
    ax1.set_yscale("log")
    ax1.set(xlabel="difficulty δ = 1 - p_teacher(y)", ylabel="images (log scale)", title="distribution of δ")
    centers = (edges[:-1] + edges[1:]) / 2
    ax2.bar(centers, 100 * np.nan_to_num(rate), width=np.diff(edges) * 0.9, color="tab:red")
    for c, r, k in zip(centers, rate, counts):
        if k:
            ax2.annotate(f"n={k}", (c, 100 * r), ha="center", va="bottom", fontsize="x-small")
    ax2.set(xlabel="difficulty δ", ylabel="teacher's error rate (%)", title="teacher's label is wrong (argmax ≠ y)",
            ylim=(0, 105), xlim=(0, 1))
    if tau is not None:
        for ax in (ax1, ax2):
            ax.axvline(tau, color="k", ls="--", lw=1, label=f"τ = {tau:g}")
        ax2.legend(fontsize="small", loc="upper left")
    fig.suptitle(title)
    return fig


def tau_view(delta, tau: float, images=None, labels=None, classes=None, mean=None, std=None, n_examples: int = 8):
    """Which samples get the hard-label CE at threshold ``tau`` (delta <= tau) and which learn from the
    teacher's soft labels only. Returns ``(figure, info)`` with the mask and the hard fraction."""
    d = torch.as_tensor(delta).float().cpu()
    hard = d <= tau
    info = dict(tau=float(tau), hard_mask=hard, hard_fraction=float(hard.float().mean()), n_soft_only=int((~hard).sum()))
    show = images is not None
    fig = _figure(10, 4.6 if show else 3)
    if show:
        gs = fig.add_gridspec(2, n_examples, height_ratios=[2.2, 1])
        ax = fig.add_subplot(gs[0, :])
    else:
        ax = fig.subplots()
    bins = np.linspace(0, 1, 41)
    ax.hist(d[hard].numpy(), bins=bins, color="tab:green", label=f"δ ≤ τ: KD + CE ({100 * info['hard_fraction']:.1f}%)")
    ax.hist(d[~hard].numpy(), bins=bins, color="tab:orange", label=f"δ > τ: KD only ({100 - 100 * info['hard_fraction']:.1f}%)")
    ax.axvline(tau, color="k", ls="--")
    ax.set_yscale("log")
    ax.set(xlabel="difficulty δ = 1 - p_teacher(y)", ylabel="images (log)", title=f"τ = {tau:.2f}")
    ax.legend(fontsize="small")
    if show:
        order = torch.argsort(d)
        picks = order[torch.linspace(0, len(order) - 1, n_examples).round().long()]
        pix = to_pixels(images[picks], mean, std)
        for k, i in enumerate(picks.tolist()):
            a = fig.add_subplot(gs[1, k])
            a.imshow(pix[k], interpolation="nearest")
            _off(a)
            cname = classes[int(labels[i])] if classes is not None and labels is not None else ""
            a.set_title(f"{cname}\nδ={float(d[i]):.2f} {'CE' if hard[i] else 'soft'}", fontsize="x-small",
                        color="tab:green" if hard[i] else "tab:orange")
    return fig, info


# ------------------------------------------------------------------ fine-tuning and evaluation
def training_curves(history: dict, rtn: float | None = None, fp: float | None = None, title: str = "fine-tuning") -> Figure:
    """Loss terms per epoch (and per iteration if recorded) and top-1 per evaluated epoch, with the
    RTN and full-precision accuracies as reference lines."""
    fig = _figure(11, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    ep = np.asarray(history.get("epoch", []))
    if history.get("iter_loss"):
        il = np.asarray(history["iter_loss"])
        n_per = max(1, len(il) // max(1, len(ep)))
        ax1.plot(np.arange(1, len(il) + 1) / n_per, il, color="lightgray", lw=0.6, label="total (per iteration)")
    for k, style in (("loss", "-"), ("kd", "--"), ("ce", ":"), ("cam", "-.")):
        if k in history and len(history[k]) and any(v for v in history[k]):
            ax1.plot(ep, history[k], style, marker="o", ms=3, label={"loss": "total", "kd": "KD (KL)", "ce": "CE (easy samples)", "cam": "CAM"}[k])
    ax1.set(xlabel="epoch", ylabel="loss (epoch mean)", title="loss terms")
    ax1.set_yscale("log")
    ax1.legend(fontsize="small")
    pts = [(e, a) for e, a in zip(ep, history.get("top1", [])) if a is not None]
    if pts:
        ax2.plot(*zip(*pts), marker="o", label="quantized student")
    if rtn is not None:
        ax2.axhline(rtn, color="tab:red", ls="--", label=f"RTN before fine-tuning ({rtn:.2f})")
    if fp is not None:
        ax2.axhline(fp, color="tab:green", ls=":", label=f"full precision ({fp:.2f})")
    ax2.set(xlabel="epoch", ylabel="test top-1 (%)", title="test accuracy")
    ax2.legend(fontsize="small", loc="lower right")
    fig.suptitle(title)
    return fig


class LiveCurves:
    """``on_epoch`` callback for :func:`synq_nb.run_experiment`: redraws :func:`training_curves` in
    place in a notebook after every epoch (prints a line elsewhere)."""

    def __init__(self, rtn: float | None = None, fp: float | None = None, title: str = "fine-tuning (live)"):
        self.rtn, self.fp, self.title = rtn, fp, title
        self.handle = None
        self.calls = 0

    def __call__(self, history: dict):
        self.calls += 1
        fig = training_curves(history, self.rtn, self.fp, self.title)
        try:
            from IPython import get_ipython
            from IPython.display import display

            if get_ipython() is None:
                raise ImportError
            if self.handle is None:
                self.handle = display(fig, display_id=True)
            else:
                self.handle.update(fig)
        except ImportError:
            top1 = history["top1"][-1]
            print(f"epoch {history['epoch'][-1]}: loss {history['loss'][-1]:.4f}" + (f", top-1 {top1:.2f}" if top1 is not None else ""))
        close(fig)


def per_class_figure(acc_by_model: dict, classes, title: str = "per-class test accuracy") -> Figure:
    """Grouped bars: per class, the accuracy of each model."""
    names = list(acc_by_model)
    k = len(names)
    x = np.arange(len(classes))
    fig = _figure(max(7.0, 0.75 * len(classes) + 2), 3.4)
    ax = fig.subplots()
    width = 0.8 / k
    for i, n in enumerate(names):
        ax.bar(x + (i - (k - 1) / 2) * width, torch.as_tensor(acc_by_model[n]).float().numpy(), width, label=n)
    ax.set_xticks(x, classes, rotation=30, ha="right")
    ax.set(ylabel="top-1 (%)", title=title, ylim=(0, 105))
    ax.legend(fontsize="x-small", ncols=min(k, 3), loc="lower right")
    return fig


# ---- lesson figures for notebooks 00-01 (add new functions right below this line) ----


# ---- lesson figures for notebooks 02-03 (add new functions right below this line) ----


# ---- lesson figures for notebooks 04-05 (add new functions right below this line) ----


# ---- lesson figures for notebooks 06-07 (add new functions right below this line) ----
