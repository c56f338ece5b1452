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
# The same suite through the GoogleTest program: one case per variant,
# both paths, the same reference and tolerances.
if attn_gtest_prefix "$tb" build-gtest-src &&
  cmake -S . -B "$tb/attn" -G Ninja -DATTN_BUILD_COMPILER=OFF "${attn_gtest_args[@]}" >/dev/null &&
  ninja -C "$tb/attn" AttnGPUNumericsTests >/dev/null; then
  gt_out=$(ATTN_GPU_BUNDLES=$(cd "$dir" && pwd) "$tb/attn/bin/AttnGPUNumericsTests" --gtest_filter='CUDA/*' 2>&1)
  gt_rc=$?
  gt_pass=$(echo "$gt_out" | grep -c '^\[       OK \] CUDA/')
  gt_fail=$(echo "$gt_out" | grep -c '^\[  FAILED  \] CUDA/.* ms)$')
  gt_skip=$(echo "$gt_out" | grep -c '^\[  SKIPPED \] CUDA/.* ms)$')
  if [ "$gt_rc" -eq 0 ] && [ "$gt_pass" -gt 0 ] && [ "$gt_skip" -eq 0 ]; then
    pass=$((pass + 1)); echo "PASS AttnGPUNumericsTests: $gt_pass cases passed"
  else
    fail=$((fail + 1))
    echo "FAIL AttnGPUNumericsTests (exit $gt_rc): $gt_pass cases passed, $gt_fail failed, $gt_skip skipped"
    echo "$gt_out" | grep -vE '^\[ *(RUN|OK) +\]|^\[   attn   \]' | tail -60
  fi
else
  fail=$((fail + 1)); echo "FAIL AttnGPUNumericsTests: build failed (GoogleTest: system, ATTN_GTEST_SRC or build-gtest-src)"
fi
# The CUDA backend's own cases (probe kernels: launches, streams, graphs,
# occupancy) from the runtime's unit tests, counted as one more check.
if ninja -C "$tb/attn" AttnRuntimeTests >/dev/null 2>&1; then
  rt_out=$("$tb/attn/bin/AttnRuntimeTests" --gtest_filter='CUDADeviceTest.*' 2>&1)
  rt_rc=$?
  rt_pass=$(echo "$rt_out" | grep -c '^\[       OK \] CUDADeviceTest')
  rt_skip=$(echo "$rt_out" | grep -c 'no CUDA device')
  if [ "$rt_rc" -eq 0 ] && [ "$rt_pass" -gt 0 ] && [ "$rt_skip" -eq 0 ]; then
    pass=$((pass + 1)); echo "PASS AttnRuntimeTests CUDA cases: $rt_pass passed"
  else
    fail=$((fail + 1))
    echo "FAIL AttnRuntimeTests CUDA cases (exit $rt_rc): $rt_pass passed, $rt_skip skipped"
    echo "$rt_out" | grep -vE '^\[ *(RUN|OK) +\]' | tail -40
  fi
else
  fail=$((fail + 1)); echo "FAIL AttnRuntimeTests: build failed"
fi
echo "gpu check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
