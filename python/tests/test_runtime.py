"""Tests of the attn Python package.

Runs with a bare CPython (no numpy, no torch, no pytest):

    ATTN_LIBRARY_PATH=build/lib/libattnrt.so \\
    ATTN_TRANSLATE=build/bin/attn-translate \\
    python3 -m unittest discover -s python/tests -v

(ctest runs it as the test `python`.) The runtime tests compile small f32
variants with attn.compile, run them on the CPU device and compare with a
double-precision reference written below; they are skipped, with the reason,
when attn-translate or libattnrt cannot be found. The torch and numpy tests
run only where those are importable.
"""

import math
import os
import random
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import attn  # noqa: E402

try:
    import torch  # noqa: F401
except ImportError:
    torch = None
try:
    import numpy  # noqa: F401
except ImportError:
    numpy = None

HEADS, KV_HEADS, HEAD_SIZE, BLOCK_SIZE = 4, 2, 32, 4
ATTN_SPEC = ("name=paged_f32,heads=%d,kv_heads=%d,head_size=%d,dtype=f32,"
             "block_size=%d" % (HEADS, KV_HEADS, HEAD_SIZE, BLOCK_SIZE))
WRITE_SPEC = ("name=write_f32,kind=cache_write,kv_heads=%d,head_size=%d,"
              "dtype=f32,block_size=%d" % (KV_HEADS, HEAD_SIZE, BLOCK_SIZE))
ATOL = 1e-5


# --- the reference ---------------------------------------------------------

