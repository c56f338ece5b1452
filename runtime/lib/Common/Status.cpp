//===- Status.cpp - Error status and StatusOr<T> --------------------------===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//

#include "attn/Runtime/Status.h"

#include <cstdio>

namespace attn {
namespace rt {

const char *statusCodeName(StatusCode code) {
  switch (code) {
  case StatusCode::Ok:
    return "Ok";
  case StatusCode::InvalidArgument:
    return "InvalidArgument";
  case StatusCode::NotFound:
    return "NotFound";
  case StatusCode::Unavailable:
    return "Unavailable";
  case StatusCode::OutOfMemory:
    return "OutOfMemory";
  case StatusCode::FailedPrecondition:
    return "FailedPrecondition";
  case StatusCode::Internal:
    return "Internal";
  }
  return "Unknown";
}

std::string Status::toString() const {
  if (isOk())
    return "Ok";
  return std::string(statusCodeName(code_)) + ": " + message_;
}

namespace detail {
void dieOnBadStatusOrAccess(const Status &status) {
  std::fprintf(stderr,
               "attnrt: value() called on a StatusOr holding an error: %s\n",
               status.toString().c_str());
  std::abort();
}
} // namespace detail

} // namespace rt
} // namespace attn
