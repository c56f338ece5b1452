"""``attn.Tensor``: a small host tensor for users without torch or numpy.

A contiguous, row-major buffer in host memory (aligned to 64 bytes) with a
shape and an attn dtype. It is what the CPU device reads and writes; build
one from Python lists and read results back as lists::

    q = attn.Tensor.from_list(rows, dtype="bf16")     # nested lists
    k = attn.Tensor.zeros((num_blocks, 16, 8, 128), "bf16")
    ...
    out.tolist()                                      # nested Python floats

bf16 and fp8 values are converted with round-to-nearest-even; ``tolist()``
returns the exact values they hold. ``raw=True`` reads or writes the stored
bits instead (for bf16, fp8 and the per-token-head int8 layout).
"""

import ctypes
import struct

from . import _dtypes

_ALIGN = 64


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _normalize_shape(shape):
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(d) for d in shape)
    if any(d < 0 for d in shape):
        raise ValueError("negative dimension in shape %s" % (list(shape),))
    return shape


def _infer_shape(data):
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        if not data:
            break
        data = data[0]
    return tuple(shape)


def _flatten(data, shape, depth=0, out=None):
    if out is None:
        out = []
    if depth == len(shape):
        if isinstance(data, (list, tuple)):
            raise ValueError("nested lists are deeper than the shape %s"
                             % (list(shape),))
        out.append(data)
        return out
    if not isinstance(data, (list, tuple)) or len(data) != shape[depth]:
        raise ValueError("ragged nested lists: expected %d items at depth %d, "
                         "got %r" % (shape[depth], depth,
                                     len(data) if isinstance(data, (list, tuple))
                                     else type(data).__name__))
    for item in data:
        _flatten(item, shape, depth + 1, out)
    return out


def _nest(flat, shape):
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = _numel(shape[1:])
    return [_nest(flat[i * step:(i + 1) * step], shape[1:])
            for i in range(shape[0])]


