"""Regenerate results/RESULTS.md, the README's results section and results/accuracy.png from the benchmark JSONs.

    python benchmarks/make_tables.py --runs results/runs
        [--cost results/cost_cpu.json results/cost_gpu.json] [--paper results/paper_w4a4_s0.json]

Reads results/runs/<set>/<name>.json (written by benchmarks/grid.py), the cost JSONs (benchmarks/cost.py)
and the paper-preset JSON (benchmarks/gpu_run.sh). A missing input makes its table say "not measured yet".
Top-1 is the final epoch's unless labelled "best over epochs"; mean ± sample std (ddof=1) over seeds.
The README sections between `<!-- results:start -->` and `<!-- results:end -->` and between `<!-- selection:start -->`
and `<!-- selection:end -->` (section 8 in short) are replaced; nothing else.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
from pathlib import Path

from synq_nb.results import (ADDED_LATER, BASELINE, IDEAS, by_seed, gap_closed, ideas, interval_verdict, lever_name,
                              load_runs, paired, t_interval, whole_cpu_seconds)

NOT_YET = "_Not measured yet._"
BITS = (4, 3)
PAPER = {4: (92.76, 0.10, 1.13), 3: (88.11, 0.15, 5.78)}  # ResNet-20 CIFAR-10, pytorchcv teacher (FP 93.89)
PAPER_ABLATION = {(0, 0, 0): 43.63, (1, 0, 0): 49.43, (0, 1, 0): 48.26, (0, 0, 1): 46.42,
                  (1, 1, 0): 51.24, (1, 0, 1): 50.81, (0, 1, 1): 50.06, (1, 1, 1): 52.02}
STAGES = ("load", "synthesis", "calibration", "finetune", "evaluation")
MARK_START, MARK_END = "<!-- results:start -->", "<!-- results:end -->"
SEL_START, SEL_END = "<!-- selection:start -->", "<!-- selection:end -->"  # README: section 8 in short


# ---------------------------------------------------------------- loading and small helpers
def load_json(path) -> dict | None:
    if path is None or not Path(path).is_file():
        return None
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        print(f"warning: cannot read {path}: {e}", file=sys.stderr)
        return None


def method(r) -> str | None:
    return {(0, 0, 0): "baseline", (1, 1, 1): "synq"}.get(ideas(r))


def pick(runs, bits=None, meth=None, **config):
    return [r for r in runs if (bits is None or r["w_bits"] == bits) and (meth is None or method(r) == meth)
            and all(r["config"].get(k) == v for k, v in config.items())]


def values(runs, key):
    return [r[key] for r in runs if r.get(key) is not None]


def n_seeds(n: int) -> str:
    return f"({n} seed{'s' if n != 1 else ''})"


def mean_std(xs) -> str:
    if not xs:
        return "—"
    n = n_seeds(len(xs))
    if len(xs) == 1:
        return f"{xs[0]:.2f} {n}"
    return f"{statistics.fmean(xs):.2f} ± {statistics.stdev(xs):.2f} {n}"


def mean(xs, fmt="{:.2f}") -> str:
    return fmt.format(statistics.fmean(xs)) if xs else "—"


def table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def short_command(cmd: str) -> str:
    return re.sub(r"--out \S+", "--out <dir>", cmd)


def provenance(runs, set_names: str) -> str:
    """The line under each table: machines, dates, seeds, and how to regenerate."""
    if not runs:
        return ""
    join = lambda xs: ", ".join(sorted({str(x) for x in xs}))
    presets = {str(r.get("preset")) for r in runs}  # grid.py's --preset is the default; a set may override it per run
    presets = "cpu" if "cpu" in presets else ", ".join(sorted(presets))
    cmds = [r["command"] for r in runs if r.get("command")]
    one = next((c for c in cmds if "by hand" not in c), cmds[0] if cmds else None)  # prefer grid.py's form
    grid = f"`python benchmarks/grid.py --sets {set_names} --preset {presets} --out results/runs`"
    per_run = f" (one run: `{short_command(one)}`; see results/runs/*.json)" if one else " (see results/runs/*.json)"
    return (f"\n\n_Machine: {join(r.get('device') for r in runs)}; date: {join(r.get('date') for r in runs)}; "
            f"seeds: {join(r.get('seed') for r in runs)}; {len(runs)} runs. Regenerate: {grid}{per_run}._")


# ---------------------------------------------------------------- the tables
def main_table(runs) -> str:
    if not runs:
        return "## 1. Main results: ResNet-20 CIFAR-10, W4A4 and W3A3\n\n" + NOT_YET
    presets = ", ".join(sorted({r["preset"] for r in runs}))
    n_test = ", ".join(sorted({str(r.get("eval_images", "?")) for r in runs}))
    header = ["", "W4A4 top-1", "drop vs FP", "W3A3 top-1", "drop vs FP",
              "paper W4A4 (drop)", "paper W3A3 (drop)"]
    rows_spec = [("FP (teacher)", None, "fp_top1"),
                 ("RTN, baseline calibration (no fine-tuning)", "baseline", "rtn_top1"),
                 ("RTN, SynQ calibration on low-pass filtered images (no fine-tuning)", "synq", "rtn_top1"),
                 ("Baseline: KD + CE, final epoch", "baseline", "final_top1"),
                 ("SynQ: filter + CAM + soft labels, final epoch", "synq", "final_top1")]
    paper = {("fp_top1", None): ["93.89", "93.89"],
             ("final_top1", "synq"): [f"{PAPER[b][0]:.2f} ± {PAPER[b][1]:.2f} ({PAPER[b][2]:.2f})" for b in BITS]}
    rows = []
    for label, meth, key in rows_spec:
        row = [label]
        for b in BITS:
            sel = pick(runs, b, meth) if meth else pick(runs, b)
            if key == "fp_top1":  # one FP number per teacher and test set: all runs agree
                row += [mean(values(sel, key)) + (" " + n_seeds(len({r["seed"] for r in sel})) if sel else ""), ""]
            else:
                row += [mean_std(values(sel, key)), mean([r["fp_top1"] - r[key] for r in sel])]
        rows.append(row + paper.get((key, meth), ["", ""]))
    best = [[f"{name}, best over evaluated epochs (not final)"] +
            [mean_std(values(pick(runs, b, meth), "best_top1")) for b in BITS]
            for name, meth in (("Baseline", "baseline"), ("SynQ", "synq"))]
    evaluated = sorted({", ".join(str(e) for e, t in zip(r["history"]["epoch"], r["history"]["top1"])
                                  if t is not None) for r in runs if "history" in r})
    return ("## 1. Main results: ResNet-20 CIFAR-10, W4A4 and W3A3\n\n"
            f"Teacher: akamaster ResNet-20 (ours, offline); preset: {presets}. "
            f"Top-1 % on {n_test} CIFAR-10 test images, "
            "mean ± sample std over seeds; drop = FP − top-1 (mean over seeds). "
            "**Paper columns: a different teacher (pytorchcv ResNet-20, FP 93.89) and budget "
            "(5,120 images, 100 epochs × 200 iterations), mean of 5 seeds**: compare drops, not absolute numbers.\n\n"
            + table(header, rows) + "\n\n"
            "Best over evaluated epochs (the official code's protocol; reported separately, "
            f"never mixed with the above; epochs evaluated: {'; '.join(evaluated) or '?'}):\n\n"
            + table(["", "W4A4 best top-1", "W3A3 best top-1"], best) + provenance(runs, "main"))


def ablation_table(runs) -> str:
    title = "## 2. Ablation at W3A3 (filter / CAM / soft labels)\n\n"
    if not runs:
        return title + NOT_YET
    groups = by_seed(runs, 3)  # {combination: {seed: final top-1}}
    seeds = sorted({seed for g in groups.values() for seed in g})
    rows = []
    for combo in sorted(PAPER_ABLATION, key=lambda c: (sum(c), [-x for x in c])):
        xs = list(groups.get(combo, {}).values())
        # paired: over the seeds that have both this combination and the baseline
        pair = paired(groups.get(combo, {}), groups.get(BASELINE, {}))
        delta = f"{pair['mean']:+.2f}" if pair["diffs"] else "—"
        ref = PAPER_ABLATION[combo]
        per_seed = [f"{groups[combo][seed]:.2f}" if seed in groups.get(combo, {}) else "—" for seed in seeds]
        rows.append([*("✓" if c else "✗" for c in combo), *(per_seed if len(seeds) > 1 else []), mean_std(xs), delta,
                     f"{ref:.2f}", f"{ref - PAPER_ABLATION[(0, 0, 0)]:+.2f}"])
    seed_cols = [f"seed {seed}" for seed in seeds] if len(seeds) > 1 else []
    n = sorted({len(v) for v in groups.values()})
    d0s = ", ".join(sorted({f"{r['config']['d0']:g}" for r in runs if r["config"]["use_filter"]}))
    return (title + f"Final-epoch top-1 %, ResNet-20 CIFAR-10, seeds per row: {', '.join(map(str, n))}"
            "; Δ vs baseline: mean over seeds of (row − baseline of the same seed)"
            + (f"; filter cut-off d0 = {d0s}" if d0s else "") + ". "
            "Reference columns: the paper's ResNet-18 **ImageNet** W3A3 ablation (another model and data set).\n\n"
            + table(["filter", "CAM", "soft labels", *seed_cols, "top-1" if not seed_cols else "top-1, mean", "Δ vs baseline", "paper R18 ImageNet", "paper Δ"], rows)
            + provenance(runs, "ablation"))


def corner_gain(d0: float) -> float:
    """Gaussian low-pass gain at the corner of a centred 32x32 spectrum: exp(-D^2 / (2 d0^2)), D = sqrt(16^2 + 16^2)."""
    return math.exp(-(16 ** 2 + 16 ** 2) / (2 * d0 ** 2))


def sensitivity_tables(d0_runs, tau_runs, main_runs=()) -> str:
    """One table per knob (W3A3, and W4A4 where run): seed 0 for every value, the mean over seeds where run."""
    main_settings = {(r["config"]["d0"], r["config"]["tau"]) for r in pick(main_runs, meth="synq")}

    def rows_for(runs, keys, extra):
        rows = []
        for bits in BITS:
            for v in sorted({tuple(r["config"][k] for k in keys) for r in pick(runs, bits)}):
                sel = pick(runs, bits, **dict(zip(keys, v)))
                s0 = [r for r in sel if r["seed"] == 0]
                main = (sel[0]["config"]["d0"], sel[0]["config"]["tau"]) in main_settings
                rows.append([f"W{bits}A{bits}", *(f"{x:g}" for x in v), *extra(v, sel),
                             mean(values(s0, "rtn_top1")), mean(values(s0, "final_top1")),
                             mean_std(values(sel, "final_top1")) if len(sel) > 1 else "",
                             "✓" if main else ""])
        return rows

    cols = ["RTN, seed 0", "final top-1, seed 0", "final top-1, all seeds run", "main table's setting"]
    out = ["## 3. Sensitivity (SynQ, all three ideas)\n\n"
           "RTN here is calibrated on the filtered synthetic images (so it moves with d0).\n\n### Filter cut-off d0\n\n"]
    if d0_runs:
        rows = rows_for(d0_runs, ("d0",), lambda v, sel: [f"{corner_gain(v[0]):.2g}"])
        out.append("Corner gain: the filter's gain at the highest frequency of a 32×32 image; near 1 means "
                   "the filter barely changes the image.\n\n"
                   + table(["bits", "d0", "gain at corner", *cols], rows) + provenance(d0_runs, "d0"))
    else:
        out.append(NOT_YET)
    out.append("\n\n### Difficulty threshold tau\n\n")
    if tau_runs:
        def ce_share(v, sel):
            ce = [r["history"]["hard_frac"][-1] * 100 for r in sel if r.get("history", {}).get("hard_frac")]
            return [mean(ce, "{:.1f}%")]
        out.append("CE share: fraction of samples with difficulty ≤ tau (they get CE), last epoch.\n\n"
                   + table(["bits", "d0", "tau", "CE share", *cols], rows_for(tau_runs, ("d0", "tau"), ce_share))
                   + provenance(tau_runs, "tau"))
    else:
        out.append(NOT_YET)
    return "".join(out)


def real_table(real_runs, main_runs) -> str:
    title = "## 4. Real-data reference: real training images vs the synthetic set\n\n"
    if not real_runs:
        return title + NOT_YET
    rows, synth_n = [], sorted({str(r["config"]["num_images"]) for r in main_runs})
    for b in BITS:
        for meth in ("baseline", "synq"):
            for real in sorted(pick(real_runs, b, meth), key=lambda r: -r["config"]["num_images"]):
                syn = [r for r in pick(main_runs, b, meth) if r["seed"] == real["seed"]]
                fp = real["fp_top1"]
                s = syn[0]["final_top1"] if syn else None
                share = f"{100 * gap_closed(fp, s, real['final_top1']):.0f}%" if s is not None and fp != s else "—"
                rows.append([f"W{b}A{b}", meth, real["seed"], f"{real['config']['num_images']:,}", f"{fp:.2f}",
                             "—" if s is None else f"{s:.2f}",
                             f"{real['final_top1']:.2f}", "—" if s is None else f"{fp - s:.2f}",
                             f"{fp - real['final_top1']:.2f}", share])
    return (title + f"Same bits, method, seed and fine-tuning budget; only the training/calibration images differ "
            f"(synthetic set: {', '.join(synth_n) or '?'} images, from the main set). "
            "Gap closed by data = (real − synthetic) / (FP − synthetic).\n\n"
            + table(["bits", "method", "seed", "real images", "FP", "synthetic top-1", "real top-1", "gap to FP (synthetic)",
                     "gap to FP (real)", "gap closed by data"], rows) + provenance(real_runs, "real"))


def cost_tables(costs, main_runs) -> str:
    out = ["## 5. Cost\n\nEach block below comes from one cost file, measured on its date with the code of that day "
           "and the machine's load then: compare numbers within a block, not across blocks.\n\n"
           "### Fine-tuning iteration: SynQ vs baseline (ResNet-20 W4A4)\n"]
    if not costs:
        out.append(NOT_YET)
    for path, c in costs:
        rows = [[bs, f"{row['baseline']['median_s'] * 1e3:.2f}", f"{row['synq']['median_s'] * 1e3:.2f}",
                 f"{row['ratio_synq_over_baseline']:.2f}", f"{row['baseline']['peak_mem_mib']:.2f}",
                 f"{row['synq']['peak_mem_mib']:.2f}"]
                for bs, row in sorted(c.get("per_batch", {}).items(), key=lambda kv: int(kv[0]))]
        sd = c.get("slowdown")
        slow = (f"Slowdown over {sd['iterations']} SynQ iterations at batch {sd['batch']}: last-50 / first-50 median "
                f"= {sd['ratio']:.2f} ({sd['first50_median_s'] * 1e3:.2f} → {sd['last50_median_s'] * 1e3:.2f} ms)."
                if sd else "Slowdown over a long run: not measured yet.")
        mem = ("process peak RSS (monotone: SynQ's includes the baseline's)" if "cpu" in c.get("device", "cpu")
               else "CUDA max_memory_allocated")
        out.append(f"\n**{c.get('device', '?')}** ({Path(path).name}; median of {c.get('iters', '?')} iterations "
                   f"after {c.get('warmup', '?')} warm-up; peak memory: {mem})\n\n"
                   + table(["batch", "baseline ms/iter", "SynQ ms/iter", "SynQ / baseline", "baseline peak MiB",
                            "SynQ peak MiB"], rows)
                   + f"\n\n{slow}" + variants_text(c) + f"\n\n_Date: {c.get('date', '?')}. "
                   f"Regenerate: `{c.get('command', 'python benchmarks/cost.py')}`._\n")
    out.append("\n### Per-stage wall time of the main runs (seconds, mean over runs)\n")
    if main_runs:
        rows = []
        for dev in sorted({r["device"] for r in main_runs}):
            sel = [r for r in main_runs if r["device"] == dev]
            stage = lambda k: mean([r["synthesis_seconds_when_made"] if k == "synthesis" else r["times_s"].get(k, 0.0)
                                    for r in sel], "{:.2f}")
            rows.append([dev, len(sel), *(stage(k) for k in STAGES), mean(values(sel, "total_s"))])
        out.append("Synthesis: the time to make the set (runs with the same seed share one cached set and load it "
                   "in well under a second). Evaluation includes the per-epoch evaluations; "
                   "fine-tuning excludes them.\n\n"
                   + table(["device", "runs", *STAGES, "total"], rows))
    else:
        out.append(NOT_YET)
    return "".join(out)


def variants_text(c) -> str:
    """The speed options (cost.py --variants) and the synthesis iteration, when measured."""
    out = ""
    v = c.get("variants")
    if v:
        base = v["synq"]["median_s"]
        rows = [[k, f"{d['median_s'] * 1e3:.2f}", f"{d['median_s'] / base:.2f}"] for k, d in v.items() if k != "batch"]
        out += (f"\n\nOne SynQ iteration at batch {v['batch']} with one option on (measured in the same process, "
                "after the table above):\n\n" + table(["option", "ms/iter", "vs plain SynQ"], rows))
    f = c.get("floor")
    if f:
        lab = {"fp_floor": "floor: the same step, student in full precision", "kd_eager": "KD step, eager (the default)",
               "kd_eager_fused_kernel": "KD step, eager, torch's fake-quant kernel (before)",
               "kd_compiled": "KD step, `torch.compile` of the student"}
        rows = [[lab[k], f"{f[k]['median_s'] * 1e3:.2f}", f"{f[k]['over_floor']:.2f}x" if "over_floor" in f[k] else "1"]
                for k in lab if k in f]
        comp = f.get("kd_compiled", {})
        repay = comp.get("steps_to_repay_compile")
        same = c.get("per_batch", {}).get(str(f["batch"]), {}).get("baseline")
        noise = (f" The same step timed earlier in the same process (the table above, baseline at batch {f['batch']}) took "
                 f"{same['median_s'] * 1e3:.2f} ms, {abs(same['median_s'] / f['kd_eager']['median_s'] - 1) * 100:.1f} % "
                 "apart: read the ratios with that much noise." if same and "kd_eager" in f else "")
        out += (f"\n\nThe KD step (the baseline's iteration, W4A4, batch {f['batch']}, {f['threads']} thread(s)) against "
                "its floor, measured in the same process:\n\n" + table(["step", "ms/iter", "over the floor"], rows)
                + "\n\n" + noise
                + (f"\n\n`torch.compile` took {comp['compile_s']:.1f} s to compile (the first step, forward and "
                   "backward) and " + (f"repays it after {repay:,.0f} steps." if repay else
                                       "is not faster than eager afterwards, so it never repays it.")
                   if "compile_s" in comp else ""))
    syn, est = c.get("synthesis"), c.get("paper_preset_estimate_s")
    if syn:
        out += (f"\n\nSynthesis: {syn['s_per_iter'] * 1e3:.2f} ms per iteration at batch {syn['batch']}."
                + (f" At this speed one run of the `paper` preset (20 batches × 1,000 synthesis iterations + "
                   f"20,000 SynQ iterations at batch 256) takes about {est['synthesis']:.0f} s + {est['finetune']:.0f} s "
                   f"= {(est['synthesis'] + est['finetune']) / 60:.1f} min for one run alone on this device."
                   if est else ""))
    return out


def changes(r, ref) -> str:
    """The config fields in which run ``r`` differs from ``ref`` (the SynQ-as-published run)."""
    skip = {"seed", "device", "preset", "w_bits", "a_bits", "eval_every"}
    a, b = r["config"], ref["config"]
    diff = [f"{k} {a.get(k)}" for k in a if k not in skip and a.get(k) != b.get(k, ADDED_LATER.get(k))]
    return ", ".join(diff) or "— (SynQ as published)"


def levers_table(levers, plus, cpu_plus, main_runs, real_runs) -> str:
    title = "## 7. Beyond the paper: accuracy at the CPU budget (issue 12)\n\n"
    if not (levers or cpu_plus):
        return title + NOT_YET
    out = [title]
    if levers:
        ref = {r["seed"]: r for r in levers if lever_name(r) == "paper"}
        groups = {}
        for r in levers:
            groups.setdefault(lever_name(r), {})[r["seed"]] = r
        rows = []
        for name, by in sorted(groups.items(), key=lambda kv: (kv[0] != "paper", -statistics.fmean(
                r["final_top1"] for r in kv[1].values()))):
            vals = [r["final_top1"] for r in by.values()]
            p = paired({s: r["final_top1"] for s, r in by.items()}, {s: r["final_top1"] for s, r in ref.items()})
            delta = "—" if name == "paper" or not p["seeds"] else (
                f"{p['mean']:+.2f}" + (f" ± {p['std']:.2f}" if len(p["seeds"]) > 1 else "")
                + f" ({', '.join(f'{d:+.1f}' for d in p['diffs'])})")
            spread = "" if name == "paper" else interval_text(p)
            one = next(iter(by.values()))
            rows.append([f"`{name}`", changes(one, next(iter(ref.values()))) if ref else "?", mean_std(vals),
                         delta, spread])
        out.append("W3A3, `cpu` preset budget unless the row says otherwise, final epoch; Δ = paired difference to "
                   "`paper` (SynQ as published) of the same seed, mean ± std over seeds (each seed's Δ in brackets); "
                   "95 % t interval of the mean Δ over the paired seeds (`synq_nb.results.t_interval`; \"gain\" or "
                   "\"loss\" only when it excludes 0). These settings were chosen by looking at these test-set numbers "
                   "(seeds 0-2): section 8 has the out-of-sample check. These runs ran on a GPU, 14 at a time, at the CPU preset's "
                   "iteration counts: the accuracy of a setting does not depend on the device beyond float rounding "
                   f"(the `paper` row there: {mean(values(ref.values(), 'final_top1'))}; the same settings on this "
                   f"CPU, section 1: {mean(values(pick(main_runs, 3, 'synq'), 'final_top1'))}).\n\n"
                   + table(["lever", "changes", "W3A3 top-1", "Δ vs paper", "95 % t interval"], rows)
                   + provenance(levers, "levers"))
    if plus:
        rows = [[f"`{lever_name(r)}`", f"W{r['w_bits']}A{r['a_bits']}", r["seed"], f"{r['final_top1']:.2f}",
                 r["device"]] for r in plus]
        out.append("\n\n### The levers at W4A4\n\n" + table(["lever", "bits", "seed", "top-1", "device"], rows)
                   + provenance(plus, "plus"))
    out.append("\n\n### The `cpu-plus` preset on this CPU\n\n")
    if cpu_plus:
        goal = {3: 78.0, 4: 89.5}
        rows = []
        for b in BITS:
            sel = pick(cpu_plus, b)
            if not sel:
                continue
            syn = {r["seed"]: r["final_top1"] for r in pick(main_runs, b, "synq")}
            p = paired({r["seed"]: r["final_top1"] for r in sel}, syn)
            real = "; ".join(f"{method(r)} on {r['config']['num_images']:,}: {r['final_top1']:.2f}"
                             for r in sorted(pick(real_runs, b), key=lambda r: (r["config"]["num_images"], method(r))))
            rows.append([f"W{b}A{b}", ", ".join(str(r["seed"]) for r in sel), mean_std(values(sel, "final_top1")),
                         mean_std(values(pick(main_runs, b, "synq"), "final_top1")),
                         f"{p['mean']:+.2f}" if p["seeds"] else "—", f"{goal[b]:.1f}", real or "—"])
        times = [[f"W{r['w_bits']}A{r['a_bits']}", r["seed"], f"{r['total_s'] / 60:.1f}",
                  f"{r['times_s']['synthesis']:.0f}" + (" (cached)" if r.get("synthetic_from_cache") else ""),
                  f"{r['times_s']['finetune']:.0f}", r["device"]] for r in cpu_plus]
        out.append("`--preset cpu-plus`: the `cpu` preset's images with 150 synthesis iterations (not 50), 15 "
                   "fine-tuning epochs (not 10), MSE-searched weight ranges and KD at temperature 4; SynQ's three "
                   "ideas unchanged. Final epoch; Δ paired by seed against SynQ as published on this CPU (section 1); "
                   "the real-data reference is the same fine-tuning on real training images (section 4: baseline and "
                   "SynQ, the paper's quantizer and plain KD), the accuracy zero-shot quantization tries to approach.\n\n"
                   + table(["bits", "seeds", "cpu-plus top-1", "SynQ as published (cpu)", "Δ (paired)", "goal",
                            "real-data reference (seed 0, paper's quantizer and KD)"], rows)
                   + "\n\nWall time of each run, whole pipeline (a set made by an earlier run of the same seed is "
                     "loaded from the cache in well under a second):\n\n"
                   + table(["bits", "seed", "minutes", "synthesis s", "fine-tuning s", "device"], times)
                   + provenance(cpu_plus, "cpu-plus"))
    else:
        out.append(NOT_YET)
    return "".join(out)


def interval_text(p: dict) -> str:
    """``[+2.90, +3.80] gain`` for a :func:`paired` comparison (``—`` with fewer than two seeds)."""
    if len(p["seeds"]) < 2:
        return "— (one seed)"
    lo, hi = t_interval(p["diffs"])
    return f"[{lo:+.2f}, {hi:+.2f}] {interval_verdict(p)}"


CONFIRM_ROWS = (("cpu", "`cpu`: SynQ as published"), ("cpu-cam-off", "`cpu` with λ_CAM = 0 (CAM term off)"),
                ("cpu-syn150-ep15", "SynQ as published at `cpu-plus`'s iteration counts (150 synthesis it., 15 epochs)"),
                ("cpu-plus", "`cpu-plus`"))
CONFIRM_PAIRS = (("cpu-plus", "cpu", "cpu-plus − cpu (levers and budget)"),
                 ("cpu-plus", "cpu-syn150-ep15", "cpu-plus − SynQ as published at the same iteration counts (levers)"),
                 ("cpu-syn150-ep15", "cpu", "more iterations alone (budget)"),
                 ("cpu", "cpu-cam-off", "λ_CAM 5 − λ_CAM 0 (the CAM term)"))
SELECTION = (("d0 = 8", "CIFAR-10 test top-1, W3A3, seeds 0-2 (d0 4/8/16/32/80 on seed 0; 8 vs 16 on seeds 0-2)",
              "re-checked on the validation split (seed 0): table below"),
             ("tau = 0.7", "the paper's value for ResNet-20 CIFAR-10; our test-set runs (seed 0) spread 0.5 points, "
              "inside the seed std, so none other was singled out", "not re-selected"),
             ("50 synthesis iterations (`cpu`)", "CIFAR-10 test top-1 of single runs (200 iterations: 64.91 vs 72.31, "
              "METHOD.md; the first prototype's 200 vs 50)", "not re-selected"),
             ("`cpu-plus` levers (MSE ranges, T = 4, 150 it., 15 epochs)", "CIFAR-10 test top-1, W3A3, seeds 0-2 "
              "(section 7), confirmed on the same seeds", "not re-selected; confirmed on fresh seeds 3-5 below"),
             ("λ_CAM = 5, λ_CE = 0.5", "the first CPU prototype (METHOD.md), not swept", "not re-selected"))


def validation_choice(runs, key: str, default: float, set_name: str) -> str:
    """One setting chosen again on the validation split: the table and which value each split picks."""
    if not runs:
        return NOT_YET
    runs = sorted(runs, key=lambda r: r["config"][key])
    rows = [[f"{r['config'][key]:g}", r["seed"], f"{r['val_final_top1']:.2f}", f"{r['final_top1']:.2f}"] for r in runs]
    best_val = max(runs, key=lambda r: r["val_final_top1"])
    best_test = max(runs, key=lambda r: r["final_top1"])
    v, t = best_val["config"][key], best_test["config"][key]
    return ("W3A3, `cpu` preset, SynQ, seed 0. The validation split picks "
            f"{key} = {v:g} ({best_val['val_final_top1']:.2f}); the test set picks {key} = {t:g} "
            f"({best_test['final_top1']:.2f}): " + ("the same choice." if v == t else "a different choice.")
            + (f" The default stays {key} = {default:g}." if v == default else
               f" The validation split does not confirm {key} = {default:g}.") + "\n\n"
            + table([key, "seed", "validation top-1", "test top-1"], rows) + provenance(runs, set_name))


def _whole_cost(r, all_runs) -> str:
    """A run's CPU seconds with its synthetic set's making charged (:func:`whole_cpu_seconds`); when no run with CPU
    seconds made that set, the wall seconds its making took, marked †."""
    if not r.get("cpu_s"):
        return "—"
    whole = whole_cpu_seconds(r, all_runs)
    if whole is not None:
        return f"{whole:,.0f}"
    return f"{r['cpu_s']['total'] + r.get('synthesis_seconds_when_made', 0.0):,.0f} †"


def _mean_cost(rs, pool) -> str:
    """The mean of :func:`_whole_cost` over runs (``—`` without CPU seconds; † when any is a wall-seconds charge)."""
    costs = [_whole_cost(r, pool) for r in rs if r.get("cpu_s")]
    if not costs:
        return "—"
    vals = [float(c.rstrip(" †").replace(",", "")) for c in costs]
    return f"{statistics.fmean(vals):,.0f}" + (" †" if any(c.endswith("†") for c in costs) else "")


def split_choice(runs, default=(150, 15), all_runs=()) -> str:
    """cpu-plus's split of its budget between synthesis iterations and fine-tuning epochs, chosen on validation."""
    if not runs:
        return NOT_YET
    split = lambda r: (r["config"]["synth_iters"], r["config"]["epochs"])  # noqa: E731
    runs = sorted(runs, key=split)
    rows = [[f"{split(r)[0]} x {split(r)[1]}", r["seed"], f"{r['val_final_top1']:.2f}", f"{r['final_top1']:.2f}",
             _whole_cost(r, list(all_runs) + list(runs))] for r in runs]
    v, t = split(max(runs, key=lambda r: r["val_final_top1"])), split(max(runs, key=lambda r: r["final_top1"]))
    name = lambda s_: f"{s_[0]} synthesis iterations x {s_[1]} epochs"  # noqa: E731
    return ("W3A3, `cpu-plus` preset (MSE ranges, T = 4), SynQ, seed 0 (the seed whose test accuracy chose the split "
            "first); the splits were meant to cost about the same, and the last column gives what each did cost. "
            f"The validation split picks {name(v)}; "
            f"the test set picks {name(t)}: " + ("the same choice." if v == t else "a different choice.")
            + (f" `cpu-plus` keeps {name(default)}." if v == default else
               f" The validation split does not confirm `cpu-plus`'s {name(default)}.") + "\n\n"
            + table(["synthesis it. x epochs", "seed", "validation top-1", "test top-1", "CPU s (whole run)"], rows)
            + ("\n\nCPU seconds of the whole run, one thread; a run that loaded its synthetic set is charged its "
               "making (†: the wall seconds it took, where no run with CPU seconds made it)."
               if any("cpu_s" in r for r in runs) else "")
            + provenance(runs, "val-split"))


