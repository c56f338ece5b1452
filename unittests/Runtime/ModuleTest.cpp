//===- ModuleTest.cpp - Tests of loading host bundles ---------------------===//
//
// Part of the attn project, the runtime unit tests.
//
//===----------------------------------------------------------------------===//

#include "TestUtil.h"

#include "attn/Runtime/Module.h"

using namespace attn::rt;
using attn::rt::test::openCPU;

namespace {

class ModuleTest : public ::testing::Test {
protected:
  void SetUp() override {
    device = openCPU();
    ASSERT_NE(device, nullptr);
  }

  Status loadError(const std::string &path) {
    StatusOr<std::unique_ptr<Module>> module = device->loadModule(path);
    EXPECT_FALSE(module.isOk()) << path;
    return module.isOk() ? Status::ok() : module.status();
  }

  std::unique_ptr<Device> device;
};

TEST_F(ModuleTest, LoadsTheTestBundle) {
  StatusOr<std::unique_ptr<Module>> module =
      device->loadModule(ATTN_TEST_KERNELS_PATH);
  ASSERT_OK(module);
  Module &m = **module;
  EXPECT_EQ(&m.device(), device.get());
  EXPECT_EQ(m.path(), ATTN_TEST_KERNELS_PATH);
  ASSERT_EQ(m.kernels().size(), 6u);
  const char *names[] = {"paged",  "full",  "pth",
                         "varlen", "cache", "cache_fp8"};
  for (size_t i = 0; i < 6; ++i)
    EXPECT_EQ(m.kernels()[i].name, names[i]);
  EXPECT_EQ(m.manifestText().rfind("{\"version\": 2", 0), 0u);

  const KernelInfo *paged = m.find("paged");
  ASSERT_NE(paged, nullptr);
  EXPECT_EQ(paged->segments, 2);
  EXPECT_EQ(m.find("nope"), nullptr);

  StatusOr<Function> fn = m.function("paged_split");
  ASSERT_OK(fn);
  EXPECT_TRUE(fn->isValid());
  EXPECT_STREQ(fn->name, "paged_split");
  StatusOr<Function> other = m.function("attn_test_reset");
  ASSERT_FALSE(other.isOk());
  EXPECT_EQ(other.status().code(), StatusCode::NotFound);
}

TEST_F(ModuleTest, LookupListsAvailableKernels) {
  StatusOr<std::unique_ptr<Module>> module =
      device->loadModule(ATTN_TEST_KERNELS_PATH);
  ASSERT_OK(module);
  StatusOr<const KernelInfo *> found = (*module)->lookup("varlen");
  ASSERT_OK(found);
  EXPECT_EQ((*found)->kvLayout, KvLayout::Varlen);
  StatusOr<const KernelInfo *> missing = (*module)->lookup("llama");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), StatusCode::NotFound);
  EXPECT_NE(missing.status().message().find(
                "has no kernel 'llama' (it has: paged, full, pth, varlen, "
                "cache, cache_fp8)"),
            std::string::npos)
      << missing.status().message();
}

TEST_F(ModuleTest, TwoLoadsOfOneFileAreIndependentObjects) {
  auto a = device->loadModule(ATTN_TEST_KERNELS_PATH);
  auto b = device->loadModule(ATTN_TEST_KERNELS_PATH);
  ASSERT_OK(a);
  ASSERT_OK(b);
  a->reset();
  EXPECT_TRUE((*b)->function("paged_2d").isOk());
}

TEST_F(ModuleTest, MissingFile) {
  Status status = loadError("/nonexistent/dir/kernels.so");
  EXPECT_EQ(status.code(), StatusCode::NotFound);
  EXPECT_EQ(status.message(),
            "cannot load '/nonexistent/dir/kernels.so': file not found");
  EXPECT_EQ(loadError("").code(), StatusCode::InvalidArgument);
}

TEST_F(ModuleTest, NotASharedObject) {
  Status status = loadError(ATTN_TEST_SOURCE_DIR "/TestKernels.c");
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("cannot load"), std::string::npos);
  Status dir = loadError(ATTN_TEST_SOURCE_DIR);
  EXPECT_NE(dir.message().find("is a directory"), std::string::npos);
}

TEST_F(ModuleTest, SharedObjectWithoutManifest) {
  Status status = loadError(ATTN_TEST_NO_MANIFEST_PATH);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("does not export 'attn_manifest' (is it an "
                                  "attn host bundle?)"),
            std::string::npos)
      << status.message();
}

TEST_F(ModuleTest, ManifestThatIsNotJson) {
  Status status = loadError(ATTN_TEST_BAD_JSON_PATH);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  EXPECT_NE(status.message().find("manifest is not valid JSON: JSON error at "
                                  "line 3, column 16"),
            std::string::npos)
      << status.message();
}

TEST_F(ModuleTest, ManifestNamingAMissingFunction) {
  Status status = loadError(ATTN_TEST_MISSING_FN_PATH);
  EXPECT_EQ(status.code(), StatusCode::NotFound);
  EXPECT_NE(status.message().find("kernel 'ghost' names function 'ghost_2d', "
                                  "which the module does not export"),
            std::string::npos)
      << status.message();
}

TEST_F(ModuleTest, ManifestDeclaredAsPointer) {
  Status status = loadError(ATTN_TEST_PTR_MANIFEST_PATH);
  EXPECT_EQ(status.code(), StatusCode::InvalidArgument);
  // The pointer's bytes are not JSON; which check catches it depends on the
  // address, so accept either message.
  EXPECT_TRUE(status.message().find("not a pointer") != std::string::npos ||
              status.message().find("not valid JSON") != std::string::npos)
      << status.message();
}

} // namespace
