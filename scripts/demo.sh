#!/usr/bin/env bash
# The main job: sets up and builds (scripts/setup.sh), then compiles the
# embedded default variant (a Llama-3-8B layer) for the host and runs it.
# Grows into the serving-loop demo when examples/serving_demo is built.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_BUILD_DIR:-build}
bash scripts/setup.sh
out=$build/demo
mkdir -p "$out"
spec="name=llama,heads=32,kv_heads=8,head_size=128,dtype=bf16,block_size=16,causal=1"
echo "== attn IR of the default variant =="
"$build/bin/attn-opt" --spec="$spec" | tee "$out/llama.mlir"
echo "== compile for the host: attn-host-pipeline, object, shared object =="
"$build/bin/attn-opt" "$out/llama.mlir" --attn-host-pipeline -o "$out/llama.llvm.mlir"
"$build/bin/attn-translate" --attn-to-host-object "$out/llama.llvm.mlir" -o "$out/llama.o"
"$build/bin/attn-translate" --attn-to-host-bundle "$out/llama.mlir" -o "$out/llama.so"
"$build/bin/attn-translate" --mlir-to-llvmir "$out/llama.llvm.mlir" -o "$out/llama.ll"
echo "== compile for NVIDIA (PTX: mma.sync tensor-core path) and AMD (gfx942 code object: mfma) =="
"$build/bin/attn-opt" "$out/llama.mlir" --attn-nvidia-pipeline="chip=sm_80" -o "$out/llama.nvidia.mlir"
"$build/bin/attn-translate" --attn-to-cuda-ptx "$out/llama.nvidia.mlir" -o "$out/llama.ptx"
"$build/bin/attn-translate" --attn-to-kernel-manifest "$out/llama.nvidia.mlir" -o "$out/llama.json"
"$build/bin/attn-opt" "$out/llama.mlir" --attn-amd-pipeline="chip=gfx942" -o "$out/llama.amd.mlir"
"$build/bin/attn-translate" --attn-to-hsaco "$out/llama.amd.mlir" -o "$out/llama.hsaco"
ls -l "$out"
echo "== PTX entry points =="
grep -E '^\.visible \.entry' "$out/llama.ptx" | sed 's/(.*//'
echo "   mma.sync instructions: $(grep -c 'mma.sync.aligned' "$out/llama.ptx"), ldmatrix: $(grep -c 'ldmatrix' "$out/llama.ptx"), cp.async: $(grep -c 'cp.async.cg' "$out/llama.ptx")"
echo "== manifest (first kernel) =="
head -c 400 "$out/llama.json"; echo " ..."
echo "== kernels in the bundle =="
/usr/lib/llvm-22/bin/llvm-nm -D --defined-only "$out/llama.so" | grep -E ' T llama_(2d|split|reduce)$'
if [ -x "$build/bin/attn-serving-demo" ]; then
  echo "== serving loop =="
  "$build/bin/attn-serving-demo"
elif [ -x "$build/bin/attn-bench" ]; then
  echo "== run and verify on the CPU =="
  "$build/bin/attn-bench" --bundle="$out/llama.so" --spec="$spec" \
    --batch=1:300,64:64,17:90 --verify
fi
