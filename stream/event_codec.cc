#include "stream/event_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "common/json_writer.h"
#include "stream/event_fields.h"
#include "stream/json_validation.h"
#include "stream/plain_event_reader.h"
#include "stream/utf8.h"

namespace kappa::stream {
namespace {

namespace od = simdjson::ondemand;
using internal::CheckRequired;
using internal::Field;
using internal::FieldSet;
using internal::FirstInvalidUtf8;
using internal::Index;
using internal::IsJsonNumber;
using internal::JsonTypeName;
using internal::MatchKeyInPlace;
using internal::NameOf;
using internal::NumberToken;
using internal::ReadPlainEvent;
using internal::ResetAbsent;
using internal::ValidateJsonValue;

// For the keys MatchKeyInPlace() leaves (unknown ones, or written with
// escapes), after unescaping: narrows by length and first letter before
// comparing, instead of comparing against all 13 names.
std::optional<Field> FindField(std::string_view key) {
  const auto pick = [&](Field f) { return key == NameOf(f) ? std::optional(f) : std::nullopt; };
  switch (key.size()) {
    case 2:
      return pick(Field::kTs);
    case 3:
      return key[0] == 'S' ? pick(Field::kSex) : pick(Field::kAge);
    case 4:
      return key[0] == 'F' ? pick(Field::kFare) : pick(Field::kName);
    case 5:
      if (key[0] == 'S') return pick(Field::kSibSp);
      return key[0] == 'P' ? pick(Field::kParch) : pick(Field::kCabin);
    case 6:
      return key[0] == 'P' ? pick(Field::kPclass) : pick(Field::kTicket);
    case 8:
      return key[0] == 'E' ? pick(Field::kEmbarked) : pick(Field::kSurvived);
    case 11:
      return pick(Field::kPassengerId);
    default:
      return std::nullopt;
  }
}

// Unknown fields are validated, not just skipped (On-Demand skipping only
// counts brackets), so their nesting is bounded to keep that recursion small.
// Real events are flat; 64 is far beyond anything legitimate.
constexpr int kMaxUnknownNesting = 64;

// Values quoted back in reasons are cut here: reasons are one line in a DLQ
// header and a metric-friendly log, not a copy of the input.
constexpr size_t kMaxQuotedBytes = 40;

// simdjson::error_message() has only the prose; the code name makes reasons
// greppable. Indexed by simdjson::error_code.
constexpr std::array<std::string_view, simdjson::NUM_ERROR_CODES> kSimdjsonErrorNames = {
    "SUCCESS",
    "CAPACITY",
    "MEMALLOC",
    "TAPE_ERROR",
    "DEPTH_ERROR",
    "STRING_ERROR",
    "T_ATOM_ERROR",
    "F_ATOM_ERROR",
    "N_ATOM_ERROR",
    "NUMBER_ERROR",
    "UTF8_ERROR",
    "UNINITIALIZED",
    "EMPTY",
    "UNESCAPED_CHARS",
    "UNCLOSED_STRING",
    "UNSUPPORTED_ARCHITECTURE",
    "INCORRECT_TYPE",
    "NUMBER_OUT_OF_RANGE",
    "INDEX_OUT_OF_BOUNDS",
    "NO_SUCH_FIELD",
    "IO_ERROR",
    "INVALID_JSON_POINTER",
    "INVALID_URI_FRAGMENT",
    "UNEXPECTED_ERROR",
    "PARSER_IN_USE",
    "OUT_OF_ORDER_ITERATION",
    "INSUFFICIENT_PADDING",
    "INCOMPLETE_ARRAY_OR_OBJECT",
    "SCALAR_DOCUMENT_AS_VALUE",
    "OUT_OF_BOUNDS",
    "TRAILING_CONTENT",
};
static_assert(simdjson::TRAILING_CONTENT + 1 == simdjson::NUM_ERROR_CODES,
              "simdjson's error codes changed: update kSimdjsonErrorNames");

// `s` as a JSON string literal for a reason, cut at a UTF-8 boundary.
std::string QuoteForReason(std::string_view s) {
  std::string quoted;
  if (s.size() <= kMaxQuotedBytes) {
    AppendJsonString(s, &quoted);
    return quoted;
  }
  size_t cut = kMaxQuotedBytes;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  AppendJsonString(s.substr(0, cut), &quoted);
  quoted += "...";
  return quoted;
}

// A number token for a reason. Tokens are ASCII (they passed IsJsonNumber).
std::string ShortToken(std::string_view token) {
  if (token.size() <= kMaxQuotedBytes) return std::string(token);
  return fmt::format("{}...", token.substr(0, kMaxQuotedBytes));
}

bool IsPlainInteger(std::string_view number) {
  return number.find_first_of(".eE") == std::string_view::npos;
}

// ---- Rejections -------------------------------------------------------------

Rejection NotJson(simdjson::error_code error, std::string_view context = {}) {
  std::string reason = fmt::format("not valid JSON: {}: {}", kSimdjsonErrorNames[error],
                                   simdjson::error_message(error));
  if (!context.empty()) reason += fmt::format(" (field {})", QuoteForReason(context));
  return {RejectKind::kNotJson, std::move(reason)};
}

Rejection WrongType(Field field, std::string_view expected, std::string_view got) {
  return {RejectKind::kWrongType,
          fmt::format("{}: expected {}, got {}", NameOf(field), expected, got)};
}

Rejection WrongType(Field field, std::string_view expected, od::json_type got) {
  return WrongType(field, expected, JsonTypeName(got));
}

Rejection OutOfRange(Field field, std::string_view number) {
  return {RejectKind::kOutOfRange,
          fmt::format("{}: {} is out of range", NameOf(field), ShortToken(number))};
}

// A number simdjson could not convert: malformed (not JSON) or too large.
Rejection BadNumber(Field field, simdjson::error_code error, std::string_view token) {
  if (!IsJsonNumber(token)) return NotJson(error, NameOf(field));
  return OutOfRange(field, token);
}

// ---- Typed readers ----------------------------------------------------------
//
// Each reads one known field's value. Every reader first tries the common
// case directly (a plain integer, a number, a string): simdjson's get_*
// consume nothing when they fail, and their success implies the JSON type,
// so a separate type() call per field is not needed. Anything else (null,
// a wrong type, an odd number) takes the careful path, which checks the JSON
// type first so that wrong types get a kWrongType reason naming both the
// expected and the actual type.

std::optional<Rejection> TypeOf(od::value& v, Field field, od::json_type* type) {
  if (auto error = v.type().get(*type)) return NotJson(error, NameOf(field));
  return std::nullopt;
}

// Consumes a value whose first byte is 'n'. simdjson reports a malformed
// literal ("nul") as INCORRECT_TYPE; N_ATOM_ERROR says what is wrong.
template <typename Value>
simdjson::error_code ConsumeNull(Value& v) {
  bool is_null = false;
  if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return simdjson::N_ATOM_ERROR;
  return simdjson::SUCCESS;
}

std::optional<Rejection> ConsumeNull(od::value& v, Field field) {
  if (auto error = ConsumeNull(v)) return NotJson(error, NameOf(field));
  return std::nullopt;
}

template <typename Int>
std::optional<Rejection> StoreIntegral(Field field, int64_t integer, Int* out) {
  if (integer < std::numeric_limits<Int>::min() || integer > std::numeric_limits<Int>::max()) {
    return OutOfRange(field, fmt::to_string(integer));
  }
  *out = static_cast<Int>(integer);
  return std::nullopt;
}

// Reads a JSON number with an integral value into an Int. Integers are
// parsed exactly; a fractional form with an integral value (3.0, as pandas
// writes) is accepted up to 2^53, beyond which a double is no longer exact.
template <typename Int>
std::optional<Rejection> ReadIntegral(od::value& v, Field field, std::string_view expected,
                                      Int* out) {
  int64_t integer = 0;
  if (v.get_int64().get(integer) != simdjson::SUCCESS) {
    const std::string_view token = NumberToken(v);
    if (!IsJsonNumber(token)) return NotJson(simdjson::NUMBER_ERROR, NameOf(field));
    if (IsPlainInteger(token)) return OutOfRange(field, token);  // beyond int64
    double d = 0;
    if (auto error = v.get_double().get(d)) return BadNumber(field, error, token);
    if (std::trunc(d) != d) return WrongType(field, expected, ShortToken(token));
    constexpr double kMaxExact = 9007199254740992.0;  // 2^53
    if (std::fabs(d) > kMaxExact) return OutOfRange(field, token);
    integer = static_cast<int64_t>(d);
  }
  return StoreIntegral(field, integer, out);
}

template <typename Int>
std::optional<Rejection> ReadRequiredInt(od::value& v, Field field, Int* out) {
  int64_t integer = 0;
  if (v.get_int64().get(integer) == simdjson::SUCCESS) return StoreIntegral(field, integer, out);
  od::json_type type{};
  if (auto r = TypeOf(v, field, &type)) return r;
  if (type != od::json_type::number) return WrongType(field, "integer", type);
  return ReadIntegral(v, field, "integer", out);
}

template <typename Int>
std::optional<Rejection> ReadOptionalInt(od::value& v, Field field, std::optional<Int>* out) {
  int64_t integer = 0;
  if (v.get_int64().get(integer) == simdjson::SUCCESS) {
    Int value{};
    if (auto r = StoreIntegral(field, integer, &value)) return r;
    *out = value;
    return std::nullopt;
  }
  od::json_type type{};
  if (auto r = TypeOf(v, field, &type)) return r;
  if (type == od::json_type::null) {
    out->reset();
    return ConsumeNull(v, field);
  }
  if (type != od::json_type::number) return WrongType(field, "integer or null", type);
  Int value{};
  if (auto r = ReadIntegral(v, field, "integer or null", &value)) return r;
  *out = value;
  return std::nullopt;
}

std::optional<Rejection> ReadOptionalDouble(od::value& v, Field field, std::optional<double>* out) {
  double d = 0;
  if (v.get_double().get(d) == simdjson::SUCCESS) {
    *out = d;
    return std::nullopt;
  }
  od::json_type type{};
  if (auto r = TypeOf(v, field, &type)) return r;
  if (type == od::json_type::null) {
    out->reset();
    return ConsumeNull(v, field);
  }
  if (type != od::json_type::number) return WrongType(field, "number or null", type);
  if (auto error = v.get_double().get(d)) return BadNumber(field, error, NumberToken(v));
  *out = d;
  return std::nullopt;
}

// Reads a string value into *text (unescaped; valid until the next document).
// Sets *is_string to false, consuming nothing, when the value is no string.
std::optional<Rejection> TryReadString(od::value& v, Field field, std::string_view* text,
                                       bool* is_string) {
  const simdjson::error_code error = v.get_string().get(*text);
  *is_string = error != simdjson::INCORRECT_TYPE;  // get_string's only error before consuming
  if (error && *is_string) return NotJson(error, NameOf(field));
  return std::nullopt;
}

// A value that is no string, for a field that expects one (or null, when
// `null_allowed`): consumes a null, or returns the rejection.
std::optional<Rejection> NotAString(od::value& v, Field field, bool null_allowed) {
  od::json_type type{};
  if (auto r = TypeOf(v, field, &type)) return r;
  if (null_allowed && type == od::json_type::null) return ConsumeNull(v, field);
  return WrongType(field, null_allowed ? "string or null" : "string", type);
}

// Keeps the string's capacity across events: only a null value frees it.
std::optional<Rejection> ReadOptionalString(od::value& v, Field field,
                                            std::optional<std::string>* out) {
  std::string_view text;
  bool is_string = false;
  if (auto r = TryReadString(v, field, &text, &is_string)) return r;
  if (!is_string) {
    out->reset();
    return NotAString(v, field, /*null_allowed=*/true);
  }
  if (!*out) out->emplace();
  (*out)->assign(text);
  return std::nullopt;
}

std::optional<Rejection> ReadSex(od::value& v, Sex* out) {
  std::string_view text;
  bool is_string = false;
  if (auto r = TryReadString(v, Field::kSex, &text, &is_string)) return r;
  if (!is_string) return NotAString(v, Field::kSex, /*null_allowed=*/false);
  if (text == "male") {
    *out = Sex::kMale;
  } else if (text == "female") {
    *out = Sex::kFemale;
  } else {
    return Rejection{
        RejectKind::kOutOfRange,
        fmt::format("Sex: expected \"male\" or \"female\", got {}", QuoteForReason(text))};
  }
  return std::nullopt;
}

// Takes any one-character string; CheckRanges() decides which letters are
// valid, so the rule exists once.
std::optional<Rejection> ReadEmbarked(od::value& v, std::optional<char>* out) {
  std::string_view text;
  bool is_string = false;
  if (auto r = TryReadString(v, Field::kEmbarked, &text, &is_string)) return r;
  if (!is_string) {
    out->reset();
    return NotAString(v, Field::kEmbarked, /*null_allowed=*/true);
  }
  if (text.size() != 1) {
    return Rejection{RejectKind::kOutOfRange,
                     fmt::format("Embarked: expected \"S\", \"C\", \"Q\" or null, got {}",
                                 QuoteForReason(text))};
  }
  *out = text[0];
  return std::nullopt;
}

std::optional<Rejection> DecodeField(Field field, od::value& v, PassengerEvent* e) {
  switch (field) {
    case Field::kPassengerId:
      return ReadRequiredInt(v, field, &e->passenger_id);
    case Field::kPclass:
      return ReadRequiredInt(v, field, &e->pclass);
    case Field::kSex:
      return ReadSex(v, &e->sex);
    case Field::kAge:
      return ReadOptionalDouble(v, field, &e->age);
    case Field::kSibSp:
      return ReadOptionalInt(v, field, &e->sib_sp);
    case Field::kParch:
      return ReadOptionalInt(v, field, &e->parch);
    case Field::kFare:
      return ReadOptionalDouble(v, field, &e->fare);
    case Field::kName:
      return ReadOptionalString(v, field, &e->name);
    case Field::kTicket:
      return ReadOptionalString(v, field, &e->ticket);
    case Field::kCabin:
      return ReadOptionalString(v, field, &e->cabin);
    case Field::kEmbarked:
      return ReadEmbarked(v, &e->embarked);
    case Field::kSurvived:
      return ReadOptionalInt(v, field, &e->survived);
    case Field::kTs:
      return ReadOptionalInt(v, field, &e->ts_ms);
    case Field::kCount:
      break;
  }
  return std::nullopt;
}

// ---- Documents --------------------------------------------------------------

// Decodes the fields of the root object, once each, in document order.
std::optional<Rejection> DecodeFields(od::object& object, PassengerEvent* out) {
  FieldSet seen;
  for (auto result : object) {
    if (result.error()) return NotJson(result.error());
    // In place: moving the field out costs a store-forwarding stall per field.
    od::field& field = result.value_unsafe();
    std::optional<Field> known = MatchKeyInPlace(field.key().raw());
    std::string_view key;
    if (!known) {
      // Unknown, or a known name written with escapes: simdjson unescapes
      // the key, checking its escapes.
      if (auto error = field.unescaped_key().get(key)) return NotJson(error);
      known = FindField(key);
    }
    if (!known) {
      if (auto error = ValidateJsonValue(field.value(), 1, kMaxUnknownNesting))
        return NotJson(error, key);
      continue;
    }
    if (seen.test(Index(*known))) {
      return Rejection{RejectKind::kDuplicateField,
                       fmt::format("{}: duplicate field", NameOf(*known))};
    }
    seen.set(Index(*known));
    if (auto r = DecodeField(*known, field.value(), out)) return r;
  }
  if (auto r = CheckRequired(seen)) return r;
  ResetAbsent(seen, out);
  return std::nullopt;
}

// True once every token of the document has been consumed.
bool AtEnd(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

// Checks a document whose root is not an object, so that a broken one is
// reported as not JSON rather than as the wrong kind of JSON.
simdjson::error_code ValidateNonObjectRoot(od::document& doc, od::json_type type) {
  simdjson::error_code error = simdjson::SUCCESS;
  switch (type) {
    case od::json_type::array: {
      od::value root;
      error = doc.get_value().get(root);
      if (!error) error = ValidateJsonValue(root, 1, kMaxUnknownNesting);
      break;
    }
    case od::json_type::number: {
      double d = 0;
      error = doc.get_double().get(d);
      break;
    }
    case od::json_type::string: {
      std::string_view s;
      error = doc.get_string().get(s);
      break;
    }
    case od::json_type::boolean: {
      bool b = false;
      error = doc.get_bool().get(b);
      break;
    }
    case od::json_type::null:
      error = ConsumeNull(doc);
      break;
    case od::json_type::object:
      break;
  }
  if (!error && !AtEnd(doc)) error = simdjson::TRAILING_CONTENT;
  return error;
}

std::optional<Rejection> CheckSize(std::string_view value, size_t max_bytes) {
  if (value.empty()) return Rejection{RejectKind::kEmpty, "empty message"};
  if (value.size() > max_bytes) {
    return Rejection{RejectKind::kOversize,
                     fmt::format("event is {} bytes, limit is {}", value.size(), max_bytes)};
  }
  return std::nullopt;
}

std::optional<Rejection> CheckUtf8(std::string_view value) {
  if (!simdjson::validate_utf8(value.data(), value.size())) {
    return Rejection{RejectKind::kInvalidUtf8,
                     fmt::format("invalid UTF-8 at byte {}", FirstInvalidUtf8(value))};
  }
  return std::nullopt;
}

// Whether simdjson's stage 1 (parser.iterate) rejects every input that is
// not UTF-8, as its SIMD kernels do: they check each byte of the input. The
// scalar fallback kernel checks only inside strings. Read once per decoder:
// a parser keeps the kernel that was active when it first allocated, and
// kappa never changes simdjson's choice.
bool Stage1ValidatesUtf8() {
  const std::string& kernel = simdjson::get_active_implementation()->name();
  return kernel == "icelake" || kernel == "haswell" || kernel == "westmere";
}
// ---- Encoding helpers -------------------------------------------------------

template <typename Number>
void AppendNumber(Number n, std::string* out) {
  std::array<char, 24> buf{};  // fits any int64
  const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), n);
  out->append(buf.data(), end);
}

template <typename T, typename AppendFn>
void AppendOptional(const std::optional<T>& v, AppendFn append, std::string* out) {
  if (v) {
    append(*v, out);
  } else {
    out->append("null");
  }
}

const auto kAppendInt = [](auto n, std::string* out) { AppendNumber(n, out); };
// JSON has no NaN or infinity (such values never pass CheckRanges()):
// AppendJsonDouble writes null for them, keeping the output parseable.
const auto kAppendDouble = [](double d, std::string* out) { AppendJsonDouble(d, out); };
const auto kAppendString = [](const std::string& s, std::string* out) { AppendJsonString(s, out); };
const auto kAppendChar = [](char c, std::string* out) {
  AppendJsonString(std::string_view(&c, 1), out);
};

}  // namespace

