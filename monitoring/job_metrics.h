// The metrics of kappa's jobs other than live scoring (scoring_metrics.h).
// Each struct registers its families on a registry once; prometheus-cpp
// metrics are thread-safe to update.
//
// kappa produce:
//   kappa_events_produced_total        counter  events sent
//   kappa_events_acknowledged_total    counter  events the broker acknowledged
//   kappa_events_failed_total          counter  events whose delivery failed
//   kappa_produce_bad_rows_total       counter  CSV rows skipped as malformed
// kappa train and kappa reprocess, the replay:
//   kappa_replay_records_total         counter  records read by this run
//   kappa_replay_target_records        gauge    records this run reads in all
//   kappa_replay_progress_ratio        gauge    0..1
//   kappa_replay_records_per_second    gauge    since the replay began
// kappa train and kappa reprocess, the fit (validation split):
//   kappa_training_accuracy, kappa_training_roc_auc, kappa_training_log_loss
//   kappa_training_model_version, kappa_training_fit_seconds,
//   kappa_training_rounds              gauges of the last fit
// kappa reprocess, the re-score:
//   kappa_reprocess_rescored_total             counter  events scored
//   kappa_reprocess_predictions_written_total  counter  predictions sent
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>

namespace kappa::monitoring {

struct ProduceMetrics {
  explicit ProduceMetrics(prometheus::Registry& registry);
  prometheus::Counter& produced;
  prometheus::Counter& acknowledged;
  prometheus::Counter& failed;
  prometheus::Counter& bad_rows;

  // Sets the counters to a run's running totals (they only grow).
  void Update(uint64_t sent, uint64_t acked, uint64_t failures, uint64_t skipped_rows);
};

struct ReplayMetrics {
  explicit ReplayMetrics(prometheus::Registry& registry);
  prometheus::Counter& records;
  prometheus::Gauge& target;
  prometheus::Gauge& progress;
  prometheus::Gauge& rate;

  void Update(uint64_t read, uint64_t total, double seconds);
};

struct TrainingMetrics {
  explicit TrainingMetrics(prometheus::Registry& registry);
  prometheus::Gauge& accuracy;
  prometheus::Gauge& roc_auc;
  prometheus::Gauge& log_loss;
  prometheus::Gauge& model_version;
  prometheus::Gauge& fit_seconds;
  prometheus::Gauge& rounds;
};

struct ReprocessMetrics {
  explicit ReprocessMetrics(prometheus::Registry& registry);
  prometheus::Counter& rescored;
  prometheus::Counter& written;
};

// Raises `counter` to `total` (a running total from a progress report).
void AdvanceTo(prometheus::Counter& counter, uint64_t total);

}  // namespace kappa::monitoring
