"""Every switch of the config pinned to its effect, by what the computation sees and produces (the inputs
the models receive, the loss terms, the gradient, the learning rate and the update the optimiser applies),
never by reading the config back. With a switch off the step provably does not include its term; with it on,
it does. Tiny random models (tests/tiny_nets.py): seconds, no data files.
"""
from __future__ import annotations

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from synq_nb import finetune, get_config, low_pass_filter, synthesize
from synq_nb.finetune import SynQStep
from synq_nb.pipeline import calibration_images, run_experiment
from synq_nb.synthesis import SyntheticSet
from tiny_nets import NUM_CLASSES, ref_cam, ref_kd, ref_step_loss, tiny_images, tiny_student, tiny_teacher

ALL_OFF = dict(use_filter=False, use_cam=False, use_soft_labels=False, augment=False)


def _cfg(**kw):
    base = dict(epochs=1, iters_per_epoch=2, batch_size=8, eval_every=0, **ALL_OFF)
    base.update(kw)
    return get_config("smoke", **base)


class Recorder:
    """Forward pre-hooks on the whole teacher and student: every batch each model is given."""

    def __init__(self, *models):
        self.seen = {id(m): [] for m in models}
        self.handles = [m.register_forward_pre_hook(self._hook) for m in models]

    def _hook(self, m, inp):
        # setdefault: a deep copy of a model (quantize_model) carries the hook along
        self.seen.setdefault(id(m), []).append(inp[0].detach().clone())

    def __call__(self, m):
        return torch.cat(self.seen[id(m)])

    def remove(self):
        for h in self.handles:
            h.remove()


def _run_finetune(cfg, images, labels, seed=0):
    teacher = tiny_teacher(seed=seed, input_size=images.shape[-1])
    student = tiny_student(teacher, images)
    rec = Recorder(teacher, student)
    try:
        hist = finetune(student, teacher, images, labels, cfg, progress=False)
    finally:
        rec.remove()
    return rec(teacher), rec(student), hist


def _match(rows, pool, exact=True):
    """For each row, whether it equals (or is close to) some image of ``pool``."""
    out = []
    for r in rows:
        if exact:
            out.append(any(torch.equal(r, p) for p in pool))
        else:
            out.append(any(torch.allclose(r, p, atol=1e-5, rtol=0) for p in pool))
    return torch.tensor(out)


# ---------------------------------------------------------------------------------------------- use_filter
@pytest.mark.parametrize("use_cam", [False, True])
@pytest.mark.parametrize("kind, d0", [("gaussian", 3.0), ("ideal", 2.0)])
def test_use_filter_decides_what_the_models_see(use_cam, kind, d0):
    images, labels = tiny_images(n=16, seed=1)
    filtered = low_pass_filter(images, d0, kind)
    assert not _match(filtered, images, exact=False).any()  # the filter does change every image
    for on in (False, True):
        cfg = _cfg(use_filter=on, use_cam=use_cam, filter_kind=kind, d0=d0)
        seen_t, seen_s, _ = _run_finetune(cfg, images, labels)
        assert len(seen_t) == len(seen_s) == 2 * 8  # one teacher and one student forward per iteration
        torch.testing.assert_close(seen_t, seen_s, atol=0, rtol=0)  # both models see the same batch
        if on:  # every batch is the low-pass filtered version of training images (this d0, this kind)
            assert _match(seen_s, filtered, exact=False).all()
            assert not _match(seen_s, images, exact=False).any()
        else:  # the training images exactly as they are
            assert _match(seen_s, images).all()


def test_filter_calibration_switch():
    images, _ = tiny_images(n=12, seed=2)
    cfg = get_config("smoke", calib_images=10, d0=3.0)
    torch.testing.assert_close(calibration_images(images, cfg), low_pass_filter(images[:10], 3.0))
    raw = images[:10]
    assert torch.equal(calibration_images(images, cfg.replace(filter_calibration=False)), raw)
    assert torch.equal(calibration_images(images, cfg.replace(use_filter=False)), raw)  # needs the filter on
    assert torch.equal(calibration_images(images, cfg.replace(use_filter=False, filter_calibration=False)), raw)
    f_ideal = calibration_images(images, cfg.replace(filter_kind="ideal", d0=2.0))
    torch.testing.assert_close(f_ideal, low_pass_filter(raw, 2.0, "ideal"))


