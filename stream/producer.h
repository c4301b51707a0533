// Producer: RAII over a librdkafka producer, with every delivery checked.
//
// Send() enqueues; the broker's acknowledgement (or failure) arrives later as
// a DeliveryReport, counted in stats() and handed to the on_delivery callback.
// A message that is not acknowledged is a counted failure with its reason,
// never silently lost. Idempotence is on by default, so librdkafka's retries
// do not duplicate or reorder messages.
//
// Transactions (ProducerOptions::transactional_id set): InitTransactions once,
// then Begin / Send... / SendOffsetsToTransaction / Commit per unit of work;
// on an error with txn_requires_abort(), AbortTransaction and redo the work.
// A fatal error (fenced by a newer producer with the same transactional id)
// ends the producer's life.
//
// Threading: one owner thread calls Send/Poll/Flush; delivery callbacks run
// on that thread, inside those calls. stats() may be read from any thread.
// The destructor flushes for up to `close_timeout` and logs what remains.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stream/kafka_options.h"
#include "stream/topic_partition.h"

struct rd_kafka_s;

namespace kappa::stream {

inline constexpr int32_t kAnyPartition = -1;

// A record header. Keys are NUL-terminated names (in practice literals).
struct Header {
  const char* key;
  std::string_view value;
};

inline constexpr size_t kMaxHeaders = 8;

// The broker's verdict on one message.
struct DeliveryReport {
  std::string_view topic;
  int32_t partition = kAnyPartition;
  int64_t offset = -1;     // assigned offset when acknowledged
  Status status;           // ok when acknowledged
  void* opaque = nullptr;  // what the caller passed to Send
};

struct ProducerOptions {
  KafkaClientOptions client;
  // Non-empty: a transactional producer with this transactional.id (a
  // `-X transactional.id=` still wins). Every Send must then happen inside
  // a transaction.
  std::string transactional_id;
  // Called once per message, on the thread calling Send/Poll/Flush.
  // Must not throw.
  std::function<void(const DeliveryReport&)> on_delivery;
  std::chrono::milliseconds close_timeout{10000};
};

struct ProducerStats {
  std::atomic<uint64_t> sent{0};          // accepted into the local queue
  std::atomic<uint64_t> acknowledged{0};  // confirmed by the broker
  std::atomic<uint64_t> failed{0};        // definitively not delivered
};

class Consumer;

class Producer {
 public:
  // InvalidArgument when the configuration is refused (e.g. a bad -X).
  static Result<std::unique_ptr<Producer>> Create(ProducerOptions options);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Enqueues one message (copied; nothing is allocated per call). `value`
  // std::nullopt produces a record with no value; at most kMaxHeaders headers.
  // While librdkafka's local queue is full, serves delivery reports and
  // retries (backpressure). Errors: unknown topic, message too large, fatal
  // producer error; in a transaction that can no longer commit (an earlier
  // abortable error), an error with txn_requires_abort().
  Status Send(const std::string& topic, std::string_view key, std::optional<std::string_view> value,
              std::span<const Header> headers = {}, void* opaque = nullptr,
              int32_t partition = kAnyPartition);

  // The number of partitions of `topic` (NotFound when the broker does not
  // have it). Also makes the producer learn the topic's leaders before its
  // first Send, which otherwise waits for them.
  Result<int32_t> PartitionCount(const std::string& topic, std::chrono::milliseconds timeout);

  // Asks the cluster to create `topic` with `partitions` partitions and the
  // broker's default replication (the admin API; Kafka, not the embedded
  // broker, whose mock has no controller to answer). Errors name the topic
  // and the broker's reason (e.g. TOPIC_ALREADY_EXISTS, authorization).
  Status CreateTopic(const std::string& topic, int32_t partitions,
                     std::chrono::milliseconds timeout);

  // Serves delivery reports, waiting up to `timeout` for at least one event.
  void Poll(std::chrono::milliseconds timeout);

  // Waits until every sent message is acknowledged or failed. Timeout when
  // messages are still in flight after `timeout`.
  Status Flush(std::chrono::milliseconds timeout);

  // Transactions (transactional producers only). Errors keep librdkafka's
  // flags: retriable() (call again), txn_requires_abort() (abort, redo),
  // fatal() (fenced or broken: give up).
  Status InitTransactions(std::chrono::milliseconds timeout);
  Status BeginTransaction();
  // Commits `offsets` (next offsets to read) for `consumer`'s group as part
  // of the transaction, with its group metadata so that a member fenced by
  // a rebalance cannot commit (KIP-447).
  Status SendOffsetsToTransaction(std::span<const TopicPartitionOffset> offsets,
                                  const Consumer& consumer, std::chrono::milliseconds timeout);
  // Flushes, then commits. A delivery failure makes it fail with
  // txn_requires_abort().
  Status CommitTransaction(std::chrono::milliseconds timeout);
  Status AbortTransaction(std::chrono::milliseconds timeout);

  // Messages sent but not yet acknowledged or failed.
  int InFlight() const;
  const ProducerStats& stats() const { return stats_; }
  // The first delivery failure seen, ok if none (records purged by an
  // aborted transaction are counted in stats().failed, not kept here).
  const Status& first_failure() const { return first_failure_; }

 private:
  explicit Producer(ProducerOptions options);
  static void OnDelivery(rd_kafka_s* rk, const void* msg, void* opaque);

  ProducerOptions options_;
  rd_kafka_s* rk_ = nullptr;  // owned; destroyed in ~Producer
  ProducerStats stats_;
  Status first_failure_;
};

}  // namespace kappa::stream
