"""The student edition (issue 19): ``make student`` writes every notebook with its exercises kept, its worked
solutions removed and its outputs cleared (``synq_nb/student.py``); a cell the rule cannot classify stops it with an
error; the teachers' page of the book reads its times from the measured files. Fast: nothing is executed.

The checks on the real notebooks recognise solutions on their own terms (the ``solution`` tag of a code cell, a
markdown cell that opens a ``<details><summary>Solution`` block), not with the module's rule, so that a rule that
misses a solution or drops a lesson cell fails here.
"""
from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from synq_nb.notebooks_run import notebooks
from synq_nb.student import UnclassifiedCell, main, student_edition, write_student_edition

REPO = Path(__file__).resolve().parents[1]
RUN_RECORDS = ("execution", "papermill", "collapsed", "scrolled")
EXERCISE_HEADING = re.compile(r"^### Exercise (\d+) ·", re.M)
SOLUTION_OPENING = "<details><summary>Solution"
NAMES = [p.name for p in notebooks()]


def _is_solution(cell) -> bool:
    return ("solution" in cell.metadata.get("tags", []) if cell.cell_type == "code"
            else cell.source.lstrip().startswith(SOLUTION_OPENING))


def _added(cell) -> bool:
    """A cell the student edition adds (placeholder or note): its id starts with 'student-'."""
    return str(cell.get("id", "")).startswith("student-")


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    """{file name: (the notebook, its student edition as written and read back)}."""
    out = tmp_path_factory.mktemp("student")
    written = write_student_edition(out)
    assert sorted(p.name for p in written) == sorted(NAMES) and len(NAMES) == 8
    return {p.name: (nbformat.read(p, as_version=4), nbformat.read(out / p.name, as_version=4)) for p in notebooks()}


def test_every_notebook_has_exercises_and_solutions_to_remove(edition):
    """The checks below are not vacuous: every notebook has exercises, solution texts and solution code."""
    for name, (nb, _) in edition.items():
        text = [c for c in nb.cells if c.cell_type == "markdown" and _is_solution(c)]
        code = [c for c in nb.cells if c.cell_type == "code" and _is_solution(c)]
        assert len(text) >= 3 and len(code) >= 3, name
        assert len(EXERCISE_HEADING.findall("\n".join(c.source for c in nb.cells))) >= 3, name


def _distinctive_lines(nb) -> list:
    """Lines of the solutions (text and code) that no other cell of the notebook has."""
    kept = {line.strip() for c in nb.cells if not _is_solution(c) for line in c.source.splitlines()}
    return [line.strip() for c in nb.cells if _is_solution(c) for line in c.source.splitlines()
            if len(line.strip()) >= 12 and line.strip() not in kept and "</details>" not in line]


@pytest.mark.parametrize("name", NAMES)
def test_no_solution_survives(edition, name):
    nb, st = edition[name]
    text = "\n".join(c.source for c in st.cells)
    assert SOLUTION_OPENING not in text and "<details" not in text
    assert not [c for c in st.cells if "solution" in c.metadata.get("tags", [])]
    lines = _distinctive_lines(nb)
    assert len(lines) >= 10, f"{name}: too few distinctive solution lines for the check to mean anything"
    student_lines = {line.strip() for c in st.cells for line in c.source.splitlines()}
    survived = [line for line in lines if line in student_lines]
    assert not survived, f"{name}: solution lines in the student edition: {survived[:5]}"


@pytest.mark.parametrize("name", NAMES)
def test_every_exercise_survives_with_a_place_to_write(edition, name):
    nb, st = edition[name]
    headings = EXERCISE_HEADING.findall("\n".join(c.source for c in nb.cells))
    assert EXERCISE_HEADING.findall("\n".join(c.source for c in st.cells)) == headings
    # each exercise whose solution had code gets one empty code cell, after its heading, before the next one
    with_code = [n for n in headings if any(
        c.cell_type == "markdown" and c.source.startswith(f"{SOLUTION_OPENING} {n}</summary>")
        and i + 1 < len(nb.cells) and _is_solution(nb.cells[i + 1]) for i, c in enumerate(nb.cells))]
    assert with_code, name
    current, placed = None, []
    for c in st.cells:
        if c.cell_type == "markdown" and (m := EXERCISE_HEADING.match(c.source)):
            current = m.group(1)
        if c.cell_type == "code" and _added(c):
            assert c.source == f"# Your solution to exercise {current} here", c.source
            placed.append(current)
    assert placed == with_code


@pytest.mark.parametrize("name", NAMES)
def test_every_other_cell_is_kept_unchanged_in_order(edition, name):
    nb, st = edition[name]

    def key(c):
        meta = {k: v for k, v in c.metadata.items() if k not in RUN_RECORDS}
        return c.cell_type, c.get("id"), c.source, json.dumps(meta, sort_keys=True)

    expected = [key(c) for c in nb.cells if not _is_solution(c)]
    assert [key(c) for c in st.cells if not _added(c)] == expected
    added_md = [c for c in st.cells if _added(c) and c.cell_type == "markdown"]
    assert len(added_md) == 1 and "Student edition" in added_md[0].source  # the one note, under "## Exercises"
    assert st.cells[st.cells.index(added_md[0]) - 1].source.startswith("## Exercises")


