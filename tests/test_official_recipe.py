"""The official code's recipe (issue 20, item 3): each term it adds to the paper's Eq. 6 against a computation
written out here (not calling synq_nb.hast), the `official` preset, and the errors for bad values.

* Grad-CAM channel weights clamped at >= 0 (cam_clamp_weights);
* HAST's feature alignment (lambda_fa): sum over residual blocks of the MSE between L2-normalised channel
  attentions (spatial mean of A^2), the teacher's a constant;
* HAST's adversarial term (lambda_adv, adv_eps): the student's KD on x + eps * sign(d KD / dx), against the
  teacher's outputs on x (a fixed target, as in adversarial training).
The filter acting on the augmented batch (as in the official code) is pinned in test_switches.py
(test_augment_switch_in_finetuning). Tiny random models: seconds, no data files.
"""
from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from synq_nb import finetune, get_config, low_pass_filter
from synq_nb.config import PRESETS
from synq_nb.finetune import SynQStep, check_resumable, run_fingerprint
from tiny_nets import ref_kd, tiny_images, tiny_resnet, tiny_student, tiny_teacher

OFF = dict(use_filter=False, use_cam=False, use_soft_labels=False)


def _resnet_setup(seed=0, n=12):
    teacher = tiny_resnet(seed, bn_weights=True, head_scale=4.0)
    x = torch.randn(n, 3, 8, 8, generator=torch.Generator().manual_seed(seed + 5))
    y = torch.arange(n) % 10
    return teacher, tiny_student(teacher, x, bits=3), x, y


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


# ------------------------------------------------------------------------------------ written-out references
def ref_block_outputs(net, x):
    """The output of every residual block of a CifarResNet, by walking its forward by hand."""
    h = net.relu(net.bn1(net.conv1(x)))
    outs = []
    for stage in (net.layer1, net.layer2, net.layer3):
        for block in stage:
            h = block(h)
            outs.append(h)
    return outs


def ref_attention(f):
    """Per image and channel: the mean of the squared activations over H x W; each image's vector divided by its
    Euclidean norm. Loops, float64."""
    n, c = f.shape[:2]
    a = torch.zeros(n, c, dtype=torch.float64)
    for i in range(n):
        for k in range(c):
            a[i, k] = (f[i, k].double() ** 2).sum() / (f.shape[2] * f.shape[3])
        a[i] = a[i] / a[i].pow(2).sum().sqrt()
    return a


def ref_feature_alignment(teacher, student, x):
    with torch.no_grad():
        t_outs = ref_block_outputs(teacher, x)
    s_outs = ref_block_outputs(student, x)
    total = 0.0
    for t, s in zip(t_outs, s_outs):
        a_t = ref_attention(t)
        # the student's attention with its gradient (the loops above cut it): the same formula, vectorised
        a_s = s.double().pow(2).mean(dim=(2, 3))
        a_s = a_s / a_s.pow(2).sum(1, keepdim=True).sqrt()
        torch.testing.assert_close(a_s.detach(), ref_attention(s.detach()))
        total = total + ((a_s - a_t) ** 2).mean()
    return total, len(t_outs)


def ref_adversarial(teacher, student, x, eps, temperature, alpha):
    """x_adv = x + eps * sign(d KD(teacher(x) || student(x)) / dx), the teacher's outputs a constant; then
    KD(teacher(x) || student(x_adv)): the same target, the student on the perturbed batch."""
    xs = x.clone().requires_grad_()
    with torch.no_grad():
        t = teacher(x)
    kd = ref_kd(student(xs), t, temperature, alpha)
    (g,) = torch.autograd.grad(kd, xs)
    x_adv = (x + eps * g.sign()).detach()
    return ref_kd(student(x_adv), t, temperature, alpha), x_adv, g


