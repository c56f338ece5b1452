//===- HIPProbe.hip - Probe kernels for the HIP device tests --------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//
//
// The AMD GPU counterpart of the PTX probe of CUDADeviceTest.cpp, built into
// a code object (an offload bundle for several gfx targets) by the build
// when the C++ compiler is clang with the AMDGPU target, without the HIP
// headers:
//
//   clang -x hip --cuda-device-only -nogpuinc -nogpulib
//         --offload-arch=gfx90a --offload-arch=gfx942 ... -c HIPProbe.hip
//
// Kernels with the exact ABI parameter lists (pointers, then int32
// scalars) in which thread (0, 0, 0) of every block adds a per-function
// value to out[pid], pid = (blockIdx.x * gridDim.y + blockIdx.y) *
// gridDim.z + blockIdx.z (the ABI's linear program id), and program 0
// writes a header of the arguments it received:
//
//   probe_2d      adds 1,   header at lse[0, 6)
//   probe_split   adds 16,  header at lse[6, 12)
//   probe_reduce  adds 256, header at lse[12, 18)
//   header = {num_seqs, num_tokens, max_blocks_per_seq, blockDim.x,
//             group segment bytes (the dynamic LDS; the probe has no
//             static LDS), q != 0 | (block_table != 0) << 1 |
//             (partial_out != 0) << 2}
//   probe_write   adds 1 to k_cache[pid] (as u32), header at v_cache[0, 4):
//             {num_tokens, num_slots, blockDim.x,
//              key != 0 | (slot_mapping != 0) << 1 | (k_scale != 0) << 2}
//
// FakeHIPRuntime.c emulates exactly these kernels on the host.
//
// Not run on an AMD GPU yet.
//
//===----------------------------------------------------------------------===//

#include <stdint.h>

#define ATTN_PROBE extern "C" __attribute__((global))
#define ATTN_DEVICE __attribute__((device)) static inline

namespace {

/// The ABI's linear program id; -1 for threads other than (0, 0, 0).
ATTN_DEVICE int64_t programId() {
  if (__builtin_amdgcn_workitem_id_x() | __builtin_amdgcn_workitem_id_y() |
      __builtin_amdgcn_workitem_id_z())
    return -1;
  uint32_t gridY =
      __builtin_amdgcn_grid_size_y() / __builtin_amdgcn_workgroup_size_y();
  uint32_t gridZ =
      __builtin_amdgcn_grid_size_z() / __builtin_amdgcn_workgroup_size_z();
  return (static_cast<int64_t>(__builtin_amdgcn_workgroup_id_x()) * gridY +
          __builtin_amdgcn_workgroup_id_y()) *
             gridZ +
         __builtin_amdgcn_workgroup_id_z();
}

/// The dispatch packet's group_segment_size (hsa_kernel_dispatch_packet_t,
/// byte offset 28): the LDS the dispatch gave each workgroup.
ATTN_DEVICE uint32_t groupSegmentBytes() {
  const uint32_t *packet = (const uint32_t *)__builtin_amdgcn_dispatch_ptr();
  return packet[7];
}

ATTN_DEVICE void add(uint32_t *counter, uint32_t value) {
  __hip_atomic_fetch_add(counter, value, __ATOMIC_RELAXED,
                         __HIP_MEMORY_SCOPE_AGENT);
}

ATTN_DEVICE void attentionProbe(const void *q, const void *blockTable,
                                uint32_t *out, uint32_t *lse,
                                const void *partialOut, int32_t numSeqs,
                                int32_t numTokens, int32_t maxBlocksPerSeq,
                                uint32_t value, int header) {
  int64_t pid = programId();
  if (pid < 0)
    return;
  add(&out[pid], value);
  if (pid != 0)
    return;
  uint32_t *h = lse + header;
  h[0] = static_cast<uint32_t>(numSeqs);
  h[1] = static_cast<uint32_t>(numTokens);
  h[2] = static_cast<uint32_t>(maxBlocksPerSeq);
  h[3] = __builtin_amdgcn_workgroup_size_x();
  h[4] = groupSegmentBytes();
  h[5] = (q != nullptr) | (blockTable != nullptr) << 1 |
         (partialOut != nullptr) << 2;
}

} // namespace

#define ATTN_ATTENTION_PROBE(name, value, header)                              \
  ATTN_PROBE void name(                                                        \
      const void *q, const void *k, const void *v, const int32_t *blockTable,  \
      const int32_t *seqLens, const int32_t *cuSeqlensQ,                       \
      const int32_t *cuSeqlensK, const float *sinks, const float *alibi,       \
      const int32_t *mmPrefixRanges, const float *qqBias, const float *kScale, \
      const float *vScale, const float *outScale, uint32_t *out,               \
      uint32_t *lse, float *partialOut, float *partialLse, int32_t numSeqs,    \
      int32_t numTokens, int32_t maxBlocksPerSeq, int32_t maxMmRanges,         \
      int32_t qqBiasStride) {                                                  \
    attentionProbe(q, blockTable, out, lse, partialOut, numSeqs, numTokens,    \
                   maxBlocksPerSeq, value, header);                            \
  }

ATTN_ATTENTION_PROBE(probe_2d, 1, 0)
ATTN_ATTENTION_PROBE(probe_split, 16, 6)
ATTN_ATTENTION_PROBE(probe_reduce, 256, 12)

ATTN_PROBE void probe_write(const void *key, const void *value,
                            uint32_t *kCache, uint32_t *vCache,
                            const int64_t *slotMapping, const float *kScale,
                            const float *vScale, int32_t numTokens,
                            int32_t numSlots) {
  int64_t pid = programId();
  if (pid < 0)
    return;
  add(&kCache[pid], 1);
  if (pid != 0)
    return;
  vCache[0] = static_cast<uint32_t>(numTokens);
  vCache[1] = static_cast<uint32_t>(numSlots);
  vCache[2] = __builtin_amdgcn_workgroup_size_x();
  vCache[3] = (key != nullptr) | (slotMapping != nullptr) << 1 |
              (kScale != nullptr) << 2;
}
