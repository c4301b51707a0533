#include "inference/alert.h"

#include "common/json_writer.h"

namespace kappa::inference {

void EncodeAlert(const Alert& a, std::string* out) {
  // Appended directly rather than through JsonWriter: this runs for every
  // alert at full load (a third of all events), and every key is a constant.
  const stream::PassengerEvent& e = *a.event;
  out->append(R"({"PassengerId":)");
  AppendJsonInt(e.passenger_id, out);
  out->append(R"(,"survived":1,"probability":)");
  AppendJsonDouble(a.probability, out);
  out->append(R"(,"model_version":)");
  AppendJsonInt(a.model_version, out);
  out->append(R"(,"feature_set":)");
  AppendJsonString(a.feature_set, out);
  out->append(R"(,"partition":)");
  AppendJsonInt(a.partition, out);
  out->append(R"(,"offset":)");
  AppendJsonInt(a.offset, out);
  out->append(R"(,"scored_at":)");
  AppendJsonInt(a.scored_at_ms, out);
  out->append(R"(,"event_ts":)");
  if (e.ts_ms) {
    AppendJsonInt(*e.ts_ms, out);
  } else {
    out->append("null");
  }
  out->append(R"(,"Name":)");
  if (e.name) {
    AppendJsonString(*e.name, out);
  } else {
    out->append("null");
  }
  out->append(R"(,"Pclass":)");
  AppendJsonInt(e.pclass, out);
  out->append(R"(,"Sex":)");
  AppendJsonString(stream::SexName(e.sex), out);
  out->push_back('}');
}

}  // namespace kappa::inference