def selection_tables(confirm, val_d0, val_tau=(), val_split=(), all_runs=()) -> str:
    """Section 8: how each setting was chosen, d0 re-chosen on the validation split, and the out-of-sample seeds."""
    out = ["## 8. How the settings were chosen, and fresh seeds (issue 18)\n\n"
           "The settings below were chosen by looking at CIFAR-10 **test** accuracy, which makes the reported "
           "test numbers of the chosen settings optimistic. From now on selections look only at the validation "
           "split (`synq_nb.data.validation_set`: training images 512-999 of each class, 4,880 images, disjoint from "
           "the real-data reference's images 0-511; the teacher trained on them and scores about 100 % there, so "
           "validation accuracy ranks settings rather than estimating test accuracy), and the test set is reported "
           "once per chosen setting.\n\n"
           + table(["setting", "chosen on", "validation"],
                   [[a, b, "re-checked on the validation split (seed 0): table below" if a.startswith("tau") and val_tau
                     else c + ("; the split re-checked on the validation split (seed 0), and the levers as a whole on "
                               "the validation split of seeds 3-5: below" if a.startswith("`cpu-plus`") and val_split
                               else "")] for a, b, c in SELECTION])]
    for key, runs_, default, set_name in (("d0", val_d0, 8, "val-d0"), ("tau", val_tau, 0.7, "val-tau")):
        out.append(f"\n\n### {key} on the validation split\n\n" + validation_choice(runs_, key, default, set_name))
    out.append("\n\n### `cpu-plus`'s synthesis/epoch split on the validation split\n\n" + split_choice(val_split, all_runs=all_runs))
    out.append("\n\n### Out of sample: fresh seeds (3, 4, 5), W3A3\n\n")
    by = {}
    for r in confirm:
        by.setdefault(r["run_name"].split("_", 1)[1].rsplit("_s", 1)[0], {})[r["seed"]] = r
    if not by:
        out.append(NOT_YET)
        return "".join(out)
    rows = []
    for key, label in CONFIRM_ROWS:
        if key not in by:
            continue
        rs = [by[key][s] for s in sorted(by[key])]
        cpu = lambda stage: mean([r["cpu_s"][stage] for r in rs if "cpu_s" in r], "{:,.0f}")
        rows.append([label, ", ".join(str(r["seed"]) for r in rs), ", ".join(f"{r['final_top1']:.2f}" for r in rs),
                     mean_std(values(rs, "final_top1")), mean(values(rs, "val_final_top1")), cpu("total"),
                     cpu("synthesis"), cpu("finetune"), mean(values(rs, "total_s"), "{:,.0f}")])
    out.append("Seeds never used to choose anything. Final epoch, CIFAR-10 test top-1 (10,000 images) and validation "
               "top-1; cost = CPU seconds of the process (all stages; synthesis and fine-tuning apart) and wall seconds, "
               "each run on one thread, two runs at a time on this 2-core CPU (other work shared the machine at "
               "times: CPU seconds are the fair measure, wall seconds an upper bound). Runs whose synthetic set was "
               "made by an earlier run of the same seed (`cpu-cam-off`, `cpu-syn150-ep15`) show the synthesis time "
               "of loading it.\n\n"
               + table(["setting", "seeds", "test top-1 per seed", "test mean ± std", "validation mean",
                        "CPU s (total)", "CPU s synthesis", "CPU s fine-tuning", "wall s"], rows))
    prs = []
    for a, b, label in CONFIRM_PAIRS:
        if a in by and b in by:
            p = paired({s: r["final_top1"] for s, r in by[a].items()}, {s: r["final_top1"] for s, r in by[b].items()})
            if p["seeds"]:
                ca = [whole_cpu_seconds(by[a][s], confirm) for s in p["seeds"]]
                cb = [whole_cpu_seconds(by[b][s], confirm) for s in p["seeds"]]
                cost = "—" if None in ca + cb else f"{sum(ca) / sum(cb):.2f}x"
                v = paired({s: r["val_final_top1"] for s, r in by[a].items() if "val_final_top1" in r},
                           {s: r["val_final_top1"] for s, r in by[b].items() if "val_final_top1" in r})
                val = f"{v['mean']:+.2f} {interval_text(v)}" if v["seeds"] else "—"
                prs.append([label, f"{p['mean']:+.2f}", ", ".join(f"{d:+.2f}" for d in p["diffs"]), interval_text(p),
                            val, cost])
    if prs:
        t_note = (" (with two seeds t = 12.7: only large, consistent effects are resolved)"
                  if any(", " not in row[2] or row[2].count(",") == 1 for row in prs) else "")
        out.append("\n\nPaired by seed (test top-1), with the 95 % t interval over the paired seeds" + t_note + " and the cost ratio (CPU seconds of the "
                   "whole run, first setting over second; a run that loaded its synthetic set from the cache is "
                   "charged the synthesis CPU seconds of the run that made it):\n\n"
                   + table(["comparison", "mean Δ", "per seed", "95 % t interval", "validation: mean Δ, 95 % t",
                            "cost ratio"], prs)
                   + "\n\nThe validation column is what a selection may look at: where it shows the same sign and an "
                   "interval clear of 0, the comparison would have kept the same setting against its control without "
                   "the test set. It checks each setting against its control after the fact, not how the levers were "
                   "picked, and the teacher trained on the validation images, so its differences need not match the "
                   "test set's.")
    if "cpu" in by and "cpu-cam-off" in by:
        cam = [[key, s, f"{by[key][s]['val_rtn_cam_loss']:.4f}", f"{by[key][s]['val_final_cam_loss']:.4f}"]
               for key in ("cpu", "cpu-cam-off") for s in sorted(by[key]) if "val_final_cam_loss" in by[key][s]]
        if cam:
            out.append("\n\nThe CAM loss on 512 real validation images (teacher vs student Grad-CAM maps, Eq. 5), before "
                       "and after fine-tuning, with and without the CAM term:\n\n"
                       + table(["setting", "seed", "after RTN", "after fine-tuning"], cam))
    out.append(provenance(confirm, "confirm"))
    return "".join(out)


