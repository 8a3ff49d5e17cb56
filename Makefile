# Two commands: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install sysdeps clean screenshots

# System packages the tests need (Debian): chromium for the browser tests, a CJK font so that the
# layout tests measure (and the screenshots show) Chinese as it is drawn, not as empty boxes, and the
# sqlite3 shell, the client that opens the exported KB read-only as another user (tests/test_export.py).
sysdeps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests (needs root)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: could not install chromium; browser tests will be skipped"; }
	@fc-list 2>/dev/null | grep -qi cjk || { \
	  echo "installing Debian's fonts-noto-cjk for the layout tests (needs root)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install fonts-noto-cjk; Chinese is measured in a fallback font"; }
	@command -v sqlite3 >/dev/null 2>&1 || { \
	  echo "installing Debian's sqlite3 shell for the export test (needs root)"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq sqlite3 >/dev/null) \
	  || echo "warning: could not install sqlite3; the read-only export test will be skipped"; }

$(STAMP): pyproject.toml tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]' -c tests/constraints.txt
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/policykb demo --data data/demo

# Three test processes on two cores: most tests wait on real crawls and servers over loopback
# (a clean clone on a quiet machine: 10-12 minutes in three).
test: $(STAMP) sysdeps
	$(BIN)/python -m pytest -q -ra -n 3

# The README's screenshots (docs/screenshots/*.png), in Chinese, from a fresh demo KB
screenshots: $(STAMP) sysdeps
	$(BIN)/python docs/screenshots.py

clean:
	rm -rf $(VENV) data build *.egg-info test-artifacts
