// `kappa reprocess`: replay history, refit with another feature set, re-score
// every event and compare with the current model (training/reprocess_job.h).
#include <fmt/format.h>

#include <algorithm>
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
#include "training/reprocess_job.h"

namespace kappa::cli {
namespace {

std::string DescribeProgress(const training::ReprocessProgress& p) {
  if (p.phase == training::ReprocessProgress::Phase::kReplay) {
    return DescribeTrainProgress(p.train);
  }
  const double pct =
      p.total > 0 ? 100.0 * static_cast<double>(p.rescored) / static_cast<double>(p.total) : 100.0;
  return fmt::format("re-score {} / {} events ({:.0f}%)",
                     FormatCount(static_cast<double>(p.rescored)),
                     FormatCount(static_cast<double>(p.total)), pct);
}

std::string Count(uint64_t n) { return FormatCount(static_cast<double>(n)); }

std::string ModelLabel(const training::ModelComparison& m) {
  return fmt::format("v{:04d} {}", m.version, m.feature_set);
}

void PrintComparison(const training::ReprocessReport& r) {
  const auto& n = r.new_model;
  const training::ModelComparison* o = r.old_model ? &*r.old_model : nullptr;
  std::printf("\ncomparison on the validation split (%s passengers):\n",
              Count(n.evaluation.rows).c_str());
  std::printf("  %-26s %20s %20s\n", "", o ? ModelLabel(*o).c_str() : "(no current model)",
              ModelLabel(n).c_str());
  const auto row = [&](const char* name, double old_value, double new_value, const char* format) {
    const std::string a = o ? fmt::format(fmt::runtime(format), old_value) : "-";
    std::printf("  %-26s %20s %20s\n", name, a.c_str(),
                fmt::format(fmt::runtime(format), new_value).c_str());
  };
  const auto& ne = n.evaluation;
  const training::Evaluation oe = o ? o->evaluation : training::Evaluation{};
  row("accuracy", oe.accuracy, ne.accuracy, "{:.4f}");
  row("ROC AUC", oe.roc_auc, ne.roc_auc, "{:.4f}");
  row("log loss", oe.log_loss, ne.log_loss, "{:.4f}");
  row("precision (1)", oe.precision, ne.precision, "{:.2f}");
  row("recall (1)", oe.recall, ne.recall, "{:.2f}");
  std::printf("  %-26s %20s %20s\n", "predicted survived (all)",
              o ? Count(o->predicted_survived).c_str() : "-", Count(n.predicted_survived).c_str());
  if (o) {
    std::printf(
        "\npredictions over %s events of history: %s unchanged, %s changed 0 -> 1, %s changed "
        "1 -> 0\n",
        Count(r.history).c_str(), Count(r.unchanged).c_str(), Count(r.became_survived).c_str(),
        Count(r.became_not_survived).c_str());
  }
  for (const auto* m : {o, &n}) {
    if (m == nullptr) continue;
    std::printf("\nfeature importance of %s (gain share):\n", ModelLabel(*m).c_str());
    for (const auto& [name, share] : m->feature_importance) {
      std::printf("  %-20s %5.1f%%\n", name.c_str(), 100 * share);
    }
  }
}

void PrintReport(const training::ReprocessReport& r) {
  if (r.resumed_phase)
    std::printf("resumed an interrupted run (phase %s)\n", r.resumed_phase->c_str());
  if (r.replay) {
    std::printf(
        "replay: %s events stored, %s bad (counted, not dead-lettered again), %s expired "
        "in %.2f s\n",
        Count(r.replay->stored).c_str(), Count(r.replay->dead_lettered).c_str(),
        Count(r.replay->expired).c_str(), r.replay->seconds);
  }
  if (r.fit_seconds) std::printf("fit: %.2f s\n", *r.fit_seconds);
  std::printf("model v%04d  feature set %s%s%s\n", r.new_model.version,
              r.new_model.feature_set.c_str(),
              r.reused_version ? "  (identical to the stored version, reused)" : "",
              r.promoted ? "  [current]" : "");
  if (r.output_was_complete) {
    std::printf(
        "output: %s already holds this model's %s predictions (same history, same "
        "model); nothing written again\n",
        r.output_topic.c_str(), Count(r.history).c_str());
  } else {
    std::printf("output: %s predictions written to %s%s; re-scoring %s events took %.2f s\n",
                Count(r.written).c_str(), r.output_topic.c_str(),
                r.resumed_after > 0 ? fmt::format(" (after {} written before the interruption)",
                                                  Count(r.resumed_after))
                                          .c_str()
                                    : "",
                Count(r.history).c_str(), r.rescore_seconds);
  }
  PrintComparison(r);
  if (r.promoted) {
    std::printf(
        "\npromoted: v%04d is current and published to the models topic; running `kappa "
        "infer` instances switch to it between batches\n",
        r.new_model.version);
  } else {
    std::printf("\nnothing live changed (promote with --promote, or `kappa models promote %d`)\n",
                r.new_model.version);
  }
  // One machine-readable line for scripts.
  std::printf(
      "summary: model_version=%d old_version=%d history=%llu written=%llu resumed_after=%llu "
      "already_complete=%d predicted_survived=%llu unchanged=%llu became_survived=%llu "
      "became_not_survived=%llu promoted=%d rescore_seconds=%.2f seconds=%.2f\n",
      r.new_model.version, r.old_model ? r.old_model->version : 0,
      static_cast<unsigned long long>(r.history), static_cast<unsigned long long>(r.written),
      static_cast<unsigned long long>(r.resumed_after), r.output_was_complete ? 1 : 0,
      static_cast<unsigned long long>(r.new_model.predicted_survived),
      static_cast<unsigned long long>(r.unchanged),
      static_cast<unsigned long long>(r.became_survived),
      static_cast<unsigned long long>(r.became_not_survived), r.promoted ? 1 : 0, r.rescore_seconds,
      r.seconds);
}

}  // namespace

int RunReprocess(const Args& args) {
  KafkaFlags kafka;
  training::ReprocessOptions options;
  FitFlags fit;
  MetricsFlags metrics_flags{.port = 8003};
  ModelKeyFlags key_flags;
  CommandLine cl(
      "kappa reprocess", "--feature-set NAME [options]",
      "Reprocesses history after a change of feature logic, without touching anything live.\n\n"
      "1. replay: the whole retained events topic, from its log start, into a state of its\n"
      "   own (--state-dir; the live state and `kappa infer` are not touched), then a fit\n"
      "   with the new feature set; the version is stored in --models-dir, not made current;\n"
      "2. re-score: every event of that history is scored by the new model and written to\n"
      "   --output-topic, one prediction per event, to the partition of its event;\n"
      "3. a comparison with the current model on the same validation split: metrics side by\n"
      "   side, how many historical predictions changed and which way, feature importance.\n"
      "With --promote the new version then becomes current and is published to the models\n"
      "topic: running `kappa infer` instances switch to it by hot reload, no restart.\n\n"
      "Interrupted (Ctrl-C, kill -9), the same command resumes: the replay from its\n"
      "checkpoints, the re-score after the last prediction written (none is written twice).\n"
      "A rerun after a finished run starts over from the log start; with the same history\n"
      "the fit is identical, the stored version is reused and nothing is written again.");
  cl.AddOption("feature-set", 'f', "NAME",
               "the new feature logic (required; known: " + inference::KnownFeatureSetNames() + ")",
               [&](std::string_view v) -> Status {
                 auto set = inference::RequireFeatureSet(v);
                 if (!set.ok()) return set.status();
                 options.feature_set = std::string(v);
                 return Status::Ok();
               });
  cl.AddSwitch("promote", "make the new version current and publish it (blue/green switch)",
               &options.promote);
  cl.AddDirectory("state-dir", "DIR",
                  "this reprocess's own state and run record (default ./state-reprocess-NAME)",
                  &options.state_dir);
  cl.AddDirectory("models-dir", "DIR", "model versions (default ./models)", &options.models_dir);
  cl.AddString("output-topic", 0, "TOPIC",
               "where predictions go (default titanic-predictions.NAME); it needs at least the\n"
               "events topic's partition count, and is created with it when missing (Kafka)",
               &options.output_topic);
  cl.AddOption("threshold", 0, "P", "P(survived) at or above which survived=1 (default 0.5)",
               [&](std::string_view v) -> Status {
                 auto p = ParseProbability(v);
                 if (p.ok()) options.threshold = *p;
                 return p.status();
               });
  AddModelKeyFlags(&cl, &key_flags);
  AddFitFlags(&cl, &fit);
  AddReplayTopicFlags(&cl, &options.topic, nullptr, &options.models_topic);
  AddJobMetricsFlags(&cl, &metrics_flags);
  AddKafkaFlags(&cl, &kafka);
  cl.AddEpilog(
      "The report goes to stdout; its last line, summary: key=value ..., is for scripts.\n"
      "Exit codes: 0 done; 1 runtime failure or interrupted (rerun to resume); 2 bad usage.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("reprocess", help.status());
  if (*help) return 0;
  if (options.feature_set.empty()) {
    return ReportFailure("reprocess",
                         Status::InvalidArgument("--feature-set is required (known: " +
                                                 inference::KnownFeatureSetNames() + ")"));
  }
  if (options.state_dir.empty()) options.state_dir = "./state-reprocess-" + options.feature_set;
  if (options.output_topic.empty()) {
    options.output_topic = std::string(training::kPredictionsTopicPrefix) + options.feature_set;
  }
  options.fit = fit.Fit();
  options.validation_percent = static_cast<uint32_t>(fit.validation_percent);
  options.min_labeled = static_cast<uint64_t>(fit.min_labeled);
  auto key = LoadModelKey(key_flags);
  if (!key.ok()) return ReportFailure("reprocess", key.status());
  options.model_key = std::move(key).value();

  auto server = StartMetrics(metrics_flags, "reprocess", /*required=*/false);
  if (!server.ok()) return ReportFailure("reprocess", server.status());
  monitoring::ReplayMetrics replay_metrics((*server)->registry());
  monitoring::TrainingMetrics training_metrics((*server)->registry());
  monitoring::ReprocessMetrics reprocess_metrics((*server)->registry());

  InstallShutdownHandlers();
  options.should_stop = ShutdownRequested;
  ProgressLine progress;
  auto report = training::RunReprocessJob(
      ResolveKafka(kafka), options, [&](const training::ReprocessProgress& p) {
        if (p.phase == training::ReprocessProgress::Phase::kReplay) {
          RecordReplayProgress(p.train, &replay_metrics);
        } else {
          monitoring::AdvanceTo(reprocess_metrics.rescored, p.rescored);
          monitoring::AdvanceTo(reprocess_metrics.written, p.written);
        }
        if (progress.Due()) progress.Update(DescribeProgress(p));
      });
  progress.Finish();
  if (!report.ok()) return ReportFailure("reprocess", report.status());
  monitoring::AdvanceTo(reprocess_metrics.rescored, report->history);
  monitoring::AdvanceTo(reprocess_metrics.written, report->written);
  RecordFit(report->new_model.version, report->new_model.evaluation,
            report->fit_seconds.value_or(0), report->new_model.rounds, &training_metrics);
  PrintReport(*report);
  std::fflush(stdout);
  LingerForScrapes(metrics_flags, **server);
  return 0;
}

}  // namespace kappa::cli
