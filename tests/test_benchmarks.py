"""benchmarks/grid.py: the experiment list and the reuse of a run whose config already has a result."""
from __future__ import annotations

import importlib.util
import json

import pytest

from conftest import REPO
from synq_nb import get_config

_spec = importlib.util.spec_from_file_location("grid", REPO / "benchmarks" / "grid.py")
grid = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(grid)

ALL_SETS = {"main", "ablation", "d0", "tau", "real"}
MODEL = "resnet20_cifar10_akamaster"


def _expected(**fields):
    cfg = get_config("cpu", model=MODEL, dataset="cifar10", eval_every=5, **fields).to_dict()
    cfg.pop("device")
    return cfg


def _runs():
    return {name: (set_name, o) for name, set_name, o in grid.experiments(ALL_SETS, "cpu", MODEL)}


def test_experiment_list():
    runs = grid.experiments(ALL_SETS, "cpu", MODEL)
    names = [n for n, _, _ in runs]
    assert len(names) == len(set(names)) == 12 + 16 + 5 + 6 + 6 + 6
    ablation = [o for _, s, o in runs if s == "ablation"]
    assert {(o["filter"], o["cam"], o["soft_labels"]) for o in ablation} == {
        (f, c, s) for f in ("off", "on") for c in ("off", "on") for s in ("off", "on")}
    assert all(o["w_bits"] == o["a_bits"] == 3 for o in ablation)


@pytest.mark.parametrize("name, fields", [
    ("w3a3_filter-on_cam-off_soft-off_s0", dict(w_bits=3, a_bits=3, seed=0, use_filter=True, use_cam=False,
                                                use_soft_labels=False)),
    ("w4a4_baseline_s2", dict(w_bits=4, a_bits=4, seed=2, use_filter=False, use_cam=False, use_soft_labels=False)),
    ("w3a3_d0-4_s0", dict(w_bits=3, a_bits=3, seed=0, d0=4.0)),
    ("w3a3_d0-16_tau-0.5_s0", dict(w_bits=3, a_bits=3, seed=0, d0=16.0, tau=0.5)),
    ("w3a3_real5120_synq_s0", dict(w_bits=3, a_bits=3, seed=0, train_data="real", num_images=5120)),
    ("w3a3_real1024_baseline_s0", dict(w_bits=3, a_bits=3, seed=0, train_data="real", num_images=1024,
                                       use_filter=False, use_cam=False, use_soft_labels=False)),
])
def test_run_config_is_what_the_cli_builds(name, fields):
    _, overrides = _runs()[name]
    assert grid.run_config(overrides) == _expected(**fields)


def test_identical_config_is_reused_not_rerun(tmp_path, monkeypatch):
    runs = _runs()
    _, synq = runs["w3a3_synq_s0"]
    main = dict(config=dict(grid.run_config(synq), device="cpu"), final_top1=68.6, run_name="w3a3_synq_s0")
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "w3a3_synq_s0.json").write_text(json.dumps(main))

    def no_subprocess(*a, **k):
        raise AssertionError("a reused run must not start a process")

    monkeypatch.setattr(grid.subprocess, "run", no_subprocess)
    name, msg, _ = grid.run_one("w3a3_d0-8_s0", "d0", runs["w3a3_d0-8_s0"][1], tmp_path, "cpu")  # default d0
    assert "reused" in msg
    alias = json.loads((tmp_path / "d0" / "w3a3_d0-8_s0.json").read_text())
    assert alias["final_top1"] == 68.6 and alias["same_run_as"] == "main/w3a3_synq_s0.json"
    assert alias["set"] == "d0" and alias["run_name"] == "w3a3_d0-8_s0"

    # a different d0 or seed is a different run; an alias is never itself the source of another alias
    for other in ("w3a3_d0-16_s0", "w3a3_synq_s1"):
        assert grid.find_same_run(runs[other][1], tmp_path) == (None, None)
    (tmp_path / "main" / "w3a3_synq_s0.json").unlink()
    assert grid.find_same_run(runs["w3a3_d0-8_tau-0.7_s0"][1], tmp_path) == (None, None)


