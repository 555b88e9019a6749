"""Every notebook is a lesson (issue 9): the shape of TEACHING.md, a prose floor, 3-5 exercises with worked
solutions whose code runs (it runs with the rest of the notebook in tests/test_notebooks.py), a summary and
references with links. These are static checks of the committed notebooks."""
from __future__ import annotations

import re

import nbformat
import pytest

from synq_nb.notebooks_run import notebooks

NOTEBOOKS = notebooks()
MIN_WORDS = 1500


def prose_words(nb) -> int:
    """Words of prose in the markdown cells: fenced code, display and inline equations ($$...$$, $...$),
    code spans, HTML tags, link targets and table rules are not counted; a word must contain a letter."""
    n = 0
    for c in nb.cells:
        if c.cell_type != "markdown":
            continue
        t = c.source
        t = re.sub(r"```.*?```", " ", t, flags=re.S)
        t = re.sub(r"\$\$.*?\$\$", " ", t, flags=re.S)
        t = re.sub(r"\$[^$\n]+\$", " ", t)
        t = re.sub(r"`[^`\n]*`", " ", t)
        t = re.sub(r"<[^>\n]+>", " ", t)
        t = re.sub(r"\]\([^)\s]*\)", "] ", t)
        n += sum(1 for w in t.split() if re.search(r"[A-Za-z]", w))
    return n


def _md(nb):
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def _sections(nb):
    return [line[3:].strip() for s in _md(nb) for line in s.splitlines() if line.startswith("## ")]


def test_prose_counter_ignores_code_and_equations():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Two words $x = a + b$ `code span` [a link](http://x.org/a)"),
        nbformat.v4.new_markdown_cell("```python\nprint('not prose at all')\n```\n$$\n\\sum_i x_i\n$$\n<details>"),
        nbformat.v4.new_code_cell("# many words in a code cell do not count at all"),
    ])
    assert prose_words(nb) == 4  # Two, words, a, link


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_is_a_lesson(path):
    nb = nbformat.read(path, as_version=4)
    md = _md(nb)
    first = md[0]
    assert first.startswith(f"# {path.name[:2]} "), f"{path.name}: title '# NN · ...' first"
    assert "What you will learn" in first and "Before you start" in first, \
        f"{path.name}: the opening cell says what you will learn and what you need first"
    words = prose_words(nb)
    assert words >= MIN_WORDS, f"{path.name}: {words} words of prose, floor {MIN_WORDS}"
    sections = _sections(nb)
    for s in ("Exercises", "Summary", "References"):
        assert any(x.startswith(s) for x in sections), f"{path.name}: no '## {s}' section"
    predict = sum(s.count("Predict, then run") for s in md)
    assert predict >= 2, f"{path.name}: {predict} 'Predict, then run' questions, want >= 2"
    # references: a numbered list with links
    refs = next(s for s in md if any(line.startswith("## References") for line in s.splitlines()))
    assert len(re.findall(r"\]\(https?://[^)\s]+\)", refs)) >= 2, f"{path.name}: references need links"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_exercises_have_worked_solutions_that_run(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    titles = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and re.match(r"### Exercise \d", c.source)]
    assert 3 <= len(titles) <= 5, f"{path.name}: {len(titles)} exercises, want 3-5"
    ends = titles[1:] + [next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Summary"))]
    for k, (a, b) in enumerate(zip(titles, ends), 1):
        block = cells[a:b]
        assert re.match(rf"### Exercise {k}\b", cells[a].source), f"{path.name}: exercises numbered 1, 2, ...: {cells[a].source[:40]}"
        revealed = [c for c in block if c.cell_type == "markdown" and "<details>" in c.source and "</details>" in c.source]
        assert revealed, f"{path.name} exercise {k}: a worked solution in a <details> block"
        code = [c for c in block if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
        assert code, f"{path.name} exercise {k}: the solution's code in a code cell tagged 'solution' (it runs in CI)"
        for c in code:
            assert c.metadata.get("jupyter", {}).get("source_hidden"), \
                f"{path.name} exercise {k}: solution code collapsed until the learner reveals it (jupyter.source_hidden)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_parameters_checked_right_after_the_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    codes = [c for c in nb.cells if c.cell_type == "code"]
    i = next(i for i, c in enumerate(codes) if "parameters" in c.metadata.get("tags", []))
    assert codes[i].source.lstrip().startswith("# Parameters (papermill"), path.name
    assert "check_parameters(globals())" in codes[i + 1].source, \
        f"{path.name}: the cell after `parameters` must call check_parameters(globals())"
