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
    # the process's CPU seconds for the optimisation and torch's thread count then (None: a set cached before they
    # were recorded)
    cpu_seconds: float | None = None
    threads: int | None = None

    def __len__(self):
        return len(self.labels)


def _upcast(t: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 (autocast) to float32; float32 and float64 unchanged (float64: the equality tests)."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


class BNStatsLoss:
    """Forward pre-hooks on every BatchNorm2d that compare the batch statistics of its input with
    the running ones. Use as a context manager; ``.loss()`` after each forward."""

    def __init__(self, model: nn.Module):
        self.bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        if not self.bns:
            raise ValueError("the teacher has no BatchNorm2d layers: BN-statistics synthesis needs them")
        self.terms, self.handles = [], []
        # grouped synthesis: the forward's batch is several synthesis batches of these sizes, one after the other,
        # and each term is a vector, one L_BNS term per batch (None: the whole forward is one batch, a scalar)
        self.sizes = None

    def _hook(self, bn, inputs):
        x = _upcast(inputs[0])  # under bf16 autocast, statistics in float32
        if self.sizes is not None:
            self.terms.append(self._grouped_term(bn, x))
            return
        mean = x.mean(dim=(0, 2, 3))
        var = x.var(dim=(0, 2, 3), unbiased=False)
        self.terms.append(F.mse_loss(mean, bn.running_mean) + F.mse_loss(var, bn.running_var))

    def _grouped_term(self, bn, x):
        """The term of each batch of ``self.sizes`` (G,): statistics over (N, H, W) within each batch."""
        n, c, g = self.sizes[0], x.shape[1], len(self.sizes)
        # One reshape per statistic (G x n x C x HW, reduced over n and HW), not one shared by both: autograd then
        # adds the mean's and the variance's gradients into the BN input one by one, as it does batch by batch
        # (a shared reshape would sum the two first, and float addition is not associative). With this, the
        # gradients, hence the images, are bitwise those of batch-by-batch synthesis on this CPU.
        if all(s == n for s in self.sizes):
            mean = x.reshape(g, n, c, -1).mean(dim=(1, 3))
            var = x.reshape(g, n, c, -1).var(dim=(1, 3), unbiased=False)
        else:  # unequal batches (a smaller last one): batch by batch, one split per statistic likewise
            mean = torch.stack([p.mean(dim=(0, 2, 3)) for p in x.split(self.sizes)])
            var = torch.stack([p.var(dim=(0, 2, 3), unbiased=False) for p in x.split(self.sizes)])
        return (mean - bn.running_mean).pow(2).mean(1) + (var - bn.running_var).pow(2).mean(1)

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


def _synthesize_grouped(teacher, bns, batches, labels, batch_size, shape, device, iters, lr, alpha_bns, beta_il,
                        gamma_il, seed, augment, bf16, rows, images, bar):
    """The batches ``batches`` optimised together: one teacher forward and backward per iteration on their
    concatenation, with everything else kept per batch as in the batch-by-batch loop of :func:`synthesize`
    (its own seeded generator for the noise and the augmentation draws, its own Adam and ReduceLROnPlateau
    stepped on its own loss). The teacher is in eval mode, so an image's activations do not depend on the
    other images of the forward; L_BNS's statistics are taken per batch (:meth:`BNStatsLoss._grouped_term`)
    and L_IL is averaged per batch, so the gradient of the sum of the batch losses with respect to a batch's
    pixels is the gradient of that batch's own loss. On the CPU the images and history are bitwise those of
    batch-by-batch synthesis (where the convolutions compute an image alike in any batch of 4 or more); on
    CUDA, cuDNN may pick other algorithms for the larger batch, and the round-off differences that follow are
    amplified by Adam where a pixel's gradient is near its eps (tests/test_synthesis_grouped.py)."""
    gens, ys, xs, opts, scheds = [], [], [], [], []
    for b in batches:
        gen = torch.Generator().manual_seed(seed * 100_003 + b)
        y = labels[b * batch_size:(b + 1) * batch_size].to(device)
        x = torch.randn((len(y),) + shape, generator=gen).to(device).requires_grad_()
        opt = torch.optim.Adam([x], lr=lr)
        gens.append(gen), ys.append(y), xs.append(x), opts.append(opt)
        scheds.append(torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=50, min_lr=1e-4))
        rows[b] = []
    sizes = [len(y) for y in ys]
    y_all = torch.cat(ys)
    equal = all(s == sizes[0] for s in sizes)

    def per_batch(v, op):  # a per-image vector reduced within each batch ("mean" or "sum"): (G,)
        if equal:
            return getattr(v.view(len(sizes), sizes[0]), op)(1)
        return torch.stack([getattr(part, op)() for part in v.split(sizes)])

    bns.sizes = sizes
    try:
        for it in range(iters):
            for opt in opts:
                opt.zero_grad(set_to_none=True)
            inp = torch.cat([_augment(x, gen) if augment and torch.rand((), generator=gen) < 0.5 else x
                             for x, gen in zip(xs, gens)])
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = teacher(inp)
            logits = _upcast(logits)
            l_bns = torch.stack(bns.terms, 1).mean(1)  # (G,): the mean over BN layers of each batch's term
            bns.terms = []
            ce = F.cross_entropy(logits, y_all, reduction="none")  # hard_sample_il, per image, then per batch
            p_y = logits.softmax(1).gather(1, y_all[:, None])[:, 0]
            weight = (1 - p_y).clamp(min=1e-4).pow(gamma_il).detach()
            l_il = beta_il * per_batch(weight * ce, "mean")
            loss = l_il + alpha_bns * l_bns
            loss.sum().backward()
            for opt in opts:
                opt.step()
            with torch.no_grad():
                p = logits.softmax(1)
                vals = torch.stack([loss.detach(), l_bns.detach(), l_il.detach(), per_batch(p.gather(1, y_all[:, None])[:, 0], "sum"),
                                    per_batch((p.argmax(1) == y_all).float(), "sum")], 1).tolist()  # one transfer
            for b, sched, v in zip(batches, scheds, vals):
                sched.step(v[0])
                rows[b].append(v)
            bar.update(len(batches))
    finally:
        bns.sizes, bns.terms = None, []
    for b, x in zip(batches, xs):
        images[b] = x.detach().cpu()


