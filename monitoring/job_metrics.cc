#include "monitoring/job_metrics.h"

namespace kappa::monitoring {
namespace {

prometheus::Counter& NewCounter(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r).Add({});
}

prometheus::Gauge& NewGauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

void AdvanceTo(prometheus::Counter& counter, uint64_t total) {
  const double delta = static_cast<double>(total) - counter.Value();
  if (delta > 0) counter.Increment(delta);
}

ProduceMetrics::ProduceMetrics(prometheus::Registry& r)
    : produced(NewCounter(r, "kappa_events_produced_total", "Passenger events sent")),
      acknowledged(NewCounter(r, "kappa_events_acknowledged_total",
                              "Passenger events the broker acknowledged")),
      failed(NewCounter(r, "kappa_events_failed_total", "Passenger events whose delivery failed")),
      bad_rows(NewCounter(r, "kappa_produce_bad_rows_total", "CSV rows skipped as malformed")) {}

void ProduceMetrics::Update(uint64_t sent, uint64_t acked, uint64_t failures,
                            uint64_t skipped_rows) {
  AdvanceTo(produced, sent);
  AdvanceTo(acknowledged, acked);
  AdvanceTo(failed, failures);
  AdvanceTo(bad_rows, skipped_rows);
}

ReplayMetrics::ReplayMetrics(prometheus::Registry& r)
    : records(NewCounter(r, "kappa_replay_records_total", "Records read by this replay")),
      target(NewGauge(r, "kappa_replay_target_records", "Records this replay reads in all")),
      progress(NewGauge(r, "kappa_replay_progress_ratio", "Share of the replay done, 0..1")),
      rate(NewGauge(r, "kappa_replay_records_per_second",
                    "Records read per second since the replay began")) {}

void ReplayMetrics::Update(uint64_t read, uint64_t total, double seconds) {
  AdvanceTo(records, read);
  target.Set(static_cast<double>(total));
  progress.Set(total > 0 ? static_cast<double>(read) / static_cast<double>(total) : 1.0);
  rate.Set(seconds > 0 ? static_cast<double>(read) / seconds : 0.0);
}

TrainingMetrics::TrainingMetrics(prometheus::Registry& r)
    : accuracy(NewGauge(r, "kappa_training_accuracy", "Validation accuracy of the last fit")),
      roc_auc(NewGauge(r, "kappa_training_roc_auc", "Validation ROC AUC of the last fit")),
      log_loss(NewGauge(r, "kappa_training_log_loss", "Validation log loss of the last fit")),
      model_version(
          NewGauge(r, "kappa_training_model_version", "Model version the last fit stored")),
      fit_seconds(NewGauge(r, "kappa_training_fit_seconds", "Duration of the last fit")),
      rounds(NewGauge(r, "kappa_training_rounds", "Boosting rounds kept by the last fit")) {}

ReprocessMetrics::ReprocessMetrics(prometheus::Registry& r)
    : rescored(NewCounter(r, "kappa_reprocess_rescored_total", "History events re-scored")),
      written(NewCounter(r, "kappa_reprocess_predictions_written_total",
                         "Predictions sent to the reprocess output topic")) {}

}  // namespace kappa::monitoring
