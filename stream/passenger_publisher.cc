#include "stream/passenger_publisher.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <thread>

#include "common/clock.h"
#include "stream/event_codec.h"

namespace kappa::stream {
namespace {

using Clock = std::chrono::steady_clock;

// Paces sends to `rate` per second on an absolute schedule (no drift); after
// a stall of more than a second it restarts the schedule instead of bursting.
class Pacer {
 public:
  explicit Pacer(double rate) : rate_(rate), start_(Clock::now()) {}
  void Wait(uint64_t sent) {
    if (rate_ <= 0) return;
    const auto due =
        start_ + std::chrono::duration_cast<Clock::duration>(
                     std::chrono::duration<double>(static_cast<double>(sent - base_) / rate_));
    const auto now = Clock::now();
    if (due > now) {
      std::this_thread::sleep_for(due - now);
    } else if (now - due > std::chrono::seconds(1)) {
      start_ = now;
      base_ = sent;
    }
  }

 private:
  double rate_;
  Clock::time_point start_;
  uint64_t base_ = 0;
};

}  // namespace

std::string PublishSummary::ToString() const {
  return fmt::format(
      "sent={} acknowledged={} failed={} unacknowledged={} bad_rows={} seconds={:.3f} "
      "events_per_second={:.0f}",
      sent, acknowledged, failed, unacknowledged, bad_rows, seconds, events_per_second());
}

PublishSummary PublishPassengers(Producer* producer, PassengerSource* source,
                                 const PublishOptions& options,
                                 const std::function<bool()>& should_stop,
                                 const std::function<void(const PublishProgress&)>& on_progress) {
  const auto& stats = producer->stats();
  const uint64_t acked0 = stats.acknowledged.load();
  const uint64_t failed0 = stats.failed.load();
  const auto start = Clock::now();
  auto last_progress = start;
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  auto progress = [&](uint64_t sent) {
    return PublishProgress{sent, stats.acknowledged.load() - acked0, stats.failed.load() - failed0,
                           source->bad_rows(), elapsed()};
  };

  Pacer pacer(options.rate);
  PassengerEvent event;
  std::string value;
  std::array<char, 24> key{};
  uint64_t sent = 0;
  Status error;
  while ((options.count == 0 || sent < options.count) && !should_stop()) {
    auto more = source->Next(&event);
    if (!more.ok()) {
      error = more.status();
      break;
    }
    if (!*more) break;
    pacer.Wait(sent);
    event.ts_ms = WallClockMs();
    value.clear();
    EncodeEvent(event, &value);
    const auto key_end = std::to_chars(key.data(), key.data() + key.size(), event.passenger_id).ptr;
    error =
        producer->Send(options.topic, std::string_view(key.data(), key_end - key.data()), value);
    if (!error.ok()) break;
    ++sent;
    if (options.sent_counter != nullptr)
      options.sent_counter->store(sent, std::memory_order_relaxed);
    // Serve delivery reports often enough to keep the queue short, rarely
    // enough that at full speed polling is not the cost.
    if (options.rate > 0 || sent % 256 == 0) producer->Poll(std::chrono::milliseconds(0));
    if (on_progress && Clock::now() - last_progress >= std::chrono::milliseconds(200)) {
      last_progress = Clock::now();
      on_progress(progress(sent));
    }
  }

  PublishSummary summary;
  const Status flushed = producer->Flush(options.flush_timeout);
  summary.sent = sent;
  summary.acknowledged = stats.acknowledged.load() - acked0;
  summary.failed = stats.failed.load() - failed0;
  summary.unacknowledged = flushed.ok() ? 0 : static_cast<uint64_t>(producer->InFlight());
  summary.bad_rows = source->bad_rows();
  summary.seconds = elapsed();
  summary.first_failure = producer->first_failure();
  summary.error = error;
  return summary;
}

}  // namespace kappa::stream