def test_make_tables_recomputes_the_committed_results(tmp_path):
    """The generated tables agree with a direct computation from the JSONs under results/runs."""
    import statistics

    spec = importlib.util.spec_from_file_location("make_tables", REPO / "benchmarks" / "make_tables.py")
    mt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mt)
    runs_dir = REPO / "results" / "runs"
    synq_w3 = [json.loads(p.read_text())["final_top1"] for p in sorted((runs_dir / "main").glob("w3a3_synq_s*.json"))]
    if len(synq_w3) < 2:
        pytest.skip("needs at least two committed W3A3 SynQ runs")
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- results:start -->\nold\n<!-- results:end -->\nafter\n")
    mt.main(["--runs", str(runs_dir), "--out-md", str(tmp_path / "R.md"), "--readme", str(readme),
             "--plot", str(tmp_path / "a.png")])
    want = f"{statistics.fmean(synq_w3):.2f} ± {statistics.stdev(synq_w3):.2f} ({len(synq_w3)} seeds)"
    md = (tmp_path / "R.md").read_text()
    synq_row = next(ln for ln in md.splitlines() if ln.startswith("| SynQ: filter + CAM + soft labels, final epoch"))
    assert synq_row.split(" | ")[3] == want
    # ablation: the all-on row's Δ is the mean over seeds of (all on − all off), paired by seed
    abl = {p.stem: json.loads(p.read_text())["final_top1"] for p in (runs_dir / "ablation").glob("*.json")}
    pairs = [abl[f"w3a3_filter-on_cam-on_soft-on_s{sd}"] - abl[f"w3a3_filter-off_cam-off_soft-off_s{sd}"]
             for sd in range(3) if f"w3a3_filter-on_cam-on_soft-on_s{sd}" in abl
             and f"w3a3_filter-off_cam-off_soft-off_s{sd}" in abl]
    if pairs:
        row = next(ln for ln in md.splitlines() if ln.startswith("| ✓ | ✓ | ✓ |"))
        assert f" | {statistics.fmean(pairs):+.2f} | " in row
    # real-data reference: every real run has its row, with the gap closed recomputed from the two JSONs
    for path in sorted((runs_dir / "real").glob("*.json")):
        real = json.loads(path.read_text())
        syn = json.loads((runs_dir / "main" / f"w{real['w_bits']}a{real['a_bits']}_{real['run_name'].split('_')[2]}"
                                              f"_s{real['seed']}.json").read_text())
        share = 100 * (real["final_top1"] - syn["final_top1"]) / (real["fp_top1"] - syn["final_top1"])
        start = f"| W{real['w_bits']}A{real['a_bits']} | {real['run_name'].split('_')[2]} | {real['seed']} | " \
                f"{real['config']['num_images']:,} |"
        row = next(ln for ln in md.splitlines() if ln.startswith(start))
        assert row.endswith(f" | {share:.0f}% |") and f" | {real['final_top1']:.2f} | " in row
    text = readme.read_text()
    assert text.startswith("before\n<!-- results:start -->\n") and text.endswith("<!-- results:end -->\nafter\n")
    assert "old" not in text and synq_row in text and (tmp_path / "a.png").stat().st_size > 0


def test_settings_of_switched_off_ideas_do_not_make_a_new_run():
    runs = _runs()
    base = grid.run_config(runs["w3a3_baseline_s0"][1])
    synq = grid.run_config(runs["w3a3_synq_s0"][1])
    assert grid.effective(dict(base, d0=8.0, tau=0.5, lambda_cam=1.0)) == grid.effective(base)
    assert grid.effective(dict(synq, d0=16.0)) != grid.effective(synq)
    assert grid.effective(dict(synq, tau=0.5)) != grid.effective(synq)
    assert grid.effective(dict(base, lr=0.01)) != grid.effective(base)


