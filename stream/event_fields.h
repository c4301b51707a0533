// The known fields of a passenger event as the two event decoders of
// stream/ see them (event_codec.cc's general decoder and
// plain_event_reader.cc): their names, the set of fields seen in one event,
// matching a key in place, and the checks on that set that end every
// decode. Internal to stream/. Stateless; thread-safe.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "stream/passenger_event.h"

namespace kappa::stream::internal {

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
inline constexpr std::array<std::string_view, kFieldCount> kFieldNames = {
    "PassengerId", "Pclass", "Sex",   "Age",      "SibSp",    "Parch", "Fare",
    "Name",        "Ticket", "Cabin", "Embarked", "Survived", "ts",
};
using FieldSet = std::bitset<kFieldCount>;

constexpr size_t Index(Field f) { return static_cast<size_t>(f); }
constexpr std::string_view NameOf(Field f) { return kFieldNames[Index(f)]; }

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
[[gnu::always_inline]] inline bool SpellsInPlace(const char* raw) {
  constexpr std::string_view kName = NameOf(F);
  return EqualBytes<kName.size()>(raw, kName.data()) && raw[kName.size()] == '"';
}

template <Field... Candidates>
[[gnu::always_inline]] inline std::optional<Field> FirstSpelledInPlace(const char* raw) {
  std::optional<Field> found;
  (void)((SpellsInPlace<Candidates>(raw) ? (found = Candidates, true) : false) || ...);
  return found;
}

// The known field whose name the key at `raw` spells without escapes, if
// any. Such a key is its own unescaped form, so this finds what unescaping
// and FindField() (event_codec.cc) would, without copying the key into
// simdjson's string buffer through a virtual call, for every field of every
// event. (always_inline, as SpellsInPlace() and FirstSpelledInPlace(): both
// decoders call it per field, and GCC would otherwise keep it out of line,
// as it does with inline functions that are not local to one file.)
[[gnu::always_inline]] inline std::optional<Field> MatchKeyInPlace(const char* raw) {
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

// Optional fields absent from this event must not keep the previous event's
// values (*out is reused across events).
void ResetAbsent(const FieldSet& seen, PassengerEvent* e);

// The kMissingField rejection for the first required field (PassengerId,
// Pclass, Sex) that is not in `seen`, or std::nullopt if all are.
std::optional<Rejection> CheckRequired(const FieldSet& seen);

}  // namespace kappa::stream::internal
