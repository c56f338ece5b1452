#!/usr/bin/env bash
# On a CUDA machine (no MLIR needed): builds the runtime and attn-bench
# (ATTN_BUILD_COMPILER=OFF) and checks every bundle of DIR (made by
# scripts/gpu-bundles.sh) against the double-precision reference on both
# launch paths; then runs compute-sanitizer memcheck on a few of them;
# then builds AttnGPUNumericsTests (GoogleTest; from the system's
# GoogleTest, or ATTN_GTEST_SRC, or build-gtest-src when carried) and runs
# its CUDA cases on the same bundles, counted as one more check.
# Ends with the counts of checks passed and failed.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/gtest-prefix.sh
dir=${1:-build-gpu-check}
b=${ATTN_GPU_BUILD:-/tmp/attn-gpu-build}
tb=${ATTN_GPU_TEST_BUILD:-$b-gtest}
cmake -S . -B "$b" -G Ninja -DATTN_BUILD_COMPILER=OFF -DATTN_BUILD_TESTS=OFF >/dev/null &&
  ninja -C "$b" attn-bench >/dev/null || { echo "build failed"; exit 1; }
bench="$b/bin/attn-bench"
pass=0; fail=0
while IFS='|' read -r name batch tol; do
  img="$dir/$name.cubin"; [ -f "$img" ] || img="$dir/$name.ptx"
  if out=$("$bench" --target=cuda --bundle="$img" --batch="$batch" --verify --path=all --iters=3 --tolerance="$tol" 2>&1); then
    pass=$((pass + 1)); echo "PASS $name $(echo "$out" | sed -nE 's/.*"path": "([a-z0-9]+)".*"rel_err": ([^,]+).*"time_ms": ([^,]+).*/\1 rel_err=\2 ms=\3/p' | tr '\n' ' ')"
  else
    fail=$((fail + 1)); echo "FAIL $name: $out"
  fi
done < "$dir/suite.txt"
if command -v compute-sanitizer >/dev/null || [ -x /usr/local/cuda/bin/compute-sanitizer ]; then
  cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  for name in causal tc_causal fp8_e4m3 fp8_pth tc_mm_prefix tc_qq_bias tc_sinks write_int8; do
    img="$dir/$name.cubin"; [ -f "$img" ] || img="$dir/$name.ptx"; batch=$(grep "^$name|" "$dir/suite.txt" | cut -d'|' -f2)
    if "$cs" --tool memcheck --error-exitcode 9 "$bench" --target=cuda --bundle="$img" --batch="$batch" --verify --path=all --iters=1 > /tmp/cs.log 2>&1; then
      echo "memcheck PASS $name ($(grep -c 'ERROR SUMMARY: 0' /tmp/cs.log) clean summary)"
    else
      fail=$((fail + 1)); echo "memcheck FAIL $name"; tail -20 /tmp/cs.log
    fi
  done
fi
# gtest_check LABEL OK_PREFIX SKIP_PATTERN CMD...: runs a GoogleTest
# program, counted as one check: it passes when the program exits 0, runs
# at least one case whose name starts with OK_PREFIX and prints nothing
# that matches SKIP_PATTERN (a case that skipped where it should run).
gtest_check() {
  local label=$1 ok=$2 skip=$3; shift 3
  local out rc n_ok n_skip
  out=$("$@" 2>&1); rc=$?
  n_ok=$(echo "$out" | grep -c "^\[       OK \] $ok")
  n_skip=$(echo "$out" | grep -cE "$skip")
  if [ "$rc" -eq 0 ] && [ "$n_ok" -gt 0 ] && [ "$n_skip" -eq 0 ]; then
    pass=$((pass + 1)); echo "PASS $label: $n_ok cases passed"
  else
    fail=$((fail + 1))
    echo "FAIL $label (exit $rc): $n_ok cases passed, $n_skip skipped"
    echo "$out" | grep -vE '^\[ *(RUN|OK) +\]|^\[   attn   \]' | tail -60
  fi
}
# The same suite through the GoogleTest program: one case per variant,
# every path, the same reference and tolerances.
if attn_gtest_prefix "$tb" build-gtest-src &&
  cmake -S . -B "$tb/attn" -G Ninja -DATTN_BUILD_COMPILER=OFF "${attn_gtest_args[@]}" >/dev/null &&
  ninja -C "$tb/attn" AttnGPUNumericsTests >/dev/null; then
  gtest_check AttnGPUNumericsTests CUDA/ '^\[  SKIPPED \] CUDA/.* ms\)$' \
    env ATTN_GPU_BUNDLES="$(cd "$dir" && pwd)" \
    "$tb/attn/bin/AttnGPUNumericsTests" --gtest_filter='CUDA/*'
else
  fail=$((fail + 1)); echo "FAIL AttnGPUNumericsTests: build failed (GoogleTest: system, ATTN_GTEST_SRC or build-gtest-src)"
fi
# The CUDA backend's own cases (probe kernels: launches, streams, graphs,
# occupancy) from the runtime's unit tests, counted as one more check.
if ninja -C "$tb/attn" AttnRuntimeTests >/dev/null 2>&1; then
  gtest_check "AttnRuntimeTests CUDA cases" CUDADeviceTest 'no CUDA device' \
    "$tb/attn/bin/AttnRuntimeTests" --gtest_filter='CUDADeviceTest.*'
else
  fail=$((fail + 1)); echo "FAIL AttnRuntimeTests: build failed"
fi
echo "gpu check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