def test_lever_sets_and_the_cpu_plus_preset():
    """issue 12: every lever run is SynQ (three ideas on) with exactly its lever's settings; the cpu-plus runs use
    the preset, which keeps the paper's ideas and changes only what the preset's comment says."""
    runs = {n: (s, o) for n, s, o in grid.experiments({"levers", "plus", "cpu-plus"}, "cpu", MODEL)}
    assert len(runs) == 3 * len(grid.LEVERS) + 3 * len(grid.PLUS_W4) + 2 + 6
    assert grid.run_config(runs["w3a3_paper_s1"][1]) == _expected(w_bits=3, a_bits=3, seed=1)
    assert grid.run_config(runs["w3a3_mse-kdT4_s2"][1]) == _expected(w_bits=3, a_bits=3, seed=2, weight_range="mse",
                                                                      kd_temperature=4.0)
    plus = grid.run_config(runs["w4a4_cpu-plus_s0"][1])
    want = get_config("cpu-plus", model=MODEL, dataset="cifar10", w_bits=4, a_bits=4).to_dict()
    want.pop("device")
    assert plus == want
    cpu = get_config("cpu").to_dict()
    changed = {k for k, v in get_config("cpu-plus").to_dict().items() if cpu[k] != v}
    assert changed == {"preset", "synth_iters", "epochs", "eval_every", "weight_range", "kd_temperature"}


def test_older_runs_compare_equal_with_the_settings_added_later():
    """A JSON written before weight_range / act_quant / quant_lr_mult existed ran with the paper's values."""
    synq = grid.run_config(_runs()["w3a3_synq_s0"][1])
    old = {k: v for k, v in synq.items() if k not in grid.ADDED_LATER}
    assert grid.effective(old) == grid.effective(synq)
    assert grid.effective(dict(old, weight_range="mse")) != grid.effective(synq)
    assert grid.effective(dict(synq, quant_lr_mult=10.0)) == grid.effective(synq)  # unused without lsq
    lsq = dict(synq, act_quant="lsq")
    assert grid.effective(dict(lsq, quant_lr_mult=10.0)) != grid.effective(lsq)


def test_make_tables_levers_section_recomputes_the_paired_deltas(tmp_path):
    import statistics

    spec = importlib.util.spec_from_file_location("make_tables_levers", REPO / "benchmarks" / "make_tables.py")
    mt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mt)
    runs_dir = REPO / "results" / "runs" / "levers"
    by = {}
    for p in runs_dir.glob("*.json"):
        r = json.loads(p.read_text())
        by.setdefault(p.stem.split("_", 1)[1].rsplit("_s", 1)[0], {})[r["seed"]] = r["final_top1"]
    if "paper" not in by or len(by) < 2:
        pytest.skip("needs committed lever runs")
    mt.main(["--runs", str(REPO / "results" / "runs"), "--out-md", str(tmp_path / "R.md"),
             "--readme", str(tmp_path / "none.md"), "--plot", str(tmp_path / "a.png")])
    md = (tmp_path / "R.md").read_text()
    for name, seeds in by.items():
        row = next(ln for ln in md.splitlines() if ln.startswith(f"| `{name}` |"))
        vals = list(seeds.values())
        assert f"{statistics.fmean(vals):.2f}" in row.split(" | ")[2]
        if name != "paper":
            diffs = [seeds[s] - by["paper"][s] for s in sorted(seeds) if s in by["paper"]]
            assert row.split(" | ")[3].startswith(f"{statistics.fmean(diffs):+.2f}")


def _make_tables(name="make_tables_sel"):
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "make_tables.py")
    mt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mt)
    return mt