@pytest.mark.parametrize("name", NAMES)
def test_outputs_cleared_and_valid(edition, name, tmp_path):
    nb, st = edition[name]
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "the committed notebook has outputs"
    for c in st.cells:
        assert not set(RUN_RECORDS) & set(c.metadata), c.metadata
        if c.cell_type == "code":
            assert c.outputs == [] and c.execution_count is None
    assert "widgets" not in st.metadata and "papermill" not in st.metadata
    assert st.metadata.get("kernelspec") == nb.metadata.get("kernelspec")
    nbformat.validate(st)
    path = tmp_path / name
    nbformat.write(st, path)
    nbformat.validate(nbformat.read(path, as_version=nbformat.NO_CONVERT))


def _solution_only_names(nb) -> set:
    """Names that a kept code cell reads and that only a removed solution cell defines (a NameError when the
    student edition runs: the summary would need the solution)."""
    defined, from_solutions, missing = set(), set(), set()
    for c in nb.cells:
        if c.cell_type != "code":
            continue
        tree = ast.parse("\n".join(line for line in c.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
        stores = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        stores |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        stores |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                   if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        if _is_solution(c):
            from_solutions |= stores - defined
        else:
            first_store = {}
            for n in ast.walk(tree):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    first_store[n.id] = min(first_store.get(n.id, n.lineno), n.lineno)
            # a load counts unless the same cell assigned the name on an earlier line
            loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
                     and not first_store.get(n.id, n.lineno) < n.lineno}
            missing |= (loads & from_solutions) - defined
            defined |= stores
    return missing


@pytest.mark.parametrize("name", NAMES)
def test_kept_code_needs_nothing_from_a_removed_solution(name):
    """The student edition runs top to bottom: no kept cell reads a name that only a removed solution defines."""
    nb = nbformat.read(REPO / "notebooks" / name, as_version=4)
    assert not _solution_only_names(nb), f"{name}: kept cells read {sorted(_solution_only_names(nb))}"


# ----------------------------------------------------------------------- cells the rule cannot classify
def _nb(*cells):
    nb = nbformat.v4.new_notebook()
    for i, (kind, source, tags) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, id=f"c{i}", metadata={"tags": tags}))
    return nb


EX = ("markdown", "### Exercise 1 · Something\n\nDo it.", [])
SOL = ("markdown", "<details><summary>Solution 1</summary>\n\nThe answer.\n</details>", [])
SOL_CODE = ("code", "answer = 42", ["solution", "hide-input"])


def test_rule_on_a_small_notebook():
    nb = _nb(("markdown", "## Exercises", []), EX, ("code", "starter = 1", []), SOL, SOL_CODE,
             ("markdown", "## Summary", []), ("code", "print(starter)", []))
    st = student_edition(nb, "tiny.ipynb")
    assert [(c.cell_type, c.source.split("\n")[0]) for c in st.cells] == [
        ("markdown", "## Exercises"), ("markdown", st.cells[1].source), ("markdown", "### Exercise 1 · Something"),
        ("code", "starter = 1"), ("code", "# Your solution to exercise 1 here"), ("markdown", "## Summary"),
        ("code", "print(starter)")]
    assert "Student edition" in st.cells[1].source
    assert len(nb.cells) == 7  # the input is not changed


@pytest.mark.parametrize("cells,why", [
    ((EX, SOL, ("code", "answer = 42", [])), "not tagged 'solution'"),
    ((EX, ("code", "answer = 42", ["solution"])), "tagged 'solution' that does not follow"),
    ((EX, ("markdown", "<details><summary>Hint</summary>\n\nLook up.\n</details>", [])), "<details> block"),
    ((EX, ("markdown", "<details><summary>Solution 1</summary>\n\nOpen ended", [])), "<details> block"),
    ((EX, ("markdown", "Some text.\n<details><summary>Solution 1</summary>x</details>", [])), "<details> block"),
    ((("markdown", "### Exercise 2 · Other", []), SOL, SOL_CODE), "does not follow the heading '### Exercise 1'"),
])
def test_an_unclassifiable_cell_stops_with_a_clear_error(cells, why):
    nb = _nb(*cells)
    with pytest.raises(UnclassifiedCell) as e:
        student_edition(nb, "99_example.ipynb")
    msg = str(e.value)
    assert "99_example.ipynb" in msg and why in msg, msg
    assert re.search(r"cell \d+ \((code|markdown), id c\d+\)", msg), msg


