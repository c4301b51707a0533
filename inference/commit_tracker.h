// CommitTracker: the bookkeeping of pipelined at-least-once scoring. Batches
// are scored one after another without waiting for the broker; a batch's
// offsets may be committed once every record it sent (alerts, DLQ copies) is
// acknowledged AND every earlier batch is committable too, so a commit never
// passes an unacknowledged alert.
//
// Usage per batch: Open(next offsets) -> for each record: Expect(batch) and
// pass Token(batch) as the producer's opaque -> Seal(batch). Delivery
// reports call Acknowledged(opaque, ok). Tokens are batch numbers, never
// reused, so a late report for a forgotten batch cannot count against a new
// one that happens to reuse its memory. TakeCommittable() returns the merged
// offsets of the leading batches that are complete.
//
// Not thread-safe: the scoring thread owns it (delivery reports run on that
// thread, inside the producer's Send/Poll/Flush).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "stream/topic_partition.h"

namespace kappa::inference {

class CommitTracker {
 public:
  struct Batch;

  // A new batch, last in line; `next_offsets` are what it commits.
  Batch* Open(std::span<const stream::TopicPartitionOffset> next_offsets);
  // One more record of `batch` is on its way to the broker.
  void Expect(Batch* batch);
  // What to pass as the producer's opaque for `batch`'s records.
  static void* Token(const Batch* batch);
  // `batch` sends nothing more.
  void Seal(Batch* batch);
  // The broker's verdict on one record (`opaque` as given to the producer).
  void Acknowledged(void* opaque, bool ok);

  // Offsets (per partition, the latest) of the leading sealed batches whose
  // records are all acknowledged; those batches are forgotten. Empty when
  // there are none, or once any record failed (nothing past a failure is
  // ever committed).
  std::vector<stream::TopicPartitionOffset> TakeCommittable();

  // Forgets every batch (their partitions were revoked, or the run ends with
  // a failure); their events are scored again by whoever reads them next.
  void Clear() { batches_.clear(); }

  size_t open_batches() const { return batches_.size(); }
  uint64_t failures() const { return failures_; }

 private:
  std::deque<std::unique_ptr<Batch>> batches_;
  uint64_t next_id_ = 1;  // 0 would be a null opaque
  uint64_t failures_ = 0;
};

struct CommitTracker::Batch {
  uint64_t id = 0;
  std::vector<stream::TopicPartitionOffset> next_offsets;
  uint64_t outstanding = 0;
  bool sealed = false;
};

}  // namespace kappa::inference
