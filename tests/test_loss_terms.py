"""Every term of the two losses against a computation written out in the test.

* Synthesis, Eq. 1: L = L_IL + alpha * L_BNS; L_BNS = mean over BN layers of MSE(batch mean, running mean)
  + MSE(biased batch variance, running variance); L_IL = beta * mean((1 - p_y)^gamma * CE), the weight detached.
  Checked on what ``synthesize`` records (its per-iteration history, weighted over batches) for the very inputs the
  teacher saw, and on the images after one Adam step (which follow the gradient of the whole loss).
* Fine-tuning, Eq. 6: L = KD + lambda_CE * selective CE + lambda_CAM * MSE(CAM_t, CAM_s), per term and in total,
  and the gradient the student receives.
Tiny random models (tests/tiny_nets.py): seconds, no data files.
"""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from synq_nb import bn_stats_loss, get_config, low_pass_filter, synthesize
from synq_nb.finetune import SynQStep
from synq_nb.synthesis import hard_sample_il
from tiny_nets import NUM_CLASSES, ref_step_loss, tiny_images, tiny_student, tiny_teacher


# ------------------------------------------------------------------------------------------- Eq. 1
def ref_il(logits, labels, beta, gamma):
    """beta * mean_i (1 - p_i)^gamma * CE_i, float64, one sample at a time."""
    total = 0.0
    for z, y in zip(logits.double(), labels):
        log_p = torch.log_softmax(z, 0)
        p = float(log_p[y].exp())
        total += max(1 - p, 1e-4) ** gamma * float(-log_p[y])
    return beta * total / len(labels)


