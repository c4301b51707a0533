#include "stream/utf8.h"

namespace kappa::stream::internal {

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

}  // namespace kappa::stream::internal