// ---- EventDecoder -----------------------------------------------------------

struct EventDecoder::Impl {
  // Decodes a value within the size limit: as a plain event if it is one,
  // else with the general decoder.
  std::optional<Rejection> Decode(std::string_view value, PassengerEvent* out);
  std::optional<Rejection> DecodeGeneral(std::string_view value, PassengerEvent* out);
  // Copies `value` into `padded` followed by SIMDJSON_PADDING zero bytes.
  void CopyPadded(std::string_view value);
  bool ShouldTryPlain() const;

  od::parser parser;
  // Kafka payloads are not padded, and simdjson reads up to SIMDJSON_PADDING
  // bytes past the end. Grows to the largest event seen, then is reused.
  std::vector<char> padded;
  // When true, a value that stage 1 accepts is known to be UTF-8, so the
  // separate check runs only for values it rejects (to tell invalid UTF-8
  // from other errors): one pass over each good event instead of two.
  bool stage1_validates_utf8 = Stage1ValidatesUtf8();
  // Events in a row that were not plain (declined, or not tried).
  uint32_t not_plain_in_a_row = 0;
};

// A producer whose events are never plain (one that adds fields of its own,
// say) would pay for a declined plain attempt on every event. So after 8 in
// a row only every 64th event tries, which finds out when plain events come
// back; an occasional event that is not plain changes nothing.
bool EventDecoder::Impl::ShouldTryPlain() const {
  constexpr uint32_t kMaxDeclinesInARow = 8;
  constexpr uint32_t kRetryInterval = 64;
  return not_plain_in_a_row < kMaxDeclinesInARow || not_plain_in_a_row % kRetryInterval == 0;
}

