"""The attn Python package on a CUDA GPU.

Skipped (with the reason) unless a CUDA device opens. There is no GPU
backend in the compiler yet, so these tests load a hand-written PTX bundle
of probe kernels that mark which function ran (`out[0] = q[0] + 1` for the
2D kernel, `+ 2` for the split path's reduce; the cache write copies
`key[0]` to `k_cache[0]`): they test the Python plumbing on a GPU (device
memory, launches, streams, the host/device checks), not attention math.
"""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import attn  # noqa: E402

try:
    import torch
except ImportError:
    torch = None


def _params(num_pointers, num_ints):
    params = [".param .u64 p%d" % i for i in range(num_pointers)]
    params += [".param .u32 p%d" % (num_pointers + i) for i in range(num_ints)]
    return ",\n  ".join(params)


def _copy_kernel(name, num_pointers, num_ints, src, dst, add):
    # dst[0] = src[0] + add (f32), from every block: a marker.
    return """
.visible .entry %s(
  %s)
{
  .reg .b64 %%rd<5>;
  .reg .f32 %%f<3>;
  ld.param.u64 %%rd1, [p%d];
  ld.param.u64 %%rd2, [p%d];
  cvta.to.global.u64 %%rd3, %%rd1;
  cvta.to.global.u64 %%rd4, %%rd2;
  ld.global.f32 %%f1, [%%rd3];
  add.f32 %%f2, %%f1, %s;
  st.global.f32 [%%rd4], %%f2;
  ret;
}
""" % (name, _params(num_pointers, num_ints), src, dst, add)


PTX = (".version 7.0\n.target sm_80\n.address_size 64\n"
       + _copy_kernel("probe_2d", 18, 5, 0, 14, "0f3F800000")
       + ".visible .entry probe_split(\n  %s)\n{\n  ret;\n}\n"
       % _params(18, 5)
       + _copy_kernel("probe_reduce", 18, 5, 0, 14, "0f40000000")
       + _copy_kernel("probe_write", 7, 2, 0, 2, "0f00000000"))

MANIFEST = """{"version": 2, "kernels": [
 {"name": "probe", "kind": "attention", "heads": 4, "kv_heads": 2,
  "head_size": 32, "head_size_v": 32, "block_size": 4, "kv_layout": "paged",
  "dtype": "f32", "kv_dtype": "auto", "out_dtype": "f32", "causal": 1,
  "sinks": 0, "alibi": "none", "mm_prefix": 0, "qq_bias": 0, "lse": 0,
  "block_q": 8, "block_m": 16, "block_n": 32, "segments": 4,
  "functions": {"2d": "probe_2d", "split": "probe_split",
                "reduce": "probe_reduce"},
  "launch": {"probe_2d": {"block": [32, 1, 1]},
             "probe_split": {"block": [32, 1, 1]},
             "probe_reduce": {"block": [32, 1, 1]}}},
 {"name": "probe_cache", "kind": "cache_write", "kv_heads": 2,
  "head_size": 32, "block_size": 4, "dtype": "f32", "kv_dtype": "auto",
  "functions": {"write": "probe_write"},
  "launch": {"probe_write": {"block": [32]}}}
]}
"""


class CudaTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        try:
            cls.device = attn.Device("cuda", 0)
        except attn.AttnError as e:
            raise unittest.SkipTest("no CUDA device: %s" % e)
        cls.tmp = tempfile.mkdtemp(prefix="attn-pycuda-")
        with open(os.path.join(cls.tmp, "probe.ptx"), "w") as f:
            f.write(PTX)
        with open(os.path.join(cls.tmp, "probe.json"), "w") as f:
            f.write(MANIFEST)
        cls.module = attn.Module(cls.device,
                                 os.path.join(cls.tmp, "probe.ptx"))
        cls.kernel = attn.Attention(cls.module, "probe", 64)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def host_args(self):
        q = attn.Tensor.full((6, 4, 32), 0.5, "f32")
        return [q, attn.Tensor((8, 4, 2, 32)), attn.Tensor((8, 4, 2, 32)),
                attn.Tensor.from_list([[0, 1, 2], [3, 4, 0]], "i32"),
                attn.Tensor.from_list([9, 5], "i32"),
                attn.Tensor.from_list([0, 1, 6], "i32"),
                attn.Tensor((6, 4, 32))]

    def test_module(self):
        self.assertIn("cuda:0", self.device.name)
        self.assertEqual(self.module.kernel_names, ["probe", "probe_cache"])
        self.assertEqual(self.module.kernels["probe"]["segments"], 4)

    def test_device_tensors(self):
        args = [self.device.to_device(t) for t in self.host_args()]
        self.kernel(*args, path="2d")
        self.device.synchronize()
        self.assertEqual(args[6].to_host().to_flat()[0], 1.5)
        self.assertEqual(self.kernel.last_path, "2d")
        self.kernel(*args, path="split", stream=0)
        self.device.synchronize()
        self.assertEqual(args[6].to_host().to_flat()[0], 2.5)
        self.assertEqual(self.kernel.last_path, "split")
        # the shape checks run on a GPU too
        bad = list(args)
        bad[0] = self.device.empty((6, 3, 32), "f32")
        with self.assertRaisesRegex(attn.AttnError, r"q has shape \[6, 3, 32\]"):
            self.kernel(*bad)
        for t in args:
            t.free()

    def test_host_memory_is_rejected(self):
        args = self.host_args()
        with self.assertRaisesRegex(attn.AttnError,
                                    "q is in host memory, but the kernel "
                                    "runs on cuda:0"):
            self.kernel(*args)

    def test_cache_write(self):
        writer = attn.CacheWrite(self.module, "probe_cache")
        key = self.device.to_device(attn.Tensor.full((3, 2, 32), 7.0))
        value = self.device.to_device(attn.Tensor((3, 2, 32)))
        k_cache = self.device.empty((8, 4, 2, 32)).zero_()
        v_cache = self.device.empty((8, 4, 2, 32)).zero_()
        slots = self.device.to_device(attn.Tensor.from_list([0, 1, 2], "i64"))
        writer(key, value, k_cache, v_cache, slots)
        self.device.synchronize()
        self.assertEqual(k_cache.to_host().to_flat()[:2], [7.0, 0.0])

    @unittest.skipIf(torch is None or not torch.cuda.is_available(),
                     "torch with CUDA is not installed: the torch CUDA path "
                     "is not tested")
    def test_torch_cuda(self):
        dev = torch.device("cuda", 0)
        args = [torch.tensor(t.tolist(), dtype=torch.float32 if t.dtype == "f32"
                             else torch.int32, device=dev)
                for t in self.host_args()]
        stream = torch.cuda.Stream(dev)
        with torch.cuda.stream(stream):  # the current stream is used
            self.kernel(*args, path="2d")
        stream.synchronize()
        self.assertEqual(args[6].flatten()[0].item(), 1.5)
        self.kernel(*args, path="split", stream=stream)
        stream.synchronize()
        self.assertEqual(args[6].flatten()[0].item(), 2.5)
        bad = list(args)
        bad[0] = args[0].cpu()
        with self.assertRaisesRegex(attn.AttnError, "q is in host memory"):
            self.kernel(*bad)
        bad[0] = args[0][:, :, :16]
        with self.assertRaisesRegex(attn.AttnError, "not contiguous"):
            self.kernel(*bad)


if __name__ == "__main__":
    unittest.main()