def test_confirm_and_validation_sets():
    runs = {n: (s, o) for n, s, o in grid.experiments({"confirm", "val-d0"}, "cpu", MODEL)}
    assert {o["seed"] for s, o in runs.values() if s == "confirm"} == {3, 4, 5}  # fresh seeds only
    assert runs["w3a3_cpu-cam-off_s3"][1]["cam"] == "off" and runs["w3a3_cpu_s3"][1]["cam"] == "on"
    assert runs["w3a3_cpu-plus_s4"][1]["preset"] == "cpu-plus"
    same_cost = grid.run_config(runs["w3a3_cpu-syn150-ep15_s3"][1])
    plus = get_config("cpu-plus")
    assert (same_cost["synth_iters"], same_cost["epochs"]) == (plus.synth_iters, plus.epochs)
    assert same_cost["weight_range"] == "minmax" and same_cost["kd_temperature"] == 1.0  # the levers off
    assert sorted(o["d0"] for s, o in runs.values() if s == "val-d0") == [4, 8, 16, 32]
    assert set(grid.NEEDS_VALIDATION) == {"confirm", "val-d0", "calib", "val-tau", "val-split"}


def test_val_split_set_spends_cpu_plus_budget_three_ways_and_make_tables_reads_it():
    runs = {n: grid.run_config(o) for n, s, o in grid.experiments({"val-split"}, "cpu", MODEL)}
    plus = get_config("cpu-plus").to_dict()
    assert sorted((c["synth_iters"], c["epochs"]) for c in runs.values()) == [(50, 20), (150, 15), (250, 10)]
    for c in runs.values():  # only the split differs from cpu-plus (the preset's name is a label)
        assert {k for k in c if c[k] != plus.get(k)} <= {"synth_iters", "epochs", "preset", "w_bits", "a_bits"}
        assert c["seed"] == 0 and c["w_bits"] == c["a_bits"] == 3
    spec = importlib.util.spec_from_file_location("make_tables", REPO / "benchmarks" / "make_tables.py")
    mt = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mt)

    def run(syn, ep, val, test):
        return dict(seed=0, config=dict(synth_iters=syn, epochs=ep), val_final_top1=val, final_top1=test,
                    cpu_s=dict(total=900.0), command="python -m synq_nb run ...", date="2026-12-05", device="cpu")
    text = mt.split_choice([run(150, 15, 86.09, 81.94), run(50, 20, 83.83, 79.40), run(250, 10, 75.90, 72.27)])
    assert "validation split picks 150 synthesis iterations x 15 epochs" in text and "the same choice" in text
    assert "`cpu-plus` keeps 150 synthesis iterations x 15 epochs" in text and "| 50 x 20 | 0 | 83.83 | 79.40 |" in text
    text = mt.split_choice([run(150, 15, 80.0, 81.94), run(50, 20, 83.83, 79.40)])
    assert "a different choice" in text and "does not confirm `cpu-plus`'s 150 synthesis iterations x 15 epochs" in text
    assert mt.split_choice([]) == mt.NOT_YET


def test_calib_set_is_synq_with_only_the_calibration_unfiltered():
    """The control of the filter's two roles: SynQ's config with filter_calibration off and nothing else changed."""
    (name, s, o), *rest = grid.experiments({"calib"}, "cpu", MODEL)
    raw = grid.run_config(o)
    synq = grid.run_config({k: v for k, v in o.items() if k != "filter_calibration"})
    assert len(rest) == 2 and raw["filter_calibration"] is False and synq["filter_calibration"] is True
    assert {k for k in raw if raw[k] != synq[k]} == {"filter_calibration"}
    assert (raw["use_filter"], raw["use_cam"], raw["use_soft_labels"], raw["w_bits"]) == (True, True, True, 3)


