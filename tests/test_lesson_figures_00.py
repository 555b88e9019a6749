"""The lesson figures of notebooks 00-01 (synq_nb/plotting.py): each returns a Figure, and what they compute is
checked against an independent computation (the integer-grid formula by hand, PyTorch's own fake quantizer,
autograd, a direct mean/variance)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from synq_nb import plotting  # noqa: E402


def test_quantize_numbers_by_hand():
    # range [-1, 2] at 3 bits: s = 3 / 7, z = round(1 / s) = round(2.33) = 2, levels (k - 2) * s for k = 0..7
    q = plotting.quantize_numbers([-1.3, -0.62, 0.31, 2.6], -1.0, 2.0, 3)
    s = 3 / 7
    assert float(q["scale"]) == pytest.approx(s, rel=1e-6) and float(q["zero_point"]) == 2
    assert q["codes"].tolist() == [0, 1, 3, 7]          # -1.3 and 2.6 clipped to the ends; -0.62 / s = -1.45 -> -1 + 2
    torch.testing.assert_close(q["values"], (q["codes"] - 2) * s)
    assert q["clipped"].tolist() == [True, False, False, True]
    torch.testing.assert_close(q["grid"], (torch.arange(8) - 2.0) * s)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_quantize_numbers_matches_torch_fake_quantize(bits):
    x = torch.linspace(-3, 3, 301)
    q = plotting.quantize_numbers(x, -1.5, 2.5, bits)
    ref = torch.fake_quantize_per_tensor_affine(x, float(q["scale"]), int(q["zero_point"]), 0, 2**bits - 1)
    torch.testing.assert_close(q["values"], ref, atol=1e-6, rtol=0)
    assert q["codes"].min() >= 0 and q["codes"].max() <= 2**bits - 1
    inside = ~q["clipped"]
    assert ((q["values"] - x)[inside].abs() <= q["scale"] / 2 + 1e-6).all()   # rounding error at most half a step


def test_quantize_numbers_rejects_bad_input():
    with pytest.raises(ValueError, match="hi > lo"):
        plotting.quantize_numbers([0.0], 1.0, 1.0, 4)
    with pytest.raises(ValueError, match="integer from"):
        plotting.quantize_numbers([0.0], 0.0, 1.0, 1)


def test_quantizer_and_ste_figures():
    fig = plotting.quantizer_figure(torch.tensor([-1.3, 0.2, 2.6]), -1.0, 2.0, 3, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    plotting.close(fig)
    x = torch.linspace(-1, 1, 11)
    fig = plotting.ste_figure(x, {"round": x.round()}, {"round": torch.zeros_like(x), "ste": torch.ones_like(x)})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    plotting.close(fig)


def test_hard_sample_weight_figure_derivative_matches_autograd():
    fig = plotting.hard_sample_weight_figure(gammas=(0.5, 2.0))
    assert isinstance(fig, Figure)
    ax_w, ax_d = fig.axes
    for line_w, line_d, g in zip(ax_w.lines, ax_d.lines, (0.5, 2.0)):
        p = torch.tensor(line_w.get_xdata(), dtype=torch.float64)
        torch.testing.assert_close(torch.tensor(line_w.get_ydata()), (1 - p) ** g)
        gap = torch.tensor(line_d.get_xdata(), dtype=torch.float64)
        pp = (1 - gap).requires_grad_()
        (1 - pp).clamp(min=0).pow(g).sum().backward()   # autograd's derivative, independent of the formula
        mask = gap > 1e-6  # 1 - gap loses precision for tinier gaps in float64 arithmetic
        np.testing.assert_allclose(np.asarray(line_d.get_ydata())[mask], pp.grad.abs().numpy()[mask], rtol=1e-4)
    plotting.close(fig)


class _BNNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 5, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(5)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        x = torch.relu(self.bn(self.conv(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


def test_bn_channel_values_and_figure():
    torch.manual_seed(0)
    net = _BNNet().eval()
    net.bn2.running_mean.fill_(0.3), net.bn2.running_var.fill_(2.0)
    x = torch.randn(300, 3, 6, 6)   # more than one batch of 256
    v = plotting.bn_channel_values(net, x, layer=1, channel=2)
    with torch.no_grad():
        direct = net.conv2(torch.relu(net.bn(net.conv(x))))[:, 2]
    assert v.numel() == direct.numel() == 300 * 36
    torch.testing.assert_close(v.mean(), direct.mean(), atol=1e-5, rtol=0)
    torch.testing.assert_close(v.var(unbiased=False), direct.var(unbiased=False), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="channel must be in"):
        plotting.bn_channel_values(net, x, layer=1, channel=5)
    fig = plotting.bn_channel_figure(net, {"noise": x, "other": x * 2}, layer=1, channel=2)
    assert isinstance(fig, Figure)
    plotting.close(fig)
