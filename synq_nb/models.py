"""Teachers: the pretrained full-precision networks that SynQ quantizes.

Every teacher takes *normalised* input (as its pretrained weights expect) and carries a
:class:`TeacherInfo` (dataset, classes, input size, normalisation, Grad-CAM layer) as
``model.synq_info``.

Weights are looked up in this order: an explicit path, ``$SYNQ_WEIGHTS_DIR``, the cache
(``$SYNQ_CACHE_DIR``, default ``~/.cache/synq_nb``), then a download. Offline with nothing
found, :class:`WeightsNotFoundError` says which variable to set.
"""
from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

CIFAR_PYTORCHCV_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR_PYTORCHCV_STD = (0.2023, 0.1994, 0.2010)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights are neither on disk nor downloadable."""


@dataclass(frozen=True)
class TeacherInfo:
    name: str
    dataset: str
    num_classes: int
    input_size: int
    mean: tuple
    std: tuple
    cam_layer: str  # module name of the last feature stage (Grad-CAM's default layer)


# --------------------------------------------------------------------------------------
# akamaster CIFAR ResNets (He et al. 2016, "option A" shortcuts); our own implementation,
# parameter names chosen to load the published checkpoints.
# --------------------------------------------------------------------------------------
class _PadShortcut(nn.Module):
    """Parameter-free shortcut: subsample by 2 and zero-pad the new channels."""

    def __init__(self, planes: int):
        super().__init__()
        self.pad = planes // 4

    def forward(self, x):
        return F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))


class BasicBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.relu2 = nn.ReLU()
        needs_pad = stride != 1 or in_planes != planes
        self.shortcut = _PadShortcut(planes) if needs_pad else nn.Identity()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth: int = 20, num_classes: int = 10):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        layers, in_planes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(in_planes, planes, stride if i == 0 else 1))
                in_planes = planes
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(torch.flatten(self.pool(x), 1))


_AKAMASTER = {
    "resnet20_cifar10_akamaster": dict(
        depth=20,
        file="akamaster_resnet20-12fca82f.th",
        url="https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/resnet20-12fca82f.th",
        sha256="12fca82f0bebc4135bf1f32f6e3710e61d5108578464b84fd6d7f5c1b04036c8",
    ),
    "resnet56_cifar10_akamaster": dict(
        depth=56,
        file="akamaster_resnet56-4bfd9763.th",
        url="https://github.com/akamaster/pytorch_resnet_cifar10/raw/master/pretrained_models/resnet56-4bfd9763.th",
        sha256="4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367",
    ),
}

# The paper's teachers, from pytorchcv (pretrained download when online).
_PYTORCHCV = {
    "resnet20_cifar10": TeacherInfo("resnet20_cifar10", "cifar10", 10, 32, CIFAR_PYTORCHCV_MEAN, CIFAR_PYTORCHCV_STD, "features.stage3"),
    "resnet20_cifar100": TeacherInfo("resnet20_cifar100", "cifar100", 100, 32, CIFAR_PYTORCHCV_MEAN, CIFAR_PYTORCHCV_STD, "features.stage3"),
    "resnet18": TeacherInfo("resnet18", "imagenet", 1000, 224, IMAGENET_MEAN, IMAGENET_STD, "features.stage4"),
    "resnet50": TeacherInfo("resnet50", "imagenet", 1000, 224, IMAGENET_MEAN, IMAGENET_STD, "features.stage4"),
    "mobilenetv2_w1": TeacherInfo("mobilenetv2_w1", "imagenet", 1000, 224, IMAGENET_MEAN, IMAGENET_STD, "features.final_block"),
}

TEACHERS = tuple(_AKAMASTER) + tuple(_PYTORCHCV)


def cache_dir() -> Path:
    """Where synthetic sets and runs are cached (``$SYNQ_CACHE_DIR`` or ~/.cache/synq_nb)."""
    return Path(os.environ.get("SYNQ_CACHE_DIR") or Path.home() / ".cache" / "synq_nb")


CHECKOUT_DATA = Path(__file__).resolve().parent.parent / "data"


def data_home() -> Path:
    """Where downloaded data sets and weights go: ``$SYNQ_DOWNLOAD_DIR`` if set, else the checkout's
    ``data/`` folder (when the package runs from a source checkout that has ``data/README.md``), else
    :func:`cache_dir`. Files found through ``$SYNQ_DATA_DIR`` / ``$SYNQ_WEIGHTS_DIR`` are used first."""
    if os.environ.get("SYNQ_DOWNLOAD_DIR"):
        return Path(os.environ["SYNQ_DOWNLOAD_DIR"])
    return CHECKOUT_DATA if (CHECKOUT_DATA / "README.md").is_file() else cache_dir()


def weights_dirs() -> list:
    """The folders searched for a teacher's weights, in order."""
    dirs = [Path(os.environ["SYNQ_WEIGHTS_DIR"])] if os.environ.get("SYNQ_WEIGHTS_DIR") else []
    for d in (data_home() / "weights", cache_dir() / "weights"):  # the second: downloads of older versions
        if d not in dirs:
            dirs.append(d)
    return dirs