def ref_bns(teacher, x):
    """L_BNS of the tiny teacher, layer by layer: (mean and biased variance of each BN input over N, H, W)."""
    f = teacher.features
    terms = []
    h = x
    for conv, bn, relu in ((f[0], f[1], f[2]), (f[3], f[4], f[5])):
        a = conv(h).double()
        mean = a.mean(dim=(0, 2, 3))
        var = ((a - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
        terms.append(((mean - bn.running_mean.double()) ** 2).mean() + ((var - bn.running_var.double()) ** 2).mean())
        h = relu(bn(a.float()))
    return sum(terms) / len(terms)


@pytest.mark.parametrize("beta, gamma", [(0.1, 0.5), (1.0, 2.0), (0.3, 0.0)])
def test_hard_sample_il_by_hand(beta, gamma):
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(12) % 7
    logits = torch.randn(12, 7, generator=g) * 2 + 2 * F.one_hot(labels, 7) * (torch.arange(12) % 2)[:, None]
    got = float(hard_sample_il(logits, labels, beta, gamma))
    assert got == pytest.approx(ref_il(logits, labels, beta, gamma), rel=1e-5)
    if gamma > 0:  # the weight matters: a plain beta * CE is off by 3 % or more here
        assert abs(got - beta * float(F.cross_entropy(logits, labels))) > 0.02 * got


def test_hard_sample_weight_is_a_constant_in_the_gradient():
    g = torch.Generator().manual_seed(1)
    logits = (torch.randn(9, 4, generator=g) * 2).requires_grad_()
    labels = torch.arange(9) % 4
    beta, gamma = 0.4, 1.5
    hard_sample_il(logits, labels, beta, gamma).backward()
    p = logits.detach().softmax(1)
    w = (1 - p[torch.arange(9), labels]) ** gamma
    expected = beta / 9 * w[:, None] * (p - F.one_hot(labels, 4))  # d(w * CE)/dz with w held fixed
    torch.testing.assert_close(logits.grad, expected, atol=1e-6, rtol=1e-5)


def test_hard_sample_weight_floor_when_the_teacher_is_certain():
    logits = torch.tensor([[60.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    labels = torch.tensor([0, 2])
    # sample 0: p = 1 exactly in float32, CE ~ 2 exp(-60); the weight is the floor 1e-4 ** gamma (not 0, not 1)
    ce1 = torch.log(torch.tensor(3.0)).item()
    expected = 0.5 * (1e-4**0.5 * 2 * torch.exp(torch.tensor(-60.0)).item() + (2 / 3) ** 0.5 * ce1)
    assert float(hard_sample_il(logits, labels, 1.0, 0.5)) == pytest.approx(expected, rel=1e-5)
    # where only the floor acts: weight 1e-4 ** 0.5 = 0.01 on a sample with p = 1
    one = torch.tensor([[30.0, 0.0]])
    ce = float(F.cross_entropy(one, torch.tensor([0])))
    assert float(hard_sample_il(one, torch.tensor([0]), 1.0, 0.5)) == pytest.approx(0.01 * ce, rel=1e-4)


def test_bn_stats_loss_mean_and_variance_terms():
    teacher = tiny_teacher(seed=2)
    x, _ = tiny_images(n=5, seed=3)  # small batch: the biased and unbiased variances differ by 1/320
    with torch.no_grad():
        expected = float(ref_bns(teacher, x))
    assert bn_stats_loss(teacher, x) == pytest.approx(expected, rel=1e-5)
    assert expected > 0.05


def _record_inputs(model):
    seen = []
    handle = model.register_forward_pre_hook(lambda m, inp: seen.append(inp[0].detach().clone()))
    return seen, handle


@pytest.mark.parametrize("alpha, beta, gamma", [(1.0, 0.1, 0.5), (0.7, 0.3, 2.0)])
def test_synthesis_history_is_eq1_on_the_teachers_inputs(alpha, beta, gamma):
    teacher = tiny_teacher(seed=4)
    seen, handle = _record_inputs(teacher)
    try:  # 7 images in batches of 4 and 3, two iterations each: the history is the image-weighted mean
        s = synthesize(teacher, 7, iters=2, batch_size=4, lr=0.1, alpha_bns=alpha, beta_il=beta, gamma_il=gamma,
                       seed=5, augment=False, cache=False, progress=False)
    finally:
        handle.remove()
    assert len(seen) == 4  # batch 0: iterations 0, 1; batch 1: iterations 0, 1
    labels = torch.arange(7) % NUM_CLASSES
    batches = [(seen[0], seen[1], labels[:4]), (seen[2], seen[3], labels[4:])]
    for it in range(2):
        exp = dict(bns=0.0, il=0.0, confidence=0.0, accuracy=0.0)
        for b in batches:
            x, y = b[it], b[2]
            w = len(y) / 7
            with torch.no_grad():
                logits = teacher(x)
                exp["bns"] += w * float(ref_bns(teacher, x))
            exp["il"] += w * ref_il(logits, y, beta, gamma)
            p = logits.double().softmax(1)
            exp["confidence"] += w * float(p[torch.arange(len(y)), y].mean())
            exp["accuracy"] += w * float((p.argmax(1) == y).double().mean())
        for k, v in exp.items():
            assert s.history[k][it] == pytest.approx(v, rel=1e-4, abs=1e-7), (k, it)
        assert s.history["loss"][it] == pytest.approx(exp["il"] + alpha * exp["bns"], rel=1e-4)
    # the images returned are the last iterate of each batch, one Adam step after the last input seen
    assert s.images.shape == (7, 3, 8, 8)


def test_one_synthesis_step_follows_the_gradient_of_eq1():
    teacher = tiny_teacher(seed=6)
    alpha, beta, gamma, lr = 0.5, 0.2, 2.0, 0.05
    seen, handle = _record_inputs(teacher)
    try:
        s = synthesize(teacher, 6, iters=1, batch_size=6, lr=lr, alpha_bns=alpha, beta_il=beta, gamma_il=gamma,
                       seed=7, augment=False, cache=False, progress=False)
    finally:
        handle.remove()
    (x0,) = seen
    y = torch.arange(6) % NUM_CLASSES
    x = x0.clone().requires_grad_()
    logits = teacher(x)
    p = logits.softmax(1)[torch.arange(6), y]
    weight = ((1 - p).clamp(min=1e-4) ** gamma).detach()
    loss = beta * (weight * F.cross_entropy(logits, y, reduction="none")).mean() + alpha * ref_bns(teacher, x).float()
    (g,) = torch.autograd.grad(loss, x)
    # Adam's first step is lr * g / (|g| + eps) per pixel
    expected = x0 - lr * g / (g.abs() + 1e-8)
    big = g.abs() > 1e-6  # where |g| is near eps the sign is still right but the step size is round-off
    assert big.float().mean() > 0.99
    torch.testing.assert_close(s.images[big], expected[big], atol=1e-5, rtol=0)
    # without the hard-sample weight (or without either term) the gradient, hence the step, differs
    x_flat = x0.clone().requires_grad_()
    lf = teacher(x_flat)
    loss_flat = beta * F.cross_entropy(lf, y) + alpha * ref_bns(teacher, x_flat).float()
    (g_flat,) = torch.autograd.grad(loss_flat, x_flat)
    assert ((g_flat.sign() != g.sign()) & big).float().mean() > 0.01


def test_synthesis_plateau_schedule():
    """ReduceLROnPlateau: x0.1 after 50 iterations without improvement. alpha = beta = 0 gives a flat loss."""
    teacher = tiny_teacher(seed=8)
    lrs = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        lrs.append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    torch.optim.Adam.step = spy
    try:
        synthesize(teacher, 1, iters=110, batch_size=1, lr=0.5, alpha_bns=0.0, beta_il=0.0, seed=0, augment=False,
                   cache=False, progress=False)
    finally:
        torch.optim.Adam.step = orig
    assert lrs == pytest.approx([0.5] * 52 + [0.05] * 51 + [0.005] * 7)


# ------------------------------------------------------------------------------------------- Eq. 6
def _setup(seed=0, n=16):
    teacher = tiny_teacher(seed=seed)
    x, y = tiny_images(n=n, seed=seed + 10)
    student = tiny_student(teacher, x)
    return teacher, student, x, y


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


CONFIGS = {
    "all_on": dict(),
    "baseline": dict(use_filter=False, use_cam=False, use_soft_labels=False),
    "cam_pred_kd_T4": dict(cam_target="pred", kd_temperature=4.0, kd_alpha=2.0, lambda_ce=0.3, lambda_cam=7.0),
    "ideal_filter_tau": dict(filter_kind="ideal", d0=3.0, tau=0.5, cam_floor=0.2),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_finetune_step_is_eq6_term_by_term(name):
    teacher, student, x, y = _setup(seed=1)
    cfg = get_config("smoke", **CONFIGS[name])
    ref_student = copy.deepcopy(student)
    loss, terms = SynQStep(student, teacher, cfg)(x, y)
    ref_loss, ref = ref_step_loss(ref_student, teacher, x, y, cfg)
    for k in ("kd", "ce", "cam"):
        assert float(terms[k].detach()) == pytest.approx(float(ref[k].detach()), rel=1e-4, abs=1e-7), k
    assert float(loss.detach()) == pytest.approx(float(ref_loss.detach()), rel=1e-4)
    assert float(ref["kd"].detach()) > 1e-2 and float(ref["ce"].detach()) > 1e-2
    delta = 1 - ref["t_logits"].softmax(1)[torch.arange(len(y)), y]
    hard = float((delta <= cfg.tau).float().mean()) if cfg.use_soft_labels else 1.0
    assert float(terms["hard_frac"]) == pytest.approx(hard)
    if cfg.use_cam:
        assert float(ref["cam"]) > 1e-4  # the maps differ: the term is not trivially zero
    # the gradient the student gets is that of the written-out loss
    loss.backward()
    ref_loss.backward()
    got, want = _grads(student), _grads(ref_student)
    assert got.keys() == want.keys() and len(got) > 0
    for k in got:
        torch.testing.assert_close(got[k], want[k], atol=1e-5, rtol=1e-3, msg=k)
    assert all(p.grad is None for p in teacher.parameters())


def test_selective_ce_keeps_a_sample_whose_difficulty_equals_tau():
    """Idea 3 keeps the samples with delta <= tau: the boundary belongs to the kept side."""
    from synq_nb import selective_ce

    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    labels = torch.tensor([0, 0, 1])
    delta = torch.tensor([0.25, 0.5, 0.75])
    ce = F.cross_entropy(logits, labels, reduction="none")
    assert float(selective_ce(logits, labels, delta, 0.5)) == pytest.approx(float(ce[:2].sum() / 3), rel=1e-6)
    assert float(selective_ce(logits, labels, delta, 0.25)) == pytest.approx(float(ce[0] / 3), rel=1e-6)


def test_selective_ce_really_splits_the_tiny_batch():
    teacher, _, x, y = _setup(seed=1)
    with torch.no_grad():
        x_f = low_pass_filter(x, 8.0)
        delta = 1 - teacher(x_f).softmax(1)[torch.arange(len(y)), y]
    # the configs above test a mask that keeps some samples and drops others (tau 0.7 and 0.5)
    for tau in (0.7, 0.5):
        assert 0 < int((delta <= tau).sum()) < len(y), (tau, delta)
