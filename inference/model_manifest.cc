#include "inference/model_manifest.h"

#include <simdjson.h>

#include <optional>

#include "common/json_writer.h"

namespace kappa::inference {

std::string ModelManifest::ToJson() const {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("format").Int(kFormatVersion);
  w.Key("model_name").String(model_name);
  w.Key("version").Int(version);
  w.Key("created_ms").Int(created_ms);
  w.Key("feature_set").String(feature_set);
  w.Key("feature_names").BeginArray();
  for (const auto& n : feature_names) w.String(n);
  w.EndArray();
  w.Key("feature_params").BeginObject();
  for (const auto& [k, v] : feature_params) w.Key(k).Double(v);
  w.EndObject();
  w.Key("xgboost_params").BeginObject();
  for (const auto& [k, v] : xgboost_params) w.Key(k).String(v);
  w.EndObject();
  w.Key("boosted_rounds").Int(boosted_rounds);
  w.Key("provenance").BeginObject();
  w.Key("topic").String(provenance.topic);
  w.Key("partitions").BeginArray();
  for (const auto& p : provenance.partitions) {
    w.BeginObject();
    w.Key("partition").Int(p.partition);
    w.Key("first_offset").Int(p.first_offset);
    w.Key("end_offset").Int(p.end_offset);
    w.Key("events").Uint(p.events);
    w.EndObject();
  }
  w.EndArray();
  w.Key("events_in_state").Uint(provenance.events_in_state);
  w.Key("labeled_events").Uint(provenance.labeled_events);
  w.Key("unlabeled_events").Uint(provenance.unlabeled_events);
  w.Key("dead_lettered").Uint(provenance.dead_lettered);
  w.Key("train_rows").Uint(provenance.train_rows);
  w.Key("validation_rows").Uint(provenance.validation_rows);
  w.Key("validation_percent").Uint(provenance.validation_percent);
  w.EndObject();
  w.Key("metrics").BeginObject();
  for (const auto& [k, v] : metrics) w.Key(k).Double(v);
  w.EndObject();
  w.Key("feature_importance").BeginArray();
  for (const auto& [name, share] : feature_importance) {
    w.BeginObject().Key("feature").String(name).Key("gain_share").Double(share).EndObject();
  }
  w.EndArray();
  w.Key("booster_sha256").String(booster_sha256);
  w.EndObject();
  out.push_back('\n');
  return out;
}

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Reads manifest fields, turning the first problem into Corruption naming
// the field. Keeps FromJson a flat list of reads.
class FieldReader {
 public:
  explicit FieldReader(object obj, std::string prefix = "")
      : obj_(obj), prefix_(std::move(prefix)) {}

  // The field, or std::nullopt (and the reader fails) when it is absent.
  // A default simdjson element must never be read: it crashes.
  std::optional<element> Get(std::string_view key) {
    element e;
    if (obj_[key].get(e) != simdjson::SUCCESS) {
      Fail(key, "missing");
      return std::nullopt;
    }
    return e;
  }
  // Typed getters return a zero value after a failure; the caller checks
  // status() once at the end.
  std::string String(std::string_view key) {
    std::string_view v;
    auto e = Get(key);
    if (e && e->get_string().get(v) != simdjson::SUCCESS) Fail(key, "expected a string");
    return std::string(v);
  }
  int64_t Int(std::string_view key) {
    int64_t v = 0;
    auto e = Get(key);
    if (e && e->get_int64().get(v) != simdjson::SUCCESS) Fail(key, "expected an integer");
    return v;
  }
  uint64_t Uint(std::string_view key) {
    uint64_t v = 0;
    auto e = Get(key);
    if (e && e->get_uint64().get(v) != simdjson::SUCCESS) Fail(key, "expected an integer >= 0");
    return v;
  }
  double Double(std::string_view key) {
    auto e = Get(key);
    return e ? AsDouble(*e, key) : 0.0;
  }
  // False (and the reader fails) when `key` is not an object; *out is only
  // usable on true (a default simdjson object must not be iterated).
  bool Object(std::string_view key, object* out) {
    auto e = Get(key);
    if (!e) return false;
    if (e->get_object().get(*out) != simdjson::SUCCESS) {
      Fail(key, "expected an object");
      return false;
    }
    return true;
  }
  bool Array(std::string_view key, simdjson::dom::array* out) {
    auto e = Get(key);
    if (!e) return false;
    if (e->get_array().get(*out) != simdjson::SUCCESS) {
      Fail(key, "expected an array");
      return false;
    }
    return true;
  }
  double AsDouble(element e, std::string_view key) {
    double v = 0;
    if (e.get_double().get(v) != simdjson::SUCCESS) Fail(key, "expected a number");
    return v;
  }
  void Fail(std::string_view key, std::string_view what) {
    if (status_.ok()) {
      status_ = Status::Corruption("manifest field " + prefix_ + std::string(key) + ": " +
                                   std::string(what));
    }
  }
  const Status& status() const { return status_; }
  void Adopt(const FieldReader& nested) {
    if (status_.ok()) status_ = nested.status();
  }

