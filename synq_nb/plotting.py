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


def rtn_final_figure(rtn: dict, final: dict, reference: dict | None = None, title: str = "",
                     ylabel: str = "top-1 accuracy (%)") -> Figure:
    """One column per run: an open marker at its RTN accuracy (before fine-tuning), a filled one at its final
    accuracy, an arrow from the first to the second, the final value written beside it; ``reference``: dashed
    horizontal lines {label: value}. The y-axis starts at 0, so heights compare as ratios; the legend sits outside."""
    names = list(final)
    fig = _figure(max(5.0, 1.2 * len(names) + 3.0), 3.6)
    ax = fig.subplots()
    x = np.arange(len(names))
    ax.scatter(x, [rtn[n] for n in names], facecolors="none", edgecolors="0.3", s=45, zorder=3, label="RTN (before fine-tuning)")
    ax.scatter(x, [final[n] for n in names], color="C0", s=45, zorder=4, label="final (after fine-tuning)")
    for i, n in enumerate(names):
        if abs(final[n] - rtn[n]) > 0.5:
            ax.annotate("", (i, final[n]), (i, rtn[n]), arrowprops=dict(arrowstyle="->", color="C0", lw=1))
        ax.annotate(f"{final[n]:.1f}", (i + 0.12, final[n]), va="center", fontsize="small")
    for i, (label, v) in enumerate((reference or {}).items()):
        ax.axhline(v, ls="--", color=f"C{(i + 3) % 10}", lw=1, label=f"{label} ({v:.1f})")
    long = max(map(len, names)) > 8
    ax.set_xticks(x, names, rotation=20 if long else 0, ha="right" if long else "center")
    ax.set(ylabel=ylabel, title=title, ylim=(0, 100), xlim=(-0.5, len(names) - 0.3))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
    # labels at 1, 2, 5 x the powers of 10 only (the default also labelled the minor ticks, crowded)
    ax1.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax1.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax1.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
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
        x = np.arange(1, len(err["names"]) + 1)  # layers counted from 1, as the readings count them
        axes[0].semilogy(x, err["mean"], marker="o", ms=3, label=src, color=f"C{i}")
        axes[1].semilogy(x, err["var"], marker="o", ms=3, label=src, color=f"C{i}")
        s = stats[layer]
        axes[2].scatter(s["running_mean"], s["mean"], s=8, alpha=0.7, label=src, color=f"C{i}")
        axes[3].scatter(s["running_var"], s["var"], s=8, alpha=0.7, label=src, color=f"C{i}")
    for ax, what in zip(axes[:2], ("mean", "variance")):
        ax.set(xlabel="BatchNorm layer (1 = first, in network order)", ylabel=f"MSE of {what} vs running {what}",
               title=f"per-layer {what} error")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    name = next(iter(stats_by_source.values()))[layer]["name"]
    for ax, what in zip(axes[2:], ("mean", "var")):
        lo = min(min(float(s[layer][what].min()), float(s[layer]["running_" + what].min())) for s in stats_by_source.values())
        hi = max(max(float(s[layer][what].max()), float(s[layer]["running_" + what].max())) for s in stats_by_source.values())
        ax.plot([lo, hi], [lo, hi], color="gray", lw=1, ls="--")
        ax.set(xlabel=f"running {what}", ylabel=f"batch {what}", title=f"{name}: per channel {what}")
    # one legend for the four panels, below them (inside a panel it covered points)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=len(stats_by_source),
               fontsize="small")
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
    """The teacher's accuracy (on the assigned labels) and mean confidence p(y) against d0.

    No filter is d0 = infinity (pass ``None`` or ``float("inf")``): it is drawn apart at the right end, past a dotted
    break and labelled "none (d0 = inf)", never joined to the finite d0s by a line. The finite d0s are sorted in
    increasing order (stronger filter on the left), one tick each."""
    inf = float("inf")
    rows = sorted(((inf if d is None else float(d)), i) for i, d in enumerate(d0s))
    finite = [(d, i) for d, i in rows if d != inf]
    unfiltered = [i for d, i in rows if d == inf]
    x = np.arange(len(finite), dtype=float)
    x_none = len(finite) + 0.5  # one and a half steps right of the last finite d0: visibly apart
    ticks = list(x) + ([x_none] if unfiltered else [])
    labels = [f"{d:g}" for d, _ in finite] + (["none\n(d0 = inf)"] if unfiltered else [])
    panels = [(accuracy, "o", "accuracy on assigned labels (%)", None), (confidence, "s", "mean p_teacher(y) (%)", None)]
    fig = _figure(9 if hf_energy is not None else 5.5, 3.4)
    axes = fig.subplots(1, 2 if hf_energy is not None else 1, squeeze=False)[0]
    series = [(axes[0], panels)]
    if hf_energy is not None:
        series.append((axes[1], [(hf_energy, "o", None, "tab:purple")]))
    for ax, lines in series:
        for values, marker, label, color in lines:
            v = 100 * np.asarray(values, float)
            (line,) = ax.plot(x, v[[i for _, i in finite]], marker=marker, label=label, color=color)
            if unfiltered:
                ax.plot([x_none], v[unfiltered[:1]], marker=marker, linestyle="none", color=line.get_color())
        if unfiltered:
            ax.axvline(len(finite) - 0.25, color="0.6", linestyle=":", linewidth=1)
        ax.set_xticks(ticks, labels)
        ax.set_xlim(-0.5, (x_none if unfiltered else len(finite) - 1) + 0.5)
    axes[0].set(xlabel="filter d0 (smaller = stronger low-pass)", ylabel="%", title=title, ylim=(-2, 102))
    axes[0].legend(fontsize="small", loc="best")
    if hf_energy is not None:
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
            ax1.plot(ep, history[k], style, marker="o", ms=3, label={"loss": "total", "kd": "KD (KL)", "ce": "selective CE (÷ whole batch)", "cam": "CAM"}[k])
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
    # beside the axes: inside, any corner covers some class's bars
    ax.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


