#include "stream/plain_event_reader.h"

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "stream/event_fields.h"

namespace kappa::stream::internal {
namespace {

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

}  // namespace

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

}  // namespace kappa::stream::internal
