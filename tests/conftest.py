"""Shared fixtures and environment for the synq_nb test suite.

Environment (set here only where unset, so CI's ``.ci/run`` and users keep control):
* ``SYNQ_DATA_DIR`` / ``SYNQ_WEIGHTS_DIR``: ``../shared/data`` and ``../shared/data/weights`` next to the
  repository, if those folders exist (so a plain ``pytest`` works in a checkout beside ``shared/``);
* ``SYNQ_CACHE_DIR``: a temporary folder for the whole session (synthetic sets, checkpoints);
* torch threads: ``$OMP_NUM_THREADS`` if set, else at most 4.

Tests that need the CIFAR-10 files or the pretrained teacher are skipped, with the reason, when
those files are absent. Nothing here downloads anything.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
_SHARED = REPO.parent / "shared" / "data"

if not os.environ.get("SYNQ_DATA_DIR") and _SHARED.is_dir():
    os.environ["SYNQ_DATA_DIR"] = str(_SHARED)
if not os.environ.get("SYNQ_WEIGHTS_DIR") and (_SHARED / "weights").is_dir():
    os.environ["SYNQ_WEIGHTS_DIR"] = str(_SHARED / "weights")

_SESSION_CACHE = None
if not os.environ.get("SYNQ_CACHE_DIR"):
    _SESSION_CACHE = tempfile.mkdtemp(prefix="synq_test_cache_")
    os.environ["SYNQ_CACHE_DIR"] = _SESSION_CACHE

torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS") or min(4, os.cpu_count() or 1))))

TEACHER = "resnet20_cifar10_akamaster"
TEACHER_FILE = "akamaster_resnet20-12fca82f.th"
TEACHER_TOP1 = 91.73  # published accuracy of the akamaster ResNet-20 on the CIFAR-10 test set
# The tiny synthetic set has exactly the smoke preset's synthesis settings, so the end-to-end smoke run
# (and the CLI run, which inherits SYNQ_CACHE_DIR) finds it in the session cache.
TINY_SYNTH = dict(num_images=128, iters=10, batch_size=64, seed=0)


def pytest_unconfigure(config):
    if _SESSION_CACHE is not None:
        shutil.rmtree(_SESSION_CACHE, ignore_errors=True)


def teacher_weights_path() -> Path | None:
    d = os.environ.get("SYNQ_WEIGHTS_DIR")
    p = Path(d) / TEACHER_FILE if d else None
    return p if p is not None and p.is_file() else None


def cifar_test_path() -> Path | None:
    d = os.environ.get("SYNQ_DATA_DIR")
    p = Path(d) / "cifar10" / "test.npz" if d else None
    return p if p is not None and p.is_file() else None


def require_teacher_weights():
    if teacher_weights_path() is None:
        pytest.skip(f"pretrained teacher weights not found: set SYNQ_WEIGHTS_DIR to a folder holding {TEACHER_FILE}")


def require_cifar():
    if cifar_test_path() is None:
        pytest.skip("CIFAR-10 test set not found: set SYNQ_DATA_DIR to a folder holding cifar10/test.npz")


@pytest.fixture(scope="session")
def teacher():
    """The pretrained akamaster ResNet-20 on the CPU (eval mode, frozen). Do not modify it."""
    require_teacher_weights()
    from synq_nb import load_teacher

    return load_teacher(TEACHER, device="cpu")


@pytest.fixture(scope="session")
def cifar_test(teacher):
    """The full CIFAR-10 test set (10,000 images), normalised for the teacher."""
    require_cifar()
    from synq_nb import load_dataset

    return load_dataset("cifar10", "test", normalize=teacher)


@pytest.fixture(scope="session")
def cifar_small(cifar_test):
    """The first 1,000 test images (same normalisation)."""
    from synq_nb.data import ImageSet

    return ImageSet(cifar_test.images[:1000], cifar_test.labels[:1000], cifar_test.classes,
                    cifar_test.mean, cifar_test.std)


@pytest.fixture(scope="session")
def teacher_top1(teacher, cifar_test):
    from synq_nb import evaluate

    return evaluate(teacher, cifar_test)["top1"]


@pytest.fixture(scope="session")
def tiny_synthetic(teacher):
    """128 synthetic images (10 iterations, the smoke preset's settings), cached in SYNQ_CACHE_DIR."""
    from synq_nb import synthesize

    s = TINY_SYNTH
    return synthesize(teacher, s["num_images"], s["iters"], s["batch_size"], seed=s["seed"], progress=False)


@pytest.fixture(scope="session")
def calibrated_w4a4(teacher, tiny_synthetic):
    """A W4A4 student of the teacher, activations calibrated on the tiny synthetic set.
    Session-scoped: tests that train or modify it must work on a ``copy.deepcopy``."""
    from synq_nb import calibrate_activations, quantize_model

    student = quantize_model(teacher, 4, 4)
    return calibrate_activations(student, tiny_synthetic.images)
