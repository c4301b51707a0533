#include "stream/kafka_statistics.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <tuple>
#include <utility>

#include "stream/json_validation.h"

namespace kappa::stream {
namespace {

namespace od = simdjson::ondemand;
using internal::JsonTypeName;

// Values we do not read are validated by recursion; librdkafka's statistics
// nest five levels deep, so anything past this is not theirs.
constexpr int kMaxNesting = 32;

// Keys quoted in error messages are cut here: a message is one log line.
constexpr size_t kMaxQuotedKeyBytes = 64;

// The JSON Pointer (RFC 6901) of the value being read, a chain of stack
// frames. Only turned into a string when there is an error to report.
struct Path {
  const Path* parent = nullptr;
  std::string_view key;

  Path Child(std::string_view child) const { return Path{this, child}; }
};

// `key` cut at a UTF-8 boundary (simdjson has validated the document's UTF-8).
std::string_view ShortKey(std::string_view key) {
  if (key.size() <= kMaxQuotedKeyBytes) return key;
  size_t cut = kMaxQuotedKeyBytes;
  while (cut > 0 && (static_cast<unsigned char>(key[cut]) & 0xC0) == 0x80) --cut;
  return key.substr(0, cut);
}

void AppendPath(const Path& path, std::string* out) {
  if (path.parent == nullptr) return;  // the root
  AppendPath(*path.parent, out);
  out->push_back('/');
  const std::string_view key = ShortKey(path.key);
  for (char c : key) {
    if (c == '~') {
      out->append("~0");
    } else if (c == '/') {
      out->append("~1");
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out->push_back('?');  // keeps the message on one line
    } else {
      out->push_back(c);
    }
  }
  if (key.size() < path.key.size()) out->append("...");
}

std::string PathString(const Path& path) {
  if (path.parent == nullptr) return "document";
  std::string out;
  AppendPath(path, &out);
  return out;
}

Status Corrupt(const Path& path, std::string_view what) {
  return Status::Corruption(fmt::format("{}: {}", PathString(path), what));
}

Status NotJson(const Path& path, simdjson::error_code error) {
  return Corrupt(path, fmt::format("not valid JSON: {}", simdjson::error_message(error)));
}

Status ExpectType(od::value& v, const Path& path, od::json_type expected) {
  od::json_type type{};
  if (auto error = v.type().get(type)) return NotJson(path, error);
  if (type != expected) {
    return Corrupt(path,
                   fmt::format("expected {}, got {}", JsonTypeName(expected), JsonTypeName(type)));
  }
  return Status::Ok();
}

Status ReadInt(od::value& v, const Path& path, int64_t* out) {
  KAPPA_RETURN_IF_ERROR(ExpectType(v, path, od::json_type::number));
  if (auto error = v.get_int64().get(*out)) {
    return Corrupt(path,
                   fmt::format("expected a 64-bit integer: {}", simdjson::error_message(error)));
  }
  return Status::Ok();
}

Status ReadString(od::value& v, const Path& path, std::string* out) {
  KAPPA_RETURN_IF_ERROR(ExpectType(v, path, od::json_type::string));
  std::string_view text;
  if (auto error = v.get_string().get(text)) return NotJson(path, error);
  out->assign(text);
  return Status::Ok();
}

Status GetObject(od::value& v, const Path& path, od::object* out) {
  KAPPA_RETURN_IF_ERROR(ExpectType(v, path, od::json_type::object));
  if (auto error = v.get_object().get(*out)) return NotJson(path, error);
  return Status::Ok();
}

// ---- Validation of values we do not read -----------------------------------
//
// On-Demand skips an unread value by counting brackets only, which would
// accept e.g. {"rtt":{"min":,}}; a corrupt document must not pass as long as
// the corruption is in a field we ignore (stream/json_validation.h).

Status Skip(od::value& v, const Path& path, int depth) {
  if (auto error = internal::ValidateJsonValue(v, depth, kMaxNesting)) return NotJson(path, error);
  return Status::Ok();
}

// Calls on_field(key, value, path of the value) for each field of `object`,
// in document order, stopping at the first error.
template <typename OnField>
Status ForEachField(od::object& object, const Path& path, OnField on_field) {
  for (auto result : object) {
    od::field field;
    if (auto error = std::move(result).get(field)) return NotJson(path, error);
    std::string_view key;
    if (auto error = field.unescaped_key().get(key)) return NotJson(path, error);
    KAPPA_RETURN_IF_ERROR(on_field(key, field.value(), path.Child(key)));
  }
  return Status::Ok();
}

// The same for a value that must be an object.
template <typename OnField>
Status ForEachField(od::value& v, const Path& path, OnField on_field) {
  od::object object;
  KAPPA_RETURN_IF_ERROR(GetObject(v, path, &object));
  return ForEachField(object, path, on_field);
}

// ---- The statistics document -------------------------------------------------
//
// Depths (for Skip): root fields 1, a broker 2, its fields 3; a topic 2, its
// fields 3, a partition 4, its fields 5.

Status AddCounter(int64_t value, const Path& path, int64_t* sum) {
  if (__builtin_add_overflow(*sum, value, sum)) return Corrupt(path, "sum overflows 64 bits");
  return Status::Ok();
}

Status ParseBroker(od::value& v, const Path& path, KafkaStatistics* out) {
  return ForEachField(v, path, [&](std::string_view key, od::value& value, const Path& at) {
    int64_t n = 0;
    if (key == "txerrs") {
      KAPPA_RETURN_IF_ERROR(ReadInt(value, at, &n));
      return AddCounter(n, at, &out->tx_errors);
    }
    if (key == "rxerrs") {
      KAPPA_RETURN_IF_ERROR(ReadInt(value, at, &n));
      return AddCounter(n, at, &out->rx_errors);
    }
    return Skip(value, at, 3);
  });
}

Status ParseBrokers(od::value& v, const Path& path, KafkaStatistics* out) {
  return ForEachField(v, path, [&](std::string_view, od::value& broker, const Path& at) {
    return ParseBroker(broker, at, out);
  });
}

Result<int32_t> PartitionId(std::string_view key, const Path& path) {
  int32_t id = 0;
  const char* end = key.data() + key.size();
  const auto [ptr, ec] = std::from_chars(key.data(), end, id);
  if (ec != std::errc() || ptr != end || key.empty()) {
    return Corrupt(path, "partition key is not a 32-bit integer");
  }
  return id;
}

Status ParsePartition(od::value& v, const Path& path, PartitionStatistics* p) {
  return ForEachField(v, path, [&](std::string_view key, od::value& value, const Path& at) {
    if (key == "consumer_lag") return ReadInt(value, at, &p->consumer_lag);
    if (key == "consumer_lag_stored") return ReadInt(value, at, &p->consumer_lag_stored);
    if (key == "committed_offset") return ReadInt(value, at, &p->committed_offset);
    if (key == "hi_offset") return ReadInt(value, at, &p->hi_offset);
    if (key == "ls_offset") return ReadInt(value, at, &p->ls_offset);
    if (key == "app_offset") return ReadInt(value, at, &p->app_offset);
    if (key == "fetch_state") return ReadString(value, at, &p->fetch_state);
    return Skip(value, at, 5);
  });
}

// True for the fetch states of a partition this client does not fetch.
bool IsNotFetched(std::string_view fetch_state) {
  return fetch_state == "none" || fetch_state == "stopping" || fetch_state == "stopped";
}

Status ParsePartitions(od::value& v, const Path& path, std::string_view topic,
                       KafkaStatistics* out) {
  return ForEachField(v, path, [&](std::string_view key, od::value& value, const Path& at) {
    Result<int32_t> id = PartitionId(key, at);
    if (!id.ok()) return id.status();
    PartitionStatistics p;
    p.partition = *id;
    // Parsed (and so validated) even when dropped below.
    KAPPA_RETURN_IF_ERROR(ParsePartition(value, at, &p));
    // -1 is RD_KAFKA_PARTITION_UA; Kafka has no other negative partitions.
    if (p.partition < 0 || IsNotFetched(p.fetch_state)) return Status::Ok();
    p.topic.assign(topic);
    out->partitions.push_back(std::move(p));
    return Status::Ok();
  });
}

Status ParseTopic(od::value& v, const Path& path, std::string_view topic, KafkaStatistics* out) {
  return ForEachField(v, path, [&](std::string_view key, od::value& value, const Path& at) {
    if (key == "partitions") return ParsePartitions(value, at, topic, out);
    return Skip(value, at, 3);
  });
}

Status ParseTopics(od::value& v, const Path& path, KafkaStatistics* out) {
  // The map key is the topic name (the same as the topic's "topic" field).
  return ForEachField(v, path, [&](std::string_view topic, od::value& value, const Path& at) {
    return ParseTopic(value, at, topic, out);
  });
}

Status ParseRoot(od::object& root, const Path& path, KafkaStatistics* out) {
  return ForEachField(root, path, [&](std::string_view key, od::value& value, const Path& at) {
    if (key == "client_id") return ReadString(value, at, &out->client_id);
    if (key == "type") return ReadString(value, at, &out->type);
    if (key == "replyq") return ReadInt(value, at, &out->replyq);
    if (key == "msg_cnt") return ReadInt(value, at, &out->msg_cnt);
    if (key == "tx") return ReadInt(value, at, &out->tx);
    if (key == "rx") return ReadInt(value, at, &out->rx);
    if (key == "brokers") return ParseBrokers(value, at, out);
    if (key == "topics") return ParseTopics(value, at, out);
    return Skip(value, at, 1);
  });
}

// True once every token of the document has been consumed.
bool AtEnd(od::document& doc) { return doc.current_location().error() == simdjson::OUT_OF_BOUNDS; }

Result<KafkaStatistics> Parse(std::string_view json) {
  const Path root_path;
  if (json.empty()) return Corrupt(root_path, "empty");
  // The callback's buffer has no SIMDJSON_PADDING after it: copy.
  const simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  if (auto error = parser.iterate(padded).get(doc)) return NotJson(root_path, error);
  od::json_type type{};
  if (auto error = doc.type().get(type)) return NotJson(root_path, error);
  if (type != od::json_type::object) {
    return Corrupt(root_path, fmt::format("expected object, got {}", JsonTypeName(type)));
  }
  od::object root;
  if (auto error = doc.get_object().get(root)) return NotJson(root_path, error);
  KafkaStatistics stats;
  KAPPA_RETURN_IF_ERROR(ParseRoot(root, root_path, &stats));
  if (!AtEnd(doc)) return NotJson(root_path, simdjson::TRAILING_CONTENT);
  std::sort(stats.partitions.begin(), stats.partitions.end(),
            [](const PartitionStatistics& a, const PartitionStatistics& b) {
              return std::tie(a.topic, a.partition) < std::tie(b.topic, b.partition);
            });
  return stats;
}

}  // namespace

Result<KafkaStatistics> ParseKafkaStatistics(std::string_view json) {
  Result<KafkaStatistics> stats = Parse(json);
  if (!stats.ok()) return stats.status().WithContext("librdkafka statistics");
  return stats;
}

}  // namespace kappa::stream
