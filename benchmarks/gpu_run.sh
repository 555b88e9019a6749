#!/usr/bin/env bash
# One prepared GPU call (device tool: one call of <= 10 minutes, ~15 minutes of device time per session).
# Prepare here (offline data and wheels travel in git-ignored folders, never committed):
#   mkdir -p .gpudata/weights && cp -r ../shared/data/cifar10 .gpudata/ && cp ../shared/data/weights/*20*.th .gpudata/weights/
#   .venv/bin/pip wheel --no-deps -w .whl grad-cam==1.5.7 pytorchcv==0.0.74 ttach
# then run `bash benchmarks/gpu_run.sh` there with carry [".gpudata", ".whl"]; results come back under $OUT.
#
# MODE=table1 (default): Table 1's ResNet-20 CIFAR-10 rows at the `paper` preset (5,120 images x 1,000
#   synthesis steps; 100 x 200 fine-tuning steps at batch 256): W4A4 and W3A3, baseline and SynQ, seeds 0-2
#   (12 runs; ROWS="w4a4_synq_s0 ..." picks some). Steps: card name; cost.py (CUDA per-iteration figures);
#   the three seeds' synthetic sets at once; then JOBS runs at once on the card, each fine-tuning for at
#   most FT_SECONDS (computed from DEADLINE, the seconds this call may use) and then evaluated on the whole
#   test set. A run cut short says so in its JSON ("stopped_early", "epochs_done"): whatever finished returns.
#   The teacher is the akamaster ResNet-20 (91.73 % FP; the paper's pytorchcv ResNet-20 has 93.89 %), so
#   compare drops from FP (goal: <= 1.0 at W4A4, <= 5.5 at W3A3; paper: 1.13 and 5.78), not raw accuracies.
# MODE=suite: the earlier plan: cost.py, pytest on CUDA, the cpu-preset benchmark grid, one paper timing.
# MODE=levers: issue 12's levers on the GPU (the cpu preset's budget, so each run takes about a minute there):
#   CUDA tests (tests/test_gpu.py, tests/test_levers.py); cost.py on CUDA with the variants channels_last, bf16
#   and mse-lsq; then `benchmarks/grid.py --sets levers,plus` with JOBS runs at once until DEADLINE. Back in $OUT:
#   card.txt, cost_cuda.json, cost.log, pytest_gpu.log, grid.log and runs.tgz (results/runs/<set>/*.json).
#   Only .gpudata travels as data (a compressed copy of ../shared/data, made by `make gpudata`).
# DRY=1: the same steps on the CPU with tiny sizes (checks the script itself; no GPU needed):
#   DRY=1 bash benchmarks/gpu_run.sh   -> $OUT (default /tmp/gpu_dry)
set -u
MODE=${MODE:-table1}
START=$(date +%s)
if [ "${DRY:-0}" = 1 ]; then
  OUT=${OUT:-/tmp/gpu_dry}; DEV=cpu; DEADLINE=${DEADLINE:-240}; JOBS=${JOBS:-2}
  # the paper preset with small overrides, so that the CPU finishes in minutes
  EXTRA=${EXTRA:---num-images 64 --synth-iters 2 --calib-images 64 --iters-per-epoch 3 --batch-size 32 --eval-limit 500}
  ROWS=${ROWS:-w4a4_baseline_s0 w4a4_synq_s0 w3a3_synq_s1}
  COST_ARGS=${COST_ARGS:---batch-sizes 32 --iters 3 --warmup 1 --long 0}; COST_TIMEOUT=${COST_TIMEOUT:-300}
else
  OUT=${OUT:-/tmp/out}; DEV=${DEV:-cuda}; DEADLINE=${DEADLINE:-540}; JOBS=${JOBS:-12}; EXTRA=${EXTRA:-}
  COST_ARGS=${COST_ARGS:---iters 20 --long 0 --synth-iters 20}
fi
mkdir -p "$OUT"
PRESET=${PRESET:-paper}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl >/dev/null 2>&1
  export PYTHONPATH=/tmp/site:$PYTHONPATH
