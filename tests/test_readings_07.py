"""The generated readings of notebook 07 (synq_nb.readings.lesson07): every branch, with made-up numbers on both
sides of it, asserting that the numbers appear and that the right words are chosen. No model, no data: the runs
are small dicts shaped like the committed JSONs."""
import pytest

from synq_nb import results
from synq_nb.readings import lesson07 as L

# ------------------------------------------------------------------ made-up runs shaped like results/runs/*.json
SYNQ_W3 = {0: 72.31, 1: 72.09, 2: 73.25}
BASE_W3 = {0: 57.70, 1: 53.73, 2: 58.80}
RTN_W3 = {0: 58.95, 1: 58.74, 2: 59.33}
SYNQ_W4 = {0: 88.88, 1: 88.42, 2: 88.70}
BASE_W4 = {0: 85.76, 1: 85.56, 2: 85.81}
RTN_W4 = {0: 86.33, 1: 86.03, 2: 86.12}
BASE_RTN_W3 = {0: 42.04, 1: 40.43, 2: 40.95}
BASE_RTN_W4 = {0: 82.70, 1: 82.25, 2: 83.82}
BY_BITS = {4: dict(synq=SYNQ_W4, baseline=BASE_W4, rtn=RTN_W4, baseline_rtn=BASE_RTN_W4),
           3: dict(synq=SYNQ_W3, baseline=BASE_W3, rtn=RTN_W3, baseline_rtn=BASE_RTN_W3)}
ITER_COST = dict(ratio=1.077, batch=128, device="cpu (x86_64, 1 threads)", iters=30)

LEVERS = {"paper": {0: 72.55, 1: 71.61, 2: 72.14}, "kdT4": {0: 75.77, 1: 75.17, 2: 75.41},
          "mse": {0: 76.60, 1: 72.62, 2: 73.16}, "lsq": {0: 72.48, 1: 70.74, 2: 72.07},
          "mse-kdT4": {0: 78.35, 1: 77.12, 2: 77.54}, "mse-lsq": {0: 75.17, 1: 74.73, 2: 74.38},
          "mse-lsq-kdT4": {0: 78.32, 1: 75.87, 2: 76.04}, "mse-lsq-qlr10": {0: 76.37, 1: 73.82, 2: 73.49},
          "mse-lsq-kdT4-syn150-ep15": {0: 81.49, 1: 78.61, 2: 76.72}, "mse-lsq-kdT8": {0: 78.46}}

SYN_KEYS = dict(num_images=1024, synth_batch=256, synth_lr=0.5, alpha_bns=1.0, beta_il=0.1, gamma_il=0.5)


def _run(name, seed, top1, cpu_total, cpu_syn, cpu_ft, wall, from_cache=False, synth_iters=50, val=None,
         device="cpu (x86_64, 1 threads)", bits=3):
    r = dict(run_name=f"w{bits}a{bits}_{name}_s{seed}", w_bits=bits, seed=seed, final_top1=top1, total_s=wall,
             synthetic_from_cache=from_cache, device=device,
             cpu_s=dict(load=1.0, synthesis=cpu_syn, calibration=1.0, finetune=cpu_ft, total=cpu_total),
             config=dict(SYN_KEYS, synth_iters=synth_iters))
    if val is not None:
        r["val_final_top1"], r["val_images"] = val, 4880
    return r


def confirm(control=True, plus_top1=(79.61, 81.56, 79.50), cpu_top1=(73.38, 71.61, 72.11), ctl_top1=(76.49, 75.38),
            plus_cost=(1146.0, 1165.0, 1131.0), cpu_cost=(669.0, 684.0, 641.0), seeds=(3, 4, 5)):
    runs = []
    for i, s in enumerate(seeds):
        runs.append(_run("cpu", s, cpu_top1[i], cpu_cost[i], 145.0, 450.0, 1350.0, val=76.0 + i * 0.1))
        runs.append(_run("cpu-plus", s, plus_top1[i], plus_cost[i], 420.0, 645.0, 1500.0, synth_iters=150,
                         val=84.5 + i * 0.3))
    if control:
        for i, s in enumerate(seeds[:len(ctl_top1)]):
            runs.append(_run("cpu-syn150-ep15", s, ctl_top1[i], 750.0, 0.0, 667.0, 760.0, from_cache=True,
                             synth_iters=150))
    return runs


# ------------------------------------------------------------------ section 2
def test_committed_gain_at_both_bits_and_which_row_varies():
    t = L.committed(BY_BITS)
    assert "**W4A4.** SynQ ends at 88.67 ± 0.23 and the baseline at 85.71 ± 0.13" in t
    assert "SynQ − baseline is +2.96 points" in t and "[+2.60, +3.31]" in t and "+15.81 points" in t
    assert "similar amounts (std 0.13 for the baseline, 0.23 for SynQ" in t
    assert "The baseline varies from seed to seed 4.3 times as much as SynQ (std 2.67 against 0.62)" in t
    assert "at W4A4 and W3A3: that is the finding this notebook lets you rerun" in t
    assert "SynQ's whole pipeline (filtered calibration and synthesis-aware fine-tuning together)" in t
    assert "*Where the W4A4 lead arises.*" in t and "*Where the W3A3 lead arises.*" in t
    assert "not in this checkout" in t  # no cost file given
    t = L.committed(BY_BITS, ITER_COST)
    assert "one SynQ fine-tuning iteration takes 1.08x the time of a baseline iteration (median of 30 iterations at " \
           "batch 128 on cpu (x86_64, 1 threads)" in t


def test_where_the_lead_arises_at_the_committed_values():
    t = L.where_the_lead_arises(3, BY_BITS[3])
    assert "SynQ's RTN − the baseline's RTN is +17.87 points" in t and "[+15.81, +19.93]" in t
    assert "adds +13.54 [+12.73, +14.35] points to SynQ and +15.60 [+9.95, +21.26] to the baseline" in t
    assert "SynQ's gain over RTN − the baseline's is -2.06 points" in t and "[-7.03, +2.91]" in t
    assert "do not show that SynQ's fine-tuning adds more than the baseline's: the lead at the final epoch is " \
           "already there at RTN." in t
    t = L.where_the_lead_arises(4, BY_BITS[4])
    assert "+3.24 points" in t and "[+1.21, +5.26]" in t and "-0.28 points" in t and "[-2.22, +1.66]" in t


