"""The generated readings of notebook 00 (synq_nb.readings.lesson00): every branch, with made-up numbers on both
sides of it. No model, no data."""
from __future__ import annotations

import re

import pytest

from synq_nb.notebooks_run import notebooks
from synq_nb.readings import lesson00 as L

ACC = {(8, "Gaussian"): 91.74, (8, "real"): 91.71, (4, "Gaussian"): 81.46, (4, "real"): 84.99,
       (3, "Gaussian"): 38.22, (3, "real"): 48.74}


# ------------------------------------------------------------------ the course map
def test_duration_branches():
    assert L.duration(None) == "not measured yet"
    assert L.duration(42.4) == "42 s" and L.duration(119.4) == "119 s"
    assert L.duration(1080) == "18.0 min" and L.duration(1077) == "17.9 min" and L.duration(120) == "2.0 min"


def test_map_lists_every_notebook_of_the_series():
    assert [f for _, f, *_ in L.LESSONS] == [p.name for p in notebooks()]
    assert [k for k, *_ in L.LESSONS] == [p.name[:2] for p in notebooks()]


def test_times_by_lesson_keys_by_prefix_and_fills_missing():
    t = L.times_by_lesson({"00_overview": {"cold_s": 180.2, "warm_s": 170.0, "cold_date": "x"},
                           "05_finetuning": {"warm_s": 100.0}})
    assert t == {"00": {"cold_s": 180.2, "warm_s": 170.0}, "05": {"cold_s": None, "warm_s": 100.0}}


def _rows(md):
    return [line for line in md.splitlines() if line.startswith("| 0")]


def test_course_map_without_the_file_says_so():
    md = L.course_map(None)
    rows = _rows(md)
    assert len(rows) == 8 and all(r.count("not measured yet") == 2 for r in rows)
    assert "not measured in this checkout" in md and "notebook_times.json" in md
    assert "measured on" not in md
    # the descriptions and links are the map's
    assert "| 05 · Fine-tuning |" in md and "](" not in md  # no links in an output: the book would not resolve them and "RTN against fine-tuned" in md


def test_course_map_with_every_time_measured():
    times = {k: {"cold_s": 60.0 + i, "warm_s": 30.0} for i, (k, *_) in enumerate(L.LESSONS)}
    times["01"] = {"cold_s": 1080.0, "warm_s": 45.0}
    source = {"date": "2026-12-01", "machine": "x86_64 CPU, 2 cores", "command": "python benchmarks/notebook_times.py"}
    md = L.course_map(times, source)
    rows = _rows(md)
    assert "not measured" not in md
    assert "| 18.0 min | 45 s |" in rows[1] and "| 60 s | 30 s |" in rows[0]
    assert "on 2026-12-01" in md and "x86_64 CPU, 2 cores" in md and "`python benchmarks/notebook_times.py`" in md
    cold = sum(t["cold_s"] for t in times.values())
    assert f"The whole course: {L.duration(cold)} cold, {L.duration(30.0 * 7 + 45.0)} warm" in md


def test_course_map_with_some_times_missing():
    times = {"00": {"cold_s": 200.0, "warm_s": None}, "03": {"cold_s": 70.0, "warm_s": 65.0}}
    md = L.course_map(times, {"notebooks": {"00_overview": {"cold_date": "2026-12-02"},
                                            "03_gradcam_alignment": {"cold_date": "2026-12-01", "warm_date": "2026-12-03"}}})
    rows = _rows(md)
    assert "| 3.3 min | not measured yet |" in rows[0] and "| 70 s | 65 s |" in rows[3]
    assert rows[7].count("not measured yet") == 2
    assert "between 2026-12-01 and 2026-12-03" in md
    assert "No total for the whole course: 13 of the 16 times are not measured yet" in md
    # a single date, and no date at all
    assert "on 2026-12-02," in L.course_map(times, {"notebooks": {"00_overview": {"cold_date": "2026-12-02"}}})
    assert "no date or machine recorded" in L.course_map(times, {})


# ------------------------------------------------------------------ per-channel ranges
LAYERS = [dict(layer="a", mse_ratio=3.1, step_spread=187.0, tensor_to_median=2.37),
          dict(layer="b", mse_ratio=2.4, step_spread=2.7, tensor_to_median=1.75),
          dict(layer="c", mse_ratio=5.0, step_spread=4.2, tensor_to_median=2.61),
          dict(layer="d", mse_ratio=1.9, step_spread=128.0, tensor_to_median=1.41)]