def by_seed_of(runs, key) -> dict:
    return {r["seed"]: r[key] for r in runs if r.get(key) is not None}


def two_roles_table(calib, main_runs, official) -> str:
    """Section 9: the filter's two roles (the calibration control) and the official recipe, W3A3 at the cpu budget."""
    out = ["## 9. The filter's two roles, and the official recipe (W3A3, `cpu` budget)\n\n"
           "The filter switch acts twice: the activation ranges are calibrated on low-pass filtered images (this "
           "project's choice, `filter_calibration=True`), and the fine-tuning batches are filtered (the paper's Idea "
           "1). `calib` is SynQ with the calibration unfiltered and nothing else changed. `official` (`--preset "
           "official`) is the official code's losses and d0 = 80 with this course's calibration images and "
           "augmentation; its control is SynQ as published at the same d0 = 80 (same images, only the losses "
           "differ). Final epoch, CIFAR-10 test top-1; paired by seed with the 95 % t interval. CPU seconds: one "
           "thread, the whole run, a loaded synthetic set charged its making († where only its wall seconds are "
           "known)."]
    synq = pick(main_runs, bits=3, meth="synq")
    base = pick(main_runs, bits=3, meth="baseline")
    control = [r for r in official if r.get("preset") != "official"]  # SynQ as published at the recipe's d0 = 80
    official = [r for r in official if r.get("preset") == "official"]
    rows_src = (("SynQ (filtered calibration)", synq), ("SynQ, calibration unfiltered (`calib`)", calib),
                ("baseline (no filter)", base), ("official recipe (`official`)", official),
                ("SynQ as published at d0 = 80 (the recipe's control)", control))
    pool = list(main_runs) + list(calib) + list(official) + list(control)
    rows = []
    for name, rs in rows_src:
        if rs:
            rows.append([name, ", ".join(str(r["seed"]) for r in sorted(rs, key=lambda r: r["seed"])),
                         mean_std(values(rs, "rtn_top1")), mean_std(values(rs, "final_top1")),
                         mean_std(values(rs, "val_final_top1")) if values(rs, "val_final_top1") else "—",
                         _mean_cost(rs, pool),
                         mean([r["cpu_s"]["finetune"] / (r["config"]["epochs"] * r["config"]["iters_per_epoch"]) * 1e3
                               for r in rs if "finetune" in r.get("cpu_s", {}) and r["config"].get("epochs")
                               and r["config"].get("iters_per_epoch")], "{:,.0f}")])
    if not calib and not official:
        return out[0] + "\n\n" + NOT_YET
    out.append(table(["setting", "seeds", "RTN top-1", "final top-1", "validation top-1", "CPU s per run",
                      "CPU ms per fine-tuning iteration"], rows))
    pairs = []
    for a, b, label in ((synq, calib, "filtered − unfiltered calibration (both filter the fine-tuning batches)"),
                        (calib, base, "SynQ with unfiltered calibration − baseline (filtered batches, CAM and soft labels; the "
                         "same unfiltered calibration)"),
                        (official, synq, "official recipe − SynQ as published"),
                        (official, control, "official recipe − SynQ as published at d0 = 80 (the same calibration images "
                         "and filtered batches: only the losses differ)"),
                        (synq, control, "SynQ as published at d0 = 8 − at d0 = 80 (the cut-off, for calibration and "
                         "batches)")):
        if a and b:
            p = paired(by_seed_of(a, "final_top1"), by_seed_of(b, "final_top1"))
            if p["seeds"]:
                pairs.append([label, f"{p['mean']:+.2f}", ", ".join(f"{d:+.2f}" for d in p["diffs"]), interval_text(p)])
    if pairs:
        out.append(table(["comparison", "mean Δ", "per seed", "95 % t interval"], pairs))
    return "\n\n".join(out) + provenance(calib + official + control, "calib,official")


