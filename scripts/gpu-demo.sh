#!/usr/bin/env bash
# The serving-loop demo on a CUDA GPU, in two halves:
#   scripts/gpu-demo.sh compile [DIR]   here (with the compiler): the demo's
#                                       attention and cache-write kernels
#                                       for the GPU (cubin/PTX + manifest)
#   scripts/gpu-demo.sh run [DIR]       there (no MLIR needed): builds the
#                                       runtime-only demo and runs it on the
#                                       GPU, verifying every step
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-run}
dir=${2:-build-gpu-demo}
spec="name=llama,heads=8,kv_heads=2,head_size=64,dtype=bf16,block_size=16,causal=1"
write="name=llama_write,kind=cache_write,kv_heads=2,head_size=64,head_size_v=64,dtype=bf16,kv_dtype=auto,block_size=16"
if [ "$what" = compile ]; then
  build=${ATTN_BUILD_DIR:-build}
  mkdir -p "$dir"
  for pair in "llama|$spec" "llama_write|$write"; do
    n=${pair%%|*}; s=${pair#*|}
    "$build/bin/attn-opt" --spec="$s" --attn-nvidia-pipeline -o "$dir/$n.mlir"
    "$build/bin/attn-translate" --attn-to-cuda-ptx "$dir/$n.mlir" -o "$dir/$n.ptx"
    "$build/bin/attn-translate" --attn-to-kernel-manifest "$dir/$n.mlir" -o "$dir/$n.json"
    rm -f "$dir/$n.mlir"
  done
  echo "kernels in $dir (carry it to the GPU machine, then: scripts/gpu-demo.sh run $dir)"
else
  b=${ATTN_GPU_BUILD:-/tmp/attn-gpu-demo}
  cmake -S . -B "$b" -G Ninja -DATTN_BUILD_COMPILER=OFF -DATTN_BUILD_TESTS=OFF >/dev/null
  ninja -C "$b" attn-serving-demo >/dev/null
  "$b/bin/attn-serving-demo" --device=cuda --bundle="$dir/llama.ptx" \
    --write-bundle="$dir/llama_write.ptx"
fi
