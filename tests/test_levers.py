"""The quantizer options beyond the paper (issue 12): MSE-searched weight ranges and LSQ activation step sizes.

Each is checked against an independent computation (a brute-force search, the LSQ gradient written out) and
pinned to its effect in a run: on, the computation changes as described; off (the default), nothing changes.
Tiny random models (tests/tiny_nets.py): seconds, no data files.
"""
from __future__ import annotations

import copy
import math

import pytest
import torch

from synq_nb import calibrate_activations, finetune, get_config, quantize_model
from synq_nb.cli import build_parser, config_from_args
from synq_nb.quantization import (MSE_RATIOS, ActQuant, QuantConv2d, act_quantizers, fake_quantize,
                                  make_act_steps_learnable, quantize_weight, weight_qparams)
from tiny_nets import tiny_images, tiny_teacher


def _quant_error(w, lo, hi, bits):
    """Squared error of round-to-nearest on [lo, hi] (lo <= 0 <= hi), written out in float64."""
    levels = 2**bits - 1
    scale = max((hi - lo) / levels, 1e-8)
    zp = round(-lo / scale)
    q = [min(max(round(v / scale) + zp, 0), levels) for v in w]
    return sum(((c - zp) * scale - v) ** 2 for c, v in zip(q, w))


@pytest.mark.parametrize("bits", [2, 3, 4])
def test_mse_range_is_the_brute_force_minimum_over_the_ratios(bits):
    g = torch.Generator().manual_seed(bits)
    w = torch.randn(6, 2048, generator=g)
    w[0, 0] = 6.0  # one outlier among many values: clipping it pays
    scale, zp = weight_qparams(w, bits, "mse")
    mm_scale, _ = weight_qparams(w, bits, "minmax")
    for c in range(w.shape[0]):
        vals = w[c].flatten().double().tolist()
        lo, hi = min(min(vals), 0.0), max(max(vals), 0.0)
        errs = [_quant_error(vals, lo * r, hi * r, bits) for r in MSE_RATIOS]
        best = min(errs)
        got = _quant_error(vals, -float(zp[c] * scale[c]), -float(zp[c] * scale[c]) + float(scale[c]) * (2**bits - 1), bits)
        assert got == pytest.approx(best, rel=1e-4, abs=1e-9)
        assert best <= errs[0] + 1e-12  # never worse than min/max (ratio 1.0 is among the candidates)
    # the outlier channel is clipped: a smaller step than min/max gives
    assert scale[0] < mm_scale[0]


def test_minmax_is_unchanged_and_unknown_method_is_refused():
    w = torch.randn(4, 2, 3, 3)
    flat = w.flatten(1)
    lo, hi = flat.min(1).values.clamp(max=0), flat.max(1).values.clamp(min=0)
    scale, zp = weight_qparams(w, 3)
    assert torch.equal(scale, ((hi - lo) / 7).clamp(min=1e-8))
    assert torch.equal(zp, torch.round(-lo / scale))
    with pytest.raises(ValueError, match="minmax"):
        weight_qparams(w, 3, "l2")
    with pytest.raises(ValueError, match="weight_range"):
        quantize_model(tiny_teacher(), 3, 3, weight_range="l2")


def test_weight_range_reaches_every_layer_and_changes_its_output():
    teacher = tiny_teacher()
    x, _ = tiny_images()
    a = calibrate_activations(quantize_model(teacher, 2, 2), x)
    b = calibrate_activations(quantize_model(teacher, 2, 2, weight_range="mse"), x)
    convs = [m for m in b.modules() if isinstance(m, QuantConv2d)]
    assert convs and all(m.w_range == "mse" for m in convs)
    assert all(m.w_range == "minmax" for m in a.modules() if isinstance(m, QuantConv2d))
    w = convs[0].weight
    assert torch.equal(convs[0]._conv_forward(x, quantize_weight(w, 2, "mse"), convs[0].bias),
                       convs[0](x))
    assert not torch.equal(a(x), b(x))


