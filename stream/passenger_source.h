// PassengerSource: where `kappa produce` gets passengers from. Two real
// implementations: the seeded generator and a Kaggle CSV file.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "stream/passenger_event.h"
#include "stream/passenger_generator.h"

namespace kappa::stream {

// What a malformed CSV row does: skip it (logged with its line number and
// counted) or stop with an error naming the line.
enum class BadRowPolicy { kSkip, kFail };

class PassengerSource {
 public:
  virtual ~PassengerSource() = default;
  // Fills *out with the next passenger. Returns false at the end of a finite
  // source, InvalidArgument for a bad row under BadRowPolicy::kFail.
  virtual Result<bool> Next(PassengerEvent* out) = 0;
  // Rows skipped as malformed so far.
  virtual uint64_t bad_rows() const { return 0; }
};

std::unique_ptr<PassengerSource> MakeGeneratorSource(GeneratorOptions options);

// Opens a Kaggle-format CSV; with `loop`, starts over at end of file (an
// empty or all-bad file is then an error rather than an endless loop).
Result<std::unique_ptr<PassengerSource>> OpenCsvSource(const std::string& path, bool loop,
                                                       BadRowPolicy policy);

}  // namespace kappa::stream