# ---- lesson figures for notebooks 00-01 ----
def quantize_numbers(x, lo: float, hi: float, bits: int) -> dict:
    """The package's round-to-nearest quantizer applied to plain numbers with the range [lo, hi] (widened to
    include 0, as :func:`synq_nb.quantization.weight_qparams` does): ``scale``, ``zero_point``, the integer
    ``codes``, the dequantized ``values`` and a ``clipped`` mask (outside the range), as tensors."""
    from .quantization import check_bits, fake_quantize, weight_qparams

    check_bits(bits)
    if not hi > lo:
        raise ValueError(f"the range needs hi > lo, got lo={lo}, hi={hi}")
    x = torch.as_tensor(x, dtype=torch.float32).flatten()
    scale, zp = weight_qparams(torch.tensor([[float(lo), float(hi)]]), bits)
    scale, zp = scale[0], zp[0]
    values = fake_quantize(x, scale, zp, bits)
    codes = torch.round(values / scale + zp)
    lo_eff, hi_eff = (0 - zp) * scale, (2**bits - 1 - zp) * scale
    return dict(scale=scale, zero_point=zp, codes=codes, values=values,
                clipped=(x < lo_eff - scale / 2) | (x > hi_eff + scale / 2), grid=(torch.arange(2**bits) - zp) * scale)


def quantizer_figure(x, lo: float, hi: float, bits: int, title: str | None = None) -> Figure:
    """What a B-bit quantizer does to numbers. Top: the real line with the 2^B grid levels between ``lo`` and
    ``hi`` (each level's integer code written under it), each number of ``x`` (dots above the line) and the
    level it is rounded to (arrow; red: clipped to the end of the range). Bottom: the quantizer as a function,
    a staircase next to the identity."""
    q = quantize_numbers(x, lo, hi, bits)
    x = torch.as_tensor(x, dtype=torch.float32).flatten()
    grid = q["grid"].numpy()
    span = float(max(x.max(), grid[-1]) - min(x.min(), grid[0]))
    left, right = float(min(x.min(), grid[0])) - 0.08 * span, float(max(x.max(), grid[-1])) + 0.08 * span
    fig = _figure(10, 5.2)
    top, bottom = fig.subplots(2, 1, height_ratios=[1.1, 1.6])
    top.axhline(0, color="black", lw=1)
    top.axvspan(grid[0], grid[-1], color="tab:blue", alpha=0.08, label=f"grid range [{grid[0]:.3g}, {grid[-1]:.3g}]")
    top.vlines(grid, -0.12, 0.12, color="tab:blue", lw=1.5)
    step = 1 if len(grid) <= 16 else len(grid) // 8
    for k in range(0, len(grid), step):
        top.annotate(str(k), (grid[k], -0.2), ha="center", va="top", fontsize="x-small", color="tab:blue")
    for i, (xi, vi) in enumerate(zip(x.tolist(), q["values"].tolist())):
        color = "tab:red" if bool(q["clipped"][i]) else "tab:green"
        h = 0.45 + 0.2 * (i % 3)
        top.plot([xi], [h], "o", color=color, ms=5)
        top.annotate("", (vi, 0.14), (xi, h - 0.04), arrowprops=dict(arrowstyle="->", color=color, lw=1))
        top.annotate(f"{xi:.3g}\u2192{int(q['codes'][i])}", (xi, h + 0.07), ha="center", va="bottom",
                     fontsize="x-small", color=color)
    top.plot([], [], "o", color="tab:green", label="rounded to the nearest level")
    top.plot([], [], "o", color="tab:red", label="clipped to the end of the range")
    top.set(xlim=(left, right), ylim=(-0.55, 1.6), yticks=[], xlabel="real value (integer codes under the levels; labels: x → code)",
            title=f"{bits}-bit grid: {len(grid)} levels, scale s = {float(q['scale']):.4g}, zero point z = {int(q['zero_point'])}")
    top.legend(loc="upper left", fontsize="x-small", ncols=3)
    for s in ("left", "right", "top"):
        top.spines[s].set_visible(False)
    t = torch.linspace(left, right, 2001)
    bottom.plot(t.numpy(), t.numpy(), color="gray", ls="--", lw=1, label="identity (no quantization)")
    bottom.plot(t.numpy(), quantize_numbers(t, lo, hi, bits)["values"].numpy(), color="tab:blue", lw=1.5,
                label=r"quantize-dequantize $\hat{x} = s\,(\mathrm{clamp}(\mathrm{round}(x/s)+z,\,0,\,2^B-1) - z)$")
    bottom.plot(x.numpy(), q["values"].numpy(), "o", color="black", ms=4, label="the numbers above")
    bottom.set(xlim=(left, right), xlabel="x", ylabel=r"$\hat{x}$")
    bottom.legend(loc="upper left", fontsize="x-small")
    if title:
        fig.suptitle(title)
    return fig


