// DemoStatus: what `kappa demo` shows, in one place, for its terminal view
// and its status page (/status.json). The producer, trainer and inference
// threads report into it; the main thread samples it once a second.
// Thread-safe: every method takes the one mutex.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kappa::cli {

struct DemoModel {
  int version = 0;
  std::string feature_set;
  double accuracy = 0;
  double roc_auc = 0;
  double log_loss = 0;
  uint64_t labeled_events = 0;  // trained and validated on
  double trained_at = 0;        // seconds since the demo started
};

struct DemoAlert {
  int64_t passenger_id = 0;
  std::string name;
  int pclass = 0;
  std::string sex;
  double probability = 0;
  int model_version = 0;
  std::optional<double> latency_ms;  // event time -> scored
};

// Counters as the main thread reads them from the metrics each second.
struct DemoCounters {
  uint64_t produced = 0;
  uint64_t scored = 0;
  uint64_t alerts = 0;  // survived_detected_total
  uint64_t dead_lettered = 0;
  int model_version = 0;  // scoring now
};

class DemoStatus {
 public:
  DemoStatus();

  void AddModel(const DemoModel& model);
  void AddAlert(const DemoAlert& alert);
  // "model v2 trained ...": kept for the view's log, and logged at info
  // (which the demo silences while the terminal view is on).
  void Note(const std::string& event);
  // The main thread, about once a second: a new point of the time series.
  void Sample(const DemoCounters& counters);
  void SetNextRetrain(std::optional<double> seconds_from_now);

  // The page's data: `live` counters (read at the request, so the page
  // agrees with /metrics), the last sample's rates and latency percentiles,
  // models, the time series (last 5 minutes) and the latest alerts.
  std::string Json(const DemoCounters& live) const;
  // The terminal view, one string per line.
  std::vector<std::string> View(const std::string& page_url) const;
  // One line for logs and the final summary.
  std::string SummaryLine() const;
  DemoCounters Latest() const;

 private:
  struct Point {
    double t = 0;
    DemoCounters counters;
    double events_per_second = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    size_t latencies = 0;  // alerts the percentiles are of
  };
  double Elapsed() const;
  double PercentileLocked(double q) const;  // of recent alert latencies
  void TrimLatenciesLocked();

  mutable std::mutex mutex_;
  std::chrono::steady_clock::time_point start_;
  std::vector<DemoModel> models_;
  std::deque<DemoAlert> latest_alerts_;    // newest first, at most 20
  // Alerts read in the last 10 s (at most 10,000): a time window, so the
  // backlog scored when the first model arrived leaves it within seconds.
  struct TimedLatency {
    double read_at = 0;  // Elapsed()
    double ms = 0;
  };
  std::deque<TimedLatency> latencies_;
  std::deque<std::string> notes_;          // newest last, at most 5
  std::deque<Point> series_;               // one per sample, at most 300
  std::optional<double> next_retrain_at_;  // seconds since start
};

}  // namespace kappa::cli
