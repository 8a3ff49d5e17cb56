#!/usr/bin/env bash
# Reliability: hostile input, server faults, crashes, hostile pages, access and load, in one run.
#
#   bench/reliability.sh           the full run (minutes to tens of minutes: run it under `nice -n 19`)
#   bench/reliability.sh --quick   the same on a smaller scale, within about 5 minutes
#
# It runs tests/test_fuzz.py (hypothesis, many more examples than `make test`, plus the 50 MB page),
# tests/test_faults.py (every fault kind of replay/faults.py through a real crawl), tests/test_crash.py
# (SIGKILL of crawl and build at random points), tests/test_sanitize.py (hostile pages in Chromium),
# tests/test_access.py, then bench/load.py (50 clients against a real `policykb serve`), and prints
# one summary whose last line is:
#
#   reliability: fuzzed=N faults=K/K crashes=M/M payloads=P/P load_errors=E lost=L
#
# fuzzed: inputs fed to the pipeline; faults: fault cases handled right / planned; crashes: kills
# after which the KB was consistent / kills; payloads: hostile payloads inert on every page / payloads;
# load_errors: failed requests under load; lost: versions, changes or sections a correct run records
# that the KB lacks (after the crashes and the faults).
#
# Scale (environment): POLICYKB_FUZZ_EXAMPLES, POLICYKB_CRASH_KILLS, POLICYKB_SANITIZE_MAX_PAGES,
# LOAD_CLIENTS, LOAD_SECONDS. The exit code is 0 only when every part passed (known bugs, marked
# xfail in the tests, count as not passing in the summary but do not fail the run).
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

if [ "$QUICK" = 1 ]; then
  export POLICYKB_FUZZ_EXAMPLES=${POLICYKB_FUZZ_EXAMPLES:-12}
  export POLICYKB_CRASH_KILLS=${POLICYKB_CRASH_KILLS:-12}
  export POLICYKB_SANITIZE_MAX_PAGES=${POLICYKB_SANITIZE_MAX_PAGES:-25}
  LOAD_CLIENTS=${LOAD_CLIENTS:-50}
  LOAD_SECONDS=${LOAD_SECONDS:-15}
else
  export POLICYKB_FUZZ_EXAMPLES=${POLICYKB_FUZZ_EXAMPLES:-300}
  export POLICYKB_CRASH_KILLS=${POLICYKB_CRASH_KILLS:-100}
  export POLICYKB_SANITIZE_MAX_PAGES=${POLICYKB_SANITIZE_MAX_PAGES:-120}
  export POLICYKB_FUZZ_BIG=1
  export POLICYKB_FUZZ_SHRINK=1
  LOAD_CLIENTS=${LOAD_CLIENTS:-50}
  LOAD_SECONDS=${LOAD_SECONDS:-60}
fi
OUT=$(mktemp -d "${TMPDIR:-/tmp}/pkb-reliability.XXXXXX")
export POLICYKB_RELIABILITY_DIR=$OUT
STARTED=$(date +%s)
echo "reliability run ($([ "$QUICK" = 1 ] && echo quick || echo full)): results in $OUT"
echo "== tests: fuzz (${POLICYKB_FUZZ_EXAMPLES} examples per input class), faults, crashes (${POLICYKB_CRASH_KILLS} kills), sanitizing, access"
"$PY" -m pytest -q -p no:cacheprovider -s -rfEX --durations=12 --basetemp="$OUT/pytest" --junitxml="$OUT/junit.xml" \
  tests/test_fuzz.py tests/test_faults.py tests/test_crash.py tests/test_sanitize.py tests/test_access.py \
  > "$OUT/pytest.log" 2>&1
TESTS_RC=$?
grep -oE "(crash test|sanitize|50 MB page): .*" "$OUT/pytest.log" | cut -c1-400
grep -E "^[0-9]+ (passed|failed)|^(FAILED|ERROR|XPASS) " "$OUT/pytest.log" | cut -c1-240
sed -n '/slowest .* durations/,/^$/p' "$OUT/pytest.log" | head -14

