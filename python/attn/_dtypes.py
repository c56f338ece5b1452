"""Element types of the attn runtime, and pure-Python conversions.

The names and codes are those of the C API (``ATTN_DTYPE_*`` in
``attn-c/Runtime.h``): ``f32 f16 bf16 fp8_e4m3 fp8_e5m2 i8 u8 i32 i64
fp8_e4m3fnuz fp8_e5m2fnuz``. fp8_e4m3 / fp8_e5m2 are the OCP formats
(torch's float8_e4m3fn / float8_e5m2); fp8_e4m3fnuz / fp8_e5m2fnuz are AMD
MI300's (torch's float8_e4m3fnuz / float8_e5m2fnuz: exponent bias 8 / 16, no
infinity, no negative zero, 0x80 the only NaN). The conversions (bf16 and
the fp8 formats to and from Python floats) let users without numpy or torch
fill and read buffers of any type.
"""

import bisect
import math
import struct

# name -> (C API code, size in bytes)
_DTYPES = {
    "f32": (0, 4),
    "f16": (1, 2),
    "bf16": (2, 2),
    "fp8_e4m3": (3, 1),
    "fp8_e5m2": (4, 1),
    "i8": (5, 1),
    "u8": (6, 1),
    "i32": (7, 4),
    "i64": (8, 8),
    "fp8_e4m3fnuz": (9, 1),
    "fp8_e5m2fnuz": (10, 1),
}
_BY_CODE = {code: name for name, (code, _) in _DTYPES.items()}

# Other spellings accepted wherever a dtype name is (torch/numpy style).
_ALIASES = {
    "float32": "f32", "float": "f32", "fp32": "f32",
    "float16": "f16", "half": "f16", "fp16": "f16",
    "bfloat16": "bf16",
    "float8_e4m3fn": "fp8_e4m3", "e4m3": "fp8_e4m3",
    "float8_e5m2": "fp8_e5m2", "e5m2": "fp8_e5m2",
    "float8_e4m3fnuz": "fp8_e4m3fnuz", "e4m3fnuz": "fp8_e4m3fnuz",
    "float8_e5m2fnuz": "fp8_e5m2fnuz", "e5m2fnuz": "fp8_e5m2fnuz",
    "int8": "i8", "uint8": "u8", "int32": "i32", "int64": "i64",
}

FP8_DTYPES = ("fp8_e4m3", "fp8_e5m2", "fp8_e4m3fnuz", "fp8_e5m2fnuz")
FNUZ_DTYPES = ("fp8_e4m3fnuz", "fp8_e5m2fnuz")
FLOAT_DTYPES = ("f32", "f16", "bf16") + FP8_DTYPES
INT_DTYPES = ("i8", "u8", "i32", "i64")

# struct format of one stored element (native byte order, as the device
# reads it); bf16 and fp8 are stored as their raw bits.
_STRUCT = {
    "f32": "f", "f16": "e", "bf16": "H", "fp8_e4m3": "B", "fp8_e5m2": "B",
    "fp8_e4m3fnuz": "B", "fp8_e5m2fnuz": "B",
    "i8": "b", "u8": "B", "i32": "i", "i64": "q",
}
_INT_RANGE = {
    "i8": (-(1 << 7), (1 << 7) - 1),
    "u8": (0, (1 << 8) - 1),
    "i32": (-(1 << 31), (1 << 31) - 1),
    "i64": (-(1 << 63), (1 << 63) - 1),
}


def names():
    """The dtype names, in C API code order."""
    return [_BY_CODE[c] for c in sorted(_BY_CODE)]


def canonical(dtype):
    """The canonical name of `dtype` (a name, an alias, or a C API code)."""
    if isinstance(dtype, int) and not isinstance(dtype, bool):
        if dtype in _BY_CODE:
            return _BY_CODE[dtype]
        raise ValueError("unknown attn dtype code %d" % dtype)
    if isinstance(dtype, str):
        name = dtype.strip().lower()
        if name.startswith("torch."):
            name = name[len("torch."):]
        name = _ALIASES.get(name, name)
        if name in _DTYPES:
            return name
    raise ValueError("unknown attn dtype %r (expected one of %s)"
                     % (dtype, " ".join(names())))


def code(dtype):
    return _DTYPES[canonical(dtype)][0]


def size(dtype):
    return _DTYPES[canonical(dtype)][1]


def struct_char(dtype):
    return _STRUCT[canonical(dtype)]


# --- bf16 -------------------------------------------------------------------

def _f32_bits(x):
    """The IEEE float32 bits of the float32 nearest to `x` (inf on overflow)."""
    try:
        return struct.unpack("<I", struct.pack("<f", x))[0]
    except OverflowError:
        return 0xFF800000 if x < 0 else 0x7F800000


def float_to_bf16_bits(x):
    """Rounds `x` to bfloat16 (round to nearest even) and returns its bits."""
    x = float(x)
    if math.isnan(x):
        return 0x7FC0
    if x != 0 and math.isfinite(x):
        # Round the double directly (rounding through float32 first could
        # round twice): bf16 keeps 8 significant bits, and its subnormals
        # are multiples of 2^-133. round() rounds halves to even.
        quantum = max(math.ldexp(1.0, math.frexp(x)[1] - 8), 2.0 ** -133)
        x = math.copysign(round(abs(x) / quantum) * quantum, x)
        if abs(x) >= 2.0 ** 128:
            x = math.copysign(math.inf, x)
    # x is now a bf16 value (or inf/zero): its float32 bits end in 16 zeros.
    return _f32_bits(x) >> 16


def bf16_bits_to_float(bits):
    return struct.unpack("<f", struct.pack("<I", (bits & 0xFFFF) << 16))[0]