def test_where_the_lead_arises_other_branches():
    # SynQ's fine-tuning adds more (resolved), from an RTN level with the baseline's
    d = dict(synq={0: 80.0, 1: 81.0, 2: 80.6}, rtn={0: 60.0, 1: 60.5, 2: 60.2},
             baseline={0: 70.0, 1: 71.2, 2: 70.4}, baseline_rtn={0: 60.5, 1: 59.8, 2: 60.6})
    t = L.where_the_lead_arises(3, d)
    assert "SynQ's fine-tuning adds more than the baseline's: part of the lead is made during fine-tuning." in t
    assert "the interval contains zero" in t  # the RTN gap
    # the baseline recovers more (resolved), with SynQ ahead at RTN
    d = dict(synq={0: 80.0, 1: 81.0, 2: 80.6}, rtn={0: 75.0, 1: 76.1, 2: 75.4},
             baseline={0: 75.0, 1: 76.0, 2: 75.6}, baseline_rtn={0: 60.0, 1: 61.2, 2: 60.3})
    t = L.where_the_lead_arises(3, d)
    assert "The baseline's fine-tuning recovers more than SynQ's, from its lower start: SynQ's lead is smaller" in t
    # unresolved everywhere: no claim that the lead is there at RTN
    d = dict(synq={0: 80.0, 1: 79.0, 2: 81.0}, rtn={0: 60.0, 1: 62.0, 2: 58.0},
             baseline={0: 70.0, 1: 73.0, 2: 68.0}, baseline_rtn={0: 61.0, 1: 58.0, 2: 60.5})
    t = L.where_the_lead_arises(3, d)
    assert t.endswith("adds more than the baseline's.")
    assert L.where_the_lead_arises(3, dict(BY_BITS[3], baseline_rtn={})) == ""
    assert L.gains_over_rtn(dict(BY_BITS[3], baseline_rtn={0: 1.0})) is None


def test_iteration_cost_files():
    cost = {"device": "cpu (x86_64, 1 threads)", "iters": 30,
            "per_batch": {"128": {"ratio_synq_over_baseline": 1.077}, "256": {"ratio_synq_over_baseline": 0.97}}}
    assert L.synq_iteration_cost(cost, 128) == ITER_COST
    assert L.synq_iteration_cost(cost, 64) is None and L.synq_iteration_cost(None, 128) is None
    files = {"cost_cpu": cost,
             "cost_cpu_variants": {"device": "cpu (x86_64, 2 threads)", "variants": {
                 "batch": 128, "synq": {"median_s": 0.4}, "mse-lsq": {"median_s": 0.436}, "channels_last": {"median_s": 0.35}}},
             "cost_cuda": {"device": "NVIDIA H200", "variants": {"synq": {"median_s": 0.0357},
                                                                 "mse-lsq": {"median_s": 0.0987}}}}
    got = L.lever_iteration_costs(files, LEVERS)
    assert list(got) == ["mse-lsq"] and [round(r, 2) for r, _, _ in got["mse-lsq"]] == [1.09, 2.76]
    assert got["mse-lsq"][1][1:] == ("NVIDIA H200", "results/cost_cuda.json")
    t = L.iteration_costs(got)
    assert t.startswith("Cost per fine-tuning iteration was measured for `mse-lsq` only: `mse-lsq` takes 1.09x plain "
                        "SynQ's time on cpu (x86_64, 2 threads)")
    assert "2.76x plain SynQ's time on NVIDIA H200 (`results/cost_cuda.json`)" in t and "not measured" in t
    assert L.iteration_costs({}) == "No lever row's cost per fine-tuning iteration was measured."

def test_committed_gain_only_at_one_bit_width_none_and_empty():
    noisy = {**BY_BITS, 3: dict(synq={0: 60.0, 1: 48.0, 2: 58.0}, baseline={0: 57.7, 1: 53.7, 2: 58.8})}
    t = L.committed(noisy)
    assert "only at W4A4" in t and "do not establish the gain" in t
    assert "SynQ varies from seed to seed" in t  # now SynQ is the noisier row
    t = L.committed({3: noisy[3]})
    assert "At no bit-width (W3A3)" in t and "do not establish" in t
    assert "No committed main runs" in L.committed({}) and "No committed main runs" in L.committed(
        {3: dict(synq={0: 1.0}, baseline={1: 2.0})})


# ------------------------------------------------------------------ section 4
def _timing(**kw):
    d = dict(seed=0, epochs_before=0, epochs_done=10, finetune_s=755.2, call_s=57.0, from_cache=True,
             synthesis_s=374.4, device="cpu (x86_64, 1 threads)")
    d.update(kw)
    return d


def test_run_times_reloaded_computed_resumed():
    t = L.run_times([_timing(epochs_before=10, device="cpu (x86_64, 2 threads)", committed_s=936.2,
                             committed_device="cpu (x86_64, 1 threads)")])
    assert "**reloaded, not computed**" in t and "took 755 s when they were computed" in t
    assert "the checkpoint does not record the device or the number of threads it was trained on; its results name " \
           "cpu (x86_64, 2 threads), the device of the call that last evaluated it" in t
    assert "the committed run of the same setting and seed (`results/runs/main`) spent 936 s fine-tuning on cpu " \
           "(x86_64, 1 threads)" in t
    assert "loaded from the cache (it took 374 s" in t and "This call took 57.0 s: the reload;" in t
    assert "nothing was trained or evaluated again" in t and "in brackets" not in t
    t = L.run_times([_timing(epochs_before=0, from_cache=False, call_s=1300.0)])
    assert "**computed in this execution**: 10 epochs of fine-tuning in 755 s on cpu (x86_64, 1 threads)" in t
    assert "does not record" not in t and "For scale" not in t
    assert "made in this execution, in 374 s" in t and "loading, synthesis, the training" in t
    t = L.run_times([_timing(epochs_before=4), _timing(seed=1, epochs_before=0)])
    assert "**resumed**: the checkpoint held 4 epochs" in t and "epochs 5 to 10" in t and "- Seed 1: **computed" in t
    assert "does not record the device of the earlier epochs" in t


def test_seeds_reading_one_seed_and_several():
    t = L.seeds_reading([dict(seed=0, rtn=86.33, final=88.88)])
    assert "fine-tuning raised the top-1 from RTN's 86.33 to 88.88 (+2.55 points)" in t and "no interval" in t
    t = L.seeds_reading([dict(seed=0, rtn=86.33, final=86.0)])
    assert "did not raise" in t and "-0.33" in t
    rows = [dict(seed=s, rtn=RTN_W4[s], final=SYNQ_W4[s]) for s in (0, 1, 2)]
    t = L.seeds_reading(rows)
    assert "from 88.42 to 88.88 (mean ± std 88.67 ± 0.23)" in t and "final − RTN is +2.51 points" in t
    assert "beat RTN on every seed" in t
    rows[1]["final"] = 85.0
    assert "did not beat RTN on seed 1" in L.seeds_reading(rows)


def test_final_vs_best_flatters_or_agrees():
    t = L.final_vs_best([dict(seed=0, final=88.88, best=89.24, evaluated=list(range(1, 11)))])
    assert t.startswith("Seed 0: best over its 10 evaluated epochs 89.24, final 88.88, best − final +0.36")
    assert "would flatter the run" in t and "notebook 05" in t
    t = L.final_vs_best([dict(seed=0, final=88.88, best=88.88, evaluated=[5, 10])])
    assert "last of its 2 evaluated epochs was also the best (88.88)" in t and "Here the two agree" in t


