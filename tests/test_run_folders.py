"""Run folders never mix two experiments: a checkpoint is resumed only by the run that wrote it.

The bug this pins (issue 11): ``python -m synq_nb run --w-bits 4 --a-bits 4 --out R`` and then the same with
``--w-bits 3 --a-bits 3 --out R`` resumed the W4A4 checkpoint and wrote a W3A3 results.json from it.
"""
from __future__ import annotations

import copy
import json

import pytest
import torch

from conftest import require_cifar
from synq_nb import finetune, get_config, run_experiment, synthesize
from synq_nb.finetune import RunFolderMismatch

TINY = dict(epochs=1, iters_per_epoch=2, eval_limit=200, eval_every=0, device="cpu")


def _cfg(**kw):
    return get_config("smoke", **dict(TINY, **kw))


@pytest.fixture
def w4a4_folder(tmp_path, teacher, tiny_synthetic):
    """A finished smoke W4A4 run in tmp_path/R (its synthetic set comes from the session cache)."""
    require_cifar()
    out = tmp_path / "R"
    r = run_experiment(_cfg(w_bits=4, a_bits=4), out_dir=out, progress=False, teacher=teacher)
    assert (out / "checkpoint.pt").is_file()
    return out, r


def test_other_settings_in_the_folder_stop_the_run(w4a4_folder, capsys):
    from synq_nb.cli import main

    out, first = w4a4_folder
    saved = (out / "results.json").read_text()
    # the CLI: exit 2, one clear line that names the folder, the settings that differ, and the way out
    assert main(["run", "--preset", "smoke", "--w-bits", "3", "--a-bits", "3", "--epochs", "1", "--iters-per-epoch", "2",
                 "--eval-limit", "200", "--eval-every", "0", "--device", "cpu", "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert str(out) in err and "w_bits: 4 there, 3 now" in err and "a_bits: 4 there, 3 now" in err
    assert "--fresh" in err
    assert "epochs" not in err and "device" not in err  # only what differs
    assert (out / "results.json").read_text() == saved  # nothing was overwritten
    # the Python API: the same refusal, as a ValueError subclass
    with pytest.raises(RunFolderMismatch, match=r"lambda_cam: 5\.0 there, 1\.0 now"):
        run_experiment(_cfg(lambda_cam=1.0), out_dir=out, progress=False)
    # fresh=True discards the W4A4 run and trains W3A3 from its own calibrated start
    r3 = run_experiment(_cfg(w_bits=3, a_bits=3), out_dir=out, progress=False, fresh=True)
    saved3 = json.loads((out / "results.json").read_text())
    assert saved3["w_bits"] == saved3["config"]["w_bits"] == 3 and saved3["final_top1"] == r3["final_top1"]
    assert saved3["epochs_done"] == 1 and len(saved3["history"]["loss"]) == 1
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    assert state["fingerprint"]["config"]["w_bits"] == 3
    # the W3A3 run equals one made in an empty folder
    r3_clean = run_experiment(_cfg(w_bits=3, a_bits=3), out_dir=out.parent / "clean", progress=False)
    assert r3_clean["final_top1"] == r3["final_top1"] and r3_clean["history"]["loss"] == r3["history"]["loss"]


def test_same_settings_resume_and_neutral_fields_are_ignored(w4a4_folder):
    out, first = w4a4_folder
    # device, the preset's name and the time budget do not change what a run computes: it resumes
    again = run_experiment(_cfg(w_bits=4, a_bits=4, max_finetune_seconds=1e6).replace(preset="custom"),
                           out_dir=out, progress=False)
    assert again["history"]["loss"] == first["history"]["loss"]  # nothing retrained: the checkpoint's history
    assert again["final_top1"] == first["final_top1"]
    for a, b in zip(again["student"].state_dict().values(), first["student"].state_dict().values()):
        assert torch.equal(a, b)


def test_checkpoint_without_fingerprint_is_not_resumed(w4a4_folder):
    out, _ = w4a4_folder
    state = torch.load(out / "checkpoint.pt", weights_only=False)
    del state["fingerprint"]  # as written before the fix
    torch.save(state, out / "checkpoint.pt")
    with pytest.raises(RunFolderMismatch, match="does not record which run wrote it") as e:
        run_experiment(_cfg(w_bits=4, a_bits=4), out_dir=out, progress=False)
    assert str(out) in str(e.value) and "--fresh" in str(e.value)
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(RunFolderMismatch, match="cannot be read"):
        run_experiment(_cfg(w_bits=4, a_bits=4), out_dir=out, progress=False)


def test_finetune_refuses_other_images_or_teacher(calibrated_w4a4, teacher, tiny_synthetic, tmp_path):
    cfg = get_config("smoke", epochs=1, iters_per_epoch=1, batch_size=16, eval_every=0)
    x, y = tiny_synthetic.images, tiny_synthetic.labels
    ckpt = tmp_path / "c.pt"
    finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg, progress=False, checkpoint=ckpt)
    with pytest.raises(RunFolderMismatch, match="the training images or labels differ"):
        finetune(copy.deepcopy(calibrated_w4a4), teacher, x.flip(0), y.flip(0), cfg, progress=False, checkpoint=ckpt)
    other = copy.deepcopy(teacher)
    with torch.no_grad():
        next(other.parameters()).mul_(1.01)
    with pytest.raises(RunFolderMismatch, match="the teacher's weights differ"):
        finetune(copy.deepcopy(calibrated_w4a4), other, x, y, cfg, progress=False, checkpoint=ckpt)
    with pytest.raises(RunFolderMismatch, match="seed: 0 there, 1 now"):
        finetune(copy.deepcopy(calibrated_w4a4), teacher, x, y, cfg.replace(seed=1), progress=False, checkpoint=ckpt)
    # fresh=True starts over (and equals a run without any checkpoint)
    a = copy.deepcopy(calibrated_w4a4)
    finetune(a, teacher, x, y, cfg.replace(seed=1), progress=False, checkpoint=ckpt, fresh=True)
    b = copy.deepcopy(calibrated_w4a4)
    finetune(b, teacher, x, y, cfg.replace(seed=1), progress=False)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))


