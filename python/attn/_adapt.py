"""Turning user tensors into the C API's ``attn_tensor_t``.

Accepted, without importing any of their libraries:

* PyTorch tensors (duck-typed: ``data_ptr()``, ``shape``, ``dtype``,
  ``is_contiguous()``, ``device``);
* ``attn.Tensor`` (host) and ``attn.DeviceTensor`` (device memory);
* objects with ``__array_interface__`` (numpy arrays, host memory) or
  ``__cuda_array_interface__`` (CuPy, Numba: device memory).

Every tensor must be contiguous and row-major (the runtime reads it as such),
of rank <= 4, of a dtype the runtime knows, and live where the device can
read it: host memory for the CPU device, that GPU's memory for a GPU device.
"""

import sys

from . import _capi, _dtypes
from .tensor import Tensor as _AttnTensor

_TORCH_DTYPES = {
    "torch.float32": "f32",
    "torch.float16": "f16",
    "torch.bfloat16": "bf16",
    "torch.float8_e4m3fn": "fp8_e4m3",
    "torch.float8_e5m2": "fp8_e5m2",
    "torch.float8_e4m3fnuz": "fp8_e4m3fnuz",
    "torch.float8_e5m2fnuz": "fp8_e5m2fnuz",
    "torch.int8": "i8",
    "torch.uint8": "u8",
    "torch.int32": "i32",
    "torch.int64": "i64",
}

# numpy typestr (byte order stripped) -> dtype; 'V2'/'V1' are resolved by
# the dtype's name (ml_dtypes' bfloat16, float8_e4m3fn, float8_e5m2,
# float8_e4m3fnuz, float8_e5m2fnuz).
_TYPESTR = {
    "f4": "f32", "f2": "f16", "i1": "i8", "u1": "u8", "i4": "i32", "i8": "i64",
    "b1": None,
}
_NUMPY_NAMES = {"bfloat16": "bf16", "float8_e4m3fn": "fp8_e4m3",
                "float8_e5m2": "fp8_e5m2", "float8_e4m3fnuz": "fp8_e4m3fnuz",
                "float8_e5m2fnuz": "fp8_e5m2fnuz"}


class Adapted:
    """One converted tensor: the C struct and where its memory lives
    (``("host", None)`` or ``("cuda", ordinal)``; ordinal None = unknown)."""

    __slots__ = ("c", "location", "torch_device")

    def __init__(self, c, location, torch_device=None):
        self.c = c
        self.location = location
        self.torch_device = torch_device


def _shape_of(name, shape):
    shape = tuple(int(d) for d in shape)
    if len(shape) > _capi.MAX_RANK:
        raise _capi.invalid_argument(
            "%s has %d dims %s; the runtime takes tensors of at most %d dims"
            % (name, len(shape), list(shape), _capi.MAX_RANK))
    return shape


def _make(data, dtype, shape):
    c = _capi.Tensor()
    c.data = data or None
    c.dtype = _dtypes.code(dtype)
    c.rank = len(shape)
    for i, d in enumerate(shape):
        c.shape[i] = d
    return c


def _contiguous_strides(shape, itemsize):
    strides, step = [], itemsize
    for d in reversed(shape):
        strides.append(step)
        step *= max(d, 1)
    return tuple(reversed(strides))


def _is_torch(obj):
    """A torch.Tensor (or a subclass: nn.Parameter, user subclasses)."""
    return any(c.__name__ == "Tensor" and c.__module__ == "torch"
               for c in type(obj).__mro__)


def _from_torch(name, t, writable):
    dtype = _TORCH_DTYPES.get(str(t.dtype))
    if dtype is None:
        raise _capi.invalid_argument(
            "%s has torch dtype %s, which the attn runtime does not take "
            "(supported: %s)" % (name, t.dtype, ", ".join(_TORCH_DTYPES)))
    if getattr(t, "is_sparse", False) or getattr(t, "is_quantized", False):
        raise _capi.invalid_argument("%s is a sparse or quantized torch "
                                     "tensor; pass a dense one" % name)
    shape = _shape_of(name, t.shape)
    if not t.is_contiguous():
        raise _capi.invalid_argument(
            "%s is not contiguous (shape %s, strides %s); the runtime reads "
            "row-major contiguous tensors: pass %s.contiguous()"
            % (name, list(shape), list(t.stride()), name))
    dev = t.device
    if dev.type == "cpu":
        location = ("host", None)
    elif dev.type == "cuda":
        location = ("cuda", dev.index)
    else:
        raise _capi.invalid_argument(
            "%s is on torch device %s; the attn runtime reads CPU and CUDA "
            "tensors" % (name, dev))
    return Adapted(_make(t.data_ptr(), dtype, shape), location,
                   dev if dev.type == "cuda" else None)


