"""The README's commands work as written, on a clean checkout (issue 13): the README cannot drift.

What runs. Every fenced ```bash block of README.md is read; backslash-continued lines are joined and
``# comments`` dropped. A line is run when its program (after any leading ``VAR=value`` assignments) is

* ``papermill`` or ``.venv/bin/papermill``,
* ``python -m synq_nb...`` or ``.venv/bin/python -m synq_nb...`` (the CLI and the notebook runner),
* ``mkdir`` or ``export`` (set-up steps of the same block, run before the commands after them).

Everything else is left out by this rule: ``make ...`` (``make demo`` / ``make notebooks`` run the cpu preset
or all eight notebooks at reader settings; ``make test`` is the suite itself), ``python benchmarks/...``
(hours of benchmark runs), ``torchrun`` (the distributed section tests its own commands), and any block placed
right after an HTML comment ``<!-- test_readme: skip -->`` (with the reason in the comment).

Substitutions, so that a long run is made at smoke size (the only changes to a command):

* ``--preset cpu`` / ``--preset cpu-plus`` / ``--preset paper`` -> ``--preset smoke``, and
  ``-p preset cpu|cpu-plus|paper`` -> ``-p preset smoke``;
* ``python -m synq_nb.notebooks_run`` without ``--smoke`` and without a ``preset`` parameter gets ``--smoke``.

Where. A fresh copy of the git-tracked files in a temporary folder (no ``outputs/``, ``runs/`` or cache:
the state of a fresh clone), with ``.venv`` linked to this test's Python environment and ``../shared/data``
beside it linked to ``$SYNQ_DATA_DIR`` and ``$SYNQ_WEIGHTS_DIR`` (so the README's offline paths work as
written), a fresh ``SYNQ_CACHE_DIR`` shared by the commands in README order (as one user's cache would be),
``SYNQ_SMOKE`` unset and ``OMP_NUM_THREADS=1`` unless set. Each command must exit 0; an executed notebook
must hold no error output; a sweep must write its table.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
SKIP_MARK = "<!-- test_readme: skip"
LONG_PRESETS = ("cpu", "cpu-plus", "paper")


def bash_blocks(text: str) -> list:
    """The ```bash blocks of a markdown text, without those right after a ``<!-- test_readme: skip`` comment."""
    blocks = []
    for m in re.finditer(r"```bash\n(.*?)```", text, flags=re.S):
        before = text[:m.start()].rstrip().splitlines()
        if before and before[-1].strip().startswith(SKIP_MARK):
            continue
        blocks.append(m.group(1))
    return blocks


def commands(block: str) -> list:
    """The shell commands of a block: continuation lines joined, comments dropped, as token lists."""
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        if tokens:
            out.append(tokens)
    return out


def _program(tokens: list) -> tuple:
    """(leading VAR=value assignments, the rest)."""
    i = 0
    while i < len(tokens) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tokens[i]):
        i += 1
    return tokens[:i], tokens[i:]


def kind(tokens: list) -> str | None:
    """'setup' (mkdir, export), 'papermill', 'synq_nb' (python -m synq_nb...), or None (not run)."""
    _, rest = _program(tokens)
    if not rest:
        return None
    prog = rest[0]
    if prog in ("mkdir", "export"):
        return "setup"
    if prog in ("papermill", ".venv/bin/papermill"):
        return "papermill"
    if prog in ("python", "python3", ".venv/bin/python") and len(rest) > 2 and rest[1] == "-m" \
            and (rest[2] == "synq_nb" or rest[2].startswith("synq_nb.")):
        return "synq_nb"
    return None


def substitute(tokens: list) -> list:
    """The documented smoke-size substitutions (module docstring)."""
    t = list(tokens)
    for i in range(len(t) - 1):
        if t[i] == "--preset" and t[i + 1] in LONG_PRESETS:
            t[i + 1] = "smoke"
        if i + 2 < len(t) and t[i] == "-p" and t[i + 1] == "preset" and t[i + 2] in LONG_PRESETS:
            t[i + 2] = "smoke"
    _, rest = _program(t)
    if kind(t) == "synq_nb" and rest[2] == "synq_nb.notebooks_run" and "--smoke" not in t \
            and not any("preset" in x for x in t):  # -p preset ..., -y "preset: ..."
        t.append("--smoke")
    return t


def readme_commands(text: str) -> list:
    """[(setup lines before it in its block, command tokens after substitution)] for every command that runs."""
    found = []
    for block in bash_blocks(text):
        setup = []
        for tokens in commands(block):
            k = kind(tokens)
            if k == "setup":
                setup.append(tokens)
            elif k is not None:
                found.append((list(setup), substitute(tokens)))
    return found


# ----------------------------------------------------------------------- the rules themselves (fast)
SAMPLE = """
```bash
make demo   # not run
export A=1 B=2   # kept
mkdir -p outputs
.venv/bin/papermill nb.ipynb outputs/x.ipynb \\
    -p preset cpu -y "seeds: [0, 1]"   # comment