def ste_figure(x, forward: dict, grads: dict, title: str = "forward value and gradient") -> Figure:
    """Left: each function's output against ``x`` ({name: values}); right: the gradient that autograd passes back
    for each ({name: d output / d x}), e.g. plain rounding, the weight quantizer's STE, the activation
    quantizer's clipped STE."""
    x = torch.as_tensor(x).detach().float().cpu().numpy()
    fig = _figure(10, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(x, x, color="gray", ls="--", lw=1, label="identity")
    for i, (name, y) in enumerate(forward.items()):
        ax1.plot(x, torch.as_tensor(y).detach().float().cpu().numpy(), color=f"C{i}", lw=1.5, label=name)
    for i, (name, g) in enumerate(grads.items()):
        ax2.plot(x, torch.as_tensor(g).detach().float().cpu().numpy() + 0.03 * i, color=f"C{i}", lw=1.5,
                 label=name + (f" (drawn +{0.03 * i:.2f})" if i else ""))
    ax1.set(xlabel="x", ylabel="forward output", title="forward: what the layer computes")
    ax2.set(xlabel="x", ylabel="d output / d x", title="backward: what autograd passes back", ylim=(-0.15, 1.25))
    ax1.legend(fontsize="x-small"), ax2.legend(fontsize="x-small", loc="center right")
    fig.suptitle(title)
    return fig


@torch.no_grad()
def bn_channel_values(model: nn.Module, images: torch.Tensor, layer: int = 0, channel: int = 0) -> torch.Tensor:
    """All values (over images and positions) that channel ``channel`` of the ``layer``-th BatchNorm2d receives
    as input for ``images``: the numbers its running mean / variance summarise."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if not bns:
        raise ValueError("the model has no BatchNorm2d layers")
    bn = bns[layer]
    if not 0 <= channel < bn.num_features:
        raise ValueError(f"channel must be in [0, {bn.num_features - 1}] for this layer, got {channel}")
    out = []
    h = bn.register_forward_pre_hook(lambda _m, inp: out.append(inp[0][:, channel].detach().flatten().cpu()))
    device = next(model.parameters()).device
    try:
        for i in range(0, len(images), 256):
            model(images[i:i + 256].to(device))
    finally:
        h.remove()
    return torch.cat(out)


def bn_channel_figure(model: nn.Module, images_by_source: dict, layer: int = 0, channel: int = 0,
                      title: str | None = None) -> Figure:
    """Histogram of what one BatchNorm channel receives for each image source ({name: images}), with the
    Gaussian of the layer's running mean and variance (what it saw on the training data) drawn over it."""
    bns = [(n, m) for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)]
    name, bn = bns[layer]
    mu, var = float(bn.running_mean[channel]), float(bn.running_var[channel])
    sd = var ** 0.5
    vals = {k: bn_channel_values(model, x, layer, channel).numpy() for k, x in images_by_source.items()}
    lo = min(min(float(np.percentile(v, 0.5)) for v in vals.values()), mu - 4 * sd)
    hi = max(max(float(np.percentile(v, 99.5)) for v in vals.values()), mu + 4 * sd)
    bins = np.linspace(lo, hi, 70)
    fig = _figure(7.5, 3.2)
    ax = fig.subplots()
    for i, (k, v) in enumerate(vals.items()):
        ax.hist(v, bins=bins, density=True, histtype="step", lw=1.5, color=f"C{i}",
                label=f"{k}: mean {v.mean():.3g}, var {v.var():.3g}")
    t = np.linspace(lo, hi, 400)
    ax.plot(t, np.exp(-(t - mu) ** 2 / (2 * var)) / (sd * (2 * math.pi) ** 0.5), color="black", ls="--",
            label=f"running stats: mean {mu:.3g}, var {var:.3g}")
    ax.set(xlabel="value entering the BatchNorm channel", ylabel="density",
           title=title or f"{name}, channel {channel}: what the layer receives")
    ax.legend(fontsize="x-small")
    return fig


