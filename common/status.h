// Status and Result<T>: how every fallible kappa API reports failure.
//
// A Status is either ok or carries a code and a one-line message with context
// ("-X foo=1: No such configuration property"). Both types are [[nodiscard]]:
// an ignored status is a bug. Foreign errors (librdkafka, RocksDB, XGBoost)
// are translated into a Status once, inside the wrapper that called them.
// Value types; thread-compatible (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kappa {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad usage or configuration: the CLI exits with 2
  kNotFound,
  kIoError,
  kKafkaError,
  kCorruption,  // data that fails verification (checksum, format)
  kTimeout,
  kCancelled,  // stopped by a signal or a caller
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(StatusCode::kInvalidArgument, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(StatusCode::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) {
    return Status(StatusCode::kCorruption, std::move(msg));
  }
  static Status Timeout(std::string msg) { return Status(StatusCode::kTimeout, std::move(msg)); }
  static Status Cancelled(std::string msg) {
    return Status(StatusCode::kCancelled, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(StatusCode::kInternal, std::move(msg)); }

  // A librdkafka error, keeping its code and its fatal/retriable flags so that
  // callers can decide whether to retry, rewind or give up.
  // `txn_requires_abort`: the current transaction cannot commit and must be
  // aborted (its input is then processed again).
  static Status Kafka(std::string msg, int32_t kafka_code, bool retriable = false,
                      bool fatal = false, bool txn_requires_abort = false) {
    Status s(StatusCode::kKafkaError, std::move(msg));
    s.kafka_code_ = kafka_code;
    s.retriable_ = retriable;
    s.fatal_ = fatal;
    s.txn_requires_abort_ = txn_requires_abort;
    return s;
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  int32_t kafka_code() const { return kafka_code_; }
  bool retriable() const { return retriable_; }
  bool fatal() const { return fatal_; }
  bool txn_requires_abort() const { return txn_requires_abort_; }

  // Returns a copy whose message is prefixed with `context: `.
  Status WithContext(std::string_view context) const {
    if (ok()) return *this;
    Status s = *this;
    s.message_ = std::string(context) + ": " + message_;
    return s;
  }

  // Marks a status as deliberately ignored (e.g. best-effort cleanup).
  void IgnoreError() const {}

  // "ok", or "<code name>: <message>".
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  int32_t kafka_code_ = 0;
  bool retriable_ = false;
  bool fatal_ = false;
  bool txn_requires_abort_ = false;
};

const char* StatusCodeName(StatusCode code);

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  // Precondition: ok().
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  // The error; Status::Ok() when a value is held.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kappa

// Returns early from the enclosing function when `expr` is not ok.
#define KAPPA_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::kappa::Status kappa_status_ = (expr);        \
    if (!kappa_status_.ok()) return kappa_status_; \
  } while (false)
