// BatchScorer: what `kappa infer` does with one batch of records before any
// of it is written: decode each record (a rejected one is kept, with its
// reason, for the DLQ), score the passengers with the model, and encode an
// alert for every one at or above the threshold.
//
// Lanes: with options.lanes > 1, a batch of more than kChunk records is cut
// into chunks of kChunk that lane threads take one at a time: lanes - 1
// worker threads this object owns, and the caller's thread. Decoding and
// scoring are most of the work per event and independent per record, so two
// lanes nearly halve it on a 2-core machine (scripts/bench infer). Taking
// chunks rather than fixed shares keeps the lanes finishing together when
// one thread is slowed by others. A batch of one chunk (low load) is scored
// by the caller alone: waking a worker costs more than it saves there.
// Results are in record order, whatever the lanes.
//
// Threading: Score() and the accessors are called by one thread at a time.
// Workers touch only the chunks they take, and only while Score() runs.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/status.h"
#include "inference/model.h"
#include "stream/consumer.h"
#include "stream/event_codec.h"

namespace kappa::inference {

struct BatchScorerOptions {
  double threshold = 0.5;  // P(survived) >= threshold makes an alert
  size_t lanes = 1;        // threads that score a large batch together (>= 1)
};

class BatchScorer {
 public:
  // Records a lane takes at a time.
  static constexpr size_t kChunk = 128;

  struct RejectedRecord {
    const stream::Message* source;
    stream::Rejection rejection;
  };
  struct AlertRecord {
    const stream::Message* source;
    std::string_view key;    // the PassengerId, in decimal
    std::string_view value;  // the alert JSON (alert.h)
  };

  explicit BatchScorer(BatchScorerOptions options);
  ~BatchScorer();  // stops and joins the workers
  BatchScorer(const BatchScorer&) = delete;
  BatchScorer& operator=(const BatchScorer&) = delete;

  // Decodes and scores `records` with `model`. An error only when the
  // model fails to predict; rejected records are data (rejected()).
  Status Score(std::span<const stream::Message> records, const Model& model);

  // Of the last Score, in record order; the views and pointers stay valid
  // until the next Score (and the records must outlive them).
  size_t scored() const { return scored_; }
  const std::vector<RejectedRecord>& rejected() const { return rejected_; }
  const std::vector<AlertRecord>& alerts() const { return alerts_; }

 private:
  struct Lane;
  struct ChunkResult;
  // Offers the batch to the workers; Finish() scores what they have not
  // taken, waits for them and gathers the results.
  void Start(std::span<const stream::Message> records, const Model& model);
  Status Finish();
  // Whether the current batch is offered to the workers: more than one chunk.
  bool Shared() const { return !workers_.empty() && chunks_ > 1; }
  void WorkerLoop(size_t lane);
  // Takes chunks until none is left.
  void TakeChunks(Lane* lane);

  BatchScorerOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;  // lanes_[0] is the caller's
  std::vector<std::unique_ptr<ChunkResult>> results_;

  // The batch being scored; workers wait for a new `generation_` and report
  // by decrementing `busy_workers_`.
  std::span<const stream::Message> records_;
  const Model* model_ = nullptr;
  size_t chunks_ = 0;
  std::atomic<size_t> next_chunk_{0};
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  uint64_t generation_ = 0;
  size_t busy_workers_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  size_t scored_ = 0;
  std::vector<RejectedRecord> rejected_;
  std::vector<AlertRecord> alerts_;
};

}  // namespace kappa::inference
