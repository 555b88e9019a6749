"""Real data, for evaluation and comparisons only (synthesis never needs it).

CIFAR-10/100 come from torchvision (downloaded when online) or, offline, from
``$SYNQ_DATA_DIR/<name>/<split>.npz`` (arrays ``x`` N x 32 x 32 x 3 uint8, ``y``, ``classes``).
ImageNet validation is an image folder (``root=`` or ``$SYNQ_DATA_DIR/imagenet/val``).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .models import cache_dir

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
DATASETS = ("cifar10", "cifar100", "imagenet")


class ImageSet(TensorDataset):
    """Images (N x 3 x H x W float, normalised if ``mean``/``std`` are set) and labels."""

    def __init__(self, x, y, classes, mean=None, std=None):
        super().__init__(x, y)
        self.classes = tuple(str(c) for c in classes)
        self.mean, self.std = mean, std

    @property
    def images(self):
        return self.tensors[0]

    @property
    def labels(self):
        return self.tensors[1]


def _norm_constants(normalize):
    if normalize is None:
        return None, None
    info = getattr(normalize, "synq_info", normalize)
    if hasattr(info, "mean"):
        return tuple(info.mean), tuple(info.std)
    mean, std = normalize
    return tuple(mean), tuple(std)


def normalize_images(x: torch.Tensor, mean, std) -> torch.Tensor:
    m = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - m) / s


def denormalize(x: torch.Tensor, mean, std) -> torch.Tensor:
    """Back to [0, 1] pixel space (clamped), e.g. to plot synthetic images."""
    m = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    s = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x * s + m).clamp(0, 1)


def _offline_file(name: str, split: str):
    root = os.environ.get("SYNQ_DATA_DIR")
    if not root:
        return None
    candidates = [split] + (["train_10k"] if split == "train" else [])
    for c in candidates:
        p = Path(root) / name / f"{c}.npz"
        if p.is_file():
            return p
    return None


def load_dataset(name: str, split: str = "test", normalize=None, limit: int | None = None, root=None) -> ImageSet:
    """Load a real dataset split as an :class:`ImageSet`.

    ``normalize``: a teacher (or its ``synq_info``) or a ``(mean, std)`` pair; None keeps [0, 1].
    ``limit``: keep the first ``limit`` images (stratified order is the file's own).
    Splits: ``test``, ``train`` (offline: falls back to ``train_10k``), ``train_10k``; ImageNet: ``val``.
    """
    name = name.lower().replace("-", "")
    mean, std = _norm_constants(normalize)
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    if name == "imagenet":
        return _load_imagenet(split, mean, std, limit, root)
    if split not in ("test", "train", "train_10k"):
        raise ValueError(f"unknown split {split!r} for {name}; use 'test', 'train' or 'train_10k'")
    path = Path(root) / f"{split}.npz" if root else _offline_file(name, split)
    if path is not None:
        if not Path(path).is_file():
            raise FileNotFoundError(f"no {split!r} split for {name} at {path}")
        with np.load(path, allow_pickle=False) as f:
            x, y = f["x"], f["y"]
            classes = f["classes"] if "classes" in f.files else [str(i) for i in range(int(y.max()) + 1)]
    else:
        x, y, classes = _torchvision_cifar(name, split)
    if limit is not None:
        x, y = x[:limit], y[:limit]
    xt = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2).float().div_(255)
    if mean is not None:
        xt = normalize_images(xt, mean, std)
    return ImageSet(xt, torch.as_tensor(y, dtype=torch.long), classes, mean, std)


def _torchvision_cifar(name: str, split: str):
    import torchvision

    if split == "train_10k":
        raise FileNotFoundError(f"'train_10k' is an offline file: set SYNQ_DATA_DIR to a folder holding {name}/train_10k.npz")
    cls = torchvision.datasets.CIFAR10 if name == "cifar10" else torchvision.datasets.CIFAR100
    try:
        ds = cls(str(cache_dir() / "data"), train=split == "train", download=True)
    except Exception as e:
        raise FileNotFoundError(
            f"{name} is not on disk and could not be downloaded ({type(e).__name__}: {e}). "
            f"Set SYNQ_DATA_DIR to a folder holding {name}/{split}.npz."
        ) from None
    return ds.data, np.asarray(ds.targets), ds.classes


def _load_imagenet(split, mean, std, limit, root):
    import torchvision
    from torchvision import transforms as T

    root = Path(root or Path(os.environ.get("SYNQ_DATA_DIR", ".")) / "imagenet" / split)
    if not root.is_dir():
        raise FileNotFoundError(f"ImageNet {split} folder not found at {root}: pass root= or set SYNQ_DATA_DIR")
    tf = [T.Resize(256), T.CenterCrop(224), T.ToTensor()]
    if mean is not None:
        tf.append(T.Normalize(mean, std))
    ds = torchvision.datasets.ImageFolder(str(root), T.Compose(tf))
    if limit is not None:
        ds = torch.utils.data.Subset(ds, range(min(limit, len(ds))))
    return ds
