#!/usr/bin/env bash
# On a GPU machine without LLVM/MLIR: builds the runtime and its GoogleTest
# suite (ATTN_BUILD_COMPILER=OFF) and runs it, so that the CUDA (or HIP)
# device tests run instead of skipping. Without a system GoogleTest, give
# a copy of its sources: ATTN_GTEST_SRC=dir (e.g. /usr/src/googletest,
# carried to the machine).
set -uo pipefail
cd "$(dirname "$0")/.."
b=${ATTN_GPU_BUILD:-/tmp/attn-gpu-tests}
prefix=()
if [ -n "${ATTN_GTEST_SRC:-}" ]; then
  cmake -S "$ATTN_GTEST_SRC" -B "$b/gtest" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$b/gtest-install" -DBUILD_GMOCK=ON >/dev/null &&
    ninja -C "$b/gtest" install >/dev/null || { echo "googletest build failed"; exit 1; }
  prefix=(-DCMAKE_PREFIX_PATH="$b/gtest-install")
fi
cmake -S . -B "$b/attn" -G Ninja -DATTN_BUILD_COMPILER=OFF "${prefix[@]}" >/dev/null &&
  ninja -C "$b/attn" AttnRuntimeTests >/dev/null || { echo "build failed"; exit 1; }
"$b/attn/bin/AttnRuntimeTests" "$@" 2>&1 | grep -E "^\[ *(FAILED|SKIPPED|PASSED) |tests from .* ran|Failure" | head -40
exit "${PIPESTATUS[0]}"
