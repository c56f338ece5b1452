//===- GPUSuiteTest.cpp - Broken suite directories give clear errors ------===//
//
// Part of the attn project, the GPU numerics unit tests.
//
//===----------------------------------------------------------------------===//
//
// What the GPU numerics suite reports for a directory it cannot run: a
// missing directory or suite.txt, broken lines, missing bundle files, an
// unset directory variable, and a bundle the device rejects. These run
// everywhere (the last one on the CPU device, and on a GPU where one is
// present).
//
//===----------------------------------------------------------------------===//

#include "GPUSuite.h"

#include "attn/Runtime/Device.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace attn;
using namespace attn::gpunum;
using State = SuiteEntry::State;

namespace {

/// A fresh directory, removed at the end of the test.
class SuiteDir {
public:
  SuiteDir() {
    std::string tmpl =
        (fs::temp_directory_path() / "attn-gpu-suite-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()))
      path_ = buf.data();
  }
  ~SuiteDir() {
    std::error_code ec;
    if (!path_.empty())
      fs::remove_all(path_, ec);
  }
  const std::string &path() const { return path_; }
  void write(const std::string &name, const std::string &text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

private:
  std::string path_;
};

/// Sets (or unsets, with nullopt) an environment variable for a scope.
class ScopedEnv {
public:
  ScopedEnv(const char *name, std::optional<std::string> value) : name_(name) {
    if (const char *old = std::getenv(name))
      old_ = old;
    if (value)
      ::setenv(name, value->c_str(), 1);
    else
      ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_)
      ::setenv(name_, old_->c_str(), 1);
    else
      ::unsetenv(name_);
  }

private:
  const char *name_;
  std::optional<std::string> old_;
};

bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

const SuiteEntry *find(const std::vector<SuiteEntry> &entries,
                       const std::string &name) {
  for (const SuiteEntry &e : entries)
    if (e.name == name)
      return &e;
  return nullptr;
}

TEST(GPUSuite, MissingDirectoryIsOneError) {
  auto entries = loadSuite(cudaTarget(), "/nonexistent/attn-gpu-suite");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Error);
  EXPECT_EQ(entries[0].name, "suite");
  EXPECT_TRUE(contains(entries[0].message,
                       "the CUDA bundle directory '/nonexistent/attn-gpu-suite'"
                       " (ATTN_GPU_BUNDLES) does not exist"))
      << entries[0].message;
}

TEST(GPUSuite, MissingSuiteFileIsOneError) {
  SuiteDir dir;
  auto entries = loadSuite(hipTarget(), dir.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Error);
  EXPECT_EQ(entries[0].message,
            "cannot read " + dir.path() +
                "/suite.txt (make the suite with scripts/gpu-bundles.sh "
                "--target=hip DIR)");
}

TEST(GPUSuite, EmptySuiteIsAnError) {
  SuiteDir dir;
  dir.write("suite.txt", "# nothing\n\n");
  auto entries = loadSuite(cudaTarget(), dir.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Error);
  EXPECT_TRUE(contains(entries[0].message, "suite.txt lists no variant"));
}

TEST(GPUSuite, BrokenLinesAreErrorsOfTheirOwn) {
  SuiteDir dir;
  for (const char *file : {"good.cubin", "good.ptx", "good.json", "ptxonly.ptx",
                           "ptxonly.json", "nomanifest.cubin", "badbatch.cubin",
                           "badbatch.json", "badtol.cubin", "badtol.json"})
    dir.write(file, "x");
  dir.write("suite.txt", "# name|batch|tolerance\n" // 1
                         "good|1:300,17:40|1e-3\n"  // 2
                         "ptxonly|1:10|2e-2\r\n"    // 3
                         "noimage|1:10|1e-3\n"      // 4
                         "nomanifest|1:10|1e-3\n"   // 5
                         "two|fields\n"             // 6
                         "bad-name|1:10|1e-3\n"     // 7
                         "badbatch|1:x|1e-3\n"      // 8
                         "badtol|1:10|abc\n"        // 9
                         "\n"                       // 10
                         "good|1:10|1e-3\n"         // 11
                         "a|b|c|d\n");              // 12
  auto entries = loadSuite(cudaTarget(), dir.path());
  ASSERT_EQ(entries.size(), 10u);
  std::string suite = dir.path() + "/suite.txt";

  const SuiteEntry *good = find(entries, "good");
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->state, State::Ready);
  EXPECT_EQ(good->image, dir.path() + "/good.cubin"); // cubin before ptx
  EXPECT_EQ(good->batch, "1:300,17:40");
  EXPECT_DOUBLE_EQ(good->tolerance, 1e-3);
  const SuiteEntry *ptx = find(entries, "ptxonly");
  ASSERT_NE(ptx, nullptr);
  EXPECT_EQ(ptx->state, State::Ready);
  EXPECT_EQ(ptx->image, dir.path() + "/ptxonly.ptx");

