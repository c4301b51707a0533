// PassengerEvent: the typed value of a `titanic-events` record (design.md,
// "Passenger event"), and the range rules every event source shares.
//
// Fields mirror Kaggle's train.csv. Optional fields are std::nullopt when the
// JSON value is null or absent (or, from CSV, the field is empty). Strings are
// held by value so a decoder can reuse their capacity across events.
// Plain value type; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kappa::stream {

enum class Sex : uint8_t { kMale, kFemale };

struct PassengerEvent {
  int64_t passenger_id = 0;    // required, >= 1
  int pclass = 3;              // required, 1..3
  Sex sex = Sex::kMale;        // required
  std::optional<double> age;   // 0..120 (fractional for infants)
  std::optional<int> sib_sp;   // >= 0
  std::optional<int> parch;    // >= 0
  std::optional<double> fare;  // >= 0
  std::optional<std::string> name;
  std::optional<std::string> ticket;
  std::optional<std::string> cabin;
  std::optional<char> embarked;  // 'S', 'C' or 'Q'
  std::optional<int> survived;   // the label: 0 or 1, absent when unknown
  std::optional<int64_t> ts_ms;  // event time, ms since the epoch, >= 0

  bool operator==(const PassengerEvent&) const = default;
};

// "male" / "female".
std::string_view SexName(Sex sex);

// Why an event was rejected, coarse enough to count by (metrics, DLQ header).
enum class RejectKind : uint8_t {
  kNullValue,  // Kafka record with no value (tombstone)
  kEmpty,      // zero-length value
  kOversize,   // larger than the decoder's size limit
  kInvalidUtf8,
  kNotJson,       // syntax error, truncated document, trailing garbage
  kNotObject,     // valid JSON but not an object
  kMissingField,  // a required field is absent
  kDuplicateField,
  kWrongType,
  kOutOfRange,
};

// Stable lower-case name ("wrong_type"), used in DLQ headers and metric labels.
std::string_view RejectKindName(RejectKind kind);

// A rejected event: the kind and a precise one-line reason that names the
// field, e.g. "Age: expected number or null, got string".
struct Rejection {
  RejectKind kind;
  std::string reason;
};

// Checks the range rules of design.md on an already-typed event: PassengerId
// >= 1, Pclass 1..3, Age 0..120, SibSp/Parch >= 0, Fare >= 0 and finite,
// Embarked S/C/Q, Survived 0/1, ts >= 0. Every event source (JSON decoder,
// CSV reader) calls this one function, so the rules exist once.
// Returns std::nullopt when the event is valid.
std::optional<Rejection> CheckRanges(const PassengerEvent& event);

}  // namespace kappa::stream
