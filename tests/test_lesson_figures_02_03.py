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