OMP_NUM_THREADS=1 python -m synq_nb run --preset cpu --out runs/x
python -m synq_nb run --preset cpu-plus --w-bits 3 --a-bits 3 --out runs/y
python benchmarks/grid.py --jobs 2
torchrun --nproc-per-node 2 -m synq_nb run --preset cpu
python -m synq_nb.notebooks_run --only 07 --out outputs/nb
```

<!-- test_readme: skip (needs two GPUs) -->
```bash
python -m synq_nb run --device cuda
```
"""


def test_rules_select_and_substitute_as_documented():
    found = readme_commands(SAMPLE)
    cmds = [shlex.join(c) for _, c in found]
    assert cmds == [
        ".venv/bin/papermill nb.ipynb outputs/x.ipynb -p preset smoke -y 'seeds: [0, 1]'",
        "OMP_NUM_THREADS=1 python -m synq_nb run --preset smoke --out runs/x",
        "python -m synq_nb run --preset smoke --w-bits 3 --a-bits 3 --out runs/y",
        "python -m synq_nb.notebooks_run --only 07 --out outputs/nb --smoke",
    ]
    assert [shlex.join(s) for s in found[0][0]] == ["export A=1 B=2", "mkdir -p outputs"]


def test_readme_has_the_commands_users_copy():
    """The parser finds the README's reproduction commands (so the test below cannot pass by finding nothing)."""
    cmds = [shlex.join(c) for _, c in readme_commands(README.read_text())]
    assert any(c.startswith(".venv/bin/papermill notebooks/07_reproduce.ipynb") for c in cmds), cmds
    assert any(" -m synq_nb run " in f" {c} " for c in cmds), cmds
    assert any("--sweep" in c for c in cmds), "the README documents a sweep"


# ----------------------------------------------------------------------- running them (smoke size)
COMMANDS = readme_commands(README.read_text())


@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A fresh copy of the tracked files, with ../shared/data and .venv linked, and a fresh cache."""
    data, weights = os.environ.get("SYNQ_DATA_DIR"), os.environ.get("SYNQ_WEIGHTS_DIR")
    if not (data and (Path(data) / "cifar10" / "test.npz").is_file() and weights and Path(weights).is_dir()):
        pytest.skip("set SYNQ_DATA_DIR (cifar10/test.npz) and SYNQ_WEIGHTS_DIR to run the README's commands")
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout (the copy holds the tracked files)")
    root = tmp_path_factory.mktemp("readme")
    repo = root / "checkout"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.decode().split("\0")
    for f in filter(None, files):
        src = REPO / f
        if src.is_file():
            (repo / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / f)
    (repo / ".venv").symlink_to(Path(sys.prefix))
    shared = root / "shared" / "data"
    shared.mkdir(parents=True)
    for entry in Path(data).iterdir():
        if entry.name != "weights":
            (shared / entry.name).symlink_to(entry.resolve())
    (shared / "weights").symlink_to(Path(weights).resolve())
    env = {k: v for k, v in os.environ.items() if k not in ("SYNQ_SMOKE", "PYTEST_CURRENT_TEST")}
    env.update(SYNQ_CACHE_DIR=str(root / "cache"), PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               SYNQ_DATA_DIR=str(Path(data).resolve()), SYNQ_WEIGHTS_DIR=str(Path(weights).resolve()))
    env.setdefault("OMP_NUM_THREADS", "1")
    assert not (repo / "outputs").exists() and not (repo / "runs").exists()
    return repo, env


@pytest.mark.parametrize("setup,tokens", COMMANDS, ids=[shlex.join(c)[:70] for _, c in COMMANDS])
def test_readme_command_runs_as_written(checkout, setup, tokens):
    import nbformat

    repo, env = checkout
    script = "set -e\n" + "".join(shlex.join(s) + "\n" for s in setup) + shlex.join(tokens) + "\n"
    proc = subprocess.run(["bash", "-c", script], cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    tail = (proc.stdout + proc.stderr)[-3000:]
    assert proc.returncode == 0, f"README command failed ({proc.returncode}):\n{shlex.join(tokens)}\n{tail}"
    _, rest = _program(tokens)
    outputs = []
    if kind(tokens) == "papermill":
        outputs.append(repo / [t for t in rest[1:] if not t.startswith("-")][1])
    if "--out" in rest and rest[rest.index("--out") + 1].endswith(".ipynb"):
        outputs.append(repo / rest[rest.index("--out") + 1])
    for nb_path in outputs:
        nb = nbformat.read(nb_path, as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{nb_path.name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    if "--sweep" in rest:
        from synq_nb.notebooks_run import parse_sweep

        sweep = repo / rest[rest.index("--out") + 1]
        table = (sweep / "sweep.md").read_text()
        assert (sweep / "sweep.png").is_file() and "FAILED" not in table, table
        points = parse_sweep([rest[i + 1] for i, t in enumerate(rest) if t == "--sweep"])
        rows = json.loads((sweep / "sweep.json").read_text())["rows"]
        assert len(rows) == len(points) and all(r["status"] == "ok" for r in rows)  # one executed notebook per setting
        assert all((sweep / f"{r['run']}.ipynb").is_file() and (sweep / r["run"] / "summary.json").is_file() for r in rows)