def test_runs_without_validation_numbers_are_not_reused_for_validation_sets(tmp_path):
    overrides = dict(grid.SYNQ, model=MODEL, preset="cpu", eval_every=5, w_bits=3, a_bits=3, seed=0)
    old = dict(config=grid.run_config(overrides), final_top1=72.0)
    (tmp_path / "d0").mkdir()
    (tmp_path / "d0" / "w3a3_d0-8_s0.json").write_text(json.dumps(old))
    assert grid.find_same_run(overrides, tmp_path)[0] is not None
    assert grid.find_same_run(overrides, tmp_path, need_validation=True)[0] is None
    (tmp_path / "d0" / "w3a3_d0-8_s0.json").write_text(json.dumps(dict(old, val_final_top1=80.0)))
    assert grid.find_same_run(overrides, tmp_path, need_validation=True)[0] is not None


def _run(name, seed, top1, val, cpu_total, cam=(0.02, 0.01), d0=8.0):
    return dict(run_name=f"w3a3_{name}_s{seed}", seed=seed, final_top1=top1, val_final_top1=val, total_s=cpu_total,
                cpu_s=dict(load=1, synthesis=cpu_total / 3, calibration=1, finetune=cpu_total / 2, total=cpu_total),
                val_rtn_cam_loss=cam[0], val_final_cam_loss=cam[1], config=dict(d0=d0), device="cpu", date="d",
                preset="cpu", command="python -m synq_nb run --seed 0")


def test_selection_section_recomputes_pairs_intervals_and_cost_ratios():
    from synq_nb.results import t_interval

    mt = _make_tables()
    confirm = [_run("cpu", 3, 72.0, 80.0, 1000), _run("cpu", 4, 73.0, 81.0, 1100),
               _run("cpu-plus", 3, 79.0, 85.0, 1800), _run("cpu-plus", 4, 81.0, 86.0, 1900),
               _run("cpu-cam-off", 3, 71.0, 79.0, 900, cam=(0.02, 0.03)), _run("cpu-cam-off", 4, 72.5, 80.0, 950)]
    md = mt.selection_tables(confirm, [])
    row = next(ln for ln in md.splitlines() if ln.startswith("| cpu-plus − cpu (levers"))
    lo, hi = t_interval([7.0, 8.0])
    assert "| +7.50 | +7.00, +8.00 |" in row and f"[{lo:+.2f}, {hi:+.2f}] gain" in row
    assert row.endswith(f"| {(1800 + 1900) / (1000 + 1100):.2f}x |")
    cam = next(ln for ln in md.splitlines() if ln.startswith("| λ_CAM 5 − λ_CAM 0"))
    assert "| +0.75 |" in cam and "unresolved" in cam  # +1.0 and +0.5 over two seeds: t = 12.7 keeps 0 inside
    assert "| cpu-cam-off | 3 | 0.0200 | 0.0300 |" in md
    assert "d0 on the validation split\n\n_Not measured yet._" in md


def test_selection_section_reads_the_validation_choice():
    mt = _make_tables("make_tables_sel2")
    val = [_run("d0-8", 0, 72.3, 88.0, 1, d0=8.0), _run("d0-16", 0, 68.6, 86.0, 1, d0=16.0)]
    md = mt.selection_tables([], val)
    assert "validation split picks d0 = 8 (88.00); the test set picks d0 = 8 (72.30): the same choice" in md
    val[1]["val_final_top1"] = 90.0
    md = mt.selection_tables([], val)
    assert "picks d0 = 16 (90.00)" in md and "a different choice" in md and "does not confirm d0 = 8" in md