# ------------------------------------------------------------------ section 5
PAPER = dict(fp=93.89, mean=92.76, other_name="TexQ", other=92.68)
COMMITTED_ROWS = [dict(bits=4, fp=91.73, final=88.67, rtn=86.16, n=3, paper_drop=1.13),
                  dict(bits=3, fp=91.73, final=72.55, rtn=59.01, n=3, paper_drop=5.78)]


def test_table1_larger_drop_cut_by_finetuning_with_committed():
    t = L.table1("W4A4", dict(fp=91.73, final=88.88, rtn=86.33, n=1, preset="cpu"), PAPER, COMMITTED_ROWS)
    assert "ours is 2.16 points weaker" in t and "this run loses 2.85 points" in t and "(1 seed, `cpu` preset)" in t
    assert "SynQ loses 1.13 and its best other method (TexQ) 1.21" in t and "1.72 points larger" in t
    assert "from RTN's 5.40 points to 2.85: it removed 47 %" in t
    assert "W4A4 3.06 against the paper's 1.13 (RTN: 5.57); W3A3 19.18 against the paper's 5.78 (RTN: 32.72)" in t
    assert "larger than the paper's at every bit-width; fine-tuning cuts RTN's drop at every bit-width." in t


def test_table1_smaller_drop_no_cut_stronger_teacher_mixed_committed():
    t = L.table1("W4A4", dict(fp=95.0, final=94.5, rtn=94.6, n=3, preset="paper"), PAPER,
                 [dict(COMMITTED_ROWS[0], final=93.0), dict(COMMITTED_ROWS[1], final=50.0)])
    assert "ours is 1.11 points stronger" in t and "(3 seeds, `paper` preset)" in t and "0.63 points smaller" in t
    assert "did not reduce our drop: RTN lost 0.40 points and the fine-tuned student 0.50" in t
    assert "larger than the paper's only at W3A3" in t and "cuts RTN's drop only at W4A4" in t
    t = L.table1("W4A4", dict(fp=91.73, final=91.0, rtn=86.0, n=1, preset="cpu"), PAPER,
                 [dict(COMMITTED_ROWS[0], final=91.0), dict(COMMITTED_ROWS[1], final=90.0, rtn=95.0)])
    assert "smaller than the paper's at every bit-width" in t
    assert "committed" not in L.table1("W4A4", dict(fp=91.73, final=88.88, rtn=86.33, n=1, preset="cpu"), PAPER)


# ------------------------------------------------------------------ section 6
class _Cfg:
    def __init__(self, **kw):
        self.__dict__.update(kw)


CPU_CFG = _Cfg(epochs=10, iters_per_epoch=100, num_images=1024, synth_iters=50, batch_size=128)
PAPER_CFG = _Cfg(epochs=100, iters_per_epoch=200, num_images=5120, synth_iters=1000, batch_size=256)


def test_budget_ratios_and_the_excess_over_the_paper():
    b_cpu, b_paper = L.budget_of(CPU_CFG), L.budget_of(PAPER_CFG)
    assert b_cpu["samples seen in fine-tuning"] == 128000 and b_paper["fine-tuning steps"] == 20000
    rows = [dict(COMMITTED_ROWS[0], final=88.67), dict(COMMITTED_ROWS[1], final=72.55)]
    t = L.budget(b_cpu, b_paper, rows)
    assert "1/5 of the paper's synthetic images and 1/20 of its synthesis iterations" in t
    assert "1/20 of its steps at 1/2 of its batch" in t and "1/40 of the paper's training samples" in t
    assert "In the committed `cpu` runs (3 seeds) SynQ's drop from full precision is 3.06 points at W4A4 against the " \
           "paper's 1.13 (1.93 more) and 19.18 points at W3A3 against the paper's 5.78 (13.40 more)." in t
    assert "The excess is larger at W3A3." in t and "nothing in these runs separates their shares" in t
    assert "Section 2 reads SynQ against the baseline" in t and "finding still holds" not in t
    t = L.budget(b_cpu, b_paper, [dict(COMMITTED_ROWS[0], final=93.0), dict(COMMITTED_ROWS[1], final=90.0)])
    assert "(2.40 less)" in t and "(4.05 less)" in t and "not larger than the paper's at any bit-width" in t
    assert "excess is" not in t
    t = L.budget(b_cpu, b_paper, [dict(COMMITTED_ROWS[0], final=93.0), dict(COMMITTED_ROWS[1], final=72.55)])
    assert "Our drop is larger than the paper's only at W3A3." in t
    t = L.budget(b_paper, b_cpu, None)
    assert "5× of the paper's synthetic images" in t and "drop" not in t and "Section 2" not in t


# ------------------------------------------------------------------ section 7: the levers
def test_lever_rows_and_interval_text():
    rows = L.lever_rows(LEVERS)
    assert rows[0]["lever"] == "mse-lsq-kdT4-syn150-ep15" and rows[0]["95 % t interval"] == "[+1.41, +12.27] above zero"
    one = next(r for r in rows if r["lever"] == "mse-lsq-kdT8")
    assert one["95 % t interval"] == "— (one seed)" and one["each seed"] == "+5.9"
    paper = next(r for r in rows if r["lever"] == "paper")
    assert paper["Δ vs paper (paired mean)"] == "—"
    assert L.interval_text(results.paired({0: 1.0, 1: 0.0}, {0: 3.0, 1: 2.1})).endswith("below zero")


def test_device_check_unresolved_and_resolved():
    t = L.device_check(LEVERS["paper"], SYNQ_W3)
    assert "ended at 72.55, 71.61 and 72.14 (mean 72.10)" in t and "72.31, 72.09 and 73.25 (mean 72.55)" in t
    assert "GPU − CPU is -0.45 points" in t and "No device effect is resolved" in t and "up to 1.11 points" in t
    t = L.device_check({0: 70.0, 1: 70.1, 2: 70.2}, SYNQ_W3)
    assert "The device shifts the result (down on the GPU" in t
    assert "share no seed" in L.device_check({7: 1.0}, SYNQ_W3)


def test_levers_reading_at_the_committed_values():
    t = L.levers_reading(LEVERS, budget_cost=1.73)
    assert "- `kdT4` (KD at $T$ = 4): `kdT4` − `paper` is +3.35 points" in t and "[+2.89, +3.81]" in t
    assert "`mse` − `paper` is +2.03 points" in t and "[-2.33, +6.38]): the interval contains zero" in t
    assert "Of the single levers only `kdT4` has an interval above zero (+3.35 points)" in t
    assert "The sum of `mse` and `kdT4` alone is +5.38; together minus that sum is +0.19" in t
    assert "no interaction is resolved, and the interval, 7.17 points wide, is too wide to say whether the two add up" in t
    assert t.startswith("The table has 10 rows, SynQ as published (`paper`) and 9 settings beyond it, 28 runs in all: 9 "
                        "with 3 seeds and 1 with 1 seed (`mse-lsq-kdT8`). Choosing among 9 rows")
    assert "the winner's curse" in t and "No lever row's cost per fine-tuning iteration was measured." in t
    assert "What `mse` adds on top of `kdT4` is +2.22 points" in t and "[+1.41, +3.03]" in t
    assert "The best mean of the table, 78.94, is `mse-lsq-kdT4-syn150-ep15`'s" in t
    assert "150 synthesis iterations and 15 epochs" in t and "no evidence for the levers at the same cost" in t
    assert "What the larger iteration counts add on top of `mse-lsq-kdT4` is +2.20 points" in t
    assert "costs 1.73x the CPU seconds of `cpu`" in t
    assert "`mse-lsq-kdT8` ran on one seed" in t


