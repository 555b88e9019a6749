"""A tiny random-weight teacher (with ``.synq_info``, non-trivial BN statistics) and its quantized student,
for tests that pin what each step computes without the pretrained ResNet-20 (fast, no files needed)."""
from __future__ import annotations

import torch
import torch.nn as nn

from synq_nb import calibrate_activations, quantize_model
from synq_nb.models import CifarResNet, TeacherInfo

NUM_CLASSES = 5


class TinyNet(nn.Module):
    def __init__(self, num_classes: int = NUM_CLASSES):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                                      nn.Conv2d(6, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(8, num_classes)

    def forward(self, x):
        return self.linear(torch.flatten(self.pool(self.features(x)), 1))


def tiny_teacher(seed: int = 0, input_size: int = 8) -> TinyNet:
    """Frozen, eval mode, BN running statistics far from (0, 1) so that L_BNS is not trivial."""
    torch.manual_seed(seed)
    net = TinyNet()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=g) * 0.2)
        net.linear.weight.mul_(4.0)  # confident enough that difficulties spread over [0, 1]
    net.synq_info = TeacherInfo("tiny", "tiny", NUM_CLASSES, input_size, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), "features")
    return net.eval().requires_grad_(False)


def tiny_images(n: int = 16, size: int = 8, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, size, size, generator=g), torch.arange(n) % NUM_CLASSES


def tiny_student(teacher: nn.Module, images: torch.Tensor, bits: int = 2) -> nn.Module:
    return calibrate_activations(quantize_model(teacher, bits, bits), images)


# ------------------------------------------------------------------ independent reference computations
def ref_kd(s_logits, t_logits, temperature=1.0, alpha=1.0):
    """alpha * T^2 * KL(p_t || p_s) at temperature T, batch mean, in float64 (written out)."""
    t = float(temperature)
    pt = torch.softmax(t_logits.double() / t, 1)
    log_ps = torch.log_softmax(s_logits.double() / t, 1)
    kl = (pt * (pt.log() - log_ps)).sum(1).mean()
    return alpha * t * t * kl


def ref_selective_ce(s_logits, labels, t_logits, tau):
    """Sum of CE over the samples whose teacher difficulty 1 - p_t(y) is <= tau, divided by the batch size."""
    p_t = torch.softmax(t_logits.double(), 1)[torch.arange(len(labels)), labels]
    keep = ((1 - p_t) <= tau).double()
    ce = -torch.log_softmax(s_logits.double(), 1)[torch.arange(len(labels)), labels]
    return (ce * keep).sum() / len(labels)


def ref_cam(model, x, target, floor):
    """Grad-CAM of TinyNet-shaped models written out: A = features(x), w_k = spatial mean of d logit_target / dA_k
    (a constant), S = ReLU(sum_k w_k A_k), bilinear upsampling to the input size, min-max with a floor."""
    a = model.features(x)
    if not a.requires_grad:  # frozen teacher: the gradient is only needed through the head
        a = a.detach().requires_grad_()
    logits = model.linear(torch.flatten(model.pool(a), 1))
    if target is None:
        target = logits.argmax(1)
    score = logits[torch.arange(len(x)), target].sum()
    (g,) = torch.autograd.grad(score, a, retain_graph=True)
    w = g.mean(dim=(2, 3), keepdim=True).detach()
    s = torch.relu((w * a).sum(1, keepdim=True))
    s = torch.nn.functional.interpolate(s, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    # max/min with one arg-index each (not amax/amin, which share the gradient among ties: at 2 bits the maps have ties)
    lo = s.flatten(1).min(1).values.view(-1, 1, 1)
    hi = s.flatten(1).max(1).values.view(-1, 1, 1)
    return (s - lo) / torch.clamp(hi - lo, min=max(floor, 1e-7))


def ref_step_loss(student, teacher, x, y, cfg):
    """Eq. 6 written out from the paper for one (already augmented) batch: returns (loss, dict of terms).
    The filter is synq_nb's (it has its own numpy oracle in test_filtering.py)."""
    from synq_nb import low_pass_filter

    if cfg.use_filter:
        x = low_pass_filter(x, cfg.d0, cfg.filter_kind)
    with torch.no_grad():
        t_logits = teacher(x)
    s_logits = student(x)
    kd = ref_kd(s_logits, t_logits, cfg.kd_temperature, cfg.kd_alpha)
    ce = ref_selective_ce(s_logits, y, t_logits, cfg.tau if cfg.use_soft_labels else float("inf"))
    if cfg.use_cam:
        with torch.enable_grad():
            t_cam = ref_cam(teacher, x, y if cfg.cam_target == "label" else None, cfg.cam_floor).detach()
        s_cam = ref_cam(student, x, y if cfg.cam_target == "label" else None, cfg.cam_floor)
        cam = ((s_cam.double() - t_cam.double()) ** 2).mean()
    else:
        cam = torch.zeros((), dtype=torch.float64)
    loss = kd + cfg.lambda_ce * ce + cfg.lambda_cam * cam
    return loss, dict(kd=kd, ce=ce, cam=cam, x=x, t_logits=t_logits, s_logits=s_logits)


def tiny_resnet(seed: int = 0, input_size: int = 8, bn_weights: bool = False, head_scale: float = 1.0) -> nn.Module:
    """A CIFAR ResNet of depth 8 (3 residual blocks, one per stage; BN after each conv), random weights, non-trivial
    BN running statistics; ``bn_weights`` also draws the BN scales, ``head_scale`` multiplies the classifier."""
    torch.manual_seed(seed)
    net = CifarResNet(depth=8, num_classes=10)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.3)
                m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
                if bn_weights:
                    m.weight.copy_(torch.rand(m.num_features, generator=g) + 0.5)
        net.linear.weight.mul_(head_scale)
    net.synq_info = TeacherInfo("tiny-resnet8", "tiny", 10, input_size, (0.0,) * 3, (1.0,) * 3, "layer3")
    return net.eval().requires_grad_(False)
