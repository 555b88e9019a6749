"""Cost of SynQ's fine-tuning iteration vs the baseline's (KD + CE), and peak memory.

    python benchmarks/cost.py --device cpu --out results/cost_cpu.json
    python benchmarks/cost.py --device all --out results/cost.json   # results/cost_cpu.json and, with CUDA, cost_cuda.json

Times one full iteration (filter + teacher forward + student forward/backward + SGD step) of the
quantized ResNet-20 W4A4 student, median of --iters iterations after --warmup, for the baseline and
SynQ (all three ideas) at each batch size; then checks for slowdown over a longer SynQ run (median of
the first vs the last 50 of --long iterations). Peak memory: CUDA max_memory_allocated per method;
on CPU the process's peak resident set size (ru_maxrss) after each method (monotone, so the second
number includes the first).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

from synq_nb import calibrate_activations, get_config, get_device, load_teacher, quantize_model
from synq_nb.finetune import SynQStep


def timed_iterations(step, opt, x, y, n, device):
    times = []
    for _ in range(n):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        loss, _ = step(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return times


def variant_median(name, teacher, x, y, cfg, args, device) -> float:
    """Median seconds of one SynQ W4A4 iteration with one speed or quantizer option switched on."""
    import copy

    from synq_nb.quantization import make_act_steps_learnable

    c = cfg.ideas(True, True, True)
    t = teacher
    if name == "bf16":
        c = c.replace(extra=dict(bf16=True))
    elif name == "mse-lsq":
        c = c.replace(weight_range="mse", act_quant="lsq")
    elif name == "channels_last":
        t = copy.deepcopy(teacher).to(memory_format=torch.channels_last)
    elif name != "synq":
        raise SystemExit(f"unknown variant {name!r}: choose from channels_last, bf16, mse-lsq")
    student = quantize_model(t, 4, 4, c.weight_range)
    if name == "channels_last":
        student = student.to(memory_format=torch.channels_last)
    student = calibrate_activations(student, x)
    if c.act_quant == "lsq":
        make_act_steps_learnable(student)
    opt = torch.optim.SGD(student.parameters(), lr=1e-4, momentum=0.9, nesterov=True)
    return statistics.median(timed_iterations(SynQStep(student, t, c), opt, x, y, args.warmup + args.iters, device)[args.warmup:])


def floor_section(teacher, x, y, cfg, args, device) -> dict:
    """The KD step (the baseline's iteration: quantized W4A4 student, KD + CE) against its floor, the same step with
    the student in full precision (teacher forward + FP student forward/backward + SGD step), in one run: eager with the
    CPU activation quantizer, eager with torch's fused fake-quant kernel (what every run used before), and
    torch.compile of the student (compile time reported apart, and as the number of steps it takes to repay)."""
    import copy

    import synq_nb.quantization as Q

    n, w = args.warmup + args.iters, args.warmup
    c = cfg.ideas(False, False, False)
    fp = copy.deepcopy(teacher).requires_grad_(True).eval()
    opt = torch.optim.SGD(fp.parameters(), lr=1e-4, momentum=0.9, nesterov=True)

    def student_step(compiled=False):
        student = calibrate_activations(quantize_model(teacher, 4, 4), x).eval()
        o = torch.optim.SGD(student.parameters(), lr=1e-4, momentum=0.9, nesterov=True)
        model = torch.compile(student) if compiled else student
        return SynQStep(model, teacher, c), o

    out = dict(batch=len(x), threads=torch.get_num_threads())
    rows = dict(fp_floor=(SynQStep(fp, teacher, c), opt))  # the same step code, the student unquantized
    fused = lambda x_, s, z, bits: torch.fake_quantize_per_tensor_affine(x_, s, z, 0, 2**bits - 1)  # noqa: E731
    for name in ("fp_floor", "kd_eager", "kd_eager_fused_kernel", "kd_compiled"):
        old = Q.fake_quantize_per_tensor
        if name == "kd_eager_fused_kernel":
            Q.fake_quantize_per_tensor = fused
        try:
            step, o = rows.get(name) or student_step(compiled=name == "kd_compiled")
            t = timed_iterations(step, o, x, y, n, device)
        finally:
            Q.fake_quantize_per_tensor = old
        out[name] = dict(median_s=statistics.median(t[w:]), first_s=t[0])
    for name in ("kd_eager", "kd_eager_fused_kernel", "kd_compiled"):
        out[name]["over_floor"] = out[name]["median_s"] / out["fp_floor"]["median_s"]
    comp, eager = out["kd_compiled"], out["kd_eager"]
    comp["compile_s"] = comp["first_s"] - comp["median_s"]  # the first step compiles forward and backward
    saved = eager["median_s"] - comp["median_s"]
    comp["steps_to_repay_compile"] = comp["compile_s"] / saved if saved > 0 else None
    print("floor: " + ", ".join(f"{k} {v['median_s']*1e3:.1f} ms" + (f" ({v['over_floor']:.2f}x)" if "over_floor" in v else "")
                                for k, v in out.items() if isinstance(v, dict)) + f"; compile {comp['compile_s']:.1f} s", flush=True)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, ... or 'all': the CPU and, when there is one, "
                   "the GPU, each written to OUT with the device in its name (cost_cpu.json, cost_cuda.json)")
    p.add_argument("--model", default="resnet20_cifar10_akamaster")
    p.add_argument("--batch-sizes", default="128,256")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--long", type=int, default=300)
    p.add_argument("--synth-iters", type=int, default=0, help="also time this many synthesis iterations at batch 256")
    p.add_argument("--variants", default="", help="also time the SynQ iteration at the largest batch with each of: "
                   "channels_last, bf16 (teacher under autocast), mse-lsq (the cpu-plus quantizers); e.g. "
                   "channels_last,bf16,mse-lsq (the plain SynQ iteration is measured alongside as 'synq')")
    p.add_argument("--floor", action="store_true", help="also time the KD step against its full-precision floor at "
                   "the first batch size: eager (CPU quantizer and torch's fused kernel) and torch.compile")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.device == "all":  # one JSON per device, in the format make_tables.py reads
        out = Path(args.out)
        for dev in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
            main([a for a in (argv if argv is not None else sys.argv[1:])] + ["--device", dev, "--out",
                 str(out.with_name(f"{out.stem.removesuffix('_all')}_{dev}{out.suffix}"))])
        if not torch.cuda.is_available():
            print("no CUDA device: only the CPU figures were measured", flush=True)
        return
    device = get_device(None if args.device == "auto" else args.device)
    torch.manual_seed(0)
    teacher = load_teacher(args.model, device=device)
    info = teacher.synq_info
    x_all = torch.randn(max(map(int, args.batch_sizes.split(","))), 3, info.input_size, info.input_size, device=device)
    y_all = torch.arange(len(x_all), device=device) % info.num_classes
    cfg = get_config("cpu")
    out = dict(device=str(torch.cuda.get_device_name(device)) if device.type == "cuda" else f"cpu ({platform.machine()}, {torch.get_num_threads()} threads)",
               torch=torch.__version__, date=time.strftime("%Y-%m-%d"), command=" ".join(["python"] + sys.argv),
               model=args.model, bits="W4A4", iters=args.iters, warmup=args.warmup, per_batch={})
    for bs in map(int, args.batch_sizes.split(",")):
        x, y = x_all[:bs], y_all[:bs]
        row = {}
        for method, ideas in (("baseline", (False, False, False)), ("synq", (True, True, True))):
            student = quantize_model(teacher, 4, 4)
            calibrate_activations(student, x_all)
            c = cfg.ideas(*ideas)
            opt = torch.optim.SGD(student.parameters(), lr=1e-4, momentum=0.9, nesterov=True)
            step = SynQStep(student, teacher, c)
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            t = timed_iterations(step, opt, x, y, args.warmup + args.iters, device)[args.warmup:]
            peak = (torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda"
                    else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            row[method] = dict(median_s=statistics.median(t), mean_s=statistics.fmean(t), peak_mem_mib=round(peak, 1))
        row["ratio_synq_over_baseline"] = row["synq"]["median_s"] / row["baseline"]["median_s"]
        out["per_batch"][str(bs)] = row
        print(f"batch {bs}: baseline {row['baseline']['median_s']*1e3:.1f} ms, synq {row['synq']['median_s']*1e3:.1f} ms, "
              f"ratio {row['ratio_synq_over_baseline']:.2f}", flush=True)
    if args.long >= 100:
        bs = int(args.batch_sizes.split(",")[0])
        student = quantize_model(teacher, 4, 4)
        calibrate_activations(student, x_all)
        opt = torch.optim.SGD(student.parameters(), lr=1e-4, momentum=0.9, nesterov=True)
        t = timed_iterations(SynQStep(student, teacher, cfg.ideas(True, True, True)), opt, x_all[:bs], y_all[:bs], args.long, device)
        first, last = statistics.median(t[5:55]), statistics.median(t[-50:])
        out["slowdown"] = dict(batch=bs, iterations=args.long, first50_median_s=first, last50_median_s=last, ratio=last / first)
        print(f"slowdown over {args.long} SynQ iterations: first {first*1e3:.1f} ms, last {last*1e3:.1f} ms", flush=True)
    if args.variants:
        bs = max(map(int, args.batch_sizes.split(",")))
        out["variants"] = dict(batch=bs)
        for name in ["synq"] + args.variants.split(","):
            out["variants"][name] = dict(median_s=variant_median(name, teacher, x_all[:bs], y_all[:bs], cfg, args, device))
            print(f"variant {name}: {out['variants'][name]['median_s']*1e3:.1f} ms per SynQ iteration at batch {bs}", flush=True)
    if args.floor:
        bs = int(args.batch_sizes.split(",")[0])
        out["floor"] = floor_section(teacher, x_all[:bs], y_all[:bs], cfg, args, device)
    if args.synth_iters:
        from synq_nb import synthesize
        synthesize(teacher, 256, 3, 256, cache=False, progress=False)  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        synthesize(teacher, 256, args.synth_iters, 256, cache=False, progress=False)
        if device.type == "cuda":
            torch.cuda.synchronize()
        per_it = (time.perf_counter() - t) / args.synth_iters
        out["synthesis"] = dict(batch=256, iterations=args.synth_iters, s_per_iter=per_it)
        row = out["per_batch"].get("256")
        if row:  # the paper preset: 20 batches x 1000 synthesis iterations + 100 x 200 SynQ iterations at 256
            out["paper_preset_estimate_s"] = dict(synthesis=20 * 1000 * per_it, finetune=20000 * row["synq"]["median_s"])
        print(f"synthesis: {per_it*1e3:.1f} ms per iteration at batch 256; estimate {out.get('paper_preset_estimate_s')}", flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
