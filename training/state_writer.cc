#include "training/state_writer.h"

namespace kappa::training {

StateWriter::StateWriter(state::EventStore* store, size_t max_pending)
    : store_(store), max_pending_(max_pending), thread_([this] { Run(); }) {}

StateWriter::~StateWriter() { Finish().IgnoreError(); }

Status StateWriter::Submit(WriteJob job) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.size() < max_pending_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(job));
  cv_.notify_all();
  return Status::Ok();
}

Status StateWriter::Finish() {
  {
    std::lock_guard lock(mu_);
    finishing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mu_);
  return error_;
}

void StateWriter::Run() {
  for (;;) {
    WriteJob job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || finishing_; });
      if (queue_.empty()) return;  // finishing and drained
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    // Pop first, write after: Submit may queue the next job meanwhile.
    cv_.notify_all();
    const Status s = store_->ApplyBatch(job.batch);
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      error_ = s;
      queue_.clear();
      cv_.notify_all();
      return;
    }
  }
}

}  // namespace kappa::training