@pytest.mark.parametrize("use_filter, filter_calibration", [(True, True), (True, False), (False, True)])
def test_run_experiment_calibrates_and_trains_on_what_the_switches_say(monkeypatch, use_filter, filter_calibration):
    """The whole pipeline: the activation ranges are calibrated on filtered images only with both switches on,
    and the fine-tuning batches are filtered exactly when use_filter is on."""
    import synq_nb.pipeline as pipeline

    teacher = tiny_teacher(seed=3)
    images, labels = tiny_images(n=12, seed=4)
    calibrated = []
    real_calibrate = pipeline.calibrate_activations

    def spy(model, x, *a, **k):
        calibrated.append(x.clone())
        return real_calibrate(model, x, *a, **k)

    monkeypatch.setattr(pipeline, "calibrate_activations", spy)
    cfg = get_config("smoke", model="tiny", dataset="tiny", device="cpu", epochs=1, iters_per_epoch=1, batch_size=4,
                     calib_images=12, eval_every=0, augment=False, use_cam=False, d0=3.0, use_filter=use_filter,
                     filter_calibration=filter_calibration)
    test_set = torch.utils.data.TensorDataset(*tiny_images(n=6, seed=5))
    rec = Recorder(teacher)
    try:
        r = run_experiment(cfg, progress=False, teacher=teacher, synthetic=SyntheticSet(images, labels),
                           test_set=test_set, resume=False)
    finally:
        rec.remove()
    assert len(calibrated) == 1
    if use_filter and filter_calibration:
        torch.testing.assert_close(calibrated[0], low_pass_filter(images, 3.0))
    else:
        assert torch.equal(calibrated[0], images)
    # the teacher's inputs: test-set evaluation (6 images) and then the 4 images of the single fine-tuning step
    train_inputs = [x for x in rec.seen[id(teacher)] if len(x) == 4]
    assert len(train_inputs) == 1
    pool = low_pass_filter(images, 3.0) if use_filter else images
    assert _match(train_inputs[0], pool, exact=False).all()
    assert r["epochs_done"] == 1


# ---------------------------------------------------------------------------------------------- augment
def _crops_and_flips(img, pad=4):
    c, h, w = img.shape
    xp = F.pad(img, (pad, pad, pad, pad))
    crops = [xp[:, a:a + h, b:b + w] for a in range(2 * pad + 1) for b in range(2 * pad + 1)]
    return crops + [cr.flip(-1) for cr in crops]


def test_augment_switch_in_finetuning():
    images, labels = tiny_images(n=6, seed=6)
    seen_off, _, _ = _run_finetune(_cfg(augment=False, iters_per_epoch=3), images, labels)
    assert _match(seen_off, images).all()
    seen_on, _, _ = _run_finetune(_cfg(augment=True, iters_per_epoch=3), images, labels)
    assert not _match(seen_on, images).all()  # some batches were moved or flipped
    pool = [c for img in images for c in _crops_and_flips(img)]
    assert _match(seen_on, pool).all()  # each a padded crop (shift <= 4) or its mirror image of a training image
    # with the filter on as well: the filter acts on the augmented batch
    seen_both, _, _ = _run_finetune(_cfg(augment=True, use_filter=True, d0=3.0, iters_per_epoch=3), images, labels)
    assert _match(seen_both, low_pass_filter(torch.stack(pool), 3.0), exact=False).all()


@pytest.mark.parametrize("size, augmented", [(64, True), (65, False)])
def test_finetune_augments_cifar_sized_batches_only(size, augmented):
    images, labels = tiny_images(n=4, size=size, seed=7)
    cfg = _cfg(augment=True, batch_size=4, iters_per_epoch=2)
    seen, _, _ = _run_finetune(cfg, images, labels)
    assert bool(not _match(seen, images).all()) == augmented


def _teacher_input_is_leaf(teacher, **synth_kw):
    flags = []
    h = teacher.register_forward_pre_hook(lambda m, inp: flags.append(inp[0].is_leaf))
    try:
        synthesize(teacher, 2, iters=20, batch_size=2, seed=0, cache=False, progress=False, **synth_kw)
    finally:
        h.remove()
    return flags


