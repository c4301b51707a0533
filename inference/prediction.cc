#include "inference/prediction.h"

#include <simdjson.h>

#include "common/json_writer.h"

namespace kappa::inference {

void EncodePrediction(const Prediction& p, std::string* out) {
  out->append(R"({"PassengerId":)");
  AppendJsonInt(p.passenger_id, out);
  out->append(R"(,"survived":)");
  out->push_back(p.survived ? '1' : '0');
  out->append(R"(,"probability":)");
  AppendJsonDouble(p.probability, out);
  out->append(R"(,"model_version":)");
  AppendJsonInt(p.model_version, out);
  out->append(R"(,"feature_set":)");
  AppendJsonString(p.feature_set, out);
  out->append(R"(,"partition":)");
  AppendJsonInt(p.partition, out);
  out->append(R"(,"offset":)");
  AppendJsonInt(p.offset, out);
  out->push_back('}');
}

Result<Prediction> DecodePrediction(std::string_view value) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(value.data(), value.size()).get(doc) != simdjson::SUCCESS) {
    return Status::Corruption("prediction is not JSON");
  }
  Prediction p;
  int64_t survived = 0;
  int64_t version = 0;
  int64_t partition = 0;
  std::string_view feature_set;
  if (doc["PassengerId"].get_int64().get(p.passenger_id) != simdjson::SUCCESS ||
      doc["survived"].get_int64().get(survived) != simdjson::SUCCESS ||
      doc["probability"].get_double().get(p.probability) != simdjson::SUCCESS ||
      doc["model_version"].get_int64().get(version) != simdjson::SUCCESS ||
      doc["feature_set"].get_string().get(feature_set) != simdjson::SUCCESS ||
      doc["partition"].get_int64().get(partition) != simdjson::SUCCESS ||
      doc["offset"].get_int64().get(p.offset) != simdjson::SUCCESS) {
    return Status::Corruption("prediction lacks a field or has one of the wrong type: " +
                              std::string(value.substr(0, 200)));
  }
  if ((survived != 0 && survived != 1) || version < 1 || version > INT32_MAX || partition < 0 ||
      partition > INT32_MAX || p.offset < 0) {
    return Status::Corruption("prediction has a value out of range: " +
                              std::string(value.substr(0, 200)));
  }
  p.survived = survived == 1;
  p.model_version = static_cast<int>(version);
  p.feature_set = std::string(feature_set);
  p.partition = static_cast<int32_t>(partition);
  return p;
}

}  // namespace kappa::inference
