#!/usr/bin/env bash
# On a GPU machine without LLVM/MLIR: builds the runtime and its GoogleTest
# suite (ATTN_BUILD_COMPILER=OFF) and runs it, so that the CUDA (or HIP)
# device tests run instead of skipping. Without a system GoogleTest, give
# a copy of its sources: ATTN_GTEST_SRC=dir (e.g. /usr/src/googletest,
# carried to the machine; without either, build-gtest-src if present).
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/gtest-prefix.sh
b=${ATTN_GPU_BUILD:-/tmp/attn-gpu-tests}
attn_gtest_prefix "$b" build-gtest-src || { echo "googletest build failed"; exit 1; }
cmake -S . -B "$b/attn" -G Ninja -DATTN_BUILD_COMPILER=OFF "${attn_gtest_args[@]}" >/dev/null &&
  ninja -C "$b/attn" AttnRuntimeTests >/dev/null || { echo "build failed"; exit 1; }
"$b/attn/bin/AttnRuntimeTests" "$@" 2>&1 | grep -E "^\[ *(FAILED|SKIPPED|PASSED) |tests from .* ran|Failure" | head -40
exit "${PIPESTATUS[0]}"