def test_levers_reading_other_branches():
    lv = {"paper": {0: 70.0, 1: 71.0, 2: 70.5}, "a": {0: 73.0, 1: 74.0, 2: 73.6}, "b": {0: 72.0, 1: 73.1, 2: 72.4},
          "a-b": {0: 80.0, 1: 81.2, 2: 80.3}, "a-ep20": {0: 72.0, 1: 69.0, 2: 74.0}}
    t = L.levers_reading(lv)
    assert "`a` and `b` have an interval above zero; the largest is `a`" in t
    assert "together they gain more than the sum of their parts" in t
    assert "\n\n`a-ep20` changes the budget too (20 epochs)" in t
    assert "The best mean of the table, 80.50, is `a-b`'s, at the `cpu` preset's iteration counts" in t
    assert "not in this checkout" in t  # no measured cost of the iteration counts
    lv2 = {"paper": {0: 70.0, 1: 71.0, 2: 70.5}, "a": {0: 70.1, 1: 70.8, 2: 70.6}, "b": {0: 71.0, 1: 72.0, 2: 71.5},
           "a-b": {0: 70.0, 1: 71.1, 2: 70.4}}
    t = L.levers_reading(lv2)
    assert "together they gain less than the sum of their parts" in t and "Of the single levers only `b`" in t
    t = L.levers_reading({"paper": {0: 70.0, 1: 71.0}, "a": {0: 69.0, 1: 72.0}})
    assert "No single lever has an interval above zero" in t
    assert L.changes_budget("x-syn150-ep15") and not L.changes_budget("mse-kdT4")
    assert "2 with 3 seeds (`a` and `paper`)" in L.lever_count({"paper": lv["paper"], "a": lv["a"], "b": {0: 1.0}})


def test_figure_names_label_the_larger_budget():
    names = L.figure_names(LEVERS, 1.734)
    assert "mse-lsq-kdT4-syn150-ep15 [larger budget, 1.73x CPU s]" in names and "mse-kdT4" in names
    assert names["paper"] is LEVERS["paper"] and len(names) == len(LEVERS)
    assert "x-ep15 [larger budget]" in L.figure_names({"x-ep15": {0: 1.0}})


# ------------------------------------------------------------------ section 7: the teacher's soft labels
def _st(median_max, share_confident, top_is_label, median_py, share_ce):
    return dict(median_max=median_max, share_confident=share_confident, top_is_label=top_is_label,
                median_py=median_py, share_ce=share_ce)


CONF = {"raw": {1: _st(0.980, 0.990, 1.0, 0.980, 1.0), 4: _st(0.465, 0.015, 1.0, 0.465, 0.994)},
        "seen": {1: _st(0.907, 0.514, 0.314, 0.045, 0.349), 4: _st(0.392, 0.007, 0.314, 0.162, 0.289)}}


def test_soft_labels_at_the_reader_values():
    t = L.soft_labels(CONF, 1024, 0, "cpu", 0.7, 0.248)
    assert t.startswith("On this run's synthetic set (seed 0, `cpu` preset, 1,024 images) at $T$ = 1, the images as "
                        "synthesised get a median largest probability of 0.98 from the teacher (99 % of them at 0.9 or "
                        "more), and its top class is the label on 100 %.")
    assert "there the median largest probability is 0.91 (51 % at 0.9 or more), the top class is the label on 31 %" in t
    assert "the label's own median probability is 0.04" in t  # 0.045 rounds half to even
    assert "are nearly one-hot, but on another class than the label for 69 % of the images" in t
    assert "At $T$ = 4 the median largest probability falls to 0.39" in t
    assert "35 % of these images (before augmentation) have p(label) ≥ 1 − τ = 0.30" in t and "25 % of the augmented" in t
    assert "not what the student learns from them" in t


def test_soft_labels_other_branches():
    conf = {"raw": CONF["raw"], "seen": {1: _st(0.95, 0.8, 0.9, 0.9, 0.9), 4: _st(0.5, 0.1, 0.9, 0.4, 0.9)}}
    t = L.soft_labels(conf, 1024, 0, "cpu")
    assert "nearly one-hot, and mostly on the label: plain KL says little more than the label there." in t
    assert "p(label)" not in t  # no tau, no CE share
    conf = {"raw": CONF["raw"], "seen": {1: _st(0.6, 0.1, 0.9, 0.5, 0.9), 4: _st(0.3, 0.0, 0.9, 0.2, 0.9)}}
    assert "are far from one-hot: half the images get a largest probability below 0.60" in L.soft_labels(conf, 64, 1, "smoke")
    t = L.soft_labels({"raw": CONF["raw"]}, 1024, 0, "cpu", 0.7, 0.9)
    assert "low-pass" not in t and "soft labels on them are nearly one-hot, and mostly on the label" in t
    assert "100 % of these images" in t


def test_welch_interval_and_selection_bias():
    w = L.welch_interval([6.23, 9.95, 7.39], [9.87, 7.00, 5.70])
    assert w["diff"] == pytest.approx(1 / 3, abs=1e-9) and int(w["df"]) == 3
    assert w["half"] == pytest.approx(3.182 * ((4.553 + 3.623) / 3) ** 0.5, rel=1e-3)
    assert L.welch_interval([1.0], [1.0, 2.0]) is None
    assert L.welch_interval([1.0, 1.0], [2.0, 2.0])["half"] == 0.0
    t = L.selection_bias([3.0, 3.1, 2.9], [8.0, 8.2, 7.9])
    assert "The in-sample gain is larger beyond the noise: choosing on seeds 0-2 inflated it by about 5.03 points" in t
    t = L.selection_bias([8.0, 8.2, 7.9], [3.0, 3.1, 2.9])
    assert "The fresh seeds gain more beyond the noise: no sign" in t and "larger on the fresh seeds" in t
    t = L.selection_bias([3.0], [3.0, 4.0])
    assert "no interval for that difference: no claim" in t and "smaller on the fresh seeds" in t


def test_wall_against_cpu_branches():
    assert "Wall seconds do not follow the CPU seconds" in L.wall_against_cpu(confirm())
    runs = confirm(control=False)
    assert L.wall_against_cpu(runs).startswith("Here the wall seconds order the settings as their CPU seconds do")
    assert L.wall_against_cpu(confirm(control=False, seeds=(3,), plus_top1=(1.0,), cpu_top1=(1.0,))[:1]) == ""


