"""The spectrum helpers behind the filter's plots and numbers (frequency_distance, power_spectrum, radial_profile,
high_frequency_energy) against numpy written out in the test, on odd and even sizes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import synq_nb.filtering as filtering
from synq_nb import high_frequency_energy, low_pass_filter, power_spectrum, radial_profile


@pytest.fixture(autouse=True)
def no_mask_cache(monkeypatch):
    """Masks computed elsewhere (another test, or a parent process) must not hide what this test computes."""
    monkeypatch.setattr(filtering, "_MASKS", {})


def np_distance(h, w):
    u = np.arange(h)[:, None] - h // 2
    v = np.arange(w)[None, :] - w // 2
    return np.sqrt(u**2 + v**2)


def np_power(x):
    x = x - x.mean(axis=(-2, -1), keepdims=True)
    p = np.abs(np.fft.fft2(x.astype(np.float64), axes=(-2, -1))) ** 2
    return np.fft.fftshift(p, axes=(-2, -1)).mean(axis=(0, 1))


@pytest.mark.parametrize("hw", [(5, 7), (8, 6), (1, 4)])
def test_frequency_distance_by_hand(hw):
    d = filtering.frequency_distance(*hw)
    assert d.dtype == torch.float32 and d.shape == hw
    np.testing.assert_allclose(d.numpy(), np_distance(*hw), atol=1e-6)


@pytest.mark.parametrize("hw", [(5, 7), (8, 8)])
def test_mask_uses_the_centre_of_odd_and_even_sizes(hw):
    g = filtering.lowpass_mask(*hw, 2.0)
    np.testing.assert_allclose(g.numpy(), np.exp(-np_distance(*hw) ** 2 / 8.0), atol=1e-6)


def test_power_spectrum_by_hand():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 2, 6, 7, generator=g) + 0.5
    p = power_spectrum(x, log=False)
    np.testing.assert_allclose(p.numpy(), np_power(x.numpy()), rtol=1e-4, atol=1e-4)
    # one image (C x H x W) is a batch of one
    torch.testing.assert_close(power_spectrum(x[0], log=False), power_spectrum(x[:1], log=False))
    torch.testing.assert_close(power_spectrum(x), torch.log10(p + 1e-8))


def test_radial_profile_by_hand():
    g = torch.Generator().manual_seed(1)
    spec = torch.rand(7, 9, generator=g)
    radii, prof = radial_profile(spec)
    r = np.rint(np_distance(7, 9)).astype(int)
    want = [spec.numpy()[r == k].mean() for k in range(r.max() + 1)]
    assert radii.tolist() == list(range(r.max() + 1))
    np.testing.assert_allclose(prof.numpy(), want, rtol=1e-5)
    assert float(prof[0]) == pytest.approx(float(spec[3, 4]))  # radius 0: the centre alone


@pytest.mark.parametrize("scale", [1.0, 1e-3])
def test_high_frequency_energy_by_hand(scale):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 8, 8, generator=g) * scale
    p = np_power(x.numpy())
    d = np_distance(8, 8)
    for radius in (2.0, 3.0, 3.5):  # 3: frequencies at exactly that distance are not counted as high
        want = p[d > radius].sum() / p.sum()
        assert high_frequency_energy(x, radius) == pytest.approx(want, rel=1e-4)
    assert high_frequency_energy(low_pass_filter(x, 1.0), 3.0) < 0.05 * high_frequency_energy(x, 3.0)


@pytest.mark.parametrize("d0", [3.0, 5.5])
def test_gaussian_and_ideal_masks_by_hand(d0):
    d = np_distance(9, 8)
    np.testing.assert_allclose(filtering.lowpass_mask(9, 8, d0).numpy(), np.exp(-d**2 / (2 * d0**2)), atol=1e-6)
    np.testing.assert_array_equal(filtering.lowpass_mask(9, 8, d0, "ideal").numpy(), (d <= d0).astype(np.float32))
    # the ideal mask keeps a frequency at exactly d0 (here the distance 3 of (u, v) = (3, 0), and 5.5 is never hit)
    assert filtering.lowpass_mask(9, 8, 3.0, "ideal")[4 + 3, 4] == 1.0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_filter_keeps_the_dtype(dtype):
    x = torch.randn(2, 3, 8, 8, dtype=dtype)
    out = low_pass_filter(x, 3.0)
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), low_pass_filter(x.float(), 3.0).numpy(), atol=1e-5)