def test_augment_switch_in_synthesis():
    # off: the teacher always sees the optimised images themselves (the leaf tensor)
    assert all(_teacher_input_is_leaf(tiny_teacher(input_size=8), augment=False))
    # on: about half of the iterations see a random resized crop / flip of them instead
    flags = _teacher_input_is_leaf(tiny_teacher(input_size=8), augment=True)
    assert 3 <= flags.count(False) <= 17
    # default (None): on for ImageNet-sized teachers only (> 64 pixels)
    assert all(_teacher_input_is_leaf(tiny_teacher(input_size=64)))
    assert not all(_teacher_input_is_leaf(tiny_teacher(input_size=65)))


# ---------------------------------------------------------------------------------------------- the step's terms
def _step(cfg, seed=0, n=16):
    teacher = tiny_teacher(seed=seed)
    x, y = tiny_images(n=n, seed=seed + 20)
    student = tiny_student(teacher, x)
    return teacher, student, x, y


def _grad_vector(model):
    return torch.cat([p.grad.flatten() for p in model.parameters() if p.grad is not None])


def test_use_cam_switch_adds_exactly_the_cam_term():
    base = dict(use_filter=False, use_soft_labels=False, lambda_cam=50.0)
    teacher, student, x, y = _step(None)
    off_student, on_student = copy.deepcopy(student), copy.deepcopy(student)
    loss_off, t_off = SynQStep(off_student, teacher, get_config("smoke", use_cam=False, **base))(x, y)
    loss_on, t_on = SynQStep(on_student, teacher, get_config("smoke", use_cam=True, **base))(x, y)
    assert float(t_off["cam"]) == 0.0 and float(t_on["cam"]) > 1e-3
    # the other terms do not depend on the switch
    for k in ("kd", "ce"):
        assert float(t_on[k]) == pytest.approx(float(t_off[k]), rel=1e-6)
    t_cam = ref_cam(teacher, x, y, 0.05).detach()
    s_cam = ref_cam(copy.deepcopy(student), x, y, 0.05)
    assert float(t_on["cam"]) == pytest.approx(float(((s_cam - t_cam) ** 2).mean().detach()), rel=1e-4)
    assert float((loss_on - loss_off).detach()) == pytest.approx(50.0 * float(t_on["cam"]), rel=1e-4)
    # off: the gradient is that of KD + lambda_CE * CE alone (lambda_CAM = 50 changes nothing)
    loss_off.backward()
    plain = copy.deepcopy(student)
    with torch.no_grad():
        t_logits = teacher(x)
    s_logits = plain(x)
    (ref_kd(s_logits, t_logits) + 0.5 * F.cross_entropy(s_logits.double(), y)).backward()
    torch.testing.assert_close(_grad_vector(off_student), _grad_vector(plain), atol=1e-6, rtol=1e-4)
    # on: the CAM term moves the gradient of the feature layers
    loss_on.backward()
    assert (_grad_vector(on_student) - _grad_vector(off_student)).abs().max() > 1e-3


@pytest.mark.parametrize("use_cam", [False, True])
def test_use_soft_labels_switch(use_cam):
    teacher, student, x, y = _step(None, seed=1)
    with torch.no_grad():
        s_logits = student(x)
        delta = 1 - teacher(x).softmax(1)[torch.arange(len(y)), y]
    tau = float(delta.median())
    assert 0 < int((delta <= tau).sum()) < len(y)
    kw = dict(use_filter=False, use_cam=use_cam, tau=tau)
    _, off = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", use_soft_labels=False, **kw))(x, y)
    _, on = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", use_soft_labels=True, **kw))(x, y)
    ce = F.cross_entropy(s_logits, y, reduction="none")
    # off: CE on every sample, whatever tau is; on: only on the samples with difficulty <= tau (over the batch)
    assert float(off["ce"]) == pytest.approx(float(ce.mean()), rel=1e-5)
    assert float(on["ce"]) == pytest.approx(float((ce * (delta <= tau)).sum() / len(y)), rel=1e-5)
    assert float(on["ce"]) < float(off["ce"])
    assert float(off["hard_frac"]) == 1.0
    assert float(on["hard_frac"]) == pytest.approx(float((delta <= tau).float().mean()))
    assert float(on["kd"]) == pytest.approx(float(off["kd"]), rel=1e-6)  # soft labels (KD) always on all samples


