"""The statistics the lessons and tables use over seeds: the paired t interval and the simulated false-positive
rate of the older "beyond the seed spread" rule."""
import math
import statistics

import pytest

from synq_nb.results import (T975, beyond_seed_spread, interval_verdict, paired, rule_false_positive_rate,
                             t_interval)


def test_t_quantiles_match_scipy():
    st = pytest.importorskip("scipy.stats")
    for df, t in enumerate(T975, start=1):
        assert t == pytest.approx(st.t.ppf(0.975, df), abs=6e-4)


def test_t_interval_by_hand():
    d = [3.2, 3.6, 3.3]
    m, sd = statistics.fmean(d), statistics.stdev(d)
    lo, hi = t_interval(d)
    assert (lo + hi) / 2 == pytest.approx(m)
    assert (hi - lo) / 2 == pytest.approx(4.303 * sd / math.sqrt(3))
    assert all(math.isnan(v) for v in t_interval([1.0]))


def test_interval_verdict_branches():
    assert interval_verdict(paired({0: 5, 1: 6, 2: 5.5}, {0: 1, 1: 1.2, 2: 0.9})) == "gain"
    assert interval_verdict(paired({0: 1, 1: 1.2, 2: 0.9}, {0: 5, 1: 6, 2: 5.5})) == "loss"
    assert interval_verdict(paired({0: 2, 1: 0, 2: 1}, {0: 1, 1: 1, 2: 1})) == "unresolved"
    assert interval_verdict(paired({0: 9}, {0: 1})) == "unresolved"  # one seed gives no interval


@pytest.mark.parametrize("n, expected", [(2, 0.39), (3, 0.21)])
def test_spread_rule_false_positives(n, expected):
    # the figures, by simulation: a zero effect passes the rule this often
    assert rule_false_positive_rate(beyond_seed_spread, n, trials=20000) == pytest.approx(expected, abs=0.02)


@pytest.mark.parametrize("n", [2, 3, 5])
def test_t_interval_false_positives_near_five_percent(n):
    rate = rule_false_positive_rate(lambda p: interval_verdict(p) != "unresolved", n, trials=20000)
    assert rate == pytest.approx(0.05, abs=0.01)
