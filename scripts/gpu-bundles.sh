#!/usr/bin/env bash
# Compiles the GPU check suite's variants into DIR, one bundle per variant,
# plus suite.txt (one "name|batch|tolerance" per line), which
# scripts/gpu-check.sh (attn-bench) and AttnGPUNumericsTests
# (unittests/GPUNumerics) run on a GPU machine.
#
#   scripts/gpu-bundles.sh [--target=cuda|hip|host] [DIR]
#
#   cuda (default)  attn-nvidia-pipeline (chip $ATTN_CUDA_CHIP, sm_80):
#                   <name>.ptx, <name>.cubin (sm_90, or sm_90a for
#                   chip=sm_90a: wgmma; when ptxas is found),
#                   <name>.json; DIR defaults to build-gpu-check
#   hip             attn-amd-pipeline (chip $ATTN_HIP_CHIP, gfx942; code
#                   object $ATTN_HIP_ABI, 600 = v6): <name>.hsaco and
#                   <name>.json; DIR defaults to build-gpu-check-hip
#   host            the host pipeline: <name>.so (manifest inside), for the
#                   CPU device (to check the harness where there is no GPU);
#                   DIR defaults to build-gpu-check-host
#
# The compiler comes from $ATTN_BUILD_DIR (default build).
# ATTN_GPU_SUITE_ONLY="name name ..." compiles only those variants.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_BUILD_DIR:-build}
target=cuda
case "${1:-}" in
  --target=*) target=${1#--target=}; shift ;;
esac
case "$target" in
  cuda) out=${1:-build-gpu-check} ;;
  hip) out=${1:-build-gpu-check-hip} ;;
  host) out=${1:-build-gpu-check-host} ;;
  *) echo "gpu-bundles.sh: unknown target '$target' (expected cuda, hip or host)" >&2; exit 1 ;;
esac
chip=${ATTN_CUDA_CHIP:-sm_80}
cubin_arch=sm_90
[ "$chip" = sm_90a ] && cubin_arch=sm_90a
hip_chip=${ATTN_HIP_CHIP:-gfx942}
hip_abi=${ATTN_HIP_ABI:-600}
mkdir -p "$out"
: > "$out/suite.txt"
ptxas=$(command -v ptxas || echo /usr/local/cuda/bin/ptxas)
opt="$build/bin/attn-opt"
translate="$build/bin/attn-translate"
# name | spec | batch
while IFS='|' read -r name spec batch; do
  [ -z "$name" ] && continue
  if [ -n "${ATTN_GPU_SUITE_ONLY:-}" ]; then
    case " ${ATTN_GPU_SUITE_ONLY//,/ } " in *" $name "*) ;; *) continue ;; esac
  fi
  case "$target" in
    cuda)
      "$opt" --spec="name=$name,$spec" --attn-nvidia-pipeline="chip=$chip" -o "$out/$name.mlir"
      "$translate" --attn-to-cuda-ptx "$out/$name.mlir" -o "$out/$name.ptx"
      "$translate" --attn-to-kernel-manifest "$out/$name.mlir" -o "$out/$name.json"
      if [ -x "$ptxas" ]; then "$ptxas" -arch=$cubin_arch "$out/$name.ptx" -o "$out/$name.cubin"; fi ;;
    hip)
      "$opt" --spec="name=$name,$spec" --attn-amd-pipeline="chip=$hip_chip abi=$hip_abi" -o "$out/$name.mlir"
      "$translate" --attn-to-hsaco "$out/$name.mlir" -o "$out/$name.hsaco"
      "$translate" --attn-to-kernel-manifest "$out/$name.mlir" -o "$out/$name.json" ;;
    host)
      "$opt" --spec="name=$name,$spec" -o "$out/$name.mlir"
      "$translate" --attn-to-host-bundle "$out/$name.mlir" -o "$out/$name.so" ;;
  esac
  rm -f "$out/$name.mlir"
  # Tolerance on rel_err (max |err| / max |ref|) by output dtype.
  case "$spec" in
    *out_dtype=fp8_e4m3*) tol=8e-2 ;;
    *dtype=bf16*) tol=2e-2 ;;
    *dtype=f16*) tol=5e-3 ;;
    *) tol=1e-3 ;;
  esac
  echo "$name|$batch|$tol" >> "$out/suite.txt"
  echo "compiled $name"
