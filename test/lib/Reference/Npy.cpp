//===- Npy.cpp - .npy and meta.json writers -------------------------------===//
//
// Part of the attn project, the numerics test library (AttnReference).
//
//===----------------------------------------------------------------------===//

#include "Reference/Npy.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <sys/stat.h>
#include <sys/types.h>

namespace attn {
namespace ref {

using rt::DType;

const char *npyDescr(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "<f4";
  case DType::F16:
    return "<f2";
  case DType::BF16:
    return "<u2";
  case DType::Fp8E4M3:
  case DType::Fp8E5M2:
  case DType::Fp8E4M3Fnuz:
  case DType::Fp8E5M2Fnuz:
  case DType::U8:
    return "|u1";
  case DType::I8:
    return "|i1";
  case DType::I32:
    return "<i4";
  case DType::I64:
    return "<i8";
  }
  return "|u1";
}

static bool writeRaw(const std::string &path, const char *descr,
                     const std::vector<int64_t> &shape, const void *data,
                     size_t bytes, std::string &error) {
  std::ostringstream h;
  h << "{'descr': '" << descr << "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < shape.size(); ++i)
    h << shape[i] << (shape.size() == 1 || i + 1 < shape.size() ? ", " : "");
  h << "), }";
  std::string header = h.str();
  // magic(6) + version(2) + len(2) + header + '\n', padded to 64 bytes.
  size_t total = 10 + header.size() + 1;
  size_t padded = (total + 63) / 64 * 64;
  header.append(padded - total, ' ');
  header.push_back('\n');
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  const unsigned char magic[8] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  uint16_t len = static_cast<uint16_t>(header.size());
  unsigned char lenBytes[2] = {static_cast<unsigned char>(len & 0xff),
                               static_cast<unsigned char>(len >> 8)};
  bool ok = std::fwrite(magic, 1, 8, f) == 8 &&
            std::fwrite(lenBytes, 1, 2, f) == 2 &&
            std::fwrite(header.data(), 1, header.size(), f) == header.size() &&
            (bytes == 0 || std::fwrite(data, 1, bytes, f) == bytes);
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    error = "error writing '" + path + "'";
  return ok;
}

bool writeNpy(const std::string &path, const HostTensor &t, std::string &error,
              bool asBytes) {
  std::vector<int64_t> shape = t.shape;
  const char *descr = npyDescr(t.dtype);
  if (asBytes) {
    descr = "|u1";
    if (!shape.empty())
      shape.back() *= static_cast<int64_t>(rt::dtypeSize(t.dtype));
  }
  return writeRaw(path, descr, shape, t.data(), t.bytes.size(), error);
}

std::string jsonQuote(const std::string &s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  return out + "\"";
}

static std::string shapeJson(const std::vector<int64_t> &shape) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < shape.size(); ++i)
    os << (i ? ", " : "") << shape[i];
  os << "]";
  return os.str();
}

static bool makeDir(const std::string &dir, std::string &error) {
  std::string path;
  std::stringstream ss(dir);
  std::string part;
  if (!dir.empty() && dir[0] == '/')
    path = "/";
  while (std::getline(ss, part, '/')) {
    if (part.empty())
      continue;
    path += part;
    if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
      error = "cannot create directory '" + path + "': " + std::strerror(errno);
      return false;
    }
    path += "/";
  }
  return true;
}

