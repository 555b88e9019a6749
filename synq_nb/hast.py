"""HAST's two fine-tuning terms (Li et al., "Hard Sample Matters a Lot in Zero-Shot Quantization", CVPR 2023),
which the official SynQ code adds to Eq. 6 at every step (METHOD.md, "Where the official code differs from the
paper"). The paper's Eq. 6 has neither: both are off by default (weight 0) and on in the ``official`` preset.
Written from METHOD.md's description; where it is silent, the simplest faithful reading, stated below.

* Feature alignment, ``lambda_fa`` (official 1,000). METHOD.md: "channel-attention MSE on every residual
  block". Read as: at the output of every residual block (:func:`residual_blocks`), the channel attention of
  a feature map A (N x C x H x W) is the spatial mean of A^2 per channel, L2-normalised per image (the
  attention-transfer form, taken over channels instead of space); the term is the MSE (element mean over N x C)
  between the student's and the teacher's attention (the teacher's a constant), summed over the blocks, so
  that every block's MSE carries the weight. Not specified by METHOD.md, so chosen: the squared activations,
  the L2 normalisation, and the sum (not the mean) over blocks.
* Adversarial perturbation, ``lambda_adv`` (official 1) with step ``adv_eps`` (official 0.01). METHOD.md:
  "x + 0.01 * sign(grad), weight 1". Read as one fast-gradient-sign step of adversarial training that makes each
  batch harder for the student (HAST's "sample difficulty promotion"): with the teacher's outputs on the batch x
  the student saw (after the augmentation and the filter, in normalised input units) as a fixed target,
  grad = d L_KD / dx through the student only, x_adv = x + adv_eps * sign(grad) (a constant), and the term is the
  same KD loss (same temperature and scale) between that fixed target and the student's output on x_adv, added
  with weight lambda_adv. Not specified by METHOD.md, so chosen: the KD term as the loss that is perturbed and
  applied (the one loss that measures how well the student fits the teacher on every sample; CE and CAM would
  bring labels and maps into it); the target held fixed, as in ordinary adversarial training (re-running the
  teacher on x_adv would move the target with the input: near a fit, the step then barely raises the loss, and
  on the tiny test networks it often lowered it); no clamping of x_adv. Costs one more student backward (to the
  input) and one more student forward per step.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

# residual blocks by class name: ours (models.BasicBlock, the akamaster CIFAR ResNets), pytorchcv's ResNet units
# (CIFAR and ImageNet ResNets), and pytorchcv's MobileNetV2 bottlenecks that have a skip connection
_BLOCKS = ("BasicBlock", "ResUnit")


def residual_blocks(model: nn.Module) -> list[str]:
    """Names of the residual blocks of ``model``, in forward order: every block whose output is a sum of a
    residual branch and a shortcut (identity or projection)."""
    names = []
    for name, m in model.named_modules():
        kind = type(m).__name__
        if kind in _BLOCKS or (kind == "LinearBottleneck" and getattr(m, "residual", False)):
            names.append(name)
    return names


@contextmanager
def record_outputs(model: nn.Module, names):
    """The outputs of the modules ``names`` during the forwards inside the block, in the order they ran."""
    store = []
    handles = [model.get_submodule(n).register_forward_hook(lambda _m, _i, out: store.append(out)) for n in names]
    try:
        yield store
    finally:
        for h in handles:
            h.remove()


def channel_attention(feats: torch.Tensor) -> torch.Tensor:
    """N x C x H x W -> N x C: spatial mean of the squared activations, L2-normalised per image."""
    return F.normalize(feats.float().pow(2).mean(dim=(2, 3)), dim=1)


def feature_alignment_loss(teacher_feats, student_feats):
    """Sum over blocks of MSE(channel attention of the student, that of the teacher, a constant)."""
    if len(teacher_feats) != len(student_feats) or not teacher_feats:
        raise ValueError(f"feature alignment needs the same residual blocks in both models, got "
                         f"{len(teacher_feats)} and {len(student_feats)} outputs")
    return sum(F.mse_loss(channel_attention(s), channel_attention(t).detach())
               for t, s in zip(teacher_feats, student_feats))


def adversarial_images(x: torch.Tensor, loss: torch.Tensor, eps: float) -> torch.Tensor:
    """x + eps * sign(d loss / dx), detached; ``x`` must be the leaf the loss was computed from."""
    (g,) = torch.autograd.grad(loss, x, retain_graph=True)
    return (x + eps * g.sign()).detach()
