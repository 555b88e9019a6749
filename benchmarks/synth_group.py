"""Grouped synthesis (issue 20, item 1) against batch by batch: wall and CPU seconds of ``synthesize`` for the same
seed and set, alternating the two so that a busy machine slows both alike; the best of ``--repeats`` each.

    python benchmarks/synth_group.py --batches 4 --batch 64 --iters 20 --threads 1 [--device cuda]

Prints one line per configuration (best wall time and, separately, best CPU time of the repeats) and whether the
two sets are bitwise equal (they are on the CPU: tests/test_synthesis_grouped.py).
"""
from __future__ import annotations

import argparse
import time

import torch

from synq_nb import load_teacher, synthesize


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="resnet20_cifar10_akamaster")
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    teacher = load_teacher(args.model, device=args.device)
    n = args.batches * args.batch
    best, sets = {}, {}
    for _ in range(args.repeats):
        for group in (1, 0):
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            t, c = time.perf_counter(), time.process_time()
            s = synthesize(teacher, n, args.iters, args.batch, seed=0, cache=False, progress=False, group=group)
            if args.device.startswith("cuda"):
                torch.cuda.synchronize()
            wall, cpu = time.perf_counter() - t, time.process_time() - c
            old = best.get(group, (float("inf"), float("inf")))
            best[group] = (min(old[0], wall), min(old[1], cpu))
            sets[group] = s
    print(f"{args.model}, {args.batches} batches x {args.batch} images x {args.iters} iterations, device {args.device}, "
          f"{torch.get_num_threads()} thread(s), torch {torch.__version__}, best of {args.repeats}")
    for group, name in ((1, "batch by batch (group=1)"), (0, f"grouped, {args.batches} batches per forward (group=0)")):
        wall, cpu = best[group]
        print(f"  {name:45s} wall {wall:7.2f} s   CPU {cpu:7.2f} s   {1e3 * wall / (args.iters * args.batches):6.1f} ms "
              f"per batch-iteration")
    print(f"  time grouped / time batch by batch (above 1: grouping is slower): wall {best[0][0] / best[1][0]:.2f}, "
          f"CPU {best[0][1] / best[1][1]:.2f}; images "
          f"bitwise equal: {torch.equal(sets[1].images, sets[0].images)} (largest difference "
          f"{(sets[1].images - sets[0].images).abs().max().item():.2e}), history equal: {sets[1].history == sets[0].history}")


if __name__ == "__main__":
    main()
