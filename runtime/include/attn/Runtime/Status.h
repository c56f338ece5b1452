//===- Status.h - Error status and StatusOr<T> ------------------*- C++ -*-===//
//
// Part of the attn project, the runtime library (libattnrt).
//
//===----------------------------------------------------------------------===//
//
// Every fallible runtime call returns a Status (a code plus a message that
// names the problem and the values involved) or a StatusOr<T>. The runtime
// never throws and never aborts on bad input.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_RUNTIME_STATUS_H
#define ATTN_RUNTIME_STATUS_H

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <utility>

namespace attn {
namespace rt {

/// Status codes. The numeric values are part of the C API (attn-c/Runtime.h)
/// and never change.
enum class StatusCode : int32_t {
  Ok = 0,
  InvalidArgument = 1,
  NotFound = 2,
  Unavailable = 3,
  OutOfMemory = 4,
  FailedPrecondition = 5,
  Internal = 6,
};

/// Returns "Ok", "InvalidArgument", ... ("Unknown" for out-of-range values).
const char *statusCodeName(StatusCode code);

/// The result of an operation: Ok, or an error code with a message.
class [[nodiscard]] Status {
public:
  /// An Ok status.
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool isOk() const { return code_ == StatusCode::Ok; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string &message() const { return message_; }

  /// "Ok", or "<Code>: <message>".
  std::string toString() const;

private:
  StatusCode code_ = StatusCode::Ok;
  std::string message_;
};

namespace detail {
template <typename... Args> std::string concat(Args &&...args) {
  std::ostringstream os;
  (os << ... << std::forward<Args>(args));
  return os.str();
}
} // namespace detail

/// Error constructors; the arguments are streamed into the message, so
/// `invalidArgument("q has ", rank, " dims")` works.
template <typename... Args> Status invalidArgument(Args &&...args) {
  return Status(StatusCode::InvalidArgument,
                detail::concat(std::forward<Args>(args)...));
}
template <typename... Args> Status notFound(Args &&...args) {
  return Status(StatusCode::NotFound,
                detail::concat(std::forward<Args>(args)...));
}
template <typename... Args> Status unavailable(Args &&...args) {
  return Status(StatusCode::Unavailable,
                detail::concat(std::forward<Args>(args)...));
}
template <typename... Args> Status outOfMemory(Args &&...args) {
  return Status(StatusCode::OutOfMemory,
                detail::concat(std::forward<Args>(args)...));
}
template <typename... Args> Status failedPrecondition(Args &&...args) {
  return Status(StatusCode::FailedPrecondition,
                detail::concat(std::forward<Args>(args)...));
}
template <typename... Args> Status internalError(Args &&...args) {
  return Status(StatusCode::Internal,
                detail::concat(std::forward<Args>(args)...));
}

/// Either a value of type T or an error Status. Constructing one from an Ok
/// Status is a programming error and yields an Internal error instead.
template <typename T> class [[nodiscard]] StatusOr {
  static_assert(!std::is_same<std::decay_t<T>, Status>::value,
                "StatusOr<Status> is not allowed");

public:
  StatusOr(const Status &status) : status_(status) { checkNotOk(); }
  StatusOr(Status &&status) : status_(std::move(status)) { checkNotOk(); }
  template <typename U = T,
            typename = std::enable_if_t<
                std::is_constructible<T, U &&>::value &&
                !std::is_same<std::decay_t<U>, Status>::value &&
                !std::is_same<std::decay_t<U>, StatusOr<T>>::value>>
  StatusOr(U &&value) : value_(std::forward<U>(value)) {}

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status &status() const { return status_; }

  /// Accessors; calling them on an error aborts with the message (a bug in
  /// the caller, who must check isOk() first).
  T &value() & {
    checkHasValue();
    return *value_;
  }
  const T &value() const & {
    checkHasValue();
    return *value_;
  }
  T &&value() && {
    checkHasValue();
    return std::move(*value_);
  }
  T &operator*() & { return value(); }
  const T &operator*() const & { return value(); }
  T &&operator*() && { return std::move(*this).value(); }
  T *operator->() { return &value(); }
  const T *operator->() const { return &value(); }

private:
  void checkNotOk() {
    if (status_.isOk())
      status_ = Status(StatusCode::Internal,
                       "StatusOr constructed from an Ok status without value");
  }
  void checkHasValue() const;

  Status status_;
  std::optional<T> value_;
};

namespace detail {
[[noreturn]] void dieOnBadStatusOrAccess(const Status &status);
} // namespace detail

template <typename T> void StatusOr<T>::checkHasValue() const {
  if (!value_.has_value())
    detail::dieOnBadStatusOrAccess(status_);
}

} // namespace rt
} // namespace attn

#define ATTN_RT_CONCAT_INNER(a, b) a##b
#define ATTN_RT_CONCAT(a, b) ATTN_RT_CONCAT_INNER(a, b)

/// Returns from the current function if `expr` (a Status) is an error.
#define ATTN_RT_RETURN_IF_ERROR(expr)                                          \
  do {                                                                         \
    ::attn::rt::Status attnRtStatus_ = (expr);                                 \
    if (!attnRtStatus_.isOk())                                                 \
      return attnRtStatus_;                                                    \
  } while (false)

/// `ATTN_RT_ASSIGN_OR_RETURN(auto x, makeX());` declares x from a StatusOr,
/// or returns its error.
#define ATTN_RT_ASSIGN_OR_RETURN(lhs, expr)                                    \
  ATTN_RT_ASSIGN_OR_RETURN_IMPL(ATTN_RT_CONCAT(attnRtOr_, __LINE__), lhs, expr)
#define ATTN_RT_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)                          \
  auto tmp = (expr);                                                           \
  if (!tmp.isOk())                                                             \
    return tmp.status();                                                       \
  lhs = std::move(tmp).value()

#endif // ATTN_RUNTIME_STATUS_H
