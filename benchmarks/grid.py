"""Run the benchmark experiments (issue: reproduction and benchmarks) and write one JSON per run.

    python benchmarks/grid.py --sets main,ablation,d0,tau,real --jobs 1 --out results/runs

Every run is `python -m synq_nb run` with the `cpu` preset (or --preset) and the overrides below; a run
whose JSON already exists is skipped, so the script can be interrupted and restarted. Runs with the
same seed share one cached synthetic set. ``--jobs N`` runs N at once (useful on a GPU).
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from synq_nb.results import ADDED_LATER  # config fields added after runs were recorded

SYNQ = dict(filter="on", cam="on", soft_labels="on")
BASELINE = dict(filter="off", cam="off", soft_labels="off")


def experiments(sets, preset, model):
    """(name, set, CLI overrides) for each run of each set."""
    runs = []
    if "main" in sets:
        for bits in (4, 3):
            for seed in (0, 1, 2):
                for method, ideas in (("baseline", BASELINE), ("synq", SYNQ)):
                    runs.append((f"w{bits}a{bits}_{method}_s{seed}", "main", dict(ideas, w_bits=bits, a_bits=bits, seed=seed)))
    if "ablation" in sets:  # seeds 0 and 1 (all off = the baseline, all on = SynQ: reused from the main and d0 sets)
        for seed in (0, 1):
            for f in ("off", "on"):
                for c in ("off", "on"):
                    for s in ("off", "on"):
                        runs.append((f"w3a3_filter-{f}_cam-{c}_soft-{s}_s{seed}", "ablation",
                                     dict(filter=f, cam=c, soft_labels=s, w_bits=3, a_bits=3, seed=seed)))
    if "d0" in sets:
        for d0 in (4, 8, 16, 32, 80):
            runs.append((f"w3a3_d0-{d0}_s0", "d0", dict(SYNQ, d0=d0, w_bits=3, a_bits=3, seed=0)))
        for d0 in (8, 16):  # the two best cut-offs of seed 0, on the main table's other seeds, and at W4A4
            for seed in (1, 2):
                runs.append((f"w3a3_d0-{d0}_s{seed}", "d0", dict(SYNQ, d0=d0, w_bits=3, a_bits=3, seed=seed)))
            runs.append((f"w4a4_d0-{d0}_s0", "d0", dict(SYNQ, d0=d0, w_bits=4, a_bits=4, seed=0)))
    if "tau" in sets:  # swept at d0 16 (the default before the d0 sweep), then checked at d0 8
        for d0, taus in ((16, (0.5, 0.6, 0.7)), (8, (0.5, 0.6, 0.7))):
            for tau in taus:
                runs.append((f"w3a3_d0-{d0}_tau-{tau}_s0", "tau", dict(SYNQ, d0=d0, tau=tau, w_bits=3, a_bits=3, seed=0)))
    if "real" in sets:  # 5,120 real images (the paper's set size); at W3A3 also 1,024 (the synthetic set's size)
        for bits, n in ((4, 5120), (3, 5120), (3, 1024)):
            for method, ideas in (("baseline", BASELINE), ("synq", SYNQ)):
                runs.append((f"w{bits}a{bits}_real{n}_{method}_s0", "real",
                             dict(ideas, w_bits=bits, a_bits=bits, seed=0, train_data="real", num_images=n)))
    # issue 12: levers beyond the paper, each alone and together, at W3A3 on seeds 0-2 (cpu preset = SynQ as
    # published), then the splits of the 25-minute CPU budget between synthesis and fine-tuning
    if "levers" in sets:
        for name, o in LEVERS.items():
            for seed in (0, 1, 2):
                runs.append((f"w3a3_{name}_s{seed}", "levers", dict(SYNQ, **o, w_bits=3, a_bits=3, seed=seed)))
    if "plus" in sets:  # the candidates at W4A4 too, and the real-data reference with the new quantizers
        for name in PLUS_W4:
            for seed in (0, 1, 2):
                runs.append((f"w4a4_{name}_s{seed}", "plus", dict(SYNQ, **LEVERS[name], w_bits=4, a_bits=4, seed=seed)))
        for bits in (3, 4):
            runs.append((f"w{bits}a{bits}_real1024_mse-lsq_s0", "plus", dict(SYNQ, **LEVERS["mse-lsq"], w_bits=bits,
                                                                           a_bits=bits, seed=0, train_data="real", num_images=1024)))
    if "cpu-plus" in sets:  # the preset beyond the paper, both bit-widths, seeds 0-2
        for bits in (3, 4):
            for seed in (0, 1, 2):
                runs.append((f"w{bits}a{bits}_cpu-plus_s{seed}", "cpu-plus",
                             dict(SYNQ, preset="cpu-plus", w_bits=bits, a_bits=bits, seed=seed)))
    # issue 18: out-of-sample seeds 3, 4 and 5 (never used to choose anything) for `cpu` and `cpu-plus` at W3A3, and
    # the lambda_CAM = 0 control of `cpu` (CAM term off, all else equal) on the same seeds and synthetic sets
    if "confirm" in sets:
        # cpu-syn150-ep15: SynQ as published at cpu-plus's iteration counts (and its synthetic set): the same-cost
        # control of cpu-plus's levers (MSE ranges, T = 4)
        for name, o in (("cpu", {}), ("cpu-cam-off", dict(cam="off")), ("cpu-plus", dict(preset="cpu-plus")),
                        ("cpu-syn150-ep15", dict(synth_iters=150, epochs=15))):
            for seed in (3, 4, 5):  # seed 5 added once two seeds proved too few for an interval (t = 12.7)
                runs.append((f"w3a3_{name}_s{seed}", "confirm", dict(SYNQ, **o, w_bits=3, a_bits=3, seed=seed)))
    # the filter switch acts twice (calibration on filtered images, and filtered fine-tuning batches): SynQ with
    # the calibration unfiltered separates the two (issue 18 reviews of 06 and 07), W3A3, seeds 0-2
    if "calib" in sets:
        for seed in (0, 1, 2):
            runs.append((f"w3a3_synq-calib-raw_s{seed}", "calib",
                         dict(SYNQ, filter_calibration=False, w_bits=3, a_bits=3, seed=seed)))
    # issue 20: what the authors' code runs (preset `official`: T 20 x alpha 20, CAM of the prediction with clamped
    # weights, HAST's feature alignment and adversarial term, d0 80), at the cpu budget, beside SynQ as published
    # (the main set's w3a3_synq_s0-2, same synthetic sets)
    if "official" in sets:
        for seed in (0, 1, 2):
            runs.append((f"w3a3_official_s{seed}", "official", dict(SYNQ, preset="official", w_bits=3, a_bits=3, seed=seed)))
            # its matched control: SynQ as published at the recipe's d0 = 80 (the same calibration images and the
            # same filtered batches; only the losses differ); seed 0 is the d0 set's run
            runs.append((f"w3a3_synq-d0-80_s{seed}", "official", dict(SYNQ, d0=80, w_bits=3, a_bits=3, seed=seed)))
    # the split of cpu-plus's budget between synthesis iterations and fine-tuning epochs, chosen again on the
    # validation split (seed 0; first chosen by test accuracy in the levers set: 150 x 15 of 50 x 20 / 250 x 10)
    if "val-split" in sets:
        for syn, ep in ((150, 15), (50, 20), (250, 10)):
            runs.append((f"w3a3_cpu-plus-syn{syn}-ep{ep}_s0", "val-split",
                         dict(SYNQ, preset="cpu-plus", synth_iters=syn, epochs=ep, w_bits=3, a_bits=3, seed=0)))
    if "val-tau" in sets:  # tau chosen again, on the validation split (d0 8, seed 0; 0.7 is val-d0's d0-8 run)
        for tau in (0.5, 0.6, 0.7):
            runs.append((f"w3a3_tau-{tau}_s0", "val-tau", dict(SYNQ, d0=8, tau=tau, w_bits=3, a_bits=3, seed=0)))
    if "val-d0" in sets:  # d0 chosen again, on the validation split (seed 0; 8 and 16 first: the choice made)
        for d0 in (8, 16, 4, 32):
            runs.append((f"w3a3_d0-{d0}_s0", "val-d0", dict(SYNQ, d0=d0, w_bits=3, a_bits=3, seed=0)))
    # test-set evaluation every 5 epochs (at 5 and 10 in the cpu preset: best-over-epochs is over those)
    return [(n, s, dict(dict(model=model, preset=preset, eval_every=5), **o)) for n, s, o in runs]


MSE_LSQ = dict(weight_range="mse", act_quant="lsq")
LEVERS = {  # name -> overrides of the cpu preset (SynQ's three ideas stay on)
    "paper": {},
    "mse": dict(weight_range="mse"),
    "lsq": dict(act_quant="lsq"),
    "mse-lsq": MSE_LSQ,
    "mse-lsq-qlr10": dict(MSE_LSQ, quant_lr_mult=10),
    "mse-lsq-kdT4": dict(MSE_LSQ, kd_temperature=4),
    "mse-lsq-baseline": dict(MSE_LSQ, **BASELINE),
    # the same 25 CPU minutes spent differently: synthesis iterations x fine-tuning epochs (100 iterations each)
    "mse-lsq-syn50-ep20": dict(MSE_LSQ, epochs=20),
    "mse-lsq-syn150-ep15": dict(MSE_LSQ, synth_iters=150, epochs=15),
    "mse-lsq-syn250-ep10": dict(MSE_LSQ, synth_iters=250),
    "mse-lsq-img2048-ep15": dict(MSE_LSQ, num_images=2048, calib_images=2048, epochs=15),
    "mse-lsq-lr3e-3": dict(MSE_LSQ, lr=3e-3),
    # the KD temperature (the paper: T = 1; the official code: 20)
    "kdT4": dict(kd_temperature=4),
    "mse-kdT4": dict(weight_range="mse", kd_temperature=4),
    "mse-lsq-kdT8": dict(MSE_LSQ, kd_temperature=8),
    "mse-lsq-kdT4-syn150-ep15": dict(MSE_LSQ, kd_temperature=4, synth_iters=150, epochs=15),
}
PLUS_W4 = ("paper", "mse-lsq", "mse-lsq-kdT4", "mse-lsq-syn50-ep20", "mse-lsq-syn150-ep15", "mse-lsq-syn250-ep10")


def command(overrides, out_dir, device):
    cmd = [sys.executable, "-m", "synq_nb", "run", "--out", str(out_dir), "--device", device, "--no-progress"]
    for k, v in overrides.items():
        cmd += ["--" + k.replace("_", "-"), str(v)]
    return cmd


def run_config(overrides) -> dict:
    """The config `python -m synq_nb run` builds from these overrides (device left out)."""
    from synq_nb.cli import build_parser, config_from_args

    cmd = command(overrides, "unused", "auto")
    cfg = config_from_args(build_parser().parse_args(cmd[3:])).to_dict()
    cfg.pop("device")
    return cfg


# settings a run does not read when an idea is off (e.g. the baseline never filters, so its d0 is moot)
UNUSED_WHEN_OFF = {"use_filter": ("d0", "filter_kind", "filter_calibration"), "use_soft_labels": ("tau",),
                   "use_cam": ("lambda_cam", "cam_target", "cam_floor", "cam_clamp_weights")}




def effective(cfg: dict) -> dict:
    """The config without the device, the preset's name (a label: the settings themselves are compared) and
    the settings of ideas that are switched off; settings added later filled in with the value older runs had."""
    cfg = {**ADDED_LATER, **{k: v for k, v in cfg.items() if k not in ("device", "preset")}}
    if cfg["act_quant"] != "lsq":
        cfg.pop("quant_lr_mult")
    if not cfg["lambda_adv"]:  # the perturbation's step is not read without the adversarial term
        cfg.pop("adv_eps")
    for idea, fields in UNUSED_WHEN_OFF.items():
        if not cfg.get(idea, True):
            for f in fields:
                cfg.pop(f, None)
    return cfg


# sets whose runs must carry the validation-split numbers (older runs, made before the split, cannot be reused)
NEEDS_VALIDATION = ("confirm", "val-d0", "calib", "val-tau", "val-split")


def find_same_run(overrides, out_root: Path, need_validation: bool = False):
    """An existing result (in any set) whose effective config equals this run's, so the run is not repeated."""
    want = effective(run_config(overrides))
    for f in sorted(out_root.glob("*/*.json")):
        res = json.loads(f.read_text())
        if need_validation and "val_final_top1" not in res:
            continue
        if effective(res.get("config", {})) == want and not res.get("same_run_as"):
            return f, res
    return None, None


