#!/usr/bin/env python3
"""GPU benchmark of attn's NVIDIA kernels against PyTorch, side by side.

Times our kernels (GPU bundles made by make_gpu_bundles.sh, run through the
`attn` Python package on torch CUDA tensors, zero copy, on torch's current
stream) against

  * torch's scaled_dot_product_attention with the flash backend,
  * the same with the cuDNN backend,
  * FlexAttention (torch.compile'd flex_attention with the matching
    mask_mod/score_mod),

on the same data (the competitors read contiguous [B, H, S, D] copies of our
paged cache), on vLLM-style decode and prefill shapes (Llama-3-8B layer:
32 query heads, 8 KV heads, head size 128, bf16, block size 16) and the
variants (sliding window 1024, softcap 30, attention sinks, ALiBi, fp8 KV).

It also measures the device's two ceilings (device-to-device copy bandwidth;
bf16 matmul TFLOP/s), checks every output against a float32 reference (and
ours against SDPA's output), and prints a table.

    ATTN_LIBRARY_PATH=.../libattnrt.so \\
      python3 python/benchmarks/bench_gpu.py --bundles build-gpu-bench \\
        --out bench.txt --jsonl bench.jsonl

python/benchmarks/run_on_device.sh does this on the device machine.
`--print-specs` lists the specs the bundles must hold (used by
make_gpu_bundles.sh; needs no torch). `--cpu-smoke` runs every row at tiny
sizes on the CPU device (host bundles compiled with attn.compile; no
competitors), to check this script without a GPU.

Timing: CUDA events; one warm-up call (compiles for flex); then, for a call
under --slow-ms, a CUDA graph of one call (eager if capture fails; marked
'e') replayed in samples of >= 1 ms, median of 10..100 samples; for slower
calls, --slow-iters single calls (default 5), median. A row whose estimated
cost would overrun the time budget (--budget) is skipped with the reason.

Progress goes to --jsonl line by line; --resume reads it back, so that
run_on_device.sh can restart the script after a CUDA error that killed the
context (the row that was running is then reported as crashed).
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
import traceback
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# ATTN_PYTHONPATH: the folder holding the attn package to use (the
# snapshot that make_gpu_bundles.sh takes); else this repository's python/.
sys.path.insert(0, os.environ.get("ATTN_PYTHONPATH") or
                os.path.join(REPO, "python"))

from bench_rows import *  # noqa: F401,F403 (shapes, variants, rows)
from bench_competitors import Competitors
from bench_util import say, short
from bench_table import fmt_ms, table

# --------------------------------------------------------------------------
# Progress log (JSON lines)

class Log:
    def __init__(self, path, resume):
        self.path = path
        self.ceilings = {}
        self.ceiling_all = []
        self.results = {}
        self.started = set()
        self.meta = {}
        if path and resume and os.path.exists(path):
            with open(path) as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue
                    t = rec.get("type")
                    if t == "ceiling":
                        self.add_ceiling(rec)
                    elif t == "start":
                        self.started.add(rec["row"])
                    elif t == "row":
                        self.results[rec["row"]] = rec
                    elif t == "meta":
                        self.meta = rec
        elif path:
            open(path, "w").close()

    def add_ceiling(self, rec):
        """Keeps every measurement; ceilings[name] is the best."""
        self.ceiling_all.append(rec)
        key = "TFLOPs" if rec["name"] == "matmul" else "GBps"
        best = self.ceilings.get(rec["name"])
        if best is None or rec[key] > best[key]:
            self.ceilings[rec["name"]] = rec

    def write(self, rec):
        if not self.path:
            return
        with open(self.path, "a") as f:
            f.write(json.dumps(rec) + "\n")
            f.flush()


# --------------------------------------------------------------------------
# Timing

class Timer:
    """CUDA events on torch's current stream (GPU) or perf_counter (CPU)."""

    def __init__(self, torch, gpu, slow_ms, slow_iters, target_s,
                 use_graphs):
        self.torch, self.gpu = torch, gpu
        self.slow_ms, self.slow_iters = slow_ms, slow_iters
        self.target_s, self.use_graphs = target_s, use_graphs

    def sync(self):
        if self.gpu:
            self.torch.cuda.synchronize()

    def once(self, fn):
        """ms of one call."""
        if not self.gpu:
            t = time.perf_counter()
            fn()
            return (time.perf_counter() - t) * 1e3
        s = self.torch.cuda.Event(enable_timing=True)
        e = self.torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        return s.elapsed_time(e)

    def _graph(self, fn):
        torch = self.torch
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            fn()
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.synchronize()
        g = torch.cuda.CUDAGraph()
        with torch.cuda.graph(g):
            fn()
        torch.cuda.synchronize()
        return g

    def measure(self, fn):
        """Times fn; returns {"ms" (median), "samples", "mode" ('graph' or
        'eager'), "note"}. Warms up with one call first."""
        torch = self.torch
        fn()
        self.sync()
        first_ms = self.once(fn)
        if first_ms >= self.slow_ms or not self.gpu:
            n = max(1, self.slow_iters) if first_ms >= self.slow_ms else \
                max(3, min(20, int(self.target_s * 1e3 / max(first_ms, .01))))
            ts = [first_ms] + [self.once(fn) for _ in range(n - 1)]
            note = "%d it" % n if first_ms >= self.slow_ms else ""
            return {"ms": statistics.median(ts), "samples": len(ts),
                    "mode": "eager", "note": note, "all_ms": ts}
        runner, mode, note = fn, "eager", ""
        graph = None
        if self.use_graphs:
            try:
                graph = self._graph(fn)
                runner, mode = graph.replay, "graph"
            except Exception as e:  # capture unsupported: time it eagerly
                note = "graph capture failed (%s)" % short(e)
                torch.cuda.synchronize()
        runner()
        self.sync()
        inner = max(1, int(math.ceil(1.0 / max(first_ms, 1e-3))))
        nsamp = max(10, min(100, int(self.target_s * 1e3 /
                                     (first_ms * inner))))
        evs = []
        for _ in range(nsamp):
            s = torch.cuda.Event(enable_timing=True)
            e = torch.cuda.Event(enable_timing=True)
            s.record()
            for _ in range(inner):
                runner()
            e.record()
            evs.append((s, e))
        torch.cuda.synchronize()
        ts = [s.elapsed_time(e) / inner for s, e in evs]
        del graph
        return {"ms": statistics.median(ts), "samples": len(ts) * inner,
                "mode": mode, "note": note,
                "spread": [min(ts), max(ts)]}


