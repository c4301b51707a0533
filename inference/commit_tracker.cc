#include "inference/commit_tracker.h"

#include <cstdint>

namespace kappa::inference {

CommitTracker::Batch* CommitTracker::Open(
    std::span<const stream::TopicPartitionOffset> next_offsets) {
  auto batch = std::make_unique<Batch>();
  batch->id = next_id_++;
  batch->next_offsets.assign(next_offsets.begin(), next_offsets.end());
  batches_.push_back(std::move(batch));
  return batches_.back().get();
}

void CommitTracker::Expect(Batch* batch) { ++batch->outstanding; }

void CommitTracker::Seal(Batch* batch) { batch->sealed = true; }

void* CommitTracker::Token(const Batch* batch) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(batch->id));
}

void CommitTracker::Acknowledged(void* opaque, bool ok) {
  if (!ok) ++failures_;
  // A report for a batch already cleared (revoked) changes nothing.
  const auto id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(opaque));
  for (auto& b : batches_) {
    if (b->id == id) {
      --b->outstanding;
      return;
    }
  }
}

std::vector<stream::TopicPartitionOffset> CommitTracker::TakeCommittable() {
  std::vector<stream::TopicPartitionOffset> out;
  if (failures_ > 0) return out;
  while (!batches_.empty() && batches_.front()->sealed && batches_.front()->outstanding == 0) {
    stream::MergeOffsets(batches_.front()->next_offsets, &out);
    batches_.pop_front();
  }
  return out;
}

}  // namespace kappa::inference
