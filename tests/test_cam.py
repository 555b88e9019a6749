"""Idea 2's Grad-CAM: against the pytorch-grad-cam package, differentiability, defaults and errors."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn

from synq_nb import cam_loss, forward_with_features, grad_cam, load_teacher
from synq_nb.cam import cam_from_features, default_cam_layer

# measured: max |ours - pytorch-grad-cam| is 4e-7 (teacher) and 9e-7 (random pytorchcv ResNet-20),
# float32 round-off of two different orders of operations; maps lie in [0, 1]
ATOL = 1e-5


def reference_cam(model, layer, x, target):
    """pytorch-grad-cam's GradCAM on a trainable copy (it back-propagates into the model)."""
    gc = pytest.importorskip("pytorch_grad_cam")
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    m = copy.deepcopy(model).requires_grad_(True)
    targets = None if target is None else [ClassifierOutputTarget(int(c)) for c in target]
    with gc.GradCAM(model=m, target_layers=[m.get_submodule(layer)]) as cam:
        return cam(input_tensor=x, targets=targets)


class SmallNet(nn.Module):
    """A small random-weight CNN without .synq_info (layer given explicitly)."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 5))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.mark.parametrize("use_labels", [True, False])
def test_teacher_cam_matches_pytorch_grad_cam(teacher, cifar_small, use_labels):
    x, y = cifar_small.images[:16], cifar_small.labels[:16]
    target = y if use_labels else None
    ours = grad_cam(teacher, x, target=target, normalize=True, upsample=True)
    ref = reference_cam(teacher, "layer3", x, target)
    assert ours.shape == ref.shape == (16, 32, 32)
    np.testing.assert_allclose(ours.detach().numpy(), ref, atol=ATOL, rtol=0)
    assert (ours.flatten(1).amax(1) > 0.99).all()  # non-trivial maps, normalised to [0, 1]


def test_random_models_cam_match_pytorch_grad_cam():
    torch.manual_seed(0)
    x = torch.randn(6, 3, 16, 16)
    net = SmallNet().eval()
    for target in (torch.tensor([0, 1, 2, 3, 4, 0]), None):
        ours = grad_cam(net, x, target=target, layer="features.4", normalize=True)
        np.testing.assert_allclose(ours.detach().numpy(), reference_cam(net, "features.4", x, target), atol=ATOL, rtol=0)
    pytest.importorskip("pytorchcv")
    m = load_teacher("resnet20_cifar10", pretrained=False, device="cpu")
    x = torch.randn(8, 3, 32, 32)
    for target in (torch.arange(8), None):
        ours = grad_cam(m, x, target=target, normalize=True)  # default layer: features.stage3
        np.testing.assert_allclose(ours.detach().numpy(), reference_cam(m, "features.stage3", x, target), atol=ATOL, rtol=0)


def test_unnormalised_cam_by_hand(teacher):
    torch.manual_seed(1)
    x = torch.randn(3, 3, 32, 32)
    y = torch.tensor([1, 5, 9])
    # by hand: activations of layer3 and d(logit_y)/dA through the head (pool + linear)
    feats = teacher.layer3(teacher.layer2(teacher.layer1(teacher.relu(teacher.bn1(teacher.conv1(x))))))
    a = feats.detach().requires_grad_()
    logits = teacher.linear(torch.flatten(teacher.pool(a), 1))
    logits.gather(1, y[:, None]).sum().backward()
    w = a.grad.mean(dim=(2, 3), keepdim=True)
    expected = torch.relu((w * a.detach()).sum(1))
    ours = grad_cam(teacher, x, target=y, upsample=False)
    assert ours.shape == (3, 8, 8)
    torch.testing.assert_close(ours, expected, atol=1e-6, rtol=1e-5)


def test_student_cam_is_differentiable(calibrated_w4a4, teacher, cifar_small):
    student = copy.deepcopy(calibrated_w4a4)
    x, y = cifar_small.images[:8], cifar_small.labels[:8]
    t_cam = grad_cam(teacher, x, target=y, normalize=True, floor=0.05)
    s_cam = grad_cam(student, x, target=y, normalize=True, floor=0.05)
    assert s_cam.requires_grad
    loss = cam_loss(t_cam, s_cam)
    assert loss > 0
    loss.backward()
    for name in ("conv1", "layer1.0.conv1", "layer3.2.conv2"):
        g = student.get_submodule(name).weight.grad
        assert g is not None and torch.isfinite(g).all() and g.abs().sum() > 0, name
    # the channel weights w_k are constants: no gradient reaches the classifier through them
    assert student.linear.weight.grad is None
    assert all(p.grad is None for p in teacher.parameters())


def test_target_none_uses_prediction(teacher):
    torch.manual_seed(2)
    x = torch.randn(5, 3, 32, 32)
    pred = teacher(x).argmax(1)
    torch.testing.assert_close(grad_cam(teacher, x), grad_cam(teacher, x, target=pred))
    other = (pred + 1) % 10
    assert not torch.allclose(grad_cam(teacher, x), grad_cam(teacher, x, target=other))
    torch.testing.assert_close(grad_cam(teacher, x, target=3), grad_cam(teacher, x, target=torch.full((5,), 3)))


def test_default_layers(teacher):
    assert default_cam_layer(teacher) == "layer3"
    x = torch.randn(2, 3, 32, 32)
    logits, feats = forward_with_features(teacher, x)
    assert feats.shape == (2, 64, 8, 8)
    torch.testing.assert_close(logits, teacher(x))
    assert default_cam_layer(SmallNet()) == "features.3"  # fallback: the last non-1x1 conv


def test_pytorchcv_default_layers():
    pytest.importorskip("pytorchcv")
    m = load_teacher("resnet20_cifar10", pretrained=False, device="cpu")
    assert m.synq_info.cam_layer == "features.stage3"
    m.get_submodule("features.stage3")
    torch.manual_seed(3)
    mb = load_teacher("mobilenetv2_w1", pretrained=False, device="cpu")
    assert mb.synq_info.cam_layer == "features.final_block"
    mb.get_submodule("features.final_block")
    x = torch.randn(2, 3, 224, 224)
    cam = grad_cam(mb, x)
    assert cam.shape == (2, 224, 224)
    assert (cam.flatten(1).amax(1) > 0).all()  # not identically zero (the 1x1 classifier conv would be)


def test_normalisation_floor():
    ramp = torch.linspace(0, 1e-4, 16).view(1, 1, 4, 4)
    feats = (torch.ones(1, 2, 4, 4) + ramp).requires_grad_()
    logits = feats.mean(dim=(2, 3))  # logit k = spatial mean of channel k: w = (1/16, 0) for class 0
    target = torch.tensor([0])
    raw = cam_from_features(logits, feats, target)
    torch.testing.assert_close(raw, (feats[:, 0] / 16).detach())
    # min-max: an almost flat map (range 6e-6) is stretched to [0, 1] without a floor ...
    assert cam_from_features(logits, feats, target, normalize=True).max().item() == pytest.approx(1, abs=1e-3)
    # ... and divided by the floor instead of its tiny range with one: values stay tiny
    floored = cam_from_features(logits, feats, target, normalize=True, floor=0.05)
    assert floored.max().item() == pytest.approx(1e-4 / 16 / 0.05, rel=1e-2)


def test_cam_errors(teacher):
    with pytest.raises(ValueError, match="N x C x H x W"):
        grad_cam(teacher, torch.randn(3, 32, 32))
    with pytest.raises(ValueError, match="out of range"):
        grad_cam(teacher, torch.randn(2, 3, 32, 32), target=10)
    with pytest.raises(ValueError, match="no layer"):
        grad_cam(teacher, torch.randn(2, 3, 32, 32), layer="layer9")
    with pytest.raises(ValueError, match="layer="):
        default_cam_layer(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)))
