//===- CAPITest.cpp - Tests of the runtime's C API ------------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn-c/Runtime.h"
#include "attn/Runtime/Json.h"

#include <cstring>
#include <string>
#include <vector>

using namespace attn::rt;

namespace {

attn_tensor_t tensor(void *data, int32_t dtype,
                     std::initializer_list<int64_t> dims) {
  attn_tensor_t t;
  std::memset(&t, 0, sizeof(t));
  t.data = data;
  t.dtype = dtype;
  t.rank = static_cast<int32_t>(dims.size());
  int i = 0;
  for (int64_t dim : dims)
    t.shape[i++] = dim;
  return t;
}

class CAPITest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(attn_device_open(ATTN_DEVICE_CPU, 0, &device), ATTN_OK)
        << attn_last_error();
    ASSERT_EQ(attn_module_load(device, ATTN_TEST_KERNELS_PATH, &module),
              ATTN_OK)
        << attn_last_error();
    test::resetTestRecords();
  }
  void TearDown() override {
    attn_module_unload(module);
    attn_device_close(device);
  }

  attn_attention_args_t pagedArgs() {
    attn_attention_args_t a;
    std::memset(&a, 0, sizeof(a));
    a.q = tensor(q.data(), ATTN_DTYPE_F32, {8, 4, 8});
    a.k_cache = tensor(cache.data(), ATTN_DTYPE_F32, {10, 4, 2, 8});
    a.v_cache = tensor(cache.data(), ATTN_DTYPE_F32, {10, 4, 2, 8});
    a.block_table = tensor(blockTable.data(), ATTN_DTYPE_I32, {3, 3});
    a.seq_lens = tensor(seqLens.data(), ATTN_DTYPE_I32, {3});
    a.cu_seqlens_q = tensor(cuSeqlensQ.data(), ATTN_DTYPE_I32, {4});
    a.out = tensor(out.data(), ATTN_DTYPE_F32, {8, 4, 8});
    a.num_seqs = 3;
    return a;
  }

  attn_device_t device = nullptr;
  attn_module_t module = nullptr;
  std::vector<float> q = std::vector<float>(8 * 4 * 8);
  std::vector<float> cache = std::vector<float>(10 * 4 * 2 * 8);
  std::vector<float> out = std::vector<float>(8 * 4 * 8);
  std::vector<int32_t> blockTable = {0, 1, 0, 2, 0, 0, 3, 4, 5};
  std::vector<int32_t> seqLens = {5, 4, 12};
  std::vector<int32_t> cuSeqlensQ = {0, 1, 5, 8};
};

TEST_F(CAPITest, NamesAndVersions) {
  EXPECT_EQ(attn_c_api_version(), ATTN_C_API_VERSION);
  EXPECT_STREQ(attn_status_name(ATTN_ERROR_NOT_FOUND), "NotFound");
  EXPECT_STREQ(attn_dtype_name(ATTN_DTYPE_BF16), "bf16");
  EXPECT_EQ(attn_dtype_size(ATTN_DTYPE_I64), 8);
  EXPECT_EQ(attn_dtype_size(99), 0);
  int32_t dtype = -1;
  EXPECT_EQ(attn_dtype_from_name("fp8_e5m2", &dtype), ATTN_OK);
  EXPECT_EQ(dtype, ATTN_DTYPE_FP8_E5M2);
  // MI300's fp8 formats: appended codes, named as in the manifest.
  EXPECT_EQ(attn_dtype_from_name("fp8_e4m3fnuz", &dtype), ATTN_OK);
  EXPECT_EQ(dtype, ATTN_DTYPE_FP8_E4M3FNUZ);
  EXPECT_EQ(dtype, 9);
  EXPECT_EQ(attn_dtype_from_name("fp8_e5m2fnuz", &dtype), ATTN_OK);
  EXPECT_EQ(dtype, ATTN_DTYPE_FP8_E5M2FNUZ);
  EXPECT_EQ(dtype, 10);
  EXPECT_STREQ(attn_dtype_name(ATTN_DTYPE_FP8_E4M3FNUZ), "fp8_e4m3fnuz");
  EXPECT_EQ(attn_dtype_size(ATTN_DTYPE_FP8_E5M2FNUZ), 1);
  EXPECT_EQ(attn_dtype_size(11), 0);
  EXPECT_EQ(attn_dtype_from_name("fp8_e4m3fn", &dtype),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "unknown dtype name 'fp8_e4m3fn'");
  EXPECT_EQ(attn_dtype_from_name("float", &dtype), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "unknown dtype name 'float'");
  EXPECT_EQ(attn_device_kind(device), ATTN_DEVICE_CPU);
  EXPECT_EQ(std::string(attn_device_name(device)).rfind("cpu (", 0), 0u);
}

