#!/usr/bin/env bash
# On a CUDA machine (no MLIR needed): builds the runtime and attn-bench
# (ATTN_BUILD_COMPILER=OFF) and checks every bundle of DIR (made by
# scripts/gpu-bundles.sh) against the double-precision reference on both
# launch paths; then runs compute-sanitizer memcheck on a few of them.
# Ends with the counts of variants passed and failed.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-gpu-check}
b=${ATTN_GPU_BUILD:-/tmp/attn-gpu-build}
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
  for name in causal tc_causal fp8_pth tc_mm_prefix tc_qq_bias tc_sinks write_int8; do
    img="$dir/$name.cubin"; [ -f "$img" ] || img="$dir/$name.ptx"; batch=$(grep "^$name|" "$dir/suite.txt" | cut -d'|' -f2)
    if "$cs" --tool memcheck --error-exitcode 9 "$bench" --target=cuda --bundle="$img" --batch="$batch" --verify --path=all --iters=1 > /tmp/cs.log 2>&1; then
      echo "memcheck PASS $name ($(grep -c 'ERROR SUMMARY: 0' /tmp/cs.log) clean summary)"
    else
      fail=$((fail + 1)); echo "memcheck FAIL $name"; tail -20 /tmp/cs.log
    fi
  done
fi
echo "gpu check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
