// Alert: the value written to `titanic-alerts` for every passenger the model
// predicts survived=1 (design.md, "Alert"), plus what helps a user act on
// it: the passenger's name, class and sex, and the event's own time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stream/passenger_event.h"

namespace kappa::inference {

struct Alert {
  const stream::PassengerEvent* event = nullptr;  // the scored passenger
  double probability = 0;
  int model_version = 0;
  std::string_view feature_set;
  int32_t partition = 0;  // where the event came from
  int64_t offset = 0;
  int64_t scored_at_ms = 0;
};

// Appends {"PassengerId":…,"survived":1,"probability":…,"model_version":…,
// "feature_set":…,"partition":…,"offset":…,"scored_at":…,"event_ts":…|null,
// "Name":…|null,"Pclass":…,"Sex":…} to *out.
void EncodeAlert(const Alert& alert, std::string* out);

}  // namespace kappa::inference