def selection_summary(confirm, val_d0) -> str:
    """The README's short form of section 8: the fresh seeds' numbers, the paired intervals, the cost ratio."""
    by = {}
    for r in confirm:
        by.setdefault(r["run_name"].split("_", 1)[1].rsplit("_s", 1)[0], {})[r["seed"]] = r
    lines = []
    if val_d0:
        best_val = max(val_d0, key=lambda r: r["val_final_top1"])
        d0s = ", ".join(f"{r['config']['d0']:g}: {r['val_final_top1']:.2f}" for r in sorted(val_d0, key=lambda r: r["config"]["d0"]))
        lines.append(f"- **d0 on the validation split** (W3A3, seed 0; validation top-1 by d0 — {d0s}): the split picks "
                     f"d0 = {best_val['config']['d0']:g}" + (", the default." if best_val["config"]["d0"] == 8 else
                                                             ", not the default d0 = 8."))
    else:
        lines.append("- d0 on the validation split: not measured yet.")
    top = lambda k: ", ".join(f"{by[k][s]['final_top1']:.2f}" for s in sorted(by[k]))
    if "cpu" in by and "cpu-plus" in by:
        lines.append(f"- **Fresh seeds {', '.join(str(s) for s in sorted(by['cpu']))}** (never used to choose anything; "
                     f"W3A3, test top-1): `cpu` {top('cpu')} (mean {statistics.fmean(r['final_top1'] for r in by['cpu'].values()):.2f}), "
                     f"`cpu-plus` {top('cpu-plus')} (mean {statistics.fmean(r['final_top1'] for r in by['cpu-plus'].values()):.2f}).")
    for a, b, label in CONFIRM_PAIRS:
        if a in by and b in by:
            p = paired({s: r["final_top1"] for s, r in by[a].items()}, {s: r["final_top1"] for s, r in by[b].items()})
            if p["seeds"]:
                ca = [whole_cpu_seconds(by[a][s], confirm) for s in p["seeds"]]
                cb = [whole_cpu_seconds(by[b][s], confirm) for s in p["seeds"]]
                cost = "" if None in ca + cb else f"; cost ratio {sum(ca) / sum(cb):.2f}x in CPU seconds"
                lines.append(f"- {label}: {p['mean']:+.2f} points paired over seeds {', '.join(map(str, p['seeds']))} "
                             f"(95 % t interval {interval_text(p)}{cost}).")
    if len(lines) == 1 and not by:
        lines.append("- Fresh seeds: not measured yet.")
    return "\n".join(lines)


