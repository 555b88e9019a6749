"""The validation split that settings are chosen on (issue 18): carved from the training images, balanced,
disjoint from the real-data reference runs' images and from the test set's role."""
import hashlib

import numpy as np
import pytest
import torch

from conftest import require_cifar
from synq_nb.cam import mean_cam_loss
from synq_nb.config import get_config
from synq_nb.data import VAL_END, VAL_START, load_dataset, validation_set


def _hashes(images):
    return {hashlib.sha1(x.numpy().tobytes()).hexdigest() for x in images}


def _train_file_present():
    import os
    from pathlib import Path

    d = os.environ.get("SYNQ_DATA_DIR")
    if not d or not (Path(d) / "cifar10" / "train_10k.npz").is_file():
        pytest.skip("needs SYNQ_DATA_DIR with cifar10/train_10k.npz")


def test_validation_split_is_balanced_and_disjoint_from_the_real_reference():
    require_cifar()
    _train_file_present()
    val = validation_set("cifar10")
    assert len(val) == 10 * (VAL_END - VAL_START) == 4880
    assert torch.bincount(val.labels).tolist() == [488] * 10
    assert val.labels[:10].tolist() == list(range(10))  # interleaved: a limit stays balanced
    assert torch.bincount(validation_set("cifar10", limit=100).labels).tolist() == [10] * 10
    # the largest real-data reference (5,120 images: the first 512 of each class) never sees a validation image
    train = load_dataset("cifar10", "train")
    first = torch.cat([torch.nonzero(train.labels == c)[:VAL_START, 0] for c in range(10)])
    assert not (_hashes(train.images[first]) & _hashes(val.images))
    # and the test set is another set of images
    assert not (_hashes(load_dataset("cifar10", "test", limit=2000).images) & _hashes(val.images))


def test_real_reference_cannot_reach_into_the_validation_split():
    require_cifar()
    _train_file_present()
    from synq_nb.pipeline import real_training_set

    class Info:
        num_classes, mean, std = 10, (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)

    cfg = get_config("smoke", train_data="real", num_images=5130)
    with pytest.raises(ValueError, match="validation split"):
        real_training_set(cfg, Info())
    assert len(real_training_set(get_config("smoke", train_data="real", num_images=5120), Info())) == 5120


def test_no_validation_split_where_the_training_split_is_too_small(tmp_path, monkeypatch):
    # CIFAR-100 has 500 training images per class, fewer than VAL_START; ImageNet has no training split here.
    # Both are answered without loading anything (an empty data folder, no download).
    monkeypatch.setenv("SYNQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYNQ_DOWNLOAD_DIR", str(tmp_path / "downloads"))
    assert validation_set("cifar100") is None
    assert validation_set("imagenet") is None
    assert not (tmp_path / "downloads").exists()
    with pytest.raises(ValueError, match="unknown dataset 'tiny'"):
        validation_set("tiny")


def test_mean_cam_loss_does_not_depend_on_the_batch_size():
    torch.manual_seed(0)
    from tiny_nets import tiny_images, tiny_student, tiny_teacher

    t = tiny_teacher()
    x, y = tiny_images(10)
    s = tiny_student(t, x)
    whole = mean_cam_loss(t, s, x, y, batch=10)
    assert whole == pytest.approx(mean_cam_loss(t, s, x, y, batch=3), rel=1e-5)
    assert mean_cam_loss(t, t, x, y) == 0.0 and whole > 0
