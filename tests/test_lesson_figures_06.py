"""Notebook 06's package pieces: the committed-runs loader and paired arithmetic (synq_nb.results) and the
seed-ablation figure, each against an independent computation."""
from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest
from matplotlib.figure import Figure

from synq_nb import plotting, results


def _write(root, set_name, name, combo, seed, top1, bits=3):
    cfg = dict(zip(results.IDEAS, map(bool, combo)))
    (root / set_name).mkdir(parents=True, exist_ok=True)
    (root / set_name / f"{name}.json").write_text(json.dumps(
        dict(w_bits=bits, a_bits=bits, seed=seed, final_top1=top1, config=cfg)))


def test_load_runs_groups_by_set_and_skips_work_folders_and_bad_files(tmp_path, capsys):
    _write(tmp_path, "ablation", "b_s1", (0, 0, 0), 1, 50.0)
    _write(tmp_path, "ablation", "a_s0", (1, 0, 0), 0, 60.0)
    _write(tmp_path, "_work", "x", (0, 0, 0), 0, 1.0)
    (tmp_path / "ablation" / "broken.json").write_text("{not json")
    runs = results.load_runs(tmp_path)
    assert list(runs) == ["ablation"]
    assert [r["run_name"] for r in runs["ablation"]] == ["a_s0", "b_s1"]  # sorted, broken one skipped
    assert "skipping" in capsys.readouterr().err
    assert results.load_runs(tmp_path / "missing") == {}


def test_paired_difference_removes_a_shared_seed_effect():
    # each seed shifts both rows by the same amount: the paired diffs are exactly the true gain
    seed_effect = {0: 3.0, 1: -2.0, 2: 0.5}
    control = {s: 50.0 + e for s, e in seed_effect.items()}
    treatment = {s: 51.5 + e for s, e in seed_effect.items()}
    p = results.paired(treatment, control)
    assert p["seeds"] == [0, 1, 2] and p["diffs"] == pytest.approx([1.5, 1.5, 1.5])
    assert p["mean"] == pytest.approx(1.5) and p["std"] == pytest.approx(0.0, abs=1e-12)
    assert p["unpaired"] == pytest.approx(1.5)
    assert p["spread"] == pytest.approx(statistics.stdev(control.values()))  # the seed effect's spread
    assert p["spread"] > 1.5  # unpaired, the gain is smaller than the seed-to-seed spread
    one = results.paired({0: 2.0, 5: 9.0}, {0: 1.0})  # only shared seeds are paired
    assert one["diffs"] == [1.0] and math.isnan(one["std"])


def test_committed_ablation_matches_the_json_files():
    runs = results.load_runs()
    if "ablation" not in runs:
        pytest.skip("no committed ablation runs")
    groups = results.by_seed(runs["ablation"], 3)
    d = results.RUNS_DIR / "ablation"
    for combo, per_seed in groups.items():
        f, c, s = ("on" if x else "off" for x in combo)
        for seed, top1 in per_seed.items():
            raw = json.loads((d / f"w3a3_filter-{f}_cam-{c}_soft-{s}_s{seed}.json").read_text())
            assert raw["final_top1"] == top1 and raw["seed"] == seed