# ------------------------------------------------------------------ section 7: cpu-plus
def test_confirm_tables_charge_cached_synthesis():
    runs = confirm()
    by = L.confirm_settings(runs)
    assert set(by) == {"cpu", "cpu-plus", "cpu-syn150-ep15"} and set(by["cpu"]) == {3, 4, 5}
    assert L.cost_ratio(by["cpu-syn150-ep15"], by["cpu-plus"], runs) == pytest.approx(2340.0 / 2311.0)  # 750 + 420 each
    rows = L.confirm_rows(runs)
    assert [r["setting"].split(" ")[0] for r in rows] == ["`cpu`", "SynQ", "`cpu-plus`"]
    ctl = rows[1]
    assert ctl["of which synthesis"] == "420" and ctl["CPU s per run"] == "1,170" and ctl["mean ± std"] == "75.94 ± 0.78"
    assert rows[0]["threads"] == "1 thread each" and rows[2]["wall s per run"] == "1,500"
    pairs = L.confirm_pairs(runs)
    assert pairs[0]["mean"] == "+7.86" and pairs[0]["95 % t interval"] == "[+3.13, +12.59] above zero"
    assert pairs[0]["cost ratio (CPU s)"] == "1.73x" and pairs[1]["seeds"] == "3, 4"
    assert L.plus_cost(runs) == pytest.approx(3442.0 / 1994.0) and L.budget_cost(runs) == pytest.approx(2340.0 / 1353.0)
    bare = [dict(r) for r in runs]
    for r in bare:
        r.pop("cpu_s")
    assert L.plus_cost(bare) is None and L.confirm_pairs(bare)[0]["cost ratio (CPU s)"] == "n/a"
    assert L.confirm_rows(bare)[0]["CPU s per run"] == "n/a"
    assert L.threads(dict(device="NVIDIA H200")) is None and L.threads(runs[0]) == 1


def test_in_sample_with_and_without_cost_and_threads():
    plus = {0: 82.18, 1: 79.09, 2: 78.95}
    t = L.in_sample(plus, SYNQ_W3, {0: 2, 1: 1, 2: 1}, 1.73)
    assert t.startswith("**Seeds 0, 1 and 2 (in sample).**") and "chose the levers" in t
    assert "`cpu-plus` − `cpu` is +7.52 points" in t and "[+2.22, +12.82]" in t and "at 1.73x the CPU seconds" in t
    assert "different thread counts (seed 0: 2, seed 1: 1, seed 2: 1)" in t
    t = L.in_sample(plus, SYNQ_W3, {0: 1, 1: 1, 2: 1}, None)
    assert "not in this checkout" in t and "thread counts" not in t
    assert "share no seed" in L.in_sample({9: 1.0}, SYNQ_W3)
    rows = L.in_sample_rows([dict(seed=0, final_top1=82.18, device="cpu (x86_64, 2 threads)")], SYNQ_W3)
    assert rows == [{"seed": 0, "cpu-plus": "82.18", "cpu (SynQ as published)": "72.31", "difference": "+9.87",
                     "cpu-plus threads": 2}]


def test_out_of_sample_at_the_committed_values():
    t = L.out_of_sample(confirm(), ({0: 82.18, 1: 79.09, 2: 78.95}, SYNQ_W3))
    assert "**Fresh seeds 3, 4 and 5 (out of sample" in t and "79.61, 81.56 and 79.50 (mean 80.22)" in t
    assert "`cpu-plus` − `cpu` is +7.86 points" in t and "[+3.13, +12.59]" in t
    assert "**1.73x the CPU seconds** of `cpu` (1,147 against 665 s per run" in t and "1 thread each" in t
    assert "is not the same budget as `cpu`" in t
    assert "On the validation split (4,880 training images" in t and "+8.70 points" in t
    assert "Out of sample the mean difference is +7.86 points, in sample +7.52: 0.33 points larger on the fresh" in t
    assert "Welch's 95 % t interval for fresh minus in sample is [-4.92, +5.59] (3.9 degrees of freedom" in t
    assert "No selection bias is resolved: one smaller than about 5.3 points could not be seen" in t
    assert "The goal of 78.0 %, which the project's issue 12 set for W3A3 without any real image, as a mean over " \
           "seeds 0-2: the fresh seeds' mean, 80.22, is above it, and 3 of 3 seeds reach it" in t
    assert "Wall seconds do not follow the CPU seconds here: `cpu-syn150-ep15` used more CPU seconds per run than " \
           "`cpu` (750 against 665" in t and "(760 against 1,350 s)" in t
    assert "76.49 and 75.38 on seeds 3 and 4 (mean 75.94; `cpu-plus` costs 0.99x its CPU seconds)" in t
    assert "(the levers at the same cost) is +4.65 points" in t and "[-14.79, +24.09]" in t
    assert "the larger budget alone (the control − `cpu`, at 1.73x the CPU seconds of `cpu`) is +3.44" in t
    assert "splits into +3.44 from the larger budget and +4.65 from the levers, and neither part is resolved" in t
    assert "95 % t quantile is 12.7" in t


def test_out_of_sample_other_branches():
    # smaller out of sample, below the goal, the levers resolved at the same cost, cheaper than cpu
    runs = confirm(plus_top1=(76.0, 77.0, 76.5), cpu_top1=(73.0, 74.1, 73.4), ctl_top1=(72.0, 75.0, 73.4),
                   plus_cost=(600.0, 600.0, 600.0))
    t = L.out_of_sample(runs, ({0: 82.18, 1: 79.09, 2: 78.95}, SYNQ_W3))
    assert "points smaller on the fresh seeds" in t and "No selection bias is resolved" in t
    assert "is below it, and 0 of 3 seeds reach it" in t and "costs no more than `cpu` here" in t
    assert "The levers gain at the same cost. The larger budget alone is not resolved on these seeds." in t
    assert "12.7" not in t
    # the levers lose at the same cost; only the budget resolved
    runs = confirm(plus_top1=(74.0, 75.0, 74.5), cpu_top1=(70.0, 71.0, 70.5), ctl_top1=(76.0, 77.1, 76.4))
    assert "At the same cost the levers lose." in L.out_of_sample(runs)
    runs = confirm(plus_top1=(76.0, 73.0, 75.0), cpu_top1=(70.0, 71.0, 70.5), ctl_top1=(75.0, 76.0, 75.6))
    assert "only the budget's part is resolved (above zero)" in L.out_of_sample(runs)
    # the committed values once seed 5 of the control landed: both parts resolved
    runs = confirm(ctl_top1=(76.49, 75.38, 74.43))
    t = L.out_of_sample(runs)
    assert "(+3.12, +6.18, +5.07; 95 % t interval [+0.94, +8.64])" in t
    assert "The levers gain at the same cost. The larger budget alone gains too." in t and "12.7" not in t
    # no control; no CPU seconds; missing runs
    t = L.out_of_sample(confirm(control=False))
    assert "`cpu-syn150-ep15`) is not in this checkout" in t and "Out of sample the mean" not in t
    bare = [{k: v for k, v in r.items() if k != "cpu_s"} for r in confirm()]
    assert "no cost ratio can be given" in L.out_of_sample(bare)
    t = L.out_of_sample([])
    assert "**The out-of-sample runs are not in this checkout.**" in t and "w3a3_cpu-syn150-ep15_s*.json" in t
    assert "{3,4}" not in t
    assert "share no seed" in L.out_of_sample(confirm(seeds=(3, 4, 5))[:1] + [
        _run("cpu-plus", 9, 80.0, 1.0, 1.0, 1.0, 1.0)])


