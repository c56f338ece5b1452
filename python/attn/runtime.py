"""Devices, modules and kernels of the attn runtime, over its C API.

Each object owns one C API handle and releases it in ``close()`` (also
called by ``with`` and when the object is garbage collected). The C handles
keep what they depend on alive (a module its device, a kernel its module),
so objects may be closed in any order.
"""

import ctypes
import json
import threading

from . import _adapt, _capi, _dtypes
from ._capi import AttnError
from .tensor import Tensor


class _Handle:
    """Owns one C handle; `_release` is the C function that frees it."""

    _release_name = None

    def __init__(self):
        self._handle = None

    def _get(self):
        if self._handle is None:
            raise AttnError(_capi.FAILED_PRECONDITION,
                            "%s is closed" % type(self).__name__)
        return self._handle

    def close(self):
        handle, self._handle = self._handle, None
        if handle is not None and _capi._lib is not None:
            getattr(_capi._lib, self._release_name)(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def _parse_device(kind, ordinal):
    if not isinstance(kind, str):  # a torch.device
        type_ = getattr(kind, "type", None)
        if type_ is None:
            raise TypeError("device kind must be 'cpu', 'cuda' or 'hip'; got "
                            "%r" % (kind,))
        index = getattr(kind, "index", None)
        kind = type_ if index is None else "%s:%d" % (type_, index)
    kind = kind.strip().lower()
    if ":" in kind:
        kind, _, index = kind.partition(":")
        try:
            ordinal = int(index)
        except ValueError:
            raise ValueError("bad device %r: expected KIND or KIND:ORDINAL"
                             % (kind + ":" + index)) from None
    if kind not in _capi.DEVICE_KINDS:
        raise ValueError("unknown device kind %r (expected one of %s)"
                         % (kind, ", ".join(_capi.DEVICE_KINDS)))
    return kind, int(ordinal)


class Device(_Handle):
    """A device of the runtime: ``Device("cpu")``, ``Device("cuda", 0)`` (or
    ``Device("cuda:0")``, or a ``torch.device``). Opening a GPU device on a
    machine without its driver raises AttnError (``Unavailable``)."""

    _release_name = "attn_device_close"

    def __init__(self, kind="cpu", ordinal=0):
        super().__init__()
        self.kind, self.ordinal = _parse_device(kind, ordinal)
        lib = _capi.lib()
        handle = ctypes.c_void_p()
        _capi.check(lib.attn_device_open(_capi.DEVICE_KINDS[self.kind],
                                         self.ordinal, ctypes.byref(handle)))
        self._handle = handle.value
        self.name = _capi.decode(lib.attn_device_name(self._handle))

    def __repr__(self):
        return "attn.Device(%r)" % (self.name if self._handle else "closed")

    def synchronize(self):
        """Waits for the device's work (a no-op on the CPU)."""
        _capi.check(_capi.lib().attn_device_synchronize(self._get()))

    def load(self, path):
        """Loads a kernel bundle: ``Module(self, path)``."""
        return Module(self, path)

    # Raw memory, for users who manage device buffers without torch.

    def alloc(self, nbytes):
        """Allocates `nbytes` of device memory; returns its address (int)."""
        ptr = ctypes.c_void_p()
        _capi.check(_capi.lib().attn_alloc(self._get(), int(nbytes),
                                           ctypes.byref(ptr)))
        return ptr.value or 0

    def empty(self, shape, dtype="f32"):
        """An uninitialized DeviceTensor in this device's memory."""
        return DeviceTensor(self, shape, dtype)

    def to_device(self, tensor):
        """A DeviceTensor holding a copy of host `tensor` (an attn.Tensor,
        or nested lists of f32)."""
        if not isinstance(tensor, Tensor):
            tensor = Tensor.from_list(tensor, "f32")
        out = DeviceTensor(self, tensor.shape, tensor.dtype)
        out.copy_from(tensor)
        return out

    def free(self, ptr):
        _capi.check(_capi.lib().attn_free(self._get(), ptr))

    def copy_to_device(self, dst, src, nbytes):
        """Copies `nbytes` from host address (or attn.Tensor) `src` to
        device address `dst`."""
        _capi.check(_capi.lib().attn_memcpy_h2d(
            self._get(), _address(dst), _address(src), int(nbytes)))

    def copy_to_host(self, dst, src, nbytes):
        _capi.check(_capi.lib().attn_memcpy_d2h(
            self._get(), _address(dst), _address(src), int(nbytes)))

    def copy_on_device(self, dst, src, nbytes):
        _capi.check(_capi.lib().attn_memcpy_d2d(
            self._get(), _address(dst), _address(src), int(nbytes)))

    def memset(self, dst, value, nbytes):
        _capi.check(_capi.lib().attn_memset(self._get(), _address(dst),
                                            int(value), int(nbytes)))


def _address(obj):
    if obj is None or isinstance(obj, int):
        return obj
    if hasattr(obj, "data_ptr"):
        return obj.data_ptr()
    raise TypeError("expected an address (int) or a tensor; got %s"
                    % type(obj).__name__)


class DeviceTensor:
    """A contiguous tensor in a device's memory (for GPU users without
    torch): ``device.empty(shape, dtype)``, ``device.to_device(host)``;
    ``copy_from(host)``/``to_host()`` move data through attn.Tensor. The
    memory is freed by ``free()`` or when the object is collected. On the
    CPU device it is host memory, like attn.Tensor."""

    def __init__(self, device, shape, dtype="f32"):
        self.device = device
        self.dtype = _dtypes.canonical(dtype)
        self.shape = tuple(int(d) for d in shape)
        if any(d < 0 for d in self.shape):
            raise ValueError("negative dimension in shape %s"
                             % (list(self.shape),))
        n = 1
        for d in self.shape:
            n *= d
        self.nbytes = n * _dtypes.size(self.dtype)
        self._ptr = device.alloc(max(self.nbytes, 1))

    def data_ptr(self):
        if self._ptr is None:
            raise AttnError(_capi.FAILED_PRECONDITION,
                            "DeviceTensor was freed")
        return self._ptr

    def is_contiguous(self):
        return True

    def _attn_tensor(self):
        """(address, dtype, shape, location) for the C API."""
        where = "host" if self.device.kind == "cpu" else self.device.kind
        return (self.data_ptr(), self.dtype, self.shape,
                (where, None if where == "host" else self.device.ordinal))

    def copy_from(self, host):
        """Copies an attn.Tensor of the same shape and dtype in."""
        self._check_same(host)
        self.device.copy_to_device(self.data_ptr(), host.data_ptr(),
                                   self.nbytes)
        return self

    def to_host(self):
        """A copy in a new attn.Tensor (waits for the copy)."""
        host = Tensor(self.shape, self.dtype)
        self.device.copy_to_host(host.data_ptr(), self.data_ptr(),
                                 self.nbytes)
        return host

    def tolist(self):
        return self.to_host().tolist()

    def zero_(self):
        self.device.memset(self.data_ptr(), 0, self.nbytes)
        return self

    def _check_same(self, host):
        if tuple(host.shape) != self.shape or host.dtype != self.dtype:
            raise _capi.invalid_argument(
                "cannot copy a %s tensor of shape %s into a %s DeviceTensor "
                "of shape %s" % (host.dtype, list(host.shape), self.dtype,
                                 list(self.shape)))

    def free(self):
        ptr, self._ptr = self._ptr, None
        if ptr is not None and self.device._handle is not None:
            self.device.free(ptr)

    def __del__(self):
        try:
            self.free()
        except Exception:
            pass

    def __repr__(self):
        return "attn.DeviceTensor(shape=%s, dtype=%s, device=%r)" % (
            list(self.shape), self.dtype, self.device.name)


class Module(_Handle):
    """A kernel bundle loaded on a device: on the CPU the ``.so`` that
    ``attn.compile`` writes; on a GPU a ``<stem>.ptx``/``.cubin``/``.fatbin``
    with ``<stem>.json`` beside it.

    ``kernels``: {name: manifest entry (a dict)}, in manifest order;
    ``kernel_names``; ``manifest``: the whole manifest (a dict)."""

    _release_name = "attn_module_unload"

    def __init__(self, device, path):
        super().__init__()
        if not isinstance(device, Device):
            raise TypeError("Module(device, path): device must be an "
                            "attn.Device; got %s" % type(device).__name__)
        self.device = device
        self.path = str(path)
        lib = _capi.lib()
        handle = ctypes.c_void_p()
        _capi.check(lib.attn_module_load(device._get(),
                                         self.path.encode("utf-8"),
                                         ctypes.byref(handle)))
        self._handle = handle.value
        self.manifest = json.loads(_capi.decode(
            lib.attn_module_manifest(self._handle)))
        self.kernels = {}
        count = lib.attn_module_num_kernels(self._handle)
        for i in range(count):
            name = lib.attn_module_kernel_name(self._handle, i)
            text = lib.attn_module_kernel_json(self._handle, i)
            if name is None or text is None:
                _capi.check(_capi.INTERNAL)
            self.kernels[_capi.decode(name)] = json.loads(_capi.decode(text))

    @property
    def kernel_names(self):
        return list(self.kernels)

    def __contains__(self, name):
        return name in self.kernels

    def __repr__(self):
        return "attn.Module(%r, kernels=%s)" % (self.path, self.kernel_names)

    def _only(self, kind):
        names = [n for n, k in self.kernels.items() if k.get("kind") == kind]
        if len(names) != 1:
            raise AttnError(_capi.INVALID_ARGUMENT,
                            "module '%s' has %d %s kernels (%s); name the one "
                            "to use" % (self.path, len(names), kind,
                                        ", ".join(names) or "none"))
        return names[0]

    def attention(self, name=None, max_num_tokens=0):
        return Attention(self, name, max_num_tokens)

    def cache_write(self, name=None):
        return CacheWrite(self, name)


class _Kernel(_Handle):
    _kind = None

    def __init__(self, module, name):
        super().__init__()
        # A kernel object must not run on two threads at once (the split-KV
        # workspace is shared); ctypes releases the GIL, so calls are
        # serialized here.
        self._run_lock = threading.Lock()
        if not isinstance(module, Module):
            raise TypeError("%s(module, ...): module must be an attn.Module; "
                            "got %s" % (type(self).__name__,
                                        type(module).__name__))
        module._get()
        self.module = module
        self.device = module.device
        self.name = module._only(self._kind) if name is None else str(name)

    def _finish_create(self, status, handle):
        _capi.check(status)
        self._handle = handle.value
        self.info = self.module.kernels[self.name]

    def _prepare(self, args, tensors, stream):
        """Fills the tensor fields of the C struct `args` from `tensors`
        ([(field, object, writable)]); returns the stream handle."""
        kind, ordinal = self.device.kind, self.device.ordinal
        torch_device = None
        for field, obj, writable in tensors:
            adapted = _adapt.adapt(field, obj, writable)
            if adapted is None:
                continue
            _adapt.check_location(field, adapted, kind, ordinal)
            if torch_device is None:
                torch_device = adapted.torch_device
            setattr(args, field, adapted.c)
        if kind == "cpu":
            return None
        if stream is None and torch_device is not None:
            return _adapt.torch_current_stream(torch_device)
        return _adapt.stream_handle(stream)

    # Manifest fields as attributes.
    def _field(self, key, default=None):
        return self.info.get(key, default)

    @property
    def kv_heads(self):
        return self.info["kv_heads"]

    @property
    def head_size(self):
        return self.info["head_size"]

    @property
    def head_size_v(self):
        return self.info.get("head_size_v", self.info["head_size"])

    @property
    def block_size(self):
        return self.info.get("block_size")

    @property
    def dtype(self):
        return self.info["dtype"]

    @property
    def kv_dtype(self):
        return self.info["kv_dtype"]

    def __repr__(self):
        return "attn.%s(%r)" % (type(self).__name__, self.name)


def _path_code(path):
    if isinstance(path, int) and not isinstance(path, bool):
        return path  # the runtime rejects unknown values
    try:
        return _capi.PATHS[str(path).lower()]
    except KeyError:
        raise ValueError("path must be 'auto', '2d', 'split' or '2d_wide'; "
                         "got %r" % (path,)) from None


class Attention(_Kernel):
    """An attention kernel of a module: ``Attention(module, name,
    max_num_tokens)``. `name` may be None when the module has one attention
    kernel. `max_num_tokens` sizes the split-KV workspace (allocated once,
    here); 0 allocates none and always takes the 2D path.

    Calling it runs the kernel on one batch (vLLM conventions, see
    docs/Runtime.md) and returns `out`. For ``kv=varlen`` variants pass k and
    v as `k_cache`/`v_cache`, None for `block_table` and `seq_lens`, and
    `cu_seqlens_k`."""

    _release_name = "attn_attention_destroy"
    _kind = "attention"

    def __init__(self, module, name=None, max_num_tokens=0):
        super().__init__(module, name)
        self.max_num_tokens = int(max_num_tokens)
        handle = ctypes.c_void_p()
        status = _capi.lib().attn_attention_create(
            self.device._get(), module._get(), self.name.encode("utf-8"),
            self.max_num_tokens, ctypes.byref(handle))
        self._finish_create(status, handle)

    @property
    def heads(self):
        return self.info["heads"]

    @property
    def out_dtype(self):
        return self.info.get("out_dtype", self.info["dtype"])

    @property
    def kv_layout(self):
        return self.info.get("kv_layout", "paged")

    @property
    def segments(self):
        return self.info.get("segments", 0)

    @property
    def last_path(self):
        """'2d' or 'split': the path of the last successful call (None
        before one)."""
        code = _capi.lib().attn_attention_last_path(self._get())
        return _capi.PATH_NAMES.get(code) if code > 0 else None

    def __call__(self, q, k_cache, v_cache, block_table, seq_lens,
                 cu_seqlens_q, out, *, sinks=None, alibi_slopes=None,
                 mm_prefix_ranges=None, qq_bias=None, k_scale=None,
                 v_scale=None, out_scale=None, lse=None, cu_seqlens_k=None,
                 path="auto", stream=None, num_seqs=None, max_seq_len=None,
                 total_seq_len=None):
        args = _capi.AttentionArgs()
        tensors = [
            ("q", q, False), ("k_cache", k_cache, False),
            ("v_cache", v_cache, False), ("block_table", block_table, False),
            ("seq_lens", seq_lens, False),
            ("cu_seqlens_q", cu_seqlens_q, False),
            ("cu_seqlens_k", cu_seqlens_k, False), ("sinks", sinks, False),
            ("alibi_slopes", alibi_slopes, False),
            ("mm_prefix_ranges", mm_prefix_ranges, False),
            ("qq_bias", qq_bias, False), ("k_scale", k_scale, False),
            ("v_scale", v_scale, False), ("out_scale", out_scale, False),
            ("out", out, True), ("lse", lse, True),
        ]
        stream = self._prepare(args, tensors, stream)
        args.num_seqs = -1 if num_seqs is None else int(num_seqs)
        args.max_seq_len = 0 if max_seq_len is None else int(max_seq_len)
        args.path = _path_code(path)
        total = 0 if total_seq_len is None else int(total_seq_len)
        # a hint: past the C API's int32 it is given as unknown
        args.total_seq_len = total if total < 2 ** 31 else 0
        args.stream = stream
        lib = _capi.lib()
        with self._run_lock:
            # the status and attn_last_error() are read on this thread
            _capi.check(lib.attn_attention_run(self._get(),
                                               ctypes.byref(args)))
        return out


class CacheWrite(_Kernel):
    """A cache-write kernel of a module: ``CacheWrite(module, name)`` (name
    may be None when the module has one). Calling it writes `key` and
    `value` rows into the paged caches at `slot_mapping` (i64, -1 skips)."""

    _release_name = "attn_cache_write_destroy"
    _kind = "cache_write"

    def __init__(self, module, name=None):
        super().__init__(module, name)
        handle = ctypes.c_void_p()
        status = _capi.lib().attn_cache_write_create(
            self.device._get(), module._get(), self.name.encode("utf-8"),
            ctypes.byref(handle))
        self._finish_create(status, handle)

    def __call__(self, key, value, k_cache, v_cache, slot_mapping, *,
                 k_scale=None, v_scale=None, stream=None):
        args = _capi.CacheWriteArgs()
        tensors = [
            ("key", key, False), ("value", value, False),
            ("k_cache", k_cache, True), ("v_cache", v_cache, True),
            ("slot_mapping", slot_mapping, False),
            ("k_scale", k_scale, False), ("v_scale", v_scale, False),
        ]
        args.stream = self._prepare(args, tensors, stream)
        lib = _capi.lib()
        with self._run_lock:
            _capi.check(lib.attn_cache_write_run(self._get(),
                                                 ctypes.byref(args)))
        return k_cache, v_cache