def paper_table(p) -> str:
    title = "## 6. GPU run at the paper's budget\n\n"
    if not p:
        return title + NOT_YET
    c = p["config"]
    what = {"synq": "SynQ (all three ideas)", "baseline": "baseline (KD + CE)"}.get(method(p), f"ideas {ideas(p)}")
    title += (f"{p['model']} W{p['w_bits']}A{p['a_bits']}, seed {p['seed']}, {what}, `{p['preset']}` preset: "
              f"{c['num_images']} images, {c['synth_iters']} synthesis iterations, {c['epochs']} epochs × "
              f"{c['iters_per_epoch']} iterations at batch {c['batch_size']}, with a fine-tuning time cap. In "
              "`benchmarks/gpu_run.sh` this run shares the card with the grid and the tests: "
              "its times are upper bounds.\n\n")
    total = c["epochs"]
    per_epoch = statistics.fmean(p["history"]["seconds"]) if p["history"].get("seconds") else float("nan")
    synth = p.get("synthesis_seconds_when_made") or p["times_s"]["synthesis"]
    full = per_epoch * total + synth
    rows = [["card", p["device"]], ["date", p["date"]],
            ["epochs completed", f"{p['epochs_done']} of {total}"],
            ["why it stopped", p.get("stopped_early") or "completed all epochs"],
            ["synthesis wall time (s)", f"{synth:.2f}"],
            ["fine-tuning wall time (s, evaluations excluded)", f"{p['times_s']['finetune']:.2f}"],
            ["fine-tuning s per epoch", f"{per_epoch:.2f}"],
            [f"extrapolated full run (s/epoch × {total} + synthesis)", f"{full:.2f} s ({full / 3600:.2f} h)"],
            ["FP / RTN top-1", f"{p['fp_top1']:.2f} / {p['rtn_top1']:.2f}"],
            [f"final top-1 after {p['epochs_done']} epochs", f"{p['final_top1']:.2f}"],
            ["best over evaluated epochs (not final)", f"{p['best_top1']:.2f}"]]
    return (title + table(["", "value"], rows)
            + "\n\n_Regenerate: `benchmarks/gpu_run.sh` (step 5: `python -m synq_nb run --preset paper --w-bits 4 "
              "--a-bits 4 --seed 0 --device cuda --max-finetune-seconds ...`)._")