TEST_F(CAPITest, MemoryRoundTrip) {
  void *ptr = nullptr;
  ASSERT_EQ(attn_alloc(device, 64, &ptr), ATTN_OK);
  ASSERT_NE(ptr, nullptr);
  EXPECT_STREQ(attn_last_error(), "");
  int32_t in[16], back[16];
  for (int i = 0; i < 16; ++i)
    in[i] = i * i;
  EXPECT_EQ(attn_memcpy_h2d(device, ptr, in, sizeof(in)), ATTN_OK);
  EXPECT_EQ(attn_memcpy_d2h(device, back, ptr, sizeof(back)), ATTN_OK);
  EXPECT_EQ(std::memcmp(in, back, sizeof(in)), 0);
  EXPECT_EQ(attn_memset(device, ptr, 0, 64), ATTN_OK);
  EXPECT_EQ(attn_memcpy_d2d(device, back, ptr, sizeof(back)), ATTN_OK);
  EXPECT_EQ(back[5], 0);
  EXPECT_EQ(attn_device_synchronize(device), ATTN_OK);
  EXPECT_EQ(attn_free(device, ptr), ATTN_OK);
  EXPECT_EQ(attn_free(device, ptr), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("already freed"),
            std::string::npos);
  EXPECT_EQ(attn_alloc(nullptr, 64, &ptr), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_STREQ(attn_last_error(), "device is NULL");
}

TEST_F(CAPITest, OpenErrors) {
  attn_device_t other = reinterpret_cast<attn_device_t>(1);
  // No CUDA driver: Unavailable; a CUDA machine: no device 1000.
  int cuda = attn_device_open(ATTN_DEVICE_CUDA, 1000, &other);
  EXPECT_TRUE(cuda == ATTN_ERROR_UNAVAILABLE || cuda == ATTN_ERROR_NOT_FOUND)
      << cuda;
  EXPECT_EQ(other, nullptr);
  std::string cudaError = attn_last_error();
  EXPECT_TRUE(cudaError.find("CUDA") != std::string::npos ||
              cudaError.find("cuda device 1000") != std::string::npos)
      << cudaError;
  EXPECT_EQ(attn_device_open(ATTN_DEVICE_HIP, 0, &other),
            ATTN_ERROR_UNAVAILABLE);
  EXPECT_NE(std::string(attn_last_error()).find("HIP"), std::string::npos);
  EXPECT_EQ(attn_device_open(ATTN_DEVICE_CPU, 3, &other), ATTN_ERROR_NOT_FOUND);
}

TEST_F(CAPITest, ModuleIntrospection) {
  ASSERT_EQ(attn_module_num_kernels(module), 6);
  EXPECT_STREQ(attn_module_kernel_name(module, 3), "varlen");
  const char *text = attn_module_kernel_json(module, 0);
  ASSERT_NE(text, nullptr);
  StatusOr<json::Value> entry = json::parse(text);
  ASSERT_OK(entry);
  EXPECT_EQ(entry->get("name")->asString(), "paged");
  EXPECT_EQ(entry->get("segments")->asInteger(), 2);
  EXPECT_EQ(entry->get("functions")->get("split")->asString(), "paged_split");
  EXPECT_EQ(attn_module_kernel_json(module, 6), nullptr);
  EXPECT_STREQ(attn_last_error(), "kernel index 6 is out of range [0, 6)");
  EXPECT_EQ(attn_module_kernel_json(module, -1), nullptr);
  EXPECT_EQ(std::string(attn_module_manifest(module)).rfind("{", 0), 0u);
  EXPECT_EQ(attn_module_num_kernels(nullptr), -1);
}

TEST_F(CAPITest, ModuleLoadErrors) {
  attn_module_t bad = nullptr;
  EXPECT_EQ(attn_module_load(device, "/no/such/file.so", &bad),
            ATTN_ERROR_NOT_FOUND);
  EXPECT_EQ(bad, nullptr);
  EXPECT_STREQ(attn_last_error(),
               "cannot load '/no/such/file.so': file not found");
  EXPECT_EQ(attn_module_load(device, ATTN_TEST_NO_MANIFEST_PATH, &bad),
            ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("attn_manifest"),
            std::string::npos);
  EXPECT_EQ(attn_module_load(device, nullptr, &bad),
            ATTN_ERROR_INVALID_ARGUMENT);
}

TEST_F(CAPITest, AttentionRunsAndReportsErrors) {
  attn_attention_t kernel = nullptr;
  EXPECT_EQ(attn_attention_create(device, module, "nope", 16, &kernel),
            ATTN_ERROR_NOT_FOUND);
  EXPECT_NE(std::string(attn_last_error()).find("has no kernel 'nope'"),
            std::string::npos);
  ASSERT_EQ(attn_attention_create(device, module, "paged", 16, &kernel),
            ATTN_OK)
      << attn_last_error();
  EXPECT_EQ(attn_attention_last_path(kernel), ATTN_PATH_AUTO);

  attn_attention_args_t args = pagedArgs();
  args.path = ATTN_PATH_SPLIT;
  ASSERT_EQ(attn_attention_run(kernel, &args), ATTN_OK) << attn_last_error();
  EXPECT_EQ(attn_attention_last_path(kernel), ATTN_PATH_SPLIT);
  attn_test_record *records = test::testRecords();
  EXPECT_EQ(test::badPrograms(records[ATTN_TEST_FN_SPLIT], 28), 0);
  EXPECT_EQ(test::badPrograms(records[ATTN_TEST_FN_REDUCE], 32), 0);
  EXPECT_EQ(records[ATTN_TEST_FN_SPLIT].ptrs[ATTN_TEST_Q], q.data());

  args.q.shape[1] = 5;
  EXPECT_EQ(attn_attention_run(kernel, &args), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error())
                .find("q has shape [8, 5, 8]; expected [num_tokens, 4, 8]"),
            std::string::npos)
      << attn_last_error();
  args.q.shape[1] = 4;
  args.q.dtype = 1234;
  EXPECT_EQ(attn_attention_run(kernel, &args), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("invalid dtype code 1234"),
            std::string::npos);
  EXPECT_EQ(attn_attention_run(kernel, nullptr), ATTN_ERROR_INVALID_ARGUMENT);

  // Run allocates nothing through the C API either.
  args = pagedArgs();
  ASSERT_EQ(attn_attention_run(kernel, &args), ATTN_OK);
  uint64_t before = test::allocationCount();
  int status = attn_attention_run(kernel, &args);
  uint64_t allocations = test::allocationCount() - before;
  EXPECT_EQ(status, ATTN_OK);
  EXPECT_EQ(allocations, 0u);
  attn_attention_destroy(kernel);
}