def get_device(device=None) -> torch.device:
    """``device`` if given, else CUDA when available, else CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _find_weights(name: str, patterns: list, weights, url=None, sha256=None) -> Path:
    if weights is not None:
        p = Path(weights)
        if not p.is_file():
            raise WeightsNotFoundError(f"weights file for {name!r} not found: {p}")
        return p
    for d in weights_dirs():
        for pat in patterns:
            hits = sorted(glob.glob(str(d / pat)))
            if hits:
                return Path(hits[0])
    if url is None:
        return None  # caller downloads its own way
    dest = data_home() / "weights" / patterns[0]
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(dest.suffix + ".part")
    try:
        torch.hub.download_url_to_file(url, str(tmp), progress=False)
    except Exception as e:  # offline, DNS failure, HTTP error...
        tmp.unlink(missing_ok=True)
        raise WeightsNotFoundError(
            f"pretrained weights for {name!r} are not on disk and could not be downloaded from {url} "
            f"({type(e).__name__}: {e}). Set SYNQ_WEIGHTS_DIR to a folder holding {patterns[0]!r}, "
            f"or pass weights=PATH."
        ) from None
    if sha256 and _sha256(tmp) != sha256:
        tmp.unlink(missing_ok=True)
        raise WeightsNotFoundError(f"downloaded weights for {name!r} fail their sha256 check")
    os.replace(tmp, dest)
    return dest


def _load_state(path: Path, name: str) -> dict:
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:
        raise WeightsNotFoundError(f"could not read weights for {name!r} from {path}: {e}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    return {k.removeprefix("module."): v for k, v in state.items()}


def load_teacher(name: str, weights=None, device=None, pretrained: bool = True) -> nn.Module:
    """A pretrained teacher in eval mode with frozen parameters and ``.synq_info``.

    ``pretrained=False`` gives random weights (for tests of code paths only).
    """
    device = get_device(device)
    if name in _AKAMASTER:
        spec = _AKAMASTER[name]
        model = CifarResNet(spec["depth"], 10)
        info = TeacherInfo(name, "cifar10", 10, 32, IMAGENET_MEAN, IMAGENET_STD, "layer3")
        if pretrained:
            path = _find_weights(name, [spec["file"], spec["url"].rsplit("/", 1)[1]], weights, spec["url"], spec["sha256"])
            try:
                model.load_state_dict(_load_state(path, name))
            except RuntimeError as e:
                raise ValueError(f"weights at {path} do not fit {name!r}: {str(e).splitlines()[0]}") from None
    elif name in _PYTORCHCV:
        info = _PYTORCHCV[name]
        try:
            from pytorchcv.model_provider import get_model
        except ImportError:  # pragma: no cover - a dependency of the package
            raise ImportError("pytorchcv is needed for the paper's teachers: pip install pytorchcv") from None
        model = get_model(name, pretrained=False)
        if pretrained:
            path = _find_weights(name, [f"{name}-*.pth", f"{name}.pth"], weights)
            if path is None:  # download through pytorchcv's own release assets
                root = data_home() / "weights"
                try:
                    model = get_model(name, pretrained=True, root=str(root))
                except Exception as e:
                    raise WeightsNotFoundError(
                        f"pretrained weights for {name!r} could not be downloaded by pytorchcv "
                        f"({type(e).__name__}: {e}). Set SYNQ_WEIGHTS_DIR to a folder holding "
                        f"'{name}-*.pth', or pass weights=PATH."
                    ) from None
            else:
                try:
                    model.load_state_dict(_load_state(path, name))
                except RuntimeError as e:
                    raise ValueError(f"weights at {path} do not fit {name!r}: {str(e).splitlines()[0]}") from None
    else:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(TEACHERS)}")
    model.synq_info = info
    model.eval().requires_grad_(False)
    return model.to(device)


def teacher_info(model: nn.Module) -> TeacherInfo:
    info = getattr(model, "synq_info", None)
    if info is None:
        raise ValueError("model has no .synq_info: load it with synq_nb.load_teacher()")
    return info


def get_module(model: nn.Module, name: str) -> nn.Module:
    try:
        return model.get_submodule(name)
    except AttributeError:
        raise ValueError(f"model has no layer {name!r}") from None
