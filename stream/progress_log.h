// ProgressLog: how far a consumer group got in a topic, kept as records in a
// topic of ours and written inside the same Kafka transaction as the output
// they account for, so output and progress commit or abort together.
//
// Why not only the group's committed offsets: a transaction commits them
// with send_offsets_to_transaction, and on Kafka that is enough; the
// embedded broker accepts those offsets but does not store them (design.md,
// "Known quirks"). Readers take the later of the two, so either suffices.
//
// Record (progress topic; one per source partition per transaction):
//   key    "<source topic>:<partition>:<group>"  (topic names cannot hold ':')
//   value  the next source offset to read, decimal
//   header kappa.txn  the writing transaction's id
// Source partition p goes to progress partition p mod N, so a new owner of p
// reads only the tail of one progress partition. The topic may be compacted.
//
// Not thread-safe: one owner thread (the scoring loop's).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stream/consumer.h"
#include "stream/kafka_options.h"
#include "stream/producer.h"

namespace kappa::stream {

inline constexpr const char* kHeaderTransaction = "kappa.txn";

class ProgressLog {
 public:
  // `topic` must exist (NotFound otherwise).
  static Result<std::unique_ptr<ProgressLog>> Open(const KafkaClientOptions& client,
                                                   std::string topic, std::string group);

  // The latest next-offset recorded for each of `partitions` of
  // `source_topic`; partitions without a record are absent. Reads backwards
  // from the end of each progress partition in growing windows, so the cost
  // follows recent traffic, not the topic's age.
  Result<std::map<int32_t, int64_t>> Load(const std::string& source_topic,
                                          std::span<const int32_t> partitions);

  // Sends one record per entry of `next_offsets` through `producer` (inside
  // its open transaction), tagged with `transaction_id`.
  Status Append(Producer* producer, std::span<const TopicPartitionOffset> next_offsets,
                std::string_view transaction_id);

  const std::string& topic() const { return topic_; }

 private:
  ProgressLog(std::unique_ptr<Consumer> reader, std::string topic, std::string group,
              int32_t partitions)
      : reader_(std::move(reader)),
        topic_(std::move(topic)),
        group_(std::move(group)),
        partitions_(partitions) {}
  std::string Key(std::string_view source_topic, int32_t partition) const;

  std::unique_ptr<Consumer> reader_;  // assign-only, read_committed
  std::string topic_;
  std::string group_;
  int32_t partitions_;
  std::string value_;  // reused by Append
};

}  // namespace kappa::stream
