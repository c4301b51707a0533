// `kappa train`: replay the events topic into state and fit a new model.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "common/progress.h"
#include "common/shutdown.h"
#include "inference/feature_set.h"
#include "training/train_job.h"

namespace kappa::cli {
namespace {

std::string DescribeProgress(const training::TrainProgress& p) {
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
  int64_t rounds = options.fit.max_rounds;
  int64_t early = options.fit.early_stopping_rounds;
  int64_t validation = options.validation_percent;
  int64_t min_labeled = static_cast<int64_t>(options.min_labeled);
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
  cl.AddString("state-dir", 0, "DIR", "RocksDB state (default ./state)", &options.state_dir);
  cl.AddString("models-dir", 0, "DIR", "model versions (default ./models)", &options.models_dir);
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
  cl.AddOption(
      "param", 'p', "KEY=VALUE", "an XGBoost parameter (repeatable), e.g. max_depth=6, eta=0.05",
      [&](std::string_view v) -> Status {
        const auto eq = v.find('=');
        if (eq == std::string_view::npos || eq == 0) {
          return Status::InvalidArgument("expected key=value, got '" + std::string(v) + "'");
        }
        options.fit.params[std::string(v.substr(0, eq))] = std::string(v.substr(eq + 1));
        return Status::Ok();
      });
  cl.AddInt("rounds", 0, "N", "most boosting rounds (default 300)", &rounds, 1, 100000);
  cl.AddInt("early-stopping", 0, "N",
            "stop after N rounds without validation improvement (default 20)", &early, 1, 100000);
  cl.AddInt("validation-percent", 0, "P", "share of passengers held out (default 20)", &validation,
            1, 90);
  cl.AddInt("min-labeled", 0, "N", "fewest labeled events to train on (default 20)", &min_labeled,
            2, INT64_MAX);
  cl.AddSwitch("no-promote", "store the version but keep the current one", &no_promote);
  cl.AddSwitch("no-publish", "do not send the version to the models topic", &no_publish);
  cl.AddString("topic", 't', "TOPIC", "events topic (default titanic-events)", &options.topic);
  cl.AddString("dlq-topic", 0, "TOPIC", "dead-letter topic (default titanic-events-dlq)",
               &options.dlq_topic);
  cl.AddString("models-topic", 0, "TOPIC", "models topic (default titanic-models)",
               &options.models_topic);
  AddKafkaFlags(&cl, &kafka);
  cl.AddEpilog(
      "Exit codes: 0 a new version was stored; 1 runtime failure (Kafka, state, no labeled\n"
      "events, interrupted: the next run resumes); 2 bad usage or configuration.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("train", help.status());
  if (*help) return 0;
  options.fit.max_rounds = static_cast<int>(rounds);
  options.fit.early_stopping_rounds = static_cast<int>(early);
  options.validation_percent = static_cast<uint32_t>(validation);
  options.min_labeled = static_cast<uint64_t>(min_labeled);
  options.promote = !no_promote;
  options.publish = !no_publish;

  InstallShutdownHandlers();
  options.should_stop = ShutdownRequested;
  ProgressLine progress;
  auto report =
      training::RunTrainJob(ResolveKafka(kafka), options, [&](const training::TrainProgress& p) {
        if (progress.Due()) progress.Update(DescribeProgress(p));
      });
  progress.Finish();
  if (!report.ok()) return ReportFailure("train", report.status());
  PrintReport(*report);
  return 0;
}

}  // namespace kappa::cli