TEST_F(CAPITest, CacheWrite) {
  attn_cache_write_t kernel = nullptr;
  ASSERT_EQ(attn_cache_write_create(device, module, "cache", &kernel), ATTN_OK)
      << attn_last_error();
  std::vector<float> key(4 * 2 * 8);
  std::vector<int64_t> slots = {0, 1, 2, -1};
  attn_cache_write_args_t args;
  std::memset(&args, 0, sizeof(args));
  args.key = tensor(key.data(), ATTN_DTYPE_F32, {4, 2, 8});
  args.value = tensor(key.data(), ATTN_DTYPE_F32, {4, 2, 8});
  args.k_cache = tensor(cache.data(), ATTN_DTYPE_F32, {10, 4, 2, 8});
  args.v_cache = tensor(cache.data(), ATTN_DTYPE_F32, {10, 4, 2, 8});
  args.slot_mapping = tensor(slots.data(), ATTN_DTYPE_I64, {4});
  ASSERT_EQ(attn_cache_write_run(kernel, &args), ATTN_OK) << attn_last_error();
  EXPECT_EQ(test::badPrograms(test::testRecords()[ATTN_TEST_FN_WRITE], 8), 0);
  slots[1] = 1000;
  EXPECT_EQ(attn_cache_write_run(kernel, &args), ATTN_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(attn_last_error()).find("slot_mapping[1] = 1000"),
            std::string::npos);
  attn_cache_write_t wrong = nullptr;
  EXPECT_EQ(attn_cache_write_create(device, module, "paged", &wrong),
            ATTN_ERROR_INVALID_ARGUMENT);
  attn_cache_write_destroy(kernel);
}

TEST_F(CAPITest, HandlesMayBeReleasedInAnyOrder) {
  attn_attention_t kernel = nullptr;
  ASSERT_EQ(attn_attention_create(device, module, "paged", 16, &kernel),
            ATTN_OK);
  // Release the device and module first; the kernel keeps them alive.
  attn_module_unload(module);
  attn_device_close(device);
  module = nullptr;
  device = nullptr;
  attn_attention_args_t args = pagedArgs();
  EXPECT_EQ(attn_attention_run(kernel, &args), ATTN_OK) << attn_last_error();
  attn_attention_destroy(kernel);
}

} // namespace
