#include "stream/json_validation.h"

namespace kappa::stream::internal {
namespace {

namespace od = simdjson::ondemand;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

simdjson::error_code ValidateValue(od::value& v, int depth, int max_depth);

simdjson::error_code ValidateArray(od::value& v, int depth, int max_depth) {
  od::array array;
  if (auto error = v.get_array().get(array)) return error;
  for (auto element : array) {
    od::value item;
    if (auto error = std::move(element).get(item)) return error;
    if (auto error = ValidateValue(item, depth + 1, max_depth)) return error;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ValidateObject(od::value& v, int depth, int max_depth) {
  od::object object;
  if (auto error = v.get_object().get(object)) return error;
  for (auto result : object) {
    od::field field;
    if (auto error = std::move(result).get(field)) return error;
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return error;
    if (auto error = ValidateValue(field.value(), depth + 1, max_depth)) return error;
  }
  return simdjson::SUCCESS;
}

simdjson::error_code ValidateValue(od::value& v, int depth, int max_depth) {
  if (depth > max_depth) return simdjson::DEPTH_ERROR;
  od::json_type type{};
  if (auto error = v.type().get(type)) return error;
  switch (type) {
    case od::json_type::array:
      return ValidateArray(v, depth, max_depth);
    case od::json_type::object:
      return ValidateObject(v, depth, max_depth);
    case od::json_type::number: {
      double d = 0;
      if (v.get_double().get(d) == simdjson::SUCCESS) return simdjson::SUCCESS;
      // Valid but unrepresentable numbers (1e400) are still JSON.
      return IsJsonNumber(NumberToken(v)) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::boolean: {
      bool b = false;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return simdjson::N_ATOM_ERROR;
      return simdjson::SUCCESS;
    }
  }
  return simdjson::TAPE_ERROR;
}

}  // namespace

std::string_view NumberToken(od::value& v) {
  std::string_view token = v.raw_json_token();
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

bool IsJsonNumber(std::string_view s) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && IsDigit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string_view JsonTypeName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "array";
    case od::json_type::object:
      return "object";
    case od::json_type::number:
      return "number";
    case od::json_type::string:
      return "string";
    case od::json_type::boolean:
      return "boolean";
    case od::json_type::null:
      return "null";
  }
  return "unknown";
}

simdjson::error_code ValidateJsonValue(od::value& v, int depth, int max_depth) {
  return ValidateValue(v, depth, max_depth);
}

}  // namespace kappa::stream::internal