class Tensor:
    """A contiguous host tensor: ``shape``, ``dtype`` (an attn dtype name),
    and a buffer at ``data_ptr()``. Views made by ``reshape`` share the
    buffer."""

    __slots__ = ("_storage", "_ptr", "_shape", "_dtype", "__weakref__")

    def __init__(self, shape, dtype="f32"):
        """A zero-filled tensor."""
        self._dtype = _dtypes.canonical(dtype)
        self._shape = _normalize_shape(shape)
        nbytes = self.numel * _dtypes.size(self._dtype)
        self._storage = (ctypes.c_uint8 * (nbytes + _ALIGN))()
        base = ctypes.addressof(self._storage)
        self._ptr = (base + _ALIGN - 1) // _ALIGN * _ALIGN

    # --- construction ---------------------------------------------------------

    @classmethod
    def zeros(cls, shape, dtype="f32"):
        return cls(shape, dtype)

    @classmethod
    def full(cls, shape, value, dtype="f32"):
        t = cls(shape, dtype)
        t.fill(value)
        return t

    @classmethod
    def from_list(cls, data, dtype="f32", shape=None, raw=False):
        """A tensor holding `data`: nested lists (the shape is inferred), or a
        flat sequence with `shape` given. Values are rounded to `dtype`
        (``raw=True``: `data` holds stored bits, e.g. bf16 as 16-bit
        integers)."""
        if shape is None:
            shape = _infer_shape(data)
            flat = _flatten(data, shape)
        else:
            shape = _normalize_shape(shape)
            flat = list(data)
            if flat and isinstance(flat[0], (list, tuple)):
                flat = _flatten(data, _infer_shape(data))
            if len(flat) != _numel(shape):
                raise ValueError("%d values do not fill shape %s (%d elements)"
                                 % (len(flat), list(shape), _numel(shape)))
        t = cls(shape, dtype)
        t.copy_from(flat, raw=raw)
        return t

    @classmethod
    def from_bytes(cls, data, shape, dtype):
        """A tensor whose buffer is a copy of `data` (bytes-like)."""
        t = cls(shape, dtype)
        data = memoryview(data).cast("B")
        if len(data) != t.nbytes:
            raise ValueError("%d bytes do not fill a %s tensor of shape %s "
                             "(%d bytes)" % (len(data), t.dtype,
                                             list(t.shape), t.nbytes))
        ctypes.memmove(t._ptr, bytes(data), t.nbytes)
        return t

    # --- properties (duck-typed like torch where it matters) -----------------

    @property
    def shape(self):
        return self._shape

    @property
    def dtype(self):
        return self._dtype

    @property
    def ndim(self):
        return len(self._shape)

    @property
    def numel(self):
        return _numel(self._shape)

    @property
    def itemsize(self):
        return _dtypes.size(self._dtype)

    @property
    def nbytes(self):
        return self.numel * self.itemsize

    @property
    def device(self):
        return "cpu"

    def data_ptr(self):
        return self._ptr

    def is_contiguous(self):
        return True

    def __len__(self):
        if not self._shape:
            raise TypeError("len() of a 0-d tensor")
        return self._shape[0]

    def __repr__(self):
        return "attn.Tensor(shape=%s, dtype=%s)" % (list(self._shape),
                                                    self._dtype)

    # --- views ------------------------------------------------------------

    def reshape(self, *shape):
        """A view with another shape (same number of elements); one dim may
        be -1."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = tuple(shape[0])
        shape = list(shape)
        if shape.count(-1) > 1:
            raise ValueError("only one dim may be -1")
        if -1 in shape:
            rest = _numel([d for d in shape if d != -1])
            if rest == 0 or self.numel % rest:
                raise ValueError("cannot reshape %s into %s"
                                 % (list(self._shape), shape))
            shape[shape.index(-1)] = self.numel // rest
        shape = _normalize_shape(shape)
        if _numel(shape) != self.numel:
            raise ValueError("cannot reshape %s (%d elements) into %s"
                             % (list(self._shape), self.numel, list(shape)))
        view = Tensor.__new__(Tensor)
        view._storage, view._ptr = self._storage, self._ptr
        view._shape, view._dtype = shape, self._dtype
        return view

    def view_as(self, dtype):
        """A view of the same bytes as another dtype of the same size (e.g.
        an fp8 cache as u8)."""
        dtype = _dtypes.canonical(dtype)
        if _dtypes.size(dtype) != self.itemsize:
            raise ValueError("cannot view %s as %s: element sizes differ"
                             % (self._dtype, dtype))
        view = self.reshape(self._shape)
        view._dtype = dtype
        return view

    # --- element access -------------------------------------------------------

    def _buffer(self):
        return (ctypes.c_uint8 * self.nbytes).from_address(self._ptr)

    def _format(self):
        return "=%d%s" % (self.numel, _dtypes.struct_char(self._dtype))

    def to_flat(self, raw=False):
        """The elements in row-major order, as Python numbers (``raw=True``:
        the stored bits of bf16/fp8)."""
        if self.numel == 0:
            return []
        values = struct.unpack_from(self._format(), self._buffer())
        dec = None if raw else _dtypes.decoder(self._dtype)
        return [dec(v) for v in values] if dec else list(values)

    def tolist(self, raw=False):
        """The elements as nested lists of Python numbers (a number for a
        0-d tensor)."""
        return _nest(self.to_flat(raw=raw), self._shape)

    def copy_from(self, values, raw=False):
        """Overwrites the elements with `values` (a flat sequence of numel
        numbers, or nested lists of this shape)."""
        values = list(values)
        if values and isinstance(values[0], (list, tuple)):
            values = _flatten(values, self._shape)
        if len(values) != self.numel:
            raise ValueError("%d values for a tensor of %d elements"
                             % (len(values), self.numel))
        if self.numel == 0:
            return self
        if not raw or self._dtype in _dtypes.INT_DTYPES:
            enc = _dtypes.encoder(self._dtype)
            values = [enc(v) for v in values]
        struct.pack_into(self._format(), self._buffer(), 0, *values)
        return self

    def fill(self, value):
        enc = _dtypes.encoder(self._dtype)
        if self.numel:
            struct.pack_into(self._format(), self._buffer(), 0,
                             *([enc(value)] * self.numel))
        return self

    def zero_(self):
        ctypes.memset(self._ptr, 0, self.nbytes)
        return self

    def tobytes(self):
        return ctypes.string_at(self._ptr, self.nbytes)

    def __getitem__(self, index):
        """``t[i]`` of a tensor of rank >= 2 is a view of row i; of a rank-1
        tensor, element i as a Python number."""
        if not self._shape:
            raise IndexError("cannot index a 0-d tensor")
        if not isinstance(index, int):
            raise TypeError("attn.Tensor supports integer indices only")
        n = self._shape[0]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError("index %d out of range for dim 0 of size %d"
                             % (index, n))
        row = _numel(self._shape[1:])
        view = Tensor.__new__(Tensor)
        view._storage = self._storage
        view._ptr = self._ptr + index * row * self.itemsize
        view._shape, view._dtype = self._shape[1:], self._dtype
        if len(self._shape) == 1:
            return view.to_flat()[0]
        return view
