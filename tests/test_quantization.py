"""Round-to-nearest quantization: weights (vs PyTorch's own fake quantizer), activations (vs a hand-computed
EMA), model wrapping, storage size, and W8A8 accuracy on the full CIFAR-10 test set."""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn as nn

from synq_nb import calibrate_activations, evaluate, model_size_bits, quantize_model
from synq_nb.quantization import ActQuant, QuantConv2d, QuantLinear, act_quantizers, check_bits, quantize_weight, weight_qparams

BITS = range(2, 9)
SHAPES = {"conv": (16, 8, 3, 3), "conv_wide": (32, 16, 3, 3), "linear": (10, 64)}


def _weights(shape, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(shape, generator=g) * 0.1
    w[0] = w[0].abs() + 0.01  # one all-positive channel: its range must be widened to include 0
    return w


# ---------------------------------------------------------------------------------------------- weights
@pytest.mark.parametrize("bits", BITS)
@pytest.mark.parametrize("kind", SHAPES)
def test_weight_quantizer_matches_torch_fake_quantize(kind, bits):
    w = _weights(SHAPES[kind], seed=bits)
    scale, zp = weight_qparams(w, bits)
    ref = torch.fake_quantize_per_channel_affine(w, scale, zp.to(torch.int32), 0, 0, 2**bits - 1)
    ours = quantize_weight(w, bits)
    # a tolerance far below one quantization step (>= 1e-3 here): any rounding disagreement would show
    assert scale.min() > 1e-4
    torch.testing.assert_close(ours, ref, atol=1e-6, rtol=0)


@pytest.mark.parametrize("bits", BITS)
def test_weight_codes_per_channel(bits):
    w = _weights(SHAPES["conv_wide"], seed=10 + bits)
    wq = quantize_weight(w, bits)
    scale, zp = weight_qparams(w, bits)
    codes = wq.flatten(1) / scale[:, None] + zp[:, None]
    # codes are integers in [0, 2^b - 1] and each channel uses at most 2^b distinct values
    assert torch.allclose(codes, codes.round(), atol=1e-3)
    assert codes.round().min() >= 0 and codes.round().max() <= 2**bits - 1
    for row in wq.flatten(1):
        assert len(torch.unique(row)) <= 2**bits
    # zero is exactly representable (the range includes 0, the zero point is an integer code)
    assert torch.equal(zp, zp.round())
    # round-to-nearest: the error is at most half a step
    assert ((wq - w).flatten(1).abs() <= scale[:, None] / 2 + 1e-6).all()


def test_weight_quantizer_straight_through_gradient():
    for shape in SHAPES.values():
        w = _weights(shape, seed=3).requires_grad_()
        quantize_weight(w, 4).sum().backward()
        assert torch.equal(w.grad, torch.ones_like(w))


def test_quant_layers_use_quantized_weights():
    conv = nn.Conv2d(4, 6, 3, padding=1, bias=True)
    q = QuantConv2d.from_float(conv, 3)
    x = torch.randn(2, 4, 5, 5)
    ref = nn.functional.conv2d(x, quantize_weight(conv.weight, 3), conv.bias, padding=1)
    torch.testing.assert_close(q(x), ref)
    lin = nn.Linear(7, 3)
    ql = QuantLinear.from_float(lin, 5)
    x = torch.randn(4, 7)
    torch.testing.assert_close(ql(x), nn.functional.linear(x, quantize_weight(lin.weight, 5), lin.bias))


# ---------------------------------------------------------------------------------------------- activations
def test_act_quant_range_is_bias_corrected_ema():
    g = torch.Generator().manual_seed(0)
    batches = [torch.randn(8, 4, 5, 5, generator=g) * s + o for s, o in ((1, 0), (2, 1), (0.5, 3), (3, -1))]
    aq = ActQuant(4)
    aq.calibrating = True
    for x in batches:
        aq(x)
    aq.calibrating = False
    m_min = m_max = 0.0
    for x in batches:
        m_min = 0.9 * m_min + 0.1 * x.min().item()
        m_max = 0.9 * m_max + 0.1 * x.max().item()
    corr = 1 - 0.9 ** len(batches)
    lo, hi = aq.range
    assert int(aq.steps) == len(batches)
    assert lo.item() == pytest.approx(m_min / corr, rel=1e-5)
    assert hi.item() == pytest.approx(m_max / corr, rel=1e-5)
    # frozen after calibration: more forwards do not move the range
    aq(torch.randn(8, 4, 5, 5) * 100)
    assert aq.range[0].item() == pytest.approx(m_min / corr, rel=1e-5)


def test_act_quant_bias_correction_on_constant_range():
    aq = ActQuant(8)
    aq.calibrating = True
    for _ in range(3):  # every batch spans exactly [0, 2]: the corrected EMA must be exactly that
        aq(torch.tensor([0.0, 1.0, 2.0]))
    lo, hi = aq.range
    assert lo.item() == pytest.approx(0.0, abs=1e-6)
    assert hi.item() == pytest.approx(2.0, rel=1e-5)


def test_act_quant_before_calibration_raises():
    with pytest.raises(RuntimeError, match="before calibration"):
        ActQuant(4)(torch.randn(3))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_act_quant_output_levels(bits):
    aq = ActQuant(bits)
    g = torch.Generator().manual_seed(bits)
    aq.calibrating = True
    aq(torch.rand(1000, generator=g) * 6)
    aq.calibrating = False
    out = aq(torch.randn(20000, generator=g) * 4 + 2)  # also values far outside the calibrated range (clamped)
    assert len(torch.unique(out)) <= 2**bits
    assert len(torch.unique(out)) >= 2**bits - 1  # the code range is actually used
    lo, hi = aq.range
    assert out.min() >= min(lo.item(), 0) - 1e-5 and out.max() <= hi.item() + 1e-5
    # clipped straight-through estimator: gradient 1 inside the calibrated range, 0 outside it
    x = torch.tensor([-5.0, 0.0, 0.7, 3.0, 5.9, 7.0, 50.0], requires_grad=True)
    aq(x).sum().backward()
    inside = (x.detach() >= 0) & (x.detach() <= hi.item())
    assert inside.tolist() == [False, True, True, True, True, False, False]
    assert torch.equal(x.grad, inside.float())


def _tiny_net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, bias=True), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                         nn.Linear(4 * 6 * 6, 2), nn.ReLU6())