bool dumpAttention(const std::string &dir, const std::string &specText,
                   const VariantSpec &spec, const Batch &batch,
                   const AttentionData &data, const std::vector<double> *refOut,
                   const std::vector<double> *refLse,
                   const std::string &extraJson, std::string &error) {
  if (!makeDir(dir, error))
    return false;
  bool paged = spec.kv != "varlen";
  bool pth = kvRowPad(spec) > 0;
  struct Entry {
    const char *name;
    const HostTensor *t;
    std::string logical;
    bool asBytes;
  };
  std::string kvLogical =
      pth ? spec.kvDtype : std::string(rt::dtypeName(data.k.dtype));
  std::vector<Entry> entries = {
      {"q", &data.q, rt::dtypeName(data.q.dtype), false},
      {paged ? "k_cache" : "k", &data.k, kvLogical, pth},
      {paged ? "v_cache" : "v", &data.v, kvLogical, pth},
      {"block_table", &data.blockTable, "i32", false},
      {"seq_lens", &data.seqLens, "i32", false},
      {"cu_seqlens_q", &data.cuSeqlensQ, "i32", false},
      {"cu_seqlens_k", &data.cuSeqlensK, "i32", false},
      {"sinks", &data.sinks, "f32", false},
      {"alibi_slopes", &data.alibiSlopes, "f32", false},
      {"mm_prefix_ranges", &data.mmPrefixRanges, "i32", false},
      {"qq_bias", &data.qqBias, "f32", false},
      {"k_scale", &data.kScale, "f32", false},
      {"v_scale", &data.vScale, "f32", false},
      {"out_scale", &data.outScale, "f32", false},
      {"out", &data.out, rt::dtypeName(data.out.dtype), false},
      {"lse", &data.lse, "f32", false},
  };
  std::ostringstream arrays;
  bool first = true;
  auto addArray = [&](const std::string &name, const std::string &logical,
                      const char *stored, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &logicalShape) {
    arrays << (first ? "" : ",\n") << "    " << jsonQuote(name)
           << ": {\"file\": " << jsonQuote(name + ".npy")
           << ", \"dtype\": " << jsonQuote(logical)
           << ", \"npy_dtype\": " << jsonQuote(stored)
           << ", \"shape\": " << shapeJson(logicalShape)
           << ", \"npy_shape\": " << shapeJson(shape) << "}";
    first = false;
  };
  for (const Entry &e : entries) {
    if (!e.t->given())
      continue;
    if (!writeNpy(dir + "/" + e.name + ".npy", *e.t, error, e.asBytes))
      return false;
    std::vector<int64_t> stored = e.t->shape;
    if (e.asBytes)
      stored.back() *= static_cast<int64_t>(rt::dtypeSize(e.t->dtype));
    addArray(e.name, e.logical, e.asBytes ? "|u1" : npyDescr(e.t->dtype),
             stored, e.t->shape);
  }
  auto writeF64 = [&](const char *name, const std::vector<double> &v,
                      std::vector<int64_t> shape) {
    if (!writeRaw(dir + "/" + name + ".npy", "<f8", shape, v.data(),
                  v.size() * sizeof(double), error))
      return false;
    addArray(name, "f64", "<f8", shape, shape);
    return true;
  };
  if (refOut && !writeF64("ref_out", *refOut, data.out.shape))
    return false;
  if (refLse && spec.lse && !writeF64("ref_lse", *refLse, data.lse.shape))
    return false;

  std::ostringstream m;
  m.precision(17);
  m << "{\n  \"spec\": " << jsonQuote(specText)
    << ",\n  \"canonical_spec\": " << jsonQuote(formatSpec(spec))
    << ",\n  \"softmax_scale\": " << spec.effectiveScale()
    << ",\n  \"kv_layout\": " << jsonQuote(paged ? "paged" : "varlen")
    << ",\n  \"kv_dtype\": " << jsonQuote(spec.kvDtype)
    << ",\n  \"batch\": " << jsonQuote(batch.str()) << ",\n  \"query_lens\": [";
  for (size_t i = 0; i < batch.seqs.size(); ++i)
    m << (i ? ", " : "") << batch.seqs[i].queryLen;
  m << "],\n  \"seq_lens\": [";
  for (size_t i = 0; i < batch.seqs.size(); ++i)
    m << (i ? ", " : "") << batch.seqs[i].seqLen;
  m << "],\n  \"num_seqs\": " << batch.numSeqs()
    << ",\n  \"num_tokens\": " << batch.numTokens();
  if (!extraJson.empty())
    m << ",\n  " << extraJson;
  m << ",\n  \"arrays\": {\n" << arrays.str() << "\n  }\n}\n";
  std::string text = m.str();
  std::string path = dir + "/meta.json";
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = (std::fclose(f) == 0) && ok;
  if (!ok)
    error = "error writing '" + path + "'";
  return ok;
}

} // namespace ref
} // namespace attn
