"""Core checks on a CUDA device (skipped without one). Random-weight teachers only, so no data or
weights files are needed: these check device placement and CPU/GPU agreement, not accuracy."""
from __future__ import annotations

import copy

import pytest
import torch

from synq_nb import (calibrate_activations, evaluate, finetune, get_config, get_device, grad_cam, load_teacher,
                     low_pass_filter, quantize_model, run_experiment, synthesize)
from synq_nb.cam import cam_from_features, forward_with_features
from synq_nb.data import ImageSet
from synq_nb.losses import cam_loss
from synq_nb.quantization import ActQuant, act_quantizers, quantize_weight, weight_qparams

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")]

CUDA = torch.device("cuda")


@pytest.fixture
def no_tf32(monkeypatch):
    """Exact float32 convolutions/matmuls, to compare with the CPU."""
    monkeypatch.setattr(torch.backends.cudnn, "allow_tf32", False)
    monkeypatch.setattr(torch.backends.cuda.matmul, "allow_tf32", False)


@pytest.fixture(scope="module")
def gpu_teacher():
    torch.manual_seed(0)
    return load_teacher("resnet20_cifar10_akamaster", pretrained=False, device="cuda")


def test_default_device_is_cuda():
    assert get_device() == CUDA and get_device("auto") == CUDA and get_device("cpu").type == "cpu"


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_weight_quantizer_on_cuda(bits):
    w = (torch.randn(32, 16, 3, 3, generator=torch.Generator().manual_seed(bits)) * 0.1).to(CUDA)
    scale, zp = weight_qparams(w, bits)
    ref = torch.fake_quantize_per_channel_affine(w, scale, zp.to(torch.int32), 0, 0, 2**bits - 1)
    wq = quantize_weight(w, bits)
    assert wq.device.type == "cuda"
    torch.testing.assert_close(wq, ref, atol=1e-6, rtol=0)
    # same codes as on the CPU (a division may differ by an ulp: allow a rare tie to round the other way)
    differ = (wq.cpu() - quantize_weight(w.cpu(), bits)).abs() > 1e-6
    assert differ.float().mean() < 1e-3
    wg = w.clone().requires_grad_()
    quantize_weight(wg, bits).sum().backward()
    assert torch.equal(wg.grad, torch.ones_like(wg))


def test_act_quant_on_cuda():
    batches = [torch.randn(4, 8, 6, 6, device=CUDA) * s for s in (1.0, 2.0, 3.0)]
    aq = ActQuant(4).to(CUDA)
    aq.calibrating = True
    for x in batches:
        aq(x)
    aq.calibrating = False
    m_min = m_max = 0.0
    for x in batches:
        m_min = 0.9 * m_min + 0.1 * x.min().item()
        m_max = 0.9 * m_max + 0.1 * x.max().item()
    corr = 1 - 0.9**3
    assert aq.range[0].item() == pytest.approx(m_min / corr, rel=1e-5)
    assert aq.range[1].item() == pytest.approx(m_max / corr, rel=1e-5)
    out = aq(torch.randn(10000, device=CUDA) * 5)
    assert out.device.type == "cuda" and len(torch.unique(out)) <= 16


def test_filter_on_cuda():
    x = torch.randn(4, 3, 31, 32, generator=torch.Generator().manual_seed(0))
    for kind in ("gaussian", "ideal"):
        y = low_pass_filter(x.to(CUDA), 6.0, kind)
        assert y.device.type == "cuda" and y.dtype == x.dtype
        torch.testing.assert_close(y.cpu(), low_pass_filter(x, 6.0, kind), atol=1e-5, rtol=0)


def test_grad_cam_on_cuda(gpu_teacher, no_tf32):
    x = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    y = torch.arange(6)
    cpu_teacher = copy.deepcopy(gpu_teacher).cpu()
    cam_gpu = grad_cam(gpu_teacher, x.to(CUDA), target=y.to(CUDA), normalize=True)
    cam_cpu = grad_cam(cpu_teacher, x, target=y, normalize=True)
    assert cam_gpu.device.type == "cuda" and cam_gpu.shape == (6, 32, 32)
    torch.testing.assert_close(cam_gpu.cpu(), cam_cpu, atol=1e-3, rtol=0)
    # differentiable w.r.t. a quantized student on the GPU
    student = quantize_model(gpu_teacher, 4, 4)
    calibrate_activations(student, x)
    s_cam = grad_cam(student, x.to(CUDA), target=y.to(CUDA), normalize=True, floor=0.05)
    cam_loss(cam_gpu, s_cam).backward()
    g = student.conv1.weight.grad
    assert g is not None and g.device.type == "cuda" and torch.isfinite(g).all() and g.abs().sum() > 0


def test_placement_and_tiny_finetune_on_cuda(gpu_teacher):
    synth = synthesize(gpu_teacher, 32, 2, 16, seed=0, cache=False, progress=False)
    assert synth.images.device.type == "cpu" and torch.isfinite(synth.images).all()
    student = quantize_model(gpu_teacher, 4, 4)
    assert all(t.device.type == "cuda" for t in list(student.parameters()) + list(student.buffers()))
    assert all(q.ema_min.device.type == "cuda" for q in act_quantizers(student))
    calibrate_activations(student, synth.images)  # CPU images, moved batch by batch
    before = copy.deepcopy(student.state_dict())
    cfg = get_config("smoke", epochs=1, iters_per_epoch=2, batch_size=16, eval_every=0)
    hist = finetune(student, gpu_teacher, synth.images, synth.labels, cfg, progress=False)
    assert len(hist["iter_loss"]) == 2 and all(torch.isfinite(torch.tensor(hist["iter_loss"])))
    after = student.state_dict()
    assert all(v.device.type == "cuda" for v in after.values())
    assert any(not torch.equal(before[k], after[k]) for k in before)
    logits, feats = forward_with_features(student, synth.images[:4].to(CUDA))
    assert logits.device.type == "cuda" and feats.shape == (4, 64, 8, 8)
    cam = cam_from_features(logits, feats, logits.argmax(1), (32, 32), True, 0.05)
    assert torch.isfinite(cam).all()
    data = ImageSet(synth.images, synth.labels, [str(i) for i in range(10)])  # CPU dataset, GPU model
    r = evaluate(student, data)
    assert 0 <= r["top1"] <= 100


def test_run_experiment_on_cuda(gpu_teacher, tmp_path):
    synth = synthesize(gpu_teacher, 32, 2, 32, seed=1, cache=False, progress=False)
    g = torch.Generator().manual_seed(2)
    test_set = ImageSet(torch.randn(64, 3, 32, 32, generator=g), torch.arange(64) % 10, [str(i) for i in range(10)])
    cfg = get_config("smoke", device="cuda", epochs=1, iters_per_epoch=2, batch_size=16, calib_images=32)
    r = run_experiment(cfg, out_dir=tmp_path, progress=False, teacher=gpu_teacher, synthetic=synth, test_set=test_set)
    assert (tmp_path / "results.json").is_file()
    assert r["device"] == torch.cuda.get_device_name(CUDA)
    assert next(r["student"].parameters()).device.type == "cuda"
    assert r["eval_images"] == 64 and r["history"]["epoch"] == [1]
