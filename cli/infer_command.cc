// `kappa infer`: live scoring and survived=1 alerts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "cli/metrics_flags.h"
#include "cli/model_key_flags.h"
#include "cli/wait_for_model.h"
#include "common/shutdown.h"
#include "inference/live_scorer.h"
#include "inference/model_registry.h"
#include "inference/model_watcher.h"
#include "monitoring/metrics_server.h"
#include "monitoring/scoring_metrics.h"

namespace kappa::cli {
namespace {

std::string HostName() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0 || name[0] == '\0') return "localhost";
  return name.data();
}

// --commit-interval with --exactly-once, unless given. Each transaction
// has a fixed cost (waiting for its acknowledgements, progress records,
// offsets, commit: ~5-8 ms on the embedded broker), paid at most this often
// under a backlog; at low load a transaction commits as soon as less than a
// full batch is waiting, so this costs no latency there. Exactly-once
// events/s over 1M, infer's own first-batch-to-end rate, 5 interleaved runs
// each (at-least-once 1.09M): 100 ms 828k, 300 ms 875k, 500 ms 953k,
// 1000 ms 969k. `./scripts/bench infer`: 814k-884k at 500 ms (3 runs),
// 674k and 850k at 100 ms.
constexpr std::chrono::milliseconds kExactlyOnceCommitInterval{500};
// librdkafka's transaction.timeout.ms unless -X sets it.
constexpr std::chrono::milliseconds kDefaultTransactionTimeout{60000};

}  // namespace