def round_to_bf16(x):
    """`x` rounded to the nearest bfloat16 value, as a Python float."""
    return bf16_bits_to_float(float_to_bf16_bits(x))


# --- fp8 --------------------------------------------------------------------

def _fp8_decoder(exp_bits, man_bits, bias, has_inf, fnuz=False):
    table = []
    for b in range(256):
        sign = -1.0 if b & 0x80 else 1.0
        e = (b >> man_bits) & ((1 << exp_bits) - 1)
        m = b & ((1 << man_bits) - 1)
        emax = (1 << exp_bits) - 1
        if fnuz:
            if b == 0x80:
                v = math.nan  # fnuz: the negative-zero pattern is the NaN
            elif e == 0:
                v = sign * math.ldexp(m, 1 - bias - man_bits)
            else:  # every exponent is finite
                v = sign * math.ldexp((1 << man_bits) + m,
                                      e - bias - man_bits)
        elif has_inf and e == emax:
            v = sign * math.inf if m == 0 else math.nan
        elif not has_inf and e == emax and m == (1 << man_bits) - 1:
            v = math.nan  # e4m3fn: only S.1111.111 is NaN, no inf
        elif e == 0:
            v = sign * math.ldexp(m, 1 - bias - man_bits)
        else:
            v = sign * math.ldexp((1 << man_bits) + m, e - bias - man_bits)
        table.append(v)
    return table


_FP8_DECODE = {
    "fp8_e4m3": _fp8_decoder(4, 3, 7, has_inf=False),
    "fp8_e5m2": _fp8_decoder(5, 2, 15, has_inf=True),
    "fp8_e4m3fnuz": _fp8_decoder(4, 3, 8, has_inf=False, fnuz=True),
    "fp8_e5m2fnuz": _fp8_decoder(5, 2, 16, has_inf=False, fnuz=True),
}
# Non-negative finite values in increasing order, with their codes.
_FP8_POSITIVE = {}
for _name, _table in _FP8_DECODE.items():
    _pairs = sorted((v, b) for b, v in enumerate(_table)
                    if b < 0x80 and math.isfinite(v))
    _FP8_POSITIVE[_name] = ([v for v, _ in _pairs], [b for _, b in _pairs])


def fp8_bits_to_float(bits, dtype):
    return _FP8_DECODE[canonical(dtype)][bits & 0xFF]


def _fp8_magnitude(a, name):
    """The code of finite `a` >= 0 rounded to the fp8 format `name` (nearest,
    ties to even), or None past the largest finite value (the tie with the
    next binade included when the top code is odd)."""
    values, codes = _FP8_POSITIVE[name]
    top = values[-1]
    # The boundary above the largest finite value: half an ulp of the top.
    half_ulp = (top - values[-2]) / 2
    if a > top + half_ulp or (a == top + half_ulp and codes[-1] & 1):
        return None
    i = bisect.bisect_left(values, a)
    if i == len(values):
        return codes[-1]
    if values[i] == a or i == 0:
        return codes[i]
    lo, hi = values[i - 1], values[i]
    if a - lo < hi - a:
        return codes[i - 1]
    if a - lo > hi - a:
        return codes[i]
    return codes[i - 1] if codes[i - 1] % 2 == 0 else codes[i]


def float_to_fp8_bits(x, dtype):
    """Rounds `x` to the fp8 format (nearest, ties to even). Values beyond the
    largest finite one become NaN for fp8_e4m3 (it has no inf, as torch's
    float8_e4m3fn) and inf for fp8_e5m2. The fnuz formats (as torch's
    float8_e4m3fnuz / float8_e5m2fnuz) have no inf and no negative zero:
    NaN, +-inf and values beyond the largest finite one (240 / 57344) give
    0x80 (NaN); -0.0 and negative values that round to zero give 0x00."""
    name = canonical(dtype)
    x = float(x)
    fnuz = name in FNUZ_DTYPES
    if math.isnan(x):
        return 0x80 if fnuz else 0x7F
    sign = 0x80 if math.copysign(1.0, x) < 0 else 0
    a = abs(x)
    code = None if math.isinf(a) else _fp8_magnitude(a, name)
    if code is None:
        if fnuz:
            return 0x80
        return sign | (0x7C if name == "fp8_e5m2" else 0x7F)
    if fnuz and code == 0:
        return 0  # no negative zero
    return sign | code


# --- element encode/decode ----------------------------------------------------

def encoder(dtype):
    """A function mapping a Python number to the stored value of `dtype`."""
    name = canonical(dtype)
    if name == "bf16":
        return float_to_bf16_bits
    if name in FP8_DTYPES:
        return lambda x: float_to_fp8_bits(x, name)
    if name in _INT_RANGE:
        lo, hi = _INT_RANGE[name]

        def to_int(x):
            if isinstance(x, float):
                if not x.is_integer():
                    raise ValueError("%r is not an integer (dtype %s)"
                                     % (x, name))
                x = int(x)
            x = int(x)
            if not lo <= x <= hi:
                raise ValueError("%d is out of range for dtype %s" % (x, name))
            return x
        return to_int
    if name == "f16":
        def to_f16(x):
            try:
                struct.pack("<e", x)
                return float(x)
            except OverflowError:
                return math.copysign(math.inf, x)
        return to_f16
    if name == "f32":
        def to_f32(x):
            try:
                struct.pack("<f", x)
                return float(x)
            except OverflowError:
                return math.copysign(math.inf, x)
        return to_f32
    raise AssertionError(name)


def decoder(dtype):
    """A function mapping a stored value of `dtype` to a Python number, or
    None when the stored value is already the number."""
    name = canonical(dtype)
    if name == "bf16":
        return bf16_bits_to_float
    if name in FP8_DTYPES:
        table = _FP8_DECODE[name]
        return lambda b: table[b]
    return None
