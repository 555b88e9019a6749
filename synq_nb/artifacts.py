"""Finished runs shipped with the package, so that a lesson loads them instead of training them (issue 19, item 1).

The lessons that fine-tune at the reader's settings (03, 05 and 07: the W4A4 `cpu` run of seed 0; 06: its five
short ablation runs) train for minutes on a CPU. Those runs ship inside the package, in
``synq_nb/data/runs/<run folder name>.pt.xz``: the run's ``results.json`` and its checkpoint without the optimizer
state (the student's weights, the history, the run's fingerprint), xz-compressed, with the sha256 and size of each
file in ``MANIFEST.json``. When :func:`synq_nb.run_experiment` is asked for a run whose folder (``run_dir(cfg)``,
named by the settings and their hash) is empty and the package ships that run, it writes the shipped files into the
folder and reloads them as it reloads any finished run: the checkpoint's fingerprint must match the config, the
teacher's weights and the synthetic images of this execution, or the run stops with RunFolderMismatch. Nothing is
trained or evaluated; ``fresh=True`` (a lesson's ``recompute = True``) trains the run with the code instead.

    python -m synq_nb.artifacts pack RUN_FOLDER ...    # writes synq_nb/data/runs/<name>.pt.xz and the manifest
    python -m synq_nb.artifacts --check                # the manifest's sha256 and sizes against the files

Each shipped file also records the hash of its synthetic set's first batch, which a test recomputes by synthesizing
that batch alone (tests/test_artifacts.py), and the config that ``run_dir`` hashed.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import lzma
import sys
from pathlib import Path

import torch

SHIPPED = Path(__file__).resolve().parent / "data" / "runs"
MANIFEST = SHIPPED / "MANIFEST.json"
FORMAT = 1


def manifest() -> dict:
    """{run folder name: {"sha256", "bytes", "config", "first_batch"}} of the shipped runs ({} when none)."""
    return json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def shipped(name: str) -> dict | None:
    """The shipped run ``name`` (a run folder's name): {"results", "checkpoint", "first_batch"}, or None when the
    package does not ship it. A file whose sha256 or size differs from the manifest is an error, not a fallback."""
    entry = manifest().get(name)
    if entry is None:
        return None
    path = SHIPPED / f"{name}.pt.xz"
    if not path.is_file():
        raise FileNotFoundError(f"the package's manifest lists the run {name}, but {path} is missing: reinstall "
                                "synq-nb, or pass fresh=True (recompute = True in a lesson) to train the run")
    data = path.read_bytes()
    if len(data) != entry["bytes"] or _sha256(data) != entry["sha256"]:
        raise ValueError(f"{path} does not match its sha256 in {MANIFEST.name} (damaged or edited): reinstall "
                         "synq-nb, or pass fresh=True (recompute = True in a lesson) to train the run")
    doc = torch.load(io.BytesIO(lzma.decompress(data)), map_location="cpu", weights_only=False)
    if doc.get("format") != FORMAT:
        raise ValueError(f"{path} has format {doc.get('format')!r}; this synq_nb reads format {FORMAT}")
    return doc


def install(out_dir) -> bool:
    """Write the shipped run named like ``out_dir`` into it (``checkpoint.pt`` and ``results.json``) when the folder
    holds neither; True when it did. The caller reloads it as a finished run (its fingerprint is checked then)."""
    from .synthesis import _atomic_save

    out = Path(out_dir)
    if (out / "results.json").exists() or (out / "checkpoint.pt").exists():
        return False
    doc = shipped(out.name)
    if doc is None:
        return False
    out.mkdir(parents=True, exist_ok=True)
    _atomic_save(doc["checkpoint"], out / "checkpoint.pt")
    (out / "results.json").write_text(json.dumps(doc["results"], indent=2))
    print(f"loaded the finished run {out.name} shipped with synq_nb ({(SHIPPED / (out.name + '.pt.xz')).stat().st_size / 1e6:.1f} MB); "
          "fresh=True (a lesson's recompute = True) trains it instead")
    return True


def pack(run_folder, teacher=None) -> dict:
    """Write ``run_folder`` (a finished run: results.json and checkpoint.pt) into the package's shipped runs and its
    manifest entry; returns the entry. The optimizer state is left out (a shipped run is finished)."""
    from .config import SynQConfig
    from .finetune import _tensor_hash, load_checkpoint
    from .models import load_teacher
    from .pipeline import synthetic_set

    folder = Path(run_folder)
    results = json.loads((folder / "results.json").read_text())
    state = load_checkpoint(folder / "checkpoint.pt")
    cfg = SynQConfig(**results["config"])
    if state["epoch"] < cfg.epochs and not state["history"].get("stopped_early"):
        raise ValueError(f"{folder} holds an unfinished run ({state['epoch']} of {cfg.epochs} epochs): nothing to ship")
    teacher = teacher if teacher is not None else load_teacher(cfg.model, device=torch.device("cpu"))
    images = synthetic_set(cfg, teacher, progress=False)
    if _tensor_hash(images.images, images.labels) != state["fingerprint"].get("data"):
        raise ValueError(f"the synthetic set this code makes for {folder.name} is not the one the run trained on")
    checkpoint = {k: state[k] for k in ("student", "history", "epoch", "config", "fingerprint")}
    doc = dict(format=FORMAT, results=results, checkpoint=checkpoint,
               first_batch=_tensor_hash(images.images[:cfg.synth_batch], images.labels[:cfg.synth_batch]))
    buf = io.BytesIO()
    torch.save(doc, buf)
    data = lzma.compress(buf.getvalue(), preset=9 | lzma.PRESET_EXTREME)
    SHIPPED.mkdir(parents=True, exist_ok=True)
    (SHIPPED / f"{folder.name}.pt.xz").write_bytes(data)
    entry = dict(sha256=_sha256(data), bytes=len(data), config=results["config"], first_batch=doc["first_batch"])
    m = manifest()
    m[folder.name] = entry
    MANIFEST.write_text(json.dumps({k: m[k] for k in sorted(m)}, indent=2) + "\n")
    return entry


def check() -> list:
    """Problems with the shipped files: missing, or sha256/size unlike the manifest ([] when all agree)."""
    problems = []
    for name, entry in manifest().items():
        path = SHIPPED / f"{name}.pt.xz"
        if not path.is_file():
            problems.append(f"{path} is missing")
            continue
        data = path.read_bytes()
        if len(data) != entry["bytes"] or _sha256(data) != entry["sha256"]:
            problems.append(f"{path} differs from its manifest entry")
    return problems


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs="?", choices=("pack",))
    p.add_argument("folders", nargs="*")
    p.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    if args.check:
        problems = check()
        print("\n".join(problems) or f"{len(manifest())} shipped runs match the manifest")
        return 1 if problems else 0
    if args.command != "pack" or not args.folders:
        p.error("give `pack RUN_FOLDER ...` or --check")
    for f in args.folders:
        e = pack(f)
        print(f"shipped {Path(f).name}: {e['bytes'] / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
