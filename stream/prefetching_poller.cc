#include "stream/prefetching_poller.h"

namespace kappa::stream {

PrefetchingPoller::PrefetchingPoller(Consumer* consumer, size_t batch_size, size_t max_queued)
    : consumer_(consumer),
      batch_size_(batch_size),
      max_queued_(max_queued),
      thread_([this] { Run(); }) {}

PrefetchingPoller::~PrefetchingPoller() { Stop(); }

void PrefetchingPoller::Stop() {
  {
    // Under the lock: otherwise the poller may check stop_ and then sleep
    // after this notify, and never wake (a lost wakeup; seen in review).
    std::lock_guard lock(mu_);
    stop_.store(true);
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void PrefetchingPoller::Run() {
  while (!stop_.load()) {
    PolledBatch batch;
    const Status s =
        consumer_->Poll(batch_size_, std::chrono::milliseconds(100), &batch.messages, &batch.eofs);
    std::unique_lock lock(mu_);
    if (!s.ok()) {
      error_ = s;
      cv_.notify_all();
      return;
    }
    if (batch.messages.empty() && batch.eofs.empty()) continue;
    cv_.wait(lock, [&] { return queue_.size() < max_queued_ || stop_.load(); });
    if (stop_.load()) return;
    queue_.push_back(std::move(batch));
    cv_.notify_all();
  }
}

Status PrefetchingPoller::Next(std::chrono::milliseconds timeout, PolledBatch* out) {
  out->messages.clear();
  out->eofs.clear();
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || !error_.ok(); });
  if (!queue_.empty()) {
    *out = std::move(queue_.front());
    queue_.pop_front();
    cv_.notify_all();
    return Status::Ok();
  }
  return error_;
}

}  // namespace kappa::stream
