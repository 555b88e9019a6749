#!/usr/bin/env bash
# One prepared GPU session (device tool: ~15 minutes of device time, one call of <= 10 minutes).
# Prepare here (offline data and wheels travel in git-ignored folders, never committed):
#   mkdir -p .gpudata/weights && cp -r ../shared/data/cifar10 .gpudata/ && cp ../shared/data/weights/*20*.th .gpudata/weights/
#   .venv/bin/pip wheel --no-deps -w .whl grad-cam==1.5.7 pytorchcv==0.0.74 ttach
# then run `bash benchmarks/gpu_run.sh` there with carry [".gpudata", ".whl"]; results come back under $OUT.
# Steps: 1 card; 2 cost.py alone (clean per-iteration timings); then at once, sharing the GPU:
#   3 pytest on CUDA; 4 the benchmark grid (cpu preset), JOBS runs at a time, no new run after GRID_DEADLINE s;
#   5 the paper preset for ResNet-20 W4A4 with fine-tuning capped at PAPER_FT_SECONDS (partial, stated in its JSON).
# The grid's JSONs are tarred into $OUT/grid.tgz every 20 s, so a cut-off run still returns what finished.
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
DEV=${DEV:-cuda}
PRESET=${PRESET:-cpu}
PAPER=${PAPER:-paper}
GRID_DEADLINE=${GRID_DEADLINE:-280}
PAPER_FT_SECONDS=${PAPER_FT_SECONDS:-150}
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl >/dev/null 2>&1
  export PYTHONPATH=/tmp/site:$PWD
fi
export SYNQ_DATA_DIR=${SYNQ_DATA_DIR:-$PWD/.gpudata} SYNQ_WEIGHTS_DIR=${SYNQ_WEIGHTS_DIR:-$PWD/.gpudata/weights}
export SYNQ_CACHE_DIR=/tmp/synq_cache
PYTHON=${PYTHON:-python3}
{ nvidia-smi -L; $PYTHON -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no cuda')"; date -u; } > "$OUT/card.txt" 2>&1
cat "$OUT/card.txt"
$PYTHON benchmarks/cost.py --device "$DEV" --out "$OUT/cost_gpu.json" ${COST_ARGS:---long 300} 2>&1 | tail -4
timeout ${TEST_TIMEOUT:-240} $PYTHON -m pytest -q -p no:cacheprovider tests --ignore=tests/test_notebooks.py > "$OUT/pytest_gpu.log" 2>&1 &
TESTS=$!
$PYTHON benchmarks/grid.py --device "$DEV" --preset "$PRESET" --jobs ${JOBS:-6} --deadline "$GRID_DEADLINE" --out /tmp/grid > "$OUT/grid.log" 2>&1 &
GRID=$!
( while kill -0 $GRID 2>/dev/null; do sleep 20; tar czf "$OUT/.g.tgz" -C /tmp/grid --exclude=_work . 2>/dev/null && mv "$OUT/.g.tgz" "$OUT/grid.tgz"; done ) &
timeout ${PAPER_TIMEOUT:-450} $PYTHON -m synq_nb run --preset "$PAPER" --model resnet20_cifar10_akamaster --w-bits 4 --a-bits 4 --seed 0 \
    --device "$DEV" --eval-every 5 --max-finetune-seconds "$PAPER_FT_SECONDS" --out /tmp/paper --no-progress ${PAPER_ARGS:-} > "$OUT/paper.log" 2>&1
echo "paper exit $?" >> "$OUT/paper.log"
cp /tmp/paper/results.json "$OUT/paper_w4a4_s0.json" 2>/dev/null
wait $TESTS; echo "pytest exit $?" >> "$OUT/pytest_gpu.log"
wait $GRID
tar czf "$OUT/grid.tgz" -C /tmp/grid --exclude=_work .
tail -3 "$OUT/pytest_gpu.log"; tail -40 "$OUT/grid.log"; cat "$OUT/paper.log"
