// Wall-clock time as the project stamps it: milliseconds since the Unix
// epoch (event `ts`, manifest `created_ms`, alert `scored_at`).
#pragma once

#include <chrono>
#include <cstdint>

namespace kappa {

inline int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kappa
