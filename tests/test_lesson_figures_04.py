"""The lesson figures of notebooks 04-05 (synq_nb.plotting, below the 04-05 anchor): each returns a Figure, and
what it computes agrees with an independent computation."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from synq_nb import plotting  # noqa: E402


def test_softmax_temperature_by_hand():
    z = [2.0, 1.0, 0.0]
    p = plotting.softmax_temperature(z, (1, 2))
    for t in (1.0, 2.0):
        e = [math.exp(v / t) for v in z]
        want = torch.tensor([v / sum(e) for v in e])
        torch.testing.assert_close(p[t], want)
    # the order of the classes never changes; a higher T flattens the distribution
    assert p[2.0][0] < p[1.0][0] and p[2.0][2] > p[1.0][2]
    with pytest.raises(ValueError, match="positive"):
        plotting.softmax_temperature(z, (0,))


def test_softmax_temperature_figure():
    fig = plotting.softmax_temperature_figure(torch.randn(10), [f"c{i}" for i in range(10)], (1, 4), label=3)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    # bar heights of the T = 4 panel are the softmax at T = 4
    heights = [b.get_height() for b in fig.axes[2].patches]
    assert len(heights) == 10 and abs(sum(heights) - 1) < 1e-5
    plotting.close(fig)
    with pytest.raises(ValueError, match="class names"):
        plotting.softmax_temperature_figure(torch.randn(10), ["a", "b"])


def test_mean_probability_by_class_against_a_loop():
    g = torch.Generator().manual_seed(0)
    probs = torch.rand(50, 4, generator=g).softmax(1)
    labels = torch.randint(0, 3, (50,), generator=g)  # class 3 has no image
    m = plotting.mean_probability_by_class(probs, labels, 4)
    for c in range(3):
        rows = [probs[i].numpy() for i in range(50) if int(labels[i]) == c]
        np.testing.assert_allclose(m[c], np.mean(rows, axis=0), rtol=1e-6)
    assert np.isnan(m[3]).all()
    np.testing.assert_allclose(m[:3].sum(1), 1, rtol=1e-6)  # each row is a distribution
    fig = plotting.class_similarity_figure(m[:3, :3], ["a", "b", "c"])
    assert isinstance(fig, Figure)
    plotting.close(fig)
    with pytest.raises(ValueError, match="one label per row"):
        plotting.mean_probability_by_class(probs, labels[:10])


def test_loss_contributions_sum_to_the_total():
    h = dict(epoch=[1, 2], kd=[0.5, 0.3], ce=[0.2, 0.1], cam=[0.02, 0.01])
    c = plotting.loss_contributions(h, 0.5, 5.0)
    np.testing.assert_allclose(c["total"], [0.5 + 0.1 + 0.1, 0.3 + 0.05 + 0.05])
    np.testing.assert_allclose(c["ce"], [0.1, 0.05])
    fig = plotting.loss_contributions_figure(h, 0.5, 5.0)
    assert isinstance(fig, Figure)
    # the stacked bars of the last epoch reach the total
    tops = [b.get_y() + b.get_height() for b in fig.axes[0].patches]
    assert max(tops) == pytest.approx(0.7)
    plotting.close(fig)


def test_weight_code_changes_counts_what_moved():
    import copy

    from synq_nb import quantize_model
    from synq_nb.quantization import weight_qparams

    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5))
    a = quantize_model(net, 4, 4)
    b = copy.deepcopy(a)
    none = plotting.weight_code_changes(a, b)
    assert none["codes_changed"] == 0 and none["channels_regridded"] == 0 and none["max_step_fraction"] == 0
    assert none["weights"] == 4 * 3 * 9 + 5 * 144 and none["channels"] == 9
    # move one interior weight of the conv by 1.2 quantization steps: exactly its code changes, the grid stays
    w = b[0].weight.data.view(4, -1)
    s, _ = weight_qparams(w, 4)
    k = int(torch.argsort(w[0])[len(w[0]) // 2])
    w[0, k] += 1.2 * s[0]
    got = plotting.weight_code_changes(a, b)
    assert got["codes_changed"] == 1 and got["channels_regridded"] == 0
    assert got["max_step_fraction"] == pytest.approx(1.2, rel=1e-4)
    with pytest.raises(ValueError, match="no quantized layer"):
        plotting.weight_code_changes(net, net)
