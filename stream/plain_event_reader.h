// ReadPlainEvent: EventDecoder's fast path, a one-pass reader for plain
// events (the shape EncodeEvent writes). Internal to stream/: its only caller
// is EventDecoder (event_codec.cc), which decides everything it declines.
//
// Nearly every event is plain: ASCII; a flat object of known fields, each
// at most once and the required ones present; every value of its field's
// usual type or null where allowed, and written simply: strings without
// escapes, integers as integer literals, other numbers with at most 15
// digits and no exponent. ReadPlainEvent() decodes exactly those in one pass
// over the padded copy, without simdjson's stage 1 and On-Demand machinery,
// and declines everything else, which the general decoder (EventDecoder's
// simdjson path) then decodes, or rejects with its precise reason.
//
// It only ever accepts, so the behaviour stays the general decoder's as long
// as it accepts only what that decoder accepts, with the same result. It
// does: ASCII is valid UTF-8; the JSON grammar is checked byte by byte, up to
// the end of the value; a key without escapes is its own unescaped form;
// values are read as the general decoder's typed readers read them
// (integers exactly, other numbers correctly rounded, as simdjson rounds);
// range rules are left to CheckRanges(), as in the general decoder.
//
// A pure function of its arguments, keeping no state: thread-safe (with a
// distinct *out per call).
#pragma once

#include <string_view>

#include "stream/passenger_event.h"

namespace kappa::stream::internal {

// Decodes `value` into *out if it is a plain event; otherwise returns false,
// leaving *out unspecified. On true, *out holds what the general decoder
// would (optional fields absent from `value` are reset, string capacity is
// reused) before range checks: the caller still runs CheckRanges().
//
// `value` must be followed in memory by at least 16 zero bytes, as
// EventDecoder's padded copy is (by SIMDJSON_PADDING of them): the reader
// stops at the first and reads ahead into the others.
bool ReadPlainEvent(std::string_view value, PassengerEvent* out);

}  // namespace kappa::stream::internal