int RunInfer(const Args& args) {
  KafkaFlags kafka;
  inference::LiveScorerOptions options;
  std::string models_dir = "./models";
  std::string models_topic{stream::kModelsTopic};
  MetricsFlags metrics_flags{.port = 8000};
  ModelKeyFlags key_flags;
  auto batch = static_cast<int64_t>(options.max_batch);
  int64_t commit_interval = -1;  // not given: the mode's default, below
  // Two lanes use both cores of a small machine; more rarely pay, since
  // librdkafka's own threads and the alerts need CPU too.
  int64_t scoring_threads = std::min<int64_t>(2, std::max(1u, std::thread::hardware_concurrency()));
  CommandLine cl(
      "kappa infer", "[options]",
      "Scores passenger events live as a member of a consumer group on the events topic\n"
      "(several instances share the partitions) and writes an alert for every passenger\n"
      "predicted survived=1 to the alerts topic; bad events go to the DLQ.\n"
      "At-least-once by default: a batch's offsets are committed only after the broker\n"
      "acknowledged all its alerts and DLQ records, so a crash re-scores instead of losing\n"
      "events. --exactly-once makes batches Kafka transactions: alerts, DLQ records,\n"
      "consumer offsets and a progress record per partition (--progress-topic) commit\n"
      "together, so read_committed readers see each event's alert once; an aborted\n"
      "transaction is scored again.\n"
      "Starts with the current model of --models-dir (else the current one announced on\n"
      "the models topic), waiting and saying so while there is none. New versions made\n"
      "current (train, models promote/rollback) arrive on the models topic and are\n"
      "verified and swapped in between two batches (transactions), without stopping; a version "
      "that\n"
      "fails verification is refused and the old one keeps serving. With a model key\n"
      "(--model-key-file), only versions signed with it are accepted, from the models\n"
      "directory and from the models topic.\n"
      "Serves Prometheus metrics on --metrics-port. Ctrl-C finishes the batch in flight,\n"
      "commits and exits; a second Ctrl-C exits at once.");
  cl.AddDirectory("models-dir", "DIR", "model versions (default ./models)", &models_dir);
  AddModelKeyFlags(&cl, &key_flags);
  cl.AddSwitch("until-end",
               "stop once the end offsets seen at start are scored (tests,\nbenchmarks)",
               &options.until_end);
  cl.AddSwitch("exactly-once", "batches in Kafka transactions (see above)", &options.exactly_once);
  cl.AddString("transactional-id", 0, "ID",
               "with --exactly-once: this instance's transactional.id; unique per\n"
               "instance, the same across its restarts (default\n"
               "kappa-infer-<group>-<hostname>)",
               &options.transactional_id);
  cl.AddString("progress-topic", 0, "TOPIC",
               "with --exactly-once: progress records (default\ntitanic-infer-progress)",
               &options.progress_topic);
  cl.AddInt("batch-size", 0, "N", "most events scored together (default 1000)", &batch, 1, 1000000);
  cl.AddInt("commit-interval", 0, "MS",
            "how often offsets are committed (default 100); with --exactly-once,\n"
            "how long a transaction takes batches at most (default 500; 0: one\n"
            "batch each; below half of transaction.timeout.ms): it commits\n"
            "sooner when less than a full batch is waiting",
            &commit_interval, 0, 3600000);
  cl.AddInt("scoring-threads", 0, "N",
            "threads that decode and score a batch of more than 128 events\n"
            "together (default 2, or 1 on a 1-core machine)",
            &scoring_threads, 1, 64);
  cl.AddOption("threshold", 0, "P", "P(survived) at or above which to alert (default 0.5)",
               [&](std::string_view v) -> Status {
                 auto p = ParseProbability(v);
                 if (p.ok()) options.threshold = *p;
                 return p.status();
               });
  AddMetricsFlags(&cl, &metrics_flags);
  cl.AddString("topic", 't', "TOPIC", "events topic (default titanic-events)",
               &options.events_topic);
  cl.AddString("alerts-topic", 0, "TOPIC", "alerts topic (default titanic-alerts)",
               &options.alerts_topic);
  cl.AddString("dlq-topic", 0, "TOPIC", "dead-letter topic (default titanic-events-dlq)",
               &options.dlq_topic);
  cl.AddString("models-topic", 0, "TOPIC", "model announcements (default titanic-models)",
               &models_topic);
  AddKafkaFlags(&cl, &kafka);
  cl.AddEpilog(
      "The consumer group is kappa-infer; -X group.id=NAME overrides it.\n"
      "Output (stdout, at the end): scored=N alerts=N dead_lettered=N batches=N reloads=N\n"
      "                             aborted=N seconds=S\n"
      "Exit codes: 0 stopped cleanly; 1 runtime failure; 2 bad usage or configuration.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("infer", help.status());
  if (*help) return 0;
  options.max_batch = static_cast<size_t>(batch);
  if (options.exactly_once) {
    // The coordinator aborts a transaction open longer than
    // transaction.timeout.ms; leave half of it for the commit itself.
    int64_t timeout_ms = kDefaultTransactionTimeout.count();
    for (const auto& [key, value] : kafka.properties) {
      // Not a number: librdkafka refuses it when the producer is created.
      if (key == "transaction.timeout.ms") timeout_ms = std::atoll(value.c_str());
    }
    if (timeout_ms > 0 && commit_interval >= timeout_ms / 2) {
      return ReportFailure(
          "infer", Status::InvalidArgument(fmt::format(
                       "with --exactly-once, --commit-interval must be below {} ms, half of "
                       "transaction.timeout.ms ({} ms)",
                       timeout_ms / 2, timeout_ms)));
    }
  }
  if (commit_interval >= 0) {
    options.commit_interval = std::chrono::milliseconds(commit_interval);
  } else if (options.exactly_once) {
    options.commit_interval = kExactlyOnceCommitInterval;
  }
  options.scoring_threads = static_cast<size_t>(scoring_threads);
  options.group_id = kafka.group_id().value_or(options.group_id);
  if (!options.exactly_once && (!options.transactional_id.empty() ||
                                options.progress_topic != stream::kInferProgressTopic)) {
    return ReportFailure(
        "infer",
        Status::InvalidArgument("--transactional-id and --progress-topic need --exactly-once"));
  }
  if (options.exactly_once && options.transactional_id.empty()) {
    options.transactional_id = "kappa-infer-" + options.group_id + "-" + HostName();
  }

  auto key = LoadModelKey(key_flags);
  if (!key.ok()) return ReportFailure("infer", key.status());

  InstallShutdownHandlers();
  auto server = StartMetrics(metrics_flags, "infer", /*required=*/true);
  if (!server.ok()) return ReportFailure("infer", server.status());
  monitoring::ScoringMetrics metrics((*server)->registry());
  auto registry = inference::ModelRegistry::Open(models_dir, *key);
  if (!registry.ok()) return ReportFailure("infer", registry.status());
  auto watcher = inference::ModelWatcher::Start(ResolveKafka(kafka), models_topic, *key);
  if (!watcher.ok()) return ReportFailure("infer", watcher.status());
  auto model =
      WaitForModel(**registry, watcher->get(), ShutdownRequested, &metrics, "`kappa train`");
  if (!model.ok() && model.status().code() == StatusCode::kCancelled) {
    spdlog::info("{}", model.status().message());  // a clean stop, not a failure
    return 0;
  }
  if (!model.ok()) return ReportFailure("infer", model.status());
  spdlog::info("scoring with model v{} ({})", (*model)->version(),
               (*model)->manifest().feature_set);

  inference::LiveScorer scorer(ResolveKafka(kafka), options, &metrics);
  auto summary = scorer.Run(std::move(model).value(), watcher->get(), ShutdownRequested);
  if (!summary.ok()) return ReportFailure("infer", summary.status());
  std::printf("%s\n", summary->ToString().c_str());
  return 0;
}

}  // namespace kappa::cli
