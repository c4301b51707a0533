// UTF-8 well-formedness for the event sources of stream/ (the JSON decoder,
// the CSV reader): the event contract allows only UTF-8 text. Internal to
// stream/. A pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

namespace kappa::stream::internal {

// Returns the byte offset of the first ill-formed UTF-8 sequence in `s`
// (Unicode 15, table 3-7: no overlongs, surrogates or code points above
// U+10FFFF), or s.size() if there is none. Scalar: the JSON decoder runs it
// only after simdjson's SIMD validator has failed, to say where.
size_t FirstInvalidUtf8(std::string_view s);

}  // namespace kappa::stream::internal