fi
if [ -d .gpudata ]; then
  export SYNQ_DATA_DIR=${SYNQ_DATA_DIR:-$PWD/.gpudata} SYNQ_WEIGHTS_DIR=${SYNQ_WEIGHTS_DIR:-$PWD/.gpudata/weights}
fi
export SYNQ_CACHE_DIR=${SYNQ_CACHE_DIR:-/tmp/synq_cache}
PYTHON=${PYTHON:-python3}
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi (DRY=${DRY:-0})"
  $PYTHON -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no cuda')"
  date -u; } > "$OUT/card.txt" 2>&1
cat "$OUT/card.txt"
left() { echo $(( DEADLINE - ($(date +%s) - START) )); }

if [ "$MODE" = suite ]; then
  GRID_DEADLINE=${GRID_DEADLINE:-280}
  PAPER_FT_SECONDS=${PAPER_FT_SECONDS:-150}
  $PYTHON benchmarks/cost.py --device "$DEV" --out "$OUT/cost_gpu.json" ${COST_ARGS} 2>&1 | tail -4
  timeout ${TEST_TIMEOUT:-240} $PYTHON -m pytest -q -p no:cacheprovider tests --ignore=tests/test_notebooks.py > "$OUT/pytest_gpu.log" 2>&1 &
  TESTS=$!
  $PYTHON benchmarks/grid.py --device "$DEV" --preset cpu --jobs ${JOBS} --deadline "$GRID_DEADLINE" --out /tmp/grid > "$OUT/grid.log" 2>&1 &
  GRID=$!
  ( while kill -0 $GRID 2>/dev/null; do sleep 20; tar czf "$OUT/.g.tgz" -C /tmp/grid --exclude=_work . 2>/dev/null && mv "$OUT/.g.tgz" "$OUT/grid.tgz"; done ) &
  timeout ${PAPER_TIMEOUT:-450} $PYTHON -m synq_nb run --preset "$PRESET" --model resnet20_cifar10_akamaster --w-bits 4 --a-bits 4 --seed 0 \
      --device "$DEV" --eval-every 5 --max-finetune-seconds "$PAPER_FT_SECONDS" --out /tmp/paper --no-progress $EXTRA > "$OUT/paper.log" 2>&1
  echo "paper exit $?" >> "$OUT/paper.log"
  cp /tmp/paper/results.json "$OUT/paper_w4a4_s0.json" 2>/dev/null
  wait $TESTS; echo "pytest exit $?" >> "$OUT/pytest_gpu.log"
  wait $GRID
  tar czf "$OUT/grid.tgz" -C /tmp/grid --exclude=_work .
  tail -3 "$OUT/pytest_gpu.log"; tail -40 "$OUT/grid.log"; cat "$OUT/paper.log"
  exit 0
fi

if [ "$MODE" = levers ]; then
  if [ "${DRY:-0}" = 1 ]; then GRID_ARGS=${GRID_ARGS:---preset smoke --only _s0}; TESTS=${TESTS:-tests/test_levers.py}
  else GRID_ARGS=${GRID_ARGS:---preset cpu}; TESTS=${TESTS:-tests/test_gpu.py tests/test_levers.py}; fi
  export OMP_NUM_THREADS=1
  [ "${SKIP_COST:-0}" = 1 ] || timeout ${COST_TIMEOUT:-90} $PYTHON benchmarks/cost.py --device "$DEV" --out "$OUT/cost_${DEV%%:*}.json" ${COST_ARGS} \
      --variants channels_last,bf16,mse-lsq > "$OUT/cost.log" 2>&1  # alone on the card: its timings are clean
  echo "cost exit $? ($(left) s left)"; tail -8 "$OUT/cost.log"
  timeout ${TEST_TIMEOUT:-150} $PYTHON -m pytest -q -p no:cacheprovider $TESTS > "$OUT/pytest_gpu.log" 2>&1 &
  TESTS_PID=$!
  # the grid: start no new run after GRID_DEADLINE; whatever has not finished by the hard limit is cut off
  GRID_DEADLINE=${GRID_DEADLINE:-$(( $(left) - ${RESERVE:-150} ))}
  mkdir -p /tmp/runs
  timeout $(( $(left) - 25 )) $PYTHON benchmarks/grid.py --sets levers,plus --device "$DEV" --jobs "$JOBS" \
      --deadline "$GRID_DEADLINE" --out /tmp/runs $GRID_ARGS > "$OUT/grid.log" 2>&1 &
  GRID=$!
  ( while kill -0 $GRID 2>/dev/null; do sleep 15
      tar czf "$OUT/.r.tgz" -C /tmp/runs --exclude=_work . 2>/dev/null && mv "$OUT/.r.tgz" "$OUT/runs.tgz"; done ) &
  wait $GRID; echo "grid exit $? ($(left) s left)" >> "$OUT/grid.log"
  tar czf "$OUT/runs.tgz" -C /tmp/runs --exclude=_work .
  wait $TESTS_PID; echo "pytest exit $?" >> "$OUT/pytest_gpu.log"
  tail -3 "$OUT/pytest_gpu.log"; tail -60 "$OUT/grid.log"
  echo "done in $(( $(date +%s) - START )) s"
  exit 0
