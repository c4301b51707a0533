// BatchScorer: what `kappa infer` does with one batch of records before any
// of it is written: decode each record (a rejected one is kept, with its
// reason, for the DLQ), score the passengers with the model, and encode an
// alert for every one at or above the threshold.
//
// Lanes: with options.lanes > 1, a batch of at least 2 x kMinRecordsPerLane
// records is cut into consecutive parts (at most `lanes`), each decoded,
// scored and encoded on its own thread: part 0 on the caller's, the others on
// worker threads this object owns. Decoding and scoring are most of the work
// per event and independent per record, so on a 2-core machine two lanes
// nearly halve it (scripts/bench infer). Small batches (low load) stay on the
// caller's thread: waking a worker costs more than it saves there.
// Results are in record order, whatever the lanes.
//
// Threading: Score() and the accessors are called by one thread at a time.
// A worker touches only its own part and lane, and only while Score() runs.
#pragma once

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
  size_t lanes = 1;        // threads a large batch is cut across (>= 1)
};

class BatchScorer {
 public:
  // Fewest records a lane is given.
  static constexpr size_t kMinRecordsPerLane = 256;

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

  // Decodes and scores `records` with `model`, which must stay alive and
  // unchanged until Score returns. An error only when the model fails to
  // predict; rejected records are data (rejected()).
  Status Score(std::span<const stream::Message> records, const Model& model);

  // Of the last Score, in record order; the views and pointers stay valid
  // until the next Score (and `records` must outlive them).
  size_t scored() const { return scored_; }
  const std::vector<RejectedRecord>& rejected() const { return rejected_; }
  const std::vector<AlertRecord>& alerts() const { return alerts_; }

 private:
  struct Lane;
  void WorkerLoop(size_t lane);

  BatchScorerOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;

  // The part each lane scores in the current Score(); workers wait for a
  // new `generation_` and report by decrementing `pending_`.
  std::span<const stream::Message> records_;
  const Model* model_ = nullptr;
  size_t lanes_used_ = 0;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  uint64_t generation_ = 0;
  size_t pending_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;

  size_t scored_ = 0;
  std::vector<RejectedRecord> rejected_;
  std::vector<AlertRecord> alerts_;
};

}  // namespace kappa::inference
