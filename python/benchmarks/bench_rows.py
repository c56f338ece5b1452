"""What bench_gpu.py measures: the shapes, the variants and their specs,
and how a row's bytes and FLOPs are counted."""

import math
import zlib

# --------------------------------------------------------------------------
# What is benchmarked

H, KVH, D, BS = 32, 8, 128, 16
GROUP = H // KVH
SCALE = 1.0 / math.sqrt(D)
WINDOW = 1024            # keys per query: window=1023:0
SOFTCAP = 30.0
FP8_SCALE = 1.0 / 16     # per-tensor descale; a power of two, so the
                         # dequantized values are exact in bf16

BASE_SPEC = "heads=%d,kv_heads=%d,head_size=%d,dtype=bf16,block_size=%d," \
            "causal=1" % (H, KVH, D, BS)
VARIANTS = {
    "base": "",
    "window": "window=%d:0" % (WINDOW - 1),
    "softcap": "softcap=%g" % SOFTCAP,
    "sinks": "sinks=1",
    "alibi": "alibi=1",
    "fp8kv": "kv_dtype=fp8_e4m3",
}
VARIANT_LABEL = {
    "base": "", "window": " window1024", "softcap": " softcap30",
    "sinks": " sinks", "alibi": " alibi", "fp8kv": " fp8kv",
}


def kernel_name(variant):
    return "bench_" + variant


def spec_of(variant):
    extra = VARIANTS[variant]
    return "name=%s,%s%s" % (kernel_name(variant), BASE_SPEC,
                             "," + extra if extra else "")


class Row:
    """`ctx` keys per sequence; or, with `lens`, sequence b has lens[b] keys
    (decode only; ctx is then the longest)."""

    def __init__(self, kind, variant, batch, q_len, ctx, lens=None):
        self.kind, self.variant = kind, variant
        self.batch, self.q_len, self.ctx = batch, q_len, ctx
        self.lens = list(lens) if lens is not None else None
        if self.lens is not None:
            assert kind == "decode" and len(self.lens) == batch
            self.ctx = max(self.lens)

    def seq_len(self, b):
        return self.ctx if self.lens is None else self.lens[b]

    @property
    def total_keys(self):
        return self.ctx * self.batch if self.lens is None else sum(self.lens)

    @property
    def id(self):
        return "%s-%s-b%d-q%d-s%d%s" % (self.kind, self.variant, self.batch,
                                        self.q_len, self.ctx,
                                        "-mixed" if self.lens else "")

    @property
    def label(self):
        def k(n):
            return "%dk" % (n // 1024) if n % 1024 == 0 else str(n)
        if self.lens is not None:
            s = "decode b%d mixed ctx %d..%s (mean %d)" % (
                self.batch, min(self.lens), k(self.ctx),
                sum(self.lens) // self.batch)
        elif self.kind == "decode":
            s = "decode b%d ctx%s" % (self.batch, k(self.ctx))
        else:
            s = "prefill %dx%s" % (self.batch, k(self.ctx))
        return s + VARIANT_LABEL[self.variant]

    @property
    def tokens(self):
        return self.batch * self.q_len


def gpu_rows():
    """In priority order: what is run first survives a tight budget."""
    rows = [Row("decode", "base", 64, 1, s) for s in (1024, 4096, 16384)]
    rows.append(Row("decode", "base", 8, 1, 16384))
    rows.append(Row("prefill", "base", 4, 4096, 4096))
    for v in ("window", "softcap", "sinks", "alibi", "fp8kv"):
        rows.append(Row("decode", v, 64, 1, 4096))
    for v in ("window", "softcap", "sinks", "alibi", "fp8kv"):
        rows.append(Row("prefill", v, 4, 4096, 4096))
    rows.append(Row("prefill", "base", 1, 16384, 16384))   # the costliest
    rows.append(Row("decode", "base", 64, 1, 16384, lens=mixed_lens(64)))
    return rows


def mixed_lens(batch, longest=16384, short=2048, seed=5):
    """The issue's mixed decode batch: one sequence of `longest` keys among
    short ones (1..short, fixed pseudo-random)."""
    import random
    rng = random.Random(seed)
    return [longest] + [rng.randint(1, short) for _ in range(batch - 1)]


def smoke_rows():
    rows = [Row("decode", "base", 3, 1, 80), Row("decode", "base", 2, 1, 1200),
            Row("prefill", "base", 2, 48, 48),
            Row("decode", "base", 4, 1, 0, lens=[1300, 1, 77, 16])]
    for v in ("window", "softcap", "sinks", "alibi", "fp8kv"):
        rows.append(Row("decode", v, 2, 1, 1200))
        rows.append(Row("prefill", v, 1, 64, 64) if v != "window"
                    else Row("prefill", v, 1, 1100, 1100))
    return rows


# --------------------------------------------------------------------------
# Work counted per row

def visible_pairs(row):
    """(query, key) pairs the mask keeps, per sequence (the queries are the
    last q_len of ctx positions)."""
    S, lq = row.ctx, row.q_len
    if row.variant == "window":
        if lq == S:
            w = min(WINDOW, S)
            return w * (w + 1) // 2 + (S - w) * w
        return sum(min(i + 1, WINDOW) for i in range(S - lq, S))
    if row.kind == "decode":
        return sum(i + 1 for i in range(S - lq, S))
    return S * S // 2   # causal, as the issue counts it: S^2 / 2


def bytes_moved(row):
    """Fewest bytes a decode must move: the K/V rows it attends to once,
    Q in, O out."""
    kv_elem = 1 if row.variant == "fp8kv" else 2
    if row.variant == "window":
        keys = sum(min(row.seq_len(b), WINDOW) for b in range(row.batch))
    else:
        keys = row.total_keys
    kv = keys * KVH * 2 * D * kv_elem
    qo = 2 * row.tokens * H * D * 2
    return kv + qo


def flops(row):
    """4 * H * D per visible (query, key) pair (QK^T and PV)."""
    return 4 * H * D * visible_pairs(row) * row.batch