def run_one(name, set_name, overrides, out_root: Path, device):
    dest = out_root / set_name / f"{name}.json"
    if dest.is_file():  # reused only when it holds this run's settings (another --preset must not mix in)
        have, want = effective(json.loads(dest.read_text()).get("config", {})), effective(run_config(overrides))
        if have != want:  # the message names the preset too (a label, not itself compared)
            have, want = json.loads(dest.read_text()).get("config", {}), run_config(overrides)
            have = {**ADDED_LATER, **{k: v for k, v in have.items() if k != "device"}}
            diff = "; ".join(f"{k}: {have.get(k)!r} there, {want.get(k)!r} now"
                             for k in sorted(set(have) | set(want)) if have.get(k) != want.get(k))
            return name, f"FAILED: {dest} holds a run with other settings ({diff}): choose another --out", 0.0
        return name, "cached", 0.0
    same, res = find_same_run(overrides, out_root, set_name in NEEDS_VALIDATION)
    if same is not None:  # e.g. the ablation's all-on run is the main table's SynQ seed 0
        res = dict(res, run_name=name, set=set_name, same_run_as=str(same.relative_to(out_root)))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(res, indent=2))
        return name, f"same config as {res['same_run_as']}, reused", 0.0
    work = out_root / "_work" / set_name / name
    cmd = command(overrides, work, device)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t
    if proc.returncode != 0:
        return name, f"FAILED ({proc.returncode}): {proc.stderr.strip().splitlines()[-1:]}", secs
    res = json.loads((work / "results.json").read_text())
    res["command"] = " ".join(["python"] + cmd[1:])
    res["run_name"], res["set"] = name, set_name
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(json.dumps(res, indent=2))
    os.replace(tmp, dest)
    shutil.rmtree(work, ignore_errors=True)
    return name, proc.stdout.strip(), secs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sets", default="main,ablation,d0,tau,real")
    p.add_argument("--preset", default="cpu")
    p.add_argument("--model", default="resnet20_cifar10_akamaster")
    p.add_argument("--device", default="auto")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", default="results/runs")
    p.add_argument("--only", default=None, help="run only names containing one of these comma-separated strings")
    p.add_argument("--deadline", type=float, default=None, help="seconds: start no new run after this")
    args = p.parse_args(argv)
    runs = experiments(set(args.sets.split(",")), args.preset, args.model)
    order = args.sets.split(",")
    runs.sort(key=lambda r: order.index(r[1]))  # in the order the sets are named
    if args.only:
        wanted = args.only.split(",")
        runs = [r for r in runs if any(w in r[0] for w in wanted)]
    out_root, t0 = Path(args.out), time.perf_counter()
    print(f"{len(runs)} runs, {args.jobs} at a time, device {args.device}", flush=True)

    def job(r):
        if args.deadline and time.perf_counter() - t0 > args.deadline:
            return r[0], "skipped (deadline)", 0.0
        return run_one(*r, out_root, args.device)

    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for name, msg, secs in pool.map(job, runs):
            print(f"[{time.perf_counter() - t0:7.0f} s] {name}: {msg} ({secs:.0f} s)", flush=True)
    # the committed runs ship with the package (synq_nb.bundle): keep that copy current
    if out_root.resolve() == (Path(__file__).resolve().parent.parent / "results" / "runs").resolve():
        from synq_nb import bundle

        print(f"rebuilt {bundle.write()}", flush=True)


if __name__ == "__main__":
    main()
