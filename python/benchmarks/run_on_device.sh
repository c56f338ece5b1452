#!/usr/bin/env bash
# Runs the GPU benchmark on the device machine (no MLIR there): builds
# libattnrt, then runs bench_gpu.py on the bundles that make_gpu_bundles.sh
# made here. From the repository root, with the bundle folder carried:
#
#   python/benchmarks/run_on_device.sh [BUNDLES]     (default build-gpu-bench)
#
# Writes $OUT/bench.txt (the table), $OUT/bench.jsonl (every measurement),
# $OUT/log.txt (the whole output) and $OUT/build.log; without $OUT, to
# ./bench-out. BENCH_BUDGET (seconds, default 330) bounds the whole script,
# the build included: rows that would overrun it are skipped with a reason,
# and the script is killed 10 s after it. A CUDA error that breaks the
# process's context makes the script restart the benchmark (at most 3
# times), resuming after the row that died. Extra arguments for bench_gpu.py
# go in BENCH_ARGS (e.g. BENCH_ARGS="--rows decode").
set -uo pipefail
t0=$(date +%s)
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
bundles=${1:-build-gpu-bench}
out=${OUT:-$repo/bench-out}
mkdir -p "$out"
budget=${BENCH_BUDGET:-330}
log="$out/log.txt"
: > "$log"
say() { echo "$@" | tee -a "$log"; }

# Sources: the snapshot taken with the bundles, else this tree.
if [ -d "$bundles/src/runtime" ]; then
  rt="$bundles/src/runtime"; pydir="$bundles/src/python"
else
  rt=runtime; pydir=python
fi
say "== building libattnrt from $rt"
libdir=/tmp/attnrt
objdir=/tmp/attnrt/obj
mkdir -p "$objdir"
srcs=$(sed -n '/set(ATTN_RUNTIME_SOURCES/,/)/p' "$rt/CMakeLists.txt" |
  grep -o 'lib/[A-Za-z0-9_/]*\.cpp')
if ! printf '%s\n' $srcs | xargs -P "$(nproc)" -I{} sh -c \
     'g++ -std=c++17 -O2 -fPIC -I"$0/include" -I"$0/lib" -c "$0/{}" -o "$1/$(echo {} | tr / _).o"' \
     "$rt" "$objdir" >> "$out/build.log" 2>&1 ||
   ! g++ -shared "$objdir"/*.o -ldl -lpthread -o "$libdir/libattnrt.so" \
     >> "$out/build.log" 2>&1; then
  say "building libattnrt failed:"; tail -30 "$out/build.log" | tee -a "$log"
  exit 1
fi
say "   built in $(( $(date +%s) - t0 )) s"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem \
  --format=csv 2>&1 | tee -a "$log"

export ATTN_LIBRARY_PATH="$libdir/libattnrt.so" ATTN_PYTHONPATH="$pydir"
export PYTHONUNBUFFERED=1
resume=""
for attempt in 1 2 3 4; do
  left=$(( budget - ($(date +%s) - t0) ))
  [ "$left" -gt 25 ] || { say "== no time left for another attempt"; break; }
  say "== bench_gpu.py (attempt $attempt, ${left} s left)"
  timeout -k 5 $((left + 10)) python3 python/benchmarks/bench_gpu.py \
    --bundles "$bundles" --jsonl "$out/bench.jsonl" --out "$out/bench.txt" \
    --start-time "$t0" --budget "$budget" $resume ${BENCH_ARGS:-} 2>&1 |
    tee -a "$log"
  rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] && break
  say "== bench_gpu.py exited with $rc; resuming after the row it was in"
  resume=--resume
done
if [ ! -s "$out/bench.txt" ] || [ "${rc:-1}" != 0 ]; then
  python3 python/benchmarks/bench_gpu.py --table-only \
    --jsonl "$out/bench.jsonl" --out "$out/bench.txt" 2>&1 | tee -a "$log"
fi
say "== total $(( $(date +%s) - t0 )) s"
