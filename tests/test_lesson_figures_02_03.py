"""The lesson figures and small measurements of notebooks 02 (frequencies) and 03 (Grad-CAM step by step):
each returns a Figure, and what they compute agrees with an independent computation."""
from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch
import torch.nn as nn
from matplotlib.figure import Figure

from synq_nb import plotting
from synq_nb.filtering import low_pass_filter, power_spectrum

matplotlib.use("Agg")


def _power_law_images(n, size, alpha, seed=0):
    """Random images whose power spectrum falls as 1/f^alpha (amplitude 1/f^(alpha/2), random phases)."""
    g = torch.Generator().manual_seed(seed)
    f = torch.fft.fftfreq(size)
    fr = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2)
    amp = torch.where(fr > 0, fr.clamp(min=1e-6) ** (-alpha / 2), torch.zeros(()))
    noise = torch.fft.fft2(torch.randn(n, 3, size, size, generator=g))
    return torch.fft.ifft2(noise * amp).real


def test_grating_spectrum_peaks_at_its_frequency():
    for u, v in ((0, 4), (3, 3), (5, 0)):
        p = power_spectrum(plotting.grating(32, u, v), log=False)
        peaks = {tuple(int(t) for t in idx) for idx in torch.nonzero(p > 0.5 * p.max())}
        assert peaks == {(16 + u, 16 + v), (16 - u, 16 - v)}, (u, v, peaks)
    fig = plotting.fourier_basis_figure()
    assert isinstance(fig, Figure)
    plotting.close(fig)


def test_spectral_slope_recovers_a_known_power_law():
    for alpha in (0.0, 2.0, 3.0):
        slope = plotting.spectral_slope(_power_law_images(64, 32, alpha))
        assert slope == pytest.approx(-alpha, abs=0.25), (alpha, slope)
    with pytest.raises(ValueError, match="two radii"):
        plotting.spectral_slope(torch.randn(2, 3, 32, 32), r_min=30, r_max=31)


def test_frequency_split_figure_low_plus_high_is_the_image():
    x = torch.randn(3, 3, 16, 16)
    low = low_pass_filter(x, 4)
    torch.testing.assert_close(low + (x - low), x)
    fig = plotting.frequency_split_figure(x, 4, row_names=["a", "b", "c"])
    assert isinstance(fig, Figure) and len(fig.axes) == 9
    plotting.close(fig)


class _Lin(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.fc = nn.Linear(w.shape[1], w.shape[0], bias=False)
        self.fc.weight.data = w

    def forward(self, x):
        return self.fc(x.flatten(1))


def test_teacher_student_gap_against_a_direct_computation():
    torch.manual_seed(0)
    w = torch.randn(5, 12)
    t, s = _Lin(w), _Lin(w + 0.3 * torch.randn(5, 12))
    x = torch.randn(40, 3, 2, 2)
    gap = plotting.teacher_student_gap(t, s, x, batch_size=16)
    zt, zs = x.flatten(1) @ w.T, x.flatten(1) @ s.fc.weight.data.T
    assert gap["agreement"] == pytest.approx(100 * float((zt.argmax(1) == zs.argmax(1)).float().mean()))
    assert gap["rel_error"] == pytest.approx(float(((zs - zt).norm(dim=1) / zt.norm(dim=1)).mean()), rel=1e-5)
    kl = torch.nn.functional.kl_div(zs.log_softmax(1), zt.log_softmax(1), reduction="batchmean", log_target=True)
    assert gap["kl"] == pytest.approx(float(kl), rel=1e-4)
    same = plotting.teacher_student_gap(t, t, x)
    assert same["agreement"] == 100.0 and same["rel_error"] == 0.0 and abs(same["kl"]) < 1e-6


def test_activation_ranges_figure():
    fig = plotting.activation_ranges_figure({"a": [(0.0, 2.0), (0.0, 4.0)], "b": [(0.0, 1.0), (0.0, 2.0)]})
    assert isinstance(fig, Figure)
    ratio = fig.axes[1].lines[0].get_ydata()  # 'a' relative to the last set 'b'
    np.testing.assert_allclose(ratio, [2.0, 2.0])
    plotting.close(fig)


def test_d0_sweep_figure_puts_no_filter_on_the_right_apart():
    """No filter is d0 = infinity: its points sit right of every finite d0, are not joined to them by a line, and
    the finite d0s run in increasing order whatever order they are passed in (issue 18: no V-shaped curve)."""
    inf = float("inf")
    d0s, acc, conf, hf = [None, 8, 2, 32], [1.0, 0.3, 0.1, 0.99], [0.97, 0.31, 0.10, 0.96], [0.68, 0.24, 0.0, 0.65]
    fig = plotting.d0_sweep_figure(d0s, acc, conf, hf)
    for ax, values in ((fig.axes[0], acc), (fig.axes[1], hf)):
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert labels[:3] == ["2", "8", "32"] and labels[-1].startswith("none") and "inf" in labels[-1]
        curve, apart = ax.lines[0], next(line for line in ax.lines if len(line.get_xdata()) == 1)
        np.testing.assert_allclose(curve.get_ydata(), [100 * values[2], 100 * values[1], 100 * values[3]])
        assert apart.get_linestyle() == "None" and apart.get_ydata()[0] == pytest.approx(100 * values[0])
        assert apart.get_xdata()[0] > max(curve.get_xdata()) + 1  # drawn apart, past a gap
    plotting.close(fig)
    one = plotting.d0_sweep_figure([4, inf], [0.1, 1.0], [0.1, 0.9])  # inf as a number, no energy panel
    assert len(one.axes) == 1 and [t.get_text() for t in one.axes[0].get_xticklabels()][0] == "4"
    plotting.close(one)


def test_top_channels_and_gradcam_steps_figure():
    torch.manual_seed(0)
    feats = torch.rand(6, 4, 4)
    w = torch.tensor([0.5, -1.0, 2.0, 0.1, 0.0, 1.0])
    contrib = [float(w[k] * feats[k].mean()) for k in range(6)]
    assert plotting.top_channels(w, feats, 3) == sorted(range(6), key=lambda k: -contrib[k])[:3]
    grads = torch.randn(6, 4, 4)
    weighted = (w[:, None, None] * feats).sum(0)
    cam = weighted.relu()
    up = torch.nn.functional.interpolate(cam[None, None], size=(8, 8), mode="bilinear", align_corners=False)[0, 0]
    norm = (up - up.min()) / (up.max() - up.min())
    fig = plotting.gradcam_steps_figure(torch.rand(3, 8, 8), feats, grads, w, weighted, cam, up, norm, k=4)
    assert isinstance(fig, Figure)
    plotting.close(fig)
    with pytest.raises(ValueError, match="at least 3"):
        plotting.gradcam_steps_figure(torch.rand(3, 8, 8), feats, grads, w, weighted, cam, up, norm, k=2)
