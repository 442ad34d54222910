# Two entry points, each installing what it needs into .venv:
#   make demo   grade the bundled example class
#   make test   run the whole test suite
# and for maintainers:
#   make tutorials   re-execute the tutorial notebooks, rewriting tutorials/figures/
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The report's browser tests drive Debian's Chromium through playwright (no browser download).
CHROMIUM := /usr/bin/chromium

.PHONY: demo test tutorials assign examples clean sandbox

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install your system's venv package (e.g. python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# The dev extra, otter-grader (tests/test_otter.py) and dask (the tests of --scheduler).
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,otter,dask]"
	@touch $@ $(VENV)/.installed

# bubblewrap isolates each notebook; installed here when we are root on Debian/Ubuntu.
# Without it the grader falls back to plain processes and says so.
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 bubblewrap >/dev/null; }; } || \
	  echo "note: install bubblewrap (e.g. sudo apt-get install bubblewrap) to isolate notebooks"


# Installed only when missing; needs root (as on CI), or run the two apt-get commands with sudo.
$(CHROMIUM):
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=300 chromium

# The example class: a dozen notebooks per assignment, graded into graded/, with its report.
demo: sandbox $(VENV)/.installed
	$(BIN)/grader grade examples/submissions/a6_batching --out graded/a6_batching --timeout 10
	$(BIN)/grader grade examples/submissions/a7_optimizers --out graded/a7_optimizers --timeout 10
	@echo "reports (open in a browser):"
	@echo "  $(CURDIR)/graded/a6_batching/report/index.html"
	@echo "  $(CURDIR)/graded/a7_optimizers/report/index.html"

test: sandbox $(VENV)/.installed-dev $(CHROMIUM)
	$(BIN)/python -m pytest

# Run both notebooks top to bottom; figures go to tutorials/figures/ (committed, shown in
# the README), executed copies with outputs to tutorials/executed/ (not committed).
tutorials: $(VENV)/.installed-dev
	$(BIN)/python scripts/run_tutorials.py

# Build each built-in assignment's student bundle into assignments/<name>/dist/student/
# (never committed); regenerate the example class from the masters.
assign: $(VENV)/.installed
	$(BIN)/grader assign

examples: $(VENV)/.installed
	$(BIN)/python scripts/make_example_class.py

clean:
	rm -rf $(VENV) build *.egg-info
