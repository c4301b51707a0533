// JSON well-formedness checks that simdjson's On-Demand API leaves to the
// caller, shared by the readers of stream/ (event decoder, librdkafka
// statistics). Internal to stream/: it exposes simdjson types.
#pragma once

#include <simdjson.h>

#include <string_view>

namespace kappa::stream::internal {

// A number token as the producer wrote it (raw_json_token() keeps the
// whitespace that follows).
std::string_view NumberToken(simdjson::ondemand::value& v);

// RFC 8259 number grammar. simdjson answers NUMBER_ERROR both for malformed
// tokens ("01", "1.2.3") and for valid ones it cannot represent ("1e400");
// this tells the two apart.
bool IsJsonNumber(std::string_view s);

// "array", "object", "number", "string", "boolean" or "null", for reasons.
std::string_view JsonTypeName(simdjson::ondemand::json_type type);

// Checks that `v` is well-formed JSON, consuming it: On-Demand would skip an
// unread value by counting brackets only, accepting e.g. [1,,] or {1 2}.
// Nesting deeper than `max_depth` (counting from `depth`) is DEPTH_ERROR.
simdjson::error_code ValidateJsonValue(simdjson::ondemand::value& v, int depth, int max_depth);

}  // namespace kappa::stream::internal
