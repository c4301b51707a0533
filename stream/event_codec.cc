#include "stream/event_codec.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <bit>
#include <bitset>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "common/json_writer.h"
#include "stream/json_validation.h"

namespace kappa::stream {
namespace {

namespace od = simdjson::ondemand;
using internal::IsJsonNumber;
using internal::JsonTypeName;
using internal::NumberToken;
using internal::ValidateJsonValue;

// The known fields, in the order of design.md. Indexes into kFieldNames and
// into the bitset of fields seen in one event.
enum class Field : uint8_t {
  kPassengerId,
  kPclass,
  kSex,
  kAge,
  kSibSp,
  kParch,
  kFare,
  kName,
  kTicket,
  kCabin,
  kEmbarked,
  kSurvived,
  kTs,
  kCount,
};
constexpr size_t kFieldCount = static_cast<size_t>(Field::kCount);
constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "PassengerId", "Pclass", "Sex",   "Age",      "SibSp",    "Parch", "Fare",
    "Name",        "Ticket", "Cabin", "Embarked", "Survived", "ts",
};
using FieldSet = std::bitset<kFieldCount>;

constexpr size_t Index(Field f) { return static_cast<size_t>(f); }
constexpr std::string_view NameOf(Field f) { return kFieldNames[Index(f)]; }

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

// memcmp(a, b, N) == 0 as two overlapping loads of 2, 4 or 8 bytes: GCC
// inlines memcmp only for those sizes and calls the library otherwise.
template <size_t N>
bool EqualBytes(const char* a, const char* b) {
  static_assert(N >= 2 && N <= 16);
  constexpr size_t kPiece = N >= 8 ? 8 : N >= 4 ? 4 : 2;
  return std::memcmp(a, b, kPiece) == 0 && std::memcmp(a + N - kPiece, b + N - kPiece, kPiece) == 0;
}

// Whether `raw` (a key as written, after its opening quote) is F's name
// without escapes. Reads name.size() + 1 bytes, which the padded copy always
// has.
template <Field F>
bool SpellsInPlace(const char* raw) {
  constexpr std::string_view kName = NameOf(F);
  return EqualBytes<kName.size()>(raw, kName.data()) && raw[kName.size()] == '"';
}

template <Field... Candidates>
std::optional<Field> FirstSpelledInPlace(const char* raw) {
  std::optional<Field> found;
  (void)((SpellsInPlace<Candidates>(raw) ? (found = Candidates, true) : false) || ...);
  return found;
}

// The known field whose name the key at `raw` spells without escapes, if
// any. Such a key is its own unescaped form, so this finds what unescaping
// and FindField() would, without copying the key into simdjson's string
// buffer through a virtual call, for every field of every event. (inline:
// both decoders call it per field, and GCC would otherwise keep it out of
// line.)
inline std::optional<Field> MatchKeyInPlace(const char* raw) {
  switch (raw[0]) {
    case 'P':
      return FirstSpelledInPlace<Field::kPassengerId, Field::kPclass, Field::kParch>(raw);
    case 'S':
      return FirstSpelledInPlace<Field::kSex, Field::kSibSp, Field::kSurvived>(raw);
    case 'A':
      return FirstSpelledInPlace<Field::kAge>(raw);
    case 'F':
      return FirstSpelledInPlace<Field::kFare>(raw);
    case 'N':
      return FirstSpelledInPlace<Field::kName>(raw);
    case 'T':
      return FirstSpelledInPlace<Field::kTicket>(raw);
    case 'C':
      return FirstSpelledInPlace<Field::kCabin>(raw);
    case 'E':
      return FirstSpelledInPlace<Field::kEmbarked>(raw);
    case 't':
      return FirstSpelledInPlace<Field::kTs>(raw);
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

// Returns the byte offset of the first ill-formed UTF-8 sequence in `s`
// (Unicode 15, table 3-7: no overlongs, surrogates or code points above
// U+10FFFF), or s.size() if there is none. Only run after the fast SIMD
// validator has failed, to say where.
size_t FirstInvalidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    unsigned char second_lo = 0x80;
    unsigned char second_hi = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) second_lo = 0xA0;  // overlong
      if (lead == 0xED) second_hi = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) second_lo = 0x90;  // overlong
      if (lead == 0xF4) second_hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (s.size() - i < length) return i;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < second_lo || second > second_hi) return i;
    for (size_t k = 2; k < length; ++k) {
      const auto next = static_cast<unsigned char>(s[i + k]);
      if (next < 0x80 || next > 0xBF) return i;
    }
    i += length;
  }
  return s.size();
}

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

