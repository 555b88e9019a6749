"""Step 3: synthesis-aware fine-tuning of the quantized student (Eq. 6).

Per synthetic batch: (augment) -> low-pass filter (Idea 1) -> difficulty from the teacher (Eq. 3)
-> L = KD(teacher || student) + lambda_CE * CE on samples with difficulty <= tau (Idea 3)
       + lambda_CAM * ||CAM_t - CAM_s||^2 (Idea 2).
The official code's extras, off by default (the paper's Eq. 6): Grad-CAM weights clamped at 0 (cam_clamp_weights),
+ lambda_FA * HAST's feature alignment and + lambda_adv * KD on adversarially perturbed images (synq_nb.hast).
With all three switches off it is the baseline (KD + CE on every sample). One student forward and
backward and one teacher forward per iteration; the teacher's Grad-CAM only back-propagates through
its head.
"""
from __future__ import annotations

import hashlib
import math
import os
import time
from pathlib import Path

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from .cam import cam_from_features, default_cam_layer, forward_with_features
from .config import SynQConfig
from .filtering import low_pass_filter
from .hast import adversarial_images, feature_alignment_loss, record_outputs, residual_blocks
from .losses import cam_loss, difficulty, kd_loss, selective_ce
from .results import ADDED_LATER
from .synthesis import _atomic_save, _fingerprint

# Config fields that do not change what a run computes or reports, so a checkpoint written under
# other values may be resumed: the device (a run may move between machines), the preset's name (a
# label; the fields it sets are compared one by one) and the wall-clock budget (raising it is how a
# time-limited run is continued).
RESUMABLE_ACROSS = ("device", "preset", "max_finetune_seconds")


class RunFolderMismatch(ValueError):
    """A checkpoint in the run folder was written by a different run (or by a synq_nb that did not
    record which run wrote it): resuming from it would mix two experiments."""


