// EventStore: the RocksDB-backed state that `kappa train` replays the events
// topic into: every valid event of the log (its original JSON bytes), one
// checkpoint per source partition, and the fitted feature statistics of the
// last training run.
//
// Crash safety: ApplyBatch() writes a batch of events together with the new
// checkpoints and counters of their partitions in ONE rocksdb::WriteBatch,
// so after a kill -9 at any moment the store holds exactly the events before
// each partition's checkpoint: a replay resuming from the checkpoints has no
// gap and no duplicate. Events are keyed by (topic, partition, offset), so
// writing the same record twice is idempotent anyway.
//
// Layout (keys; integers big-endian so that RocksDB's order is numeric):
//   'e' topic '\0' partition(u32) offset(u64)  -> event value bytes
//   'c' topic '\0' partition(u32)              -> PartitionCheckpoint (binary)
//   'f' feature_set_name                       -> fitted parameters (JSON text)
//
// Threading: all methods may be called from one thread at a time (RocksDB
// itself is thread-safe; this class keeps no unsynchronized state beyond the
// DB handle). Close() before destruction to see its status; the destructor
// closes and logs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace rocksdb {
class DB;
}

namespace kappa::state {

struct EventStoreOptions {
  std::string path = "./state";  // directory of the RocksDB database
  bool create_if_missing = true;
  // WAL writes are not fsynced: a killed process loses nothing (the OS has
  // the data); a machine crash may lose the newest batches, which a replay
  // then re-reads from Kafka. Set true to fsync every batch.
  bool sync = false;
};

// Progress and counts of one source partition.
struct PartitionCheckpoint {
  std::string topic;
  int32_t partition = 0;
  int64_t next_offset = 0;     // the next offset to replay
  int64_t first_offset = -1;   // first offset this store replayed (-1: none yet)
  uint64_t events = 0;         // valid events stored
  uint64_t labeled = 0;        // of which have Survived set
  uint64_t dead_lettered = 0;  // rejected and sent to the DLQ
  uint64_t expired = 0;        // offsets lost to retention before replay
  bool operator==(const PartitionCheckpoint&) const = default;
};

// One event to store.
struct StoredEvent {
  int32_t partition = 0;
  int64_t offset = 0;
  std::string_view value;  // the original, validated JSON bytes
};

// What one ApplyBatch() writes: events (any partitions of one topic) and the
// checkpoints reached, which replace the stored ones of those partitions.
struct ReplayBatch {
  std::string topic;
  std::vector<StoredEvent> events;
  std::vector<PartitionCheckpoint> checkpoints;
};

class EventStore {
 public:
  // Opens (creating if allowed) the store. IoError/Corruption with RocksDB's
  // reason and the path on failure; InvalidArgument for a non-empty
  // directory that is not a store (it is never written into).
  static Result<std::unique_ptr<EventStore>> Open(const EventStoreOptions& options);
  // Deletes the store at `path` entirely (for --from-scratch). Ok if absent.
  static Status Destroy(const std::string& path);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Atomically writes the events and checkpoints (see the header comment).
  Status ApplyBatch(const ReplayBatch& batch);

  // The checkpoint of one partition, std::nullopt if never replayed.
  Result<std::optional<PartitionCheckpoint>> Checkpoint(const std::string& topic,
                                                       int32_t partition) const;
  // All checkpoints of `topic` (all topics when empty), by partition.
  Result<std::vector<PartitionCheckpoint>> Checkpoints(const std::string& topic = "") const;

  // Calls `fn` for every stored event of `topic` in (partition, offset) order.
  // `fn` returns false to stop early. The value view is valid during the call.
  Status ForEachEvent(const std::string& topic,
                      const std::function<bool(const StoredEvent&)>& fn) const;

  // Fitted parameters of a feature set (opaque text to this class).
  Status PutFeatureStats(const std::string& feature_set, std::string_view json);
  Result<std::optional<std::string>> FeatureStats(const std::string& feature_set) const;
  // Names of feature sets with stored statistics.
  Result<std::vector<std::string>> FeatureSetsWithStats() const;

  // A SHA-256 over every key and value in key order (hex): two stores with
  // the same digest hold the same state.
  Result<std::string> Digest() const;

  const std::string& path() const { return path_; }

  // Flushes and closes; idempotent. Later calls on the store fail.
  Status Close();

 private:
  EventStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::string path_;
  bool sync_ = false;
};

}  // namespace kappa::state
