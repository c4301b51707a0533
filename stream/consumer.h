// Consumer: RAII over a librdkafka consumer, and Message, an owned record.
//
// Two ways to read: Subscribe() joins the consumer group (group.id) and lets
// the broker assign partitions; Assign() reads chosen partitions from chosen
// offsets without group management (bounded replay, tests). Poll() returns
// batches of records; values are zero-copy views into librdkafka's buffers,
// valid as long as the Message lives.
//
// Offsets are never committed automatically (enable.auto.commit=false):
// callers commit what they have finished with Commit().
//
// Threading: one owner thread calls everything. librdkafka's own threads do
// the network I/O. The destructor closes the consumer (leaving the group
// cleanly) and logs instead of throwing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stream/kafka_options.h"
#include "stream/topic_partition.h"

struct rd_kafka_s;
struct rd_kafka_message_s;
struct rd_kafka_queue_s;

namespace kappa::stream {

// Low (log start) and high (next offset to be written) watermarks.
struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

class Message {
 public:
  explicit Message(rd_kafka_message_s* msg);  // takes ownership
  ~Message();
  Message(Message&& other) noexcept;
  Message& operator=(Message&& other) noexcept;
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;

  std::string_view topic() const;
  int32_t partition() const;
  int64_t offset() const;
  std::string_view key() const;
  // std::nullopt for a record without a value (tombstone).
  std::optional<std::string_view> value() const;
  // The first header named `name`, std::nullopt when absent.
  std::optional<std::string_view> header(const char* name) const;
  // Producer or log-append time in ms since the epoch, -1 if unknown.
  int64_t timestamp_ms() const;

 private:
  rd_kafka_message_s* msg_;
};

struct ConsumerOptions {
  KafkaClientOptions client;
  // Required for Subscribe() and Commit(); `-X group.id=...` overrides it.
  // librdkafka's consumer API needs some group id even for Assign(); when
  // this is empty a fixed one that is never joined or committed to is used.
  std::string group_id;
  // Where a group member starts when the group has no committed offset.
  std::string auto_offset_reset = "earliest";
  // Report reaching the end of a partition through Poll's `eofs` (a bounded
  // replay needs it: the last offsets of a partition may be transaction
  // markers that never arrive as records).
  bool report_partition_eof = false;

  // Group members: called inside Poll when the group assigns partitions,
  // before anything is fetched from them. It may set each partition's start
  // offset (kOffsetStored, the default, means the group's committed offset).
  // An error stops nothing by itself: the Poll that ran it returns it.
  std::function<Status(std::vector<TopicPartitionOffset>* assigned)> on_assign;
  // Called inside Poll before partitions are taken away. Rebalancing is
  // eager: every partition is revoked, then the new set assigned.
  std::function<void(std::span<const TopicPartitionOffset> revoked)> on_revoke;

  // Every `statistics_interval` (0 = never), librdkafka's statistics JSON
  // (STATISTICS.md) is handed to on_statistics inside Poll.
  std::chrono::milliseconds statistics_interval{0};
  std::function<void(std::string_view json)> on_statistics;
};

class Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> Create(ConsumerOptions options);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // InvalidArgument when the consumer was created without a group id.
  Status Subscribe(const std::vector<std::string>& topics);
  Status Assign(std::span<const TopicPartitionOffset> partitions);

  // Appends up to `max_messages` records to *batch, waiting at most `timeout`
  // for the first. Rebalance callbacks run inside Poll; records taken in the
  // same call before a revoke are dropped, so a batch never holds records of
  // a partition that was taken away (its next owner reads them again). Transient errors (a broker
  // down) are logged and retried by librdkafka, not returned; fatal errors, unknown topics and
  // corrupt records are returned. With report_partition_eof, each end of partition reached is
  // appended to *eofs (offset = the partition's end) when eofs is given.
  Status Poll(size_t max_messages, std::chrono::milliseconds timeout, std::vector<Message>* batch,
              std::vector<TopicPartitionOffset>* eofs = nullptr);

  // Synchronously commits `offsets` (each the NEXT offset to read).
  Status Commit(std::span<const TopicPartitionOffset> offsets);
  // Stops fetching `partitions` (and drops what was prefetched from them)
  // until Resume; Poll still serves rebalances meanwhile. The pause outlives
  // a revoke, so resume partitions before they are revoked.
  Status Pause(std::span<const TopicPartitionOffset> partitions);
  Status Resume(std::span<const TopicPartitionOffset> partitions);
  // Moves the fetch position of assigned partitions to `offsets`; records
  // already fetched past them are discarded (used to redo an aborted
  // transaction's input).
  Status Seek(std::span<const TopicPartitionOffset> offsets, std::chrono::milliseconds timeout);
  // Committed offsets of the group for these partitions (offset < 0: none).
  Result<std::vector<TopicPartitionOffset>> Committed(
      std::span<const TopicPartitionOffset> partitions, std::chrono::milliseconds timeout);

  // The partitions currently assigned to this consumer (by the group or
  // Assign), with offset kOffsetStored.
  Result<std::vector<TopicPartitionOffset>> Assignment();

  // Asks the partition's leader for its watermarks. A leader that moved or
  // is briefly unreachable is asked again (after fresh metadata) until
  // `timeout`.
  Result<Watermarks> QueryWatermarks(const std::string& topic, int32_t partition,
                                     std::chrono::milliseconds timeout);
  // Number of partitions of `topic` (NotFound when the topic does not exist).
  Result<int32_t> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  // Leaves the group and closes; idempotent. Called by the destructor.
  Status Close();

 private:
  explicit Consumer(ConsumerOptions options);
  friend class Producer;  // the group metadata of a transaction's offsets
  static void OnRebalance(rd_kafka_s* rk, int err, void* partitions, void* opaque);
  static int OnStatistics(rd_kafka_s* rk, char* json, size_t json_len, void* opaque);

  ConsumerOptions options_;
  rd_kafka_s* rk_ = nullptr;                  // owned
  rd_kafka_queue_s* queue_ = nullptr;         // owned: the consumer queue
  std::vector<rd_kafka_message_s*> scratch_;  // reused by Poll
  bool closed_ = false;
  bool subscribed_ = false;   // group member: no batch polling (see Poll)
  uint64_t revocations_ = 0;  // rebalances that took partitions away
  Status rebalance_error_;    // from on_assign, returned by Poll
};

}  // namespace kappa::stream