def test_synthetic_cache_is_keyed_by_its_settings(teacher, tmp_path):
    kw = dict(num_images=4, iters=1, batch_size=4, progress=False, cache=tmp_path)
    a = synthesize(teacher, seed=0, **kw)
    assert not a.from_cache and synthesize(teacher, seed=0, **kw).from_cache
    b = synthesize(teacher, seed=1, **kw)  # another setting: another file, never the first one's images
    assert not b.from_cache and not torch.equal(a.images, b.images) and len(list(tmp_path.glob("*.pt"))) == 2
    # a file whose stored settings do not match its name (a hash collision) is recomputed, not used
    f = sorted(tmp_path.glob("*.pt"), key=lambda p: p.stat().st_mtime)[0]
    d = torch.load(f, weights_only=False)
    d["settings"] = dict(d["settings"], iters=999)
    torch.save(d, f)
    assert not synthesize(teacher, seed=0, **kw).from_cache


def test_grid_reuses_a_result_only_with_the_same_settings(tmp_path, monkeypatch):
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("grid_for_run_folders", REPO / "benchmarks" / "grid.py")
    grid = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grid)
    monkeypatch.setattr(grid.subprocess, "run", lambda *a, **k: pytest.fail("no run should start"))
    (name, set_name, cpu), = [r for r in grid.experiments(["main"], "cpu", "resnet20_cifar10_akamaster")
                              if r[0] == "w4a4_synq_s0"]
    dest = tmp_path / set_name / f"{name}.json"
    dest.parent.mkdir()
    dest.write_text(json.dumps(dict(config=dict(grid.run_config(cpu), device="cpu"), final_top1=88.0)))
    assert grid.run_one(name, set_name, cpu, tmp_path, "cuda")[1] == "cached"  # the device does not matter
    paper = dict(cpu, preset="paper")  # the same name under another preset: refused, not reused
    msg = grid.run_one(name, set_name, paper, tmp_path, "cpu")[1]
    assert msg.startswith("FAILED: ") and str(dest) in msg and "preset: 'cpu' there, 'paper' now" in msg
    assert "num_images: 1024 there, 5120 now" in msg


def test_a_finished_run_reloads_without_evaluating_again(w4a4_folder, monkeypatch):
    """Run again in its folder, a finished run returns what it recorded and its student, and evaluates nothing
    (the re-evaluation was most of a reloading notebook cell's time); the summary line says which seconds are whose."""
    import synq_nb.pipeline as P
    from synq_nb import summary_line

    out, first = w4a4_folder
    calls = []
    monkeypatch.setattr(P, "evaluate", lambda *a, **k: calls.append("evaluate"))
    monkeypatch.setattr(P, "mean_cam_loss", lambda *a, **k: calls.append("cam"))
    again = run_experiment(_cfg(w_bits=4, a_bits=4), out_dir=out, progress=False)
    assert calls == [] and again["reloaded"] is True and again["reload_s"] >= 0
    recorded = json.loads((out / "results.json").read_text())
    assert {k: again[k] for k in recorded} == recorded  # the recorded results, unchanged
    x = torch.randn(8, 3, 32, 32)
    assert torch.equal(again["student"](x), first["student"](x))
    assert f"[reloaded in {again['reload_s']:.1f} s; its fine-tuning took {sum(first['history']['seconds']):.0f} s when " \
           "computed]" in summary_line(again)
    # a run that has not finished there is not 'reloaded': it resumes and evaluates
    monkeypatch.undo()
    more = run_experiment(_cfg(w_bits=4, a_bits=4, epochs=2), out_dir=out.parent / "more", progress=False)
    assert "reloaded" not in more
