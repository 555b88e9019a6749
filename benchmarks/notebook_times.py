"""Time each notebook at the reader's settings and record it in results/notebook_times.json (the course map in
notebook 00 and the README read it).

    python benchmarks/notebook_times.py --state warm [--only 02 04] [--inplace]
    python benchmarks/notebook_times.py --state cold --only 02

``warm``: with the cache as it is (synthetic sets and runs made earlier are loaded). ``cold``: with an empty cache
(a fresh temporary ``SYNQ_CACHE_DIR``), as on a first run. ``--inplace`` writes the executed notebook over the
committed one (as ``python -m synq_nb.notebooks_run --inplace``). Each entry records the 1-minute load average
before and after, so a time measured on a busy machine shows it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from synq_nb.notebooks_run import execute, notebooks

OUT = Path(__file__).resolve().parent.parent / "results" / "notebook_times.json"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state", choices=("warm", "cold"), required=True)
    p.add_argument("--only", nargs="*", default=None)
    p.add_argument("--inplace", action="store_true")
    p.add_argument("--timeout", type=int, default=7200)
    p.add_argument("--out", default=str(OUT))
    args = p.parse_args(argv)
    out = Path(args.out)
    data = json.loads(out.read_text()) if out.is_file() else {"notebooks": {}}
    import torch

    data["machine"] = f"{platform.machine()} CPU, {os.cpu_count()} cores, torch {torch.__version__}, no GPU" \
        if not torch.cuda.is_available() else torch.cuda.get_device_name(0)
    failed = 0
    for path in notebooks(args.only):
        cold_cache = tempfile.mkdtemp(prefix="synq_cold_") if args.state == "cold" else None
        old = os.environ.get("SYNQ_CACHE_DIR")
        if cold_cache:
            os.environ["SYNQ_CACHE_DIR"] = cold_cache
        tmp = Path(tempfile.mkdtemp(prefix="synq_nbt_")) / path.name
        load_before = os.getloadavg()[0]
        try:
            sec = execute(path, tmp, timeout=args.timeout)
        except Exception as e:  # report and go on
            print(f"FAILED {path.name}: {type(e).__name__}: {str(e).splitlines()[-1:]}", flush=True)
            failed += 1
            continue
        finally:
            if cold_cache:
                shutil.rmtree(cold_cache, ignore_errors=True)
                if old is None:
                    os.environ.pop("SYNQ_CACHE_DIR", None)
                else:
                    os.environ["SYNQ_CACHE_DIR"] = old
        if args.inplace:
            shutil.copyfile(tmp, path)
        entry = data["notebooks"].setdefault(path.stem, {})
        entry[f"{args.state}_s"] = round(sec, 1)
        entry[f"{args.state}_date"] = time.strftime("%Y-%m-%d")
        entry[f"{args.state}_load_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        data["command"] = "python benchmarks/notebook_times.py --state warm|cold [--only NN] [--inplace]"
        out.write_text(json.dumps(data, indent=2) + "\n")
        print(f"{path.name}: {args.state} {sec:.0f} s (load {load_before:.1f} -> {os.getloadavg()[0]:.1f})", flush=True)
    if out.resolve() == OUT.resolve():  # the times ship with the package (synq_nb.bundle): keep the copy current
        from synq_nb import bundle

        print(f"rebuilt {bundle.write()}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
