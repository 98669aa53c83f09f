VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-slow test-mxnet wheel-check lint bench bench-deps mxnet-venv clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/seed_autograd.py

test: $(STAMP)
	$(PY) -m pytest
	# the same compiled-path tests once more through the reference interpreter
	TRACEGRAD_DISABLE_JIT=1 $(PY) -m pytest tests/tracegrad/test_jit.py tests/compiler/test_compiled.py -q

# Build the wheel and sdist, install the wheel into a fresh venv, run it from a user's folder.
wheel-check: $(STAMP)
	PY=$(PY) bash .ci/check_wheel.sh

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

lint: $(STAMP)
	$(PY) -m pip install -q ruff mypy
	$(PY) -m ruff check tracegrad compiler tests
	$(PY) -m mypy compiler

bench-deps: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	@echo "PyTorch is not in the bench extra (a plain install pulls a CUDA build); install the"
	@echo "CPU wheel by hand if you want it compared: $(PY) -m pip install torch==2.13.0"

# MXNet 1.9.1 needs numpy < 2, so it gets its own environment; the benchmarks call it through
# a subprocess (benchmarks/mxnet_worker.py) when this folder exists.
MXNET_VENV ?= .venv-mxnet
mxnet-venv: $(MXNET_VENV)/.installed
$(MXNET_VENV)/.installed:
	test -x $(MXNET_VENV)/bin/python || python3 -m venv $(MXNET_VENV)
	$(MXNET_VENV)/bin/python -m pip install -q numpy==1.23.5 mxnet==1.9.1
	touch $@

# Differential tests against real MXNet 1.9.1 (tests/mxnet): the same snippets run on both,
# results compared; prints a summary by cause and rewrites tests/mxnet/MISSING.md.
test-mxnet: $(STAMP) mxnet-venv
	$(PY) -m tests.mxnet.coverage
	$(PY) -m pytest -m mxnet tests/mxnet -q --tb=no -rN -p no:cacheprovider

bench: bench-deps
	$(PY) benchmarks/bench_eager.py
	$(PY) benchmarks/bench_fusion.py
	$(PY) benchmarks/bench_latency.py
	$(PY) benchmarks/bench_lenet.py
	$(PY) benchmarks/bench_gluon.py
	$(PY) benchmarks/report.py

clean:
	rm -rf $(VENV) build dist *.egg-info

# HTML documentation (Sphinx + MyST Markdown + autodoc); warnings are errors.
.PHONY: docs
docs: $(STAMP)
	$(PY) -m pip install -q -e '.[docs]'
	$(PY) -m sphinx -W -b html docs docs/_build/html
