"""The paper's other teachers end to end through the CLI, at smoke size and offline (issue 11).

ResNet-18, ResNet-50 and MobileNetV2 at 224 x 224 (ImageNet) and ResNet-20 on CIFAR-100. Their weights and
data sets cannot be downloaded here, so each test builds a randomly initialised network of the same
architecture (pytorchcv, no weights), saves it under the published file-name pattern in a weights folder,
and creates a small data set (an ImageNet-style image folder, or a CIFAR-100 ``test.npz``): the real loading
code then runs unchanged (``load_teacher`` finds the file, ``load_dataset`` reads the folder). Accuracies of a
random network mean nothing; what is checked is that every stage runs at the real input size and that the
numbers are those of the loaded network on the created data.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from synq_nb import evaluate, load_dataset, load_teacher
from synq_nb.cam import capture
from synq_nb.cli import main

TINY = ["--preset", "smoke", "--num-images", "4", "--synth-iters", "2", "--calib-images", "4", "--epochs", "1",
        "--iters-per-epoch", "1", "--batch-size", "2", "--device", "cpu", "--no-progress", "--seed", "0"]


def _folders(tmp_path, monkeypatch, name):
    wdir, ddir = tmp_path / "weights", tmp_path / "data"
    wdir.mkdir()
    ddir.mkdir()
    torch.manual_seed(1)
    net = load_teacher(name, pretrained=False, device="cpu")
    torch.save(net.state_dict(), wdir / f"{name}-0000-randominit.pth")  # the pattern pytorchcv's files have
    for var, path in (("SYNQ_WEIGHTS_DIR", wdir), ("SYNQ_DATA_DIR", ddir), ("SYNQ_CACHE_DIR", tmp_path / "cache"),
                      ("SYNQ_DOWNLOAD_DIR", tmp_path / "downloads")):
        monkeypatch.setenv(var, str(path))
    return ddir


def _check_run(tmp_path, name, dataset, n_images, side, cam_side, synth_augment):
    out = tmp_path / "run"
    assert main(["run", "--model", name, *TINY, "--out", str(out)]) == 0
    r = json.loads((out / "results.json").read_text())
    assert (r["model"], r["dataset"], r["eval_images"]) == (name, dataset, n_images)
    assert r["history"]["epoch"] == [1] and all(np.isfinite(r["history"]["loss"]))
    assert 0 < r["size_bits_quant"] < r["size_bits_fp"] / 6  # 4-bit weights (BN and biases stay float)
    assert not (tmp_path / "downloads").exists()  # nothing was fetched
    # the numbers are those of the network in the weights folder on the created data
    teacher = load_teacher(name, device="cpu")
    split = "val" if dataset == "imagenet" else "test"
    test = load_dataset(dataset, split, normalize=teacher)
    assert r["fp_top1"] == evaluate(teacher, test)["top1"]
    # synthesis ran at the real input size, with the paper's augmentation for ImageNet-size teachers
    (synth,) = (tmp_path / "cache" / "synthetic").glob(f"{name}-*.pt")
    s = torch.load(synth, weights_only=False)
    assert tuple(s["images"].shape) == (4, 3, side, side) and s["settings"]["augment"] is synth_augment
    # the Grad-CAM layer is the last spatial stage (7 x 7 at 224, 8 x 8 at 32)
    with capture(teacher, teacher.synq_info.cam_layer) as store:
        teacher(s["images"][:1])
    assert tuple(store["out"].shape[-2:]) == (cam_side, cam_side)
    return r


@pytest.mark.slow
@pytest.mark.parametrize("name", ["resnet18", "resnet50", "mobilenetv2_w1"])
def test_imagenet_teacher_end_to_end(name, tmp_path, monkeypatch):
    from PIL import Image

    ddir = _folders(tmp_path, monkeypatch, name)
    rng = np.random.default_rng(0)
    for c in range(3):  # 3 classes x 2 images of assorted sizes (resized to 256, centre-cropped to 224)
        folder = ddir / "imagenet" / "val" / f"n{c:08d}"
        folder.mkdir(parents=True)
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (40 + 8 * i, 56, 3), dtype=np.uint8)).save(folder / f"{i}.JPEG")
    _check_run(tmp_path, name, "imagenet", 6, 224, 7, True)


@pytest.mark.slow
def test_resnet20_cifar100_end_to_end(tmp_path, monkeypatch):
    ddir = _folders(tmp_path, monkeypatch, "resnet20_cifar100")
    rng = np.random.default_rng(0)
    (ddir / "cifar100").mkdir()
    np.savez(ddir / "cifar100" / "test.npz", x=rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8),
             y=np.arange(20) % 100, classes=np.array([f"class{i}" for i in range(100)]))
    r = _check_run(tmp_path, "resnet20_cifar100", "cifar100", 20, 32, 8, False)
    assert r["val_images"] == 0 and "val_note" not in r  # CIFAR-100 has no validation split (500 images per class)


def test_cifar10_run_without_a_training_split_records_why_it_has_no_validation_numbers(tmp_path, monkeypatch):
    """An offline CIFAR-10 folder with the test set only: the run completes, its JSON says it has no validation
    numbers and why (the validation split is carved from the training images), instead of failing or inventing them."""
    from conftest import require_teacher_weights

    require_teacher_weights()
    ddir = tmp_path / "data" / "cifar10"
    ddir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(ddir / "test.npz", x=rng.integers(0, 256, (10, 32, 32, 3), dtype=np.uint8), y=np.arange(10),
             classes=np.array([f"class{i}" for i in range(10)]))
    monkeypatch.setenv("SYNQ_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "run"
    assert main(["run", "--model", "resnet20_cifar10_akamaster", *TINY, "--out", str(out)]) == 0
    r = json.loads((out / "results.json").read_text())
    assert r["val_images"] == 0 and "val_final_top1" not in r
    assert "train" in r["val_note"]
    assert r["eval_images"] == 10
