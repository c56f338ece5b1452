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
               {DType::I64, "i64", 8}};
  for (const Case &c : cases) {
    EXPECT_STREQ(dtypeName(c.dtype), c.name);
    EXPECT_EQ(dtypeSize(c.dtype), c.size) << c.name;
    std::optional<DType> parsed = parseDType(c.name);
    ASSERT_TRUE(parsed.has_value()) << c.name;
    EXPECT_EQ(*parsed, c.dtype);
    EXPECT_TRUE(isValidDType(static_cast<int32_t>(c.dtype)));
  }
}

TEST(DTypeTest, RejectsUnknownNamesAndCodes) {
  EXPECT_FALSE(parseDType("float32").has_value());
  EXPECT_FALSE(parseDType("").has_value());
  EXPECT_FALSE(parseDType("F32").has_value());
  EXPECT_FALSE(isValidDType(-1));
  EXPECT_FALSE(isValidDType(kNumDTypes));
  EXPECT_STREQ(dtypeName(static_cast<DType>(77)), "invalid");
  EXPECT_EQ(dtypeSize(static_cast<DType>(77)), 0u);
}

TEST(DTypeTest, Float8) {
  EXPECT_TRUE(isFloat8(DType::Fp8E4M3));
  EXPECT_TRUE(isFloat8(DType::Fp8E5M2));
  EXPECT_FALSE(isFloat8(DType::U8));
  EXPECT_FALSE(isFloat8(DType::BF16));
}

TEST(KvDTypeTest, NamesRoundTrip) {
  const char *names[] = {"auto",
                         "f32",
                         "f16",
                         "bf16",
                         "fp8_e4m3",
                         "fp8_e5m2",
                         "int8_per_token_head",
                         "fp8_per_token_head"};
  for (const char *name : names) {
    std::optional<KvDType> parsed = parseKvDType(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_STREQ(kvDTypeName(*parsed), name);
  }
  EXPECT_FALSE(parseKvDType("int8").has_value());
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
