"""The fine-tuning losses of Eq. 6, each against a hand computation."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from synq_nb import cam_loss, difficulty, kd_loss, selective_ce


def _logits(n=12, c=10, seed=0, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, c, generator=g) * scale


def _kl_by_hand(s, t, temperature=1.0):
    """KL(teacher || student) = sum_c p_t (log p_t - log p_s), averaged over the batch."""
    pt = torch.softmax(t.double() / temperature, 1)
    ps = torch.softmax(s.double() / temperature, 1)
    return float((pt * (pt.log() - ps.log())).sum(1).mean())


def test_kd_loss_plain_kl():
    s, t = _logits(seed=1), _logits(seed=2)
    assert float(kd_loss(s, t)) == pytest.approx(_kl_by_hand(s, t), rel=1e-5)
    assert float(kd_loss(s, t)) > 0.1
    # KL is not symmetric: the direction is teacher || student
    assert float(kd_loss(t, s)) == pytest.approx(_kl_by_hand(t, s), rel=1e-5)
    assert abs(_kl_by_hand(s, t) - _kl_by_hand(t, s)) > 1e-3


def test_kd_loss_official_scaling():
    s, t = _logits(seed=3), _logits(seed=4)
    got = float(kd_loss(s, t, temperature=20.0, alpha=20.0))
    assert got == pytest.approx(20.0 * 20.0**2 * _kl_by_hand(s, t, 20.0), rel=1e-4)
    assert float(kd_loss(s, t, temperature=1.0, alpha=3.0)) == pytest.approx(3.0 * _kl_by_hand(s, t), rel=1e-5)


def test_kd_loss_zero_for_equal_logits_and_gradient():
    t = _logits(seed=5)
    assert float(kd_loss(t.clone(), t)) == pytest.approx(0.0, abs=1e-6)
    assert float(kd_loss(t + 7.0, t)) == pytest.approx(0.0, abs=1e-5)  # softmax ignores a constant shift
    s = _logits(seed=6).requires_grad_()
    kd_loss(s, t).backward()
    # d KL / d s = (p_s - p_t) / N
    torch.testing.assert_close(s.grad, (s.detach().softmax(1) - t.softmax(1)) / len(t), atol=1e-6, rtol=1e-4)


def test_difficulty_is_one_minus_teacher_probability():
    t = _logits(seed=7)
    y = torch.arange(12) % 10
    expected = torch.tensor([1 - math.exp(t[i, y[i]]) / sum(math.exp(v) for v in t[i].tolist()) for i in range(12)])
    d = difficulty(t, y)
    torch.testing.assert_close(d.double(), expected.double(), atol=1e-6, rtol=0)
    assert ((d >= 0) & (d <= 1)).all()


@pytest.mark.parametrize("tau", [0.0, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_selective_ce_masks_difficult_samples(tau):
    s, t = _logits(n=40, seed=8), _logits(n=40, seed=9)
    y = torch.arange(40) % 10
    delta = difficulty(t, y)
    # by hand: sum of CE over the samples with delta <= tau, divided by the whole batch size
    total = 0.0
    kept = 0
    for i in range(40):
        if delta[i] <= tau:
            kept += 1
            total += -torch.log_softmax(s[i].double(), 0)[y[i]].item()
    assert float(selective_ce(s, y, delta, tau)) == pytest.approx(total / 40, rel=1e-5, abs=1e-9)
    if 0 < tau < 1:
        assert 0 < kept < 40  # the mask really splits this batch
    # the masked samples get no gradient at all
    sg = s.clone().requires_grad_()
    selective_ce(sg, y, delta, tau).backward()
    masked = delta > tau
    assert (sg.grad[masked] == 0).all()
    assert (sg.grad[~masked].abs().sum(1) > 0).all()


def test_selective_ce_without_mask_is_cross_entropy():
    s = _logits(n=20, seed=10)
    y = torch.arange(20) % 10
    delta = torch.rand(20)
    for tau in (1.0, math.inf):
        torch.testing.assert_close(selective_ce(s, y, delta, tau), F.cross_entropy(s, y))


def test_cam_loss_is_mse():
    g = torch.Generator().manual_seed(11)
    a, b = torch.rand(4, 8, 8, generator=g), torch.rand(4, 8, 8, generator=g)
    assert float(cam_loss(a, b)) == pytest.approx(float(((a - b) ** 2).mean()), rel=1e-6)
    assert float(cam_loss(a, a.clone())) == 0.0
    ta, sb = a.clone().requires_grad_(), b.clone().requires_grad_()
    cam_loss(ta, sb).backward()
    assert ta.grad is None  # the teacher's map is a constant target
    torch.testing.assert_close(sb.grad, 2 * (b - a) / a.numel())