def test_cam_target_label_or_prediction():
    teacher, student, x, y = _step(None, seed=2)
    with torch.no_grad():
        t_pred, s_pred = teacher(x).argmax(1), student(x).argmax(1)
    assert (t_pred != y).any() and (s_pred != y).any() and (t_pred != s_pred).any()
    kw = dict(use_filter=False, use_soft_labels=False, cam_floor=0.1)
    for target, t_tgt, s_tgt in (("label", y, y), ("pred", None, None)):
        _, terms = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", cam_target=target, **kw))(x, y)
        t_cam = ref_cam(teacher, x, t_tgt, 0.1).detach()
        s_cam = ref_cam(copy.deepcopy(student), x, s_tgt, 0.1)
        assert float(terms["cam"]) == pytest.approx(float(((s_cam - t_cam) ** 2).mean().detach()), rel=1e-4), target
    # and the two choices give different maps here
    _, a = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", cam_target="label", **kw))(x, y)
    _, b = SynQStep(copy.deepcopy(student), teacher, get_config("smoke", cam_target="pred", **kw))(x, y)
    assert abs(float(a["cam"]) - float(b["cam"])) > 1e-4


@pytest.mark.parametrize("temperature, alpha", [(1.0, 1.0), (1.0, 2.0), (2.0, 1.0), (4.0, 3.0), (20.0, 20.0)])
def test_kd_temperature_and_alpha(temperature, alpha):
    teacher, student, x, y = _step(None, seed=3)
    cfg = get_config("smoke", use_filter=False, use_cam=False, kd_temperature=temperature, kd_alpha=alpha)
    loss, terms = SynQStep(copy.deepcopy(student), teacher, cfg)(x, y)
    with torch.no_grad():
        want = ref_kd(student(x), teacher(x), temperature, alpha)
    assert float(terms["kd"]) == pytest.approx(float(want), rel=1e-4)
    assert float(loss.detach()) == pytest.approx(float(want) + cfg.lambda_ce * float(terms["ce"]), rel=1e-4)
    if (temperature, alpha) != (1.0, 1.0):
        with torch.no_grad():  # the scaling alpha * T^2 matters: the plain KL at temperature T is far off
            plain = float(ref_kd(student(x), teacher(x), temperature, 1.0)) / temperature**2
        assert abs(float(want) - plain) > 0.4 * float(want)


@pytest.mark.parametrize("lambda_ce, lambda_cam", [(0.0, 0.0), (0.5, 5.0), (2.0, 0.1)])
def test_lambdas_weight_their_terms(lambda_ce, lambda_cam):
    teacher, student, x, y = _step(None, seed=4)
    cfg = get_config("smoke", lambda_ce=lambda_ce, lambda_cam=lambda_cam)
    loss, _ = SynQStep(copy.deepcopy(student), teacher, cfg)(x, y)
    ref_loss, ref = ref_step_loss(copy.deepcopy(student), teacher, x, y, cfg)
    assert float(loss.detach()) == pytest.approx(float(ref_loss.detach()), rel=1e-4)
    assert float(ref_loss.detach()) == pytest.approx(
        float(ref["kd"] + lambda_ce * ref["ce"] + lambda_cam * ref["cam"]), rel=1e-9)


# ---------------------------------------------------------------------------------------------- the optimiser
class SGDSpy:
    """Records, at every SGD step, the learning rate, the parameters and their gradients before, and after."""

    def __init__(self, monkeypatch):
        self.calls = []
        orig = torch.optim.SGD.step
        spy = self

        def step(opt, *a, **k):
            params = [p for g in opt.param_groups for p in g["params"]]
            before = [p.detach().clone() for p in params]
            grads = [p.grad.detach().clone() for p in params]
            out = orig(opt, *a, **k)
            spy.calls.append(dict(lr=opt.param_groups[0]["lr"], before=before, grads=grads,
                                  after=[p.detach().clone() for p in params]))
            return out

        monkeypatch.setattr(torch.optim.SGD, "step", step)


SCHEDULES = {
    "cosine": lambda s, t: 0.5 * (1 + math.cos(math.pi * s / t)),
    "step": lambda s, t: 1.0 if s < t / 2 else (0.1 if s < 0.75 * t else 0.01),
    "constant": lambda s, t: 1.0,
}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_lr_schedule_is_what_the_optimiser_uses(monkeypatch, schedule):
    spy = SGDSpy(monkeypatch)
    images, labels = tiny_images(n=8, seed=8)
    cfg = _cfg(lr_schedule=schedule, lr=0.02, epochs=2, iters_per_epoch=4, batch_size=4)
    _, _, hist = _run_finetune(cfg, images, labels)
    lrs = [c["lr"] for c in spy.calls]
    assert lrs == pytest.approx([0.02 * SCHEDULES[schedule](s, 8) for s in range(8)], rel=1e-9, abs=1e-15)
    assert hist["lr"] == pytest.approx([lrs[3], lrs[7]])  # the history shows each epoch's last rate


