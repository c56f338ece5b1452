#!/usr/bin/env bash
# Prints the resource table of the AMD matrix-core kernels in docs/GPU.md
# (markdown, one row per chip and variant): compiles each variant with
# attn-amd-pipeline for gfx90a and gfx942 into an hsaco and reads its `_2d`
# kernel's metadata (llvm-readelf --notes: VGPRs, SGPRs, LDS, scratch,
# spills) and disassembly (llvm-objdump -d: v_mfma count).
#
#   scripts/amd-resources.sh              the table of docs/GPU.md
#   scripts/amd-resources.sh NAME...      these variants of gpu-bundles.sh, as they are
#
# Variants are those of scripts/gpu-bundles.sh (their spec strings are read
# from it); a table row may change a few spec keys of one (ROWS below).
# The compiler comes from $ATTN_BUILD_DIR (default build-lead, else build);
# the LLVM tools from /usr/lib/llvm-22.
#
# Occupancy (waves per SIMD, of 8) is the smallest of three limits, as the
# AMDGPU backend computes it for gfx90a / gfx942 (512 VGPRs per lane of a
# SIMD, 64 KiB of LDS per CU of 4 SIMDs):
#   VGPRs  512 / (.vgpr_count, which includes AGPRs, rounded up to 8)
#   LDS    (65536 / LDS bytes) workgroups per CU, times the waves of one
#          workgroup (256 threads = 4), over 4 SIMDs
#   SGPRs  8, or 7 above 100 SGPRs
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ATTN_BUILD_DIR:-build-lead}
[ -n "${ATTN_BUILD_DIR:-}" ] || [ -x "$build/bin/attn-opt" ] || build=build
llvm=/usr/lib/llvm-22/bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# label | gpu-bundles.sh variant | spec keys replaced or added
ROWS='Llama-3-8B (32/8, head 128, bf16, causal)|tc_causal|
Llama-3-8B, f16|tc_causal|dtype=f16
Llama-3-8B, fp8 E4M3 KV|tc_causal|kv_dtype=fp8_e4m3
Llama-3-8B, int8 per-token-head KV|tc_causal|kv_dtype=int8_per_token_head
head 128, softcap 30|tc_causal|softcap=30
head 128, ALiBi|tc_causal|alibi=1
head 64, bf16, causal (8/2)|causal|dtype=bf16
head 64, f16, window 127, sinks|causal|dtype=f16,window=127:0,sinks=1
GPT-OSS (64/8, head 64, sinks, window 127, LSE)|gptoss|
Gemma-3 local (head 256, window 1023, softcap 30)|gemma3|
mm-prefix (head 64)|tc_mm_prefix|'
if [ $# -gt 0 ]; then ROWS=$(printf '%s||\n' "$@"); fi

# The spec of gpu-bundles.sh's variant $1 with the keys of $2 replaced.
spec_of() {
  local spec kv
  spec=$(grep -m1 "^$1|" scripts/gpu-bundles.sh | cut -d'|' -f2)
  [ -n "$spec" ] || { echo "amd-resources.sh: no variant '$1' in scripts/gpu-bundles.sh" >&2; return 1; }
  for kv in ${2//,/ }; do
    spec=$(echo ",$spec," | sed "s/,${kv%%=*}=[^,]*,/,/; s/^,//; s/,\$//"),$kv
  done
  echo "$spec"
}

echo "| chip | variant | VGPRs | SGPRs | LDS B | scratch B | VGPR / SGPR spills | occupancy | mfma |"
echo "|---|---|---|---|---|---|---|---|---|"
for chip in gfx90a gfx942; do
  while IFS='|' read -r label name keys; do
    [ -n "$name" ] || name=$label
    spec=$(spec_of "$name" "$keys")
    hsaco=$tmp/$name.$chip.hsaco
    if ! "$build/bin/attn-opt" --spec="name=$name,$spec" --attn-amd-pipeline="chip=$chip" -o "$tmp/a.mlir" 2> "$tmp/err" ||
       ! "$build/bin/attn-translate" --attn-to-hsaco "$tmp/a.mlir" -o "$hsaco" 2>> "$tmp/err"; then
      echo "| $chip | $label | failed to compile: $(head -c 200 "$tmp/err" | tr '\n|' ' /') |||||||"
      continue
    fi
    mfma=$("$llvm/llvm-objdump" -d --mcpu="$chip" "$hsaco" |
           awk -v k="<${name}_2d>:" '$2 == k { on = 1; next } /^[0-9a-f]+ </ { on = 0 } on && /v_mfma/ { n++ } END { print n + 0 }')
    "$llvm/llvm-readelf" --notes "$hsaco" | awk -v k="${name}_2d" -v chip="$chip" -v label="$label" -v mfma="$mfma" '
      function row() {
        if (m[".name"] != k) return
        occ = int(512 / (int((m[".vgpr_count"] + 7) / 8) * 8)); if (occ > 8) occ = 8
        lds = m[".group_segment_fixed_size"]; waves = int((m[".max_flat_workgroup_size"] + 63) / 64)
        if (lds > 0 && int(int(65536 / lds) * waves / 4) < occ) occ = int(int(65536 / lds) * waves / 4)
        if (m[".sgpr_count"] > 100 && occ > 7) occ = 7
        printf "| %s | %s | %s | %s | %s | %s | %s / %s | %d | %d |\n", chip, label, m[".vgpr_count"],
               m[".sgpr_count"], lds, m[".private_segment_fixed_size"], m[".vgpr_spill_count"],
               m[".sgpr_spill_count"], occ, mfma; found = 1
      }
      /^  - \./ { row(); delete m; sub(/^  - /, "    ") }
      /^    \.[a-z_]+:/ { m[substr($1, 1, length($1) - 1)] = $2 }
      END { row(); if (!found) printf "| %s | %s | no kernel %s |||||||\n", chip, label, k }'
  done <<< "$ROWS"
done