# ---------------------------------------------------------------- plot and output
def accuracy_plot(runs, path: Path) -> bool:
    if not runs:
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    bars = (("FP teacher", None, "fp_top1", "0.55"),
            ("RTN (calibrated, no fine-tuning)", "baseline", "rtn_top1", "tab:orange"),
            ("Baseline (KD + CE)", "baseline", "final_top1", "tab:blue"), ("SynQ", "synq", "final_top1", "tab:green"))
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    width = 0.2
    for i, (label, meth, key, color) in enumerate(bars):
        ms, ss = [], []
        for b in BITS:
            xs = values(pick(runs, b, meth) if meth else pick(runs, b), key)
            ms.append(statistics.fmean(xs) if xs else 0.0)
            ss.append(statistics.stdev(xs) if len(xs) > 1 else 0.0)
        pos = [j + (i - 1.5) * width for j in range(len(BITS))]
        ax.bar(pos, ms, width, yerr=ss if any(ss) else None, capsize=3, label=label, color=color)
        for x, m, sd in zip(pos, ms, ss):
            if m:
                ax.text(x, m + sd + 1, f"{m:.1f}", ha="center", va="bottom", fontsize=7)
    seeds = sorted({r["seed"] for r in runs})
    ax.set_xticks(range(len(BITS)), [f"W{b}A{b}" for b in BITS])
    ax.set_ylim(0, 105)
    ax.set_ylabel("CIFAR-10 test top-1 (%)")
    ax.set_xlabel("bit-width (weights / activations)")
    ax.set_title(f"ResNet-20 (akamaster) zero-shot quantization, final epoch\n"
                 f"mean ± std over {n_seeds(len(seeds))[1:-1]}, "
                 f"preset {', '.join(sorted({r['preset'] for r in runs}))}",
                 fontsize=10)
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return True


