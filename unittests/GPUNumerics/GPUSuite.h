//===- GPUSuite.h - The GPU variant suite: loading and running --*- C++ -*-===//
//
// Part of the attn project, the GPU numerics unit tests.
//
//===----------------------------------------------------------------------===//
//
// A suite directory is what scripts/gpu-bundles.sh writes: one bundle per
// variant (<name>.cubin or <name>.ptx with <name>.json for CUDA,
// <name>.hsaco with <name>.json for HIP, <name>.so for the CPU) and
// suite.txt, one "name|batch|tolerance" per line. loadSuite() turns it into
// entries (one per line); runVariant() runs one entry on a device against
// the double-precision reference, as `attn-bench --verify --path=all
// --tolerance=T` does, through the same code (Reference/DeviceRun.h).
//
// Problems of the directory never stop the others: a line that does not
// parse, a duplicate name or a missing bundle file becomes an Error entry
// of its own that names the file, the line and the problem.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_UNITTESTS_GPUNUMERICS_GPUSUITE_H
#define ATTN_UNITTESTS_GPUNUMERICS_GPUSUITE_H

#include "attn/Runtime/Device.h"
#include "attn/Runtime/Status.h"

#include <limits>
#include <string>
#include <vector>

namespace attn {
namespace gpunum {

/// A device kind the suite runs on, and where its bundles come from.
struct SuiteTarget {
  rt::DeviceKind kind;
  /// "CUDA", "HIP", "CPU" (the test name prefix).
  const char *label;
  /// The environment variable that names the suite directory.
  const char *envVar;
  /// Image file extensions, in order of preference.
  std::vector<std::string> imageExtensions;
  /// Whether a <name>.json manifest must sit beside the image.
  bool separateManifest;
  /// The command that makes a suite directory for this target.
  const char *makeCommand;
  /// The directory used when envVar is unset ("" = none).
  std::string defaultDir;
};
const SuiteTarget &cudaTarget();
const SuiteTarget &hipTarget();
const SuiteTarget &cpuTarget();

/// One variant of a suite, or the reason why none can run.
struct SuiteEntry {
  enum class State {
    Ready, ///< a variant to run
    Skip,  ///< no suite directory given
    Error, ///< a broken directory, suite.txt line or bundle
  };
  State state = State::Ready;
  /// The test name: the variant's name, or "bundles_unset", "suite"
  /// (suite.txt cannot be read) or "line_<N>" (a broken line).
  std::string name;
  std::string batch;
  double tolerance = 0;
  /// The bundle image to load.
  std::string image;
  /// Skip / Error: what is wrong, naming the file and line.
  std::string message;
  const SuiteTarget *target = nullptr;
};

/// The entries of `dir`/suite.txt for `target`. Empty lines and lines
/// starting with '#' are skipped. Every other line gives one entry, an
/// Error one when it is not name|batch|tolerance (name: letters, digits and
/// '_'; batch: Q:S,...; tolerance: a number >= 0), repeats a name, or names
/// a variant whose image (or manifest) is not in `dir`. A suite.txt that
/// cannot be read gives one Error entry named "suite".
std::vector<SuiteEntry> loadSuite(const SuiteTarget &target,
                                  const std::string &dir);

/// loadSuite() of the directory that target.envVar names (else
/// target.defaultDir); one Skip entry named "bundles_unset" when neither
/// is set.
std::vector<SuiteEntry> suiteFromEnvironment(const SuiteTarget &target);

/// The verdict on one launch path ("2d", "split") or on a cache write
/// ("write").
struct RunResult {
  std::string what;
  bool pass = false;
  /// Attention: out's max |err| / max |ref| (NaN when unknown).
  double relErr = std::numeric_limits<double>::quiet_NaN();
  /// The comparison (errors, worst element) and the tolerance.
  std::string detail;
};

/// Runs a Ready entry on `device`: loads its bundle, takes the spec from
/// the manifest's first kernel, makes the random inputs of its batch (seed
/// 1, as attn-bench), and checks attention on the 2D and the split-KV path
/// (or the cache write) against the reference with the entry's tolerance,
/// appending one RunResult each. Anything that prevents a verdict (a bundle
/// that does not load, a manifest without kernels, a batch the variant
/// rejects, a failed launch or copy) is an error Status that names the
/// variant and the step.
rt::Status runVariant(rt::Device &device, const SuiteEntry &entry,
                      std::vector<RunResult> &results);

} // namespace gpunum
} // namespace attn

#endif // ATTN_UNITTESTS_GPUNUMERICS_GPUSUITE_H
