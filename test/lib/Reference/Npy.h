//===- Npy.h - .npy and meta.json writers -----------------------*- C++ -*-===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//
//
// Writes host tensors as NumPy .npy files (format 1.0, little-endian, C
// order) so that an attention call can be replayed or inspected from
// Python: f32/f16/i32/i64/i8 as themselves, bf16 as uint16 bit patterns,
// fp8 as uint8 bytes, and per-token-head caches as raw uint8 bytes (data
// then the little-endian f32 scale of each row). meta.json records the
// logical dtype of each array next to the file's.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_TEST_REFERENCE_NPY_H
#define ATTN_TEST_REFERENCE_NPY_H

#include "Reference/Inputs.h"
#include "Reference/Reference.h"

#include <string>
#include <vector>

namespace attn {
namespace ref {

/// The .npy "descr" of a dtype as written: "<f4", "<f2", "<u2" (bf16),
/// "|u1" (fp8, u8), "|i1", "<i4", "<i8".
const char *npyDescr(rt::DType dtype);

/// Writes `t` to `path`; `asBytes` writes the storage as uint8 bytes with
/// the last dim in bytes (per-token-head caches). False with `error` on I/O
/// failure.
bool writeNpy(const std::string &path, const HostTensor &t, std::string &error,
              bool asBytes = false);

/// Quotes a string as a JSON string literal.
std::string jsonQuote(const std::string &s);

/// Writes every input and output of `data` into `dir` (created if missing)
/// under the names the kernel ABI uses (q, k_cache, v_cache, block_table,
/// seq_lens, cu_seqlens_q, out, and each optional input present; varlen:
/// k, v, cu_seqlens_k), `refOut` (when non-null) as ref_out.npy in f64 and
/// `refLse` as ref_lse.npy, plus meta.json: the spec string, the canonical
/// spec, the softmax scale, the batch, the kv_dtype, and per array its
/// file, logical dtype, stored dtype and shape. `extraJson` (comma-free
/// inner object members, e.g. "\"seed\": 1") is added to meta.json.
bool dumpAttention(const std::string &dir, const std::string &specText,
                   const VariantSpec &spec, const Batch &batch,
                   const AttentionData &data, const std::vector<double> *refOut,
                   const std::vector<double> *refLse,
                   const std::string &extraJson, std::string &error);

} // namespace ref
} // namespace attn

#endif // ATTN_TEST_REFERENCE_NPY_H
