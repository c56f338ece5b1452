#!/usr/bin/env bash
# One call on the device machine (no MLIR there) that checks and times
# everything the bundles made here hold, writing its reports under $OUT:
#   $OUT/gpu.txt     the GPU and its clocks
#   $OUT/probe.txt   scripts/probes/fp8_to_bf16.cu (conversion sequences)
#   $OUT/check.txt   scripts/gpu-check.sh on CHECK (every variant, every path,
#                    memcheck on a subset, the GoogleTest CUDA cases)
#   $OUT/bench.txt   python/benchmarks/run_on_device.sh on BENCH (the table
#                    with the competitors; bench.jsonl, log.txt beside it)
#
#   scripts/device-run.sh [CHECK] [BENCH]   (default build-gpu-check-90a,
#                                            build-gpu-bench)
#
# Made here by: ATTN_CUDA_CHIP=sm_90a scripts/gpu-bundles.sh CHECK;
# python/benchmarks/make_gpu_bundles.sh BENCH; cp -r /usr/src/googletest
# build-gtest-src. Carry CHECK, BENCH and build-gtest-src. CHECK_BUDGET and
# BENCH_BUDGET (seconds, default 240 / 230) bound the two long parts.
set -uo pipefail
cd "$(dirname "$0")/.."
check=${1:-build-gpu-check-90a}
bench=${2:-build-gpu-bench}
out=${OUT:-$PWD/device-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,clocks.max.sm,memory.total --format=csv \
  > "$out/gpu.txt" 2>&1
{ nvcc -arch=sm_90a -O3 -o /tmp/attn-fp8probe scripts/probes/fp8_to_bf16.cu &&
    /tmp/attn-fp8probe; } > "$out/probe.txt" 2>&1
timeout "${CHECK_BUDGET:-240}" bash scripts/gpu-check.sh "$check" \
  > "$out/check.txt" 2>&1
OUT="$out" BENCH_BUDGET="${BENCH_BUDGET:-230}" \
  python/benchmarks/run_on_device.sh "$bench" > /dev/null 2>&1
tail -3 "$out/check.txt"
