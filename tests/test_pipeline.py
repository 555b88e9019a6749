"""End to end: run_experiment and the command line, at smoke size."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, require_cifar, require_teacher_weights
from synq_nb import get_config, run_experiment, summary_line

# Fine-tuning beats RTN at this size for most seeds, not all. Measured (final - RTN, points, on the first
# 1,000 test images, seeds 0-5, W4A4, smoke preset otherwise):
#   smoke (2 x 8 steps):         +1.0 +1.6 +0.1 +0.5 -1.5 -1.8
#   iters_per_epoch=16:          +0.7 +1.8 +1.2 +0.3 +1.3  (seed 5 below)
#   iters_per_epoch=25:          +1.7 +1.9 +2.3 -0.3 +1.8 -0.6
#   iters_per_epoch=50:          +0.9 +1.8 +0.8 +1.7 +2.3 -0.7
# (the table above at d0 16.) The test runs seed 0 with 25 iterations per epoch (50 steps; 81.6 -> 83.3 at d0 16;
# at d0 8, the default since the sensitivity sweep: 84.0 -> 85.7, seeds 1 and 2: +0.0, +0.4) and asks for half a point.
E2E_OVERRIDES = dict(iters_per_epoch=25, eval_every=0)
MARGIN = 0.5  # points on 1,000 images (5 images)

RESULT_KEYS = ("fp_top1", "rtn_top1", "final_top1", "best_top1", "config", "times_s", "device", "history",
               "size_bits_fp", "size_bits_quant", "total_s")


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "synq_nb", *args], cwd=REPO, env=_env(), capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
def test_smoke_experiment_beats_rtn(tmp_path, tiny_synthetic):
    require_cifar()
    cfg = get_config("smoke", seed=0, device="cpu", **E2E_OVERRIDES)
    r = run_experiment(cfg, out_dir=tmp_path, progress=False)
    saved = json.loads((tmp_path / "results.json").read_text())
    for k in RESULT_KEYS:
        assert k in saved, k
    assert "student" in r and "student" not in saved
    assert saved["config"] == cfg.to_dict()
    assert saved["synthetic_from_cache"]  # the session's tiny synthetic set has the smoke settings
    assert saved["eval_images"] == 1000 and saved["device"].startswith("cpu")
    assert set(saved["times_s"]) >= {"load", "synthesis", "calibration", "finetune", "evaluation"}
    assert saved["history"]["epoch"] == [1, 2] and saved["history"]["top1"][0] is None  # eval_every=0
    assert saved["best_top1"] >= saved["final_top1"]
    assert saved["fp_top1"] == pytest.approx(91.5, abs=0.05)  # the teacher on the first 1,000 test images
    assert 70 < saved["rtn_top1"] < saved["fp_top1"]
    assert saved["final_top1"] >= saved["rtn_top1"] + MARGIN, (saved["rtn_top1"], saved["final_top1"])
    assert (tmp_path / "checkpoint.pt").is_file() and not list(tmp_path.glob("*.tmp"))
    assert summary_line(saved).startswith("resnet20_cifar10_akamaster W4A4 seed 0 (smoke): FP 91.50")
    # the validation split (training images, never the test set): the first 1,000 (eval_limit), 100 per class
    assert saved["val_images"] == 1000 and saved["val_fp_top1"] > 99  # the teacher trained on these images
    assert 0 <= saved["val_rtn_top1"] < saved["val_fp_top1"] and 0 <= saved["val_final_top1"] <= 100
    from synq_nb.cam import mean_cam_loss
    from synq_nb.data import validation_set
    from synq_nb.models import load_teacher

    teacher = load_teacher(cfg.model, device="cpu")
    val = validation_set("cifar10", normalize=teacher, limit=512)
    assert saved["val_final_cam_loss"] == pytest.approx(
        mean_cam_loss(teacher, r["student"], val.images, val.labels, floor=cfg.cam_floor), rel=1e-5)
    assert saved["val_rtn_cam_loss"] > 0
    # CPU seconds per stage, apart from wall seconds; the total covers the stages
    cpu = saved["cpu_s"]
    assert set(cpu) == {"load", "synthesis", "calibration", "finetune", "total"} and min(cpu.values()) >= 0
    assert cpu["total"] >= cpu["synthesis"] + cpu["finetune"] + cpu["calibration"]


@pytest.mark.slow
def test_cli_smoke_run(tmp_path, tiny_synthetic):
    require_cifar()
    require_teacher_weights()
    out = tmp_path / "run"
    p = _cli("run", "--preset", "smoke", "--epochs", "1", "--iters-per-epoch", "2", "--eval-limit", "200",
             "--no-progress", "--device", "cpu", "--out", str(out))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert len(lines) == 1, p.stdout
    r = json.loads((out / "results.json").read_text())
    assert lines[0] == summary_line(r)
    assert r["config"]["epochs"] == 1 and r["eval_images"] == 200 and r["preset"] == "smoke"
    assert "Traceback" not in p.stderr


@pytest.mark.parametrize("args, message", [
    (("--model", "nope"), "invalid choice: 'nope'"),
    (("--w-bits", "0"), "error: w_bits must be an integer from 2 to 8, got 0"),
])
def test_cli_bad_input(tmp_path, args, message):
    p = _cli("run", "--preset", "smoke", "--out", str(tmp_path / "x"), *args, timeout=120)
    assert p.returncode == 2
    assert "Traceback" not in p.stderr and p.stdout == ""
    errors = [ln for ln in p.stderr.splitlines() if "error:" in ln]
    assert len(errors) == 1 and message in errors[0], p.stderr
    assert not (tmp_path / "x" / "results.json").exists()


def test_cli_main_in_process(tmp_path, capsys):
    from synq_nb.cli import main

    assert main(["run", "--preset", "smoke", "--tau", "2", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: tau must lie in [0, 1], got 2.0"
    with pytest.raises(SystemExit) as e:  # argparse's own errors exit with 2 as well
        main(["run", "--preset", "huge", "--out", str(tmp_path)])
    assert e.value.code == 2 and "invalid choice: 'huge'" in capsys.readouterr().err


def test_cli_help_lists_presets():
    from synq_nb.cli import build_parser

    text = build_parser().format_help()
    assert "run" in text
    sub = build_parser().parse_args(["run", "--out", "o", "--baseline", "--filter", "off"])
    assert sub.baseline and sub.use_filter is False
