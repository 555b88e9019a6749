"""Idea 1, the low-pass filter (Eq. 4), against an independent numpy FFT implementation."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from synq_nb import high_frequency_energy, low_pass_filter, lowpass_mask, power_spectrum, radial_profile


def numpy_lowpass(x: np.ndarray, d0: float, kind: str = "gaussian") -> np.ndarray:
    """Eq. 4 written out: centred spectrum (fftshift), G(u, v) with D measured to (H // 2, W // 2),
    back with ifftshift + ifft2, real part."""
    h, w = x.shape[-2:]
    spec = np.fft.fftshift(np.fft.fft2(x.astype(np.float64), axes=(-2, -1)), axes=(-2, -1))
    u = np.arange(h)[:, None] - h // 2
    v = np.arange(w)[None, :] - w // 2
    d = np.sqrt(u**2 + v**2)
    g = np.exp(-(d**2) / (2.0 * d0**2)) if kind == "gaussian" else (d <= d0).astype(np.float64)
    return np.real(np.fft.ifft2(np.fft.ifftshift(spec * g, axes=(-2, -1)), axes=(-2, -1)))


def _images(shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g)


SIZES = [(32, 32), (31, 33), (8, 5), (7, 7)]


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("d0", [1.5, 4.0, 8.0, 16.0])
def test_gaussian_filter_matches_numpy(hw, d0):
    x = _images((3, 3) + hw)
    ours = low_pass_filter(x, d0)
    ref = numpy_lowpass(x.numpy(), d0)
    assert ours.shape == x.shape and ours.dtype == x.dtype
    np.testing.assert_allclose(ours.numpy(), ref, atol=1e-5, rtol=0)


@pytest.mark.parametrize("hw", SIZES)
@pytest.mark.parametrize("d0", [1.0, 3.0, 6.5])
def test_ideal_filter_matches_numpy(hw, d0):
    x = _images((2, 3) + hw, seed=1)
    ours = low_pass_filter(x, d0, kind="ideal")
    np.testing.assert_allclose(ours.numpy(), numpy_lowpass(x.numpy(), d0, "ideal"), atol=1e-5, rtol=0)


def test_single_image_and_mask():
    x = _images((3, 9, 10))  # C x H x W is accepted too
    np.testing.assert_allclose(low_pass_filter(x, 3.0).numpy(), numpy_lowpass(x.numpy(), 3.0), atol=1e-5)
    g = lowpass_mask(9, 10, 3.0)
    assert g.shape == (9, 10)
    assert g[9 // 2, 10 // 2] == 1.0 and g.max() == 1.0  # the centre is the zero frequency
    assert g[0, 0].item() == pytest.approx(math.exp(-(4**2 + 5**2) / 18), rel=1e-6)
    gi = lowpass_mask(9, 10, 3.0, kind="ideal")
    assert set(gi.unique().tolist()) <= {0.0, 1.0} and gi[4, 8] == 1.0 and gi[4, 9] == 0.0


@pytest.mark.parametrize("hw", [(32, 32), (31, 33)])
@pytest.mark.parametrize("kind", ["gaussian", "ideal"])
def test_limits(hw, kind):
    x = _images((2, 3) + hw, seed=2) * 2 + 1
    # a very wide pass band: the identity
    torch.testing.assert_close(low_pass_filter(x, 1e6, kind), x, atol=1e-4, rtol=0)
    # a very narrow one: only the zero frequency survives, i.e. each channel's mean
    mean = x.mean(dim=(-2, -1), keepdim=True).expand_as(x)
    torch.testing.assert_close(low_pass_filter(x, 1e-3, kind), mean, atol=1e-5, rtol=0)
    # None: unchanged
    assert low_pass_filter(x, None) is x


def test_filter_is_linear_and_differentiable():
    a, b = _images((2, 3, 16, 16), 3), _images((2, 3, 16, 16), 4)
    torch.testing.assert_close(low_pass_filter(2 * a - b, 4.0), 2 * low_pass_filter(a, 4.0) - low_pass_filter(b, 4.0),
                               atol=1e-5, rtol=0)
    x = a.clone().requires_grad_()
    low_pass_filter(x, 4.0).sum().backward()
    # the sum only sees the DC term, whose gain is 1: d(sum)/dx = 1 everywhere
    torch.testing.assert_close(x.grad, torch.ones_like(x), atol=1e-5, rtol=0)


def test_filtered_images_lose_high_frequency_energy():
    x = _images((8, 3, 32, 32), 5)  # white noise: energy spread over all frequencies
    base = high_frequency_energy(x, 8)
    assert base == pytest.approx(1 - math.pi * 64 / 1024, abs=0.05)  # fraction of the area outside radius 8
    energies = [high_frequency_energy(low_pass_filter(x, d0), 8) for d0 in (16.0, 8.0, 4.0, 2.0)]
    assert all(e < base for e in energies)
    assert energies == sorted(energies, reverse=True)  # a narrower filter removes more
    assert energies[-2] < 0.1 * base  # d0 = 4: Gaussian gain at radius 8 is exp(-2) = 0.14 (energy 0.018)
    assert high_frequency_energy(low_pass_filter(x, 6.0, "ideal"), 8) < 1e-6


def test_power_spectrum_and_radial_profile():
    x = _images((4, 3, 16, 16), 6)
    p = power_spectrum(x, log=False)
    assert p.shape == (16, 16) and (p >= 0).all()
    assert p[8, 8].item() == pytest.approx(0, abs=1e-3)  # the DC term is removed
    radii, prof = radial_profile(p)
    assert radii[0] == 0 and len(radii) == len(prof) == int(round(math.hypot(8, 8))) + 1
    torch.testing.assert_close(power_spectrum(x), torch.log10(p + 1e-8))
    # low-pass filtered noise has a falling radial profile
    _, prof_f = radial_profile(power_spectrum(low_pass_filter(x, 3.0), log=False))
    assert prof_f[1] > prof_f[5] > prof_f[9]


@pytest.mark.parametrize("d0", [0, -1.0, float("nan"), float("inf"), "8"])
def test_bad_d0(d0):
    with pytest.raises(ValueError, match="d0"):
        low_pass_filter(_images((1, 3, 8, 8)), d0)


@pytest.mark.parametrize("bad", [torch.zeros(8, 8), torch.zeros(1, 1, 3, 8, 8), torch.zeros(1, 3, 8, 8, dtype=torch.long)])
def test_bad_shapes(bad):
    with pytest.raises(ValueError, match="N x C x H x W"):
        low_pass_filter(bad, 4.0)


def test_bad_kind():
    with pytest.raises(ValueError, match="gaussian"):
        low_pass_filter(_images((1, 3, 8, 8)), 4.0, kind="butterworth")
