# Two commands do everything on a fresh machine:
#   make demo   creates .venv if missing, installs, runs the main job (cpu preset, ResNet-20 CIFAR-10 W4A4)
#   make test   same set-up, runs the whole test suite (notebooks included, smoke size)
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PRESET ?= cpu
OUT ?= runs/demo
# Offline data: default to ../shared/data when it is there and the variables are unset.
ifneq ($(wildcard ../shared/data/cifar10),)
SYNQ_DATA_DIR ?= $(abspath ../shared/data)
SYNQ_WEIGHTS_DIR ?= $(abspath ../shared/data/weights)
endif
SYNQ_CACHE_DIR ?= $(abspath .cache)
export SYNQ_DATA_DIR SYNQ_WEIGHTS_DIR SYNQ_CACHE_DIR

.PHONY: gpudata install demo test notebooks clean mutants book test-browser student

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m synq_nb run --model resnet20_cifar10_akamaster --dataset cifar10 \
		--w-bits 4 --a-bits 4 --preset $(PRESET) --seed 0 --out $(OUT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

notebooks: $(STAMP)
	$(BIN)/python -m synq_nb.notebooks_run --out outputs/notebooks

# The student edition (issue 19): every notebook with its exercises kept, its worked solutions removed (an empty code
# cell in place of each solution's code) and all outputs cleared, into outputs/student/ (rule: synq_nb/student.py)
student: $(STAMP)
	$(BIN)/python -m synq_nb.student --out outputs/student

# The course as a static site (Jupyter Book 1), offline, from the committed executed notebooks (not re-executed):
# book/_build/html/index.html
book: $(STAMP)
	$(BIN)/jupyter-book build book/

# The notebooks in a real JupyterLab in headless Chromium, and the built book in Chromium (both are in `make test`)
test-browser: $(STAMP)
	$(BIN)/python -m pytest -q tests/test_browser.py tests/test_book.py

# Mutation testing, a benchmark (not part of `make test`): mutmut 3 ([tool.mutmut] in pyproject.toml) mutates the
# functions named in MUTANTS_SCOPE (the science of synthesis, quantization, filtering, cam, losses, finetune and
# evaluation; not the loops of synthesize/finetune: results/MUTATION.md) one change at a time in a copy under mutants/,
# runs the fast tests that cover each mutated function, and benchmarks/mutation_report.py writes the score and every
# surviving mutant (with the reason where it is equivalent) to results/mutation.json. Run time: results/MUTATION.md.
MUTANTS_SCOPE ?= "synq_nb.losses.*" "synq_nb.filtering.*" "synq_nb.cam.*" "synq_nb.quantization.*" \
	"synq_nb.evaluation.*" "synq_nb.synthesis.x*BNStatsLoss*" "synq_nb.synthesis.x_bn_stats_loss__*" \
	"synq_nb.synthesis.x_hard_sample_il__*" "synq_nb.synthesis.x__augment__*" "synq_nb.finetune.x_augment_batch__*" \
	"synq_nb.finetune.x__lr_factor__*" "synq_nb.finetune.x*SynQStep*"
mutants: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[mutation]"
	rm -rf mutants
	start=$$(date +%s) && OMP_NUM_THREADS=1 nice -n 10 $(BIN)/python -m mutmut run --max-children 2 $(MUTANTS_SCOPE) && \
		echo $$(( $$(date +%s) - start )) > mutants/run_seconds
	$(BIN)/python benchmarks/mutation_report.py --out results/mutation.json

# benchmarks/gpu_run.sh: a compressed copy of the offline data and weights that travels to a GPU machine
# (git-ignored, never committed)
gpudata: $(STAMP)
	mkdir -p .gpudata/cifar10 .gpudata/weights
	cp $(SYNQ_WEIGHTS_DIR)/akamaster_resnet20-*.th .gpudata/weights/
	$(BIN)/python -c "import numpy as np, sys; [np.savez_compressed(f'.gpudata/cifar10/{s}.npz', **np.load(f'$(SYNQ_DATA_DIR)/cifar10/{s}.npz')) for s in ('test', 'train_10k')]"
	du -sh .gpudata

clean:
	rm -rf $(VENV) .cache runs outputs mutants book/_build .gpudata