@pytest.mark.parametrize("nesterov", [True, False])
def test_first_sgd_update_momentum_nesterov_weight_decay(monkeypatch, nesterov):
    spy = SGDSpy(monkeypatch)
    images, labels = tiny_images(n=8, seed=9)
    cfg = _cfg(lr=0.05, lr_schedule="constant", momentum=0.8, nesterov=nesterov, weight_decay=0.1, grad_clip=None,
               iters_per_epoch=1)
    _run_finetune(cfg, images, labels)
    (c,) = spy.calls
    for p0, g, p1 in zip(c["before"], c["grads"], c["after"]):
        d = g + 0.1 * p0  # weight decay
        step = (1 + 0.8) * d if nesterov else d  # first step: momentum buffer = d
        torch.testing.assert_close(p1, p0 - 0.05 * step, atol=1e-7, rtol=1e-5)


def test_grad_clip_bounds_the_gradient_norm(monkeypatch):
    images, labels = tiny_images(n=8, seed=10)
    norms = {}
    for clip in (None, 1e-3):
        spy = SGDSpy(monkeypatch)
        _run_finetune(_cfg(grad_clip=clip, iters_per_epoch=2), images, labels)
        norms[clip] = [float(torch.sqrt(sum((g.double() ** 2).sum() for g in c["grads"]))) for c in spy.calls]
    assert min(norms[None]) > 1e-2  # unclipped gradients are far larger than the limit here
    assert max(norms[1e-3]) == pytest.approx(1e-3, rel=1e-3)  # clipped to the limit


def test_finetune_labels_come_from_the_same_images(monkeypatch):
    """Each fine-tuning batch pairs every image with its own label: the CE term is that of the drawn images."""
    images, labels = tiny_images(n=10, seed=11)
    labels = (labels * 3 + 1) % NUM_CLASSES
    seen = []
    real_call = SynQStep.__call__

    def spy(self, x, y):
        seen.append((x.clone(), y.clone()))
        return real_call(self, x, y)

    monkeypatch.setattr(SynQStep, "__call__", spy)
    _run_finetune(_cfg(iters_per_epoch=3), images, labels)
    assert len(seen) == 3
    for x, y in seen:
        for xi, yi in zip(x, y):
            (i,) = [j for j in range(10) if torch.equal(images[j], xi)]
            assert labels[i] == yi


def _crop_of(out, h):
    """Read the crop back from an augmented coordinate image (channel 0 = row index, 1 = column index, 2 = 7):
    bilinear resizing (align_corners=False) maps output row k to source row i + (k + 0.5) * ch / h - 0.5, so in
    the interior the ramp's slope is ch / h and its offset gives i. Returns (ch, i, cw, j, flipped)."""
    rows, cols = out[0, 0, :, 0].double(), out[0, 1, 0, :].double()
    flipped = bool(cols[-2] < cols[1])
    if flipped:
        cols = cols.flip(0)
    ch, cw = float(rows[h - 3] - rows[2]) / (h - 5) * h, float(cols[h - 3] - cols[2]) / (h - 5) * h
    i = float(rows[2]) - 2.5 * ch / h + 0.5
    j = float(cols[2]) - 2.5 * cw / h + 0.5
    return ch, i, cw, j, flipped