# --------------------------------------------------------------------------
# Data and reference

class Data:
    pass


def alibi_slopes(torch, dev):
    return torch.tensor([2.0 ** (-8.0 * (h + 1) / H) for h in range(H)],
                        dtype=torch.float32, device=dev)


def make_data(torch, row, dev, seed):
    g = torch.Generator(device=dev)
    g.manual_seed(seed)
    B, lq, S = row.batch, row.q_len, row.ctx
    T = B * lq
    nblk = (S + BS - 1) // BS
    used = [(row.seq_len(b) + BS - 1) // BS for b in range(B)]
    nb = sum(used)
    bf16 = torch.bfloat16
    d = Data()
    d.q = torch.randn(T, H, D, generator=g, device=dev, dtype=torch.float32
                      ).to(bf16)
    kc = torch.randn(nb, BS, KVH, D, generator=g, device=dev,
                     dtype=torch.float32).to(bf16)
    vc = torch.randn(nb, BS, KVH, D, generator=g, device=dev,
                     dtype=torch.float32).to(bf16)
    perm = torch.randperm(nb, generator=g, device=dev).to(torch.int32)
    if row.lens is None:
        d.block_table = perm.view(B, nblk).contiguous()
        d.seq_lens = torch.full((B,), S, dtype=torch.int32, device=dev)
    else:
        # Each sequence's blocks, shuffled; entries past them are 0 (never
        # read by the kernel; the dense copies below zero those keys).
        d.block_table = torch.zeros(B, nblk, dtype=torch.int32, device=dev)
        at = 0
        for b, u in enumerate(used):
            d.block_table[b, :u] = perm[at:at + u]
            at += u
        d.seq_lens = torch.tensor(row.lens, dtype=torch.int32, device=dev)
    d.cu_seqlens_q = (torch.arange(B + 1, device=dev, dtype=torch.int32)
                      * lq).contiguous()
    d.sinks = d.alibi = d.k_scale = d.v_scale = None
    if row.variant == "fp8kv":
        f8 = torch.float8_e4m3fn
        kc8 = (kc.float() / FP8_SCALE).to(f8)
        vc8 = (vc.float() / FP8_SCALE).to(f8)
        kc = (kc8.float() * FP8_SCALE).to(bf16)   # exact dequantized values
        vc = (vc8.float() * FP8_SCALE).to(bf16)
        d.k_cache, d.v_cache = kc8, vc8
        d.k_scale = torch.tensor([FP8_SCALE], dtype=torch.float32, device=dev)
        d.v_scale = torch.tensor([FP8_SCALE], dtype=torch.float32, device=dev)
    else:
        d.k_cache, d.v_cache = kc, vc
    if row.variant == "sinks":
        d.sinks = (6.0 + 2.0 * torch.randn(H, generator=g, device=dev,
                                           dtype=torch.float32)).contiguous()
    if row.variant == "alibi":
        d.alibi = alibi_slopes(torch, dev)
    # Dense [B, H, S, D] copies of the same values for the competitors.
    bt = d.block_table.long()
    d.kd = kc[bt].reshape(B, nblk * BS, KVH, D)[:, :S].permute(
        0, 2, 1, 3).contiguous()
    d.vd = vc[bt].reshape(B, nblk * BS, KVH, D)[:, :S].permute(
        0, 2, 1, 3).contiguous()
    del kc, vc
    if row.lens is not None:   # padding past each sequence's end: zeros
        pad = torch.arange(S, device=dev).view(1, 1, S) >= \
            d.seq_lens.view(B, 1, 1).long()
        d.kd.masked_fill_(pad.unsqueeze(-1), 0)
        d.vd.masked_fill_(pad.unsqueeze(-1), 0)
    d.qd = d.q.view(B, lq, H, D).transpose(1, 2).contiguous()
    d.out = torch.empty(T, H, D, dtype=bf16, device=dev)
    return d


def reference(torch, row, d):
    """float32 attention of the variant on the bf16 (dequantized) values;
    [T, H, D] in token order."""
    B, lq, S = row.batch, row.q_len, row.ctx
    dev = d.q.device
    out = torch.empty(B, lq, H, D, dtype=torch.float32, device=dev)
    chunk = max(1, (1 << 27) // (H * S))
    v_ = row.variant
    for b in range(B):
        S = row.seq_len(b)
        j = torch.arange(S, device=dev).view(1, S)
        k = d.kd[b, :, :S].float().repeat_interleave(GROUP, 0)  # [H, S, D]
        v = d.vd[b, :, :S].float().repeat_interleave(GROUP, 0)
        for q0 in range(0, lq, chunk):
            c = min(chunk, lq - q0)
            q = d.qd[b, :, q0:q0 + c].float()                   # [H, c, D]
            s = torch.matmul(q, k.transpose(1, 2)) * SCALE      # [H, c, S]
            i = (torch.arange(q0, q0 + c, device=dev) + (S - lq)).view(c, 1)
            if v_ == "softcap":
                s = SOFTCAP * torch.tanh(s / SOFTCAP)
            if v_ == "alibi":
                s = s + d.alibi.view(H, 1, 1) * (j - i).float()
            keep = j <= i
            if v_ == "window":
                keep = keep & (i - j < WINDOW)
            s = s.masked_fill(~keep, float("-inf"))
            if v_ == "sinks":
                s = torch.cat([s, d.sinks.view(H, 1, 1).expand(H, c, 1)], -1)
            p = torch.softmax(s, -1)
            if v_ == "sinks":
                p = p[..., :S]
            out[b, q0:q0 + c] = torch.matmul(p, v).transpose(0, 1)
            del s, p
        del k, v
    return out.reshape(B * lq, H, D)


def errors(torch, out_tokens, ref):
    o = out_tokens.float()
    diff = (o - ref).abs()
    nan = int(torch.isnan(o).sum().item())
    return {"max_abs": float(diff.max().item()) if nan == 0 else float("nan"),
            "rel_l2": float((torch.linalg.norm((o - ref).flatten()) /
                             torch.linalg.norm(ref.flatten())).item())
            if nan == 0 else float("nan"),
            "nan": nan}


def to_tokens(x, row):
    """[B, H, lq, D] -> [T, H, D]."""
    return x.transpose(1, 2).reshape(row.tokens, H, D)


# --------------------------------------------------------------------------
# Competitors

# --------------------------------------------------------------------------
# Ceilings

def measure_ceilings(torch, timer, phase):
    """The two ceilings of the device. The GPU is first kept busy for about
    a second, so that its clocks have left idle."""
    res = {}
    N = 8192
    a = torch.randn(N, N, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(N, N, dtype=torch.bfloat16, device="cuda")
    t = time.time()
    while time.time() - t < 1.0:
        for _ in range(20):
            torch.mm(a, b)
        torch.cuda.synchronize()
    m = timer.measure(lambda: torch.mm(a, b))
    res["matmul"] = {"type": "ceiling", "name": "matmul", "phase": phase,
                     "ms": m["ms"],
                     "TFLOPs": 2 * N ** 3 / (m["ms"] * 1e-3) / 1e12,
                     "what": "torch.mm 8192^3 bf16, random data"}
    del a, b
    n = 4 << 30   # 4 GiB each way, far past the L2
    src = torch.empty(n // 2, dtype=torch.bfloat16, device="cuda").normal_()
    dst = torch.empty_like(src)
    m = timer.measure(lambda: dst.copy_(src))
    res["copy"] = {"type": "ceiling", "name": "copy", "phase": phase,
                   "ms": m["ms"], "bytes": 2 * n,
                   "GBps": 2 * n / (m["ms"] * 1e-3) / 1e9,
                   "what": "torch copy_ of 4 GiB, bytes read + written"}
    # Read-only streaming (what a decode does), for reference: a sum over
    # the same 4 GiB. Not used for the fractions (the method's ceiling is
    # the copy), but a decode can exceed the copy rate up to this one.
    try:
        m = timer.measure(lambda: src.sum(dtype=torch.float32))
        res["read"] = {"type": "ceiling", "name": "read", "phase": phase,
                       "ms": m["ms"], "bytes": n,
                       "GBps": n / (m["ms"] * 1e-3) / 1e9,
                       "what": "torch sum of 4 GiB bf16, bytes read"}
    except Exception as e:
        say("  (read bandwidth not measured: %s)" % short(e))
    del src, dst
    torch.cuda.empty_cache()
    return res


# --------------------------------------------------------------------------
# One row

class Ours:
    def __init__(self, attn, device, bundles, cpu_smoke):
        self.attn, self.device = attn, device
        self.bundles, self.cpu_smoke = bundles, cpu_smoke
        self.modules = {}

    def module(self, variant):
        if variant in self.modules:
            return self.modules[variant]
        attn = self.attn
        if self.cpu_smoke:
            path = attn.compile(spec_of(variant))
            mod = attn.Module(self.device, path)
        else:
            stem = os.path.join(self.bundles, kernel_name(variant))
            err = None
            mod = None
            for ext in (".cubin", ".ptx"):
                if not os.path.exists(stem + ext):
                    continue
                try:
                    mod = attn.Module(self.device, stem + ext)
                    break
                except Exception as e:
                    err = e
                    say("  (loading %s failed: %s)" % (stem + ext, short(e)))
            if mod is None and os.path.exists(stem + ".error"):
                lines = open(stem + ".error").read().splitlines()
                msg = " ".join(l.strip() for l in lines[1:2]) or "?"
                msg = msg.split("error: ", 1)[-1]
                raise RuntimeError("the compiler could not build this "
                                   "variant for the GPU: " + msg)
            if mod is None:
                raise RuntimeError("no loadable bundle %s.{cubin,ptx}: %s"
                                   % (stem, short(err) if err else
                                      "files missing"))
        self.modules[variant] = mod
        return mod


def run_ours(row, ctx, d, ref, mod, res):
    torch, timer, args = ctx.torch, ctx.timer, ctx.args
    name = kernel_name(row.variant)
    decode = row.kind == "decode"
    fwd = ctx.attn.Attention(mod, name,
                             max_num_tokens=row.tokens if decode else 0)
    extras = dict(sinks=d.sinks, alibi_slopes=d.alibi, k_scale=d.k_scale,
                  v_scale=d.v_scale, max_seq_len=row.ctx,
                  total_seq_len=row.total_keys)

    def ours(path="auto"):
        fwd(d.q, d.k_cache, d.v_cache, d.block_table, d.seq_lens,
            d.cu_seqlens_q, d.out, path=path, **extras)
        return d.out

    # Correctness first, on a poisoned output.
    d.out.fill_(float("nan"))
    t0 = time.time()
    ours()
    timer.sync()
    first_s = time.time() - t0
    res["path"] = fwd.last_path
    res["err_ref"] = errors(torch, d.out, ref)
    say("  ours: path %s, first call %.3f s, max|err| vs fp32 ref %.3g, "
        "rel %.2g, unwritten/NaN %d" % (res["path"], first_s,
                                        res["err_ref"]["max_abs"],
                                        res["err_ref"]["rel_l2"],
                                        res["err_ref"]["nan"]))
    if first_s >= 1.0:
        # Slow: the first call (its wall time, synchronized) is a sample;
        # take as many more as the budget allows, up to --slow-iters.
        more = int((ctx.remaining() - 15) / first_s)
        n = max(1, min(args.slow_iters, 1 + more))
        ts = [first_s * 1e3] + [timer.once(ours) for _ in range(n - 1)]
        m = {"ms": statistics.median(ts), "samples": n, "mode": "eager",
             "note": "%d it" % n, "all_ms": ts}
    else:
        m = timer.measure(ours)
    res["ours"] = m
    say("  ours: %.4f ms (%s, %d samples) %s" % (
        m["ms"], m["mode"], m["samples"], m["note"]))
    if decode:
        other = "split" if res["path"] == "2d" else "2d"
        try:
            m2 = timer.measure(lambda: ours(other))
            m2["path"] = other
            res["ours_other_path"] = m2
            say("  ours, path %s: %.4f ms" % (other, m2["ms"]))
        except Exception as e:
            res["ours_other_path"] = {"skipped": short(e)}
    fwd.close()


def run_row(row, ctx):
    torch, timer, args = ctx.torch, ctx.timer, ctx.args
    res = {"type": "row", "row": row.id, "label": row.label,
           "kind": row.kind, "variant": row.variant, "batch": row.batch,
           "q_len": row.q_len, "ctx": row.ctx}
    t_row = time.time()
    dev_ = "cpu" if args.cpu_smoke else "cuda"
    d = make_data(torch, row, dev_, seed=zlib.crc32(row.id.encode()))
    ref = reference(torch, row, d)
    try:
        mod = ctx.ours.module(row.variant)
    except Exception as e:
        mod = None
        res["ours"] = {"skipped": short(e, 300)}
        say("  ours: n/a (%s)" % short(e, 300))
    if mod is not None:
        run_ours(row, ctx, d, ref, mod, res)
    ours_out = d.out.clone() if mod is not None else None

    comps = {}
    sdpa_out = {}
    if not args.cpu_smoke and not args.no_competitors:
        C = ctx.competitors
        makers = [("flash", lambda: C.sdpa("FLASH_ATTENTION", row, d)),
                  ("cudnn", lambda: C.sdpa("CUDNN_ATTENTION", row, d)),
                  ("flex", lambda: C.flex_fn(row, d))]
        for cname, make in makers:
            if cname == "flex" and ctx.remaining() < args.flex_reserve:
                comps[cname] = {"skipped": "time budget (flex compiles)"}
                continue
            try:
                t0 = time.time()
                fn, note = make()
                out = fn()
                timer.sync()
                compile_s = time.time() - t0
                e = errors(torch, to_tokens(out, row), ref)
                if cname != "flex":
                    sdpa_out[cname] = to_tokens(out, row).float()
                del out
                m = timer.measure(fn)
                m["err_ref"] = e
                m["first_call_s"] = compile_s
                if note:
                    m["note"] = (m["note"] + "; " if m["note"] else "") + note
                comps[cname] = m
                say("  %s: %.4f ms (%s) max|err| vs ref %.3g  first call "
                    "%.1f s %s" % (cname, m["ms"], m["mode"], e["max_abs"],
                                   compile_s, m["note"]))
            except Exception as e:
                comps[cname] = {"skipped": short(e, 200)}
                say("  %s: n/a (%s)" % (cname, short(e, 200)))
                ctx.check_context()
            torch.cuda.empty_cache()
        # ours against SDPA's output (flash where it ran, else cuDNN)
        for cname in ("flash", "cudnn"):
            if cname in sdpa_out:
                if ours_out is None:
                    break
                res["err_sdpa"] = {
                    "vs": cname,
                    "max_abs": float((ours_out.float() - sdpa_out[cname])
                                     .abs().max().item())}
                break
        del sdpa_out
    res["competitors"] = comps
    decode = row.kind == "decode"

    if "ms" in res.get("ours", {}):
        sec = res["ours"]["ms"] * 1e-3
        if decode:
            res["GBps"] = bytes_moved(row) / sec / 1e9
        else:
            res["TFLOPs"] = flops(row) / sec / 1e12
    res["bytes"] = bytes_moved(row)
    res["flops"] = flops(row)
    res["row_s"] = time.time() - t_row
    del d, ref, ours_out
    if not args.cpu_smoke:
        torch.cuda.empty_cache()
    return res


# --------------------------------------------------------------------------

class Ctx:
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bundles", default=os.path.join(REPO,
                                                      "build-gpu-bench"))
    ap.add_argument("--print-specs", action="store_true",
                    help="print 'NAME SPEC' lines for make_gpu_bundles.sh")
    ap.add_argument("--cpu-smoke", action="store_true")
    ap.add_argument("--table-only", action="store_true",
                    help="print the table from --jsonl (no torch needed)")
    ap.add_argument("--out", help="write the table here too")
    ap.add_argument("--jsonl", help="progress/results, one JSON a line")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--rows", default="",
                    help="comma-separated substrings; run matching rows only")
    ap.add_argument("--skip-rows", default="",
                    help="comma-separated substrings; skip matching rows")
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds for the whole run (counted from "
                    "--start-time)")
    ap.add_argument("--start-time", type=float, default=None)
    ap.add_argument("--slow-ms", type=float, default=100.0)
    ap.add_argument("--slow-iters", type=int, default=5)
    ap.add_argument("--target-s", type=float, default=0.4,
                    help="time spent per measurement of a fast call")
    ap.add_argument("--flex-reserve", type=float, default=25.0,
                    help="skip flex when fewer seconds are left")
    ap.add_argument("--no-graphs", action="store_true")
    ap.add_argument("--no-competitors", action="store_true")
    args = ap.parse_args()

    if args.table_only:
        log = Log(args.jsonl, True)
        meta = dict((k, v) for k, v in log.meta.items() if k != "type")
        line = "device: " + ", ".join("%s %s" % kv for kv in meta.items())
        rows = smoke_rows() if "smoke" in meta.get("device", "") \
            else gpu_rows()
        text = table(log, rows, line)
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        return 0

    if args.print_specs:
        for v in VARIANTS:
            print(kernel_name(v), spec_of(v))
        return 0

    start = args.start_time or time.time()
    import torch
    import attn
    ctx = Ctx()
    ctx.args, ctx.torch, ctx.attn = args, torch, attn
    ctx.remaining = lambda: args.budget - (time.time() - start)
    ctx.log = Log(args.jsonl, args.resume)

    gpu = not args.cpu_smoke
    if gpu:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        p = torch.cuda.get_device_properties(0)
        info = {"device": p.name, "sms": p.multi_processor_count,
                "torch": torch.__version__,
                "cuda": torch.version.cuda,
                "cudnn": torch.backends.cudnn.version()}
        try:
            import triton
            info["triton"] = triton.__version__
        except Exception:
            pass
        try:
            info["driver"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version",
                 "--format=csv,noheader"], capture_output=True, text=True,
                timeout=20).stdout.strip()
        except Exception:
            pass
    else:
        info = {"device": "cpu (smoke run)", "torch": torch.__version__}
    meta_path = os.path.join(args.bundles, "meta.txt")
    if os.path.exists(meta_path):
        info["bundles"] = open(meta_path).read().strip().replace("\n", "; ")
    device_line = "device: " + ", ".join("%s %s" % kv for kv in info.items())
    say(device_line)
    if not ctx.log.meta:
        ctx.log.write(dict(type="meta", **info))

    ctx.timer = Timer(torch, gpu, args.slow_ms, args.slow_iters,
                      args.target_s, gpu and not args.no_graphs)
    adev = attn.Device("cpu" if args.cpu_smoke else "cuda")
    ctx.ours = Ours(attn, adev, args.bundles, args.cpu_smoke)
    ctx.competitors = None if (args.cpu_smoke or args.no_competitors) \
        else Competitors(torch)

    def check_context():
        if not gpu:
            return
        try:
            torch.cuda.synchronize()
        except Exception as e:
            say("CUDA context is broken (%s); exiting so that the driver "
                "script can restart" % short(e))
            sys.exit(3)
    ctx.check_context = check_context

    def ceilings(phase):
        say("ceilings (%s the rows) ..." % phase)
        for rec in measure_ceilings(torch, ctx.timer, phase).values():
            ctx.log.add_ceiling(rec)
            ctx.log.write(rec)
            say("  %s: %s" % (rec["name"], "%.0f GB/s" % rec["GBps"]
                              if "GBps" in rec else
                              "%.0f TFLOP/s" % rec["TFLOPs"]))

    if gpu and not ctx.log.ceilings:
        ceilings("before")

    rows = smoke_rows() if args.cpu_smoke else gpu_rows()
    want = [s for s in args.rows.split(",") if s]
    skip = [s for s in args.skip_rows.split(",") if s]
    rows = [r for r in rows
            if (not want or any(s in r.id or s in r.label for s in want))
            and not any(s in r.id or s in r.label for s in skip)]

    rate = {"decode": None, "prefill": None}   # for cost estimates
    for row in rows:
        if row.id in ctx.log.results:
            continue
        if row.id in ctx.log.started:
            rec = {"type": "row", "row": row.id, "label": row.label,
                   "skipped": "crashed: the process died in this row "
                   "(CUDA error?) and was restarted"}
            ctx.log.results[row.id] = rec
            ctx.log.write(rec)
            continue
        say("%s (%s) ..." % (row.label, row.id))
        reason = None
        left = ctx.remaining()
        est = None
        if row.kind == "prefill" and rate["prefill"]:
            est = flops(row) / rate["prefill"]
        elif row.kind == "decode" and rate["decode"]:
            est = bytes_moved(row) / rate["decode"]
        if left < 20:
            reason = "time budget spent (%.0f s left)" % left
        elif est is not None and est * (args.slow_iters + 2) > left - 10:
            reason = ("our kernel would take ~%.1f s a call (from the rate "
                      "of the rows before); %d calls would overrun the "
                      "%.0f s left" % (est, args.slow_iters + 2, left))
        if reason:
            say("  skipped: " + reason)
            rec = {"type": "row", "row": row.id, "label": row.label,
                   "skipped": reason}
            ctx.log.results[row.id] = rec
            ctx.log.write(rec)
            continue
        ctx.log.write({"type": "start", "row": row.id})
        ctx.log.started.add(row.id)
        try:
            res = run_row(row, ctx)
        except SystemExit:
            raise
        except Exception as e:
            traceback.print_exc()
            res = {"type": "row", "row": row.id, "label": row.label,
                   "skipped": "error: " + short(e, 200)}
            ctx.log.results[row.id] = res
            ctx.log.write(res)
            check_context()
            continue
        ctx.log.results[row.id] = res
        ctx.log.write(res)
        o = res.get("ours", {})
        if "ms" in o:
            if row.kind == "prefill":
                r = flops(row) / (o["ms"] * 1e-3)
                rate["prefill"] = min(rate["prefill"] or r, r)
            else:
                r = bytes_moved(row) / (o["ms"] * 1e-3)
                rate["decode"] = min(rate["decode"] or r, r)

    if gpu and ctx.remaining() > 15 and not any(
            c.get("phase") == "after" for c in ctx.log.ceiling_all):
        ceilings("after")

    all_rows = smoke_rows() if args.cpu_smoke else gpu_rows()
    text = table(ctx.log, all_rows, device_line)
    say("")
    say(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    bad = [r for r in ctx.log.results.values()
           if r.get("err_ref", {}).get("max_abs", 0) > 0.05 or
           r.get("err_ref", {}).get("nan")]
    say("\nrows with max|err| vs the fp32 reference over 0.05 or NaN: %s"
        % (", ".join(r["label"] for r in bad) or "none"))
    say("total %.0f s" % (time.time() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
