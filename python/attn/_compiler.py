"""``attn.compile``: runs ``attn-translate`` on a variant spec.

The tool is looked for in ``ATTN_TRANSLATE`` (its path), then in the build
tree of the repository this package sits in (``<repo>/build/bin``), then on
``PATH``.
"""

import builtins
import hashlib
import os
import platform
import re
import shutil
import subprocess
import tempfile

from ._capi import repo_root

_TARGETS = {"cpu": "--attn-to-host-bundle", "host": "--attn-to-host-bundle"}
_GPU_TARGETS = ("cuda", "nvidia", "hip", "amd", "rocm")


class CompileError(builtins.RuntimeError):
    """``attn-translate`` failed (or could not be run). ``message`` is the
    tool's message (its ``error:`` lines, e.g. ``unknown spec key 'head_dim'
    (known keys: ...)``), ``stderr`` its whole error output, ``returncode``
    its exit status (None when it did not run), ``command`` the argv, and
    ``spec`` the spec."""

    def __init__(self, message, spec=None, command=None, returncode=None,
                 stderr=""):
        self.message = message
        self.spec = spec
        self.command = command
        self.returncode = returncode
        self.stderr = stderr
        super().__init__(message)


def translate_path():
    """The attn-translate binary to run (raises CompileError if none)."""
    env = os.environ.get("ATTN_TRANSLATE")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise CompileError("ATTN_TRANSLATE=%s is not an executable file" % env)
    tried = []
    local = os.path.join(repo_root(), "build", "bin", "attn-translate")
    if os.path.isfile(local) and os.access(local, os.X_OK):
        return local
    tried.append(local)
    found = shutil.which("attn-translate")
    if found:
        return found
    tried.append("attn-translate on PATH")
    raise CompileError("attn-translate not found (tried %s); build the attn "
                       "repository or set ATTN_TRANSLATE to the tool"
                       % ", ".join(tried))


def _spec_name(spec):
    m = re.search(r"(?:^|,)\s*name=([A-Za-z_][A-Za-z0-9_]*)\s*(?:,|$)", spec)
    return m.group(1) if m else "attn"


def _cache_dir():
    base = os.environ.get("ATTN_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(
            os.path.expanduser("~"), ".cache")
        base = os.path.join(xdg, "attn")
    return base


def _host_cpu_identity():
    """What 'native' compiles for: the CPU model and its feature flags (so a
    cache shared between machines does not hand out code for another CPU)."""
    wanted = ("model name", "flags")
    found = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in wanted and key not in found:
                    found[key] = value.strip()
                if len(found) == len(wanted):
                    break
    except OSError:
        pass
    return "|".join([platform.machine()] + [found.get(k, "") for k in wanted])


def _default_out_path(tool, spec, target, extra):
    """A file in the compile cache, named after the spec's variant and a hash
    of everything that determines the output (spec, target, options, the
    host CPU, and the tool's identity, so a rebuilt tool compiles again)."""
    st = os.stat(tool)
    key = "\0".join([spec, target, " ".join(extra), os.path.realpath(tool),
                     str(st.st_size), str(st.st_mtime_ns),
                     _host_cpu_identity()])
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    name = "%s-%s.so" % (_spec_name(spec), digest)
    for base in (_cache_dir(), os.path.join(tempfile.gettempdir(),
                                            "attn-%d" % os.getuid())):
        try:
            os.makedirs(base, exist_ok=True)
            if os.access(base, os.W_OK):
                return os.path.join(base, name)
        except OSError:
            continue
    raise CompileError("no writable folder for compiled kernels; pass "
                       "out_path or set ATTN_CACHE_DIR")


def _error_message(stderr, returncode):
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln[len("error:"):].strip() if ln.startswith("error:") else ln
              for ln in lines if "error" in ln.lower()]
    if errors:
        return "; ".join(errors)
    if lines:
        return "; ".join(lines[-5:])
    return "attn-translate failed with exit status %s and no message" \
        % returncode


def compile(spec, out_path=None, target="cpu", *, host_cpu=None,
            extra_args=(), timeout=None):
    """Compiles the variant `spec` (a spec string, docs/Spec.md) for
    `target` and returns the path of the bundle, to load with
    ``attn.Module(device, path)``.

    `target`: ``"cpu"`` (a host bundle, ``.so``). GPU targets are not there
    yet (the compiler has no GPU backend). `out_path`: where to write it;
    None: a compile cache (``ATTN_CACHE_DIR``, else ``~/.cache/attn``),
    reused while the spec, options and tool are unchanged. `host_cpu`: the
    CPU to compile for (``--attn-host-cpu``; default: this machine's).
    `extra_args`: more attn-translate options.

    Raises CompileError with the tool's message (an unknown spec key, a bad
    value, a variant the dialect rejects)."""
    if not isinstance(spec, str):
        raise TypeError("spec must be a string; got %s" % type(spec).__name__)
    if "\n" in spec:
        raise CompileError("a spec is one line; got a newline in %r" % spec,
                           spec=spec)
    target = str(target).lower()
    if target in _GPU_TARGETS:
        raise CompileError("target '%s': attn-translate has no GPU backend "
                           "yet; compile for target='cpu', or load a GPU "
                           "bundle (<stem>.ptx/.cubin + <stem>.json) with "
                           "attn.Module" % target, spec=spec)
    if target not in _TARGETS:
        raise CompileError("unknown target '%s' (expected 'cpu')" % target,
                           spec=spec)
    tool = translate_path()
    extra = [str(a) for a in extra_args]
    if host_cpu:
        extra.append("--attn-host-cpu=%s" % host_cpu)
    if out_path is None:
        out_path = _default_out_path(tool, spec, target, extra)
        if os.path.isfile(out_path):
            return out_path
    out_path = os.fspath(out_path)
    out_dir = os.path.dirname(os.path.abspath(out_path))
    if not os.path.isdir(out_dir):
        raise CompileError("cannot write %s: folder %s does not exist"
                           % (out_path, out_dir), spec=spec)
    # Write next to the target and rename, so that a failed or concurrent
    # compile never leaves a half-written bundle at out_path.
    try:
        fd, tmp = tempfile.mkstemp(prefix=".attn-", suffix=".so", dir=out_dir)
        os.close(fd)
    except OSError as e:
        raise CompileError("cannot write %s: %s" % (out_path, e),
                           spec=spec) from None
    command = [tool, _TARGETS[target], "--spec=" + spec] + extra + ["-o", tmp]
    try:
        try:
            proc = subprocess.run(command, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout)
        except OSError as e:
            raise CompileError("cannot run %s: %s" % (tool, e), spec=spec,
                               command=command) from None
        except subprocess.TimeoutExpired:
            raise CompileError("attn-translate did not finish within %s s"
                               % timeout, spec=spec, command=command) from None
        stderr = proc.stderr.decode("utf-8", "replace")
        if proc.returncode != 0:
            raise CompileError(_error_message(stderr, proc.returncode),
                               spec=spec, command=command,
                               returncode=proc.returncode, stderr=stderr)
        if os.path.getsize(tmp) == 0:
            raise CompileError("attn-translate wrote nothing (%s)"
                               % (stderr.strip() or "no message"), spec=spec,
                               command=command, returncode=proc.returncode,
                               stderr=stderr)
        os.chmod(tmp, 0o755)
        os.replace(tmp, out_path)
        tmp = None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return out_path