def synthesize(teacher: nn.Module, num_images: int, iters: int = 1000, batch_size: int = 256, lr: float = 0.5,
               alpha_bns: float = 1.0, beta_il: float = 0.1, gamma_il: float = 0.5, seed: int = 0,
               augment: bool | None = None, cache: bool | str | Path = True, progress: bool = True,
               bf16: bool = False, group: int = 1) -> SyntheticSet:
    """Optimise ``num_images`` Gaussian-noise images into a labelled synthetic set.

    Labels are balanced (image i has class i mod num_classes). ``cache``: True for the default cache
    folder (``$SYNQ_CACHE_DIR/synthetic``), a folder path, or False. ``augment``: None = on for
    ImageNet-sized teachers only. ``bf16``: bfloat16 autocast for the teacher's forward (part of the
    cache key). Deterministic on CPU for a fixed seed. Under torchrun (:mod:`synq_nb.distributed`) rank r
    optimises the batches b with b % N == r and every rank receives the whole set, identical to a
    one-process run (each batch starts from its own seeded noise); only rank 0 writes the cache.
    ``group``: how many synthesis batches go through the teacher as one forward (1: batch by batch; 0: all
    of this process's batches at once; each batch keeps its own noise, augmentation draws, Adam and
    plateau schedule, see :func:`_synthesize_grouped`). A speed option, not part of the cache key: on the CPU
    the images are bitwise the batch-by-batch ones (tests/test_synthesis_grouped.py).
    """
    import time

    from . import distributed as D

    info = teacher_info(teacher)
    for name, v in (("num_images", num_images), ("iters", iters), ("batch_size", batch_size)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    if not isinstance(group, int) or isinstance(group, bool) or group < 0:
        raise ValueError(f"group must be a non-negative integer (0: all batches in one forward), got {group!r}")
    if augment is None:
        augment = info.input_size > 64
    settings = dict(teacher=info.name, weights=_fingerprint(teacher), num_images=num_images, iters=iters,
                    batch_size=batch_size, lr=lr, alpha_bns=alpha_bns, beta_il=beta_il, gamma_il=gamma_il,
                    seed=seed, augment=augment, version=1)
    if bf16:  # only when on, so that the keys of the existing float32 caches stay as they were
        settings["bf16"] = True
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    path = None
    if cache:
        folder = Path(cache) if not isinstance(cache, bool) else cache_dir() / "synthetic"
        path = folder / f"{info.name}-{key}.pt"
        hit = None
        if path.is_file():
            try:
                d = torch.load(path, map_location="cpu", weights_only=False)
                if d["settings"] == settings:  # the file name is a hash of them: a guard against collisions
                    hit = SyntheticSet(d["images"], d["labels"], d["history"], d["settings"], d["seconds"], True)
                    hit.cpu_seconds, hit.threads = d.get("cpu_seconds"), d.get("threads")
            except Exception:  # unreadable cache: recompute (and overwrite atomically)
                pass
        # under torchrun every rank must take the same branch (a rank on another machine may lack the file)
        if D.all_reduce_mean(torch.tensor([float(hit is not None)])).item() == 1.0:
            return hit

    device = next(teacher.parameters()).device
    teacher.eval()
    labels = torch.arange(num_images) % info.num_classes
    shape = (3, info.input_size, info.input_size)
    n_batches = (num_images + batch_size - 1) // batch_size
    world, rank = D.world_size(), D.rank()
    mine = [b for b in range(n_batches) if b % world == rank]
    rows = {}  # batch -> iters x 5 (loss, bns, il, sum of confidences, number correct), as read each iteration
    images = {}
    start = time.perf_counter()
    cpu_start = time.process_time()
    bar = tqdm(total=len(mine) * iters, desc="synthesis", disable=not progress or not D.is_main(), mininterval=1.0)
    size = len(mine) if group == 0 else group
    with BNStatsLoss(teacher) as bns:
        for i in range(0, len(mine), size) if size > 1 else ():  # grouped; the loop below: batch by batch
            _synthesize_grouped(teacher, bns, mine[i:i + size], labels, batch_size, shape, device, iters, lr, alpha_bns,
                                beta_il, gamma_il, seed, augment, bf16, rows, images, bar)
        for b in mine if size <= 1 else ():
            gen = torch.Generator().manual_seed(seed * 100_003 + b)
            y = labels[b * batch_size:(b + 1) * batch_size].to(device)
            x = torch.randn((len(y),) + shape, generator=gen).to(device).requires_grad_()
            opt = torch.optim.Adam([x], lr=lr)
            sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.1, patience=50, min_lr=1e-4)
            rows[b] = []
            for it in range(iters):
                opt.zero_grad(set_to_none=True)
                inp = _augment(x, gen) if augment and torch.rand((), generator=gen) < 0.5 else x
                with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                    logits = teacher(inp)
                logits = _upcast(logits)
                l_bns = bns.loss()
                l_il = hard_sample_il(logits, y, beta_il, gamma_il)
                loss = l_il + alpha_bns * l_bns
                loss.backward()
                opt.step()
                with torch.no_grad():
                    p = logits.softmax(1)
                    vals = torch.stack([loss.detach(), l_bns.detach(), l_il.detach(), p.gather(1, y[:, None]).sum(),
                                        (p.argmax(1) == y).float().sum()]).tolist()  # one transfer per iteration
                sched.step(vals[0])
                rows[b].append(vals)
                bar.update()
            images[b] = x.detach().cpu()
    bar.close()
    hist = {k: torch.zeros(iters) for k in ("loss", "bns", "il", "confidence", "accuracy")}
    out_images = []
    for b in range(n_batches):
        n_b = len(labels[b * batch_size:(b + 1) * batch_size])
        if world > 1:  # the batch from the rank that made it, in batch order
            owner = b % world
            x = images[b] if owner == rank else torch.empty((n_b,) + shape)
            x = D.broadcast(x, owner)
            r = torch.tensor(rows[b], dtype=torch.float64) if owner == rank else torch.empty(iters, 5, dtype=torch.float64)
            rows[b] = D.broadcast(r, owner).tolist()
            images[b] = x
        if not torch.isfinite(images[b]).all():
            raise FloatingPointError(f"synthesis produced non-finite images in batch {b}: lower lr or iters")
        out_images.append(images[b])
        w = n_b / num_images
        for it, (loss, l_bns, l_il, conf, acc) in enumerate(rows[b]):  # the order and arithmetic of a per-batch sum
            hist["loss"][it] += w * loss
            hist["bns"][it] += w * l_bns
            hist["il"][it] += w * l_il
            hist["confidence"][it] += w * conf / n_b
            hist["accuracy"][it] += w * acc / n_b
    out = SyntheticSet(torch.cat(out_images), labels, {k: v.tolist() for k, v in hist.items()}, settings,
                       time.perf_counter() - start)
    out.cpu_seconds, out.threads = time.process_time() - cpu_start, torch.get_num_threads()
    if path is not None and D.is_main():
        _atomic_save(dict(images=out.images, labels=out.labels, history=out.history, settings=settings,
                          seconds=out.seconds, cpu_seconds=out.cpu_seconds, threads=out.threads), path)
    return out
