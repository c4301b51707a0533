// ScoringMetrics: the live-inference metrics. The first four keep the seed
// demo's names and meanings, so its PromQL queries and dashboards work:
//   transactions_processed_total  counter  events scored
//   survived_detected_total       counter  events predicted survived=1
//   processing_latency_seconds    histogram  per batch: decode, features, predict
//   survival_rate                 gauge    percent of scored events predicted 1
// New metrics use the kappa_ prefix:
//   kappa_dead_lettered_total     counter  events sent to the DLQ
//   kappa_model_version           gauge    version of the model scoring now
//   kappa_model_accuracy, kappa_model_roc_auc, kappa_model_log_loss
//                                 gauges   its validation metrics (manifest)
//   kappa_batch_size              histogram  events per scored batch
//   kappa_model_reloads_total     counter  model versions swapped in live
//   kappa_model_reload_failures_total  counter  versions refused (verification failed)
//   kappa_transactions_aborted_total   counter  --exactly-once transactions aborted
//   kappa_consumer_lag{topic,partition} gauge  records behind the group's committed
//                                      offset, per partition this instance reads
//                                      (from librdkafka statistics)
// Families are created once on the given registry; prometheus-cpp metrics
// are thread-safe to update.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <utility>

namespace kappa::monitoring {

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t lag = -1;  // < 0: unknown (nothing committed yet)
};

struct ScoringMetrics {
  explicit ScoringMetrics(prometheus::Registry& registry);

  prometheus::Counter& processed;
  prometheus::Counter& survived;
  prometheus::Histogram& latency;
  prometheus::Gauge& survival_rate;
  prometheus::Counter& dead_lettered;
  prometheus::Gauge& model_version;
  prometheus::Gauge& model_accuracy;
  prometheus::Gauge& model_roc_auc;
  prometheus::Gauge& model_log_loss;
  prometheus::Histogram& batch_size;
  prometheus::Counter& reloads;
  prometheus::Counter& reload_failures;
  prometheus::Counter& transactions_aborted;

  // The model scoring now: its version and validation metrics.
  void SetModel(int version, double accuracy, double roc_auc, double log_loss);

  // Counts a scored batch and updates survival_rate.
  void RecordBatch(double seconds, uint64_t events, uint64_t predicted_survived);

  // Replaces the lag series with `lags`: partitions no longer read lose
  // their series; an unknown lag has none. Thread-safe against scrapes;
  // one caller at a time.
  void SetConsumerLag(std::span<const PartitionLag> lags);

 private:
  prometheus::Family<prometheus::Gauge>& consumer_lag_;
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> lag_series_;
};

}  // namespace kappa::monitoring
