#include "monitoring/scoring_metrics.h"

namespace kappa::monitoring {
namespace {

prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0};
}

prometheus::Histogram::BucketBoundaries BatchBuckets() {
  return {1, 10, 50, 100, 500, 1000, 5000, 10000};
}

}  // namespace

ScoringMetrics::ScoringMetrics(prometheus::Registry& r)
    : processed(prometheus::BuildCounter()
                    .Name("transactions_processed_total")
                    .Help("Passenger events scored")
                    .Register(r)
                    .Add({})),
      survived(prometheus::BuildCounter()
                   .Name("survived_detected_total")
                   .Help("Passenger events predicted survived=1 (alerts written)")
                   .Register(r)
                   .Add({})),
      latency(prometheus::BuildHistogram()
                  .Name("processing_latency_seconds")
                  .Help("Time to decode, featurize and score one batch")
                  .Register(r)
                  .Add({}, LatencyBuckets())),
      survival_rate(prometheus::BuildGauge()
                        .Name("survival_rate")
                        .Help("Percent of scored events predicted survived=1")
                        .Register(r)
                        .Add({})),
      dead_lettered(prometheus::BuildCounter()
                        .Name("kappa_dead_lettered_total")
                        .Help("Bad events sent to the dead-letter topic")
                        .Register(r)
                        .Add({})),
      model_version(prometheus::BuildGauge()
                        .Name("kappa_model_version")
                        .Help("Version of the model scoring now (0: none)")
                        .Register(r)
                        .Add({})),
      model_accuracy(prometheus::BuildGauge()
                         .Name("kappa_model_accuracy")
                         .Help("Validation accuracy of the model scoring now")
                         .Register(r)
                         .Add({})),
      model_roc_auc(prometheus::BuildGauge()
                        .Name("kappa_model_roc_auc")
                        .Help("Validation ROC AUC of the model scoring now")
                        .Register(r)
                        .Add({})),
      model_log_loss(prometheus::BuildGauge()
                         .Name("kappa_model_log_loss")
                         .Help("Validation log loss of the model scoring now")
                         .Register(r)
                         .Add({})),
      batch_size(prometheus::BuildHistogram()
                     .Name("kappa_batch_size")
                     .Help("Events per scored batch")
                     .Register(r)
                     .Add({}, BatchBuckets())),
      reloads(prometheus::BuildCounter()
                  .Name("kappa_model_reloads_total")
                  .Help("Model versions swapped in without stopping")
                  .Register(r)
                  .Add({})),
      reload_failures(prometheus::BuildCounter()
                          .Name("kappa_model_reload_failures_total")
                          .Help("Announced model versions refused by verification")
                          .Register(r)
                          .Add({})),
      transactions_aborted(prometheus::BuildCounter()
                               .Name("kappa_transactions_aborted_total")
                               .Help("Exactly-once transactions aborted (their events are "
                                     "scored again, here or by the partitions' next owner)")
                               .Register(r)
                               .Add({})),
      consumer_lag_(prometheus::BuildGauge()
                        .Name("kappa_consumer_lag")
                        .Help("Records between the group's committed offset and the end of the "
                              "partition, per partition this instance reads")
                        .Register(r)) {}

void ScoringMetrics::SetModel(int version, double accuracy, double roc_auc, double log_loss) {
  model_version.Set(version);
  model_accuracy.Set(accuracy);
  model_roc_auc.Set(roc_auc);
  model_log_loss.Set(log_loss);
}

void ScoringMetrics::RecordBatch(double seconds, uint64_t events, uint64_t predicted_survived) {
  latency.Observe(seconds);
  batch_size.Observe(static_cast<double>(events));
  processed.Increment(static_cast<double>(events));
  survived.Increment(static_cast<double>(predicted_survived));
  const double total = processed.Value();
  survival_rate.Set(total > 0 ? 100.0 * survived.Value() / total : 0.0);
}

void ScoringMetrics::SetConsumerLag(std::span<const PartitionLag> lags) {
  std::map<std::pair<std::string, int32_t>, prometheus::Gauge*> fresh;
  for (const auto& l : lags) {
    if (l.lag < 0) continue;
    auto key = std::make_pair(l.topic, l.partition);
    auto it = lag_series_.find(key);
    prometheus::Gauge* gauge =
        it != lag_series_.end()
            ? it->second
            : &consumer_lag_.Add({{"topic", l.topic}, {"partition", std::to_string(l.partition)}});
    if (it != lag_series_.end()) lag_series_.erase(it);
    gauge->Set(static_cast<double>(l.lag));
    fresh.emplace(std::move(key), gauge);
  }
  for (const auto& [key, gauge] : lag_series_) consumer_lag_.Remove(gauge);  // no longer read
  lag_series_ = std::move(fresh);
}

}  // namespace kappa::monitoring
