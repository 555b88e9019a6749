"""Readings: the sentences a lesson prints about its own numbers, generated from the computed values.

A reading of a result must say what *this* run shows, with its numbers, and must change when the outcome
changes ("the loss fell from 0.0140 to 0.0095", not "if the loss falls ..."). Each lesson's readings are functions
of the values the notebook computed, one module per lesson (``lesson02`` ...), returning Markdown; the notebook
displays them with :func:`show`. Where a reading depends on the outcome, the function picks the branch, and
``tests/test_readings_*.py`` checks every branch with made-up numbers on both sides of it.

The helpers here keep the wording of numbers and comparisons the same in every lesson.
"""
from __future__ import annotations

import math

from ..results import paired, t_interval


class Shown(str):
    """The text :func:`show` returns: an ordinary ``str`` (for checks and tests) that IPython does not echo a second
    time as the cell's ``Out[...]`` when ``R.show(...)`` is the last line of a cell (it is displayed already)."""

    def _ipython_display_(self):
        pass


def show(markdown: str) -> str:
    """Display ``markdown`` as a Markdown output in a notebook (printed elsewhere); returns it, for checks."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display

        if get_ipython() is not None:
            display(Markdown(markdown))
            return Shown(markdown)
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        pass
    print(markdown)
    return Shown(markdown)


def num(x: float, digits: int = 2) -> str:
    """``72.3149`` -> ``'72.31'``; thousands separated (``'1,077'`` with ``digits=0``); ``'n/a'`` for NaN/None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def signed(x: float, digits: int = 2) -> str:
    """``3.2`` -> ``'+3.20'``, ``-0.4`` -> ``'-0.40'`` (a difference always shows its sign)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:+,.{digits}f}"


def change(before: float, after: float, tol: float = 0.0, up: str = "rose", down: str = "fell",
           flat: str = "stayed within {tol} of") -> str:
    """How a value moved: ``'rose from 0.011 to 0.014'``, ``'fell from ...'`` or ``'stayed within 0.01 of 0.011'``
    (``|after - before| <= tol``). Digits follow the size of the values."""
    digits = _digits(before, after)
    if abs(after - before) <= tol:
        return f"{flat.format(tol=num(tol, digits))} {num(before, digits)} ({num(after, digits)})"
    word = up if after > before else down
    return f"{word} from {num(before, digits)} to {num(after, digits)}"


def compare(a: float, b: float, tol: float = 0.0, higher: str = "higher than", lower: str = "lower than",
            same: str = "level with") -> str:
    """``a`` against ``b`` in words: ``'higher than'``, ``'lower than'`` or ``'level with'`` (within ``tol``)."""
    if abs(a - b) <= tol:
        return same
    return higher if a > b else lower


def ratio(a: float, b: float) -> str:
    """``a / b`` as ``'1.85x'``."""
    return f"{a / b:.2f}x"


def paired_sentence(treatment: dict, control: dict, what: str = "the difference", unit: str = " points",
                    digits: int = 2) -> str:
    """A paired comparison over seeds in one sentence, with each seed's difference and the 95 % t interval:
    ``'the difference is +3.35 points on average over seeds 0, 1, 2 (+3.20, +3.60, +3.25; 95 % t interval
    [+2.9, +3.8]): above zero'``. One seed: the single difference, with no interval (one seed cannot give one)."""
    p = paired(treatment, control)
    if not p["seeds"]:
        raise ValueError("no seed is shared by the two rows: nothing to pair")
    each = ", ".join(signed(d, digits) for d in p["diffs"])
    seeds = ", ".join(str(s) for s in p["seeds"])
    if len(p["diffs"]) == 1:
        return (f"{what} is {signed(p['mean'], digits)}{unit} on seed {seeds} alone (one seed: no interval, "
                f"so no claim beyond this run)")
    lo, hi = t_interval(p["diffs"])
    if lo > 0:
        verdict = "the interval lies above zero"
    elif hi < 0:
        verdict = "the interval lies below zero"
    else:
        verdict = "the interval contains zero: these seeds do not resolve the sign"
    return (f"{what} is {signed(p['mean'], digits)}{unit} on average over seeds {seeds} ({each}; 95 % t interval "
            f"[{signed(lo, digits)}, {signed(hi, digits)}]): {verdict}")


def join_list(items) -> str:
    """``[5, 10]`` -> ``'5 and 10'``; ``[1, 2, 3]`` -> ``'1, 2 and 3'``; ``[]`` -> ``'none'``."""
    items = [str(i) for i in items]
    if not items:
        return "none"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str) -> str:
    """``(1, 'seed')`` -> ``'seed'``, ``(2, 'seed')`` -> ``'seeds'``."""
    return f"{word}{'' if n == 1 else 's'}"


def _digits(*values) -> int:
    m = max(abs(v) for v in values)
    if m == 0 or m >= 10:
        return 2
    return max(2, min(6, 2 - int(math.floor(math.log10(m)))))
