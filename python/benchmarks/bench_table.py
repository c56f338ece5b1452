"""The results table of bench_gpu.py."""

from bench_rows import bytes_moved, flops


# --------------------------------------------------------------------------
# Table

def fmt_ms(ms):
    if ms is None:
        return "-"
    if ms >= 100:
        return "%.0f" % ms
    if ms >= 1:
        return "%.2f" % ms
    return "%.3f" % ms


def rate_of(row, ms):
    """(value, unit text, fraction key) of a time on a row."""
    if row.kind == "decode":
        return bytes_moved(row) / (ms * 1e-3) / 1e9, "GB/s", "copy"
    return flops(row) / (ms * 1e-3) / 1e12, "TFLOP/s", "matmul"


def fmt_rate(v, unit):
    return ("%.0f %s" if v >= 10 else "%.2f %s") % (v, unit)


def table(log, rows, device_line):
    lines = []
    c = log.ceilings
    lines.append(device_line)
    if c:
        phases = sorted(set(x.get("phase", "before")
                            for x in log.ceiling_all))
        lines.append("ceilings (best of %s the rows): copy %.0f GB/s "
                     "(%s); matmul %.0f TFLOP/s (%s)" % (
                         "/".join(phases), c["copy"]["GBps"],
                         c["copy"]["what"], c["matmul"]["TFLOPs"],
                         c["matmul"]["what"]))
        if "read" in c:
            lines.append("read-only bandwidth, for reference (not used for "
                         "the fractions): %.0f GB/s (%s)"
                         % (c["read"]["GBps"], c["read"]["what"]))
    ceil = {"copy": c["copy"]["GBps"] if "copy" in c else None,
            "matmul": c["matmul"]["TFLOPs"] if "matmul" in c else None}

    def frac(v, key):
        return "%.1f%%" % (100 * v / ceil[key]) if ceil.get(key) else "-"
    lines.append("| shape | ours ms (path) | ours GB/s or TFLOP/s (of "
                 "ceiling) | flash ms (ours/flash) | cuDNN ms (ours/cuDNN) "
                 "| flex ms (ours/flex) | best competitor GB/s or TFLOP/s "
                 "(of ceiling) | max err ours vs SDPA | max err ours vs "
                 "fp32 ref | notes |")
    lines.append("|" + "---|" * 10)
    for row in rows:
        r = log.results.get(row.id)
        if r is None:
            if row.id in log.started:
                lines.append("| %s | crashed (the process died in this row; "
                             "restarted) |" % row.label + " |" * 8)
            continue
        if "skipped" in r:
            lines.append("| %s | skipped: %s |" % (row.label, r["skipped"])
                         + " |" * 8)
            continue
        o = r.get("ours", {})
        notes = []
        ours_ms = o.get("ms")
        if ours_ms is not None:
            mark = "" if o.get("mode") == "graph" else "e"
            cell = "%s%s (%s)" % (fmt_ms(ours_ms), mark, r.get("path"))
            if o.get("note"):
                notes.append(o["note"])
            alt = r.get("ours_other_path", {})
            if "ms" in alt:
                notes.append("%s path %s ms" % (alt["path"],
                                                fmt_ms(alt["ms"])))
            v, unit, key = rate_of(row, ours_ms)
            rate = "%s (%s)" % (fmt_rate(v, unit), frac(v, key))
        else:
            cell = "n/a"
            rate = "-"
            notes.append("ours: " + o.get("skipped", "?"))
        cells = []
        best = None
        for cname in ("flash", "cudnn", "flex"):
            m = r.get("competitors", {}).get(cname)
            if m is None:
                cells.append("-")
            elif "ms" in m:
                mark = "" if m.get("mode") == "graph" else "e"
                ratio = "" if ours_ms is None else \
                    " (%.1fx)" % (ours_ms / m["ms"])
                cells.append("%s%s%s" % (fmt_ms(m["ms"]), mark, ratio))
                if best is None or m["ms"] < best[1]:
                    best = (cname, m["ms"])
                if m.get("err_ref", {}).get("max_abs", 0) > 0.05 or \
                        m.get("err_ref", {}).get("nan"):
                    notes.append("%s err vs ref %.3g" %
                                 (cname, m["err_ref"]["max_abs"]))
                if m.get("note") and "expanded" in m["note"]:
                    notes.append("%s: K/V expanded (no GQA)" % cname)
            else:
                cells.append("n/a")
        if best:
            v, unit, key = rate_of(row, best[1])
            best_cell = "%s (%s, %s)" % (fmt_rate(v, unit), frac(v, key),
                                         best[0])
        else:
            best_cell = "-"
        es = r.get("err_sdpa")
        e_sdpa = "%.3g (%s)" % (es["max_abs"], es["vs"]) if es else "-"
        er = r.get("err_ref")
        if er:
            e_ref = "%.3g" % er.get("max_abs", float("nan"))
            if er.get("nan"):
                e_ref += " (%d NaN)" % er["nan"]
        else:
            e_ref = "-"
        lines.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["label"], cell, rate, cells[0], cells[1], cells[2], best_cell,
            e_sdpa, e_ref, "; ".join(n for n in notes if n)))
    lines.append("")
    lines.append("ms: median; 'e' = timed eagerly (no CUDA graph), else CUDA "
                 "graph replays. (Nx) = our time / competitor time. GB/s "
                 "(decode) = (K+V rows attended + Q + O bytes) / time; "
                 "TFLOP/s (prefill) = 4*H*D*pairs / time with pairs = "
                 "S^2/2 per sequence (causal) or the window's pairs; "
                 "'of ceiling' against the copy bandwidth (decode) or the "
                 "matmul rate (prefill) above. n/a: the competitor "
                 "cannot express the variant, or ours could not be built "
                 "(notes). Competitors read contiguous bf16 K/V (the "
                 "dequantized values for fp8kv); ours reads the paged "
                 "cache.")
    return "\n".join(lines)
