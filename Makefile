# trialex: every target sets up .venv from the pinned requirements.lock first.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
SHARED ?= ../shared

.PHONY: setup serve lint test evaluate train bench clean lint-docker container load-test

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

setup: $(VENV)/.installed

serve: setup
	$(VENV)/bin/trialex serve --host $(HOST) --port $(PORT)

lint: setup  # ruff and mypy (configured in pyproject.toml)
	$(VENV)/bin/ruff check . && $(VENV)/bin/mypy

test: lint
	$(PY) -m pytest -q

evaluate: setup
	$(VENV)/bin/trialex evaluate --shared $(SHARED)   # every set of annotations/sets.json, test splits first
	$(PY) scripts/eval_shared_drugs.py --shared $(SHARED)

train: setup  # rebuild models/decisions/ from annotations/ (deterministic; a few minutes on 2 cores)
	$(VENV)/bin/trialex train --shared $(SHARED)

bench: setup
	$(PY) scripts/bench.py --shared $(SHARED)

lint-docker: setup
	$(VENV)/bin/hadolint Dockerfile

container:  # as root: podman build + run + check on this machine (docs/deployment.md)
	bash scripts/container.sh

load-test: setup
	$(PY) scripts/load_test.py --shared $(SHARED)

clean:
	rm -rf $(VENV) .pytest_cache