def reference_attention(q, k_cache, v_cache, block_table, seq_lens,
                        cu_seqlens_q, scale):
    """Paged causal GQA attention in double precision, written for
    obviousness. Arguments are nested lists (vLLM layouts); the query
    tokens of a sequence are its last query_len positions."""
    heads, kv_heads = len(q[0]), len(k_cache[0][0])
    group = heads // kv_heads
    block_size = len(k_cache[0])
    out = [[[0.0] * len(v_cache[0][0][0]) for _ in range(heads)]
           for _ in range(len(q))]
    for s in range(len(seq_lens)):
        q_begin, q_end = cu_seqlens_q[s], cu_seqlens_q[s + 1]
        context = seq_lens[s] - (q_end - q_begin)
        for t in range(q_begin, q_end):
            i = context + (t - q_begin)  # the query's position
            for h in range(heads):
                kvh = h // group
                keys = [j for j in range(seq_lens[s]) if j <= i]  # causal
                if not keys:
                    continue
                scores, values = [], []
                for j in keys:
                    block = block_table[s][j // block_size]
                    k = k_cache[block][j % block_size][kvh]
                    scores.append(scale * sum(a * b for a, b in zip(q[t][h],
                                                                    k)))
                    values.append(v_cache[block][j % block_size][kvh])
                m = max(scores)
                weights = [math.exp(x - m) for x in scores]
                total = sum(weights)
                for d in range(len(out[t][h])):
                    out[t][h][d] = sum(w * v[d] for w, v in
                                       zip(weights, values)) / total
    return out


def max_abs_diff(a, b):
    if isinstance(a, list):
        assert len(a) == len(b), (len(a), len(b))
        return max((max_abs_diff(x, y) for x, y in zip(a, b)), default=0.0)
    return abs(a - b)


# --- a mixed batch -----------------------------------------------------------

class Batch:
    """A paged batch as attn.Tensors plus the same data as lists.

    `seqs` is [(seq_len, query_len)]; blocks are handed out in a shuffled
    order, and the blocks no sequence uses hold large values, so reading a
    wrong block shows."""

    def __init__(self, seqs, num_blocks, seed=0, dtype="f32"):
        rng = random.Random(seed)
        self.seqs = seqs
        blocks_needed = [-(-n // BLOCK_SIZE) for n, _ in seqs]
        assert sum(blocks_needed) <= num_blocks
        order = list(range(num_blocks))
        rng.shuffle(order)
        self.max_blocks = max(blocks_needed)
        self.block_table_list, used = [], set()
        for need in blocks_needed:
            row, order = order[:need], order[need:]
            used.update(row)
            self.block_table_list.append(row + [0] * (self.max_blocks - need))
        self.num_tokens = sum(q for _, q in seqs)
        self.cu_list = [0]
        for _, q in seqs:
            self.cu_list.append(self.cu_list[-1] + q)
        self.seq_lens_list = [n for n, _ in seqs]

        def rand(shape, fill=None):
            n = 1
            for d in shape:
                n *= d
            vals = [fill if fill is not None else rng.uniform(-1, 1)
                    for _ in range(n)]
            return attn.Tensor.from_list(vals, dtype, shape)

        cache_shape = (num_blocks, BLOCK_SIZE, KV_HEADS, HEAD_SIZE)
        self.q = rand((self.num_tokens, HEADS, HEAD_SIZE))
        self.k_cache = rand(cache_shape)
        self.v_cache = rand(cache_shape)
        for b in range(num_blocks):  # poison unused blocks
            if b not in used:
                self.k_cache[b].fill(100.0)
                self.v_cache[b].fill(-100.0)
        self.block_table = attn.Tensor.from_list(self.block_table_list, "i32")
        self.seq_lens = attn.Tensor.from_list(self.seq_lens_list, "i32")
        self.cu_seqlens_q = attn.Tensor.from_list(self.cu_list, "i32")
        self.out = attn.Tensor((self.num_tokens, HEADS, HEAD_SIZE), dtype)

    def args(self):
        return (self.q, self.k_cache, self.v_cache, self.block_table,
                self.seq_lens, self.cu_seqlens_q, self.out)

    def reference(self):
        return reference_attention(
            self.q.tolist(), self.k_cache.tolist(), self.v_cache.tolist(),
            self.block_table_list, self.seq_lens_list, self.cu_list,
            1.0 / math.sqrt(HEAD_SIZE))


# --- attn.Tensor and the dtype conversions (no runtime needed) ---------------

class TensorTest(unittest.TestCase):

    def test_round_trip_nested_lists(self):
        data = [[[1.5, -2.0], [3.25, 0.0]], [[4.0, 5.0], [6.0, 7.0]]]
        t = attn.Tensor.from_list(data, "f32")
        self.assertEqual(t.shape, (2, 2, 2))
        self.assertEqual(t.dtype, "f32")
        self.assertEqual(t.nbytes, 32)
        self.assertEqual(t.data_ptr() % 64, 0)
        self.assertEqual(t.tolist(), data)
        self.assertEqual(t[1].tolist(), data[1])
        self.assertEqual(t[1][0].tolist(), data[1][0])
        self.assertEqual(t.reshape(4, -1).tolist(),
                         [[1.5, -2.0], [3.25, 0.0], [4.0, 5.0], [6.0, 7.0]])

    def test_integers(self):
        t = attn.Tensor.from_list([0, -1, 2 ** 31 - 1], "i32")
        self.assertEqual(t.tolist(), [0, -1, 2 ** 31 - 1])
        t = attn.Tensor.from_list([[-1, 2 ** 40]], "i64")
        self.assertEqual(t.tolist(), [[-1, 2 ** 40]])
        with self.assertRaisesRegex(ValueError, "out of range"):
            attn.Tensor.from_list([300], "i8")
        with self.assertRaisesRegex(ValueError, "not an integer"):
            attn.Tensor.from_list([1.5], "i32")

    def test_shapes(self):
        self.assertEqual(attn.Tensor.from_list([1, 2, 3, 4, 5, 6], "f32",
                                               shape=(2, 3)).tolist(),
                         [[1, 2, 3], [4, 5, 6]])
        with self.assertRaisesRegex(ValueError, "ragged"):
            attn.Tensor.from_list([[1, 2], [3]], "f32")
        with self.assertRaisesRegex(ValueError, "do not fill"):
            attn.Tensor.from_list([1, 2, 3], "f32", shape=(2, 2))
        with self.assertRaisesRegex(ValueError, "cannot reshape"):
            attn.Tensor((2, 3)).reshape(4, 2)
        self.assertEqual(attn.Tensor((0, 4)).tolist(), [])
        with self.assertRaisesRegex(ValueError, "unknown attn dtype"):
            attn.Tensor((2,), "f64")

    def test_bf16(self):
        ulp = 2.0 ** -7  # bf16 keeps 7 fraction bits
        values = [1.0, 1.0 + ulp / 2, 1.0 + 3 * ulp / 2, -2.5, 3.0e38, 1e-3,
                  float("inf")]
        t = attn.Tensor.from_list(values, "bf16")
        got = t.tolist()
        self.assertEqual(got[0], 1.0)
        self.assertEqual(got[1], 1.0)                # tie: to even (down)
        self.assertEqual(got[2], 1.0 + 2 * ulp)      # tie: to even (up)
        self.assertEqual(got[3], -2.5)
        self.assertTrue(math.isinf(got[4]) or got[4] > 2.9e38)
        self.assertAlmostEqual(got[5], 1e-3, delta=1e-3 * ulp)
        self.assertEqual(got[6], float("inf"))
        self.assertEqual(t.tolist(raw=True)[:2], [0x3F80, 0x3F80])
        self.assertEqual(t.nbytes, 2 * len(values))
        self.assertEqual(attn.round_to_bf16(3.14159), 3.140625)
        self.assertTrue(math.isnan(attn.Tensor.from_list([float("nan")],
                                                         "bf16").tolist()[0]))

    def test_fp8(self):
        t = attn.Tensor.from_list([448.0, 460.0, 500.0, -0.5, 2.0 ** -9,
                                   0.3], "fp8_e4m3")
        got = t.tolist()
        self.assertEqual(got[:2], [448.0, 448.0])
        self.assertTrue(math.isnan(got[2]))     # e4m3fn has no inf
        self.assertEqual(got[3], -0.5)
        self.assertEqual(got[4], 2.0 ** -9)     # the smallest subnormal
        self.assertEqual(got[5], 0.3125)
        self.assertEqual(t.tolist(raw=True)[0], 0x7E)
        t = attn.Tensor.from_list([57344.0, 1e6, -3.0], "fp8_e5m2")
        self.assertEqual(t.tolist(), [57344.0, float("inf"), -3.0])
        self.assertEqual(t.view_as("u8").tolist(), [0x7B, 0x7C, 0xC2])

    def test_fp8_fnuz(self):
        # MI300's formats: bias 8 / 16, no inf, no -0, 0x80 the only NaN;
        # out-of-range values become NaN, as torch's float8_*fnuz.
        t = attn.Tensor.from_list([240.0, 247.0, 248.0, -0.0, -1e-9, 1.0,
                                   2.0 ** -10, float("nan"), -3.0],
                                  "fp8_e4m3fnuz")
        got = t.tolist()
        self.assertEqual(got[:2], [240.0, 240.0])
        self.assertTrue(math.isnan(got[2]))     # past 240: NaN, no inf
        self.assertEqual(got[3:7], [0.0, 0.0, 1.0, 2.0 ** -10])
        self.assertTrue(math.isnan(got[7]))
        self.assertEqual(got[8], -3.0)
        self.assertEqual(t.view_as("u8").tolist(),
                         [0x7F, 0x7F, 0x80, 0x00, 0x00, 0x40, 0x01, 0x80,
                          0xCC])
        t = attn.Tensor.from_list([57344.0, 1e6, 32768.0, 2.0 ** -17, -0.0],
                                  "fp8_e5m2fnuz")
        got = t.tolist()
        self.assertEqual(got[0], 57344.0)
        self.assertTrue(math.isnan(got[1]))
        self.assertEqual(got[2:], [32768.0, 2.0 ** -17, 0.0])
        self.assertEqual(t.view_as("u8").tolist(),
                         [0x7F, 0x80, 0x7C, 0x01, 0x00])
        # Every byte but 0x80 is finite and encodes back to itself; each is
        # half the OCP format's value of the same byte (one more bias).
        for name, ocp, top in (("fp8_e4m3fnuz", "fp8_e4m3", 0x7F),
                               ("fp8_e5m2fnuz", "fp8_e5m2", 0x7C)):
            for b in range(256):
                x = attn._dtypes.fp8_bits_to_float(b, name)
                if b == 0x80:
                    self.assertTrue(math.isnan(x))
                    continue
                self.assertTrue(math.isfinite(x), (name, b))
                self.assertEqual(attn._dtypes.float_to_fp8_bits(x, name), b)
                if (b & 0x7F) < top:
                    self.assertEqual(x, attn._dtypes.fp8_bits_to_float(b, ocp) / 2)
        # Names and aliases (torch / ml_dtypes spellings).
        self.assertEqual(attn.Tensor((1,), "float8_e4m3fnuz").dtype,
                         "fp8_e4m3fnuz")
        self.assertEqual(attn.Tensor((1,), "torch.float8_e5m2fnuz").dtype,
                         "fp8_e5m2fnuz")
        with self.assertRaisesRegex(ValueError, "unknown attn dtype"):
            attn.Tensor((1,), "fp8_e4m3fn_uz")

    def test_torch_dtype_names(self):
        # Without torch: a stand-in with torch's class name and module is
        # adapted by its dtype's name (fnuz included).
        from attn import _adapt

        class Tensor:
            __module__ = "torch"

            def __init__(self, dtype):
                self.dtype = dtype
                self.shape = (2, 3)
                self.device = type("device", (), {"type": "cpu",
                                                  "index": None})()

            def is_contiguous(self):
                return True

            def data_ptr(self):
                return 4096

            def stride(self):
                return (3, 1)

        for torch_name, code in (("torch.float8_e4m3fnuz", 9),
                                 ("torch.float8_e5m2fnuz", 10),
                                 ("torch.float8_e4m3fn", 3)):
            adapted = _adapt.adapt("k_cache", Tensor(torch_name))
            self.assertEqual(adapted.c.dtype, code, torch_name)
        with self.assertRaisesRegex(attn.AttnError,
                                    "torch dtype torch.float8_e8m0fnu"):
            _adapt.adapt("k_cache", Tensor("torch.float8_e8m0fnu"))

    def test_f16(self):
        t = attn.Tensor.from_list([1.0 / 3, 70000.0], "f16")
        got = t.tolist()
        self.assertAlmostEqual(got[0], 1.0 / 3, delta=2 ** -12)
        self.assertEqual(got[1], float("inf"))


# --- the runtime, on the CPU device ---------------------------------------

class RuntimeTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # ATTN_TEST_BUNDLES: a folder with paged_f32.so and write_f32.so
        # compiled elsewhere (for machines without the compiler); the tests
        # of attn.compile are then skipped.
        cls.prebuilt = os.environ.get("ATTN_TEST_BUNDLES")
        if not cls.prebuilt:
            try:
                cls.translate = attn.translate_path()
            except attn.CompileError as e:
                raise unittest.SkipTest("attn-translate not found (%s); set "
                                        "ATTN_TRANSLATE" % e)
        try:
            cls.library = attn.library_path()
        except attn.AttnError as e:
            raise unittest.SkipTest("libattnrt not found (%s); set "
                                    "ATTN_LIBRARY_PATH" % e)
        cls.tmp = tempfile.mkdtemp(prefix="attn-pytest-")
        cls._saved_cache = os.environ.get("ATTN_CACHE_DIR")
        os.environ["ATTN_CACHE_DIR"] = os.path.join(cls.tmp, "cache")
        if cls.prebuilt:
            cls.attn_path = os.path.join(cls.prebuilt, "paged_f32.so")
            cls.write_path = os.path.join(cls.prebuilt, "write_f32.so")
        else:
            cls.attn_path = attn.compile(ATTN_SPEC)      # through the cache
            cls.write_path = attn.compile(WRITE_SPEC,
                                          os.path.join(cls.tmp, "write.so"))
        cls.device = attn.Device("cpu")
        cls.module = attn.Module(cls.device, cls.attn_path)
        cls.write_module = attn.Module(cls.device, cls.write_path)
        cls.kernel = attn.Attention(cls.module, "paged_f32", 64)

    @classmethod
    def tearDownClass(cls):
        for name in ("kernel", "module", "write_module", "device"):
            getattr(cls, name).close()
        if cls._saved_cache is None:
            os.environ.pop("ATTN_CACHE_DIR", None)
        else:
            os.environ["ATTN_CACHE_DIR"] = cls._saved_cache
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- compile and load --

    def needs_compiler(self):
        if self.prebuilt:
            self.skipTest("ATTN_TEST_BUNDLES is set: attn.compile is not "
                          "tested")

    def test_compile_cache(self):
        self.needs_compiler()
        self.assertTrue(self.attn_path.startswith(os.environ[
            "ATTN_CACHE_DIR"]))
        mtime = os.stat(self.attn_path).st_mtime_ns
        self.assertEqual(attn.compile(ATTN_SPEC), self.attn_path)
        self.assertEqual(os.stat(self.attn_path).st_mtime_ns, mtime)

    def test_module_lists_kernels(self):
        self.assertEqual(self.module.kernel_names, ["paged_f32"])
        info = self.module.kernels["paged_f32"]
        self.assertEqual(info["kind"], "attention")
        self.assertEqual((info["heads"], info["kv_heads"], info["head_size"],
                          info["block_size"], info["dtype"]),
                         (HEADS, KV_HEADS, HEAD_SIZE, BLOCK_SIZE, "f32"))
        self.assertEqual(self.module.manifest["version"], 2)
        self.assertEqual(self.write_module.kernel_names, ["write_f32"])
        self.assertEqual(self.write_module.kernels["write_f32"]["kind"],
                         "cache_write")
        self.assertEqual(self.kernel.heads, HEADS)
        self.assertEqual(self.kernel.out_dtype, "f32")
        # name=None picks the module's only kernel of the kind.
        with attn.Attention(self.module, None) as k:
            self.assertEqual(k.name, "paged_f32")

    # -- numerics --

    def _check(self, batch, path="auto", kernel=None):
        kernel = kernel or self.kernel
        result = kernel(*batch.args(), path=path)
        self.assertIs(result, batch.out)
        diff = max_abs_diff(batch.out.tolist(), batch.reference())
        self.assertLess(diff, ATOL, "path %s" % path)
        return kernel.last_path

    def test_mixed_batch_decode_and_prefill(self):
        # a decode (9 keys, 1 query) and a prefill (5 queries), paged, GQA 2
        batch = Batch([(9, 1), (5, 5)], num_blocks=8, seed=1)
        self.assertIn(self._check(batch, "auto"), ("2d", "split"))
        batch.out.zero_()
        self.assertEqual(self._check(batch, "2d"), "2d")
        if self.kernel.segments > 0:
            batch.out.zero_()
            self.assertEqual(self._check(batch, "split"), "split")

    def test_path_hints_and_the_wide_form(self):
        batch = Batch([(9, 1), (5, 5)], num_blocks=8, seed=1)
        # the hints are accepted (the CPU's choice reads seq_lens itself)
        self.kernel(*batch.args(), max_seq_len=9, total_seq_len=14)
        diff = max_abs_diff(batch.out.tolist(), batch.reference())
        self.assertLess(diff, ATOL)
        # this plan has no wide form: asking for it is an error
        with self.assertRaisesRegex(attn.AttnError, "has no wide form"):
            self.kernel(*batch.args(), path="2d_wide")

    def test_chunked_prefill_and_long_decode(self):
        # a prefill chunk after 6 cached tokens, and a decode over 300 keys
        batch = Batch([(11, 5), (300, 1), (3, 2)], num_blocks=82, seed=2)
        self._check(batch, "2d")
        if self.kernel.segments > 0:
            batch.out.zero_()
            self._check(batch, "split")

    def test_cache_write_then_attention(self):
        # fill the caches through the cache-write kernel, then attend
        seqs = [(7, 1), (6, 6)]
        batch = Batch(seqs, num_blocks=6, seed=3)
        rng = random.Random(4)
        total = sum(n for n, _ in seqs)
        shape = (total, KV_HEADS, HEAD_SIZE)
        keys = attn.Tensor.from_list([rng.uniform(-1, 1) for _ in
                                      range(total * KV_HEADS * HEAD_SIZE)],
                                     "f32", shape)
        values = attn.Tensor.from_list([rng.uniform(-1, 1) for _ in
                                        range(total * KV_HEADS * HEAD_SIZE)],
                                       "f32", shape)
        slots = []
        for s, (n, _) in enumerate(seqs):
            for j in range(n):
                block = batch.block_table_list[s][j // BLOCK_SIZE]
                slots.append(block * BLOCK_SIZE + j % BLOCK_SIZE)
        slots[2] = -1  # skipped: keeps what the cache held
        kept_block = batch.block_table_list[0][0]
        kept = (batch.k_cache[kept_block][2].tolist(),
                batch.v_cache[kept_block][2].tolist())
        slot_mapping = attn.Tensor.from_list(slots, "i64")
        writer = attn.CacheWrite(self.write_module, "write_f32")
        writer(keys, values, batch.k_cache, batch.v_cache, slot_mapping)
        k_rows, v_rows = keys.tolist(), values.tolist()
        for token, slot in enumerate(slots):
            block, offset = divmod(slot, BLOCK_SIZE)
            if slot < 0:
                self.assertEqual(batch.k_cache[kept_block][2].tolist(),
                                 kept[0])
                self.assertEqual(batch.v_cache[kept_block][2].tolist(),
                                 kept[1])
                continue
            self.assertEqual(batch.k_cache[block][offset].tolist(),
                             k_rows[token])
            self.assertEqual(batch.v_cache[block][offset].tolist(),
                             v_rows[token])
        self._check(batch, "2d")
        writer.close()

    def test_device_tensors_on_cpu(self):
        batch = Batch([(9, 1), (5, 5)], num_blocks=8, seed=7)
        args = [self.device.to_device(t) for t in batch.args()]
        self.kernel(*args)
        self.assertLess(max_abs_diff(args[6].tolist(), batch.reference()),
                        ATOL)
        with self.assertRaisesRegex(attn.AttnError, "cannot copy"):
            args[0].copy_from(batch.k_cache)
        for t in args:
            t.free()

    def test_dtype_codes_match_the_c_api(self):
        lib = attn._capi.lib()
        for code, name in enumerate(attn._dtypes.names()):
            self.assertEqual(lib.attn_dtype_name(code).decode(), name)
            self.assertEqual(lib.attn_dtype_size(code),
                             attn._dtypes.size(name))
        self.assertEqual(attn._dtypes.code("fp8_e4m3fnuz"), 9)
        self.assertEqual(attn._dtypes.code("fp8_e5m2fnuz"), 10)
        self.assertEqual(lib.attn_dtype_size(11), 0)

    # -- errors --

    def test_wrong_dtype(self):
        batch = Batch([(5, 5)], num_blocks=2)
        args = list(batch.args())
        args[0] = attn.Tensor(batch.q.shape, "f16")
        with self.assertRaises(attn.AttnError) as cm:
            self.kernel(*args)
        e = cm.exception
        self.assertEqual(e.status_name, "InvalidArgument")
        self.assertIn("q has dtype f16", e.message)
        self.assertIn("expected f32", e.message)
        self.assertIn("paged_f32", e.message)
        self.assertIsInstance(e, attn.RuntimeError)
        self.assertIsInstance(e, RuntimeError)  # the builtin

    def test_wrong_shape(self):
        batch = Batch([(5, 5)], num_blocks=2)
        args = list(batch.args())
        args[0] = attn.Tensor((5, 3, HEAD_SIZE), "f32")
        with self.assertRaisesRegex(attn.AttnError,
                                    r"q has shape \[5, 3, 32\].*heads"):
            self.kernel(*args)
        args = list(batch.args())
        args[6] = attn.Tensor((4, HEADS, HEAD_SIZE), "f32")  # out
        with self.assertRaisesRegex(attn.AttnError, r"out has shape.*"
                                    r"num_tokens"):
            self.kernel(*args)

    def test_bad_index_data(self):
        batch = Batch([(5, 5)], num_blocks=2)
        batch.block_table.copy_from([[0, 7]])
        with self.assertRaisesRegex(attn.AttnError, r"InvalidArgument: .*"
                                    r"block"):
            self.kernel(*batch.args())

    def test_not_a_tensor(self):
        batch = Batch([(5, 5)], num_blocks=2)
        args = list(batch.args())
        args[4] = [5]  # seq_lens as a list
        with self.assertRaisesRegex(attn.AttnError,
                                    "seq_lens is a list; expected a torch "
                                    "tensor"):
            self.kernel(*args)
        with self.assertRaisesRegex(attn.AttnError, "at most 4 dims"):
            self.kernel(*batch.args()[:6], attn.Tensor((1, 1, 1, 1, 1)))
        with self.assertRaisesRegex(ValueError, "path must be"):
            self.kernel(*batch.args(), path="fast")

    def test_split_without_workspace(self):
        batch = Batch([(5, 5)], num_blocks=2)
        with attn.Attention(self.module, "paged_f32", 0) as k:
            with self.assertRaises(attn.AttnError) as cm:
                k(*batch.args(), path="split")
            self.assertEqual(cm.exception.status_name, "FailedPrecondition")
            self._check(batch, "auto", kernel=k)

    def test_unknown_variant(self):
        with self.assertRaises(attn.AttnError) as cm:
            attn.Attention(self.module, "nope", 16)
        self.assertEqual(cm.exception.status_name, "NotFound")
        self.assertIn("nope", cm.exception.message)
        self.assertIn("paged_f32", cm.exception.message)
        with self.assertRaises(attn.AttnError) as cm:
            attn.CacheWrite(self.module, "paged_f32")
        self.assertIn("paged_f32", str(cm.exception))

    def test_missing_module(self):
        with self.assertRaises(attn.AttnError) as cm:
            attn.Module(self.device, os.path.join(self.tmp, "none.so"))
        self.assertEqual(cm.exception.status_name, "NotFound")

    def test_bad_spec(self):
        self.needs_compiler()
        with self.assertRaises(attn.CompileError) as cm:
            attn.compile("heads=4,head_dim=32",
                         os.path.join(self.tmp, "bad.so"))
        self.assertIn("unknown spec key 'head_dim'", cm.exception.message)
        self.assertEqual(cm.exception.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad.so")))
        with self.assertRaisesRegex(attn.CompileError,
                                    "bad value '0' for spec key 'heads'"):
            attn.compile("heads=0", os.path.join(self.tmp, "bad.so"))
        with self.assertRaisesRegex(attn.CompileError, "multiple"):
            attn.compile("heads=8,kv_heads=3",
                         os.path.join(self.tmp, "bad.so"))
        with self.assertRaisesRegex(attn.CompileError, "no GPU backend"):
            attn.compile(ATTN_SPEC, target="cuda")
        self.assertEqual(os.listdir(self.tmp).count("bad.so"), 0)
        leftovers = [f for f in os.listdir(self.tmp) if f.startswith(".attn-")]
        self.assertEqual(leftovers, [])

    def test_devices(self):
        with self.assertRaisesRegex(ValueError, "unknown device kind"):
            attn.Device("tpu")
        with self.assertRaises(attn.AttnError) as cm:
            attn.Device("cpu", 1)
        self.assertEqual(cm.exception.status_name, "NotFound")
        try:
            dev = attn.Device("cuda")
        except attn.AttnError as e:  # no driver / no GPU here
            self.assertIn(e.status_name, ("Unavailable", "NotFound"))
        else:  # test_cuda.py tests it
            self.assertIn("cuda:0", dev.name)
            dev.close()
        closed = attn.Device("cpu")
        closed.close()
        closed.close()
        with self.assertRaisesRegex(attn.AttnError, "closed"):
            closed.synchronize()

    # -- torch and numpy, when present --

    @unittest.skipIf(torch is None, "torch is not installed: the torch path "
                     "is not tested")
    def test_torch_cpu_tensors(self):
        batch = Batch([(9, 1), (5, 5)], num_blocks=8, seed=5)

        def t(x, dtype):
            return torch.tensor(x.tolist(), dtype=dtype)

        args = [t(batch.q, torch.float32), t(batch.k_cache, torch.float32),
                t(batch.v_cache, torch.float32),
                t(batch.block_table, torch.int32),
                t(batch.seq_lens, torch.int32),
                t(batch.cu_seqlens_q, torch.int32),
                torch.zeros(batch.num_tokens, HEADS, HEAD_SIZE)]
        self.kernel(*args)
        diff = max_abs_diff(args[6].tolist(), batch.reference())
        self.assertLess(diff, ATOL)
        bad = list(args)
        bad[0] = args[0].transpose(0, 1).contiguous().transpose(0, 1)
        with self.assertRaisesRegex(attn.AttnError, "q is not contiguous"):
            self.kernel(*bad)
        bad = list(args)
        bad[0] = args[0].to(torch.float64)
        with self.assertRaisesRegex(attn.AttnError, "torch dtype"):
            self.kernel(*bad)
        bad = list(args)
        bad[0] = args[0].to(torch.bfloat16)
        with self.assertRaisesRegex(attn.AttnError, "q has dtype bf16"):
            self.kernel(*bad)

    @unittest.skipIf(numpy is None, "numpy is not installed: the numpy path "
                     "is not tested")
    def test_numpy_arrays(self):
        batch = Batch([(9, 1), (5, 5)], num_blocks=8, seed=6)

        def a(x, dtype):
            return numpy.array(x.tolist(), dtype=dtype)

        out = numpy.zeros((batch.num_tokens, HEADS, HEAD_SIZE), numpy.float32)
        args = [a(batch.q, numpy.float32), a(batch.k_cache, numpy.float32),
                a(batch.v_cache, numpy.float32),
                a(batch.block_table, numpy.int32),
                a(batch.seq_lens, numpy.int32),
                a(batch.cu_seqlens_q, numpy.int32), out]
        self.kernel(*args)
        self.assertLess(max_abs_diff(out.tolist(), batch.reference()), ATOL)
        bad = list(args)
        bad[0] = numpy.asfortranarray(args[0])
        with self.assertRaisesRegex(attn.AttnError, "q is not contiguous"):
            self.kernel(*bad)


if __name__ == "__main__":
    unittest.main()
