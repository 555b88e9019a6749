"""Step 1: synthesize a labelled image set from the teacher alone (noise optimisation).

Loss (Eq. 1): L_IL + alpha * L_BNS, where
* L_BNS: for every BatchNorm layer, MSE between the batch mean / biased variance of its input over
  (N, H, W) and the layer's running mean / variance, averaged over layers;
* L_IL: HAST's hard-sample inception loss beta * mean((1 - p_y)^gamma * CE(teacher(x), y)); the
  weight (1 - p_y)^gamma is clamped away from 0 and detached, because with gamma < 1 its gradient
  is infinite once p_y rounds to 1 (the images would turn to NaN).
Adam on the pixels (lr 0.5), ReduceLROnPlateau (x0.1 after 50 flat iterations, min 1e-4).
Batched: each batch of images is optimised as one tensor. Results are cached on disk by a hash of
all settings and of the teacher's weights, written atomically.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .models import cache_dir, teacher_info


@dataclass
class SyntheticSet:
    images: torch.Tensor  # N x C x H x W, normalised like the teacher's input, on CPU
    labels: torch.Tensor  # N, long
    history: dict = field(default_factory=dict)  # per iteration, mean over batches
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0
    from_cache: bool = False

    def __len__(self):
        return len(self.labels)


class BNStatsLoss:
    """Forward pre-hooks on every BatchNorm2d that compare the batch statistics of its input with
    the running ones. Use as a context manager; ``.loss()`` after each forward."""

    def __init__(self, model: nn.Module):
        self.bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        if not self.bns:
            raise ValueError("the teacher has no BatchNorm2d layers: BN-statistics synthesis needs them")
        self.terms, self.handles = [], []

    def _hook(self, bn, inputs):
        x = inputs[0]
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        self.terms.append(F.mse_loss(mean, bn.running_mean) + F.mse_loss(var, bn.running_var))

    def __enter__(self):
        self.handles = [bn.register_forward_pre_hook(self._hook) for bn in self.bns]
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()

    def loss(self):
        out = torch.stack(self.terms).mean()
        self.terms = []
        return out


def bn_stats_loss(model: nn.Module, images: torch.Tensor) -> float:
    """The L_BNS of ``images`` under ``model`` (no gradient), e.g. to compare synthetic and real data."""
    with torch.no_grad(), BNStatsLoss(model) as bns:
        model(images)
        return float(bns.loss())


def hard_sample_il(logits, labels, beta: float, gamma: float):
    ce = F.cross_entropy(logits, labels, reduction="none")
    p = logits.softmax(1).gather(1, labels[:, None])[:, 0]
    weight = (1 - p).clamp(min=1e-4).pow(gamma).detach()
    return beta * (weight * ce).mean()


def _augment(x, gen):
    """ImageNet only: random-resized-crop (scale 0.4-1) + horizontal flip of the whole batch."""
    h, w = x.shape[-2:]
    scale = 0.4 + 0.6 * torch.rand((), generator=gen).item()
    ch, cw = max(1, int(h * scale**0.5)), max(1, int(w * scale**0.5))
    i = int(torch.randint(0, h - ch + 1, (), generator=gen))
    j = int(torch.randint(0, w - cw + 1, (), generator=gen))
    x = F.interpolate(x[:, :, i:i + ch, j:j + cw], size=(h, w), mode="bilinear", align_corners=False)
    return x.flip(-1) if torch.rand((), generator=gen) < 0.5 else x


def _fingerprint(model: nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in model.state_dict().items():
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _atomic_save(obj, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def synthesize(teacher: nn.Module, num_images: int, iters: int = 1000, batch_size: int = 256, lr: float = 0.5,
               alpha_bns: float = 1.0, beta_il: float = 0.1, gamma_il: float = 0.5, seed: int = 0,
               augment: bool | None = None, cache: bool | str | Path = True, progress: bool = True) -> SyntheticSet:
    """Optimise ``num_images`` Gaussian-noise images into a labelled synthetic set.

    Labels are balanced (image i has class i mod num_classes). ``cache``: True for the default cache
    folder (``$SYNQ_CACHE_DIR/synthetic``), a folder path, or False. ``augment``: None = on for
    ImageNet-sized teachers only. Deterministic on CPU for a fixed seed.
    """
    import time

    info = teacher_info(teacher)
    for name, v in (("num_images", num_images), ("iters", iters), ("batch_size", batch_size)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if augment is None:
        augment = info.input_size > 64
    settings = dict(teacher=info.name, weights=_fingerprint(teacher), num_images=num_images, iters=iters,
                    batch_size=batch_size, lr=lr, alpha_bns=alpha_bns, beta_il=beta_il, gamma_il=gamma_il,
                    seed=seed, augment=augment, version=1)
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = None
    if cache:
        folder = Path(cache) if not isinstance(cache, bool) else cache_dir() / "synthetic"
        path = folder / f"{info.name}-{key}.pt"
        if path.is_file():
            try:
                d = torch.load(path, map_location="cpu", weights_only=False)
                if d["settings"] == settings:  # the file name is a hash of them: a guard against collisions
                    return SyntheticSet(d["images"], d["labels"], d["history"], d["settings"], d["seconds"], True)
            except Exception:  # unreadable cache: recompute (and overwrite atomically)
                pass

    device = next(teacher.parameters()).device
    teacher.eval()
    labels = torch.arange(num_images) % info.num_classes
    shape = (3, info.input_size, info.input_size)
    images, hist = [], {k: torch.zeros(iters) for k in ("loss", "bns", "il", "confidence", "accuracy")}
    n_batches = (num_images + batch_size - 1) // batch_size
    start = time.perf_counter()
    bar = tqdm(total=n_batches * iters, desc="synthesis", disable=not progress, mininterval=1.0)
    with BNStatsLoss(teacher) as bns:
        for b in range(n_batches):
            gen = torch.Generator().manual_seed(seed * 100_003 + b)
            y = labels[b * batch_size:(b + 1) * batch_size].to(device)
            x = torch.randn((len(y),) + shape, generator=gen).to(device).requires_grad_()
            opt = torch.optim.Adam([x], lr=lr)
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=50, min_lr=1e-4)
            for it in range(iters):
                opt.zero_grad(set_to_none=True)
                inp = _augment(x, gen) if augment and torch.rand((), generator=gen) < 0.5 else x
                logits = teacher(inp)
                l_bns = bns.loss()
                l_il = hard_sample_il(logits, y, beta_il, gamma_il)
                loss = l_il + alpha_bns * l_bns
                loss.backward()
                opt.step()
                sched.step(loss.item())
                with torch.no_grad():
                    w = len(y) / num_images
                    p = logits.softmax(1)
                    hist["loss"][it] += w * loss.item()
                    hist["bns"][it] += w * l_bns.item()
                    hist["il"][it] += w * l_il.item()
                    hist["confidence"][it] += w * p.gather(1, y[:, None]).sum().item() / len(y)
                    hist["accuracy"][it] += w * (p.argmax(1) == y).float().sum().item() / len(y)
                bar.update()
            if not torch.isfinite(x).all():
                raise FloatingPointError(f"synthesis produced non-finite images in batch {b}: lower lr or iters")
            images.append(x.detach().cpu())
    bar.close()
    out = SyntheticSet(torch.cat(images), labels, {k: v.tolist() for k, v in hist.items()}, settings,
                       time.perf_counter() - start)
    if path is not None:
        _atomic_save(dict(images=out.images, labels=out.labels, history=out.history, settings=settings,
                          seconds=out.seconds), path)
    return out
