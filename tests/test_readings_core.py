"""The shared wording helpers of the generated readings (synq_nb.readings): each branch, on both sides."""
import math

import pytest

from synq_nb import readings as R


def test_num_and_signed():
    assert R.num(72.3149) == "72.31" and R.num(1077.4, 0) == "1,077" and R.num(float("nan")) == "n/a"
    assert R.signed(3.2) == "+3.20" and R.signed(-0.4) == "-0.40" and R.signed(None) == "n/a"


def test_change_branches():
    assert R.change(0.0140, 0.0205) == "rose from 0.0140 to 0.0205"
    assert R.change(0.0114, 0.0095) == "fell from 0.0114 to 0.0095"
    assert R.change(72.30, 72.31, tol=0.5).startswith("stayed within 0.50 of 72.30")
    assert R.change(1, 2, up="grew", down="shrank") == "grew from 1.00 to 2.00"


def test_compare_branches():
    assert R.compare(2, 1) == "higher than" and R.compare(1, 2) == "lower than"
    assert R.compare(1.0, 1.05, tol=0.1) == "level with"


def test_ratio():
    assert R.ratio(1870, 1000) == "1.87x"


def test_paired_sentence_branches():
    up = R.paired_sentence({0: 75.9, 1: 74.9, 2: 75.3}, {0: 72.5, 1: 71.6, 2: 72.1})
    assert "+3.30" in up and "above zero" in up and "seeds 0, 1, 2" in up
    down = R.paired_sentence({0: 72.5, 1: 71.6, 2: 72.1}, {0: 75.9, 1: 74.9, 2: 75.3})
    assert "-3.30" in down and "below zero" in down
    mixed = R.paired_sentence({0: 75.9, 1: 70.9}, {0: 72.5, 1: 71.6})
    assert "contains zero" in mixed
    one = R.paired_sentence({0: 75.9}, {0: 72.5, 1: 1.0})
    assert "seed 0 alone" in one and "interval" in one and "+3.40" in one
    with pytest.raises(ValueError, match="no seed"):
        R.paired_sentence({0: 1.0}, {1: 1.0})


def test_show_returns_text(capsys, monkeypatch):
    import IPython

    monkeypatch.setattr(IPython, "get_ipython", lambda: None)  # outside a kernel, even after tests that made one
    assert R.show("**x**") == "**x**"
    assert "**x**" in capsys.readouterr().out


def test_join_list_and_plural():
    assert R.join_list([5]) == "5" and R.join_list([5, 10]) == "5 and 10" and R.join_list([1, 2, 3]) == "1, 2 and 3"
    assert R.join_list([]) == "none"
    assert R.plural(1, "seed") == "seed" and R.plural(2, "seed") == "seeds" and R.plural(0, "seed") == "seeds"
