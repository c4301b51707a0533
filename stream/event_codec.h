// EventDecoder / EncodeEvent: the wire format of passenger events (JSON).
//
// Decoding validates the whole contract of design.md: the value must be a
// UTF-8 JSON object within the size limit; required fields present; every
// known field of the right type and range; unknown fields are ignored;
// duplicated known fields are rejected. Each rejection carries a precise
// reason and a RejectKind (see passenger_event.h).
//
// An EventDecoder owns a simdjson parser and a padded copy buffer that it
// reuses, so decoding allocates nothing in steady state. Plain events (the
// shape EncodeEvent writes: known fields, simple values) are decoded in one
// pass without simdjson; anything else, and every rejection, takes the
// general simdjson path, so results do not depend on which path ran. Not
// thread-safe: use one decoder per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "stream/passenger_event.h"

namespace kappa::stream {

struct DecoderOptions {
  // Largest accepted value in bytes. Real events are ~300 bytes.
  size_t max_event_bytes = 16 * 1024;
};

class EventDecoder {
 public:
  explicit EventDecoder(DecoderOptions options = {});
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  // Decodes one record value into *out (whose string capacity is reused).
  // `value` is std::nullopt for a Kafka record without a value (tombstone).
  // Returns std::nullopt on success, else the rejection; *out is then
  // unspecified.
  std::optional<Rejection> Decode(std::optional<std::string_view> value, PassengerEvent* out);

 private:
  struct Impl;
  DecoderOptions options_;
  std::unique_ptr<Impl> impl_;
};

// Appends the JSON encoding of `event` to *out: a compact object with the
// design.md field names, null for absent optional fields except `ts` (omitted
// when absent). Doubles use the shortest round-trip form, so
// Decode(Encode(e)) == e for every valid event.
void EncodeEvent(const PassengerEvent& event, std::string* out);

}  // namespace kappa::stream