REAL = dict(synq=81.37, baseline=81.85, images=1024, seeds=[0], by_seed={0: 81.37})


def test_frontier_branches():
    t = L.frontier(91.73, SYNQ_W3, REAL, {3: 79.61, 4: 81.56, 5: 79.50}, 1.73)
    assert "ends 19.18 points below the teacher (91.73; mean 72.55 over seeds 0, 1 and 2)" in t
    assert "1,024 real training images (seed 0" in t and "SynQ reaches 81.37 and the baseline (KD + CE) 81.85" in t
    assert "Real images close 47 % of SynQ's gap to the teacher on seed 0, against the synthetic-data run of the " \
           "same seed, 72.31 (`results.gap_closed`)" in t and "one seed, so no interval" in t
    assert "`cpu-plus` on fresh seeds 3, 4 and 5 ended at 79.50 to 81.56; the real-data SynQ run (81.37) lies within " \
           "that range, and one real-data seed gives no interval" in t
    assert "costs 1.73x the CPU seconds" in t and "not measured" in t
    t = L.frontier(91.73, SYNQ_W3, dict(REAL, synq=70.0, by_seed={0: 70.0}), {3: 85.0})
    assert "do not close any of SynQ's gap on seed 0" in t and "(70.00) lies below that range" in t and "x the CPU" not in t
    two = dict(REAL, synq=86.0, seeds=[0, 1], by_seed={0: 85.0, 1: 87.0})
    t = L.frontier(91.73, SYNQ_W3, two, {3: 80.0, 4: 81.0})
    assert "on seeds 0 and 1, against the synthetic-data runs of the same seeds, 72.31 and 72.09" in t
    assert "one seed, so no interval" not in t and "runs (86.00) lie above that range" in t
    t = L.frontier(91.73, SYNQ_W3, dict(REAL, by_seed={7: 80.0}))
    assert "share no seed" in t and "`cpu-plus`" not in t
    assert "are not in this checkout" in L.frontier(91.73, SYNQ_W3, None)


def test_committed_helpers():
    def mk(bits, name, seed, top1, rtn, **cfg):
        ideas = {"synq": (1, 1, 1), "baseline": (0, 0, 0)}[name]
        return dict(run_name=f"w{bits}a{bits}_{name}_s{seed}", w_bits=bits, seed=seed, final_top1=top1, rtn_top1=rtn,
                    fp_top1=91.73, config=dict(use_filter=ideas[0], use_cam=ideas[1], use_soft_labels=ideas[2], **cfg))
    main = [mk(3, "synq", 0, 72.0, 59.0), mk(3, "synq", 1, 73.0, 59.0), mk(3, "baseline", 0, 57.0, 41.0),
            mk(3, "baseline", 1, 55.0, 40.0), mk(4, "synq", 0, 88.0, 86.0)]
    by = L.main_by_bits(main)
    assert set(by) == {3} and by[3]["rtn"] == {0: 59.0, 1: 59.0} and by[3]["baseline_rtn"] == {0: 41.0, 1: 40.0}
    rows = L.committed_drops(main, dict(fp=93.89, w3a3=(88.11, 0.15)))
    assert rows == [dict(bits=3, fp=91.73, final=72.5, rtn=59.0, n=2, paper_drop=pytest.approx(5.78))]
    assert L.committed_drops(main, dict(fp=93.89)) == []
    real = [mk(3, "synq", 0, 81.37, 55.0, num_images=1024), mk(3, "baseline", 0, 81.85, 48.0, num_images=1024),
            mk(3, "synq", 0, 82.39, 56.0, num_images=5120)]
    assert L.real_reference(real) == dict(synq=81.37, baseline=81.85, images=1024, seeds=[0], by_seed={0: 81.37})
    assert L.real_reference(real[:1]) is None and L.real_reference(None) is None


# ------------------------------------------------------------------ exercises
def test_sweep_cost():
    t = L.sweep_cost([810.0, 1451.0, 846.0, 900.0, 832.0], [131.0, 374.0, 200.0], 12, 3, 1)
    assert "took 810 to 1,451 s each without synthesis, median 846 s (wall time on 1 thread)" in t
    assert "131 to 374 s when they were made, median 200 s" in t and "other work shared the 2-core machine" in t
    assert "12 runs, with 3 synthetic sets" in t and "take about 3.0 hours" in t and "slowest pace measured, 5.1 hours" in t
    assert "the recorded threads" in L.sweep_cost([800.0], [100.0], 4, 1)


MOVED_NONE = dict(weights=268336, codes_changed=0, channels=698, channels_regridded=0, max_step_fraction=0.0)


def test_lr_tiny_every_branch():
    t = L.lr_tiny(84.2, 84.2, MOVED_NONE, (0, 1322))
    assert t.startswith("Here the final top-1 equals RTN exactly (84.20).")
    assert "0 of the fine-tuned student's 268,336 integer weight codes differ, 0 of its 698 output channels" in t
    assert "0 of its 1,322 other trainable values" in t and "changed nothing the network computes with" in t
    t = L.lr_tiny(84.2, 84.2, MOVED_NONE, (3, 1322))
    assert "what moved lies outside the quantized weights, and too little to change a test prediction." in t
    t = L.lr_tiny(84.2, 84.3, MOVED_NONE, (3, 1322))
    assert "differs from RTN (84.20) by +0.10 points" in t and t.endswith("outside the quantized weights.")
    t = L.lr_tiny(84.2, 84.2, dict(MOVED_NONE, codes_changed=5), (0, 1322))
    assert "5 of the fine-tuned student's" in t and "yet no test prediction changed." in t
    t = L.lr_tiny(84.2, 84.4, dict(MOVED_NONE, channels_regridded=2), (0, 1322))
    assert "2 of its 698 output channels" in t and t.endswith("close enough to a rounding boundary to cross it.")
    assert "not compared, so which values moved is not measured" in L.lr_tiny(84.2, 84.2)
    assert "which one is not measured" in L.lr_tiny(84.2, 84.3)


def test_solution4_both_gain_or_not():
    t = L.solution4(BY_BITS)
    assert "At W4A4, SynQ − baseline is +2.96 points" in t and "20.8 times the std of the differences (0.14)" in t
    assert "At W3A3" in t and "7.1 times" in t and "At every bit-width the interval lies above zero" in t
    t = L.solution4({3: dict(synq={0: 60.0, 1: 50.0, 2: 58.0}, baseline=BASE_W3)})
    assert "At W3A3 the interval does not lie above zero" in t
    assert "not in this checkout" in L.solution4({3: dict(synq={0: 1.0}, baseline={0: 2.0})})