def update_readme(readme: Path, section: str, start: str = MARK_START, end: str = MARK_END) -> None:
    if not readme.is_file():
        print(f"warning: {readme} not found; README not updated", file=sys.stderr)
        return
    text = readme.read_text()
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i:
        print(f"warning: {readme} has no '{start}' ... '{end}' markers; README not updated", file=sys.stderr)
        return
    readme.write_text(text[:i + len(start)] + "\n" + section.strip() + "\n" + text[j:])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", default="results/runs", help="folder with <set>/<name>.json from grid.py")
    p.add_argument("--cost", nargs="*", default=["results/cost_cpu.json", "results/cost_cpu_variants.json",
                                                  "results/cost_cpu_floor.json", "results/cost_cuda.json"],
                   help="cost JSONs from cost.py")
    p.add_argument("--paper", default=None, help="results JSON of the paper-preset GPU run")
    p.add_argument("--out-md", default="results/RESULTS.md")
    p.add_argument("--readme", default="README.md")
    p.add_argument("--plot", default="results/accuracy.png")
    args = p.parse_args(argv)
    runs = load_runs(Path(args.runs))
    costs = [(c, d) for c in args.cost if (d := load_json(c)) is not None]
    for c in args.cost:
        if not Path(c).is_file():
            print(f"warning: cost file {c} not found", file=sys.stderr)
    main_runs = runs.get("main", [])
    plot, md, readme = Path(args.plot), Path(args.out_md), Path(args.readme)
    has_plot = accuracy_plot(main_runs, plot)
    main_md = main_table(main_runs)
    img = lambda base: f"\n\n![accuracy by method and bit-width]({os.path.relpath(plot, base)})" if has_plot else ""
    parts = ["# Results\n\nGenerated by `python benchmarks/make_tables.py` from the JSONs under "
             f"`{args.runs}`; do not edit by hand.", main_md + img(md.parent),
             ablation_table(runs.get("ablation", [])), sensitivity_tables(runs.get("d0", []), runs.get("tau", []), main_runs),
             real_table(runs.get("real", []), main_runs), cost_tables(costs, main_runs),
             paper_table(load_json(args.paper)),
             levers_table(runs.get("levers", []), runs.get("plus", []), runs.get("cpu-plus", []), main_runs,
                          runs.get("real", [])),
             selection_tables(runs.get("confirm", []), runs.get("val-d0", []), runs.get("val-tau", []),
                              runs.get("val-split", []), [r for rs in runs.values() for r in rs]),
             two_roles_table(runs.get("calib", []), main_runs, runs.get("official", []))]
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text("\n\n".join(parts).rstrip() + "\n")
    link = os.path.relpath(md, readme.parent)
    update_readme(readme, main_md.replace("## 1. Main results", "### Main results", 1) + img(readme.parent)
                  + f"\n\nAll tables (ablation, sensitivity, real-data reference, cost, GPU run): [{link}]({link}).")
    update_readme(readme, selection_summary(runs.get("confirm", []), runs.get("val-d0", [])), SEL_START, SEL_END)
    print(f"wrote {md}" + (f", {plot}" if has_plot else " (no main runs: no plot)"))


if __name__ == "__main__":
    main()
