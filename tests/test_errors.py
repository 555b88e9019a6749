"""Clear errors for bad input and missing files (offline: no download is ever attempted for real)."""
from __future__ import annotations

import math

import pytest
import torch

from synq_nb import PRESETS, TEACHERS, WeightsNotFoundError, get_config, load_dataset, load_teacher
from synq_nb.config import SynQConfig


def test_unknown_model_lists_models():
    with pytest.raises(ValueError, match="unknown model 'nope'") as e:
        load_teacher("nope")
    for name in TEACHERS:
        assert name in str(e.value)


def test_missing_weights_file(tmp_path):
    missing = tmp_path / "missing.th"
    with pytest.raises(WeightsNotFoundError, match="not found") as e:
        load_teacher("resnet20_cifar10_akamaster", weights=missing)
    assert str(missing) in str(e.value)
    assert isinstance(e.value, FileNotFoundError)


def test_unreadable_and_mismatched_weights(tmp_path):
    bad = tmp_path / "bad.th"
    bad.write_bytes(b"\x00garbage")
    with pytest.raises(WeightsNotFoundError, match="could not read"):
        load_teacher("resnet20_cifar10_akamaster", weights=bad)
    other = tmp_path / "resnet56.th"  # a ResNet-56 state dict does not fit a ResNet-20
    torch.save({"state_dict": load_teacher("resnet56_cifar10_akamaster", pretrained=False).state_dict()}, other)
    with pytest.raises(ValueError, match="do not fit"):
        load_teacher("resnet20_cifar10_akamaster", weights=other)


def test_offline_without_weights_names_the_variable(tmp_path, monkeypatch):
    weights_dir, cache = tmp_path / "weights", tmp_path / "cache"
    weights_dir.mkdir()
    cache.mkdir()
    monkeypatch.setenv("SYNQ_WEIGHTS_DIR", str(weights_dir))
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(cache))
    monkeypatch.setenv("SYNQ_DOWNLOAD_DIR", str(cache))  # where the download would land (default: the checkout's data/)
    calls = []

    def no_network(url, dst, *a, **k):
        calls.append(url)
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", no_network)
    with pytest.raises(WeightsNotFoundError) as e:
        load_teacher("resnet20_cifar10_akamaster")
    msg = str(e.value)
    assert "SYNQ_WEIGHTS_DIR" in msg and "akamaster_resnet20-12fca82f.th" in msg and "network is unreachable" in msg
    assert calls and calls[0].startswith("https://")
    assert not [p for p in cache.rglob("*") if p.is_file()]  # no partial download left behind


def test_weights_found_through_the_variable(tmp_path, monkeypatch):
    # a file named like the published checkpoint in SYNQ_WEIGHTS_DIR is used (state dict with 'module.')
    ref = load_teacher("resnet20_cifar10_akamaster", pretrained=False)
    state = {"module." + k: v for k, v in ref.state_dict().items()}
    torch.save({"state_dict": state}, tmp_path / "resnet20-12fca82f.th")
    monkeypatch.setenv("SYNQ_WEIGHTS_DIR", str(tmp_path))
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path / "cache"))
    m = load_teacher("resnet20_cifar10_akamaster", device="cpu")
    assert all(torch.equal(m.state_dict()[k], v) for k, v in ref.state_dict().items())
    assert not m.training and not any(p.requires_grad for p in m.parameters())


def test_dataset_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown dataset 'mnist'.*cifar10"):
        load_dataset("mnist")
    with pytest.raises(ValueError, match="unknown split"):
        load_dataset("cifar10", "validation")
    # offline with no files: a clear FileNotFoundError naming SYNQ_DATA_DIR (download made impossible)
    import torchvision

    def offline(*a, **k):
        raise RuntimeError("no network")

    monkeypatch.setenv("SYNQ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SYNQ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(torchvision.datasets, "CIFAR10", offline)
    with pytest.raises(FileNotFoundError, match="SYNQ_DATA_DIR"):
        load_dataset("cifar10", "test")
    with pytest.raises(FileNotFoundError, match="imagenet"):
        load_dataset("imagenet", "val")


def test_dataset_from_npz(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(6, 32, 32, 3), dtype=np.uint8)
    y = np.arange(6) % 3
    np.savez(tmp_path / "test.npz", x=x, y=y, classes=np.array(["a", "b", "c"]))
    ds = load_dataset("cifar10", "test", root=tmp_path, limit=4, normalize=((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)))
    assert ds.images.shape == (4, 3, 32, 32) and ds.classes == ("a", "b", "c")
    expected = (torch.from_numpy(x[:4]).permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.25
    torch.testing.assert_close(ds.images, expected)
    assert ds.labels.tolist() == [0, 1, 2, 0]


@pytest.mark.parametrize("override", [
    dict(tau=2), dict(tau=-0.1), dict(w_bits=1), dict(a_bits=9), dict(w_bits=4.0), dict(lr=0), dict(lr=math.nan),
    dict(lr=math.inf), dict(d0=-1.0), dict(epochs=0), dict(batch_size=2.5), dict(num_images=True),
    dict(lr_schedule="linear"), dict(cam_target="both"), dict(filter_kind="box"), dict(no_such_field=1),
])
def test_config_validation(override):
    with pytest.raises(ValueError):
        get_config("smoke", **override)


def test_config_messages_and_presets():
    with pytest.raises(ValueError, match=r"tau must lie in \[0, 1\], got 2"):
        get_config("smoke", tau=2)
    with pytest.raises(ValueError, match="unknown config field"):
        get_config("cpu", learning_rate=0.1)
    with pytest.raises(ValueError, match="unknown preset 'fast'") as e:
        get_config("fast")
    assert all(p in str(e.value) for p in PRESETS)
    for name in PRESETS:
        cfg = get_config(name)
        assert cfg.preset == name and cfg.validate() is cfg
    assert get_config("smoke", seed=3).seed == 3
    cfg = get_config("smoke").ideas(filter=False, cam=True, soft=False)
    assert (cfg.use_filter, cfg.use_cam, cfg.use_soft_labels) == (False, True, False)
    assert SynQConfig().to_dict()["model"] == "resnet20_cifar10_akamaster"