def _tensor_hash(*tensors) -> str:
    h = hashlib.blake2b(digest_size=8)
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(f"{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def run_fingerprint(cfg: SynQConfig, teacher: nn.Module | None = None, images=None, labels=None) -> dict:
    """What identifies a fine-tuning run: the result-relevant config fields, the package version, and
    (when given) a hash of the teacher's weights and of the training images and labels."""
    from . import __version__

    fp = dict(config={k: v for k, v in cfg.to_dict().items() if k not in RESUMABLE_ACROSS}, version=__version__)
    if teacher is not None:
        fp["teacher"] = _fingerprint(teacher)
    if images is not None:
        fp["data"] = _tensor_hash(images, labels)
    return fp


def load_checkpoint(path: str | Path, map_location="cpu") -> dict:
    """A checkpoint written by :func:`finetune`; RunFolderMismatch (a ValueError) when unreadable."""
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as e:
        raise RunFolderMismatch(f"the checkpoint {path} cannot be read ({type(e).__name__}: {e}); start afresh with "
                                f"--fresh (fresh=True) or choose another output folder") from None


def check_resumable(state: dict, fingerprint: dict, path: str | Path):
    """Raise RunFolderMismatch unless the checkpoint ``state`` was written by the run ``fingerprint``
    describes. Only the keys present in both fingerprints are compared (the pipeline checks the config
    before loading the teacher, and everything once the training data is known)."""
    folder = Path(path).parent
    how = (f"start afresh with --fresh (fresh=True in run_experiment / finetune; it deletes that checkpoint), "
           f"or choose another output folder")
    old = state.get("fingerprint") if isinstance(state, dict) else None
    if old is None:
        raise RunFolderMismatch(f"the folder {folder} holds a checkpoint ({Path(path).name}) that does not record "
                                f"which run wrote it (an older synq_nb, or another program): it is not resumed, since "
                                f"it may belong to another experiment; {how}")
    diffs = []
    # fields added to the config later count as their value before then when a checkpoint lacks them
    oc, nc = {**ADDED_LATER, **old.get("config", {})}, {**ADDED_LATER, **fingerprint.get("config", {})}
    missing = object()
    for k in sorted(set(oc) | set(nc)):
        a, b = oc.get(k, missing), nc.get(k, missing)
        if a != b:
            diffs.append(f"{k}: {'(unset)' if a is missing else repr(a)} there, {'(unset)' if b is missing else repr(b)} now")
    if old.get("version") != fingerprint.get("version"):
        diffs.append(f"synq_nb version: {old.get('version')} there, {fingerprint.get('version')} now")
    for key, what in (("teacher", "the teacher's weights differ"), ("data", "the training images or labels differ")):
        if key in old and key in fingerprint and old[key] != fingerprint[key]:
            diffs.append(what)
    if diffs:
        raise RunFolderMismatch(f"the folder {folder} holds a checkpoint of a different run, so it is not resumed "
                                f"({'; '.join(diffs)}); {how}")


def augment_batch(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Per-image random crop (zero padding ``pad``) and horizontal flip, batched."""
    n, _, h, w = x.shape
    xp = torch.nn.functional.pad(x, (pad, pad, pad, pad))
    di = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(x.device)
    dj = torch.randint(0, 2 * pad + 1, (n,), generator=gen).to(x.device)
    rows = (di[:, None] + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dj[:, None] + torch.arange(w, device=x.device))[:, None, None, :]
    out = xp[torch.arange(n, device=x.device)[:, None, None, None], torch.arange(x.shape[1], device=x.device)[None, :, None, None], rows, cols]
    flip = (torch.rand(n, generator=gen) < 0.5).to(x.device)[:, None, None, None]
    return torch.where(flip, out.flip(-1), out)


def _lr_factor(cfg: SynQConfig, step: int, total: int) -> float:
    if cfg.lr_schedule == "cosine":
        return 0.5 * (1 + math.cos(math.pi * step / total))
    if cfg.lr_schedule == "step":
        return 0.1 ** ((step >= 0.5 * total) + (step >= 0.75 * total))
    return 1.0


class SynQStep:
    """The loss of one batch (Eq. 6), with each idea behind its switch in ``cfg``."""

    def __init__(self, student: nn.Module, teacher: nn.Module, cfg: SynQConfig):
        self.student, self.teacher, self.cfg = student, teacher, cfg
        self.layer = default_cam_layer(teacher)
        self.student_layer = self.layer  # "module." + layer when the student is wrapped (DistributedDataParallel)
        # cfg.extra["bf16"]: the teacher's forward (and its Grad-CAM) under bfloat16 autocast; the fake-quantized
        # student stays in float32 (in bfloat16 its activations land in other quantization bins)
        self.bf16 = bool(cfg.extra.get("bf16", False))
        # HAST's feature alignment (the official code's extra): the residual blocks whose outputs are aligned
        self.blocks = residual_blocks(teacher) if cfg.lambda_fa > 0 else []
        if cfg.lambda_fa > 0 and not self.blocks:
            raise ValueError("lambda_fa > 0 (HAST's feature alignment) needs residual blocks, and this teacher has none; "
                             "set lambda_fa=0")
        self.student_blocks = self.blocks  # "module." + name when the student is wrapped

    def _teacher_precision(self, x):
        return torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.bf16)

    def __call__(self, x, y):
        cfg = self.cfg
        if cfg.use_filter:
            x = low_pass_filter(x, cfg.d0, cfg.filter_kind)
        clamp = cfg.cam_clamp_weights
        # the student's input; a leaf when the adversarial term needs d KD / dx (read from the same graph)
        x_s = x.detach().requires_grad_() if cfg.lambda_adv > 0 else x
        with record_outputs(self.teacher, self.blocks) as t_blocks, \
                record_outputs(self.student, self.student_blocks) as s_blocks:
            if cfg.use_cam:
                with torch.enable_grad(), self._teacher_precision(x):
                    t_logits, t_feats = forward_with_features(self.teacher, x, self.layer)
                    t_target = y if cfg.cam_target == "label" else t_logits.argmax(1)
                    t_cam = cam_from_features(t_logits, t_feats, t_target, x.shape[-2:], True, cfg.cam_floor,
                                              clamp).detach()
                t_logits, t_cam = t_logits.detach().float(), t_cam.float()  # no-ops in float32
                s_logits, s_feats = forward_with_features(self.student, x_s, self.student_layer)
                s_target = y if cfg.cam_target == "label" else s_logits.detach().argmax(1)
                s_cam = cam_from_features(s_logits, s_feats, s_target, x.shape[-2:], True, cfg.cam_floor, clamp)
                l_cam = cam_loss(t_cam, s_cam)
            else:
                with torch.no_grad(), self._teacher_precision(x):
                    t_logits = self.teacher(x)
                t_logits = t_logits.float()
                s_logits = self.student(x_s)
                l_cam = s_logits.new_zeros(())
        delta = difficulty(t_logits, y)
        l_kd = kd_loss(s_logits, t_logits, cfg.kd_temperature, cfg.kd_alpha)
        l_ce = selective_ce(s_logits, y, delta, cfg.tau if cfg.use_soft_labels else math.inf)
        loss = l_kd + cfg.lambda_ce * l_ce + cfg.lambda_cam * l_cam
        terms = dict(kd=l_kd.detach(), ce=l_ce.detach(), cam=l_cam.detach(),
                     hard_frac=(delta <= cfg.tau).float().mean() if cfg.use_soft_labels else torch.ones(()))
        if self.blocks:  # HAST's feature alignment (synq_nb.hast)
            l_fa = feature_alignment_loss(t_blocks, s_blocks)
            loss = loss + cfg.lambda_fa * l_fa
            terms["fa"] = l_fa.detach()
        if cfg.lambda_adv > 0:  # HAST's adversarial term: the KD loss again, the student on x + adv_eps * sign(d KD / dx)
            x_adv = adversarial_images(x_s, l_kd, cfg.adv_eps)
            l_adv = kd_loss(self.student(x_adv), t_logits, cfg.kd_temperature, cfg.kd_alpha)
            loss = loss + cfg.lambda_adv * l_adv
            terms["adv"] = l_adv.detach()
        return loss, terms


def finetune(student: nn.Module, teacher: nn.Module, images: torch.Tensor, labels: torch.Tensor, cfg: SynQConfig,
             eval_fn=None, checkpoint: str | Path | None = None, progress: bool = True, on_epoch=None,
             fresh: bool = False) -> dict:
    """Fine-tune ``student`` in place on the synthetic set; returns the per-epoch history.

    ``eval_fn(student) -> top-1`` is called every ``cfg.eval_every`` epochs and after the last.
    ``checkpoint``: a file written (atomically) after every epoch; if it exists, training resumes
    from it, but only when it was written by the same run (config, package version, teacher weights,
    training images; see :func:`run_fingerprint`): otherwise RunFolderMismatch (a ValueError) names
    what differs. ``fresh=True`` deletes an existing checkpoint and starts over.
    ``on_epoch(history)`` is called after each epoch (live plots).
    Raises FloatingPointError at the end of an epoch in which the loss was not finite, naming the first
    such iteration (the loss terms stay on the device during an epoch: no host-device synchronisation
    per iteration). ``cfg.extra["bf16"]``: bfloat16 autocast for the teacher's forward (off by default).
    History, per epoch (means over its iterations): ``loss`` and its terms ``kd``, ``ce``, ``cam`` (and ``fa``,
    ``adv`` when on); ``hard_frac``: the share of each batch trained on its hard label, i.e. with difficulty
    delta <= tau (KD + CE; the rest learns from the soft labels alone): "hard" names the label, not the image's
    difficulty, so it is the share of *easy* images; 1 when soft labels are off.
    Under torchrun (:mod:`synq_nb.distributed`) each rank trains on its share of every global batch
    inside DistributedDataParallel, and only rank 0 writes the checkpoint.
    """
    from . import distributed as D

    cfg.validate()
    device = next(student.parameters()).device
    world, rank = D.world_size(), D.rank()
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} must be divisible by the number of processes ({world})")
    if cfg.lambda_adv > 0 and D.is_distributed():
        raise ValueError("lambda_adv > 0 (HAST's adversarial term) runs the student twice per step, which this "
                         "package does not do under DistributedDataParallel: run it in one process")
    share = slice(rank * cfg.batch_size // world, (rank + 1) * cfg.batch_size // world)
    images, labels = images.to(device), labels.to(device)
    named = [(n, p) for n, p in student.named_parameters() if p.requires_grad]
    params = [p for _, p in named]
    step_sizes = [p for n, p in named if n.endswith("lsq_scale")]  # act_quant="lsq": no weight decay, lr x quant_lr_mult
    groups = [dict(params=[p for n, p in named if not n.endswith("lsq_scale")])]
    if step_sizes:
        groups.append(dict(params=step_sizes, weight_decay=0.0, lr_mult=cfg.quant_lr_mult))
    opt = torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.nesterov, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(cfg.seed + 7)
    total = cfg.epochs * cfg.iters_per_epoch
    history = {k: [] for k in ("epoch", "loss", "kd", "ce", "cam", "hard_frac", "lr", "seconds", "top1")}
    hast = tuple(k for k, w in (("fa", cfg.lambda_fa), ("adv", cfg.lambda_adv)) if w > 0)  # recorded when on
    history.update({k: [] for k in hast})
    history["iter_loss"] = []
    start_epoch = 0
    ckpt = Path(checkpoint) if checkpoint else None
    fingerprint = run_fingerprint(cfg, teacher, images, labels) if ckpt is not None else None
    if ckpt is not None and fresh and D.is_main():
        ckpt.unlink(missing_ok=True)

    def read_checkpoint():  # on rank 0; the other ranks receive its state
        if ckpt is None or not ckpt.is_file():
            return None
        st = load_checkpoint(ckpt, map_location="cpu")
        check_resumable(st, fingerprint, ckpt)
        return st

    state = D.same_on_all_ranks(read_checkpoint)
    if state is not None:
        if "optimizer" not in state and state["epoch"] < cfg.epochs:  # a shipped run (synq_nb.artifacts) is finished
            raise RunFolderMismatch(f"the checkpoint {ckpt} has no optimizer state, so it cannot be trained further: "
                                    "start afresh with --fresh (fresh=True)")
        student.load_state_dict(state["student"])
        if "optimizer" in state:
            opt.load_state_dict(state["optimizer"])  # moves the momentum buffers to the parameters' device
        if "generator" in state:
            gen.set_state(state["generator"].cpu())  # the generator lives on the CPU
        history, start_epoch = state["history"], state["epoch"]
    model = student
    if D.is_distributed():
        import inspect

        from torch.nn.parallel import DistributedDataParallel as DDP

        # the buffers (BN statistics, frozen activation ranges) are the same on every rank: no per-forward sync
        quiet = ("forward_sync_buffers" if "forward_sync_buffers" in inspect.signature(DDP).parameters
                 else "broadcast_buffers")
        model = DDP(student, device_ids=[device.index] if device.type == "cuda" else None, **{quiet: False})
    step_fn = SynQStep(model, teacher, cfg)
    if model is not student:  # the Grad-CAM layer's and the residual blocks' names inside the wrapper
        step_fn.student_layer = "module." + step_fn.layer
        step_fn.student_blocks = ["module." + b for b in step_fn.blocks]
    student.eval()  # BN keeps the teacher's running statistics; parameters still train
    teacher.eval()
    t_start = time.perf_counter()
    bar = tqdm(total=total, initial=start_epoch * cfg.iters_per_epoch, desc="fine-tuning",
               disable=not progress or not D.is_main(), mininterval=1.0)
    names = ("loss", "kd", "ce", "cam", "hard_frac") + hast
    for epoch in range(start_epoch, cfg.epochs):
        t0 = time.perf_counter()
        per_iter = []  # one row of 0-d device tensors (loss and its terms) per iteration
        lrs = []
        for it in range(cfg.iters_per_epoch):
            step = epoch * cfg.iters_per_epoch + it
            lr = cfg.lr * _lr_factor(cfg, step, total)
            lrs.append(lr)
            for g in opt.param_groups:
                g["lr"] = lr * g.get("lr_mult", 1.0)
            idx = torch.randint(0, len(labels), (cfg.batch_size,), generator=gen).to(device)
            x, y = images[idx], labels[idx]
            if cfg.augment and x.shape[-1] <= 64:
                x = augment_batch(x, gen)
            if world > 1:  # every rank drew the same global batch (same generator): keep this rank's share
                x, y = x[share], y[share]
            loss, terms = step_fn(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            per_iter.append(torch.stack([loss.detach().float()] + [terms[k].float().to(loss.device) for k in names[1:]]))
            bar.update()
        # one device-to-host transfer per epoch (and, under torchrun, one all-reduce: the mean over the ranks)
        rows = D.all_reduce_mean(torch.stack(per_iter)).tolist()
        bad = next((i for i, r in enumerate(rows) if not math.isfinite(r[0])), None)
        if bad is not None:
            kd, ce, cam = rows[bad][1:4]
            raise FloatingPointError(
                f"fine-tuning loss is not finite at epoch {epoch} iteration {bad} "
                f"(kd={kd:.4g}, ce={ce:.4g}, cam={cam:.4g}); "
                f"lower lr (now {lrs[bad]:.3g}) or lambda_cam, or raise cam_floor")
        sums = dict.fromkeys(names, 0.0)
        for r in rows:  # summed in iteration order, as floats: the same numbers as reading each iteration
            history["iter_loss"].append(r[0])
            for k, v in zip(names, r):
                sums[k] += v
        bar.set_postfix(loss=f"{rows[-1][0]:.3f}", refresh=False)
        n = cfg.iters_per_epoch
        history["epoch"].append(epoch + 1)
        for k, v in sums.items():
            history[k].append(v / n)
        history["lr"].append(lr)
        history["seconds"].append(time.perf_counter() - t0)
        last = epoch + 1 == cfg.epochs
        out_of_time = bool(cfg.max_finetune_seconds) and time.perf_counter() - t_start > cfg.max_finetune_seconds
        out_of_time = D.broadcast_object(out_of_time, 0)  # rank 0's clock decides for every rank
        do_eval = eval_fn is not None and (last or out_of_time or (cfg.eval_every and (epoch + 1) % cfg.eval_every == 0))
        history["top1"].append(float(eval_fn(student)) if do_eval else None)
        if ckpt is not None and D.is_main():
            _atomic_save(dict(student=student.state_dict(), optimizer=opt.state_dict(), generator=gen.get_state(),
                              history=history, epoch=epoch + 1, config=cfg.to_dict(), fingerprint=fingerprint), ckpt)
        if on_epoch is not None:
            on_epoch(history)
        if out_of_time and not last:
            history["stopped_early"] = f"time limit {cfg.max_finetune_seconds} s reached after epoch {epoch + 1}"
            break
    bar.close()
    return history