def _calibrated_act(bits=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    aq = ActQuant(bits)
    calibrate_input = torch.relu(torch.randn(64, 4, 5, 5, generator=g))
    aq.calibrating = True
    aq(calibrate_input)
    aq.calibrating = False
    return aq, torch.relu(torch.randn(8, 4, 5, 5, generator=g)) * 1.5


def test_lsq_starts_from_the_calibrated_quantizer():
    aq, x = _calibrated_act()
    frozen = aq(x)
    aq.make_learnable()
    assert isinstance(aq.lsq_scale, torch.nn.Parameter)
    lo, hi = aq.range
    assert aq.lsq_scale.item() == pytest.approx(float((hi.clamp(min=0) - lo.clamp(max=0)) / 7), rel=1e-6)
    same = torch.isclose(aq(x), frozen, atol=1e-6).float().mean().item()
    assert same > 0.999  # equal but where x / s is a rounding tie computed two ways


def test_lsq_gradients_are_the_lsq_formula():
    """d out / d s = g * sum(upstream * (round(x/s) - x/s)) inside the range, g * sum(upstream * (q - z)) where
    clipped; d out / d x = upstream inside, 0 outside (Esser et al. 2020, Eq. 3 and the gradient scale g)."""
    bits = 3
    aq, x = _calibrated_act(bits)
    aq.make_learnable()
    with torch.no_grad():
        aq.lsq_scale.fill_(0.2)  # a range that clips some of x
    x = x.requires_grad_()
    up = torch.randn_like(x)
    (aq(x) * up).sum().backward()
    s, z, qmax = 0.2, float(aq.lsq_zero_point), 2**bits - 1
    xd, upd = x.detach().double(), up.double()
    v = xd / s + z
    inside = (v > 0) & (v < qmax)
    d_s = torch.where(inside, torch.round(v) - v, v.clamp(0, qmax) - z)
    g = 1 / math.sqrt(x[0].numel() * qmax)
    assert (~inside).any() and inside.any()
    assert aq.lsq_scale.grad.item() == pytest.approx(float(g * (upd * d_s).sum()), rel=1e-5)
    # at exactly 0 or the top code (ReLU zeros) torch versions differ in the clamp's one-sided gradient; the
    # ReLU before the quantizer has zero gradient there anyway
    edge = (v == 0) | (v == qmax)
    assert torch.allclose(x.grad.double()[~edge], torch.where(inside, upd, torch.zeros_like(upd))[~edge])


def test_lsq_needs_a_calibrated_range():
    with pytest.raises(RuntimeError, match="calibrate"):
        ActQuant(3).make_learnable()


def _finetune_tiny(**kw):
    teacher = tiny_teacher()
    x, y = tiny_images(32)
    cfg = get_config("smoke", epochs=1, iters_per_epoch=4, batch_size=8, eval_every=0, augment=False,
                     use_filter=False, use_cam=False, **kw)
    student = calibrate_activations(quantize_model(teacher, 2, 2, cfg.weight_range), x)
    if cfg.act_quant == "lsq":
        make_act_steps_learnable(student)
    before = copy.deepcopy(student.state_dict())
    finetune(student, teacher, x, y, cfg, progress=False)
    return student, before


def test_lsq_step_sizes_train_without_weight_decay_and_follow_quant_lr_mult():
    s1, before = _finetune_tiny(act_quant="lsq")
    names = [k for k in before if k.endswith("lsq_scale")]
    assert len(names) == len(act_quantizers(s1)) == 2
    moved = [abs(float(s1.state_dict()[k] - before[k])) for k in names]
    assert all(m > 0 for m in moved)
    s10, _ = _finetune_tiny(act_quant="lsq", quant_lr_mult=10)
    moved10 = [abs(float(s10.state_dict()[k] - before[k])) for k in names]
    assert all(b > a for a, b in zip(moved, moved10))
    # the default ("ema") has no step-size parameters and frozen ranges
    s0, before0 = _finetune_tiny()
    assert not any(k.endswith("lsq_scale") for k in s0.state_dict())
    for k in before0:
        if k.endswith(("ema_min", "ema_max")):
            assert torch.equal(s0.state_dict()[k], before0[k])


def test_no_weight_decay_on_step_sizes():
    """With lr tiny and weight decay huge, weights shrink but step sizes move only by their own gradient."""
    s_wd, before = _finetune_tiny(act_quant="lsq", weight_decay=50.0, lr=1e-4)
    s_0, _ = _finetune_tiny(act_quant="lsq", weight_decay=0.0, lr=1e-4)
    for k in before:
        if k.endswith("lsq_scale"):
            assert torch.allclose(s_wd.state_dict()[k], s_0.state_dict()[k], rtol=1e-4)
    w = next(k for k in before if k.endswith("weight") and before[k].dim() == 4)
    assert s_wd.state_dict()[w].norm() < s_0.state_dict()[w].norm()


def test_config_and_cli_refuse_bad_values_and_pass_good_ones():
    for bad in (dict(weight_range="l2"), dict(act_quant="pact"), dict(quant_lr_mult=0), dict(quant_lr_mult=float("nan"))):
        with pytest.raises(ValueError):
            get_config("smoke", **bad)
    args = build_parser().parse_args(["run", "--out", "o", "--weight-range", "mse", "--act-quant", "lsq",
                                      "--quant-lr-mult", "3"])
    cfg = config_from_args(args)
    assert (cfg.weight_range, cfg.act_quant, cfg.quant_lr_mult) == ("mse", "lsq", 3.0)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--out", "o", "--act-quant", "pact"])
    paper = get_config("cpu")
    assert (paper.weight_range, paper.act_quant) == ("minmax", "ema")  # the paper's SynQ stays the default