fi

# ---- MODE=table1 ----
ROWS=${ROWS:-$(for b in 4 3; do for s in 0 1 2; do for m in baseline synq; do printf 'w%sa%s_%s_s%s ' $b $b $m $s; done; done; done)}
args_of() {  # the CLI arguments of one row name, e.g. w3a3_synq_s1
  local bits=${1:1:1} method seed=${1##*_s}
  method=$(echo "$1" | cut -d_ -f2)
  echo "--preset $PRESET --model resnet20_cifar10_akamaster --w-bits $bits --a-bits $bits --seed $seed" \
       "$([ "$method" = baseline ] && echo --baseline) --device $DEV --eval-every 10 --no-progress $EXTRA"
}
timeout ${COST_TIMEOUT:-60} $PYTHON benchmarks/cost.py --device "$DEV" --out "$OUT/cost_${DEV%%:*}.json" ${COST_ARGS} > "$OUT/cost.log" 2>&1
echo "cost exit $? ($(left) s left)"; tail -3 "$OUT/cost.log"
# the synthetic sets first, one per seed, all at once (the runs then find them in the cache)
for s in $(for r in $ROWS; do echo "${r##*_s}"; done | sort -u); do
  row=$(for r in $ROWS; do [ "${r##*_s}" = "$s" ] && echo "$r" && break; done)
  $PYTHON -c "
import sys
from synq_nb.cli import build_parser, config_from_args
from synq_nb.models import load_teacher
from synq_nb.pipeline import synthetic_set
cfg = config_from_args(build_parser().parse_args(['run', '--out', 'unused'] + sys.argv[1:]))
s = synthetic_set(cfg, load_teacher(cfg.model, device=None if cfg.device == 'auto' else cfg.device), progress=False)
print(f'seed {cfg.seed}: {len(s)} images, {s.seconds:.0f} s, from cache: {s.from_cache}')
" $(args_of "$row") > "$OUT/synth_s$s.log" 2>&1 &
done
wait
cat "$OUT"/synth_s*.log | tail -6
# fine-tuning budget of each run: what is left, minus set-up, the final evaluation and the copy back
FT_SECONDS=${FT_SECONDS:-$(( $(left) - ${RESERVE:-90} ))}
echo "fine-tuning cap per run: $FT_SECONDS s; $JOBS at once; rows: $ROWS"
mkdir -p "$OUT/table1"
export -f args_of; export PRESET DEV EXTRA PYTHON OUT FT_SECONDS
printf '%s\n' $ROWS | xargs -P "$JOBS" -I{} bash -c '
  $PYTHON -m synq_nb run $(args_of {}) --max-finetune-seconds "$FT_SECONDS" --out /tmp/table1/{} > "$OUT/table1/{}.log" 2>&1
  echo "{} exit $?" >> "$OUT/table1/{}.log"
  cp /tmp/table1/{}/results.json "$OUT/table1/{}.json" 2>/dev/null'
for r in $ROWS; do tail -1 "$OUT/table1/$r.log" | tr '\n' ' '; grep -h "W[0-9]A[0-9] seed" "$OUT/table1/$r.log" || echo; done
echo "done in $(( $(date +%s) - START )) s"
