// JsonWriter: appends compact JSON to a string. Used for everything kappa
// writes as JSON (events, alerts, manifests, predictions), so escaping and
// number formatting exist once. Doubles use the shortest form that reads back
// exactly; NaN and infinities (not JSON) are written as null.
//
// The writer inserts commas itself; the caller only nests Begin/End calls
// correctly. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kappa {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The key of the next value inside an object.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view s);
  JsonWriter& Int(int64_t v);
  JsonWriter& Uint(uint64_t v);
  JsonWriter& Double(double v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  // Inserts already-encoded JSON as one value.
  JsonWriter& Raw(std::string_view json);

 private:
  void BeforeValue();
  std::string* out_;
  // One entry per open container: true once it has an element.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes included, RFC 8259 escapes);
// valid UTF-8 passes through unchanged.
void AppendJsonString(std::string_view s, std::string* out);
// Appends `v` in decimal.
void AppendJsonInt(int64_t v, std::string* out);
// Appends the shortest round-trip decimal form of `v` (null if not finite).
void AppendJsonDouble(double v, std::string* out);

}  // namespace kappa
