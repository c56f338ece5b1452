"""ctypes bindings of the runtime's C API (``runtime/include/attn-c/Runtime.h``).

The library is loaded on first use, so ``import attn`` works (and
``attn.compile`` runs) on a machine where ``libattnrt`` is not built. Where
it is looked for, in order:

1. ``ATTN_LIBRARY_PATH``: the library file, or a folder that holds
   ``libattnrt.so``;
2. the build tree of the repository this package sits in:
   ``<repo>/build/lib/libattnrt.so``;
3. the system loader (``libattnrt.so.0``, ``libattnrt.so``, then
   ``ctypes.util.find_library("attnrt")``).
"""

import builtins
import ctypes
import ctypes.util
import os
import threading

C_API_VERSION = 2
MAX_RANK = 4

# Status codes (ATTN_OK, ATTN_ERROR_*).
OK = 0
INVALID_ARGUMENT = 1
NOT_FOUND = 2
UNAVAILABLE = 3
OUT_OF_MEMORY = 4
FAILED_PRECONDITION = 5
INTERNAL = 6
STATUS_NAMES = {
    OK: "Ok",
    INVALID_ARGUMENT: "InvalidArgument",
    NOT_FOUND: "NotFound",
    UNAVAILABLE: "Unavailable",
    OUT_OF_MEMORY: "OutOfMemory",
    FAILED_PRECONDITION: "FailedPrecondition",
    INTERNAL: "Internal",
}

# Device kinds and launch paths.
DEVICE_KINDS = {"cpu": 0, "cuda": 1, "hip": 2}
PATHS = {"auto": 0, "2d": 1, "split": 2, "2d_wide": 3}
PATH_NAMES = {v: k for k, v in PATHS.items()}


class AttnError(builtins.RuntimeError):
    """An error reported by the attn runtime (or found by this package before
    calling it). ``status`` is the C API status code, ``status_name`` its name
    (``InvalidArgument``, ``NotFound``, ...) and ``message`` the runtime's
    message (``attn_last_error()``); ``str()`` gives ``"<status_name>:
    <message>"`` as ``Status::toString()`` does."""

    def __init__(self, status, message):
        self.status = int(status)
        self.status_name = STATUS_NAMES.get(self.status,
                                            "Status%d" % self.status)
        self.message = message
        super().__init__("%s: %s" % (self.status_name, message))


def invalid_argument(message):
    return AttnError(INVALID_ARGUMENT, message)


class Tensor(ctypes.Structure):
    """attn_tensor_t"""
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int32),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
    ]


_ATTENTION_TENSORS = (
    "q", "k_cache", "v_cache", "block_table", "seq_lens", "cu_seqlens_q",
    "cu_seqlens_k", "sinks", "alibi_slopes", "mm_prefix_ranges", "qq_bias",
    "k_scale", "v_scale", "out_scale", "out", "lse",
)


class AttentionArgs(ctypes.Structure):
    """attn_attention_args_t"""
    _fields_ = [(name, Tensor) for name in _ATTENTION_TENSORS] + [
        ("num_seqs", ctypes.c_int32),
        ("max_seq_len", ctypes.c_int32),
        ("path", ctypes.c_int32),
        ("total_seq_len", ctypes.c_int32),
        ("stream", ctypes.c_void_p),
    ]


_CACHE_WRITE_TENSORS = ("key", "value", "k_cache", "v_cache", "slot_mapping",
                        "k_scale", "v_scale")


class CacheWriteArgs(ctypes.Structure):
    """attn_cache_write_args_t"""
    _fields_ = [(name, Tensor) for name in _CACHE_WRITE_TENSORS] + [
        ("stream", ctypes.c_void_p),
    ]