def test_the_command_fails_loudly_and_writes_nothing(tmp_path, capsys, monkeypatch):
    good = tmp_path / "00_good.ipynb"
    bad = tmp_path / "01_bad.ipynb"
    nbformat.write(_nb(EX, SOL, SOL_CODE), good)
    nbformat.write(_nb(EX, SOL, ("code", "answer = 42", [])), bad)
    out = tmp_path / "out"
    with pytest.raises(UnclassifiedCell, match="01_bad.ipynb, cell 2"):
        write_student_edition(out, [good, bad])
    assert not out.exists()  # every notebook is checked before anything is written
    monkeypatch.setattr("synq_nb.student.write_student_edition", lambda d: write_student_edition(d, [good, bad]))
    assert main(["--out", str(out)]) == 1
    assert "error: 01_bad.ipynb, cell 2" in capsys.readouterr().err


# ----------------------------------------------------------------------- make student, as the README says
def _readme_make_student() -> list:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), flags=re.S)
    cmds = [shlex.split(line, comments=True) for b in blocks for line in b.replace("\\\n", " ").splitlines()]
    found = [c for c in cmds if c[:2] == ["make", "student"]]
    assert found, "README.md has no `make student` in a ```bash block"
    return found[0]


def test_make_student_as_in_the_readme_runs_from_a_clean_state(tmp_path):
    """The README's ``make student`` in a fresh copy of the checkout (tracked files and new, not ignored ones; no
    outputs/), with a .venv whose entries link to this test's environment and whose install stamp is fresh (so
    make installs nothing)."""
    if shutil.which("make") is None or shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs make and a git checkout")
    cmd = _readme_make_student()
    repo = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for f in filter(None, listed):
        if (REPO / f).is_file():
            (repo / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, repo / f)
    assert not (repo / "outputs").exists()
    venv = repo / ".venv"
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():
        if entry.name != ".installed":
            (venv / entry.name).symlink_to(entry)
    (venv / ".installed").touch()  # newer than pyproject.toml: the $(STAMP) prerequisite is met, nothing installed
    env = {k: v for k, v in os.environ.items() if k not in ("PYTEST_CURRENT_TEST", "MAKEFLAGS", "MFLAGS")}
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"{shlex.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}"
    assert "pip install" not in proc.stdout, "make reinstalled the package: the stamp was not fresh"
    out = repo / "outputs" / "student"
    assert sorted(p.name for p in out.glob("*.ipynb")) == sorted(NAMES)
    assert (out / "GLOSSARY.md").is_file()  # 00 and 01 link to it
    for p in out.glob("*.ipynb"):
        nb = nbformat.read(p, as_version=4)
        nbformat.validate(nb)
        assert SOLUTION_OPENING not in "\n".join(c.source for c in nb.cells)


# ----------------------------------------------------------------------- the teachers' page
def _page_ext():
    sys.path.insert(0, str(REPO / "book" / "_ext"))
    try:
        import notebook_times
    finally:
        sys.path.remove(str(REPO / "book" / "_ext"))
    return notebook_times


def test_teachers_page_is_in_the_book_and_reads_the_measured_times():
    import yaml

    from synq_nb.readings.lesson00 import duration

    toc = yaml.safe_load((REPO / "book" / "_toc.yml").read_text())
    assert "teachers" in [ch["file"] for part in toc["parts"] for ch in part["chapters"]]
    config = yaml.safe_load((REPO / "book" / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"]["notebook_times"] == "_ext"
    page = (REPO / "book" / "teachers.md").read_text()
    assert "make student" in page and "```{notebook-times}" in page and "```{slow-cells}" in page
    assert "idle 2-core CPU" in page and "**Cold**" in page and "**warm**" in page
    assert not re.search(r"\d+(\.\d+)? ?(s|min)\b", page), "times on the page come from the directives, not by hand"

    ext = _page_ext()
    data = json.loads((REPO / "results" / "notebook_times.json").read_text())
    md = ext.times_markdown(data)
    rows = [line for line in md.splitlines() if line.startswith("| 0")]
    assert len(rows) == 8
    for stem, entry in data["notebooks"].items():
        row = next(r for r in rows if r.startswith(f"| {stem[:2]} "))
        assert f"| {duration(entry['warm_s'])} |" in row, row
        assert " → ".join(f"{v:g}" for v in entry["warm_load_1min"]) in row, row
    measured = {stem[:2] for stem in data["notebooks"]}
    assert all("| not measured yet | not measured yet |" in r for r in rows if r[2:4] not in measured)
    assert data["machine"] in md
    assert "not measured in this checkout" in ext.times_markdown(None).lower()


def test_slow_cells_come_from_the_recorded_durations(tmp_path):
    nb = _nb(("markdown", "## Fine-tuning | run", []), ("code", "slow()", []), ("code", "fast()", []))
    nb.cells[1].metadata["papermill"] = {"duration": 125.4}
    nb.cells[1].execution_count = 7
    nb.cells[2].metadata["papermill"] = {"duration": 3.0}
    nb.metadata["papermill"] = {"end_time": "2026-12-05T14:40:48+00:00"}
    path = tmp_path / "05_x.ipynb"
    nbformat.write(nb, path)
    md = _page_ext().slow_cells_markdown([path])
    assert md.splitlines()[2:] == ["| 05_x | [7] | Fine-tuning \\| run | 125 | 2026-12-05 |"]
    assert "No cell" in _page_ext().slow_cells_markdown([path], min_s=1000)
