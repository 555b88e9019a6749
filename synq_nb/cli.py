"""Command line: ``python -m synq_nb run --model ... --preset smoke --out DIR``."""
from __future__ import annotations

import argparse
import sys

from .config import PRESETS, SynQConfig, get_config
from .models import TEACHERS
from .quantization import ACT_QUANTS, WEIGHT_RANGES


def _bool(s: str) -> bool:
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected on/off, got {s!r}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m synq_nb", description="SynQ zero-shot quantization")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="synthesize, quantize, fine-tune and evaluate; writes OUT/results.json")
    r.add_argument("--model", default="resnet20_cifar10_akamaster", choices=TEACHERS)
    r.add_argument("--dataset", default=None, help="default: the model's own dataset")
    r.add_argument("--w-bits", type=int, default=4)
    r.add_argument("--a-bits", type=int, default=4)
    r.add_argument("--preset", default="cpu", choices=tuple(PRESETS))
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--out", required=True, help="output folder (results.json, checkpoint.pt); a run resumes from "
                   "its checkpoint there only if the same settings wrote it")
    r.add_argument("--fresh", action="store_true", help="delete OUT's checkpoint and results and start afresh "
                   "(needed when OUT holds a run with other settings)")
    r.add_argument("--device", default="auto", help="auto (CUDA if available), cpu, cuda, cuda:1 ...")
    r.add_argument("--no-progress", action="store_true")
    r.add_argument("--bf16", action="store_true", help="bfloat16 autocast in synthesis and fine-tuning (GPU speed; "
                   "off by default, recorded in the config as extra.bf16)")
    r.add_argument("--channels-last", action="store_true", help="teacher and student in channels_last memory "
                   "format (a speed option; recorded as extra.channels_last; benchmarks/cost.py measures it)")
    r.add_argument("--synth-group", type=int, default=None, metavar="N", help="synthesis batches per teacher "
                   "forward (1: batch by batch, the default; 0: all at once): a speed option, the same images on the "
                   "CPU (recorded as extra.synth_group; the synthetic-set cache is shared)")
    r.add_argument("--baseline", action="store_true", help="switch all three ideas off (KD + CE)")
    for flag, dest, help_ in (("--filter", "use_filter", "Idea 1: low-pass filter"),
                              ("--cam", "use_cam", "Idea 2: Grad-CAM alignment"),
                              ("--soft-labels", "use_soft_labels", "Idea 3: CE only on easy samples")):
        r.add_argument(flag, dest=dest, type=_bool, default=None, metavar="on|off", help=help_)
    r.add_argument("--filter-calibration", dest="filter_calibration", type=_bool, default=None, metavar="on|off",
                   help="with --filter on: calibrate the activation ranges on filtered images too (default on)")
    for name, typ in (("num_images", int), ("synth_iters", int), ("calib_images", int), ("epochs", int),
                      ("iters_per_epoch", int), ("batch_size", int), ("lr", float), ("d0", float), ("tau", float),
                      ("lambda_ce", float), ("lambda_cam", float), ("kd_temperature", float), ("kd_alpha", float),
                      ("lambda_fa", float), ("lambda_adv", float), ("adv_eps", float),
                      ("eval_limit", int), ("eval_every", int), ("max_finetune_seconds", float)):
        r.add_argument("--" + name.replace("_", "-"), dest=name, type=typ, default=None)
    r.add_argument("--train-data", choices=("synthetic", "real"), default=None,
                   help="real: fine-tune on NUM_IMAGES real training images (a reference, not zero-shot)")
    r.add_argument("--cam-target", choices=("label", "pred"), default=None)
    r.add_argument("--cam-clamp-weights", dest="cam_clamp_weights", type=_bool, default=None, metavar="on|off",
                   help="official code: Grad-CAM channel weights clamped at 0 (paper: off)")
    r.add_argument("--weight-range", choices=WEIGHT_RANGES, default=None,
                   help="beyond the paper: mse = per-channel weight clipping with the least squared error")
    r.add_argument("--act-quant", choices=ACT_QUANTS, default=None,
                   help="beyond the paper: lsq = activation step sizes trained during fine-tuning")
    r.add_argument("--quant-lr-mult", type=float, default=None, help="lsq: step-size learning rate = lr x this")
    d = sub.add_parser("data", help="list every file the package can download, and (--check) verify those on disk")
    d.add_argument("--check", action="store_true", help="hash every file found; exit 1 if one does not match")
    return p


def data_command(args) -> int:
    from .data import check_downloads, downloads
    from .models import data_home

    print(f"download home: {data_home()}  (SYNQ_DOWNLOAD_DIR overrides; SYNQ_WEIGHTS_DIR / SYNQ_DATA_DIR are read first)")
    if not args.check:
        for d in downloads():
            print(f"{d['file']}  {d['url']}  {'sha256 ' + d['sha256'] if 'sha256' in d else 'sha1 ' + d['sha1']}")
        return 0
    rows = check_downloads()
    for r in rows:
        print(f"{r['status']:8s} {r['file']}" + (f"  ({r['path']})" if r["path"] else ""))
    bad = [r for r in rows if r["status"] == "BAD"]
    print(f"{sum(r['status'] == 'ok' for r in rows)} ok, {sum(r['status'] == 'missing' for r in rows)} missing, "
          f"{len(bad)} with a wrong hash" + (": delete them and download again" if bad else ""))
    return 1 if bad else 0


def config_from_args(args: argparse.Namespace) -> SynQConfig:
    """The SynQConfig a parsed `run` command asks for (ValueError for bad values)."""
    from .models import _AKAMASTER, _PYTORCHCV

    overrides = {k: v for k, v in vars(args).items()
                 if v is not None and k not in ("command", "preset", "out", "no_progress", "baseline", "fresh", "bf16",
                                                   "channels_last", "synth_group")}
    if args.dataset is None:
        overrides["dataset"] = "cifar10" if args.model in _AKAMASTER else _PYTORCHCV[args.model].dataset
    if args.baseline:
        overrides.update(use_filter=False, use_cam=False, use_soft_labels=False)
    cfg = get_config(args.preset, **overrides)
    if getattr(args, "bf16", False):  # in extra, so that the configs of float32 runs stay as they were
        cfg = cfg.replace(extra=dict(cfg.extra, bf16=True))
    if getattr(args, "channels_last", False):
        cfg = cfg.replace(extra=dict(cfg.extra, channels_last=True))
    if getattr(args, "synth_group", None) is not None:
        if args.synth_group < 0:
            raise ValueError(f"--synth-group must be 0 (all batches at once) or a positive number, got {args.synth_group}")
        cfg = cfg.replace(extra=dict(cfg.extra, synth_group=args.synth_group))
    return cfg


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "data":
        return data_command(args)
    from . import distributed as D
    from .pipeline import run_experiment, summary_line

    try:
        args.device = D.init_from_env(args.device)  # under torchrun: join the group; cuda:LOCAL_RANK on GPUs
        cfg = config_from_args(args)
        results = run_experiment(cfg, out_dir=args.out, progress=not args.no_progress, fresh=args.fresh)
    except (ValueError, FileNotFoundError, FloatingPointError, RuntimeError) as e:
        if D.is_main():
            print(f"error: {e}", file=sys.stderr)
        D.shutdown()
        return 2
    if D.is_main():
        print(summary_line(results))
    D.shutdown()
    return 0