# (name, restype, argtypes)
_c_int = ctypes.c_int
_vp = ctypes.c_void_p
_pvp = ctypes.POINTER(ctypes.c_void_p)
_str = ctypes.c_char_p
_PROTOTYPES = [
    ("attn_c_api_version", ctypes.c_int32, []),
    ("attn_last_error", _str, []),
    ("attn_status_name", _str, [_c_int]),
    ("attn_dtype_name", _str, [ctypes.c_int32]),
    ("attn_dtype_size", ctypes.c_int32, [ctypes.c_int32]),
    ("attn_device_open", _c_int, [ctypes.c_int32, ctypes.c_int32, _pvp]),
    ("attn_device_close", None, [_vp]),
    ("attn_device_name", _str, [_vp]),
    ("attn_device_kind", ctypes.c_int32, [_vp]),
    ("attn_device_synchronize", _c_int, [_vp]),
    ("attn_alloc", _c_int, [_vp, ctypes.c_size_t, _pvp]),
    ("attn_free", _c_int, [_vp, _vp]),
    ("attn_memcpy_h2d", _c_int, [_vp, _vp, _vp, ctypes.c_size_t]),
    ("attn_memcpy_d2h", _c_int, [_vp, _vp, _vp, ctypes.c_size_t]),
    ("attn_memcpy_d2d", _c_int, [_vp, _vp, _vp, ctypes.c_size_t]),
    ("attn_memset", _c_int, [_vp, _vp, _c_int, ctypes.c_size_t]),
    ("attn_module_load", _c_int, [_vp, _str, _pvp]),
    ("attn_module_unload", None, [_vp]),
    ("attn_module_num_kernels", ctypes.c_int32, [_vp]),
    ("attn_module_kernel_json", _str, [_vp, ctypes.c_int32]),
    ("attn_module_kernel_name", _str, [_vp, ctypes.c_int32]),
    ("attn_module_manifest", _str, [_vp]),
    ("attn_attention_create", _c_int,
     [_vp, _vp, _str, ctypes.c_int64, _pvp]),
    ("attn_attention_run", _c_int, [_vp, ctypes.POINTER(AttentionArgs)]),
    ("attn_attention_last_path", ctypes.c_int32, [_vp]),
    ("attn_attention_destroy", None, [_vp]),
    ("attn_cache_write_create", _c_int, [_vp, _vp, _str, _pvp]),
    ("attn_cache_write_run", _c_int, [_vp, ctypes.POINTER(CacheWriteArgs)]),
    ("attn_cache_write_destroy", None, [_vp]),
]

_lock = threading.Lock()
_lib = None
_lib_path = None


def repo_root():
    """The repository this package sits in (python/attn/ -> the root)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


def _candidates():
    """(description, path or loader name) in search order."""
    env = os.environ.get("ATTN_LIBRARY_PATH")
    if env:
        path = os.path.join(env, "libattnrt.so") if os.path.isdir(env) else env
        # An explicit setting is the only candidate: a wrong one is an error,
        # not a reason to pick up some other build.
        return [("ATTN_LIBRARY_PATH", path)]
    found = [("the build tree",
              os.path.join(repo_root(), "build", "lib", "libattnrt.so"))]
    found += [("the system loader", name)
              for name in ("libattnrt.so.0", "libattnrt.so")]
    name = ctypes.util.find_library("attnrt")
    if name:
        found.append(("the system loader", name))
    return found


def _load():
    tried = []
    for origin, path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, origin))
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, origin, e))
            continue
        return lib, path
    raise AttnError(UNAVAILABLE,
                    "cannot load libattnrt; tried " + "; ".join(tried)
                    + ". Set ATTN_LIBRARY_PATH to the library (build/lib/"
                    "libattnrt.so of a build of the attn repository).")


def lib():
    """The loaded runtime library, its prototypes set (loads on first use)."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        handle, path = _load()
        missing = []
        for name, restype, argtypes in _PROTOTYPES:
            try:
                fn = getattr(handle, name)
            except AttributeError:
                missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
        if missing:
            raise AttnError(UNAVAILABLE, "%s does not export %s (is it "
                            "libattnrt?)" % (path, ", ".join(missing)))
        version = handle.attn_c_api_version()
        if version != C_API_VERSION:
            raise AttnError(FAILED_PRECONDITION,
                            "%s implements C API version %d; this package "
                            "needs version %d" % (path, version,
                                                  C_API_VERSION))
        _lib, _lib_path = handle, path
        return _lib


def library_path():
    """The path (or loader name) of the loaded libattnrt; loads it."""
    lib()
    return _lib_path


def last_error():
    msg = lib().attn_last_error()
    return msg.decode("utf-8", "replace") if msg else ""


def check(status):
    """Raises AttnError for a non-zero status of the call just made."""
    if status != OK:
        raise AttnError(status, last_error() or "(no message)")


def decode(text):
    return text.decode("utf-8", "replace") if text is not None else None
