// What `kappa train` and `kappa reprocess` share: the flags that shape a
// fit (--param, --rounds, --early-stopping, --validation-percent,
// --min-labeled), the topic flags and the progress line of replay and fit.
#pragma once

#include <cstdint>
#include <string>

#include "cli/command_line.h"
#include "monitoring/job_metrics.h"
#include "training/train_job.h"

namespace kappa::cli {

struct FitFlags {
  training::FitOptions fit;  // --param lands in fit.params
  int64_t rounds = training::FitOptions{}.max_rounds;
  int64_t early_stopping = training::FitOptions{}.early_stopping_rounds;
  int64_t validation_percent = 20;
  int64_t min_labeled = 20;

  // fit with the parsed round counts.
  training::FitOptions Fit() const;
};

// Registers the flags on `cl`; parsed values land in *flags (which keeps
// its defaults for flags not given).
void AddFitFlags(CommandLine* cl, FitFlags* flags);

// --topic, --dlq-topic, --models-topic: where the replay reads, where its
// bad events go (no --dlq-topic when dlq_topic is null), where a version is
// published.
void AddReplayTopicFlags(CommandLine* cl, std::string* topic, std::string* dlq_topic,
                         std::string* models_topic);

// The replay's metrics from a progress report.
void RecordReplayProgress(const training::TrainProgress& progress,
                          monitoring::ReplayMetrics* metrics);
// The last fit's metrics.
void RecordFit(int version, const training::Evaluation& evaluation, double fit_seconds, int rounds,
               monitoring::TrainingMetrics* metrics);

// "replay 1,200 / 3,000 events (40%) ..." or "fit round 12 / 300 ...".
std::string DescribeTrainProgress(const training::TrainProgress& progress);

}  // namespace kappa::cli