def test_rank_correlation():
    assert L.rank_correlation([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert L.rank_correlation([1, 2, 3, 4], [40, 30, 20, 10]) == pytest.approx(-1.0)
    assert L.rank_correlation([1, 2, 3, 4], [1, 100, 1000, 10000]) == pytest.approx(1.0)  # ranks, not values


def test_per_channel_reading_lower_error_and_which_layers_gain():
    md = L.per_channel_reading("layer2.1.conv1", 32, 0.0004, 0.0820, 0.0867, 1.99e-4, 5.71e-4, LAYERS)
    assert "`layer2.1.conv1` (32 output channels)" in md and "0.0004 to 0.0820" in md and "0.0867" in md
    assert "a 2.87x lower mean squared error (1.99e-04 against 5.71e-04)" in md
    assert "in all 4 convolutions" in md and "from 1.90 in `d` to 5.00 in `c`" in md
    rho_t = L.rank_correlation([r["tensor_to_median"] for r in LAYERS], [r["mse_ratio"] for r in LAYERS])
    rho_s = L.rank_correlation([r["step_spread"] for r in LAYERS], [r["mse_ratio"] for r in LAYERS])
    assert rho_t == pytest.approx(1.0) and abs(rho_s) < 0.5
    assert f"the spread of the channel steps (largest / smallest step) hardly predicts the gain (rank correlation {rho_s:+.2f})" in md
    assert "the gain grows with how much wider the tensor's step is" in md and "+1.00" in md
    assert "poor guide" in md


def test_per_channel_reading_other_branches():
    higher = L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 6e-4, 5e-4, [])
    assert "higher mean squared error here (6.00e-04 against 5.00e-04)" in higher and "convolutions" not in higher
    same = L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 5e-4, 5e-4, [])
    assert "the same mean squared error (5.00e-04)" in same
    mixed = [dict(r, mse_ratio=v) for r, v in zip(LAYERS, (0.9, 1.5, 2.0, 3.0))]
    assert "in 3 of the 4 convolutions" in L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 1e-4, 5e-4, mixed)
    worse = [dict(r, mse_ratio=0.9) for r in LAYERS[:2]]
    assert "in none of the 2 convolutions" in L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 1e-4, 5e-4, worse)
    # spread predicts (both measures rise together): no "poor guide" remark; a falling association
    rising = [dict(layer=c, mse_ratio=v, step_spread=v, tensor_to_median=v) for c, v in zip("abcd", (1.5, 2, 3, 4))]
    md = L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 1e-4, 5e-4, rising)
    assert "the gain grows with the spread" in md and "poor guide" not in md
    falling = [dict(r, tensor_to_median=-r["mse_ratio"]) for r in rising]
    assert "the gain shrinks as how much wider" in L.per_channel_reading("x", 8, 0.01, 0.02, 0.03, 1e-4, 5e-4, falling)


# ------------------------------------------------------------------ RTN
def test_rtn_verdict_thresholds():
    assert L.rtn_verdict(-0.01) == "almost free" and L.rtn_verdict(L.ALMOST_FREE) == "almost free"
    assert L.rtn_verdict(1.01) == L.rtn_verdict(L.COLLAPSE) == "a loss, but not a collapse"
    assert L.rtn_verdict(20.01) == "a collapse"


def test_images():
    assert L.images(0.03, 10_000) == "3 of 10,000 images" and L.images(-0.2, 500) == "1 of 500 images"


def test_rtn_reading_at_committed_values():
    md = L.rtn_reading(91.73, ACC, [8, 4, 3], 10_000, seed=0)
    assert "91.73 % on 10,000 test images" in md
    w8, w4, w3 = (next(line for line in md.splitlines() if line.startswith(f"- **W{b}A{b}**")) for b in (8, 4, 3))
    assert "91.71 %" in w8 and "91.74 %" in w8 and "drops of 0.02 and -0.01 points" in w8 and w8.endswith("almost free.")
    assert "drops of 6.74 and 10.27 points" in w4 and w4.endswith("a loss, but not a collapse.")
    assert "drops of 42.99 and 53.51 points" in w3 and w3.endswith("a collapse.")
    assert "matters most at W3A3" in md
    assert "level at W8A8 (noise ranges ahead by 0.03 points, 3 of 10,000 images)" in md
    assert "real-image ranges ahead by 3.53 points at W4A4" in md and "ahead by 10.52 points at W3A3" in md
    assert "seed 0" in md