def hard_sample_weight_figure(gammas=(0.5, 1.0, 2.0), clamp: float = 1e-4) -> Figure:
    """HAST's weight (1 - p)^gamma against the teacher's probability p of the assigned label (left) and the size of
    its derivative |dw/dp| = gamma (1 - p)^(gamma - 1) against 1 - p (right, log-log): for gamma < 1 it grows
    without bound as p -> 1. Dotted lines: 1 - p = ``clamp``, where the package clamps 1 - p (and it detaches the
    weight), and 1 - p = 2^-24, below which p rounds to 1.0 in float32."""
    p = np.linspace(0, 1, 2001)
    gap = np.logspace(-9, 0, 400)  # 1 - p
    fig = _figure(10, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    for i, g in enumerate(gammas):
        ax1.plot(p, (1 - p) ** g, color=f"C{i}", label=f"gamma = {g:g}")
        ax2.loglog(gap, g * gap ** (g - 1), color=f"C{i}", label=f"gamma = {g:g}")
    ax1.set(xlabel="teacher's p(y | x)", ylabel="weight (1 - p)^gamma", title="hard-sample weight")
    ax2.axvline(clamp, color="gray", ls=":", lw=1, label=f"1 - p = {clamp:g} (the package's clamp)")
    ax2.axvline(2.0**-24, color="black", ls=":", lw=1, label="1 - p = 2^-24 (p is 1.0 in float32)")
    for at, text, colour in ((clamp, "clamp", "gray"), (2.0**-24, "p = 1.0 in float32", "black")):  # named on the plot
        ax2.text(at * 1.4, 0.97, text, transform=ax2.get_xaxis_transform(), rotation=90, va="top", ha="left",
                 fontsize="x-small", color=colour)
    ax2.set(xlabel="1 - p (log scale; p -> 1 to the left)", ylabel="|d weight / dp| (log scale)",
            title="its derivative")
    ax1.legend(fontsize="small"), ax2.legend(fontsize="x-small", loc="lower right")
    return fig


# ---- lesson figures for notebooks 02-03 ----


def grating(size: int, u: int, v: int) -> torch.Tensor:
    """A 1 x 1 x size x size cosine wave cos(2 pi (u i + v j) / size): u cycles down the image, v across it."""
    i = torch.arange(size, dtype=torch.float32)
    return torch.cos(2 * math.pi * (u * i[:, None] + v * i[None, :]) / size)[None, None]


def fourier_basis_figure(waves=((0, 1), (0, 4), (4, 0), (3, 3), (0, 12)), size: int = 32) -> Figure:
    """Top row: cosine waves (u, v) (cycles per image down / across); bottom row: their centred power
    spectra, two bright dots at (u, v) and (-u, -v) from the centre, at distance D = sqrt(u^2 + v^2)."""
    fig = _figure(1.9 * len(waves), 4.0)
    axes = fig.subplots(2, len(waves), squeeze=False)
    c = size // 2
    for j, (u, v) in enumerate(waves):
        g = grating(size, u, v)
        axes[0, j].imshow(g[0, 0].numpy(), cmap="gray", vmin=-1, vmax=1)
        axes[0, j].set_title(f"u = {u}, v = {v}", fontsize="small")
        p = power_spectrum(g, log=False).numpy()
        axes[1, j].imshow(np.log10(p + 1e-3), cmap="magma", extent=(-c - 0.5, size - c - 0.5, size - c - 0.5, -c - 0.5))
        axes[1, j].plot([0], [0], "+", color="cyan", ms=8)
        axes[1, j].set_title(f"D = {math.hypot(u, v):.1f}", fontsize="small")
        axes[1, j].set_xticks([-c, 0, c - 1]), axes[1, j].set_yticks([-c, 0, c - 1])
        axes[1, j].tick_params(labelsize="x-small")
        _off(axes[0, j])
    axes[0, 0].set_ylabel("image", fontsize="small")
    axes[1, 0].set_ylabel("power spectrum\n(centre = +)", fontsize="small")
    fig.suptitle("a 2-D Fourier transform writes an image as a sum of such waves; the spectrum shows how much of each")
    return fig


def frequency_split_figure(images, d0: float, mean=None, std=None, row_names=None,
                           title: str = "low + high = the image") -> Figure:
    """Rows: images; columns: the image, its low-frequency part (``low_pass_filter(x, d0)``) and the rest
    (x minus the low part, the high frequencies; shown stretched to its own range, grey = 0)."""
    x = images if images.dim() == 4 else images[None]
    low = low_pass_filter(x, d0)
    high = x - low
    n = len(x)
    fig = _figure(5.4, 1.45 * n + 0.5)
    axes = fig.subplots(n, 3, squeeze=False)
    pix, pix_low = to_pixels(x, mean, std), to_pixels(low, mean, std)
    for i in range(n):
        h = high[i].detach().float().cpu()
        h = (h / h.abs().max().clamp(min=1e-8) * 0.5 + 0.5).permute(1, 2, 0).numpy()
        for j, (im, name) in enumerate(((pix[i], "image"), (pix_low[i], f"low part (d0 = {d0:g})"), (h, "high part (stretched)"))):
            axes[i, j].imshow(im, interpolation="nearest")
            _off(axes[i, j])
            if i == 0:
                axes[i, j].set_title(name, fontsize="small")
        if row_names is not None:
            axes[i, 0].set_ylabel(row_names[i], rotation=0, ha="right", va="center", fontsize="small")
    fig.suptitle(title)
    return fig


def spectral_slope(images: torch.Tensor, r_min: float = 2.0, r_max: float | None = None) -> float:
    """Slope of log10(power) against log10(radius) of the batch's radial profile for r_min <= r <= r_max
    (default: the largest full ring, H // 2): about -2 for natural images (power ~ 1/f^2), 0 for white noise."""
    r, v = radial_energy(images)
    r_max = r_max if r_max is not None else min(images.shape[-2:]) // 2
    keep = (r >= r_min) & (r <= r_max) & (v > 0)
    if keep.sum() < 2:
        raise ValueError(f"need at least two radii in [{r_min}, {r_max}] to fit a slope")
    return float(np.polyfit(np.log10(r[keep]), np.log10(v[keep]), 1)[0])


@torch.no_grad()
def teacher_student_gap(teacher: nn.Module, student: nn.Module, images: torch.Tensor, batch_size: int = 256) -> dict:
    """How far a quantized student's outputs are from the teacher's on ``images``: ``agreement`` (% same
    argmax), ``rel_error`` (mean over images of ||z_s - z_t|| / ||z_t||, z the logits) and ``kl`` (mean
    KL(teacher || student) of the softmax outputs)."""
    device = next(teacher.parameters()).device
    t_all, s_all = [], []
    for i in range(0, len(images), batch_size):
        x = images[i:i + batch_size].to(device)
        t_all.append(teacher(x).float().cpu())
        s_all.append(student(x).float().cpu())
    t, s = torch.cat(t_all), torch.cat(s_all)
    kl = (t.softmax(1) * (t.log_softmax(1) - s.log_softmax(1))).sum(1).mean()
    return dict(agreement=100.0 * float((t.argmax(1) == s.argmax(1)).float().mean()),
                rel_error=float(((s - t).norm(dim=1) / t.norm(dim=1).clamp(min=1e-12)).mean()), kl=float(kl))


def activation_ranges_figure(ranges_by_name: dict, title: str = "calibrated activation ranges") -> Figure:
    """Per activation quantizer (network order), the upper end of its calibrated range, for each
    calibration set ({name: [(lo, hi), ...]}); right: the step of a ``bits``-wide grid is (hi - lo) / (2^bits - 1),
    so the ratio of two curves is the ratio of their grid steps."""
    fig = _figure(10, 3.0)
    ax1, ax2 = fig.subplots(1, 2)
    names = list(ranges_by_name)
    ref = np.array([float(hi) - float(lo) for lo, hi in ranges_by_name[names[-1]]])
    for i, (name, ranges) in enumerate(ranges_by_name.items()):
        hi = np.array([float(h) for _, h in ranges])
        width = np.array([float(h) - float(lo) for lo, h in ranges])
        ax1.plot(np.arange(len(hi)), hi, marker="o", ms=3, label=name, color=f"C{i}")
        ax2.plot(np.arange(len(hi)), width / np.maximum(ref, 1e-12), marker="o", ms=3, label=name, color=f"C{i}")
    ax1.set(xlabel="activation quantizer (network order)", ylabel="range max", title="upper end of each range")
    ax2.axhline(1, color="gray", lw=1, ls=":")
    ax2.set(xlabel="activation quantizer (network order)", ylabel="ratio of range widths",
            title=f"width relative to '{names[-1]}' (> 1: coarser grid)")
    for ax in (ax1, ax2):
        ax.legend(fontsize="small")
    fig.suptitle(title)
    return fig


def top_channels(weights: torch.Tensor, feats: torch.Tensor, k: int = 4) -> list:
    """The k channels that add most to a Grad-CAM sum: largest alpha_k * mean(A^k) (weights: C, feats: C x h x w)."""
    contrib = weights.detach().float().cpu() * feats.detach().float().cpu().mean(dim=(1, 2))
    return torch.argsort(contrib, descending=True)[:k].tolist()


def gradcam_steps_figure(image, feats, grads, weights, weighted, cam, cam_up, cam_norm, mean=None, std=None,
                         k: int = 4, title: str = "Grad-CAM step by step") -> Figure:
    """Every intermediate of Grad-CAM for one image: row 1, the image and the feature maps A^k of the k
    channels that add most (:func:`top_channels`); row 2, all channel weights alpha_k (sorted) and the
    gradient maps dy^c/dA^k of the same channels; row 3, the weighted sum, after the ReLU, upsampled, and
    min-max normalised over the image. Tensors: image C x H x W, feats / grads C x h x w, weights C,
    weighted / cam h x w, cam_up / cam_norm H x W."""
    if k < 3:
        raise ValueError(f"k must be at least 3 (the bottom row has four panels), got {k}")
    t = lambda z: z.detach().float().cpu()  # noqa: E731
    feats, grads, weights, weighted, cam, cam_up, cam_norm = map(t, (feats, grads, weights, weighted, cam, cam_up, cam_norm))
    chans = top_channels(weights, feats, k)
    fig = _figure(2.0 * (k + 1), 6.6)
    axes = fig.subplots(3, k + 1)
    pix = to_pixels(image, mean, std)[0]
    axes[0, 0].imshow(pix, interpolation="nearest")
    axes[0, 0].set_title("1. the image", fontsize="small")
    for j, ch in enumerate(chans, 1):
        axes[0, j].imshow(feats[ch].numpy(), cmap="viridis")
        axes[0, j].set_title(f"A^{ch} (max {float(feats[ch].max()):.2f})", fontsize="small")
        g = grads[ch].numpy()
        lim = max(float(np.abs(g).max()), 1e-12)
        axes[1, j].imshow(g, cmap="coolwarm", vmin=-lim, vmax=lim)
        axes[1, j].set_title(f"dy/dA^{ch}; α = {float(weights[ch]):.2g}", fontsize="small")
        if float(g.max() - g.min()) <= 1e-6 * lim:  # e.g. a global-average-pooling + linear head
            axes[1, j].text(g.shape[1] / 2 - 0.5, g.shape[0] / 2 - 0.5, "the same\nat every\nposition",
                            ha="center", va="center", fontsize="small")
    axes[0, 1].set_ylabel("2. feature maps", fontsize="small")
    axes[1, 1].set_ylabel("3. gradients", fontsize="small")
    a = np.sort(weights.numpy())[::-1]
    axes[1, 0].bar(np.arange(len(a)), a, color=np.where(a >= 0, "tab:red", "tab:blue"), width=1.0)
    axes[1, 0].axhline(0, color="k", lw=0.5)
    axes[1, 0].set_title("4. α_k, all channels, sorted", fontsize="small")
    axes[1, 0].tick_params(labelsize="x-small")
    lim = max(float(weighted.abs().max()), 1e-12)
    panels = [(weighted.numpy(), "coolwarm", -lim, lim, "5. Σ_k α_k A^k"),
              (cam.numpy(), "viridis", 0, None, "6. ReLU"),
              (cam_up.numpy(), "viridis", 0, None, "7. upsampled (bilinear)")]
    for j, (m, cmap, lo, hi, name) in enumerate(panels):
        axes[2, j].imshow(m, cmap=cmap, vmin=lo, vmax=hi)
        axes[2, j].set_title(name, fontsize="small")
    axes[2, 3].imshow(pix, interpolation="nearest")
    axes[2, 3].imshow(cam_norm.numpy(), cmap="jet", alpha=0.45, vmin=0, vmax=1)
    axes[2, 3].set_title("8. normalised, over the image", fontsize="small")
    for ax in axes.flat:
        if ax is not axes[1, 0]:
            _off(ax)
    for ax in axes[2, 4:]:
        ax.axis("off")
    fig.suptitle(title)
    return fig



# ---- lesson figures for notebooks 04-05 ----
def softmax_temperature(logits, temperatures=(1.0, 4.0, 20.0)) -> dict:
    """``{T: softmax(logits / T)}`` for one logit vector (1-D): the probabilities KD compares at temperature T."""
    z = torch.as_tensor(logits, dtype=torch.float32).detach().cpu().flatten()
    out = {}
    for t in temperatures:
        if not float(t) > 0:
            raise ValueError(f"temperatures must be positive, got {t!r}")
        out[float(t)] = (z / float(t)).softmax(0)
    return out


def softmax_temperature_figure(logits, classes, temperatures=(1.0, 4.0, 20.0), label: int | None = None,
                               title: str = "one image's logits through a softmax at temperature T") -> Figure:
    """Left: the logits z_k of one image. Then one panel per temperature T: softmax(z / T), the
    probabilities on a log scale so that the small ones (the "dark knowledge") stay visible. ``label``
    (a class index) is drawn in a darker colour."""
    probs = softmax_temperature(logits, temperatures)
    z = torch.as_tensor(logits, dtype=torch.float32).detach().cpu().flatten().numpy()
    k = len(z)
    if len(classes) != k:
        raise ValueError(f"{k} logits but {len(classes)} class names")
    colors = ["tab:blue" if label is None or i != int(label) else "tab:red" for i in range(k)]
    fig = _figure(3.0 * (len(probs) + 1), 3.2)
    axes = np.atleast_1d(fig.subplots(1, len(probs) + 1))
    axes[0].bar(range(k), z, color=colors)
    axes[0].axhline(0, color="k", lw=0.5)
    axes[0].set(title="logits z", ylabel="z_k")
    for ax, (t, p) in zip(axes[1:], probs.items()):
        ax.bar(range(k), p.numpy(), color=colors)
        ax.set_yscale("log")
        ax.set_ylim(max(1e-40, float(p.min()) / 3), 1.5)
        ax.set(title=f"softmax(z / T), T = {t:g}", ylabel="probability (log)")
    for ax in axes:
        ax.set_xticks(range(k), classes, rotation=60, ha="right", fontsize="x-small")
    fig.suptitle(title)
    return fig


def mean_probability_by_class(probs, labels, num_classes: int | None = None) -> np.ndarray:
    """Row c: the mean predicted distribution (e.g. the teacher's softmax) over the images whose label is c
    (NaN for a class without images). Off-diagonal mass shows which wrong classes a model finds likely."""
    p = torch.as_tensor(probs, dtype=torch.float64).detach().cpu()
    y = torch.as_tensor(labels).long().detach().cpu()
    if p.dim() != 2 or len(p) != len(y):
        raise ValueError(f"probs must be N x K with one label per row, got {tuple(p.shape)} and {len(y)} labels")
    k = num_classes or p.shape[1]
    sums = torch.zeros(k, p.shape[1], dtype=torch.float64).index_add_(0, y, p)
    counts = torch.bincount(y, minlength=k).to(torch.float64)[:, None]
    out = (sums / counts.clamp(min=1)).numpy()
    out[counts[:, 0].numpy() == 0] = np.nan
    return out


def class_similarity_figure(matrix, classes, title: str = "the teacher's mean probability of each wrong class") -> Figure:
    """Heat map of :func:`mean_probability_by_class` with the diagonal (the correct class) left blank, so
    the colour scale shows the wrong classes only; the values are written in the cells (in %)."""
    m = np.array(matrix, dtype=float)
    k = len(m)
    off = m.copy()
    np.fill_diagonal(off, np.nan)
    fig = _figure(0.55 * k + 2.5, 0.5 * k + 1.6)
    ax = fig.subplots()
    im = ax.imshow(100 * off, cmap="viridis")
    for i in range(k):
        for j in range(k):
            if i != j and np.isfinite(off[i, j]):
                ax.text(j, i, f"{100 * off[i, j]:.1f}", ha="center", va="center", fontsize="xx-small",
                        color="white" if off[i, j] < np.nanmax(off) / 2 else "black")
    ax.set_xticks(range(k), classes, rotation=60, ha="right", fontsize="small")
    ax.set_yticks(range(k), classes, fontsize="small")
    ax.set(xlabel="class the probability is given to", ylabel="label of the image")
    fig.colorbar(im, ax=ax, label="mean probability (%)")
    ax.set_title(title)
    return fig


def loss_contributions(history: dict, lambda_ce: float, lambda_cam: float) -> dict:
    """Per epoch, what each term of Eq. 6 adds to the total loss: ``kd``, ``lambda_ce * ce``,
    ``lambda_cam * cam`` (epoch means, as recorded by :func:`synq_nb.finetune.finetune`), and their sum."""
    kd = np.asarray(history["kd"], dtype=float)
    ce = lambda_ce * np.asarray(history["ce"], dtype=float)
    cam = lambda_cam * np.asarray(history["cam"], dtype=float)
    return dict(kd=kd, ce=ce, cam=cam, total=kd + ce + cam)


def loss_contributions_figure(history: dict, lambda_ce: float, lambda_cam: float,
                              title: str = "what each term adds to the loss") -> Figure:
    """Left: stacked bars per epoch of the three weighted terms of Eq. 6 (their sum is the total loss).
    Right: each term's share of the total (%)."""
    c = loss_contributions(history, lambda_ce, lambda_cam)
    ep = np.asarray(history["epoch"])
    names = {"kd": "KD (KL)", "ce": f"{lambda_ce:g} x CE (easy samples)", "cam": f"{lambda_cam:g} x CAM"}
    fig = _figure(11, 3.2)
    ax1, ax2 = fig.subplots(1, 2)
    bottom = np.zeros(len(ep))
    for k, color in (("kd", "tab:blue"), ("ce", "tab:orange"), ("cam", "tab:green")):
        ax1.bar(ep, c[k], bottom=bottom, color=color, label=names[k])
        bottom = bottom + c[k]
        with np.errstate(invalid="ignore", divide="ignore"):
            ax2.plot(ep, 100 * c[k] / c["total"], marker="o", color=color, label=names[k])
    ax1.set(xlabel="epoch", ylabel="loss (epoch mean)", title="stacked: the total loss")
    if len(ep):
        ax1.set_ylim(0, 1.3 * float(np.nanmax(c["total"])))  # room for the legend above the bars
    ax2.set(xlabel="epoch", ylabel="share of the total (%)", title="share of each term", ylim=(0, 100))
    if 0 < len(ep) <= 20:
        for ax in (ax1, ax2):
            ax.set_xticks(ep)
    ax1.legend(fontsize="small")
    ax2.legend(fontsize="small")
    fig.suptitle(title)
    return fig




def weight_code_changes(before: nn.Module, after: nn.Module) -> dict:
    """What an update of the latent full-precision weights did to the quantized weights, over every quantized
    layer (``QuantConv2d`` / ``QuantLinear``) of two copies of a student: ``weights`` (count), ``codes_changed``
    (integer codes of :func:`synq_nb.quantization.weight_qparams`' grid that differ), ``channels_regridded``
    (output channels whose scale or zero point moved, because their min or max weight moved) of ``channels``,
    and ``max_step_fraction``: the largest latent change divided by its channel's quantization step."""
    from .quantization import weight_qparams

    out = dict(weights=0, codes_changed=0, channels=0, channels_regridded=0, max_step_fraction=0.0)
    mods_a = dict(before.named_modules())
    for name, mb in after.named_modules():
        bits = getattr(mb, "w_bits", None)
        if bits is None or not hasattr(mb, "weight"):
            continue
        wa, wb = mods_a[name].weight.detach().flatten(1), mb.weight.detach().flatten(1)
        codes = []
        qps = []
        for w in (wa, wb):
            s, z = weight_qparams(w, bits)
            codes.append(torch.clamp(torch.round(w / s[:, None]) + z[:, None], 0, 2**bits - 1))
            qps.append((s, z))
        out["weights"] += wa.numel()
        out["codes_changed"] += int((codes[0] != codes[1]).sum())
        out["channels"] += len(wa)
        out["channels_regridded"] += int(((qps[0][0] != qps[1][0]) | (qps[0][1] != qps[1][1])).sum())
        out["max_step_fraction"] = max(out["max_step_fraction"], float(((wb - wa).abs() / qps[0][0][:, None]).max()))
    if not out["weights"]:
        raise ValueError("no quantized layer found: pass two students made by synq_nb.quantize_model")
    return out

# ---- lesson figures for notebooks 06-07 ----
def sweep_figure(rows: list, keys: list, title: str = "sweep", rtn_label: str = "RTN (no fine-tuning)") -> Figure:
    """A parameter sweep (``python -m synq_nb.notebooks_run --sweep``): one bar per setting, grouped by the
    first swept parameter (and those swept together with it, e.g. ``w_bits+a_bits``), with the final top-1
    mean and its sample std over seeds (error bar), the RTN accuracy of the same setting (black tick) and the
    teacher's FP accuracy (dashed line). ``rows``: dicts with the swept keys, ``final_top1_mean``,
    ``final_top1_std``, ``rtn_top1_mean``, ``fp_top1`` (as :func:`synq_nb.notebooks_run.collect_sweep` gives)."""
    def fmt(k, v):
        v = ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v
        return str(v) if isinstance(v, str) else f"{k}={v}"

    def partition(k):  # which rows share a value of k
        vals = [fmt(k, r.get(k)) for r in rows]
        return frozenset(frozenset(i for i, x in enumerate(vals) if x == v) for v in set(vals))

    # the group: the first key and the keys swept together with it (w_bits+a_bits); the bars: the other keys
    tied = [k for k in keys if partition(k) == partition(keys[0])] if keys else []
    rest = [k for k in keys if k not in tied]
    group_of = lambda r: " ".join(fmt(k, r.get(k)) for k in tied)  # noqa: E731
    series_of = lambda r: " ".join(fmt(k, r.get(k)) for k in rest)  # noqa: E731
    groups = list(dict.fromkeys(group_of(r) for r in rows))
    series = list(dict.fromkeys(series_of(r) for r in rows))
    fig = _figure(max(5.0, 1.1 * len(groups) * len(series) + 2), 3.6)
    ax = fig.subplots()
    width = 0.8 / len(series)
    for j, s in enumerate(series):
        pts = [(groups.index(group_of(r)) + (j - (len(series) - 1) / 2) * width, r) for r in rows if series_of(r) == s]
        xs = [x for x, _ in pts]
        ax.bar(xs, [r["final_top1_mean"] for _, r in pts], width * 0.9, label=s or "final top-1",
               yerr=[r.get("final_top1_std") or 0.0 for _, r in pts], capsize=4, error_kw=dict(ecolor="dimgray", lw=1))
        ax.scatter(xs, [r.get("rtn_top1_mean") for _, r in pts], marker="_", s=600, linewidths=2.5, color="black", zorder=3,
                   label=rtn_label if j == 0 else None)
    fps = [r["fp_top1"] for r in rows if r.get("fp_top1") is not None]
    if fps:
        ax.axhline(max(fps), ls="--", color="gray", lw=1, label="full precision")
    ax.set_xticks(range(len(groups)), groups)
    ax.set(ylabel="final top-1 (%), mean ± std", title=title, ylim=(0, 100))
    ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=min(3, len(series) + 2), frameon=False)
    return fig
