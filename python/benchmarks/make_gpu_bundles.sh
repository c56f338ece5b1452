#!/usr/bin/env bash
# Compiles every kernel bench_gpu.py needs into GPU bundles, on a machine
# with the compiler (no GPU needed), and snapshots what the device machine
# needs to build the runtime and run the benchmark:
#
#   python/benchmarks/make_gpu_bundles.sh [OUTDIR]    (default build-gpu-bench)
#
# OUTDIR/<name>.ptx, <name>.cubin (when ptxas is found), <name>.json per spec
# of `bench_gpu.py --print-specs`; OUTDIR/src/runtime and OUTDIR/src/python
# (a copy of the runtime sources and of python/attn, so that the device run
# builds what the bundles were made with even while the tree moves on; the
# runtime copy is test-compiled here unless ATTN_SKIP_RT_CHECK=1);
# OUTDIR/meta.txt (commit, date, tools).
#
# Tools: ATTN_OPT / ATTN_TRANSLATE (default build-lead/bin, then build/bin),
# PTXAS (default /usr/local/cuda/bin/ptxas, then PATH), PTXAS_ARCH (sm_90a, wgmma;
# also the pipeline's chip, so that the PTX may use sm_89+ instructions).
# ATTN_PLAN: options of an attn-plan pass run before the pipeline, to try
# another schedule (e.g. ATTN_PLAN="target=sm_80 block-m=16").
# OUTDIR must be git-ignored (build*/ is) and named in the device run's
# `carry`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
out=${1:-build-gpu-bench}
mkdir -p "$out"

pick() {  # first executable of the arguments
  for f in "$@"; do [ -n "$f" ] && [ -x "$f" ] && { echo "$f"; return; }; done
  return 1
}
opt=$(pick "${ATTN_OPT:-}" build-lead/bin/attn-opt build/bin/attn-opt) ||
  { echo "attn-opt not found (set ATTN_OPT)" >&2; exit 1; }
tr=$(pick "${ATTN_TRANSLATE:-}" build-lead/bin/attn-translate \
  build/bin/attn-translate) ||
  { echo "attn-translate not found (set ATTN_TRANSLATE)" >&2; exit 1; }
ptxas=$(pick "${PTXAS:-}" /usr/local/cuda/bin/ptxas "$(command -v ptxas || true)") ||
  ptxas=""
arch=${PTXAS_ARCH:-sm_90a}
py=$(command -v python3)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" python/benchmarks/bench_gpu.py --print-specs > "$tmp/specs"
# One spec the compiler cannot build does not stop the others: its error
# goes to OUTDIR/<name>.error, which bench_gpu.py reports in its row.
pids=()
while read -r name spec; do
  (
    rm -f "$out/$name".{ptx,cubin,json,error}
    if "$opt" --spec="$spec" ${ATTN_PLAN:+--attn-plan="$ATTN_PLAN"} \
         --attn-nvidia-pipeline="chip=$arch" -o "$tmp/$name.mlir" \
         2> "$tmp/$name.log" &&
       "$tr" --attn-to-cuda-ptx "$tmp/$name.mlir" -o "$out/$name.ptx" \
         2>> "$tmp/$name.log" &&
       "$tr" --attn-to-kernel-manifest "$tmp/$name.mlir" -o "$out/$name.json" \
         2>> "$tmp/$name.log" &&
       { [ -z "$ptxas" ] ||
         "$ptxas" -arch="$arch" "$out/$name.ptx" -o "$out/$name.cubin" \
           2>> "$tmp/$name.log"; }; then
      echo "  ok     $name: $spec"
    else
      rm -f "$out/$name".{ptx,cubin,json}
      { echo "spec: $spec"; grep -m3 'error' "$tmp/$name.log" | cut -c1-300; } \
        > "$out/$name.error"
      echo "  FAILED $name: $spec"
      sed 's/^/         /' "$out/$name.error"
    fi
  ) &
  pids+=($!)
done < "$tmp/specs"
for p in "${pids[@]}"; do wait "$p"; done
cp "$tmp/specs" "$out/specs.txt"

# Snapshot of the runtime and the Python package.
rm -rf "$out/src"
mkdir -p "$out/src/runtime" "$out/src/python"
cp -r runtime/include runtime/lib runtime/CMakeLists.txt "$out/src/runtime/"
cp -r python/attn "$out/src/python/"
find "$out/src" -name __pycache__ -prune -exec rm -rf {} +
if [ "${ATTN_SKIP_RT_CHECK:-0}" != 1 ]; then
  echo "test-compiling the runtime snapshot ..."
  srcs=$(sed -n '/set(ATTN_RUNTIME_SOURCES/,/)/p' "$out/src/runtime/CMakeLists.txt" |
    grep -o 'lib/[A-Za-z0-9_/]*\.cpp')
  (cd "$out/src/runtime" && printf '%s\n' $srcs |
    xargs -P "$(nproc)" -I{} g++ -std=c++17 -O0 -fsyntax-only -Iinclude -Ilib {})
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain -- runtime python lib include 2>/dev/null | wc -l)
{
  echo "commit $commit (+$dirty uncommitted files under runtime python lib include)"
  echo "made $(date -u +%Y-%m-%dT%H:%MZ) by make_gpu_bundles.sh"
  echo "ptxas ${ptxas:+$("$ptxas" --version | tail -1)} arch $arch"
} > "$out/meta.txt"
ls -la "$out"
cat "$out/meta.txt"