def test_rtn_reading_other_branches():
    acc = {(4, "real"): 80.0, (4, "Gaussian"): 60.0, (2, "real"): 10.0, (2, "Gaussian"): 12.0}
    md = L.rtn_reading(90.0, acc, [4, 2], 1000)
    w4 = next(line for line in md.splitlines() if line.startswith("- **W4A4**"))
    assert "a loss, but not a collapse with real-image ranges, a collapse with noise ranges" in w4
    assert "noise ranges ahead by 2.00 points at W2A2" in md and "matters most at W4A4" in md
    level = {(8, "real"): 91.7, (8, "Gaussian"): 91.6, (4, "real"): 85.0, (4, "Gaussian"): 85.0}
    md = L.rtn_reading(91.7, level, [8, 4], 10_000)
    assert "made no difference beyond a few images" in md and "identical at W4A4" in md
    assert "real-image ranges ahead by 0.10 points, 10 of 10,000 images" in md


def test_ranges_reading_branches():
    mixed = L.ranges_reading(3, [6.8, 7.51, 10.52, 18.75], [6.63, 6.01, 7.64, 20.65])
    assert "at 3 of the 4 activation quantizers and a narrower one at 1" in mixed
    assert "from 0.91 to 1.38, median 1.14" in mixed
    assert "the 8 levels are spread" in mixed and "clipped" in mixed
    assert "the noise range is narrower (18.75 against 20.65)" in mixed
    wider = L.ranges_reading(4, [2.0, 3.0], [1.0, 1.0])
    assert "wider range than real images at all 2" in wider and "16 levels" in wider and "clipped" not in wider
    assert "the noise range is wider (3.00 against 1.00)" in wider
    narrower = L.ranges_reading(3, [1.0, 1.0], [2.0, 4.0], lo_noise=[-1.0, 0.0], lo_real=[0.0, 0.0])
    assert "narrower range than real images at all 2" in narrower and "levels are spread" not in narrower
    assert "(1.00 against 4.00)" in narrower and "from 0.25 to 1.00" in narrower  # widths: 2/2 and 1/4


def test_levels_reading_branches():
    levels = {8: dict(distinct=133, at_zero=0.0243, top2=0.045), 4: dict(distinct=15, at_zero=0.198, top2=0.358),
              3: dict(distinct=8, at_zero=0.34375, top2=0.59375)}
    md = L.levels_reading("layer2.1.conv1", 0, 288, levels)
    assert "output channel 0 of `layer2.1.conv1` (288 weights)" in md
    assert "8-bit RTN keeps 133 distinct values (at most 256)" in md and "2.4 % of the weights on zero" in md
    assert "3-bit RTN keeps 8 distinct values (at most 8)" in md and "34.4 %" in md
    assert "At 3 bits, 59.4 % of the weights share the two most used levels" in md and "are gone" in md
    few = L.levels_reading("x", 1, 100, {4: dict(distinct=16, at_zero=0.1, top2=0.3)})
    assert "hold 30.0 % of the weights: fewer than half" in few and "are gone" not in few


def test_ste_reading_branches():
    md = L.ste_reading({"round": 0.0, "weight": 1.0, "act": 0.5718}, 801, -1.0, 3.0, 0.0, 2.0, 2 / 7)
    assert "801 inputs from -1.00 to 3.00" in md
    assert "plain rounding passes gradient 1 to none of them (share 0.00)" in md
    assert "STE passes gradient 1 to every one of them (share 1.00)" in md
    assert "a share of 0.57 and 0 to the rest" in md and "[-0.14, 2.14]" in md and "2.29 of the 4.00" in md
    assert "as expected" in md
    off = L.ste_reading({"round": 0.3, "weight": 0.9, "act": 0.8}, 801, -1.0, 3.0, 0.0, 2.0, 2 / 7)
    assert "plain rounding passes gradient 1 to a share of 0.30" in off and "not the expected" in off
    assert "none of them" not in off and "every one" not in off


def test_size_reading_branches():
    n_w, overhead = 268_336, 89_024
    sizes = {b: b * n_w + overhead for b in (8, 4, 3)}
    fp_bits = 32 * n_w + 44_352
    md = L.size_reading(fp_bits, sizes, n_w)
    assert f"W4 {fp_bits / sizes[4]:.2f}x of an ideal 8.00x" in md and "10.67x" in md
    assert "close to the ideal at every bit-width" in md
    assert f"{100 * overhead / sizes[4]:.1f} % of the W4 model" in md and "268,336 weights" in md
    small = L.size_reading(32 * 1000 + 100, {2: 2 * 1000 + 5000}, 1000)
    assert "well below the ideal" in small and "W2 4.59x of an ideal 16.00x (28.7 %)" in small


