"""Summarise a finished `mutmut run` (see `make mutants`) into results/mutation.json.

Reads mutmut's verdicts (`mutmut results --all true`) and, for every mutant not killed, its diff
(`mutmut show`). Survivors that are equivalent to the original program (no test can tell them apart) are
recognised from benchmarks/mutation_equivalent.json (module, function, the removed and the added line, and the
reason) and counted out of the score:

    score = killed / (all mutants - equivalent survivors),   a timeout counts as killed (the tests did not pass).

Run from the repository root, after `mutmut run`:  python benchmarks/mutation_report.py --out results/mutation.json
"""
from __future__ import annotations

import argparse
import collections
import datetime
import importlib.metadata
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).with_name("mutation_equivalent.json")
KILLED = {"killed", "timeout"}


def _mutmut(*args) -> str:
    exe = Path(sys.executable).with_name("mutmut")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "mutmut"]
    out = subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"mutmut {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()[-2000:]}")
    return out.stdout


def parse_results(text: str) -> dict:
    status = {}
    for line in text.splitlines():
        m = re.match(r"^\s+(\S+): (.+)$", line)
        if m:
            status[m.group(1)] = m.group(2).strip()
    if not status:
        raise SystemExit("mutmut reported no mutants: run `mutmut run` (make mutants) first")
    return status


def split_name(name: str):
    """'synq_nb.losses.x_kd_loss__mutmut_3' -> ('synq_nb.losses', 'kd_loss');
    'synq_nb.finetune.xǁSynQStepǁ__call____mutmut_2' -> ('synq_nb.finetune', 'SynQStep.__call__')."""
    base = name.rsplit("__mutmut_", 1)[0]
    module, rest = base.rsplit(".", 1)
    if rest.startswith("xǁ"):
        return module, rest[2:].replace("ǁ", ".")
    return module, rest[2:] if rest.startswith("x_") else rest


def changed_lines(diff: str):
    removed = [l[1:].strip() for l in diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    added = [l[1:].strip() for l in diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    return removed, added


def _makefile_scope() -> list:
    """The MUTANTS_SCOPE patterns of the Makefile (the functions `make mutants` mutates)."""
    text = (ROOT / "Makefile").read_text()
    m = re.search(r"^MUTANTS_SCOPE \?=((?:.*\\\n)*.*)$", text, re.M)
    return re.findall(r'"([^"]+)"', m.group(1)) if m else []


def load_equivalent() -> list:
    return json.loads(EQUIVALENT.read_text())["equivalent"] if EQUIVALENT.is_file() else []


def find_reason(module, func, removed, added, table):
    for e in table:
        if e["module"] == module and e["function"] == func and e["removed"] == " ".join(removed) \
                and e["added"] == " ".join(added):
            return e["reason"], e.get("kind", "equivalent")
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="results/mutation.json")
    ap.add_argument("--seconds", type=float, default=None, help="wall time of `mutmut run` (default: mutants/run_seconds)")
    ap.add_argument("--note", default=None, help="a note stored with the result (e.g. how the run was made)")
    args = ap.parse_args(argv)

    status = parse_results(_mutmut("results", "--all", "true"))
    table = load_equivalent()
    survivors, per_module = [], collections.defaultdict(collections.Counter)
    n_equiv = 0
    out_of_scope = collections.Counter()
    for name, st in sorted(status.items()):
        module, func = split_name(name)
        if st == "not checked":  # outside the Makefile's MUTANTS_SCOPE
            out_of_scope[f"{module}.{func}"] += 1
            continue
        per_module[module][st] += 1
        if st in KILLED:
            continue
        diff = _mutmut("show", name)
        removed, added = changed_lines(diff)
        found = find_reason(module, func, removed, added, table) if st == "survived" else None
        reason, kind = found if found else (None, None)
        n_equiv += reason is not None
        if reason is not None:
            per_module[module]["equivalent"] += 1
        survivors.append(dict(name=name, status=st, module=module, function=func, removed=removed, added=added,
                              equivalent=reason is not None, kind=kind, reason=reason))
    status = {k: v for k, v in status.items() if v != "not checked"}
    total = len(status)
    killed = sum(st in KILLED for st in status.values())
    counts = collections.Counter(status.values())
    n_equiv_cpu = sum(1 for s_ in survivors if s_["equivalent"] and s_["kind"] == "equivalent on the CPU")
    seconds = args.seconds
    timing = ROOT / "mutants" / "run_seconds"
    if seconds is None and timing.is_file():
        seconds = float(timing.read_text().strip())
    rerun = ROOT / "mutants" / "rerun_seconds"  # an incremental `mutmut run <names>` after adding tests, if any
    rerun_seconds = float(rerun.read_text().strip()) if rerun.is_file() else None
    import tomllib

    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    out = dict(
        tool="mutmut", version=importlib.metadata.version("mutmut"), command="make mutants",
        date=datetime.date.today().isoformat(),
        machine=f"{platform.machine()} CPU, {os.cpu_count()} cores (shared), OMP_NUM_THREADS=1, mutmut --max-children 2",
        run_seconds=seconds, rerun_seconds=rerun_seconds, note=args.note,
        modules=cfg["only_mutate"], scope=_makefile_scope(),
        tests=[a for a in cfg["pytest_add_cli_args_test_selection"] if a.startswith("tests/") and "::" not in a],
        deselected=[a for a in cfg["pytest_add_cli_args_test_selection"] if "::" in a],
        mutants=total, counts=dict(counts), killed=killed, equivalent=n_equiv,
        not_killed_non_equivalent=total - killed - n_equiv,
        score=round(killed / max(1, total - n_equiv), 4),
        score_raw=round(killed / max(1, total), 4),
        equivalent_on_cpu_only=n_equiv_cpu,
        score_counting_cpu_only_equivalents_as_survivors=round(killed / max(1, total - n_equiv + n_equiv_cpu), 4),
        out_of_scope_mutants=dict(sorted(out_of_scope.items())),
        per_module={m: dict(c) for m, c in sorted(per_module.items())},
        survivors=survivors,
    )
    path = ROOT / args.out
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    print(f"{total} mutants: {killed} killed, {n_equiv} equivalent, {out['not_killed_non_equivalent']} not killed; "
          f"score {100 * out['score']:.1f} % of non-equivalent mutants ({100 * out['score_raw']:.1f} % raw) -> {path}")


if __name__ == "__main__":
    main()