def seed_ablation_figure(groups: dict, baseline=(0, 0, 0), title: str = "ablation across seeds",
                         ylabel: str = "final top-1 (%)", diff_label: str = "row − baseline of the same seed") -> Figure:
    """Left: every combination's final top-1, one marker per seed (a thin line joins the runs of one seed),
    with the mean ± sample std over seeds in black. Right: the paired difference of each combination,
    row minus the ``baseline`` of the same seed, one marker per seed, mean in black, zero dashed.

    ``groups``: ``{combination: {seed: top-1}}`` as :func:`synq_nb.results.by_seed` returns; a combination
    is a tuple of 0/1 (filter, CAM, soft labels). The paired differences are those of
    :func:`synq_nb.results.paired`."""
    from .results import ablation_order, combo_name, paired

    if baseline not in groups:
        raise ValueError(f"the baseline combination {baseline} has no runs: cannot pair")
    combos = ablation_order(groups)
    others = [c for c in combos if c != baseline]
    seeds = sorted({s for g in groups.values() for s in g})
    colors = matplotlib.colormaps["tab10"]
    label = lambda c: combo_name(c).replace("baseline (KD + CE)", "baseline").replace(" + ", " +\n")
    fig = _figure(max(8.0, 0.85 * (len(combos) + len(others)) + 1.5), 3.9)
    ax1, ax2 = fig.subplots(1, 2, width_ratios=[len(combos), max(1, len(others))])
    for k, s in enumerate(seeds):
        xs = [i for i, c in enumerate(combos) if s in groups[c]]
        ax1.plot(xs, [groups[combos[i]][s] for i in xs], "o-", color=colors(k), lw=0.6, alpha=0.85, ms=5,
                 label=f"seed {s}")
        pairs = [(j, paired({s: groups[c][s]}, {s: groups[baseline][s]})) for j, c in enumerate(others)
                 if s in groups[c] and s in groups[baseline]]
        ax2.scatter([j + (k - (len(seeds) - 1) / 2) * 0.12 for j, _ in pairs], [p["diffs"][0] for _, p in pairs],
                    color=colors(k), s=25, zorder=3, label=f"seed {s}")
    for i, c in enumerate(combos):
        v = list(groups[c].values())
        sd = float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
        ax1.errorbar(i + 0.22, float(np.mean(v)), yerr=sd, fmt="_", color="k", ms=12, capsize=3)
    for j, c in enumerate(others):
        p = paired(groups[c], groups[baseline])
        if p["diffs"]:
            ax2.plot([j - 0.25, j + 0.25], [p["mean"], p["mean"]], color="k", lw=2)
    ax1.set_xticks(range(len(combos)), [label(c) for c in combos], fontsize="small")
    ax1.set(ylabel=ylabel, title="per seed (black: mean ± std)")
    ax1.grid(axis="y", alpha=0.3)
    ax1.legend(fontsize="x-small", loc="lower right")
    ax2.axhline(0, color="0.4", ls="--", lw=0.8)
    ax2.set_xticks(range(len(others)), [label(c) for c in others], fontsize="small")
    ax2.set(ylabel=diff_label, title="paired difference (black: mean)")
    ax2.grid(axis="y", alpha=0.3)
    fig.suptitle(title)
    return fig