  struct Expected {
    const char *name;
    std::string message;
  };
  for (const Expected &x : std::vector<Expected>{
           {"line_4", suite + " line 4: variant 'noimage' has no bundle in " +
                          dir.path() + " (no noimage.cubin or noimage.ptx)"},
           {"line_5", suite + " line 5: variant 'nomanifest': its manifest " +
                          dir.path() + "/nomanifest.json does not exist"},
           {"line_6", suite + " line 6: expected name|batch|tolerance, got "
                              "'two|fields' (2 fields)"},
           {"line_7", suite + " line 7: variant name 'bad-name' must be "
                              "letters, digits and '_'"},
           {"line_8", suite + " line 8: variant 'badbatch': bad batch '1:x'"},
           {"line_9", suite + " line 9: variant 'badtol': bad tolerance "
                              "'abc': expected a number >= 0"},
           {"line_11", suite + " line 11: variant 'good' is listed twice"},
           {"line_12", suite + " line 12: expected name|batch|tolerance, got "
                               "'a|b|c|d' (4 fields)"},
       }) {
    const SuiteEntry *e = find(entries, x.name);
    ASSERT_NE(e, nullptr) << x.name;
    EXPECT_EQ(e->state, State::Error) << x.name;
    EXPECT_TRUE(contains(e->message, x.message))
        << x.name << ": " << e->message << "\n  expected: " << x.message;
  }
}

TEST(GPUSuite, HostBundlesNeedNoManifest) {
  SuiteDir dir;
  dir.write("v.so", "x");
  dir.write("suite.txt", "v|1:10|1e-3\n");
  auto entries = loadSuite(cpuTarget(), dir.path());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Ready) << entries[0].message;
  EXPECT_EQ(entries[0].image, dir.path() + "/v.so");
}

TEST(GPUSuite, UnsetDirectorySkipsSayingWhich) {
  ScopedEnv unset("ATTN_HIP_BUNDLES", std::nullopt);
  auto entries = suiteFromEnvironment(hipTarget());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Skip);
  EXPECT_EQ(entries[0].name, "bundles_unset");
  EXPECT_EQ(entries[0].message,
            "ATTN_HIP_BUNDLES is not set: it names the HIP suite directory "
            "that scripts/gpu-bundles.sh --target=hip DIR makes");

  ScopedEnv empty("ATTN_GPU_BUNDLES", std::string());
  EXPECT_EQ(suiteFromEnvironment(cudaTarget())[0].state, State::Skip);
}

TEST(GPUSuite, DirectoryFromTheEnvironment) {
  SuiteDir dir;
  ScopedEnv set("ATTN_GPU_BUNDLES", dir.path());
  auto entries = suiteFromEnvironment(cudaTarget());
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].state, State::Error);
  EXPECT_TRUE(contains(entries[0].message, dir.path() + "/suite.txt"));
}

TEST(GPUSuite, EntriesThatCannotRunAreAStatus) {
  auto cpu = rt::Device::open(rt::DeviceKind::CPU);
  ASSERT_TRUE(cpu.isOk()) << cpu.status().toString();
  SuiteEntry e;
  e.state = State::Skip;
  e.name = "bundles_unset";
  e.message = "ATTN_CPU_BUNDLES is not set";
  e.target = &cpuTarget();
  std::vector<RunResult> results;
  rt::Status st = runVariant(**cpu, e, results);
  EXPECT_EQ(st.code(), rt::StatusCode::FailedPrecondition);
  EXPECT_EQ(st.message(), "variant 'bundles_unset' cannot run: "
                          "ATTN_CPU_BUNDLES is not set");
  EXPECT_TRUE(results.empty());
}

/// A bundle whose files exist but hold garbage: loading it is an error
/// Status naming the variant and the file, on the CPU and on every GPU kind
/// that has a device here.
TEST(GPUSuite, CorruptBundleIsAStatusNotACrash) {
  SuiteDir dir;
  dir.write("junk.so", "not a shared object\n");
  dir.write("junk.ptx", "this is not PTX\n");
  dir.write("junk.hsaco", "this is not a code object\n");
  dir.write("junk.json", "{\"version\": 2, \"kernels\": [}\n");
  dir.write("suite.txt", "junk|1:10|1e-3\n");
  int ran = 0;
  for (const SuiteTarget *target :
       {&cpuTarget(), &cudaTarget(), &hipTarget()}) {
    auto device = rt::Device::open(target->kind);
    if (!device.isOk())
      continue; // no such GPU here
    ++ran;
    auto entries = loadSuite(*target, dir.path());
    ASSERT_EQ(entries.size(), 1u);
    ASSERT_EQ(entries[0].state, State::Ready) << entries[0].message;
    std::vector<RunResult> results;
    rt::Status st = runVariant(**device, entries[0], results);
    EXPECT_FALSE(st.isOk()) << target->label;
    EXPECT_TRUE(contains(st.message(),
                         "variant 'junk': loading " + entries[0].image + ": "))
        << target->label << ": " << st.toString();
    EXPECT_TRUE(results.empty());
  }
  EXPECT_GE(ran, 1);
}

} // namespace
