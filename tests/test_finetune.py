"""Step 3, fine-tuning: determinism, the NaN guard, checkpoint/resume, the per-epoch history."""
from __future__ import annotations

import copy

import pytest
import torch

from synq_nb import finetune, get_config
from synq_nb.finetune import SynQStep, augment_batch


def _cfg(**kw):
    base = dict(epochs=2, iters_per_epoch=2, batch_size=16, eval_every=0)
    base.update(kw)
    return get_config("smoke", **base)


def _same_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_finetune_is_deterministic_and_trains(calibrated_w4a4, teacher, tiny_synthetic):
    start = copy.deepcopy(calibrated_w4a4)
    runs = []
    for _ in range(2):
        student = copy.deepcopy(start)
        hist = finetune(student, teacher, tiny_synthetic.images, tiny_synthetic.labels, _cfg(), progress=False)
        runs.append((student, hist))
    (a, ha), (b, hb) = runs
    assert _same_weights(a, b)
    assert ha["iter_loss"] == hb["iter_loss"]
    assert not _same_weights(a, start)  # it did train
    assert _same_weights(start, calibrated_w4a4)  # the start was not touched
    # the activation ranges stay frozen during fine-tuning
    for qa, qs in zip(a.modules(), start.modules()):
        if hasattr(qa, "ema_min"):
            assert torch.equal(qa.range[0], qs.range[0]) and torch.equal(qa.range[1], qs.range[1])
    # a different seed gives a different run
    c = copy.deepcopy(start)
    finetune(c, teacher, tiny_synthetic.images, tiny_synthetic.labels, _cfg(seed=1), progress=False)
    assert not _same_weights(a, c)


def test_history_has_one_entry_per_epoch(calibrated_w4a4, teacher, tiny_synthetic):
    student = copy.deepcopy(calibrated_w4a4)
    calls = []
    evals = []

    def eval_fn(m):
        evals.append(1)
        return 50.0

    cfg = _cfg(epochs=3, iters_per_epoch=1, eval_every=2)
    hist = finetune(student, teacher, tiny_synthetic.images, tiny_synthetic.labels, cfg, progress=False,
                    eval_fn=eval_fn, on_epoch=lambda h: calls.append(len(h["epoch"])))
    assert hist["epoch"] == [1, 2, 3] and calls == [1, 2, 3]
    for k in ("loss", "kd", "ce", "cam", "hard_frac", "lr", "seconds", "top1"):
        assert len(hist[k]) == 3, k
    assert len(hist["iter_loss"]) == 3
    assert hist["top1"] == [None, 50.0, 50.0] and len(evals) == 2  # every 2nd epoch and after the last
    assert all(v > 0 for v in hist["cam"]) and all(0 <= v <= 1 for v in hist["hard_frac"])
    assert hist["lr"][0] > hist["lr"][-1]  # cosine schedule


def test_nan_guard_on_nan_images(calibrated_w4a4, teacher, tiny_synthetic):
    images = tiny_synthetic.images.clone()
    images[:, :, 5, 5] = float("nan")
    with pytest.raises(FloatingPointError, match="fine-tuning loss is not finite at epoch 0 iteration 0"):
        finetune(copy.deepcopy(calibrated_w4a4), teacher, images, tiny_synthetic.labels, _cfg(), progress=False)


def test_nan_guard_on_divergence(calibrated_w4a4, teacher, tiny_synthetic):
    # a huge learning rate without clipping makes the loss overflow within a few steps
    cfg = _cfg(lr=1e8, grad_clip=None, lr_schedule="constant", epochs=1, iters_per_epoch=20)
    with pytest.raises(FloatingPointError, match="lower lr"):
        finetune(copy.deepcopy(calibrated_w4a4), teacher, tiny_synthetic.images, tiny_synthetic.labels, cfg,
                 progress=False)


class _Stop(Exception):
    pass


def test_checkpoint_resume_equals_one_go(calibrated_w4a4, teacher, tiny_synthetic, tmp_path):
    cfg = _cfg()
    x, y = tiny_synthetic.images, tiny_synthetic.labels
    one_go = copy.deepcopy(calibrated_w4a4)
    hist_one = finetune(one_go, teacher, x, y, cfg, progress=False, checkpoint=tmp_path / "a.pt")

    def stop_after_first_epoch(h):
        if len(h["epoch"]) == 1:
            raise _Stop  # an interruption after epoch 1 (its checkpoint is already written)

    ckpt = tmp_path / "b.pt"
    with pytest.raises(_Stop):
        finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg, progress=False, checkpoint=ckpt,
                 on_epoch=stop_after_first_epoch)
    assert ckpt.is_file() and not list(tmp_path.glob("*.tmp"))
    assert torch.load(ckpt, weights_only=False)["epoch"] == 1
    resumed = copy.deepcopy(calibrated_w4a4)  # fresh start: the weights come from the checkpoint
    hist_res = finetune(resumed, teacher, x, y, cfg, progress=False, checkpoint=ckpt)
    sa, sb = one_go.state_dict(), resumed.state_dict()
    for k in sa:
        torch.testing.assert_close(sb[k], sa[k], atol=1e-6, rtol=1e-5, msg=k)
    assert hist_res["epoch"] == [1, 2] and len(hist_res["iter_loss"]) == 4
    assert hist_res["iter_loss"] == pytest.approx(hist_one["iter_loss"], rel=1e-5)
    # a finished checkpoint: running again does nothing more
    again = copy.deepcopy(calibrated_w4a4)
    finetune(again, teacher, x, y, cfg, progress=False, checkpoint=ckpt)
    assert _same_weights(again, resumed)


def test_baseline_step_has_no_cam_and_full_ce(calibrated_w4a4, teacher, tiny_synthetic):
    x, y = tiny_synthetic.images[:16], tiny_synthetic.labels[:16]
    base = _cfg().ideas(filter=False, cam=False, soft=False)
    loss, terms = SynQStep(copy.deepcopy(calibrated_w4a4), teacher, base)(x, y)
    assert terms["cam"] == 0 and terms["hard_frac"] == 1
    full = _cfg()
    loss_f, terms_f = SynQStep(copy.deepcopy(calibrated_w4a4), teacher, full)(x, y)
    assert terms_f["cam"] > 0 and torch.isfinite(loss_f)
    expected = terms_f["kd"] + full.lambda_ce * terms_f["ce"] + full.lambda_cam * terms_f["cam"]
    torch.testing.assert_close(loss_f.detach(), expected)


def test_augment_batch_crops_and_flips():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6) + 1
    gen = torch.Generator().manual_seed(0)
    out = augment_batch(x, gen, pad=2)
    assert out.shape == x.shape
    # every output is a shifted (zero-padded) and possibly flipped copy of its own input
    for i in range(2):
        xp = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        cands = [xp[:, a:a + 6, b:b + 6] for a in range(5) for b in range(5)]
        cands += [c.flip(-1) for c in cands]
        assert any(torch.equal(out[i], c) for c in cands)