def test_solution5_at_the_committed_values():
    rule = {k: results.beyond_seed_spread(results.paired(LEVERS[k[0]], LEVERS[k[1]])) for k in L.LSQ_PAIRS}
    t = L.solution5(LEVERS, rule, 0.2113)
    assert "- `mse-lsq-kdT4` − `mse-kdT4`: LSQ on minus off is -0.93 points" in t and "[-2.88, +1.03]" in t
    assert "- `mse-lsq` − `mse`: LSQ on minus off is +0.63 points" in t
    assert t.count("also raises the step sizes' learning rate tenfold") == 1
    assert "(simulated in the cell above; notebook 06 teaches the simulation)" in t
    assert "No interval resolves LSQ's effect" in t and "its sign depends on the reference row" in t
    assert "below zero for `lsq` − `paper` and `mse-lsq-kdT4` − `mse-kdT4`" in t
    assert "not because LSQ is shown to hurt" in t
    assert "said yes for `mse-lsq-kdT4` − `mse-kdT4`" in t and "about 21 % of the time" in t
    assert "the interval of the same differences contains zero" in t
    assert L.lsq_verdicts(LEVERS) == {k: "unresolved" for k in L.LSQ_PAIRS}


def test_solution5_other_branches():
    base = {"paper": {0: 70.0, 1: 71.0, 2: 70.5}, "mse": {0: 72.0, 1: 73.0, 2: 72.5}}
    up = dict(base, lsq={0: 72.0, 1: 73.1, 2: 72.4}, **{"mse-lsq": {0: 74.0, 1: 75.2, 2: 74.4}})
    t = L.solution5(up, {("lsq", "paper"): False}, 0.21)
    assert "LSQ gains against `paper` and `mse`, and no comparison shows a loss" in t and "says yes for none" in t
    assert "notebook 06 teaches the simulation" in t
    down = dict(base, lsq={0: 68.0, 1: 69.1, 2: 68.4})
    assert "leaving it out is backed" in L.solution5(down)
    mixed = dict(up, lsq={0: 68.0, 1: 69.1, 2: 68.4})
    assert "LSQ gains against `mse` and loses against `paper`" in L.solution5(mixed)
    flat = dict(base, lsq={0: 71.0, 1: 70.0, 2: 71.4}, **{"mse-lsq": {0: 73.0, 1: 72.0, 2: 73.4}})
    assert "the mean is above zero in every comparison" in L.solution5(flat)
    assert "not in this checkout" in L.solution5({"paper": {0: 1.0}})


# ------------------------------------------------------------------ summary and checks
def test_summary_both_sides():
    t = L.summary(BY_BITS, LEVERS, confirm(), ITER_COST)
    assert "SynQ's pipeline ends above the baseline by W4A4 +2.96 [+2.60, +3.31]; W3A3 +15.81 [+10.31, +21.30]" in t
    assert "Every interval lies above zero: the pipeline's finding holds at our budget" in t
    assert "at W3A3 SynQ's RTN student starts +17.87 [+15.81, +19.93] above the baseline's, and over its own RTN SynQ " \
           "gains +13.54 [+12.73, +14.35] while the baseline gains +15.60 [+9.95, +21.26]" in t
    assert "At no bit-width do these seeds show SynQ's fine-tuning adding more than the baseline's; the lead is " \
           "already there at RTN" in t
    assert "One SynQ fine-tuning iteration costs 1.08x a baseline iteration (cpu (x86_64, 1 threads), batch 128)" in t
    assert "on fresh seeds 3, 4 and 5: +7.86 points, 95 % t interval [+3.13, +12.59] above zero, at 1.73x" in t
    assert "at the same iteration counts ends at 75.94; `cpu-plus` − it is +4.65" in t
    assert "chosen on the test set (seeds 0-2)" in t and "none of its 4 comparisons resolves its effect" in t
    noisy = {3: dict(synq={0: 60.0, 1: 50.0, 2: 58.0}, baseline=BASE_W3, rtn=RTN_W3)}
    lv = {"paper": {0: 70.0, 1: 71.0, 2: 70.5}, "lsq": {0: 68.0, 1: 69.1, 2: 68.4}}
    t = L.summary(noisy, lv, [])
    assert "Not every interval lies above zero" in t and "not in this checkout" in t
    assert "- LSQ: against `paper` below zero (exercise 5)." in t and "Where the lead arises" not in t
    more = {3: dict(synq={0: 80.0, 1: 81.0, 2: 80.6}, rtn={0: 60.0, 1: 60.5, 2: 60.2},
                    baseline={0: 70.0, 1: 71.2, 2: 70.4}, baseline_rtn={0: 60.5, 1: 59.8, 2: 60.6})}
    t = L.summary(more)
    assert "SynQ's fine-tuning adds more than the baseline's at W3A3. (Section 2.)" in t and "1.08x" not in t
    less = {3: dict(synq={0: 80.0, 1: 81.0, 2: 80.6}, rtn={0: 75.0, 1: 76.1, 2: 75.4},
                    baseline={0: 75.0, 1: 76.0, 2: 75.6}, baseline_rtn={0: 60.0, 1: 61.2, 2: 60.3})}
    assert "The baseline's fine-tuning recovers more than SynQ's at W3A3." in L.summary(less)
    flat = {3: dict(synq={0: 80.0, 1: 79.0, 2: 81.0}, rtn={0: 60.0, 1: 62.0, 2: 58.0},
                    baseline={0: 70.0, 1: 73.0, 2: 68.0}, baseline_rtn={0: 61.0, 1: 58.0, 2: 60.5})}
    t = L.summary(flat)
    assert "adding more than the baseline's (section 2)." in t and "already there at RTN" not in t


def test_findings_hold_at_the_committed_values_and_fail_on_the_other_side():
    real = REAL
    plus_in = {0: 82.18, 1: 79.09, 2: 78.95}
    f = L.findings(BY_BITS, LEVERS, SYNQ_W3, plus_in, confirm(), real, 91.73)
    assert len(f) == 19 and all(f.values()), [k for k, v in f.items() if not v]
    assert not any("same iteration counts" in k or "budget alone" in k for k in f)  # may change with more seeds
    other_levers = {k: dict(v) for k, v in LEVERS.items()}
    other_levers["kdT4"] = {0: 72.0, 1: 71.0, 2: 72.5}
    other_levers["mse"] = {0: 76.6, 1: 75.6, 2: 76.1}
    other_levers["mse-kdT4"] = {0: 70.0, 1: 71.0, 2: 68.0}
    other_levers["lsq"] = {0: 80.0, 1: 79.1, 2: 79.6}
    other_levers["mse-lsq-kdT4-syn150-ep15"] = {0: 60.0, 1: 60.0, 2: 60.0}
    other_main = {3: dict(synq=BASE_W3, baseline=SYNQ_W3, rtn={0: 40.0, 1: 36.0, 2: 41.0},
                          baseline_rtn={0: 60.0, 1: 60.2, 2: 60.4})}   # SynQ behind at RTN, its fine-tuning gains more
    g = L.findings(other_main, other_levers, {0: 70.0, 1: 69.0, 2: 69.6},
                   {0: 65.0, 1: 64.0, 2: 64.8},
                   confirm(plus_top1=(70.0, 71.0, 70.5), cpu_top1=(73.0, 74.1, 73.4), ctl_top1=(60.0, 61.1),
                           plus_cost=(600.0, 600.0, 600.0)),
                   dict(real, synq=60.0, by_seed={0: 60.0}), 91.73)
    assert not any(g.values()), [k for k, v in g.items() if v]
    assert L.findings() == {} and L.findings(confirm_runs=[]) == {}