// Optional fields absent from this event must not keep the previous event's
// values (*out is reused across events).
void ResetAbsent(const FieldSet& seen, PassengerEvent* e) {
  const auto absent = [&](Field f) { return !seen.test(Index(f)); };
  if (absent(Field::kAge)) e->age.reset();
  if (absent(Field::kSibSp)) e->sib_sp.reset();
  if (absent(Field::kParch)) e->parch.reset();
  if (absent(Field::kFare)) e->fare.reset();
  if (absent(Field::kName)) e->name.reset();
  if (absent(Field::kTicket)) e->ticket.reset();
  if (absent(Field::kCabin)) e->cabin.reset();
  if (absent(Field::kEmbarked)) e->embarked.reset();
  if (absent(Field::kSurvived)) e->survived.reset();
  if (absent(Field::kTs)) e->ts_ms.reset();
}

std::optional<Rejection> CheckRequired(const FieldSet& seen) {
  for (Field f : {Field::kPassengerId, Field::kPclass, Field::kSex}) {
    if (!seen.test(Index(f))) {
      return Rejection{RejectKind::kMissingField,
                       fmt::format("{}: required field missing", NameOf(f))};
    }
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

// ---- Plain events -----------------------------------------------------------
//
// Nearly every event is plain: ASCII; a flat object of known fields, each
// at most once and the required ones present; every value of its field's
// usual type or null where allowed, and written simply: strings without
// escapes, integers as integer literals, other numbers with at most 15
// digits and no exponent. ReadPlainEvent() decodes exactly those in one pass
// over the padded copy, without simdjson's stage 1 and On-Demand machinery,
// and declines everything else, which the general decoder above then
// decodes, or rejects with its precise reason.
//
// It only ever accepts, so the behaviour stays the general decoder's as long
// as it accepts only what that decoder accepts, with the same result. It
// does: ASCII is valid UTF-8; the JSON grammar is checked byte by byte, up to
// the end of the value; a key without escapes is its own unescaped form;
// values are read as the typed readers above read them (integers exactly,
// other numbers correctly rounded, as simdjson rounds); range rules are left
// to CheckRanges(), as in the general decoder.
//
// The readers below take the position of a token in the padded copy and
// return the position after it, or nullptr to decline. The copy ends with a
// zero byte, which no token contains, so every scan stops there without a
// bounds check; reads ahead (keys, 8-byte string chunks) stay in the padding.

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

const char* SkipWhitespace(const char* p) {
  if (*p > ' ') return p;  // the usual case: compact JSON
  while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
  return p;
}

// The bytes of a plain string are ASCII from space up, except quote and
// backslash. Returns a mask of the 8 bytes at `p` (in memory order) with the
// high bit set in each byte that is not plain, and possibly in bytes after
// it, never before: the usual bit tricks for "has a byte equal to / less
// than", whose borrows only run towards later bytes.
uint64_t NotPlainStringBytes(const char* p) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHighBits = 0x8080808080808080;
  uint64_t word = 0;
  std::memcpy(&word, p, sizeof word);
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  const auto zero_bytes = [](uint64_t w) { return (w - kOnes) & ~w & kHighBits; };
  const uint64_t below_space = (word - ' ' * kOnes) & ~word & kHighBits;
  return below_space | zero_bytes(word ^ ('"' * kOnes)) | zero_bytes(word ^ ('\\' * kOnes)) |
         (word & kHighBits);
}

// A string of ASCII without escapes or control characters; *text points
// into the copy.
const char* ReadPlainString(const char* p, std::string_view* text) {
  if (*p != '"') return nullptr;
  const char* const start = ++p;
  uint64_t stops = 0;
  while ((stops = NotPlainStringBytes(p)) == 0) p += 8;  // names are tens of bytes
  p += std::countr_zero(stops) / 8;
  if (*p != '"') return nullptr;
  *text = std::string_view(start, static_cast<size_t>(p - start));
  return p + 1;
}

const char* ReadNull(const char* p) { return std::memcmp(p, "null", 4) == 0 ? p + 4 : nullptr; }

// Appends the digits at `p` to *digits; returns the position after them.
// Wraps around beyond 19 digits: callers count the digits.
const char* ReadDigits(const char* p, uint64_t* digits) {
  for (; IsDigit(*p); ++p) *digits = *digits * 10 + static_cast<uint64_t>(*p - '0');
  return p;
}

// An integer literal of up to 18 digits (below 2^63) that fits an Int. A
// fraction or exponent after it is declined by the caller, which finds no
// ',' or '}' there; so is a digit after a leading zero.
template <typename Int>
const char* ReadPlainInt(const char* p, Int* out) {
  const bool negative = *p == '-';
  p += negative;
  const char* const integer_part = p;
  uint64_t digits = 0;
  p = *p == '0' ? p + 1 : ReadDigits(p, &digits);
  if (p == integer_part || p - integer_part > 18) return nullptr;
  const int64_t value = negative ? -static_cast<int64_t>(digits) : static_cast<int64_t>(digits);
  if (value < std::numeric_limits<Int>::min() || value > std::numeric_limits<Int>::max()) {
    return nullptr;
  }
  *out = static_cast<Int>(value);
  return p;
}

// Powers of ten that doubles hold exactly.
constexpr std::array<double, 16> kExactPowersOfTen = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
};

