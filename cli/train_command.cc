// `kappa train`: replay the events topic into state and fit a new model.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "cli/metrics_flags.h"
#include "cli/model_key_flags.h"
#include "cli/train_shared.h"
#include "common/progress.h"
#include "common/shutdown.h"
#include "inference/feature_set.h"
#include "training/train_job.h"

namespace kappa::cli {
namespace {

void PrintReport(const training::TrainReport& r) {
  const auto& m = r.manifest;
  const auto& prov = m.provenance;
  std::printf("model v%04d  feature set %s  %d rounds (of %d trained)%s\n", m.version,
              m.feature_set.c_str(), r.fit_summary.best_rounds, r.fit_summary.rounds_trained,
              r.promoted ? "  [current]" : "");
  std::printf("replay: %s events stored, %s dead-lettered, %s expired in %.2f s (%s events/s)\n",
              FormatCount(static_cast<double>(r.replay.stored)).c_str(),
              FormatCount(static_cast<double>(r.replay.dead_lettered)).c_str(),
              FormatCount(static_cast<double>(r.replay.expired)).c_str(), r.replay.seconds,
              FormatCount(r.replay.records_per_second()).c_str());
  std::printf("state: %s events, %s labeled (%s train / %s validation), %s unlabeled skipped\n",
              FormatCount(static_cast<double>(prov.events_in_state)).c_str(),
              FormatCount(static_cast<double>(prov.labeled_events)).c_str(),
              FormatCount(static_cast<double>(prov.train_rows)).c_str(),
              FormatCount(static_cast<double>(prov.validation_rows)).c_str(),
              FormatCount(static_cast<double>(prov.unlabeled_events)).c_str());
  for (const auto& p : prov.partitions) {
    std::printf("  %s [%d] offsets %lld..%lld, %s events\n", prov.topic.c_str(), p.partition,
                static_cast<long long>(p.first_offset), static_cast<long long>(p.end_offset),
                FormatCount(static_cast<double>(p.events)).c_str());
  }
  std::printf("fit: %.2f s\n\n%s", r.fit_summary.seconds,
              training::FormatEvaluation(r.evaluation, r.feature_gain).c_str());
  std::printf("\nsha256 %s%s\n", m.booster_sha256.c_str(),
              r.published ? "  (published to the models topic)" : "");
}

}  // namespace

int RunTrain(const Args& args) {
  KafkaFlags kafka;
  training::TrainJobOptions options;
  FitFlags fit;
  MetricsFlags metrics_flags{.port = 8002};
  ModelKeyFlags key_flags;
  bool no_promote = false;
  bool no_publish = false;
  CommandLine cl(
      "kappa train", "[options]",
      "Replays the events topic into RocksDB state and fits a new model version.\n\n"
      "The replay is bounded: it snapshots each partition's end offset at start and reads\n"
      "up to it, from the state's checkpoints (incremental, the default) or from the log\n"
      "start (--from-scratch). Events and checkpoints are written together, so a killed\n"
      "replay resumes with no gap and no duplicate. Bad events go to the DLQ.\n"
      "The labeled events are split into train/validation by a hash of PassengerId; the\n"
      "feature set's parameters are fitted on the train split, then an XGBoost booster\n"
      "with early stopping on the validation split. The new version is written to\n"
      "--models-dir, made current (unless --no-promote) and published to the models topic\n"
      "(unless --no-publish). The report goes to stdout.");
  cl.AddDirectory("state-dir", "DIR", "RocksDB state (default ./state)", &options.state_dir);
  cl.AddDirectory("models-dir", "DIR", "model versions (default ./models)", &options.models_dir);
  AddModelKeyFlags(&cl, &key_flags);
  cl.AddSwitch("from-scratch", "clear the state and replay from the log start",
               &options.from_scratch);
  cl.AddOption(
      "feature-set", 'f', "NAME",
      "feature logic (default titanic-v1; known: " + inference::KnownFeatureSetNames() + ")",
      [&](std::string_view v) -> Status {
        auto set = inference::RequireFeatureSet(v);
        if (!set.ok()) return set.status();
        options.feature_set = std::string(v);
        return Status::Ok();
      });
  AddFitFlags(&cl, &fit);
  cl.AddSwitch("no-promote", "store the version but keep the current one", &no_promote);
  cl.AddSwitch("no-publish", "do not send the version to the models topic", &no_publish);
  AddReplayTopicFlags(&cl, &options.topic, &options.dlq_topic, &options.models_topic);
  AddJobMetricsFlags(&cl, &metrics_flags);
  AddKafkaFlags(&cl, &kafka);
  cl.AddEpilog(
      "Exit codes: 0 a new version was stored; 1 runtime failure (Kafka, state, no labeled\n"
      "events, interrupted: the next run resumes); 2 bad usage or configuration.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("train", help.status());
  if (*help) return 0;
  options.fit = fit.Fit();
  options.validation_percent = static_cast<uint32_t>(fit.validation_percent);
  options.min_labeled = static_cast<uint64_t>(fit.min_labeled);
  options.promote = !no_promote;
  options.publish = !no_publish;
  auto key = LoadModelKey(key_flags);
  if (!key.ok()) return ReportFailure("train", key.status());
  options.model_key = std::move(key).value();

  auto server = StartMetrics(metrics_flags, "train", /*required=*/false);
  if (!server.ok()) return ReportFailure("train", server.status());
  monitoring::ReplayMetrics replay_metrics((*server)->registry());
  monitoring::TrainingMetrics training_metrics((*server)->registry());

  InstallShutdownHandlers();
  options.should_stop = ShutdownRequested;
  ProgressLine progress;
  auto report =
      training::RunTrainJob(ResolveKafka(kafka), options, [&](const training::TrainProgress& p) {
        RecordReplayProgress(p, &replay_metrics);
        if (progress.Due()) progress.Update(DescribeTrainProgress(p));
      });
  progress.Finish();
  if (!report.ok()) return ReportFailure("train", report.status());
  const uint64_t read = report->replay.stored + report->replay.dead_lettered;
  replay_metrics.Update(read, read, report->replay.seconds);
  RecordFit(report->manifest.version, report->evaluation, report->fit_summary.seconds,
            report->fit_summary.best_rounds, &training_metrics);
  PrintReport(*report);
  std::fflush(stdout);
  LingerForScrapes(metrics_flags, **server);
  return 0;
}

}  // namespace kappa::cli