def test_readme_selection_block_is_generated_from_the_runs(tmp_path):
    mt = _make_tables("make_tables_sel3")
    confirm = [_run("cpu", 3, 72.0, 80.0, 1000), _run("cpu", 4, 73.0, 81.0, 1100),
               _run("cpu-plus", 3, 79.0, 85.0, 1800), _run("cpu-plus", 4, 81.0, 86.0, 1900)]
    text = mt.selection_summary(confirm, [_run("d0-8", 0, 72.3, 88.0, 1, d0=8.0), _run("d0-16", 0, 68.6, 86.0, 1, d0=16.0)])
    assert "`cpu` 72.00, 73.00 (mean 72.50), `cpu-plus` 79.00, 81.00 (mean 80.00)" in text
    assert f"cost ratio {(1800 + 1900) / 2100:.2f}x in CPU seconds" in text and "+7.50 points paired over seeds 3, 4" in text
    assert "the split picks d0 = 8, the default" in text
    readme = tmp_path / "README.md"
    readme.write_text(f"a\n{mt.SEL_START}\nold\n{mt.SEL_END}\nb\n")
    mt.update_readme(readme, text, mt.SEL_START, mt.SEL_END)
    assert readme.read_text() == f"a\n{mt.SEL_START}\n{text}\n{mt.SEL_END}\nb\n"
    # the committed README holds the block, so that make_tables can keep it in step with the runs
    committed = (REPO / "README.md").read_text()
    assert committed.count(mt.SEL_START) == 1 and committed.index(mt.SEL_START) < committed.index(mt.SEL_END)


def test_cost_of_a_run_that_loaded_its_synthetic_set_includes_the_makers_synthesis():
    mt = _make_tables("make_tables_cost")
    cfg = dict(num_images=1024, synth_iters=150, synth_batch=256, synth_lr=0.5, alpha_bns=1.0, beta_il=0.1, gamma_il=0.5)
    maker = dict(seed=3, config=cfg, cpu_s=dict(synthesis=400.0, total=1100.0))
    loader = dict(seed=3, config=cfg, synthetic_from_cache=True, cpu_s=dict(synthesis=0.1, total=700.0))
    other = dict(seed=3, config=dict(cfg, synth_iters=50), cpu_s=dict(synthesis=130.0, total=600.0))
    assert mt.whole_cpu_seconds(maker, [maker, loader]) == 1100.0
    assert mt.whole_cpu_seconds(loader, [other, maker, loader]) == 1100.0  # 700 + the maker's 400, not the other's
    assert mt.whole_cpu_seconds(loader, [other, loader]) is None  # no run made that set: no cost claimed
    assert mt.whole_cpu_seconds(dict(seed=3), []) is None


def test_two_roles_section_pairs_the_calibration_control_by_seed():
    """Section 9: filtered − unfiltered calibration paired by seed (the oracle: the differences written out)."""
    import statistics

    mt = _make_tables("make_tables_calib")

    def run(seed, final, rtn, filt, cam, soft, calib=True):
        return dict(seed=seed, final_top1=final, rtn_top1=rtn, w_bits=3, a_bits=3, preset="cpu", date="d", device="cpu",
                    cpu_s={"total": 600.0}, config=dict(use_filter=filt, use_cam=cam, use_soft_labels=soft,
                                                        filter_calibration=calib))
    synq = [run(s, f, 59.0, True, True, True) for s, f in ((0, 72.0), (1, 73.0), (2, 71.0))]
    base = [run(s, f, 41.0, False, False, False) for s, f in ((0, 57.0), (1, 55.0), (2, 58.0))]
    calib = [run(s, f, 41.0, True, True, True, calib=False) for s, f in ((0, 50.0), (1, 49.0), (2, 55.0))]
    md = mt.two_roles_table(calib, synq + base, [])
    row = next(ln for ln in md.splitlines() if ln.startswith("| filtered − unfiltered calibration"))
    diffs = [72.0 - 50.0, 73.0 - 49.0, 71.0 - 55.0]
    assert f"{statistics.fmean(diffs):+.2f}" in row and "+22.00, +24.00, +16.00" in row and "gain" in row
    row = next(ln for ln in md.splitlines() if ln.startswith("| SynQ with unfiltered calibration − baseline"))
    assert "-7.00, -6.00, -3.00" in row
    assert mt.NOT_YET in mt.two_roles_table([], synq + base, [])
