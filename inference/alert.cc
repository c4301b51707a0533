#include "inference/alert.h"

#include "common/json_writer.h"

namespace kappa::inference {

void EncodeAlert(const Alert& a, std::string* out) {
  JsonWriter w(out);
  const stream::PassengerEvent& e = *a.event;
  w.BeginObject();
  w.Key("PassengerId").Int(e.passenger_id);
  w.Key("survived").Int(1);
  w.Key("probability").Double(a.probability);
  w.Key("model_version").Int(a.model_version);
  w.Key("feature_set").String(a.feature_set);
  w.Key("partition").Int(a.partition);
  w.Key("offset").Int(a.offset);
  w.Key("scored_at").Int(a.scored_at_ms);
  w.Key("event_ts");
  if (e.ts_ms) {
    w.Int(*e.ts_ms);
  } else {
    w.Null();
  }
  w.Key("Name");
  if (e.name) {
    w.String(*e.name);
  } else {
    w.Null();
  }
  w.Key("Pclass").Int(e.pclass);
  w.Key("Sex").String(stream::SexName(e.sex));
  w.EndObject();
}

}  // namespace kappa::inference
