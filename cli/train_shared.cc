#include "cli/train_shared.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "common/progress.h"

namespace kappa::cli {

training::FitOptions FitFlags::Fit() const {
  training::FitOptions options = fit;
  options.max_rounds = static_cast<int>(rounds);
  options.early_stopping_rounds = static_cast<int>(early_stopping);
  return options;
}

void AddFitFlags(CommandLine* cl, FitFlags* flags) {
  cl->AddOption(
      "param", 'p', "KEY=VALUE", "an XGBoost parameter (repeatable), e.g. max_depth=6, eta=0.05",
      [flags](std::string_view v) -> Status {
        const auto eq = v.find('=');
        if (eq == std::string_view::npos || eq == 0) {
          return Status::InvalidArgument("expected key=value, got '" + std::string(v) + "'");
        }
        flags->fit.params[std::string(v.substr(0, eq))] = std::string(v.substr(eq + 1));
        return Status::Ok();
      });
  cl->AddInt("rounds", 0, "N", "most boosting rounds (default 300)", &flags->rounds, 1, 100000);
  cl->AddInt("early-stopping", 0, "N",
             "stop after N rounds without validation improvement (default 20)",
             &flags->early_stopping, 1, 100000);
  cl->AddInt("validation-percent", 0, "P", "share of passengers held out (default 20)",
             &flags->validation_percent, 1, 90);
  cl->AddInt("min-labeled", 0, "N", "fewest labeled events to train on (default 20)",
             &flags->min_labeled, 2, INT64_MAX);
}

void AddReplayTopicFlags(CommandLine* cl, std::string* topic, std::string* dlq_topic,
                         std::string* models_topic) {
  cl->AddString("topic", 't', "TOPIC", "events topic (default titanic-events)", topic);
  if (dlq_topic != nullptr) {
    cl->AddString("dlq-topic", 0, "TOPIC", "dead-letter topic (default titanic-events-dlq)",
                  dlq_topic);
  }
  cl->AddString("models-topic", 0, "TOPIC", "models topic (default titanic-models)", models_topic);
}

void RecordReplayProgress(const training::TrainProgress& progress,
                          monitoring::ReplayMetrics* metrics) {
  if (progress.phase != training::TrainProgress::Phase::kReplay) return;
  metrics->Update(progress.replay.records, progress.replay.total, progress.replay.seconds);
}

void RecordFit(int version, const training::Evaluation& evaluation, double fit_seconds, int rounds,
               monitoring::TrainingMetrics* metrics) {
  metrics->model_version.Set(version);
  metrics->accuracy.Set(evaluation.accuracy);
  metrics->roc_auc.Set(evaluation.roc_auc);
  metrics->log_loss.Set(evaluation.log_loss);
  metrics->fit_seconds.Set(fit_seconds);
  metrics->rounds.Set(rounds);
}

std::string DescribeTrainProgress(const training::TrainProgress& p) {
  using Phase = training::TrainProgress::Phase;
  switch (p.phase) {
    case Phase::kReplay: {
      const auto& r = p.replay;
      const double pct = r.total > 0
                             ? 100.0 * static_cast<double>(r.records) / static_cast<double>(r.total)
                             : 100.0;
      return fmt::format("replay {} / {} events ({:.0f}%)  partitions done {}/{}  {} events/s",
                         FormatCount(static_cast<double>(r.records)),
                         FormatCount(static_cast<double>(r.total)), pct, r.partitions_done,
                         r.partitions,
                         FormatCount(static_cast<double>(r.records) / std::max(r.seconds, 1e-3)));
    }
    case Phase::kLoad:
      return "loading labeled events from state";
    case Phase::kFit:
      return fmt::format("fit round {} / {}  validation logloss {:.4f}", p.fit.round,
                         p.fit.max_rounds, p.fit.valid_logloss);
  }
  return "";
}

}  // namespace kappa::cli
