"""Real data, for evaluation and comparisons only (synthesis never needs it).

CIFAR-10/100 come from torchvision (downloaded when online into :func:`synq_nb.models.data_home`, the
checkout's ``data/`` folder) or, offline, from ``$SYNQ_DATA_DIR/<name>/<split>.npz`` (arrays ``x``
N x 32 x 32 x 3 uint8, ``y``, ``classes``). :func:`downloads` lists every file the package can fetch
and :func:`check_downloads` (``python -m synq_nb data --check``) verifies what is on disk.
ImageNet validation is an image folder (``root=`` or ``$SYNQ_DATA_DIR/imagenet/val``).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import TensorDataset

from .models import _AKAMASTER, _PYTORCHCV, cache_dir, data_home, weights_dirs

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


# The validation split (for choosing settings; never the test set): images VAL_START .. VAL_END - 1 of each class,
# in the official train order (the offline train_10k file holds the first 1,000 of each class). The real-data
# reference runs train on images 0 .. num_images / classes - 1 of each class, at most 512: disjoint from it.
VAL_START, VAL_END = 512, 1000


def validation_set(name: str, normalize=None, limit: int | None = None) -> ImageSet | None:
    """Validation images carved from the training split: positions ``VAL_START`` to ``VAL_END - 1`` of each class
    (CIFAR-10: 488 per class, 4,880 images), in class-interleaved order so that ``limit`` stays balanced.

    For choosing settings (d0, tau, levers) without looking at the test set. ``None`` where the training split has
    no image at those positions (CIFAR-100: 500 images per class; ImageNet: no training split here), answered
    without loading anything. Raises FileNotFoundError where CIFAR-10's training split is not on disk."""
    name = name.lower().replace("-", "")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of: {', '.join(DATASETS)}")
    if name != "cifar10":
        return None
    train = load_dataset(name, "train", normalize=normalize)
    per_class = [torch.nonzero(train.labels == c)[VAL_START:VAL_END, 0] for c in range(int(train.labels.max()) + 1)]
    n = min(len(i) for i in per_class)
    if n == 0:
        return None
    idx = torch.stack([i[:n] for i in per_class], dim=1).reshape(-1)  # class 0, 1, ..., 9, 0, 1, ...
    if limit is not None:
        idx = idx[:limit]
    return ImageSet(train.images[idx], train.labels[idx], train.classes, train.mean, train.std)


def _torchvision_cifar(name: str, split: str):
    import torchvision

    if split == "train_10k":
        raise FileNotFoundError(f"'train_10k' is an offline file: set SYNQ_DATA_DIR to a folder holding {name}/train_10k.npz")
    cls = torchvision.datasets.CIFAR10 if name == "cifar10" else torchvision.datasets.CIFAR100
    try:
        ds = cls(str(data_home()), train=split == "train", download=True)
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


# The CIFAR archives torchvision downloads (its URLs and md5; the sha256 of the same published files).
CIFAR_ARCHIVES = {
    "cifar10": dict(file="cifar-10-python.tar.gz", url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
                    md5="c58f30108f718f92721af3b95e74349a"),
    "cifar100": dict(file="cifar-100-python.tar.gz", url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                     sha256="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
                     md5="eb9058c3a382ffc7106e4002c42a8d85"),
}


def _pytorchcv_file(name: str) -> dict:
    """pytorchcv's published weights file for ``name``: file name, URL and the sha1 pytorchcv checks."""
    from pytorchcv.models.common.model_store import get_model_name_suffix_data, imgclsmob_repo_url

    error, sha1, tag = get_model_name_suffix_data(name)
    file = f"{name}-{error}-{sha1[:8]}.pth"
    return dict(file=file, url=f"{imgclsmob_repo_url}/releases/download/{tag}/{file}.zip", sha1=sha1)


def downloads() -> list:
    """Every file the package can fetch: dicts with ``what``, ``file`` (its path under :func:`data_home`),
    ``url`` and ``sha256`` (or, for pytorchcv's weights, the ``sha1`` that pytorchcv verifies)."""
    out = [dict(what=f"{label} (torchvision)", **{k: v for k, v in a.items() if k != "md5"})
           for label, a in zip(("CIFAR-10", "CIFAR-100"), CIFAR_ARCHIVES.values())]
    for name, spec in _AKAMASTER.items():
        out.append(dict(what=f"teacher {name}", file="weights/" + spec["file"], url=spec["url"], sha256=spec["sha256"]))
    for name in _PYTORCHCV:
        f = _pytorchcv_file(name)
        out.append(dict(what=f"teacher {name} (pytorchcv)", file="weights/" + f["file"], url=f["url"], sha1=f["sha1"]))
    return out


def _digest(path: Path, algo: str) -> str:
    import hashlib

    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_downloads() -> list:
    """Each file of :func:`downloads` with ``status``: ``ok`` (hash verified), ``missing`` or ``BAD`` (wrong
    hash), and ``path`` where it was found (weights: ``$SYNQ_WEIGHTS_DIR`` first, then the download home)."""
    rows = []
    for d in downloads():
        name = Path(d["file"]).name
        if d["file"].startswith("weights/"):  # also under the URL's own file name, as the loader accepts it
            names = dict.fromkeys([name, d["url"].rsplit("/", 1)[1]] if d["url"].endswith((".th", ".pth")) else [name])
            candidates = [w / n for w in weights_dirs() for n in names]
        else:
            candidates = [data_home() / d["file"], cache_dir() / "data" / d["file"]]
        path = next((p for p in candidates if p.is_file()), None)
        status = "missing"
        if path is not None:
            algo = "sha256" if "sha256" in d else "sha1"
            status = "ok" if _digest(path, algo) == d[algo] else "BAD"
        rows.append(dict(d, path=str(path) if path else None, status=status))
    return rows
