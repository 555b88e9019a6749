"""The student edition of the course (issue 19): every notebook with its exercises kept, its worked solutions
removed and all outputs cleared.

    python -m synq_nb.student --out outputs/student      # what `make student` runs

The rule, read from the notebooks' content (the lessons write every exercise the same way: an ``### Exercise N · ...``
heading, then a markdown cell ``<details><summary>Solution N</summary> ... </details>``, then the code cell that runs
the solution):

* a markdown cell that starts with ``<details><summary>Solution N</summary>`` and ends with ``</details>`` is a
  worked solution: removed;
* the code cells right after it (up to the next markdown cell) are that solution's code: removed, and replaced by
  one empty code cell ``# Your solution to exercise N here``;
* every other cell is kept as it is; code cells lose their outputs and execution counts, every cell the records of
  the run that executed it (``execution`` / ``papermill`` metadata), the notebook its saved widget state;
* after the ``## Exercises`` heading, a short note says that this copy has no solutions.

Where that rule could guess, it stops instead with :class:`UnclassifiedCell`, naming the notebook and the cell: a
``<details>`` block that is not a whole "Solution N" cell, a Solution cell that does not follow the heading of
exercise N, a code cell after a Solution cell that is not tagged ``solution`` (the committed solution cells carry
that tag; a code cell without it could be the lesson's), or a code cell tagged ``solution`` anywhere else.
"""
from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
from pathlib import Path

import nbformat

EXERCISE = re.compile(r"###\s+Exercise\s+(\d+)\b")
SOLUTION = re.compile(r"<details>\s*<summary>\s*Solution\s+(\d+)\s*</summary>")
RUN_RECORDS = ("execution", "papermill", "collapsed", "scrolled")  # cell metadata written by executing it
NOTEBOOK_RUN_RECORDS = ("widgets", "papermill")                    # notebook metadata written by executing it
NOTE = ("**Student edition.** The worked solutions are not in this copy: write your answer in the empty code cell "
        "under each exercise.")


class UnclassifiedCell(ValueError):
    """A cell the student-edition rule cannot classify as solution or lesson."""


def placeholder(n: int):
    """The empty code cell that takes the place of exercise ``n``'s solution code."""
    return nbformat.v4.new_code_cell(f"# Your solution to exercise {n} here", id=f"student-exercise-{n}")


def _is_solution_tagged(cell) -> bool:
    return "solution" in cell.get("metadata", {}).get("tags", [])


def _cleared(cell):
    cell = copy.deepcopy(cell)
    for key in RUN_RECORDS:
        cell.metadata.pop(key, None)
    if cell.cell_type == "code":
        cell.outputs, cell.execution_count = [], None
    return cell


def student_edition(nb, name: str = "notebook"):
    """The student edition of ``nb`` (an nbformat v4 notebook; ``nb`` is not changed). ``name`` is used in errors."""
    out = copy.deepcopy(nb)
    for key in NOTEBOOK_RUN_RECORDS:
        out.metadata.pop(key, None)
    cells, exercise, solution = [], None, None  # solution: the N of the Solution cell just passed (code may follow)

    def fail(i, why):
        raise UnclassifiedCell(f"{name}, cell {i} ({nb.cells[i].cell_type}, id {nb.cells[i].get('id')}): {why}. "
                               "The student edition cannot tell whether it is a solution (synq_nb/student.py).")

    for i, cell in enumerate(nb.cells):
        src = cell.source.strip()
        if cell.cell_type == "code":
            if solution is not None:
                if not _is_solution_tagged(cell):
                    fail(i, f"a code cell right after Solution {solution} that is not tagged 'solution'")
                continue  # the solution's code: its placeholder is already in
            if _is_solution_tagged(cell):
                fail(i, "a code cell tagged 'solution' that does not follow a '<details><summary>Solution N' cell")
            cells.append(_cleared(cell))
            continue
        solution = None
        if cell.cell_type == "markdown" and (m := EXERCISE.match(src)):
            exercise = int(m.group(1))
        if "<details" in src or "</details>" in src:
            m = SOLUTION.match(src)
            if not m or not src.endswith("</details>") or src.count("<details") != 1:
                fail(i, "a <details> block that is not one whole '<details><summary>Solution N</summary> ... "
                        "</details>' cell")
            solution = int(m.group(1))
            if solution != exercise:
                fail(i, f"Solution {solution} does not follow the heading '### Exercise {solution}' "
                        f"(the last exercise heading above it: {exercise})")
            if i + 1 < len(nb.cells) and nb.cells[i + 1].cell_type == "code":
                cells.append(placeholder(solution))
            continue
        cells.append(_cleared(cell))
        if cell.cell_type == "markdown" and src.startswith("## Exercises"):
            cells.append(nbformat.v4.new_markdown_cell(NOTE, id="student-edition-note"))
    ids = [c.get("id") for c in cells]
    if len(set(ids)) != len(ids):
        raise UnclassifiedCell(f"{name}: a cell id of the student edition is taken twice ({ids})")
    out.cells = cells
    nbformat.validate(out)
    return out


def write_student_edition(out_dir, notebook_paths=None) -> list:
    """Write the student edition of every notebook (default: ``notebooks/NN_*.ipynb``) into ``out_dir``, with the
    glossary beside them (the notebooks link to it); returns the written paths. Every notebook is checked before
    anything is written."""
    from .notebooks_run import NOTEBOOK_DIR, notebooks

    paths = [Path(p) for p in (notebook_paths if notebook_paths is not None else notebooks())]
    editions = [(p.name, student_edition(nbformat.read(p, as_version=4), p.name)) for p in paths]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, nb in editions:
        nbformat.write(nb, out_dir / filename)
        written.append(out_dir / filename)
    glossary = NOTEBOOK_DIR / "GLOSSARY.md"
    if glossary.is_file():
        shutil.copyfile(glossary, out_dir / glossary.name)
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m synq_nb.student",
                                description="Write the student edition of the notebooks (solutions removed, "
                                            "exercises kept, outputs cleared).")
    p.add_argument("--out", default="outputs/student", help="output folder (default: outputs/student)")
    args = p.parse_args(argv)
    try:
        written = write_student_edition(args.out)
    except UnclassifiedCell as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"student edition: {len(written)} notebooks in {args.out}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