def ref_cam_clamped(model, x, target, floor):
    """Grad-CAM written out with the channel weights clamped at 0: S = ReLU(sum_k max(w_k, 0) A_k), upsampled,
    min-max normalised with a floor (TinyNet-shaped models)."""
    a = model.features(x)
    if not a.requires_grad:
        a = a.detach().requires_grad_()
    logits = model.linear(torch.flatten(model.pool(a), 1))
    if target is None:
        target = logits.argmax(1)
    (g,) = torch.autograd.grad(logits[torch.arange(len(x)), target].sum(), a, retain_graph=True)
    w = torch.clamp(g.mean(dim=(2, 3), keepdim=True).detach(), min=0)
    s = torch.relu((w * a).sum(1, keepdim=True))
    s = F.interpolate(s, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    lo = s.flatten(1).min(1).values.view(-1, 1, 1)
    hi = s.flatten(1).max(1).values.view(-1, 1, 1)
    return (s - lo) / torch.clamp(hi - lo, min=max(floor, 1e-7))


# ------------------------------------------------------------------------------------ feature alignment
@pytest.mark.parametrize("use_cam", [False, True])
def test_feature_alignment_is_the_written_out_sum_over_blocks(use_cam):
    teacher, student, x, y = _resnet_setup(seed=1)
    kw = dict(OFF, use_cam=use_cam, cam_floor=0.1)
    plain, aligned = copy.deepcopy(student), copy.deepcopy(student)
    loss0, t0 = SynQStep(plain, teacher, get_config("smoke", **kw))(x, y)
    loss1, t1 = SynQStep(aligned, teacher, get_config("smoke", lambda_fa=1000.0, **kw))(x, y)
    ref, blocks = ref_feature_alignment(teacher, copy.deepcopy(student), x)
    assert blocks == 3
    assert float(t1["fa"]) == pytest.approx(float(ref.detach()), rel=1e-4)
    assert float(ref.detach()) > 1e-6  # quantization moved the attention: the term is not trivially 0
    assert "fa" not in t0  # off: not computed
    for k in ("kd", "ce", "cam"):
        assert float(t1[k]) == pytest.approx(float(t0[k]), rel=1e-6)
    assert float((loss1 - loss0).detach()) == pytest.approx(1000.0 * float(ref.detach()), rel=1e-4)
    assert all(p.grad is None for p in teacher.parameters())
    if use_cam:  # the CAM term's gradient is pinned in test_loss_terms.py
        return
    # the gradient the student gets is that of the written-out sum (the teacher's attention a constant)
    loss1.backward()
    ref_student = copy.deepcopy(student)
    with torch.no_grad():
        t_logits = teacher(x)
    s_logits = ref_student(x)
    ref_loss = ref_kd(s_logits, t_logits) + 0.5 * F.cross_entropy(s_logits.double(), y)
    (ref_loss + 1000.0 * ref_feature_alignment(teacher, ref_student, x)[0]).backward()
    got, want = _grads(aligned), _grads(ref_student)
    assert got.keys() == want.keys() and got
    for k in got:
        torch.testing.assert_close(got[k], want[k], atol=1e-5, rtol=1e-3, msg=k)


def test_feature_alignment_weights_every_block():
    """Summed over the blocks (each block's MSE carries lambda_FA), not averaged."""
    teacher, student, x, y = _resnet_setup(seed=2)
    _, t = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", lambda_fa=1.0, **OFF))(x, y)
    t_outs = ref_block_outputs(teacher, x)
    with torch.no_grad():
        s_outs = ref_block_outputs(student, x)
    per_block = [float(((ref_attention(s) - ref_attention(t_)) ** 2).mean()) for t_, s in zip(t_outs, s_outs)]
    assert float(t["fa"]) == pytest.approx(sum(per_block), rel=1e-4)
    assert abs(float(t["fa"]) - sum(per_block) / 3) > 0.1 * float(t["fa"])


def test_residual_blocks_of_the_paper_teachers():
    from pytorchcv.model_provider import get_model

    from synq_nb.hast import residual_blocks
    from synq_nb.models import load_teacher

    aka = load_teacher("resnet20_cifar10_akamaster", pretrained=False, device="cpu")
    assert residual_blocks(aka) == [f"layer{s}.{b}" for s in (1, 2, 3) for b in range(3)]
    cv = get_model("resnet20_cifar10", pretrained=False)
    assert residual_blocks(cv) == [f"features.stage{s}.unit{u}" for s in (1, 2, 3) for u in (1, 2, 3)]
    assert len(residual_blocks(get_model("resnet18", pretrained=False))) == 8
    # MobileNetV2: 17 inverted bottlenecks, of which 10 have a skip connection (stride 1, same width)
    assert len(residual_blocks(get_model("mobilenetv2_w1", pretrained=False))) == 10
    # the quantized student keeps the names
    assert residual_blocks(tiny_student(aka, torch.randn(2, 3, 32, 32), bits=4)) == residual_blocks(aka)


def test_feature_alignment_needs_residual_blocks():
    teacher = tiny_teacher()
    with pytest.raises(ValueError, match="lambda_fa > 0 .* needs residual blocks"):
        SynQStep(tiny_student(teacher, tiny_images(8)[0]), teacher, get_config("smoke", lambda_fa=1.0))


# ------------------------------------------------------------------------------------ adversarial term
@pytest.mark.parametrize("use_filter, temperature, alpha", [(False, 1.0, 1.0), (True, 20.0, 20.0)])
def test_adversarial_term_is_kd_on_the_sign_step(use_filter, temperature, alpha):
    teacher, student, x, y = _resnet_setup(seed=3)
    kw = dict(OFF, use_filter=use_filter, d0=3.0, kd_temperature=temperature, kd_alpha=alpha)
    seen = []
    on = copy.deepcopy(student)
    h = on.register_forward_pre_hook(lambda m, inp: seen.append(inp[0].detach().clone()))
    loss_off, t_off = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", **kw))(x, y)
    loss_on, t_on = SynQStep(on, teacher, get_config("smoke", lambda_adv=1.0, adv_eps=0.01, **kw))(x, y)
    h.remove()
    x_f = low_pass_filter(x, 3.0) if use_filter else x
    ref, x_adv, g = ref_adversarial(teacher, copy.deepcopy(student), x_f, 0.01, temperature, alpha)
    # the student saw the batch, then the batch moved by 0.01 along the sign of d KD / dx
    assert len(seen) == 2
    torch.testing.assert_close(seen[0], x_f)
    step = (seen[1] - x_f) / 0.01
    big = g.abs() > 1e-3 * g.abs().max()  # where the sign is not round-off
    assert big.float().mean() > 0.9
    torch.testing.assert_close(step[big], g.sign()[big].float(), atol=1e-4, rtol=0)
    assert torch.allclose(step.abs(), torch.ones_like(step), atol=1e-4)  # every pixel moved by eps exactly
    # the term: KD between the teacher's outputs on the batch and the student's on the perturbed batch; float32
    # against float64: at T = 20 the KL of two near-uniform distributions keeps 3 digits in float32
    rel = 1e-4 if temperature == 1 else 3e-3
    with torch.no_grad():
        want = ref_kd(copy.deepcopy(student)(seen[1]), teacher(x_f), temperature, alpha)
    assert float(t_on["adv"]) == pytest.approx(float(want), rel=rel)
    # (the written-out x_adv differs only where the gradient's sign is round-off; at 3 bits a pixel can change bins)
    assert float(t_on["adv"]) == pytest.approx(float(ref.detach()), rel=1e-2)
    assert "adv" not in t_off
    assert float((loss_on - loss_off).detach()) == pytest.approx(float(want), rel=rel)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_adversarial_step_makes_the_batch_harder(seed):
    """At 8 bits (a smooth student), the sign step raises the KD loss several-fold (measured 4-7x). At 3 bits the
    straight-through gradient is a poor guide to the quantized loss, and the step may lower it: not tested."""
    teacher = tiny_resnet(seed, bn_weights=True, head_scale=4.0)
    x = torch.randn(12, 3, 8, 8, generator=torch.Generator().manual_seed(seed + 5))
    student = tiny_student(teacher, x, bits=8)
    _, t = SynQStep(student, teacher, get_config("smoke", lambda_adv=1.0, adv_eps=0.01, **OFF))(x, torch.arange(12) % 10)
    assert float(t["adv"]) > 2 * float(t["kd"])


def test_adversarial_term_gradient_and_weight():
    """lambda_adv weights the term; the perturbed batch is a constant (no gradient through the sign step)."""
    teacher, student, x, y = _resnet_setup(seed=4)
    kw = dict(OFF, lambda_ce=0.0)
    got_model = copy.deepcopy(student)
    loss, terms = SynQStep(got_model, teacher, get_config("smoke", lambda_adv=2.5, adv_eps=0.03, **kw))(x, y)
    loss.backward()
    ref_model = copy.deepcopy(student)
    with torch.no_grad():
        t = teacher(x)
    adv, _, _ = ref_adversarial(teacher, ref_model, x, 0.03, 1.0, 1.0)
    ref_model.zero_grad()
    ref_loss = ref_kd(ref_model(x), t) + 2.5 * adv
    assert float(loss.detach()) == pytest.approx(float(ref_loss.detach()), rel=1e-3)
    ref_loss.backward()
    got, want = _grads(got_model), _grads(ref_model)
    assert got.keys() == want.keys() and got
    for k in got:
        torch.testing.assert_close(got[k], want[k], atol=1e-5, rtol=2e-3, msg=k)


# ------------------------------------------------------------------------------------ Grad-CAM clamp
@pytest.mark.parametrize("target", ["label", "pred"])
def test_cam_clamp_weights(target):
    teacher = tiny_teacher(seed=2)
    x, y = tiny_images(n=16, seed=22)
    student = tiny_student(teacher, x)
    kw = dict(use_filter=False, use_soft_labels=False, cam_floor=0.1, cam_target=target)
    _, clamped = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", cam_clamp_weights=True, **kw))(x, y)
    _, free = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", **kw))(x, y)
    tgt = y if target == "label" else None
    t_cam = ref_cam_clamped(teacher, x, tgt, 0.1).detach()
    s_cam = ref_cam_clamped(copy.deepcopy(student), x, tgt, 0.1)
    assert float(clamped["cam"]) == pytest.approx(float(((s_cam - t_cam) ** 2).mean().detach()), rel=1e-4)
    assert abs(float(clamped["cam"]) - float(free["cam"])) > 1e-4  # some weights were negative here


# ------------------------------------------------------------------------------------ the preset and the options
def test_official_preset():
    cpu, off = get_config("cpu").to_dict(), get_config("official").to_dict()
    changed = {k: v for k, v in off.items() if cpu[k] != v}
    assert changed == dict(preset="official", kd_temperature=20.0, kd_alpha=20.0, cam_target="pred",
                           cam_clamp_weights=True, lambda_fa=1000.0, lambda_adv=1.0, d0=80.0)
    assert off["adv_eps"] == 0.01 and off["tau"] == 0.7  # tau: the paper's value for ResNet-20 CIFAR-10 (= cpu's)
    assert off["use_filter"] and off["augment"] and off["use_cam"] and off["use_soft_labels"]
    # the paper's values are the defaults: every extra off
    base = get_config("cpu")
    assert (base.cam_clamp_weights, base.lambda_fa, base.lambda_adv) == (False, 0.0, 0.0)
    assert all(PRESETS[p].get("lambda_fa", 0.0) == 0.0 for p in PRESETS if p != "official")


def test_cli_builds_the_official_preset_and_its_options():
    from synq_nb.cli import build_parser, config_from_args

    def cfg(*a):
        return config_from_args(build_parser().parse_args(["run", "--out", "unused", *a]))

    assert cfg("--preset", "official").to_dict() == dict(get_config("official").to_dict(), dataset="cifar10")
    c = cfg("--lambda-fa", "10", "--lambda-adv", "0.5", "--adv-eps", "0.02", "--cam-clamp-weights", "on")
    assert (c.lambda_fa, c.lambda_adv, c.adv_eps, c.cam_clamp_weights) == (10.0, 0.5, 0.02, True)


@pytest.mark.parametrize("field, bad", [("lambda_fa", -1.0), ("lambda_adv", -0.5), ("adv_eps", -0.01),
                                        ("lambda_fa", float("inf")), ("adv_eps", float("nan")), ("lambda_ce", -0.1),
                                        ("lambda_cam", -5.0), ("lambda_adv", True), ("lambda_fa", "1000")])
def test_bad_values_are_refused(field, bad):
    with pytest.raises(ValueError, match=f"{field} must be a non-negative finite number"):
        get_config("official", **{field: bad})


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_cam_clamp_weights_must_be_a_bool(bad):
    with pytest.raises(ValueError, match="cam_clamp_weights must be True or False"):
        get_config("cpu", cam_clamp_weights=bad)


# ------------------------------------------------------------------------------------ in fine-tuning
def test_finetune_with_the_official_terms_records_them():
    teacher, student, x, y = _resnet_setup(seed=5, n=16)
    cfg = get_config("official", epochs=2, iters_per_epoch=2, batch_size=8, eval_every=0, d0=3.0)
    hist = finetune(student, teacher, x, y, cfg, progress=False)
    for k in ("fa", "adv"):
        assert len(hist[k]) == 2 and all(v == v and v > 0 for v in hist[k]), k
    plain = finetune(copy.deepcopy(student), teacher, x, y, get_config("cpu", epochs=1, iters_per_epoch=1,
                                                                          batch_size=8, eval_every=0), progress=False)
    assert "fa" not in plain and "adv" not in plain  # the history of runs without them is as before


def test_checkpoints_written_before_the_new_options_still_resume(tmp_path):
    """A checkpoint's config without the new fields ran with their defaults (results.ADDED_LATER)."""
    cfg = get_config("smoke")
    fp = run_fingerprint(cfg)
    old = copy.deepcopy(fp)
    for k in ("cam_clamp_weights", "lambda_fa", "lambda_adv", "adv_eps"):
        del old["config"][k]
    check_resumable(dict(fingerprint=old), fp, tmp_path / "checkpoint.pt")  # no error
    from synq_nb.finetune import RunFolderMismatch

    with pytest.raises(RunFolderMismatch, match="lambda_fa"):
        check_resumable(dict(fingerprint=old), run_fingerprint(cfg.replace(lambda_fa=1.0)), tmp_path / "checkpoint.pt")


def test_grid_official_set():
    """benchmarks/grid.py --sets official: W3A3, seeds 0-2, the preset's settings (evaluated every 5 epochs)."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("grid_official", REPO / "benchmarks" / "grid.py")
    grid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grid)
    model = "resnet20_cifar10_akamaster"
    runs = {n: (s, o) for n, s, o in grid.experiments({"official"}, "cpu", model)}
    assert sorted(runs) == sorted([f"w3a3_official_s{s}" for s in (0, 1, 2)] + [f"w3a3_synq-d0-80_s{s}" for s in (0, 1, 2)])
    for seed in (0, 1, 2):
        got = grid.run_config(runs[f"w3a3_official_s{seed}"][1])
        want = get_config("official", model=model, dataset="cifar10", w_bits=3, a_bits=3, seed=seed,
                          eval_every=5).to_dict()
        want.pop("device")
        assert got == want
        # the matched control: SynQ as published (cpu preset) at the recipe's d0 = 80, nothing else changed
        control = grid.run_config(runs[f"w3a3_synq-d0-80_s{seed}"][1])
        cpu_at_80 = get_config("cpu", model=model, dataset="cifar10", w_bits=3, a_bits=3, seed=seed, eval_every=5,
                               d0=80.0).to_dict()
        cpu_at_80.pop("device")
        assert control == cpu_at_80 and control["d0"] == want["d0"] == 80.0
    # a run recorded before the new options existed compares equal to one with their defaults, not to official
    cpu = grid.run_config(dict(grid.SYNQ, model=model, preset="cpu", eval_every=5, w_bits=3, a_bits=3, seed=0))
    old = {k: v for k, v in cpu.items() if k not in ("cam_clamp_weights", "lambda_fa", "lambda_adv", "adv_eps")}
    assert grid.effective(old) == grid.effective(cpu) != grid.effective(grid.run_config(runs["w3a3_official_s0"][1]))
    assert grid.effective(dict(cpu, adv_eps=0.5)) == grid.effective(cpu)  # not read without the adversarial term