echo "== load: ${LOAD_CLIENTS} clients for ${LOAD_SECONDS} s against policykb serve"
DEMO=$(ls -d "$OUT"/pytest/demo*/data 2>/dev/null | head -1)
LOAD_ARGS=(--clients "$LOAD_CLIENTS" --duration "$LOAD_SECONDS" --max-requests 200000)
[ -n "$DEMO" ] && LOAD_ARGS+=(--data "$DEMO")
"$PY" bench/load.py "${LOAD_ARGS[@]}" > "$OUT/load.txt" 2> "$OUT/load.err"
LOAD_RC=$?
cat "$OUT/load.txt"
[ "$LOAD_RC" = 0 ] || tail -5 "$OUT/load.err"

"$PY" - "$OUT" "$TESTS_RC" "$LOAD_RC" "$STARTED" <<'PYEOF'
import json, re, sys, time
import xml.etree.ElementTree as ET
from pathlib import Path

out, tests_rc, load_rc, started = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])

def load(name, default=None):
    p = out / name
    return json.loads(p.read_text()) if p.exists() else (default if default is not None else {})

cases = {}
if (out / "junit.xml").exists():
    for tc in ET.parse(out / "junit.xml").iter("testcase"):
        child = next(iter(tc), None)
        state = "passed" if child is None else (
            "xfailed" if child.tag == "skipped" and "xfail" in (child.get("type", "") + child.get("message", ""))
            else {"skipped": "skipped", "failure": "failed", "error": "error"}.get(child.tag, child.tag))
        cases[f"{tc.get('classname')}::{tc.get('name')}"] = state

def tally(pattern):
    chosen = {k: v for k, v in cases.items() if re.search(pattern, k)}
    return sum(v == "passed" for v in chosen.values()), len(chosen), chosen

fuzz = load("fuzz.json")
crash = load("crash.json")
sanitize = load("sanitize.json")
faults = load("faults.json")
fz_ok, fz_n, fz = tally(r"test_fuzz")
fa_ok, fa_n, fa = tally(r"test_fault_is_a_failed_check_never_a_version\[")
bo_ok, bo_n, _ = tally(r"test_retries_back_off\[")
ac_ok, ac_n, ac = tally(r"test_access")
m = re.search(r"load: requests=(\d+) errors=(\d+)", (out / "load.txt").read_text() if (out / "load.txt").exists() else "")
load_errors = int(m.group(2)) if m else -1
lost = int(crash.get("lost", 0) or 0) + int(faults.get("lost", 0) or 0)

print("== summary")
bad = lambda d: ", ".join(f"{k.split('::')[-1]} ({v})" for k, v in sorted(d.items()) if v != "passed") or "none"
print(f"fuzz: {fuzz.get('fuzzed', 0)} inputs; {fz_ok}/{fz_n} fuzz tests pass; not passing: {bad(fz)}")
print(f"faults: {fa_ok}/{fa_n} fault cases handled right; retries back off: {bo_ok}/{bo_n}; not passing: {bad(fa)}")
print(f"crashes: {crash.get('survived', 0)}/{crash.get('kills', 0)} kills survived (crawl {crash.get('crawl_kills', 0)}, "
      f"build {crash.get('build_kills', 0)}); converged: {crash.get('converged')}; fetches left in abandoned "
      f".open WARCs: {crash.get('complete_records_in_open_files', '?')} in {crash.get('abandoned_open_files', '?')} files")
print(f"sanitizing: {sanitize.get('inert', 0)}/{sanitize.get('payloads', 0)} payloads inert on "
      f"{sanitize.get('pages_ok', 0)} pages; findings: {sanitize.get('findings') or 'none'}")
print(f"access: {ac_ok}/{ac_n} tests pass; not passing: {bad(ac)}")
print(f"elapsed: {int(time.time()) - started} s; tests exit code {tests_rc}, load exit code {load_rc}")
print(f"reliability: fuzzed={fuzz.get('fuzzed', 0)} faults={fa_ok}/{fa_n} "
      f"crashes={crash.get('survived', 0)}/{crash.get('kills', 0)} "
      f"payloads={sanitize.get('inert', 0)}/{sanitize.get('payloads', 0)} load_errors={load_errors} lost={lost}")
sys.exit(0 if tests_rc == 0 and load_rc == 0 and load_errors == 0 and lost == 0 else 1)
PYEOF