def test_calibrate_activations_resets_and_freezes():
    q = quantize_model(_tiny_net(), 4, 4)
    x = torch.randn(10, 3, 8, 8)
    calibrate_activations(q, x, batch_size=3)  # 4 batches
    qs = act_quantizers(q)
    assert len(qs) == 2 and all(int(a.steps) == 4 and not a.calibrating for a in qs)
    first = [a.range for a in qs]
    calibrate_activations(q, x, batch_size=3)  # recalibration starts from scratch: same result
    for a, (lo, hi) in zip(qs, first):
        assert int(a.steps) == 4 and torch.equal(a.range[0], lo) and torch.equal(a.range[1], hi)
    with pytest.raises(ValueError, match="N x C x H x W"):
        calibrate_activations(q, torch.randn(3, 8, 8))


def test_calibrate_unquantized_model_raises():
    with pytest.raises(ValueError, match="quantize_model"):
        calibrate_activations(_tiny_net(), torch.randn(2, 3, 8, 8))


# ---------------------------------------------------------------------------------------------- model wrapping
def test_quantize_model_structure(teacher):
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    q = quantize_model(teacher, 4, 4)
    assert q is not teacher
    after = teacher.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert not any(isinstance(m, (QuantConv2d, QuantLinear, ActQuant)) for m in teacher.modules())
    assert not any(p.requires_grad for p in teacher.parameters())

    n_conv = sum(isinstance(m, nn.Conv2d) for m in teacher.modules())
    n_lin = sum(isinstance(m, nn.Linear) for m in teacher.modules())
    n_relu = sum(isinstance(m, nn.ReLU) for m in teacher.modules())
    assert (n_conv, n_lin, n_relu) == (19, 1, 19)
    convs = [m for m in q.modules() if isinstance(m, nn.Conv2d)]
    lins = [m for m in q.modules() if isinstance(m, nn.Linear)]
    assert len(convs) == n_conv and all(isinstance(m, QuantConv2d) and m.w_bits == 4 for m in convs)
    assert len(lins) == n_lin and all(isinstance(m, QuantLinear) and m.w_bits == 4 for m in lins)
    # an ActQuant right after every ReLU
    wrapped = [m for m in q.modules() if isinstance(m, nn.Sequential) and len(m) == 2 and isinstance(m[0], nn.ReLU)]
    assert len(wrapped) == n_relu and all(isinstance(m[1], ActQuant) and m[1].bits == 4 for m in wrapped)
    assert len(act_quantizers(q)) == n_relu
    # BN untouched (type and values), latent weights copied, eval mode, trainable
    t_bn = {n: m for n, m in teacher.named_modules() if isinstance(m, nn.BatchNorm2d)}
    q_bn = {n: m for n, m in q.named_modules() if isinstance(m, nn.BatchNorm2d)}
    assert t_bn.keys() == q_bn.keys() and all(type(m) is nn.BatchNorm2d for m in q_bn.values())
    for n in t_bn:
        for k, v in t_bn[n].state_dict().items():
            assert torch.equal(v, q_bn[n].state_dict()[k])
    qs = q.state_dict()
    for k, v in before.items():
        if k in qs:
            assert torch.equal(qs[k], v), k
    assert not q.training and all(p.requires_grad for p in q.parameters())
    assert q.synq_info == teacher.synq_info


