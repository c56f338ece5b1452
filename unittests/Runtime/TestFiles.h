//===- TestFiles.h - temporary files for runtime tests ----------*- C++ -*-===//
//
// Shared by the GPU device tests: a temporary directory that removes what
// was written into it, and a substring check for messages.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_RUNTIME_TESTFILES_H
#define ATTN_UNITTESTS_RUNTIME_TESTFILES_H

#include "gtest/gtest.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace attn {
namespace rt {
namespace test {

/// A temporary directory, removed with the files written into it.
class TempDir {
public:
  explicit TempDir(const std::string &prefix = "attn-test") {
    std::string pattern = ::testing::TempDir() + prefix + "-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (mkdtemp(buffer.data()))
      path_ = buffer.data();
  }
  ~TempDir() {
    for (const std::string &file : files_)
      std::remove(file.c_str());
    if (!path_.empty())
      rmdir(path_.c_str());
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  bool ok() const { return !path_.empty(); }

  /// Writes `name` in the directory and returns its path.
  std::string write(const std::string &name, const std::string &text) {
    std::string file = path_ + "/" + name;
    std::ofstream out(file, std::ios::binary);
    out << text;
    files_.push_back(file);
    return file;
  }

private:
  std::string path_;
  std::vector<std::string> files_;
};

inline bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

} // namespace test
} // namespace rt
} // namespace attn

#endif // ATTN_UNITTESTS_RUNTIME_TESTFILES_H
