#!/usr/bin/env bash
# Installs what attn needs on a fresh Debian 12 machine (only what is
# missing), then configures and builds it in ./build.
#   scripts/setup.sh            install + configure + build everything
#   ATTN_BUILD_DIR=dir          build somewhere else
#   ATTN_JOBS=N                 parallel build jobs (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/lib/llvm-22/bin/mlir-tblgen ] || need+=(libmlir-22-dev mlir-22-tools)
[ -x /usr/lib/llvm-22/bin/llc ] || need+=(llvm-22-dev llvm-22-tools)
[ -x /usr/lib/llvm-22/bin/FileCheck ] || need+=(llvm-22-tools)
[ -x /usr/lib/llvm-22/bin/clang++ ] || need+=(clang-22)
[ -x /usr/lib/llvm-22/bin/ld.lld ] || need+=(lld-22)
[ -f /usr/lib/x86_64-linux-gnu/amdgcn/bitcode/ocml.bc ] || need+=(rocm-device-libs)
command -v ninja >/dev/null || need+=(ninja-build)
command -v cmake >/dev/null || need+=(cmake)
[ -f /usr/include/gtest/gtest.h ] || need+=(libgtest-dev libgmock-dev)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi

build=${ATTN_BUILD_DIR:-build}
jobs=${ATTN_JOBS:-$(nproc)}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    -DCMAKE_C_COMPILER=/usr/lib/llvm-22/bin/clang \
    -DCMAKE_CXX_COMPILER=/usr/lib/llvm-22/bin/clang++ \
    -DLLVM_USE_LINKER=lld
fi
ninja -C "$build" -j "$jobs"