def levers_figure(levers: dict, reference: str = "paper", title: str = "levers beyond the paper") -> Figure:
    """One row per lever (``levers``: {name: {seed: top-1}}, as :func:`synq_nb.results.by_lever` gives): a bar for
    the mean paired difference to ``reference`` over the seeds both have, a dot for each seed's difference, a thin
    line for the 95 % t interval of the mean (:func:`synq_nb.results.t_interval`, two seeds or more); the bar is
    green where that interval lies above zero, red where it lies below, grey where it contains zero or there is one
    seed (:func:`synq_nb.results.interval_verdict`). Sorted by the mean, largest at the top."""
    from .results import interval_verdict, paired, t_interval

    rows = [(name, paired(v, levers[reference])) for name, v in levers.items() if name != reference]
    rows = [(n, p) for n, p in rows if p["seeds"]]
    rows.sort(key=lambda np_: np_[1]["mean"])
    fig = _figure(7.5, 0.45 * len(rows) + 1.4)
    ax = fig.subplots()
    colour = {"gain": "tab:green", "loss": "tab:red", "unresolved": "0.7"}
    for i, (name, p) in enumerate(rows):
        ax.barh(i, p["mean"], color=colour[interval_verdict(p)], height=0.6)
        if len(p["diffs"]) >= 2:
            ax.plot(t_interval(p["diffs"]), [i, i], color="black", lw=1.0, zorder=2)
        ax.scatter(p["diffs"], [i] * len(p["diffs"]), color="black", s=14, zorder=3)
    ax.axvline(0, color="black", lw=0.8)
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color="tab:green", label="95 % t interval above 0"),
                       Patch(color="tab:red", label="below 0"), Patch(color="0.7", label="contains 0 / one seed")],
              fontsize=8, loc="lower right")
    ax.set_yticks(range(len(rows)), [f"{n} ({len(p['seeds'])} seed{'s' if len(p['seeds']) > 1 else ''})" for n, p in rows])
    ax.set_xlabel(f"top-1 gain over '{reference}' (points; bar: mean, dots: each seed)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig

