// PublishPassengers: the loop behind `kappa produce` (and the demo's
// producer): takes passengers from a source, stamps the send time, encodes
// them and sends them keyed by PassengerId, paced to a rate, then waits for
// every delivery report.
//
// Runs on the calling thread until `count` events are sent, the source ends,
// or `should_stop()` turns true; then flushes. Reports progress through a
// callback about every 200 ms.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "stream/passenger_source.h"
#include "stream/producer.h"

namespace kappa::stream {

struct PublishOptions {
  std::string topic{kEventsTopic};
  double rate = 20.0;  // events per second; 0 = as fast as possible
  uint64_t count = 0;  // 0 = until the source ends or should_stop()
  std::chrono::milliseconds flush_timeout{30000};
  // If set, holds the count sent so far, updated right after each send:
  // live views compare it with what was scored, and on_progress (every
  // 200 ms) would lag behind the consumer.
  std::atomic<uint64_t>* sent_counter = nullptr;
};

struct PublishSummary {
  uint64_t sent = 0;
  uint64_t acknowledged = 0;
  uint64_t failed = 0;
  uint64_t unacknowledged = 0;  // still in flight when flush timed out
  uint64_t bad_rows = 0;
  double seconds = 0;
  Status first_failure;  // first delivery failure, ok if none
  // What stopped publishing early: a source error (bad CSV row under kFail)
  // or a Send error. Ok when it ran to its end or was asked to stop.
  Status error;
  double events_per_second() const { return seconds > 0 ? static_cast<double>(sent) / seconds : 0; }
  // "sent=… acknowledged=… failed=… unacknowledged=… bad_rows=… seconds=… events_per_second=…"
  std::string ToString() const;
};

struct PublishProgress {
  uint64_t sent = 0;
  uint64_t acknowledged = 0;
  uint64_t failed = 0;
  uint64_t bad_rows = 0;  // skipped by the source so far
  double seconds = 0;
};

// `producer` must be used by this thread only while the call runs. Always
// flushes and returns a full summary, also when stopped by an error.
PublishSummary PublishPassengers(
    Producer* producer, PassengerSource* source, const PublishOptions& options,
    const std::function<bool()>& should_stop,
    const std::function<void(const PublishProgress&)>& on_progress = {});

}  // namespace kappa::stream