def _dtype_from_interface(name, obj, typestr):
    kind = typestr[1:] if typestr[:1] in "<>|=" else typestr
    if typestr[:1] == ">" and kind not in ("i1", "u1"):
        raise _capi.invalid_argument("%s is big-endian (%s); the runtime "
                                     "reads native byte order" % (name, typestr))
    if kind in ("V2", "V1"):
        dtype_name = str(getattr(getattr(obj, "dtype", None), "name", ""))
        if dtype_name in _NUMPY_NAMES:
            return _NUMPY_NAMES[dtype_name]
    dtype = _TYPESTR.get(kind)
    if dtype is None:
        raise _capi.invalid_argument(
            "%s has element type %r (%s), which the attn runtime does not "
            "take (supported: float32, float16, bfloat16, float8_e4m3fn, "
            "float8_e5m2, float8_e4m3fnuz, float8_e5m2fnuz, int8, uint8, "
            "int32, int64)"
            % (name, str(getattr(obj, "dtype", typestr)), typestr))
    return dtype


def _from_interface(name, obj, iface, writable, location):
    dtype = _dtype_from_interface(name, obj, iface["typestr"])
    shape = _shape_of(name, iface["shape"])
    strides = iface.get("strides")
    if strides is not None and 0 not in shape:
        expected = _contiguous_strides(shape, _dtypes.size(dtype))
        significant = [(s, e) for s, e, d in zip(strides, expected, shape)
                       if d > 1]
        if any(s != e for s, e in significant):
            raise _capi.invalid_argument(
                "%s is not contiguous (shape %s, byte strides %s); the runtime "
                "reads row-major contiguous arrays: pass a C-contiguous copy "
                "(numpy.ascontiguousarray)" % (name, list(shape),
                                               list(strides)))
    if iface.get("mask") is not None:
        raise _capi.invalid_argument("%s is a masked array" % name)
    data, readonly = iface["data"]
    if writable and readonly:
        raise _capi.invalid_argument("%s is read-only, but the kernel writes "
                                     "it" % name)
    return Adapted(_make(data, dtype, shape), location)


def adapt(name, obj, writable=False):
    """Converts `obj` (None, or a tensor of a supported kind) for argument
    `name`. Returns None for None."""
    if obj is None:
        return None
    if isinstance(obj, _AttnTensor):
        return Adapted(_make(obj.data_ptr(), obj.dtype,
                             _shape_of(name, obj.shape)), ("host", None))
    describe = getattr(obj, "_attn_tensor", None)  # attn.DeviceTensor
    if describe is not None:
        data, dtype, shape, location = describe()
        return Adapted(_make(data, dtype, _shape_of(name, shape)), location)
    if _is_torch(obj):
        return _from_torch(name, obj, writable)
    iface = getattr(obj, "__cuda_array_interface__", None)
    if iface is not None:
        return _from_interface(name, obj, iface, writable, ("cuda", None))
    iface = getattr(obj, "__array_interface__", None)
    if iface is not None:
        return _from_interface(name, obj, iface, writable, ("host", None))
    raise _capi.invalid_argument(
        "%s is a %s; expected a torch tensor, a numpy array or an attn.Tensor"
        % (name, type(obj).__name__))


def check_location(name, adapted, device_kind, device_ordinal):
    """Rejects memory the device cannot read (it would crash the process or
    read garbage): host memory on a GPU device, GPU memory on the CPU."""
    where, ordinal = adapted.location
    if device_kind == "cpu":
        if where != "host":
            raise _capi.invalid_argument(
                "%s is in GPU memory (%s:%s), but the kernel runs on the CPU "
                "device; pass a CPU tensor" % (name, where,
                                               "?" if ordinal is None
                                               else ordinal))
    else:
        if where == "host":
            raise _capi.invalid_argument(
                "%s is in host memory, but the kernel runs on %s:%d; pass a "
                "tensor on that GPU" % (name, device_kind, device_ordinal))
        if ordinal is not None and ordinal != device_ordinal:
            raise _capi.invalid_argument(
                "%s is on %s:%d, but the kernel runs on %s:%d"
                % (name, where, ordinal, device_kind, device_ordinal))


def torch_current_stream(torch_device):
    """The current stream of torch on `torch_device` as an int, or None."""
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is None or not hasattr(cuda, "current_stream"):
        return None
    try:
        return int(cuda.current_stream(torch_device).cuda_stream) or None
    except Exception:  # an old torch, or no CUDA: the default stream
        return None


def stream_handle(stream):
    """An int (or None) from a stream argument: None, an int, a
    torch.cuda.Stream (``cuda_stream``), a CuPy stream (``ptr``), or a
    ctypes pointer."""
    if stream is None:
        return None
    if isinstance(stream, int):
        return stream or None
    for attr in ("cuda_stream", "ptr", "handle"):
        value = getattr(stream, attr, None)
        if isinstance(value, int):
            return value or None
    value = getattr(stream, "value", None)  # ctypes.c_void_p
    if value is None or isinstance(value, int):
        return value or None
    raise TypeError("stream must be None, an int handle, a torch.cuda.Stream "
                    "or a ctypes pointer; got %s" % type(stream).__name__)
