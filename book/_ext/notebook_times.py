"""Sphinx extension of the book: the measured run times on the teachers' page, read at build time, never copied.

* ``{notebook-times}``: each notebook's warm and cold time from ``results/notebook_times.json`` (the file behind the
  course map of notebook 00; the titles and the formatting of durations are 00's, ``synq_nb.readings.lesson00``),
  with the date and the machine's load that the file records for each measurement.
* ``{slow-cells}``: the cells that took a minute or more when the committed copy of each notebook was executed
  (papermill's record in every cell's metadata), named by their execution count in that copy (the ``[n]`` JupyterLab
  shows beside the cell) and the heading of their section.
"""
from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

REPO = Path(__file__).resolve().parents[2]
TIMES = REPO / "results" / "notebook_times.json"
NOTEBOOKS = REPO / "notebooks"
SLOW_S = 60.0


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def times_markdown(data: dict | None) -> str:
    """``results/notebook_times.json``'s content (``None``: no such file) as a Markdown table and a sentence."""
    from synq_nb.readings.lesson00 import LESSONS, duration, times_by_lesson

    if data is None:
        return "**Not measured in this checkout**: `results/notebook_times.json` is missing."
    entries = {stem[:2]: e for stem, e in data.get("notebooks", {}).items()}
    times = times_by_lesson(data.get("notebooks", {}))
    lines = ["| notebook | warm cache | cold cache | measured on | 1-minute load average (before → after) |",
             "|---|---|---|---|---|"]
    for key, _file, title, *_ in LESSONS:
        t, e = times.get(key, {}), entries.get(key, {})
        dates = ", ".join(f"{s} {e[f'{s}_date']}" for s in ("warm", "cold") if e.get(f"{s}_date")) or "–"
        loads = "; ".join(f"{s} {' → '.join(f'{v:g}' for v in e[f'{s}_load_1min'])}" for s in ("warm", "cold")
                          if e.get(f"{s}_load_1min")) or "–"
        lines.append(f"| {_cell(title)} | {duration(t.get('warm_s'))} | {duration(t.get('cold_s'))} | {dates} | "
                     f"{loads} |")
    text = "\n".join(lines)
    if data.get("machine"):
        text += f"\n\nMachine: {_cell(data['machine'])}."
    if data.get("command"):
        command, paren, note = data["command"].partition(" (")  # the file's note on the run follows in brackets
        text += f" Command: `{command}`" + (f" ({_cell(note)}" if paren else "") + "."
    return text


def _heading(source: str) -> str:
    first = source.strip().splitlines()[0] if source.strip() else ""
    return first.lstrip("#").strip() if first.startswith("#") else ""


def slow_cells_markdown(paths, min_s: float = SLOW_S) -> str:
    """The cells of the executed notebooks ``paths`` whose recorded duration is at least ``min_s`` seconds."""
    import nbformat

    lines = ["| notebook | cell | under the heading | seconds | executed |", "|---|---|---|---|---|"]
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        executed = str((nb.metadata.get("papermill") or {}).get("end_time") or "")[:10] or "–"
        heading = ""
        for cell in nb.cells:
            if cell.cell_type == "markdown" and _heading(cell.source):
                heading = _heading(cell.source)
            seconds = (cell.metadata.get("papermill") or {}).get("duration")
            if cell.cell_type == "code" and seconds is not None and seconds >= min_s:
                count = f"[{cell.execution_count}]" if cell.get("execution_count") else "–"
                lines.append(f"| {Path(path).stem} | {count} | {_cell(heading) or '(top)'} | {seconds:,.0f} | "
                             f"{executed} |")
    if len(lines) == 2:
        return f"No cell of the committed notebooks is recorded as taking {min_s:g} s or more."
    return "\n".join(lines)


class _Markdown(SphinxDirective):
    has_content = False

    def markdown(self) -> str:
        raise NotImplementedError

    def run(self):
        node = nodes.container()
        self.state.nested_parse(StringList(self.markdown().splitlines(), source=self.get_source_info()[0]),
                                self.content_offset, node)
        return node.children


class NotebookTimes(_Markdown):
    def markdown(self) -> str:
        self.env.note_dependency(str(TIMES))
        return times_markdown(json.loads(TIMES.read_text()) if TIMES.is_file() else None)


class SlowCells(_Markdown):
    def markdown(self) -> str:
        paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
        for p in paths:
            self.env.note_dependency(str(p))
        return slow_cells_markdown(paths)


def setup(app):
    app.add_directive("notebook-times", NotebookTimes)
    app.add_directive("slow-cells", SlowCells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