def test_gap_closed():
    assert results.gap_closed(90.0, 60.0, 75.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no gap"):
        results.gap_closed(90.0, 90.0, 80.0)


def test_combo_names_and_order():
    combos = [(1, 1, 1), (0, 0, 1), (1, 0, 0), (0, 0, 0), (1, 1, 0)]
    assert results.ablation_order(combos) == [(0, 0, 0), (1, 0, 0), (0, 0, 1), (1, 1, 0), (1, 1, 1)]
    assert results.combo_name((0, 0, 0)) == "baseline (KD + CE)"
    assert results.combo_name((1, 0, 1)) == "filter + soft labels"


def test_seed_ablation_figure_plots_the_paired_differences():
    groups = {(0, 0, 0): {0: 57.7, 1: 53.7}, (1, 0, 0): {0: 66.6, 1: 65.0}, (0, 1, 1): {0: 61.2, 1: 58.2}}
    fig = plotting.seed_ablation_figure(groups)
    assert isinstance(fig, Figure)
    left, right = fig.axes[:2]
    # right panel: one scatter per seed, y = row − baseline of that seed (computed here independently)
    ys = sorted(float(y) for coll in right.collections for y in np.asarray(coll.get_offsets())[:, 1])
    want = sorted(groups[c][s] - groups[(0, 0, 0)][s] for c in ((1, 0, 0), (0, 1, 1)) for s in (0, 1))
    np.testing.assert_allclose(ys, want)
    # left panel: one line per seed through its runs, baseline first
    seed0 = next(ln for ln in left.get_lines() if ln.get_label() == "seed 0")
    np.testing.assert_allclose(seed0.get_ydata(), [57.7, 66.6, 61.2])
    plotting.close(fig)
    with pytest.raises(ValueError, match="baseline"):
        plotting.seed_ablation_figure({(1, 0, 0): {0: 1.0}})


def test_beyond_seed_spread_needs_a_consistent_sign_and_a_gain_larger_than_the_paired_spread():
    p = lambda t, c: results.beyond_seed_spread(results.paired(t, c))
    assert p({0: 58.8, 1: 55.5}, {0: 57.7, 1: 53.7})          # +1.1, +1.8: inside the rows' spread (2.8), yet consistent
    assert not p({0: 61.2, 1: 58.2}, {0: 60.0, 1: 58.9})      # signs disagree (+1.2, -0.7)
    assert not p({0: 50.1, 1: 56.7}, {0: 50.0, 1: 53.7})      # +0.1, +3.0: same sign, mean 1.55 < std 2.05
    assert not p({0: 70.0}, {0: 50.0})                         # one seed: never
    assert p({0: 40.0, 1: 41.0}, {0: 50.0, 1: 50.5})          # a consistent loss counts too


def test_metrics_from_logits_match_the_model_level_functions_and_a_direct_count():
    import torch

    import synq_nb as sq

    torch.manual_seed(0)
    x, y = torch.randn(60, 5), torch.arange(60) % 3
    model_a, model_b = torch.nn.Linear(5, 3), torch.nn.Linear(5, 3)
    data = torch.utils.data.TensorDataset(x, y)
    la, lb = model_a(x).detach(), model_b(x).detach()
    pc = sq.per_class_from_logits(la, y)
    direct = torch.tensor([100.0 * ((la.argmax(1) == k) & (y == k)).sum().item() / (y == k).sum().item() for k in range(3)])
    torch.testing.assert_close(pc, direct)
    torch.testing.assert_close(sq.per_class_accuracy(model_a, data, batch_size=7), pc)
    agree = sum(int(a == b) for a, b in zip(la.argmax(1).tolist(), lb.argmax(1).tolist())) * 100.0 / 60
    assert abs(sq.agreement_from_logits(la, lb) - agree) < 1e-4
    assert abs(sq.agreement(model_a, model_b, data, batch_size=7) - agree) < 1e-4
    with pytest.raises(ValueError, match="same images"):
        sq.agreement_from_logits(la, lb[:10])


def test_levers_figure_bars_are_the_paired_means_and_dots_each_seed():
    levers = {"paper": {0: 72.0, 1: 71.0, 2: 73.0}, "big": {0: 78.0, 1: 76.5, 2: 77.0},
              "mixed": {0: 73.0, 1: 70.0}, "alone": {5: 1.0}}
    fig = plotting.levers_figure(levers)
    ax = fig.axes[0]
    bars = {t.get_text().split(" (")[0]: b.get_width() for t, b in zip(ax.get_yticklabels(), ax.patches)}
    assert set(bars) == {"big", "mixed"}  # a lever with no seed in common with the reference has no row
    assert bars["big"] == pytest.approx(statistics.fmean([6.0, 5.5, 4.0]))
    assert bars["mixed"] == pytest.approx(statistics.fmean([1.0, -1.0]))
    dots = sorted(float(x) for c in ax.collections for x in c.get_offsets()[:, 0])
    assert dots == pytest.approx(sorted([6.0, 5.5, 4.0, 1.0, -1.0]))
    colors = {t.get_text().split(" (")[0]: b.get_facecolor() for t, b in zip(ax.get_yticklabels(), ax.patches)}
    assert colors["big"] != colors["mixed"]  # beyond the spread vs not
    assert [t.get_text().split(" (")[0] for t in ax.get_yticklabels()] == ["mixed", "big"]  # largest gain on top
    plotting.close(fig)


def test_by_lever_reads_the_lever_from_the_run_name():
    runs = [dict(run_name="w3a3_mse-lsq_s0", w_bits=3, seed=0, final_top1=70.0),
            dict(run_name="w3a3_mse-lsq_s1", w_bits=3, seed=1, final_top1=71.0),
            dict(run_name="w4a4_mse-lsq_s0", w_bits=4, seed=0, final_top1=88.0),
            dict(run_name="w3a3_mse-lsq-kdT4-syn150-ep15_s2", w_bits=3, seed=2, final_top1=77.0)]
    assert results.by_lever(runs) == {"mse-lsq": {0: 70.0, 1: 71.0}, "mse-lsq-kdT4-syn150-ep15": {2: 77.0}}
    assert results.by_lever(runs, bits=4) == {"mse-lsq": {0: 88.0}}