def test_quantize_model_forward_needs_calibration(teacher):
    q = quantize_model(teacher, 4, 4)
    with pytest.raises(RuntimeError, match="calibrat"):
        q(torch.randn(2, 3, 32, 32))


@pytest.mark.parametrize("bad", [0, 1, 9, 4.5, "4", True, None])
def test_bad_bit_widths(bad):
    for kw in (dict(w_bits=bad, a_bits=4), dict(w_bits=4, a_bits=bad)):
        with pytest.raises(ValueError, match="integer from 2 to 8"):
            quantize_model(_tiny_net(), **kw)
    with pytest.raises(ValueError, match="from 2 to 8"):
        check_bits(bad)


def test_model_size_bits_by_hand():
    net = _tiny_net()
    # FP: every parameter at 32 bits (conv 4*3*3*3 + 4, BN 4 + 4, linear 2*144 + 2)
    n_params = 108 + 4 + 8 + 288 + 2
    assert model_size_bits(net) == 32 * n_params
    q = quantize_model(net, 4, 6)
    expected = (108 * 4 + 2 * 32 * 4) + 4 * 32 + 8 * 32 + (288 * 4 + 2 * 32 * 2) + 2 * 32
    assert model_size_bits(q) == expected


def test_model_size_w4_is_about_one_eighth(teacher):
    fp = model_size_bits(teacher)
    q4 = model_size_bits(quantize_model(teacher, 4, 4))
    layers = [m for m in teacher.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    n_w = sum(m.weight.numel() for m in layers)
    n_ch = sum(m.weight.shape[0] for m in layers)
    n_other = sum(p.numel() for p in teacher.parameters()) - n_w
    assert fp == 32 * (n_w + n_other)
    assert q4 == 4 * n_w + 64 * n_ch + 32 * n_other
    weight_ratio = (4 * n_w + 64 * n_ch) / (32 * n_w)  # weights with their per-channel scale/zero point
    assert 0.125 < weight_ratio < 0.135
    assert 0.125 < q4 / fp < 0.14


# ---------------------------------------------------------------------------------------------- accuracy
def test_w8a8_keeps_teacher_accuracy(teacher, cifar_test, teacher_top1, tiny_synthetic):
    assert teacher_top1 == pytest.approx(91.73, abs=0.01)  # the published accuracy: data + weights load right
    q = quantize_model(teacher, 8, 8)
    calibrate_activations(q, tiny_synthetic.images)
    top1 = evaluate(q, cifar_test)["top1"]
    assert abs(top1 - teacher_top1) <= 1.0, (top1, teacher_top1)


def test_w4a4_rtn_loses_accuracy_but_stays_useful(calibrated_w4a4, cifar_small):
    # measured: about 81-82% on these 1,000 images (teacher 91.5): 4 bits hurt, but far above chance
    top1 = evaluate(calibrated_w4a4, cifar_small)["top1"]
    assert 70 < top1 < 90


def test_act_quant_loading_uncalibrated_state_raises_again():
    q = ActQuant(4)
    q.calibrating = True
    q(torch.rand(8, 4, 5, 5))
    q.calibrating = False
    q(torch.rand(8, 4, 5, 5))  # checked once, now cached as calibrated
    q.load_state_dict(ActQuant(4).state_dict())  # an uncalibrated range
    with pytest.raises(RuntimeError, match="calibrat"):
        q(torch.rand(8, 4, 5, 5))


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("zero_point", [0, 3])
def test_cpu_fake_quant_is_torchs_kernel_bitwise(bits, zero_point):
    """The CPU activation fake-quantizer gives torch's fused kernel's values and clipped-STE gradient, bit for bit,
    at ties (k + 0.5 codes, where round-half-to-even decides), at both ends of the range and beyond them."""
    from synq_nb.quantization import fake_quantize_per_tensor

    g = torch.Generator().manual_seed(bits * 10 + zero_point)
    scale = torch.tensor(0.0731)
    zp = torch.tensor(min(zero_point, 2**bits - 1), dtype=torch.int32)
    qmax = 2**bits - 1
    codes = torch.arange(-3, qmax + 4, 0.5)  # ties and codes outside [0, qmax] on both sides
    x = torch.cat([(codes - zp) * scale, torch.randn(4000, generator=g) * scale * qmax]).view(1, 1, -1)
    x = x.clone().requires_grad_()
    up = torch.randn(x.shape, generator=g)
    ours = fake_quantize_per_tensor(x, scale, zp, bits)
    ref = torch.fake_quantize_per_tensor_affine(x, scale, zp, 0, qmax)
    assert torch.equal(ours, ref)
    g_ours, = torch.autograd.grad(ours, x, up)
    g_ref, = torch.autograd.grad(ref, x, up)
    assert torch.equal(g_ours, g_ref)
    assert 0 < (g_ref == 0).sum() < x.numel()  # both clipped and passed elements were exercised


def test_act_quant_cpu_path_equals_fused_kernel_in_a_network(calibrated_w4a4, cifar_small):
    """The whole W4A4 student gives the same logits and gradients with the CPU quantizer as with torch's kernel."""
    import synq_nb.quantization as Q

    x = cifar_small.images[:16]
    student = copy.deepcopy(calibrated_w4a4)
    out = student(x)
    out.square().mean().backward()
    grads = [p.grad.clone() for p in student.parameters()]
    student.zero_grad()
    fused = lambda x, s, z, bits: torch.fake_quantize_per_tensor_affine(x, s, z, 0, 2**bits - 1)  # noqa: E731
    old, Q.fake_quantize_per_tensor = Q.fake_quantize_per_tensor, fused
    try:
        ref = student(x)
        ref.square().mean().backward()
    finally:
        Q.fake_quantize_per_tensor = old
    assert torch.equal(out, ref)
    assert all(torch.equal(a, p.grad) for a, p in zip(grads, student.parameters()))
