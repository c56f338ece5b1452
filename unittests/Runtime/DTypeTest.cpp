//===- DTypeTest.cpp - Tests of element type names and sizes --------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/DType.h"
#include "attn/Runtime/Tensor.h"

#include "gtest/gtest.h"

using namespace attn::rt;

namespace {

TEST(DTypeTest, NamesMatchTheManifest) {
  struct Case {
    DType dtype;
    const char *name;
    size_t size;
  } cases[] = {{DType::F32, "f32", 4},
               {DType::F16, "f16", 2},
               {DType::BF16, "bf16", 2},
               {DType::Fp8E4M3, "fp8_e4m3", 1},
               {DType::Fp8E5M2, "fp8_e5m2", 1},
               {DType::I8, "i8", 1},
               {DType::U8, "u8", 1},
               {DType::I32, "i32", 4},
               {DType::I64, "i64", 8},
               {DType::Fp8E4M3Fnuz, "fp8_e4m3fnuz", 1},
               {DType::Fp8E5M2Fnuz, "fp8_e5m2fnuz", 1}};
  for (const Case &c : cases) {
    EXPECT_STREQ(dtypeName(c.dtype), c.name);
    EXPECT_EQ(dtypeSize(c.dtype), c.size) << c.name;
    std::optional<DType> parsed = parseDType(c.name);
    ASSERT_TRUE(parsed.has_value()) << c.name;
    EXPECT_EQ(*parsed, c.dtype);
    EXPECT_TRUE(isValidDType(static_cast<int32_t>(c.dtype)));
  }
}

// The codes are the C API's: appended, never renumbered.
TEST(DTypeTest, CodesAreStable) {
  EXPECT_EQ(static_cast<int32_t>(DType::Fp8E4M3), 3);
  EXPECT_EQ(static_cast<int32_t>(DType::Fp8E5M2), 4);
  EXPECT_EQ(static_cast<int32_t>(DType::I64), 8);
  EXPECT_EQ(static_cast<int32_t>(DType::Fp8E4M3Fnuz), 9);
  EXPECT_EQ(static_cast<int32_t>(DType::Fp8E5M2Fnuz), 10);
  EXPECT_EQ(kNumDTypes, 11);
  EXPECT_EQ(static_cast<int32_t>(KvDType::Fp8PerTokenHead), 7);
  EXPECT_EQ(static_cast<int32_t>(KvDType::Fp8E4M3Fnuz), 8);
  EXPECT_EQ(static_cast<int32_t>(KvDType::Fp8E5M2Fnuz), 9);
  EXPECT_EQ(kNumKvDTypes, 10);
}

TEST(DTypeTest, RejectsUnknownNamesAndCodes) {
  EXPECT_FALSE(parseDType("float32").has_value());
  EXPECT_FALSE(parseDType("").has_value());
  EXPECT_FALSE(parseDType("F32").has_value());
  // The fnuz names are exact: no torch spellings, no OCP "fn" suffix.
  EXPECT_FALSE(parseDType("float8_e4m3fnuz").has_value());
  EXPECT_FALSE(parseDType("fp8_e4m3fn").has_value());
  EXPECT_FALSE(parseDType("fp8_e5m2_fnuz").has_value());
  EXPECT_FALSE(isValidDType(-1));
  EXPECT_FALSE(isValidDType(kNumDTypes));
  EXPECT_STREQ(dtypeName(static_cast<DType>(77)), "invalid");
  EXPECT_EQ(dtypeSize(static_cast<DType>(77)), 0u);
}

TEST(DTypeTest, Float8) {
  EXPECT_TRUE(isFloat8(DType::Fp8E4M3));
  EXPECT_TRUE(isFloat8(DType::Fp8E5M2));
  EXPECT_TRUE(isFloat8(DType::Fp8E4M3Fnuz));
  EXPECT_TRUE(isFloat8(DType::Fp8E5M2Fnuz));
  EXPECT_FALSE(isFloat8(DType::U8));
  EXPECT_FALSE(isFloat8(DType::BF16));
  EXPECT_TRUE(isFnuz(DType::Fp8E4M3Fnuz));
  EXPECT_TRUE(isFnuz(DType::Fp8E5M2Fnuz));
  EXPECT_FALSE(isFnuz(DType::Fp8E4M3));
  EXPECT_FALSE(isFnuz(DType::Fp8E5M2));
  EXPECT_FALSE(isFnuz(DType::I8));
}

TEST(KvDTypeTest, NamesRoundTrip) {
  const char *names[] = {"auto",
                         "f32",
                         "f16",
                         "bf16",
                         "fp8_e4m3",
                         "fp8_e5m2",
                         "int8_per_token_head",
                         "fp8_per_token_head",
                         "fp8_e4m3fnuz",
                         "fp8_e5m2fnuz"};
  int32_t code = 0;
  for (const char *name : names) {
    std::optional<KvDType> parsed = parseKvDType(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_STREQ(kvDTypeName(*parsed), name);
    EXPECT_EQ(static_cast<int32_t>(*parsed), code++) << name;
    EXPECT_TRUE(isValidKvDType(static_cast<int32_t>(*parsed))) << name;
  }
  EXPECT_EQ(code, kNumKvDTypes);
  EXPECT_FALSE(parseKvDType("int8").has_value());
  EXPECT_FALSE(parseKvDType("fp8_e4m3fn").has_value());
  EXPECT_FALSE(isValidKvDType(-1));
  EXPECT_FALSE(isValidKvDType(kNumKvDTypes));
  EXPECT_STREQ(kvDTypeName(static_cast<KvDType>(kNumKvDTypes)), "invalid");
}

TEST(KvDTypeTest, StorageAndScales) {
  EXPECT_EQ(kvStorageDType(KvDType::Auto, DType::BF16), DType::BF16);
  EXPECT_EQ(kvStorageDType(KvDType::F16, DType::BF16), DType::F16);
  EXPECT_EQ(kvStorageDType(KvDType::Fp8E4M3, DType::BF16), DType::Fp8E4M3);
  EXPECT_EQ(kvStorageDType(KvDType::Int8PerTokenHead, DType::F16), DType::I8);
  EXPECT_EQ(kvStorageDType(KvDType::Fp8PerTokenHead, DType::F16), DType::I8);
  EXPECT_TRUE(isPerTokenHead(KvDType::Int8PerTokenHead));
  EXPECT_TRUE(isPerTokenHead(KvDType::Fp8PerTokenHead));
  EXPECT_FALSE(isPerTokenHead(KvDType::Fp8E4M3));
  EXPECT_TRUE(needsPerTensorScale(KvDType::Fp8E4M3));
  EXPECT_TRUE(needsPerTensorScale(KvDType::Fp8E5M2));
  EXPECT_FALSE(needsPerTensorScale(KvDType::Auto));
  EXPECT_FALSE(needsPerTensorScale(KvDType::Fp8PerTokenHead));
  // MI300's formats: stored as themselves, per-tensor descales.
  EXPECT_EQ(kvStorageDType(KvDType::Fp8E4M3Fnuz, DType::BF16),
            DType::Fp8E4M3Fnuz);
  EXPECT_EQ(kvStorageDType(KvDType::Fp8E5M2Fnuz, DType::F16),
            DType::Fp8E5M2Fnuz);
  EXPECT_TRUE(needsPerTensorScale(KvDType::Fp8E4M3Fnuz));
  EXPECT_TRUE(needsPerTensorScale(KvDType::Fp8E5M2Fnuz));
  EXPECT_FALSE(isPerTokenHead(KvDType::Fp8E4M3Fnuz));
  EXPECT_FALSE(isPerTokenHead(KvDType::Fp8E5M2Fnuz));
}

TEST(TensorRefTest, SizesAndPresence) {
  float data[24];
  TensorRef t = TensorRef::make(data, DType::F32, {2, 3, 4});
  EXPECT_EQ(t.rank, 3);
  EXPECT_EQ(t.numElements(), 24);
  EXPECT_EQ(t.numBytes(), 96);
  EXPECT_EQ(t.shapeString(), "[2, 3, 4]");
  EXPECT_TRUE(t.isGiven());

  TensorRef absent;
  EXPECT_FALSE(absent.isGiven());
  EXPECT_EQ(absent.shapeString(), "[]");

  // An empty tensor counts as given even with a null pointer.
  TensorRef empty = TensorRef::make(nullptr, DType::F32, {0, 4});
  EXPECT_TRUE(empty.isGiven());
  EXPECT_EQ(empty.numElements(), 0);
  TensorRef nullFull = TensorRef::make(nullptr, DType::F32, {2, 4});
  EXPECT_FALSE(nullFull.isGiven());
}

} // namespace