void EventDecoder::Impl::CopyPadded(std::string_view value) {
  const size_t needed = value.size() + simdjson::SIMDJSON_PADDING;
  if (padded.size() < needed) padded.resize(needed);
  std::memcpy(padded.data(), value.data(), value.size());
  // Deterministic padding: simdjson peeks at the first padding byte, and
  // ReadPlainEvent() relies on it being zero.
  std::memset(padded.data() + value.size(), 0, simdjson::SIMDJSON_PADDING);
}

std::optional<Rejection> EventDecoder::Impl::Decode(std::string_view value, PassengerEvent* out) {
  CopyPadded(value);
  if (ShouldTryPlain() && ReadPlainEvent(std::string_view(padded.data(), value.size()), out)) {
    not_plain_in_a_row = 0;
    return CheckRanges(*out);
  }
  ++not_plain_in_a_row;
  return DecodeGeneral(value, out);
}

// Decodes the padded copy of `value` with simdjson.
std::optional<Rejection> EventDecoder::Impl::DecodeGeneral(std::string_view value,
                                                           PassengerEvent* out) {
  od::document doc;
  const simdjson::error_code error =
      parser.iterate(padded.data(), value.size(), padded.size()).get(doc);
  // Invalid UTF-8 is reported as such, before any JSON error.
  if (error || !stage1_validates_utf8) {
    if (auto r = CheckUtf8(value)) return r;
  }
  if (error) return NotJson(error);
  od::json_type type{};
  if (auto type_error = doc.type().get(type)) return NotJson(type_error);
  if (type != od::json_type::object) {
    if (auto root_error = ValidateNonObjectRoot(doc, type)) return NotJson(root_error);
    return Rejection{RejectKind::kNotObject,
                     fmt::format("expected a JSON object, got {}", JsonTypeName(type))};
  }
  od::object object;
  if (auto object_error = doc.get_object().get(object)) return NotJson(object_error);
  if (auto r = DecodeFields(object, out)) return r;
  if (!AtEnd(doc)) return NotJson(simdjson::TRAILING_CONTENT);
  return CheckRanges(*out);
}