 private:
  object obj_;
  std::string prefix_;
  Status status_;
};

}  // namespace

Result<ModelManifest> ModelManifest::FromJson(std::string_view json) {
  simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root); err) {
    return Status::Corruption(std::string("manifest is not valid JSON: ") +
                              simdjson::error_message(err));
  }
  object obj;
  if (root.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::Corruption("manifest is not a JSON object");
  }
  FieldReader r(obj);
  ModelManifest m;
  const int64_t format = r.Int("format");
  if (r.status().ok() && format != kFormatVersion) {
    return Status::Corruption("manifest format " + std::to_string(format) +
                              " is not supported (this build reads format " +
                              std::to_string(kFormatVersion) + ")");
  }
  m.model_name = r.String("model_name");
  const int64_t version = r.Int("version");
  if (r.status().ok() && (version < 1 || version > 100000000)) {
    r.Fail("version", "expected 1..100000000");
  }
  m.version = static_cast<int>(version);
  m.created_ms = r.Int("created_ms");
  m.feature_set = r.String("feature_set");
  simdjson::dom::array array;
  object o;
  if (r.Array("feature_names", &array)) {
    for (element e : array) {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) r.Fail("feature_names", "expected strings");
      m.feature_names.emplace_back(s);
    }
  }
  if (r.Object("feature_params", &o)) {
    for (auto [k, v] : o) {
      m.feature_params[std::string(k)] = r.AsDouble(v, "feature_params." + std::string(k));
    }
  }
  if (r.Object("xgboost_params", &o)) {
    for (auto [k, v] : o) {
      std::string_view s;
      if (v.get_string().get(s) != simdjson::SUCCESS) {
        r.Fail("xgboost_params." + std::string(k), "expected a string");
      }
      m.xgboost_params[std::string(k)] = std::string(s);
    }
  }
  m.boosted_rounds = static_cast<int>(r.Int("boosted_rounds"));
  if (!r.Object("provenance", &o)) return r.status();
  FieldReader p(o, "provenance.");
  m.provenance.topic = p.String("topic");
  if (!p.Array("partitions", &array)) return p.status();
  for (element e : array) {
    object po;
    if (e.get_object().get(po) != simdjson::SUCCESS) {
      p.Fail("partitions", "expected objects");
      break;
    }
    FieldReader pr(po, "provenance.partitions[].");
    PartitionRange range;
    range.partition = static_cast<int32_t>(pr.Int("partition"));
    range.first_offset = pr.Int("first_offset");
    range.end_offset = pr.Int("end_offset");
    range.events = pr.Uint("events");
    p.Adopt(pr);
    m.provenance.partitions.push_back(range);
  }
  m.provenance.events_in_state = p.Uint("events_in_state");
  m.provenance.labeled_events = p.Uint("labeled_events");
  m.provenance.unlabeled_events = p.Uint("unlabeled_events");
  m.provenance.dead_lettered = p.Uint("dead_lettered");
  m.provenance.train_rows = p.Uint("train_rows");
  m.provenance.validation_rows = p.Uint("validation_rows");
  m.provenance.validation_percent = static_cast<uint32_t>(p.Uint("validation_percent"));
  r.Adopt(p);
  if (r.Object("metrics", &o)) {
    for (auto [k, v] : o) m.metrics[std::string(k)] = r.AsDouble(v, "metrics." + std::string(k));
  }
  if (!r.Array("feature_importance", &array)) return r.status();
  for (element e : array) {
    object fo;
    if (e.get_object().get(fo) != simdjson::SUCCESS) {
      r.Fail("feature_importance", "expected objects");
      break;
    }
    FieldReader fr(fo, "feature_importance[].");
    std::string name = fr.String("feature");
    const double share = fr.Double("gain_share");
    r.Adopt(fr);
    m.feature_importance.emplace_back(std::move(name), share);
  }
  m.booster_sha256 = r.String("booster_sha256");
  if (!r.status().ok()) return r.status();
  return m;
}

}  // namespace kappa::inference
