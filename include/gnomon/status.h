// Status and Result<T>: how every fallible call in Gnomon's public API reports failure.
//
// Contract: no exception crosses the public API. A call returns Status::OK() on success, or a
// Status whose code says what kind of failure it was and whose message names the offending input
// (a label, a field, a line) and the reason. Result<T> carries either a value or a non-OK Status.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gnomon {

class Status {
 public:
  enum class Code : unsigned char {
    kOk = 0,
    kInvalidArgument,  // the caller's input is malformed (bad label, bad sample, bad matcher)
    kNotFound,
    kCorruption,       // stored data failed a checksum or could not be decoded
    kIOError,          // the file system or RocksDB failed
    kResourceExhausted,  // a configured limit was hit (series, labels, query size)
    kBusy,             // the engine cannot take more work now; retry later
    kAborted,          // the operation was cancelled or timed out
    kFailedPrecondition,  // valid request that cannot be carried out on this data (e.g. a query
                          // whose result would hold two series with the same labels)
    kInternal,
    kNoSpace,          // the disk (or the quota) is full: nothing was stored; retry once there is room
  };

  Status() = default;
  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status ResourceExhausted(std::string msg) { return Status(Code::kResourceExhausted, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }
  static Status FailedPrecondition(std::string msg) { return Status(Code::kFailedPrecondition, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNoSpace() const { return code_ == Code::kNoSpace; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  const std::string& message() const { return message_; }
  // "OK" or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// Either a T or a non-OK Status. Accessing value() of an error Result is a programming error.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace gnomon

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define GNOMON_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::gnomon::Status _gnomon_st = (expr);     \
    if (!_gnomon_st.ok()) return _gnomon_st;  \
  } while (0)