def test_synthesis_augmentation_is_a_random_resized_crop_and_flip():
    """synthesis._augment (ImageNet teachers): one crop of scale 0.4-1 (side sqrt(scale) of the image) at a random
    position, resized back to the full size, then a horizontal flip with probability 1/2, from its own generator."""
    from synq_nb.synthesis import _augment

    h = 16
    r = torch.arange(h, dtype=torch.float32)
    x = torch.stack([r[:, None].expand(h, h), r[None, :].expand(h, h), torch.full((h, h), 7.0)])[None]
    sides, starts, flips = [], [], []
    gen = torch.Generator().manual_seed(0)
    for _ in range(300):
        out = _augment(x, gen)
        assert out.shape == x.shape and torch.all(out[0, 2] == 7.0)  # channels stay in place
        ch, i, cw, j, flipped = _crop_of(out, h)
        assert ch == pytest.approx(round(ch), abs=1e-3) and cw == pytest.approx(ch, abs=1e-3)  # square, whole pixels
        ch, i, j = round(ch), round(i), round(j)
        assert int(h * 0.4**0.5) <= ch <= h
        assert 0 <= i <= h - ch and 0 <= j <= h - ch  # inside the image
        rows = out[0, 0, 2:h - 2, 0]
        assert (rows[1:] >= rows[:-1]).all()  # never flipped vertically
        sides.append(ch)
        starts.append((i, j, h - ch))
        flips.append(flipped)
    assert min(sides) <= int(h * 0.45**0.5) and max(sides) >= h - 1  # the whole range of scales is drawn
    # every position is possible, the first and the last included, for rows and columns alike
    assert any(i == 0 for i, _, _ in starts) and any(j == 0 for _, j, _ in starts)
    assert any(i == last for i, _, last in starts) and any(j == last for _, j, last in starts)
    assert 0.35 < sum(flips) / len(flips) < 0.65
    # the draws come from the generator alone, not from torch's global random state
    outs = []
    for global_seed in range(12):
        torch.manual_seed(global_seed)
        outs.append(_augment(x, torch.Generator().manual_seed(5)))
    assert all(torch.equal(o, outs[0]) for o in outs)


def test_finetuning_augmentation_offsets_flips_and_generator():
    """finetune.augment_batch: every image its own shift in 0..2*pad (zero padding) per axis, both ends included,
    and its own flip with probability 1/2, all drawn from the generator alone."""
    from synq_nb.finetune import augment_batch

    h, pad, n = 6, 2, 400
    r = torch.arange(1, h + 1, dtype=torch.float32)
    x = torch.stack([r[:, None].expand(h, h), r[None, :].expand(h, h)])[None].expand(n, 2, h, h).contiguous()
    out = augment_batch(x, torch.Generator().manual_seed(0), pad=pad)
    xp = F.pad(x[0], (pad, pad, pad, pad))
    found = []
    for o in out:
        hits = [(a, b, f) for a in range(2 * pad + 1) for b in range(2 * pad + 1) for f in (False, True)
                if torch.equal(o, xp[:, a:a + h, b:b + h].flip(-1) if f else xp[:, a:a + h, b:b + h])]
        assert len(hits) == 1
        found.append(hits[0])
    assert {a for a, _, _ in found} == {b for _, b, _ in found} == set(range(2 * pad + 1))
    flips = sum(f for _, _, f in found) / n
    assert 0.4 < flips < 0.6
    outs = []
    for global_seed in range(3):
        torch.manual_seed(global_seed)
        outs.append(augment_batch(x[:16], torch.Generator().manual_seed(3), pad=pad))
    assert all(torch.equal(o, outs[0]) for o in outs)


def test_bf16_switch_runs_only_the_teacher_in_bfloat16():
    teacher, student, x, y = _step(None, seed=5)
    dtypes = {}
    teacher.features[0].register_forward_hook(lambda m, i, o: dtypes.setdefault("teacher", set()).add(o.dtype))
    student.features[0].register_forward_hook(lambda m, i, o: dtypes.setdefault("student", set()).add(o.dtype))
    for use_cam in (False, True):
        for bf16 in (False, True):
            dtypes.clear()
            cfg = get_config("smoke", use_filter=False, use_cam=use_cam, extra={"bf16": bf16} if bf16 else {})
            loss, terms = SynQStep(copy.deepcopy(student), teacher, cfg)(x, y)
            assert dtypes["teacher"] == {torch.bfloat16 if bf16 else torch.float32}, (use_cam, bf16)
            assert loss.dtype == torch.float32 and torch.isfinite(loss)
    s2 = copy.deepcopy(student)
    s2.features[0].register_forward_hook(lambda m, i, o: dtypes.setdefault("copy", set()).add(o.dtype))
    dtypes.clear()
    SynQStep(s2, teacher, get_config("smoke", extra={"bf16": True}))(x, y)
    assert dtypes["copy"] == {torch.float32}  # the fake-quantized student stays in float32
