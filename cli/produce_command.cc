// `kappa produce`: passenger events into the events topic.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "cli/metrics_flags.h"
#include "common/progress.h"
#include "common/shutdown.h"
#include "monitoring/job_metrics.h"
#include "stream/passenger_publisher.h"
#include "stream/producer.h"

namespace kappa::cli {

Status ParseRate(std::string_view text, double* rate) {
  if (text == "max") {
    *rate = 0;
    return Status::Ok();
  }
  auto r = ParseDouble(text);
  if (!r.ok() || *r <= 0) {
    return Status::InvalidArgument("expected events per second > 0 or 'max', got '" +
                                   std::string(text) + "'");
  }
  *rate = *r;
  return Status::Ok();
}

int RunProduce(const Args& args) {
  KafkaFlags kafka;
  stream::PublishOptions publish;
  int64_t count = 0;
  int64_t seed = 42;
  int64_t first_id = 1;
  int64_t flush_timeout_s = 30;
  std::string csv;
  bool loop = false;
  std::string bad_rows = "skip";
  MetricsFlags metrics_flags{.port = 8001};
  CommandLine cl(
      "kappa produce", "[options]",
      "Sends passenger events (design.md JSON) to the events topic, keyed by PassengerId.\n"
      "By default they come from a seeded generator of realistic, labeled Titanic\n"
      "passengers (the marginals of Kaggle's train.csv); with --csv, from a Kaggle\n"
      "train.csv/test.csv file. Every event is stamped with its send time (ts).\n"
      "Ends with a summary on stdout once every event is acknowledged or failed.");
  cl.AddInt("count", 'n', "N",
            "stop after N events (default: until Ctrl-C; with --csv\nand no --loop: end of file)",
            &count, 0, INT64_MAX);
  cl.AddOption("rate", 'r', "R|max", "events per second (default 20, as the seed); 'max' for load",
               [&](std::string_view v) { return ParseRate(v, &publish.rate); });
  cl.AddString("csv", 0, "FILE", "read passengers from a Kaggle CSV (train.csv or test.csv)", &csv);
  cl.AddSwitch("loop", "with --csv: start over at the end of the file", &loop);
  cl.AddOption(
      "bad-rows", 0, "skip|fail",
      "a malformed CSV row is reported with its line number and\nskipped (default), "
      "or stops the command (exit 2)",
      [&](std::string_view v) -> Status {
        if (v != "skip" && v != "fail") {
          return Status::InvalidArgument("expected skip or fail, got '" + std::string(v) + "'");
        }
        bad_rows = v;
        return Status::Ok();
      });
  cl.AddInt("seed", 's', "S", "generator seed (default 42): same seed, same passengers", &seed,
            INT64_MIN, INT64_MAX);
  cl.AddInt("first-id", 0, "ID", "PassengerId of the first generated passenger (default 1)",
            &first_id, 1, INT64_MAX / 2);
  cl.AddString("topic", 't', "TOPIC", "destination topic (default titanic-events)", &publish.topic);
  cl.AddInt("flush-timeout", 0, "SECONDS",
            "how long to wait for the last acknowledgements (default 30)", &flush_timeout_s, 0,
            3600);
  AddMetricsFlags(&cl, &metrics_flags);
  AddKafkaFlags(&cl, &kafka);
  cl.AddEpilog(
      "Output (stdout): sent=N acknowledged=N failed=N unacknowledged=N bad_rows=N\n"
      "                seconds=S events_per_second=R\n"
      "Exit codes: 0 every event acknowledged; 1 an event failed or a broker error;\n"
      "            2 bad usage, configuration or (with --bad-rows fail) input.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("produce", help.status());
  if (*help) return 0;
  if (loop && csv.empty())
    return ReportFailure("produce", Status::InvalidArgument("--loop needs --csv"));
  publish.count = static_cast<uint64_t>(count);
  publish.flush_timeout = std::chrono::seconds(flush_timeout_s);

  std::unique_ptr<stream::PassengerSource> source;
  if (csv.empty()) {
    source =
        stream::MakeGeneratorSource({.seed = static_cast<uint64_t>(seed), .first_id = first_id});
  } else {
    auto opened = stream::OpenCsvSource(
        csv, loop, bad_rows == "fail" ? stream::BadRowPolicy::kFail : stream::BadRowPolicy::kSkip);
    // A file the user named that cannot be read is bad usage (exit 2).
    if (!opened.ok()) {
      return ReportFailure("produce", Status::InvalidArgument(opened.status().message()));
    }
    source = std::move(opened).value();
  }
  auto producer = stream::Producer::Create({.client = ResolveKafka(kafka)});
  if (!producer.ok()) return ReportFailure("produce", producer.status());

  auto server = StartMetrics(metrics_flags, "produce", /*required=*/false);
  if (!server.ok()) return ReportFailure("produce", server.status());
  monitoring::ProduceMetrics metrics((*server)->registry());

  InstallShutdownHandlers();
  spdlog::info("producing to {} at {}{}", publish.topic,
               publish.rate > 0 ? fmt::format("{} events/s", publish.rate) : "max rate",
               count > 0 ? fmt::format(", {} events", count) : "");
  ProgressLine progress;
  const auto summary = stream::PublishPassengers(
      producer->get(), source.get(), publish, ShutdownRequested,
      [&](const stream::PublishProgress& p) {
        metrics.Update(p.sent, p.acknowledged, p.failed, p.bad_rows);
        progress.Update(
            fmt::format("sent {}  acknowledged {}  failed {}  {} events/s",
                        FormatCount(static_cast<double>(p.sent)),
                        FormatCount(static_cast<double>(p.acknowledged)),
                        FormatCount(static_cast<double>(p.failed)),
                        FormatCount(static_cast<double>(p.sent) / std::max(p.seconds, 1e-3))));
      });
  metrics.Update(summary.sent, summary.acknowledged, summary.failed, summary.bad_rows);
  progress.Finish();
  std::printf("%s\n", summary.ToString().c_str());
  std::fflush(stdout);
  // Close the client first, so that its last log lines come before the
  // one-line reason (everything was flushed or has failed by now).
  producer->reset();
  if (!summary.error.ok()) return ReportFailure("produce", summary.error);
  if (summary.failed > 0) {
    return ReportFailure(
        "produce", Status::Kafka(fmt::format("{} event(s) not delivered; first: {}", summary.failed,
                                             summary.first_failure.message()),
                                 summary.first_failure.kafka_code()));
  }
  if (summary.unacknowledged > 0) {
    return ReportFailure("produce",
                         Status::Timeout(fmt::format("{} event(s) not acknowledged within {} s",
                                                     summary.unacknowledged, flush_timeout_s)));
  }
  return 0;
}

}  // namespace kappa::cli
