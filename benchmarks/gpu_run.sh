#!/usr/bin/env bash
# One prepared GPU session (device tool: ~15 minutes of device time, one call of <= 10 minutes).
# Prepare here (offline data and wheels travel in git-ignored folders):
#   mkdir -p .gpudata && cp -r ../shared/data/cifar10 ../shared/data/weights .gpudata/
#   .venv/bin/pip wheel --no-deps -w .whl grad-cam==1.5.7 pytorchcv==0.0.74 ttach
# then run this script there with carry [".gpudata", ".whl"]; results come back under $OUT.
# Steps (GPU shared by steps 3-5, which run at once; 2 alone gives clean per-iteration timings):
#   1 card and software; 2 cost.py (SynQ vs baseline iteration time, peak memory);
#   3 pytest on CUDA; 4 the benchmark grid (cpu preset) 4 runs at a time;
#   5 the paper preset for ResNet-20 W4A4 with a fine-tuning time cap (partial, stated in its JSON).
set -u
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=/tmp/site:$PWD
export SYNQ_DATA_DIR=$PWD/.gpudata SYNQ_WEIGHTS_DIR=$PWD/.gpudata/weights SYNQ_CACHE_DIR=/tmp/synq_cache
GRID_DEADLINE=${GRID_DEADLINE:-300}
PAPER_FT_SECONDS=${PAPER_FT_SECONDS:-200}
{ nvidia-smi -L; python3 -c "import torch; print(torch.__version__, torch.cuda.get_device_name(0))"; date -u; } > "$OUT/card.txt" 2>&1
cat "$OUT/card.txt"
python3 benchmarks/cost.py --device cuda --out "$OUT/cost_gpu.json" --long 300 2>&1 | tail -5
timeout 240 python3 -m pytest -q -p no:cacheprovider tests --ignore=tests/test_notebooks.py > "$OUT/pytest_gpu.log" 2>&1 &
TESTS=$!
python3 benchmarks/grid.py --device cuda --jobs 4 --deadline "$GRID_DEADLINE" --out /tmp/grid > "$OUT/grid.log" 2>&1 &
GRID=$!
python3 -m synq_nb run --preset paper --model resnet20_cifar10_akamaster --w-bits 4 --a-bits 4 --seed 0 \
    --device cuda --eval-every 5 --max-finetune-seconds "$PAPER_FT_SECONDS" --out /tmp/paper --no-progress > "$OUT/paper.log" 2>&1
cp /tmp/paper/results.json "$OUT/paper_w4a4_s0.json" 2>/dev/null
wait $TESTS; echo "pytest exit $?" >> "$OUT/pytest_gpu.log"
wait $GRID
(cd /tmp/grid && tar czf "$OUT/grid.tgz" --exclude=_work .)
tail -3 "$OUT/pytest_gpu.log"; tail -40 "$OUT/grid.log"; cat "$OUT/paper.log"
