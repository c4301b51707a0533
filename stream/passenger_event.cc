#include "stream/passenger_event.h"

#include <fmt/format.h>

#include <cmath>

namespace kappa::stream {
namespace {

Rejection OutOfRange(std::string reason) { return {RejectKind::kOutOfRange, std::move(reason)}; }

// One character of an event for a reason, quoted, a byte outside printable
// ASCII as \xNN: reasons are one line of text (log lines, DLQ headers), and
// an Embarked may be any byte (a CSV field, a JSON "\u0000").
std::string QuotedChar(char c) {
  const auto byte = static_cast<unsigned char>(c);
  if (c == '"' || c == '\\') return fmt::format("\"\\{}\"", c);
  if (byte >= 0x20 && byte < 0x7F) return fmt::format("\"{}\"", c);
  return fmt::format("\"\\x{:02x}\"", byte);
}

}  // namespace

std::string_view SexName(Sex sex) { return sex == Sex::kFemale ? "female" : "male"; }

std::string_view RejectKindName(RejectKind kind) {
  switch (kind) {
    case RejectKind::kNullValue:
      return "null_value";
    case RejectKind::kEmpty:
      return "empty";
    case RejectKind::kOversize:
      return "oversize";
    case RejectKind::kInvalidUtf8:
      return "invalid_utf8";
    case RejectKind::kNotJson:
      return "not_json";
    case RejectKind::kNotObject:
      return "not_object";
    case RejectKind::kMissingField:
      return "missing_field";
    case RejectKind::kDuplicateField:
      return "duplicate_field";
    case RejectKind::kWrongType:
      return "wrong_type";
    case RejectKind::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

std::optional<Rejection> CheckRanges(const PassengerEvent& e) {
  if (e.passenger_id < 1) {
    return OutOfRange(fmt::format("PassengerId: expected integer >= 1, got {}", e.passenger_id));
  }
  if (e.pclass < 1 || e.pclass > 3) {
    return OutOfRange(fmt::format("Pclass: expected 1, 2 or 3, got {}", e.pclass));
  }
  // `!(x >= lo && x <= hi)` also rejects NaN.
  if (e.age && !(*e.age >= 0.0 && *e.age <= 120.0)) {
    return OutOfRange(fmt::format("Age: expected 0 to 120 or null, got {}", *e.age));
  }
  if (e.sib_sp && *e.sib_sp < 0) {
    return OutOfRange(fmt::format("SibSp: expected integer >= 0 or null, got {}", *e.sib_sp));
  }
  if (e.parch && *e.parch < 0) {
    return OutOfRange(fmt::format("Parch: expected integer >= 0 or null, got {}", *e.parch));
  }
  if (e.fare && !(*e.fare >= 0.0 && std::isfinite(*e.fare))) {
    return OutOfRange(fmt::format("Fare: expected number >= 0 or null, got {}", *e.fare));
  }
  if (e.embarked && *e.embarked != 'S' && *e.embarked != 'C' && *e.embarked != 'Q') {
    return OutOfRange(fmt::format("Embarked: expected \"S\", \"C\", \"Q\" or null, got {}",
                                  QuotedChar(*e.embarked)));
  }
  if (e.survived && *e.survived != 0 && *e.survived != 1) {
    return OutOfRange(fmt::format("Survived: expected 0, 1 or null, got {}", *e.survived));
  }
  if (e.ts_ms && *e.ts_ms < 0) {
    return OutOfRange(fmt::format("ts: expected integer >= 0 (ms), got {}", *e.ts_ms));
  }
  return std::nullopt;
}

}  // namespace kappa::stream
