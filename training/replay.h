// ReplayIntoState: the bounded replay of `kappa train` (and `reprocess`).
//
// At start it snapshots every partition's end offset; it then reads each
// partition from its checkpoint (or, on first run, from the log start, which
// need not be 0) up to that snapshot and stops. Events produced meanwhile are
// left for the next run. Valid events are written to the EventStore together
// with the partition checkpoints in one batch (crash-safe resume); bad events
// go to the DLQ and are counted, and a checkpoint never moves past a bad
// event whose DLQ copy the broker has not acknowledged. With dead_letter
// false (reprocess) bad events are only counted: the jobs that consume live
// have dead-lettered them already, and the source topic still holds them.
//
// Threads: the calling thread decodes and decides; a PrefetchingPoller
// thread polls the consumer and a StateWriter thread applies the batches
// (in order). All three are joined before the call returns.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "state/event_store.h"
#include "stream/kafka_options.h"

namespace kappa::training {

struct ReplayOptions {
  std::string topic{stream::kEventsTopic};
  std::string dlq_topic{stream::kDeadLetterTopic};
  bool dead_letter = true;  // false: count bad events, send nothing
  size_t batch_size = 5000;  // records per state write
  // Give up when partitions below their end offset yield nothing this long.
  std::chrono::milliseconds stall_timeout{60000};
  std::function<bool()> should_stop;  // may be empty
};

struct PartitionReplay {
  int32_t partition = 0;
  int64_t log_start = 0;     // earliest retained offset at start
  int64_t resumed_from = 0;  // where this run began reading
  int64_t end_offset = 0;    // the snapshot: this run reads up to here
  uint64_t stored = 0;       // valid events written by this run
  uint64_t dead_lettered = 0;  // bad events (counted only if !dead_letter)
  uint64_t expired = 0;  // offsets lost to retention since the checkpoint
};

struct ReplayProgress {
  uint64_t records = 0;  // read by this run so far
  uint64_t total = 0;    // to read by this run (sum of end - resumed_from)
  int partitions_done = 0;
  int partitions = 0;
  double seconds = 0;
};

struct ReplayResult {
  std::vector<PartitionReplay> partitions;
  uint64_t stored = 0;
  uint64_t dead_lettered = 0;
  uint64_t expired = 0;
  double seconds = 0;
  bool interrupted = false;  // should_stop() ended it early (state stays valid)
  double records_per_second() const;
};

// Errors: the topic does not exist; a checkpoint lies beyond the topic's end
// (the topic was recreated: InvalidArgument suggesting --from-scratch); Kafka,
// DLQ delivery or state failures; a stall.
Result<ReplayResult> ReplayIntoState(
    const stream::KafkaClientOptions& client, state::EventStore* store,
    const ReplayOptions& options,
    const std::function<void(const ReplayProgress&)>& on_progress = {});

}  // namespace kappa::training
