"""Small helpers shared by the bench_gpu.py modules."""


def say(*a):
    print(*a, flush=True)


def short(e, n=160):
    """An exception as one line of at most n characters."""
    s = ("%s: %s" % (type(e).__name__, e)).replace("\n", " ")
    return s if len(s) <= n else s[:n] + "..."
