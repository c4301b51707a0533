// Shared invariant checks of the fuzz targets in fuzz/. A failed check
// prints what broke and aborts, which libFuzzer reports as a crash and saves
// the input for (scripts/fuzz prints where).
#pragma once

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "stream/event_codec.h"
#include "stream/passenger_event.h"

namespace kappa::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* condition,
                              std::string_view detail) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, condition);
  if (!detail.empty()) {
    std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

}  // namespace kappa::fuzz

// Checks `condition`; on failure prints it and `detail` (a string) and aborts.
#define KAPPA_FUZZ_CHECK(condition, detail)                                          \
  do {                                                                               \
    if (!(condition)) ::kappa::fuzz::Fail(__FILE__, __LINE__, #condition, (detail)); \
  } while (false)

namespace kappa::fuzz {

inline bool IsUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

// An event as JSON, for failure messages.
inline std::string Describe(const stream::PassengerEvent& event) {
  std::string json;
  stream::EncodeEvent(event, &json);
  return json;
}

inline std::string Describe(const std::optional<stream::Rejection>& rejection) {
  if (!rejection) return "accepted";
  return std::string(stream::RejectKindName(rejection->kind)) + ": " + rejection->reason;
}

// A reason for a log line, a DLQ header or a metric: non-empty, UTF-8, one
// line, short.
inline void CheckReason(std::string_view reason) {
  KAPPA_FUZZ_CHECK(!reason.empty(), "");
  KAPPA_FUZZ_CHECK(reason.size() <= 512, reason);
  KAPPA_FUZZ_CHECK(IsUtf8(reason), reason);
  // No line breaks, and no terminal escapes either.
  for (const char c : reason) KAPPA_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20, reason);
}

// The event contract (design.md "Passenger event", README "The event
// contract"), spelled out here rather than by calling CheckRanges(), so that
// a mistake there is caught too. Strings must be UTF-8: they are written
// back out as JSON (alerts, re-encoded events).
inline void CheckEventContract(const stream::PassengerEvent& e) {
  const std::string d = Describe(e);
  KAPPA_FUZZ_CHECK(e.passenger_id >= 1, d);
  KAPPA_FUZZ_CHECK(e.pclass >= 1 && e.pclass <= 3, d);
  KAPPA_FUZZ_CHECK(e.sex == stream::Sex::kMale || e.sex == stream::Sex::kFemale, d);
  KAPPA_FUZZ_CHECK(!e.age || (std::isfinite(*e.age) && *e.age >= 0.0 && *e.age <= 120.0), d);
  KAPPA_FUZZ_CHECK(!e.sib_sp || *e.sib_sp >= 0, d);
  KAPPA_FUZZ_CHECK(!e.parch || *e.parch >= 0, d);
  KAPPA_FUZZ_CHECK(!e.fare || (std::isfinite(*e.fare) && *e.fare >= 0.0), d);
  KAPPA_FUZZ_CHECK(!e.embarked || *e.embarked == 'S' || *e.embarked == 'C' || *e.embarked == 'Q',
                   d);
  KAPPA_FUZZ_CHECK(!e.survived || *e.survived == 0 || *e.survived == 1, d);
  KAPPA_FUZZ_CHECK(!e.ts_ms || *e.ts_ms >= 0, d);
  for (const auto* text : {&e.name, &e.ticket, &e.cabin}) {
    KAPPA_FUZZ_CHECK(!*text || IsUtf8(**text), d);
  }
}

// Encodes `e`, decodes the JSON again and checks that the same event comes
// back and encodes to the same bytes: what `kappa produce` writes, every
// job can read.
inline void CheckRoundTrip(const stream::PassengerEvent& e, stream::EventDecoder* decoder) {
  std::string json;
  stream::EncodeEvent(e, &json);
  stream::PassengerEvent back;
  const std::optional<stream::Rejection> r = decoder->Decode(json, &back);
  KAPPA_FUZZ_CHECK(!r, json + " -> " + Describe(r));
  KAPPA_FUZZ_CHECK(back == e, json + " -> " + Describe(back));
  std::string again;
  stream::EncodeEvent(back, &again);
  KAPPA_FUZZ_CHECK(again == json, json + " -> " + again);
}

}  // namespace kappa::fuzz