def test_size_breakdown_reading_branches():
    md = L.size_breakdown_reading(1_073_344, 44_672, 44_352)
    assert "1,162,368 bits" in md and "(92.3 %)" in md and "44,672 (3.8 %)" in md
    assert "larger overhead is the scales and zero points" in md and "by 320 bits" in md and "nearly equal" in md
    other = L.size_breakdown_reading(1000, 100, 400)
    assert "larger overhead is the other 32-bit parameters" in other and "by 300 bits" in other
    assert "clearly apart" in other
    assert "exactly equal" in L.size_breakdown_reading(1000, 100, 100)


def test_mixed_reading_branches():
    md = L.mixed_reading(91.73, {"W4A8": 90.45, "W8A4": 87.14, "W8A8": 91.71, "W4A4": 84.99})
    assert "W4A8 scores 90.45 % (1.28 points below" in md and "W8A4 87.14 % (4.59 points below)" in md
    assert "4-bit activations cost 3.31 points more" in md and "activations are the harder half" in md
    assert "lose 6.74 points, more than the two separate losses added (5.87): the two errors compound" in md
    weights = L.mixed_reading(90.0, {"W4A8": 85.0, "W8A4": 88.0, "W4A4": 84.0})
    assert "4-bit weights cost 3.00 points more" in weights and "less than the two separate losses added (7.00)" in weights
    same = L.mixed_reading(90.0, {"W4A8": 88.0, "W8A4": 88.1, "W4A4": 86.0})
    assert "cost the same, within 0.20 points (20 of 10,000 images)" in same and "about the two separate losses added (3.90)" in same
    assert "W4A4" not in L.mixed_reading(90.0, {"W4A8": 88.0, "W8A4": 85.0})


def test_summary_branches():
    md = L.summary(91.73, ACC, [8, 4, 3], {8: 3.86, 4: 7.43, 3: 9.65})
    assert "almost free at W8A8 (0.02 points lost with real-image ranges, -0.01 with noise ranges)" in md
    assert "a loss, but not a collapse at W4A4 (6.74" in md and "a collapse at W3A3 (42.99" in md
    assert "at W3A3 rounding alone is not enough, even with real calibration images" in md
    assert "7.43x smaller" in md
    noise_only = {(4, "real"): 80.0, (4, "Gaussian"): 60.0}
    md = L.summary(90.0, noise_only, [4], {})
    assert "not enough without data" in md and "smaller" not in md and re.search(r"a collapse at W4A4", md)
    fine = {(4, "real"): 85.0, (4, "Gaussian"): 84.0}
    assert "kept the network above a collapse at every bit-width" in L.summary(90.0, fine, [4], {4: 7.0})


def test_level_tolerance_follows_the_test_set_size():
    assert L.level_tol(10_000) == pytest.approx(0.2) and L.level_tol(500) == pytest.approx(0.4)
    acc = {(8, "real"): 90.8, (8, "Gaussian"): 91.2, (3, "real"): 48.6, (3, "Gaussian"): 40.4}
    assert "level at W8A8 (noise ranges ahead by 0.40 points, 2 of 500 images)" in L.rtn_reading(91.0, acc, [8, 3], 500)
    assert "noise ranges ahead by 0.40 points at W8A8" in L.rtn_reading(91.0, acc, [8, 3], 10_000)
    small = L.mixed_reading(90.0, {"W4A8": 88.0, "W8A4": 87.7}, n_test=500)
    assert "cost the same, within 0.40 points (2 of 500 images)" in small
    assert "activations cost 0.30 points more" in L.mixed_reading(90.0, {"W4A8": 88.0, "W8A4": 87.7})


def test_map_prerequisites_agree_with_each_lessons_before_you_start():
    """The map's "needs first" column names only lessons that the lesson's own opening names (review finding)."""
    import re

    import nbformat

    from synq_nb.notebooks_run import NOTEBOOK_DIR

    for prefix, file, _title, _teaches, needs in L.LESSONS:
        opening = nbformat.read(NOTEBOOK_DIR / file, as_version=4).cells[0].source
        before = opening[opening.find("Before you start"):]
        for n in re.findall(r"\b0\d(?:-0\d)?\b", needs.split(" (")[0]):
            assert n in before or f"notebook {n}" in before.lower() or f"({n})" in before, (prefix, n)
