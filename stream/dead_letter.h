// DeadLetterWriter: routes a rejected record to the dead-letter topic.
//
// The DLQ record keeps the original key and value bytes unchanged (a
// tombstone stays a tombstone) and says why and where from in headers:
//   kappa.error.kind       RejectKindName(), e.g. "wrong_type"
//   kappa.error.reason     the one-line reason, e.g. "Age: expected number or null, got string"
//   kappa.source.topic     topic of the original record
//   kappa.source.partition decimal
//   kappa.source.offset    decimal
//   kappa.stage            which job rejected it: "replay", "infer", "demo"
//                          (replay and infer read the same log, so the same
//                          bad event is dead-lettered once by each)
// Delivery is checked like any other message: the report reaches the
// producer's on_delivery callback with the caller's opaque.
//
// Not thread-safe (shares the producer's owner thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stream/consumer.h"
#include "stream/passenger_event.h"
#include "stream/producer.h"

namespace kappa::stream {

inline constexpr const char* kHeaderErrorKind = "kappa.error.kind";
inline constexpr const char* kHeaderErrorReason = "kappa.error.reason";
inline constexpr const char* kHeaderSourceTopic = "kappa.source.topic";
inline constexpr const char* kHeaderSourcePartition = "kappa.source.partition";
inline constexpr const char* kHeaderSourceOffset = "kappa.source.offset";
inline constexpr const char* kHeaderStage = "kappa.stage";

// Where a record came from, and its original bytes.
struct SourceRecord {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view key;
  std::optional<std::string_view> value;
};

class DeadLetterWriter {
 public:
  // `producer` must outlive the writer; `stage` names the job (header
  // kappa.stage).
  DeadLetterWriter(Producer* producer, std::string topic, std::string stage);

  Status Send(const SourceRecord& record, const Rejection& rejection, void* opaque = nullptr);
  // The same, for a record as consumed.
  Status Send(const Message& message, const Rejection& rejection, void* opaque = nullptr);

  const std::string& topic() const { return topic_; }
  uint64_t sent() const { return sent_; }

 private:
  Producer* producer_;
  std::string topic_;
  std::string stage_;
  uint64_t sent_ = 0;
};

}  // namespace kappa::stream