done <<'SPECS'
causal|heads=8,kv_heads=2,head_size=64,dtype=f32|1:300,17:40,0:5,64:64
bidir|heads=8,kv_heads=2,head_size=64,dtype=f32,causal=0|1:77,9:30,33:33
window|heads=8,kv_heads=2,head_size=64,dtype=f32,window=13:0|1:300,40:90
window_lr|heads=8,kv_heads=2,head_size=64,dtype=f32,causal=0,window=9:5|1:100,20:50
softcap|heads=8,kv_heads=2,head_size=64,dtype=f32,softcap=2|1:200,30:60
sinks|heads=8,kv_heads=2,head_size=64,dtype=f32,sinks=1,lse=1|1:200,30:60
alibi|heads=8,kv_heads=2,head_size=64,dtype=f32,alibi=1|1:200,30:60
alibi_sqrt|heads=8,kv_heads=2,head_size=64,dtype=f32,alibi=sqrt|1:200,30:60
mm_prefix|heads=8,kv_heads=2,head_size=64,dtype=f32,mm_prefix=1|40:120,1:80
chunk|heads=8,kv_heads=2,head_size=64,dtype=f32,chunk=24:1|1:200,50:100
qq_bias|heads=8,kv_heads=2,head_size=64,dtype=f32,qq_bias=1|5:100,3:40
fp8_e4m3|heads=8,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=fp8_e4m3|1:300,17:40
fp8_e5m2|heads=8,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=fp8_e5m2|1:300,17:40
int8_pth|heads=8,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=int8_per_token_head|1:300,17:40
fp8_pth|heads=8,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=fp8_per_token_head|1:300,17:40
diffkv|heads=8,kv_heads=2,head_size=192,head_size_v=128,dtype=f16|1:150,20:40
fp8_out|heads=8,kv_heads=2,head_size=64,dtype=bf16,out_dtype=fp8_e4m3|1:150,20:40
encoder|heads=8,kv_heads=8,head_size=80,dtype=f16,kv=varlen,causal=0|33:33,7:7
cross|heads=8,kv_heads=2,head_size=64,dtype=f32,kv=varlen,causal=0|10:40,6:0
gqa8|heads=32,kv_heads=4,head_size=128,dtype=bf16|1:1000,1:33,64:200
h40|heads=4,kv_heads=4,head_size=40,dtype=f16|1:90,30:30
h96|heads=4,kv_heads=2,head_size=96,dtype=bf16|1:90,30:30
h112|heads=4,kv_heads=2,head_size=112,dtype=bf16|1:90,30:30
h256|heads=4,kv_heads=2,head_size=256,dtype=bf16|1:90,30:30
gemma3|heads=8,kv_heads=4,head_size=256,dtype=bf16,block_size=32,window=1023:0,softcap=30|1:1500,40:1100
gptoss|heads=64,kv_heads=8,head_size=64,dtype=bf16,sinks=1,window=127:0,lse=1|1:500,32:300
tc_causal|heads=32,kv_heads=8,head_size=128,dtype=bf16|1:300,17:40,0:5,64:64,1:4000
tc_bidir|heads=8,kv_heads=2,head_size=64,dtype=f16,causal=0|1:77,9:30,33:33
tc_window|heads=8,kv_heads=2,head_size=64,dtype=bf16,window=13:0|1:300,40:90
tc_window_lr|heads=8,kv_heads=2,head_size=64,dtype=f16,causal=0,window=9:5|1:100,20:50
tc_softcap|heads=8,kv_heads=2,head_size=64,dtype=bf16,softcap=2|1:200,30:60
tc_sinks|heads=8,kv_heads=2,head_size=64,dtype=bf16,sinks=1,lse=1|1:200,30:60
tc_alibi|heads=8,kv_heads=2,head_size=64,dtype=f16,alibi=1|1:200,30:60
tc_alibi_sqrt|heads=8,kv_heads=2,head_size=64,dtype=bf16,alibi=sqrt|1:200,30:60
tc_mm_prefix|heads=8,kv_heads=2,head_size=64,dtype=bf16,mm_prefix=1|40:120,1:80
tc_chunk|heads=8,kv_heads=2,head_size=64,dtype=f16,chunk=24:1|1:200,50:100
tc_qq_bias|heads=8,kv_heads=2,head_size=64,dtype=bf16,qq_bias=1|5:100,3:40
tc_cross|heads=8,kv_heads=2,head_size=64,dtype=bf16,kv=varlen,causal=0|10:40,6:0
tc_mqa|heads=16,kv_heads=1,head_size=128,dtype=bf16|1:500,70:90
tc_h80|heads=4,kv_heads=4,head_size=80,dtype=bf16|1:90,30:30
write_bf16|kind=cache_write,kv_heads=2,head_size=64,dtype=bf16|50:50
write_fp8|kind=cache_write,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=fp8_e4m3|50:50
write_int8|kind=cache_write,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=int8_per_token_head|50:50
write_fp8pth|kind=cache_write,kv_heads=2,head_size=64,dtype=bf16,kv_dtype=fp8_per_token_head|50:50
SPECS
