//===- fp8_to_bf16.cu - fp8 e4m3 -> bf16 conversion sequences ------------===//
//
// Part of the attn project, device probes (not built by CMake).
//
// The fp8 KV kernels convert every K/V tile to bf16 in shared memory, and
// that conversion is what separates fp8 prefill from bf16 (perf.md). This
// probe weighs three instruction sequences for it on a GPU of sm_89 or
// newer: their exactness over all 256 codes (NaN kept NaN) against CUDA's
// own conversion, and their throughput in registers.
//   A  what the kernels emit today: cvt.rn.f16x2.e4m3x2, two cvt.f32.f16,
//      cvt.rn.bf16x2.f32 (4 conversions per pair)
//   B  cvt.rn.f16x2.e4m3x2, then the f16 bits moved into bf16 position
//      (every value from e4m3 is a normal f16 or zero, so the result is
//      the value times 2^-112, a normal bf16) and mul.rn.bf16x2 by 2^112
//   C  no conversion instruction: bytes spread by prmt, shifted into bf16
//      position (the value times 2^-120; e4m3 subnormals become bf16
//      subnormals) and mul.rn.bf16x2 by 2^120 (exact only if the multiply
//      keeps bf16 subnormals)
// Run on the device machine:
//   nvcc -arch=sm_90a -O3 -o /tmp/fp8probe scripts/probes/fp8_to_bf16.cu && /tmp/fp8probe
//
//===----------------------------------------------------------------------===//
#include <cstdio>
#include <cstdint>
#include <cuda_fp8.h>
#include <cuda_bf16.h>

