#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds, and runs every test: the lit suite and
# the GoogleTest suites (through ctest). Ends with the counts of tests
# passed and failed; exits non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_BUILD_DIR:-build}
bash scripts/setup.sh || { echo "attn tests: setup/build FAILED"; exit 1; }

jobs=${ATTN_JOBS:-$(nproc)}
echo "== lit =="
lit_out=$(/usr/lib/llvm-22/bin/lit -sv "$build/test" 2>&1)
lit_rc=$?
echo "$lit_out" | grep -E "^(FAIL|UNRESOLVED|XPASS|TIMEOUT):|Passed|Failed|Unsupported|Total Discovered" || true
lit_pass=$(echo "$lit_out" | sed -nE 's/^ *Passed *: *([0-9]+).*/\1/p' | tail -1)
lit_fail=$(echo "$lit_out" | sed -nE 's/^ *(Failed|Unresolved|Timed Out) *: *([0-9]+).*/\2/p' | awk '{s+=$1} END {print s+0}')
lit_pass=${lit_pass:-0}; lit_fail=${lit_fail:-0}
if [ "$lit_rc" -ne 0 ] && [ "$lit_fail" -eq 0 ]; then lit_fail=1; fi

echo "== unit tests (ctest) =="
ct_out=$(cd "$build" && ctest -E '^lit$' -j "$jobs" --output-on-failure 2>&1)
ct_rc=$?
echo "$ct_out" | grep -vE "^ *([0-9]+/[0-9]+ Test +#[0-9]+: .* Passed|Start +[0-9]+:)" | tail -40
ct_total=$(echo "$ct_out" | sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/p')
ct_fail=$(echo "$ct_out" | sed -nE 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/p')
ct_total=${ct_total:-0}; ct_fail=${ct_fail:-0}
if [ "$ct_rc" -ne 0 ] && [ "$ct_fail" -eq 0 ]; then ct_fail=1; fi
ct_pass=$((ct_total - ct_fail))

pass=$((lit_pass + ct_pass)); fail=$((lit_fail + ct_fail))
echo "attn tests: $pass passed, $fail failed (lit: $lit_pass passed, $lit_fail failed; unit: $ct_pass passed, $ct_fail failed)"
[ "$fail" -eq 0 ]
