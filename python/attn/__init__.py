"""attn: compile LLM attention kernels and run them, from Python.

A thin layer over the runtime's C API (``libattnrt``, through ctypes) and
the ``attn-translate`` tool: no extension to build, any CPython 3, and
PyTorch tensors, numpy arrays or the built-in ``attn.Tensor`` as data::

    import attn
    path = attn.compile("heads=8,kv_heads=2,head_size=64,dtype=f32")
    dev = attn.Device("cpu")
    mod = attn.Module(dev, path)
    fwd = attn.Attention(mod, "attn", max_num_tokens=4096)
    fwd(q, k_cache, v_cache, block_table, seq_lens, cu_seqlens_q, out)

Errors of the runtime raise ``attn.AttnError`` (also ``attn.RuntimeError``;
a subclass of Python's RuntimeError) with the runtime's message and status
name; errors of the compiler raise ``attn.CompileError``. See
python/README.md.
"""

from ._capi import AttnError, library_path
from ._compiler import CompileError, compile, translate_path
from ._dtypes import round_to_bf16
from .runtime import Attention, CacheWrite, Device, DeviceTensor, Module
from .tensor import Tensor

# The name the docs use; shadows the builtin only as attn.RuntimeError.
RuntimeError = AttnError

__all__ = [
    "Attention", "AttnError", "CacheWrite", "CompileError", "Device",
    "DeviceTensor", "Module", "RuntimeError", "Tensor", "compile",
    "library_path", "round_to_bf16", "translate_path",
]

__version__ = "0.1.0"