// A number of up to 15 digits without exponent, as the correctly rounded
// double (Clinger's fast path: the digits as an integer below 2^53 and the
// power of ten are both exact doubles, so the one rounding of the division
// gives the correctly rounded quotient). simdjson, too, rounds correctly.
const char* ReadPlainDouble(const char* p, double* out) {
  const bool negative = *p == '-';
  p += negative;
  const char* const integer_part = p;
  uint64_t digits = 0;
  p = *p == '0' ? p + 1 : ReadDigits(p, &digits);
  if (p == integer_part) return nullptr;
  size_t digit_count = static_cast<size_t>(p - integer_part);
  size_t fraction_digits = 0;
  if (*p == '.') {
    const char* const fraction = ++p;
    p = ReadDigits(p, &digits);
    fraction_digits = static_cast<size_t>(p - fraction);
    if (fraction_digits == 0) return nullptr;
    digit_count += fraction_digits;
  }
  if (digit_count > 15 || *p == 'e' || *p == 'E') return nullptr;
  const double value = static_cast<double>(digits) / kExactPowersOfTen[fraction_digits];
  *out = negative ? -value : value;
  return p;
}

// Reads `read`'s value into **out, or a null into out->reset().
template <typename T, typename Reader>
const char* ReadPlainOptional(const char* p, Reader read, std::optional<T>* out) {
  if (const char* after = ReadNull(p)) {
    out->reset();
    return after;
  }
  T value{};
  p = read(p, &value);
  if (p) *out = value;
  return p;
}

// Keeps the string's capacity across events, as the general decoder does.
const char* ReadPlainOptionalString(const char* p, std::optional<std::string>* out) {
  if (const char* after = ReadNull(p)) {
    out->reset();
    return after;
  }
  std::string_view text;
  p = ReadPlainString(p, &text);
  if (!p) return nullptr;
  if (!*out) out->emplace();
  (*out)->assign(text);
  return p;
}

// "male" or "female"; anything else is for the general decoder to reject.
// Compared with their quotes: no scan for the end of the string.
const char* ReadPlainSex(const char* p, Sex* out) {
  constexpr std::string_view kMale = "\"male\"";
  constexpr std::string_view kFemale = "\"female\"";
  if (EqualBytes<kMale.size()>(p, kMale.data())) {
    *out = Sex::kMale;
    return p + kMale.size();
  }
  if (EqualBytes<kFemale.size()>(p, kFemale.data())) {
    *out = Sex::kFemale;
    return p + kFemale.size();
  }
  return nullptr;
}

// Any one-character string, as in the general decoder.
const char* ReadPlainEmbarked(const char* p, char* out) {
  std::string_view text;
  p = ReadPlainString(p, &text);
  if (!p || text.size() != 1) return nullptr;
  *out = text[0];
  return p;
}

// The value of field F at `p`, into its member of *e.
template <Field F>
const char* ReadPlainValue(const char* p, PassengerEvent* e) {
  if constexpr (F == Field::kPassengerId) {
    return ReadPlainInt(p, &e->passenger_id);
  } else if constexpr (F == Field::kPclass) {
    return ReadPlainInt(p, &e->pclass);
  } else if constexpr (F == Field::kSex) {
    return ReadPlainSex(p, &e->sex);
  } else if constexpr (F == Field::kAge) {
    return ReadPlainOptional(p, ReadPlainDouble, &e->age);
  } else if constexpr (F == Field::kSibSp) {
    return ReadPlainOptional(p, ReadPlainInt<int>, &e->sib_sp);
  } else if constexpr (F == Field::kParch) {
    return ReadPlainOptional(p, ReadPlainInt<int>, &e->parch);
  } else if constexpr (F == Field::kFare) {
    return ReadPlainOptional(p, ReadPlainDouble, &e->fare);
  } else if constexpr (F == Field::kName) {
    return ReadPlainOptionalString(p, &e->name);
  } else if constexpr (F == Field::kTicket) {
    return ReadPlainOptionalString(p, &e->ticket);
  } else if constexpr (F == Field::kCabin) {
    return ReadPlainOptionalString(p, &e->cabin);
  } else if constexpr (F == Field::kEmbarked) {
    return ReadPlainOptional(p, ReadPlainEmbarked, &e->embarked);
  } else if constexpr (F == Field::kSurvived) {
    return ReadPlainOptional(p, ReadPlainInt<int>, &e->survived);
  } else {
    static_assert(F == Field::kTs);
    return ReadPlainOptional(p, ReadPlainInt<int64_t>, &e->ts_ms);
  }
}