def test_edge_cases_one_seed_mixed_threads_no_singles():
    t = L.committed({3: dict(synq={0: 72.31}, baseline={0: 57.70})})
    assert "SynQ ends at 72.31 (one seed)" in t and "vary from seed to seed" not in t and "no interval" in t
    runs = confirm(control=False, seeds=(3,), plus_top1=(79.61,), cpu_top1=(73.38,))
    assert L.confirm_rows(runs)[0]["mean ± std"] == "73.38 (one seed)"
    runs = confirm()
    runs[1] = dict(runs[1], device="cpu (x86_64, 2 threads)")
    assert "different thread counts (1, 2)" in L.out_of_sample(runs)
    t = L.levers_reading({"paper": {0: 70.0, 1: 71.0}, "x-syn150": {0: 75.0, 1: 76.0}}, budget_cost=1.5)
    assert "One switch" not in t and "150 synthesis iterations" in t and "on top of" not in t and "1.50x" in t


def test_validation_sentence_without_a_known_split_size():
    runs = [{k: v for k, v in r.items() if k != "val_images"} for r in confirm()]
    t = L.out_of_sample(runs)
    assert "On the validation split (training images of the split" in t
    runs = [{k: v for k, v in r.items() if k != "val_final_top1"} for r in confirm()]
    assert "On the validation split" not in L.out_of_sample(runs)


# ------------------------------------------------------------------ section 6: the official recipe
def test_official_recipe_below_unresolved_and_missing():
    synq = {0: (59.29, 72.31), 1: (58.69, 72.09), 2: (59.05, 73.25)}
    below = {0: (41.93, 70.92), 1: (40.40, 70.04), 2: (41.0, 71.00)}
    t = L.official_recipe(below, synq, 956.0, 450.0, ms_spread=(853.0, 956.0))
    assert "scores 70.92, 70.04 and 71.00 on seeds 0, 1 and 2, SynQ as published 72.31, 72.09 and 73.25" in t
    assert "official − SynQ is -1.90 points" in t and "ends **below** SynQ as published" in t
    assert "RTN 41.11 for the recipe, 59.01 for SynQ" in t and "the start is this implementation's" in t
    assert "956 CPU ms on one thread (its runs spread 853 to 956 ms" in t and "SynQ's 450 (2.12 x)" in t
    assert "consistent with the adversarial term" in t and "not timed one by one" in t
    assert "only the losses differ" not in t  # no matched control given
    mixed = {0: (41.93, 70.92), 1: (40.40, 74.0)}
    t = L.official_recipe(mixed, synq)
    assert "the interval contains zero" in t and "ends **" not in t and "CPU ms" not in t
    level = {0: (59.0, 75.0), 1: (58.9, 75.5), 2: (59.1, 75.2)}
    t = L.official_recipe(level, synq)
    assert "ends **above**" in t and "start level" in t
    assert "not in this checkout" in L.official_recipe({}, synq)


def test_official_recipe_against_synq_at_the_same_d0():
    synq = {0: (59.29, 72.31), 1: (58.69, 72.09), 2: (59.05, 73.25)}
    official = {0: (41.93, 70.92), 1: (40.40, 68.04), 2: (40.49, 70.54)}
    matched = {0: (41.93, 63.64), 1: (40.40, 60.0), 2: (40.49, 64.0)}
    t = L.official_recipe(official, synq, matched=matched)
    assert "SynQ as published at the recipe's d0 = 80: the same calibration images (RTN 40.94)" in t
    assert "official − SynQ at d0 = 80 is +7.29 points" in t and "(+7.28, +8.04, +6.54" in t
    assert "the recipe's losses end higher than the paper's" in t and "may include a larger step" in t
    worse = {s: (r, f - 30) for s, (r, f) in official.items()}
    assert "the paper's losses end higher than the recipe's" in L.official_recipe(worse, synq, matched=matched)
    one = L.official_recipe(official, synq, matched={0: matched[0]})
    assert "on seed 0 alone (one seed: no interval" in one and "end higher" not in one


def test_validation_recheck_split_and_levers():
    def run(syn, ep, val, test, cpu=None):
        r = dict(seed=0, config=dict(synth_iters=syn, epochs=ep), val_final_top1=val, final_top1=test)
        if cpu:
            r.update(cpu_s=dict(total=cpu), synthetic_from_cache=False)
        return r
    same = [run(150, 15, 84.0, 79.0, 1147.0), run(50, 20, 83.0, 78.0, 1037.0), run(250, 10, 82.0, 77.5, 1167.0)]
    t = L.validation_recheck(same, [])
    assert "validation picks 150 x 15, the split `cpu-plus` uses" in t and "scores highest too." in t
    assert "50 x 20: 83.00 (1,037 CPU s)" in t and "1,037 to 1,167 CPU seconds (13 % apart)" in t
    assert "One seed per split" in t and "levers as a whole" not in t and "chose the split before" in t
    other = [run(150, 15, 82.0, 79.0), run(50, 20, 83.0, 78.0)]
    t = L.validation_recheck(other, [])
    assert "validation picks 50 x 20, not the 150 x 15 that `cpu-plus` uses" in t and "scores highest." in t
    assert "CPU seconds (" not in t
    assert "not in this checkout" in L.validation_recheck([], [])

    def conf(name, seed, val):
        return dict(w_bits=3, seed=seed, run_name=f"w3a3_{name}_s{seed}", val_final_top1=val, final_top1=val - 4)
    runs = [conf("cpu-plus", s, v) for s, v in ((3, 84.8), (4, 85.98), (5, 84.14))]
    runs += [conf("cpu-syn150-ep15", s, v) for s, v in ((3, 80.74), (4, 79.51), (5, 78.14))]
    t = L.validation_recheck(same, runs)
    assert "+5.51 points on average over seeds 3, 4, 5" in t and "the bundle passes on validation accuracy alone" in t
    assert "not the choice of each lever" in t
    runs[0]["val_final_top1"] = 70.0
    assert "would not keep the bundle" in L.validation_recheck(same, runs)
