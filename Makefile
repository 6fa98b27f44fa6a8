# Two commands for a fresh machine (see README.md):
#   make serve   set up what the site needs, build it from the committed models, serve it
#   make test    set up everything the tests need (incl. Debian's browsers), run the whole suite
# Everything else here is a step of those two, or a tool for authors and researchers.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000

.PHONY: serve build test setup-site setup-test browsers bench gallery train-all check-exports clean

# --- set-up steps (each re-runs only when its inputs change) -------------------------------
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.site: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[train,test]'
	touch $@ $(VENV)/.site

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund

setup-site: $(VENV)/.site node_modules/.package-lock.json
setup-test: $(VENV)/.test node_modules/.package-lock.json browsers

# Debian's browser engines for the browser tests (root, or sudo where it exists): chromium, and
# for the smoke test in three engines firefox-esr and WebKitGTK's WebKitWebDriver, under xvfb.
# Each package is installed only if its program is missing.
BROWSER_PACKAGES := chromium:chromium firefox-esr:firefox-esr webkit2gtk-driver:WebKitWebDriver xvfb:Xvfb
browsers:
	@missing=$$(for entry in $(BROWSER_PACKAGES); do \
	  command -v $${entry#*:} >/dev/null || echo $${entry%%:*}; done); \
	[ -z "$$missing" ] || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing; }

# --- the two commands ------------------------------------------------------------------------
serve: setup-site
	$(BIN)/article serve --port $(PORT)

test: setup-test
	$(BIN)/python -m pytest

# --- for authors and researchers -------------------------------------------------------------
build: setup-site
	$(BIN)/article build

# A PNG of every figure at 1280 and 390 px, light and dark, into gallery/ (open gallery/index.html).
gallery: setup-test
	$(BIN)/article build
	$(BIN)/article gallery

bench: setup-test
	$(BIN)/python tests/benchmarks/bench_build.py
	$(BIN)/python tests/benchmarks/bench_meta_iteration.py
	$(BIN)/python tests/benchmarks/bench_figures.py

# Retrain every model, evaluate them under the article's protocol, re-export the graphs.
train-all: setup-test
	for m in pretrained maml maml5 fomaml reptile imaml; do $(BIN)/article train $$m --fresh || exit 1; done
	$(BIN)/article train omniglot --threads 2 --fresh
	$(BIN)/article evaluate
	$(BIN)/article export
	$(BIN)/article cosine
	$(BIN)/article curvature
	$(BIN)/article record-meta-train --seconds 150

# Re-export every graph and compare it byte for byte with the committed one (about six minutes).
check-exports: setup-test
	ARTICLE_EXPORT_CHECK=1 $(BIN)/python -m pytest tests/trainers/test_export_fresh.py

clean:
	rm -rf _site _site.* .cache