EventDecoder::EventDecoder(DecoderOptions options)
    : options_(options), impl_(std::make_unique<Impl>()) {}

EventDecoder::~EventDecoder() = default;

std::optional<Rejection> EventDecoder::Decode(std::optional<std::string_view> value,
                                              PassengerEvent* out) {
  if (!value) {
    return Rejection{RejectKind::kNullValue, "null value (tombstone): expected a JSON object"};
  }
  if (auto r = CheckSize(*value, options_.max_event_bytes)) return r;
  return impl_->Decode(*value, out);
}

// ---- Encoding ---------------------------------------------------------------

void EncodeEvent(const PassengerEvent& e, std::string* out) {
  // Kaggle's column order, so that encoded events read like train.csv rows.
  out->append("{\"PassengerId\":");
  AppendNumber(e.passenger_id, out);
  out->append(",\"Survived\":");
  AppendOptional(e.survived, kAppendInt, out);
  out->append(",\"Pclass\":");
  AppendNumber(e.pclass, out);
  out->append(",\"Name\":");
  AppendOptional(e.name, kAppendString, out);
  out->append(",\"Sex\":\"");
  out->append(SexName(e.sex));
  out->append("\",\"Age\":");
  AppendOptional(e.age, kAppendDouble, out);
  out->append(",\"SibSp\":");
  AppendOptional(e.sib_sp, kAppendInt, out);
  out->append(",\"Parch\":");
  AppendOptional(e.parch, kAppendInt, out);
  out->append(",\"Ticket\":");
  AppendOptional(e.ticket, kAppendString, out);
  out->append(",\"Fare\":");
  AppendOptional(e.fare, kAppendDouble, out);
  out->append(",\"Cabin\":");
  AppendOptional(e.cabin, kAppendString, out);
  out->append(",\"Embarked\":");
  AppendOptional(e.embarked, kAppendChar, out);
  if (e.ts_ms) {
    out->append(",\"ts\":");
    AppendNumber(*e.ts_ms, out);
  }
  out->push_back('}');
}

}  // namespace kappa::stream
