// Prediction: the value `kappa reprocess` writes to its versioned output
// topic (design.md, "Topics"): one per event of history, survived 0 or 1,
// naming the model and the event's source partition and offset.
//   {"PassengerId":…,"survived":0|1,"probability":…,"model_version":…,
//    "feature_set":…,"partition":…,"offset":…}
// The field names are the alert's (alert.h), so a reader of both needs one
// vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace kappa::inference {

struct Prediction {
  int64_t passenger_id = 0;
  bool survived = false;
  double probability = 0;
  int model_version = 0;
  std::string feature_set;
  int32_t partition = 0;  // of the event in the events topic
  int64_t offset = 0;
  bool operator==(const Prediction&) const = default;
};

void EncodePrediction(const Prediction& prediction, std::string* out);
// Corruption naming the problem when `value` is not a prediction.
Result<Prediction> DecodePrediction(std::string_view value);

}  // namespace kappa::inference
