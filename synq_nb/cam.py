"""Grad-CAM (Selvaraju et al.), differentiable with respect to the model's parameters.

S = ReLU(sum_k w_k A_k), w_k = spatial mean of d(score of the target class) / dA_k, at the model's
last feature stage by default (``synq_info.cam_layer``), not at a classifier conv. The gradient
weights w_k are constants (as in the official code); S stays differentiable through A.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

from .models import get_module


def default_cam_layer(model: nn.Module) -> str:
    info = getattr(model, "synq_info", None)
    if info is not None:
        return info.cam_layer
    last = None  # fall back to the last module with a 4-D output that is not a 1x1 classifier
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d) and m.kernel_size != (1, 1):
            last = name
    if last is None:
        raise ValueError("cannot guess a Grad-CAM layer for this model: pass layer=")
    return last


@contextmanager
def capture(model: nn.Module, layer: str):
    """Record the output of ``layer`` during the forwards inside the block.

    If that output carries no autograd history (a frozen teacher), it is replaced by a leaf that
    requires grad, so d(score)/dA is still available at the cost of the head's backward only.
    """
    store = {}

    def hook(_m, _inp, out):
        if not out.requires_grad and torch.is_grad_enabled():
            out = out.detach().requires_grad_()
            store["out"] = out
            return out
        store["out"] = out

    handle = get_module(model, layer).register_forward_hook(hook)
    try:
        yield store
    finally:
        handle.remove()


def forward_with_features(model: nn.Module, images: torch.Tensor, layer: str | None = None):
    """One forward: (logits, activation of ``layer``)."""
    with capture(model, layer or default_cam_layer(model)) as store:
        logits = model(images)
    if "out" not in store:
        raise ValueError(f"layer {layer!r} was not used in the forward pass")
    return logits, store["out"]


def cam_from_features(logits, feats, target, size=None, normalize: bool = False, floor: float = 0.0,
                      clamp_weights: bool = False):
    """Grad-CAM maps (N x H x W) from a forward's logits and feature maps.

    ``target``: class index per image. ``size``: upsample (bilinear) to this (H, W).
    ``normalize``: min-max to [0, 1] per map, dividing by max(max - min, floor) so that a flat map
    cannot blow up the gradient. ``clamp_weights``: clamp w_k >= 0 (official code's variant).
    """
    score = logits.gather(1, target.view(-1, 1)).sum()
    (grads,) = torch.autograd.grad(score, feats, retain_graph=True)
    w = grads.mean(dim=(2, 3), keepdim=True).detach()
    if clamp_weights:
        w = w.clamp(min=0)
    cam = F.relu((w * feats).sum(dim=1))
    if size is not None and tuple(cam.shape[-2:]) != tuple(size):
        cam = F.interpolate(cam[:, None], size=size, mode="bilinear", align_corners=False)[:, 0]
    if normalize:
        flat = cam.flatten(1)
        lo = flat.min(1).values.view(-1, 1, 1)
        hi = flat.max(1).values.view(-1, 1, 1)
        cam = (cam - lo) / (hi - lo).clamp(min=max(floor, 1e-7))
    return cam


def grad_cam(model: nn.Module, images: torch.Tensor, target=None, layer: str | None = None,
             normalize: bool = False, upsample: bool = True, floor: float = 0.0):
    """Grad-CAM maps for ``images`` (N x C x H x W).

    ``target``: None for the model's predicted class, or an int / tensor of class indices (e.g. labels).
    Returns an N x H x W tensor (input size if ``upsample``), differentiable w.r.t. the model's
    parameters when they require grad; wrap in ``torch.no_grad()``-free code for plots and call
    ``.detach()``.
    """
    if images.dim() != 4:
        raise ValueError(f"images must be N x C x H x W, got shape {tuple(images.shape)}")
    with torch.enable_grad():
        logits, feats = forward_with_features(model, images, layer)
        if target is None:
            target = logits.argmax(1)
        elif isinstance(target, int):
            target = torch.full((len(images),), target, dtype=torch.long, device=logits.device)
        target = torch.as_tensor(target, device=logits.device).long()
        if target.min() < 0 or target.max() >= logits.shape[1]:
            raise ValueError(f"target class out of range [0, {logits.shape[1]})")
        return cam_from_features(logits, feats, target, images.shape[-2:] if upsample else None, normalize, floor)


def mean_cam_loss(teacher: nn.Module, student: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                  floor: float = 0.05, batch: int = 128, layer: str | None = None) -> float:
    """Mean over ``images`` of the CAM loss (Eq. 5) between the teacher's and the student's normalised Grad-CAM
    maps for the labels: how differently the two look, as a number (lower = closer). No gradient is kept."""
    from .losses import cam_loss

    device = next(student.parameters()).device
    total = 0.0
    for i in range(0, len(labels), batch):
        x, y = images[i:i + batch].to(device), labels[i:i + batch].to(device)
        t = grad_cam(teacher, x, y, layer=layer, normalize=True, floor=floor).detach()
        s = grad_cam(student, x, y, layer=layer, normalize=True, floor=floor).detach()
        total += float(cam_loss(t, s)) * len(y)
    return total / max(len(labels), 1)
