"""The finished runs shipped with the package (synq_nb.artifacts, issue 19 item 1): that they are what the code
makes, that a lesson's run folder loads them without training or evaluating, and that a damaged file stops."""
from __future__ import annotations

import json

import pytest
import torch

import synq_nb.artifacts as A
from conftest import require_cifar
from synq_nb import SynQConfig, get_config, run_experiment, synthesize
from synq_nb.finetune import _tensor_hash
from synq_nb.notebooks_run import run_dir


def test_shipped_files_match_the_manifest_and_are_named_by_their_settings():
    m = A.manifest()
    assert len(m) == 6 and A.check() == []
    for name, entry in m.items():
        cfg = SynQConfig(**entry["config"])
        assert run_dir(cfg).name == name  # the folder a lesson asks for with these settings
        assert entry["bytes"] < 1_100_000  # about 1 MB each: the README states 6.1 MB in all
    lessons = {(c["w_bits"], c["use_filter"], c["use_cam"], c["use_soft_labels"], c["iters_per_epoch"])
               for c in (e["config"] for e in m.values())}
    assert (4, True, True, True, 100) in lessons  # 03, 05, 07: the W4A4 cpu run of seed 0
    assert {(3, f, c, s, 10) for f, c, s in ((0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1))} <= lessons  # 06


def test_shipped_runs_trained_on_the_synthetic_set_this_code_makes(teacher):
    """The first synthesis batch of the shipped runs' set, made now (the batches are independent: each has its own
    seeded noise), hashes as the shipped runs recorded: the artefacts are this code's output, not stale files."""
    require_cifar()
    entries = list(A.manifest().values())
    cfg = SynQConfig(**entries[0]["config"])
    assert all(SynQConfig(**e["config"]).synth_iters == cfg.synth_iters and e["config"]["seed"] == cfg.seed
               for e in entries)
    first = synthesize(teacher, cfg.synth_batch, cfg.synth_iters, cfg.synth_batch, cfg.synth_lr, cfg.alpha_bns,
                       cfg.beta_il, cfg.gamma_il, seed=cfg.seed, cache=False, progress=False)
    h = _tensor_hash(first.images, first.labels)
    assert all(e["first_batch"] == h for e in entries)


@pytest.fixture
def packed_smoke(tmp_path, teacher, monkeypatch):
    """A finished smoke run packed into a temporary shipped-runs folder (the package's own stays untouched)."""
    require_cifar()
    monkeypatch.setattr(A, "SHIPPED", tmp_path / "shipped")
    monkeypatch.setattr(A, "MANIFEST", tmp_path / "shipped" / "MANIFEST.json")
    cfg = get_config("smoke", w_bits=4, a_bits=4, epochs=1, iters_per_epoch=2, eval_limit=200, eval_every=0, device="cpu")
    made = tmp_path / "made" / run_dir(cfg).name
    first = run_experiment(cfg, out_dir=made, progress=False, teacher=teacher)
    A.pack(made, teacher=teacher)
    return cfg, first, tmp_path / "cache" / "runs" / made.name


def test_an_empty_run_folder_loads_the_shipped_run_without_training(packed_smoke, teacher, monkeypatch, capsys):
    import synq_nb.pipeline as P

    cfg, first, folder = packed_smoke
    calls = []
    monkeypatch.setattr(P, "evaluate", lambda *a, **k: calls.append("evaluate"))
    monkeypatch.setattr(P, "finetune", lambda *a, **k: calls.append("finetune"))
    again = run_experiment(cfg, out_dir=folder, progress=False, teacher=teacher)
    assert calls == [] and again["reloaded"] and "shipped with synq_nb" in capsys.readouterr().out
    assert again["final_top1"] == first["final_top1"] and again["history"] == first["history"]
    x = torch.randn(4, 3, 32, 32)
    assert torch.equal(again["student"](x), first["student"](x))
    assert "optimizer" not in torch.load(folder / "checkpoint.pt", weights_only=False)
    # recompute (fresh=True) trains it with the code instead, and gets the same run
    monkeypatch.undo()
    fresh = run_experiment(cfg, out_dir=folder, progress=False, teacher=teacher, fresh=True)
    assert "reloaded" not in fresh and fresh["final_top1"] == first["final_top1"]


def test_a_damaged_shipped_file_stops_with_a_clear_message(packed_smoke, teacher):
    cfg, _, folder = packed_smoke
    path = A.SHIPPED / f"{folder.name}.pt.xz"
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    assert A.check() == [f"{path} differs from its manifest entry"]
    with pytest.raises(ValueError, match="does not match its sha256.*recompute = True"):
        run_experiment(cfg, out_dir=folder, progress=False, teacher=teacher)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="is missing: reinstall synq-nb"):
        run_experiment(cfg, out_dir=folder, progress=False, teacher=teacher)


def test_pack_refuses_an_unfinished_run(packed_smoke, tmp_path):
    cfg, _, _ = packed_smoke
    made = tmp_path / "made" / run_dir(cfg).name
    state = torch.load(made / "checkpoint.pt", weights_only=False)
    state["epoch"] = 0
    torch.save(state, made / "checkpoint.pt")
    with pytest.raises(ValueError, match="unfinished run"):
        A.pack(made)
    assert json.loads(A.MANIFEST.read_text())  # the earlier entry is still there
