# Two entry points, each installing what it needs into .venv:
#   make demo   grade the bundled example class
#   make test   run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test assign examples clean sandbox

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python 3.10+ is needed, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV) || { echo "python3 -m venv failed: install your system's venv package (e.g. python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall when the project's metadata changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

# The dask extra too, so that the tests of --scheduler run.
$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	@touch $@ $(VENV)/.installed

# The example class: a dozen notebooks per assignment, graded into graded/.
# bubblewrap isolates each notebook; installed here when we are root on Debian/Ubuntu.
# Without it the grader falls back to plain processes and says so.
sandbox:
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 bubblewrap >/dev/null; }; } || \
	  echo "note: install bubblewrap (e.g. sudo apt-get install bubblewrap) to isolate notebooks"

demo: sandbox $(VENV)/.installed
	$(BIN)/grader grade examples/submissions/a6_batching --out graded/a6_batching --timeout 10
	$(BIN)/grader grade examples/submissions/a7_optimizers --out graded/a7_optimizers --timeout 10

test: sandbox $(VENV)/.installed-dev
	$(BIN)/python -m pytest

# Regenerate the student bundles from the masters, then the example class from them.
assign: $(VENV)/.installed
	$(BIN)/grader assign

examples: assign
	$(BIN)/python scripts/make_example_class.py

clean:
	rm -rf $(VENV) build *.egg-info