__device__ __forceinline__ void convA(uint32_t w, uint32_t &o0, uint32_t &o1) {
  uint32_t h0, h1; uint16_t lo = w & 0xffff, hi = w >> 16;
  asm volatile("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h0) : "h"(lo));
  asm volatile("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h1) : "h"(hi));
  float f0, f1, f2, f3;
  asm volatile("{.reg .f16 a,b; mov.b32 {a,b}, %2; cvt.f32.f16 %0, a; cvt.f32.f16 %1, b;}" : "=f"(f0), "=f"(f1) : "r"(h0));
  asm volatile("{.reg .f16 a,b; mov.b32 {a,b}, %2; cvt.f32.f16 %0, a; cvt.f32.f16 %1, b;}" : "=f"(f2), "=f"(f3) : "r"(h1));
  asm volatile("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(o0) : "f"(f1), "f"(f0));
  asm volatile("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(o1) : "f"(f3), "f"(f2));
}
// f16x2 (all normal or zero) -> bf16x2 * 2^-112, then * 2^112.
__device__ __forceinline__ uint32_t h2bf(uint32_t h) {
  uint32_t m = ((h >> 3) & 0x0fff0fffu) | (h & 0x80008000u), r;
  asm volatile("mul.rn.bf16x2 %0, %1, %2;" : "=r"(r) : "r"(m), "r"(0x77807780u));
  return r;
}
__device__ __forceinline__ void convB(uint32_t w, uint32_t &o0, uint32_t &o1) {
  uint32_t h0, h1; uint16_t lo = w & 0xffff, hi = w >> 16;
  asm volatile("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h0) : "h"(lo));
  asm volatile("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h1) : "h"(hi));
  o0 = h2bf(h0); o1 = h2bf(h1);
}
// bytes -> bf16 bits * 2^-120 (subnormal for e4m3 subnormals), * 2^120.
__device__ __forceinline__ uint32_t b2bf(uint32_t p) { // p = [b1<<8 | b0<<8] halves
  uint32_t m = ((p >> 4) & 0x07f007f0u) | (p & 0x80008000u), r;
  asm volatile("mul.rn.bf16x2 %0, %1, %2;" : "=r"(r) : "r"(m), "r"(0x7b807b80u));
  return r;
}
__device__ __forceinline__ void convC(uint32_t w, uint32_t &o0, uint32_t &o1) {
  uint32_t p0 = __byte_perm(w, 0, 0x1404), p1 = __byte_perm(w, 0, 0x3424);
  o0 = b2bf(p0); o1 = b2bf(p1);
}

template <int V> __device__ void conv(uint32_t w, uint32_t &a, uint32_t &b) {
  if (V == 0) convA(w, a, b); else if (V == 1) convB(w, a, b); else convC(w, a, b);
}

template <int V> __global__ void exact(uint32_t *out) {
  int i = threadIdx.x; // codes 4i..4i+3
  uint32_t w = (4 * i) | ((4 * i + 1) << 8) | ((4 * i + 2) << 16) | ((4u * i + 3) << 24);
  uint32_t a, b; conv<V>(w, a, b);
  out[2 * i] = a; out[2 * i + 1] = b;
}

template <int V> __global__ void speed(const uint32_t *in, uint32_t *out, int iters) {
  uint32_t w0 = in[threadIdx.x], w1 = in[threadIdx.x + 1], w2 = in[threadIdx.x + 2], w3 = in[threadIdx.x + 3];
  uint32_t acc = 0;
  for (int it = 0; it < iters; ++it) {
    uint32_t a, b;
    conv<V>(w0, a, b); acc += a ^ b; w0 += 0x01010101u;
    conv<V>(w1, a, b); acc += a ^ b; w1 += 0x01010101u;
    conv<V>(w2, a, b); acc += a ^ b; w2 += 0x01010101u;
    conv<V>(w3, a, b); acc += a ^ b; w3 += 0x01010101u;
  }
  out[blockIdx.x * blockDim.x + threadIdx.x] = acc;
}

int main() {
  uint32_t *d, h[128]; cudaMalloc(&d, 1 << 24);
  uint32_t *in; cudaMalloc(&in, 4096); cudaMemset(in, 0x35, 4096);
  // reference: bf16 of each e4m3 code through float
  const char *names[3] = {"A cvt e4m3x2 + f16->f32 + f32->bf16x2", "B cvt e4m3x2 + int rebias + mul.bf16x2", "C prmt + int + mul.bf16x2 (bf16 subnormals)"};
  for (int v = 0; v < 3; ++v) {
    if (v == 0) exact<0><<<1, 64>>>(d); else if (v == 1) exact<1><<<1, 64>>>(d); else exact<2><<<1, 64>>>(d);
    cudaMemcpy(h, d, 512, cudaMemcpyDeviceToHost);
    int bad = 0, nanbad = 0;
    for (int c = 0; c < 256; ++c) {
      __nv_fp8_e4m3 f; f.__x = (uint8_t)c; float ref = float(f);
      uint16_t bits = (c % 2) ? (h[c / 2] >> 16) : (h[c / 2] & 0xffff);
      __nv_bfloat16 bb; memcpy(&bb, &bits, 2); float got = __bfloat162float(bb);
      if (ref != ref) { if (got == got) nanbad++; continue; }
      if (got != ref && !(got == 0 && ref == 0)) { if (bad < 4) printf("  v%d code %d: ref %g got %g\n", v, c, ref, got); bad++; }
    }
    cudaEvent_t e0, e1; cudaEventCreate(&e0); cudaEventCreate(&e1);
    int iters = 4096, blocks = 132 * 16, threads = 256;
    for (int rep = 0; rep < 2; ++rep) {
      cudaEventRecord(e0);
      if (v == 0) speed<0><<<blocks, threads>>>(in, d, iters); else if (v == 1) speed<1><<<blocks, threads>>>(in, d, iters); else speed<2><<<blocks, threads>>>(in, d, iters);
      cudaEventRecord(e1); cudaEventSynchronize(e1);
    }
    float ms; cudaEventElapsedTime(&ms, e0, e1);
    double elems = 4.0 * 4 * iters * (double)blocks * threads;
    printf("%s: %d wrong finite codes, %d NaN codes not NaN; %.1f Gelem/s (%.1f elem/clk/SM at 1.98 GHz)\n", names[v], bad, nanbad, elems / ms / 1e6, elems / (ms * 1e-3) / 1.98e9 / 132);
  }
  printf("err: %s\n", cudaGetErrorString(cudaGetLastError()));
}