// Reads a member of field F from its opening quote, the key being known to
// spell F's name: the key, the colon, the value and the comma or closing
// brace after it. Returns the position of the next key or of the brace.
template <Field F>
const char* ReadPlainMember(const char* p, FieldSet* seen, PassengerEvent* e) {
  if ((*seen)[Index(F)]) return nullptr;  // a duplicate
  (*seen)[Index(F)] = true;
  p = SkipWhitespace(p + NameOf(F).size() + 2);
  if (*p++ != ':') return nullptr;
  p = ReadPlainValue<F>(SkipWhitespace(p), e);
  if (!p) return nullptr;
  p = SkipWhitespace(p);
  if (*p == '}') return p;
  if (*p++ != ',') return nullptr;
  p = SkipWhitespace(p);
  return *p == '"' ? p : nullptr;
}

// ReadPlainMember() of each field, by Index().
using PlainMemberReader = const char* (*)(const char*, FieldSet*, PassengerEvent*);
constexpr std::array<PlainMemberReader, kFieldCount> kPlainMemberReaders = {
    ReadPlainMember<Field::kPassengerId>, ReadPlainMember<Field::kPclass>,
    ReadPlainMember<Field::kSex>,         ReadPlainMember<Field::kAge>,
    ReadPlainMember<Field::kSibSp>,       ReadPlainMember<Field::kParch>,
    ReadPlainMember<Field::kFare>,        ReadPlainMember<Field::kName>,
    ReadPlainMember<Field::kTicket>,      ReadPlainMember<Field::kCabin>,
    ReadPlainMember<Field::kEmbarked>,    ReadPlainMember<Field::kSurvived>,
    ReadPlainMember<Field::kTs>,
};

// The order of EncodeEvent (Kaggle's columns), which nearly every event has.
constexpr std::array<Field, kFieldCount> kEncodeOrder = {
    Field::kPassengerId, Field::kSurvived, Field::kPclass, Field::kName,   Field::kSex,
    Field::kAge,         Field::kSibSp,    Field::kParch,  Field::kTicket, Field::kFare,
    Field::kCabin,       Field::kEmbarked, Field::kTs,
};

// Reads members while they come in EncodeEvent's order, from its I-th field
// on. Unrolled at compile time: each key is compared with one known name and
// each value read by its field's own reader, with no dispatch on the key.
// Returns where the order ends: at the closing brace, or at a key that is
// not the next in order (ReadMembersInAnyOrder() goes on from there).
template <size_t I = 0>
const char* ReadMembersInEncodeOrder(const char* p, FieldSet* seen, PassengerEvent* e) {
  if constexpr (I < kFieldCount) {
    constexpr Field kField = kEncodeOrder[I];
    if (*p == '"' && SpellsInPlace<kField>(p + 1)) {
      p = ReadPlainMember<kField>(p, seen, e);
      if (p) return ReadMembersInEncodeOrder<I + 1>(p, seen, e);
    }
  }
  return p;
}

// Reads members of known fields in any order up to the closing brace.
const char* ReadMembersInAnyOrder(const char* p, FieldSet* seen, PassengerEvent* e) {
  while (p && *p == '"') {
    const std::optional<Field> field = MatchKeyInPlace(p + 1);
    if (!field) return nullptr;  // an unknown field, or a key with escapes
    p = kPlainMemberReaders[Index(*field)](p, seen, e);
  }
  return p;
}

// Decodes `value` (the padded copy) into *out if it is a plain event;
// otherwise returns false, leaving *out unspecified.
bool ReadPlainEvent(std::string_view value, PassengerEvent* out) {
  const char* p = SkipWhitespace(value.data());
  if (*p++ != '{') return false;
  FieldSet seen;
  p = SkipWhitespace(p);
  p = ReadMembersInAnyOrder(ReadMembersInEncodeOrder(p, &seen, out), &seen, out);
  if (!p || *p != '}') return false;
  if (SkipWhitespace(p + 1) != value.data() + value.size()) return false;
  if (CheckRequired(seen)) return false;
  ResetAbsent(seen, out);
  return true;
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
