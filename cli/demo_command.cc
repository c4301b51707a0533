// `kappa demo`: the whole Kappa loop in one process, with nothing installed.
//
// An embedded broker; the passenger producer (generator or a Kaggle CSV);
// a trainer that replays the events topic into its own state and fits the
// first model once enough labeled events exist, then retrains every
// --retrain-every seconds and publishes each version; live inference (the
// `kappa infer` loop) that hot-reloads every new version; and a reader of
// the alerts topic for the view. What happens is shown in a terminal view
// (plain log lines when stderr is not a terminal) and on a status page with
// /metrics on one HTTP port.
//
// Threads: producer, trainer and inference each run on their own thread
// with their own Kafka clients; the main thread reads alerts, samples the
// metrics and draws. They share DemoStatus (locked), the metrics
// (thread-safe) and atomics.
#include <fmt/format.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/demo_page.h"
#include "cli/demo_status.h"
#include "cli/kafka_flags.h"
#include "cli/metrics_flags.h"
#include "cli/wait_for_model.h"
#include "common/clock.h"
#include "common/progress.h"
#include "common/shutdown.h"
#include "inference/live_scorer.h"
#include "inference/model_registry.h"
#include "inference/model_watcher.h"
#include "monitoring/http_server.h"
#include "monitoring/job_metrics.h"
#include "monitoring/metrics_server.h"
#include "monitoring/scoring_metrics.h"
#include "stream/consumer.h"
#include "stream/embedded_broker.h"
#include "stream/passenger_publisher.h"
#include "training/train_job.h"

namespace kappa::cli {

Status ParseRate(std::string_view text, double* rate);  // produce_command.cc

namespace {

using Clock = std::chrono::steady_clock;

struct DemoOptions {
  int64_t duration_s = 0;
  int64_t seed = 42;
  std::string csv;
  int64_t retrain_every_s = 60;
  int64_t min_labeled = 100;
  std::string work_dir;  // empty: a fresh temporary directory, removed at the end
};

// Sleeps up to `duration` in short steps; false when `stop` turned true.
bool SleepUnless(const std::atomic<bool>& stop, std::chrono::milliseconds duration) {
  const auto until = Clock::now() + duration;
  while (Clock::now() < until) {
    if (stop.load()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return !stop.load();
}

// The trainer: the first model as soon as there are enough labeled events,
// then one every retrain_every seconds, each promoted and published.
void TrainLoop(const stream::KafkaClientOptions& client, const DemoOptions& options,
               const std::string& work_dir, const std::atomic<bool>& stop, DemoStatus* status) {
  bool waiting_noted = false;
  while (!stop.load()) {
    training::TrainJobOptions train;
    train.state_dir = work_dir + "/state";
    train.models_dir = work_dir + "/models";
    train.min_labeled = static_cast<uint64_t>(options.min_labeled);
    train.should_stop = [&] { return stop.load(); };
    auto report = training::RunTrainJob(client, train);
    std::chrono::milliseconds next(options.retrain_every_s * 1000);
    if (report.ok()) {
      const auto& m = report->manifest;
      status->AddModel({.version = m.version,
                        .feature_set = m.feature_set,
                        .accuracy = report->evaluation.accuracy,
                        .roc_auc = report->evaluation.roc_auc,
                        .log_loss = report->evaluation.log_loss,
                        .labeled_events = m.provenance.labeled_events});
      status->Note(
          fmt::format("model v{:04d} trained on {} labeled events (accuracy {:.3f}), "
                      "published",
                      m.version, m.provenance.labeled_events, report->evaluation.accuracy));
    } else if (report.status().code() == StatusCode::kNotFound) {
      // Not enough labeled events yet: try again soon.
      if (!waiting_noted) {
        status->Note(fmt::format("waiting for {} labeled events to train the first model",
                                 options.min_labeled));
        waiting_noted = true;
      }
      next = std::chrono::seconds(2);
    } else if (!stop.load()) {
      spdlog::warn("demo: training failed: {}", report.status().ToString());
      status->Note("training failed: " + report.status().ToString());
    }
    status->SetNextRetrain(std::chrono::duration<double>(next).count());
    SleepUnless(stop, next);
  }
  status->SetNextRetrain(std::nullopt);
}

// Reads alerts as they appear: the view's latest alerts and latencies.
class AlertTail {
 public:
  static Result<std::unique_ptr<AlertTail>> Open(const stream::KafkaClientOptions& client) {
    auto consumer = stream::Consumer::Create({.client = client});
    if (!consumer.ok()) return consumer.status();
    auto partitions =
        (*consumer)->PartitionCount(std::string(stream::kAlertsTopic), std::chrono::seconds(10));
    if (!partitions.ok()) return partitions.status();
    std::vector<stream::TopicPartitionOffset> from;
    for (int32_t p = 0; p < *partitions; ++p) {
      from.push_back({std::string(stream::kAlertsTopic), p, 0});
    }
    KAPPA_RETURN_IF_ERROR((*consumer)->Assign(from));
    return std::unique_ptr<AlertTail>(new AlertTail(std::move(consumer).value()));
  }

  // Takes what has arrived, without waiting.
  Status Drain(DemoStatus* status) {
    messages_.clear();
    KAPPA_RETURN_IF_ERROR(consumer_->Poll(1000, std::chrono::milliseconds(0), &messages_));
    for (const auto& m : messages_) {
      const auto value = m.value();
      simdjson::dom::element doc;
      if (!value || parser_.parse(value->data(), value->size()).get(doc) != simdjson::SUCCESS) {
        continue;  // not ours to judge: the view only shows alerts it can read
      }
      DemoAlert a;
      a.passenger_id = doc["PassengerId"].get_int64().value_unsafe();
      std::string_view text;
      if (doc["Name"].get_string().get(text) == simdjson::SUCCESS) a.name = text;
      if (doc["Sex"].get_string().get(text) == simdjson::SUCCESS) a.sex = text;
      int64_t n = 0;
      if (doc["Pclass"].get_int64().get(n) == simdjson::SUCCESS) a.pclass = static_cast<int>(n);
      if (doc["model_version"].get_int64().get(n) == simdjson::SUCCESS) {
        a.model_version = static_cast<int>(n);
      }
      double p = 0;
      if (doc["probability"].get_double().get(p) == simdjson::SUCCESS) a.probability = p;
      int64_t scored_at = 0, event_ts = 0;
      if (doc["scored_at"].get_int64().get(scored_at) == simdjson::SUCCESS &&
          doc["event_ts"].get_int64().get(event_ts) == simdjson::SUCCESS) {
        a.latency_ms = static_cast<double>(scored_at - event_ts);
      }
      status->AddAlert(a);
    }
    return Status::Ok();
  }

 private:
  explicit AlertTail(std::unique_ptr<stream::Consumer> consumer) : consumer_(std::move(consumer)) {}
  std::unique_ptr<stream::Consumer> consumer_;
  simdjson::dom::parser parser_;
  std::vector<stream::Message> messages_;
};

std::string MakeWorkDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "kappa-demo-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return "";
  return templ;
}

}  // namespace

int RunDemo(const Args& args) {
  KafkaFlags kafka;  // -X properties apply to the demo's clients
  stream::PublishOptions publish;
  DemoOptions options;
  // Loopback by default: the page shows passenger names, and the demo is a
  // laptop tool (--metrics-bind 0.0.0.0 shares it).
  MetricsFlags metrics_flags{.port = 8000, .bind = "127.0.0.1"};
  CommandLine cl(
      "kappa demo", "[options]",
      "Runs the whole Kappa loop in one process with nothing else installed: an embedded\n"
      "Kafka broker (in-memory), the passenger producer at --rate, a trainer that replays\n"
      "the events topic and fits the first model once --min-labeled labeled events exist,\n"
      "then retrains every --retrain-every seconds, and live inference that hot-reloads\n"
      "each new version and writes survived=1 alerts. A live view on the terminal (log\n"
      "lines otherwise), and a status page with charts and /metrics on --metrics-port.\n"
      "Ctrl-C (or --duration) stops it with a summary on stdout.");
  cl.AddInt("duration", 'd', "SECONDS", "stop after this long (default 0: until Ctrl-C)",
            &options.duration_s, 0, INT64_MAX / 1000);
  cl.AddOption("rate", 'r', "R|max", "events per second (default 20, as the seed)",
               [&](std::string_view v) { return ParseRate(v, &publish.rate); });
  cl.AddString("csv", 0, "FILE",
               "replay passengers from a Kaggle CSV (train.csv), in a loop, instead of\n"
               "generating them",
               &options.csv);
  cl.AddInt("seed", 's', "S", "generator seed (default 42)", &options.seed, INT64_MIN, INT64_MAX);
  cl.AddInt("retrain-every", 0, "SECONDS", "seconds between two trainings (default 60)",
            &options.retrain_every_s, 1, 86400);
  cl.AddInt("min-labeled", 0, "N", "labeled events before the first model (default 100)",
            &options.min_labeled, 20, INT64_MAX);
  cl.AddDirectory("work-dir", "DIR",
                  "keep the trainer's state and models here (default: a temporary\n"
                  "directory, removed at the end)",
                  &options.work_dir);
  AddMetricsFlags(&cl, &metrics_flags);
  AddKafkaFlags(&cl, &kafka, /*with_brokers=*/false);
  cl.AddEpilog(
      "The status page is at http://ADDRESS:PORT/ (also /status.json and /metrics).\n"
      "Output (stdout, at the end): produced=N scored=N alerts=N dead_lettered=N models=N\n"
      "                             model_version=N seconds=S\n"
      "Exit codes: 0 stopped cleanly; 1 runtime failure; 2 bad usage.");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("demo", help.status());
  if (*help) return 0;
  std::unique_ptr<stream::PassengerSource> source;
  if (options.csv.empty()) {
    source = stream::MakeGeneratorSource({.seed = static_cast<uint64_t>(options.seed)});
  } else {
    auto opened = stream::OpenCsvSource(options.csv, /*loop=*/true, stream::BadRowPolicy::kSkip);
    if (!opened.ok()) {
      return ReportFailure("demo", Status::InvalidArgument(opened.status().message()));
    }
    source = std::move(opened).value();
  }
  const bool temporary_dir = options.work_dir.empty();
  const std::string work_dir = temporary_dir ? MakeWorkDir() : options.work_dir;
  if (work_dir.empty()) return ReportFailure("demo", Status::IoError("cannot create a work dir"));

  InstallShutdownHandlers();
  auto broker = stream::EmbeddedBroker::Start({});
  if (!broker.ok()) return ReportFailure("demo", broker.status());
  stream::KafkaClientOptions client;
  client.bootstrap_servers = (*broker)->bootstrap_servers();
  client.properties = kafka.properties;
  spdlog::info("embedded broker on {}; state and models in {}", client.bootstrap_servers, work_dir);

  // One registry; served with the page on one port.
  auto metrics_server = monitoring::MetricsServer::Start({.port = 0, .command = "demo"});
  if (!metrics_server.ok()) return ReportFailure("demo", metrics_server.status());
  monitoring::ScoringMetrics scoring_metrics((*metrics_server)->registry());
  monitoring::ProduceMetrics produce_metrics((*metrics_server)->registry());
  DemoStatus status;
  std::atomic<uint64_t> produced{0};
  publish.sent_counter = &produced;
  const auto read_counters = [&] {
    return DemoCounters{
        .produced = produced.load(),
        .scored = static_cast<uint64_t>(scoring_metrics.processed.Value()),
        .alerts = static_cast<uint64_t>(scoring_metrics.survived.Value()),
        .dead_lettered = static_cast<uint64_t>(scoring_metrics.dead_lettered.Value()),
        .model_version = static_cast<int>(scoring_metrics.model_version.Value())};
  };
  std::unique_ptr<monitoring::HttpServer> http;
  std::string page_url;
  if (metrics_flags.port != 0) {
    auto started = monitoring::HttpServer::Start(
        metrics_flags.bind, static_cast<int>(metrics_flags.port),
        {{"/", "text/html; charset=utf-8", [] { return std::string(kDemoPage); }},
         {"/status.json", "application/json", [&] { return status.Json(read_counters()); }},
         {"/metrics", "text/plain; version=0.0.4", [&] { return (*metrics_server)->Scrape(); }}});
    if (started.ok()) {
      http = std::move(started).value();
      page_url = fmt::format("http://{}:{}/",
                             metrics_flags.bind == "0.0.0.0" ? "127.0.0.1" : metrics_flags.bind,
                             http->port());
      spdlog::info("status page {} (and /metrics)", page_url);
    } else {
      spdlog::warn("{}; running without the status page (choose another --metrics-port)",
                   started.status().message());
    }
  }

  const auto start = Clock::now();
  std::atomic<bool> stop_producing{false};
  std::atomic<bool> stop_all{false};
  const auto out_of_time = [&] {
    return options.duration_s > 0 &&
           Clock::now() - start >= std::chrono::seconds(options.duration_s);
  };

  auto event_producer = stream::Producer::Create({.client = client});
  if (!event_producer.ok()) return ReportFailure("demo", event_producer.status());
  stream::PublishSummary published;
  std::thread producer_thread([&] {
    published = stream::PublishPassengers(
        event_producer->get(), source.get(), publish, [&] { return stop_producing.load(); },
        [&](const stream::PublishProgress& p) {
          produce_metrics.Update(p.sent, p.acknowledged, p.failed, p.bad_rows);
        });
    produced.store(published.sent);
    produce_metrics.Update(published.sent, published.acknowledged, published.failed,
                           published.bad_rows);
  });
  std::thread trainer_thread([&] { TrainLoop(client, options, work_dir, stop_all, &status); });

  Status infer_error;
  std::thread infer_thread([&] {
    const auto should_stop = [&] { return stop_all.load(); };
    auto registry = inference::ModelRegistry::Open(work_dir + "/models");
    if (!registry.ok()) {
      infer_error = registry.status();
      return;
    }
    auto watcher = inference::ModelWatcher::Start(client, std::string(stream::kModelsTopic),
                                                  std::nullopt);  // local: unsigned
    if (!watcher.ok()) {
      infer_error = watcher.status();
      return;
    }
    auto model = WaitForModel(**registry, watcher->get(), should_stop, &scoring_metrics,
                              "the trainer (after --min-labeled labeled events)");
    if (!model.ok()) {
      if (model.status().code() != StatusCode::kCancelled) infer_error = model.status();
      return;
    }
    status.Note(fmt::format("inference started with model v{:04d}", (*model)->version()));
    inference::LiveScorerOptions live;
    live.group_id = kafka.group_id().value_or("kappa-demo");
    inference::LiveScorer scorer(client, live, &scoring_metrics);
    auto summary = scorer.Run(std::move(model).value(), watcher->get(), should_stop);
    if (!summary.ok()) infer_error = summary.status();
  });

  auto tail = AlertTail::Open(client);
  if (!tail.ok()) spdlog::warn("demo: no alert view: {}", tail.status().ToString());
  const auto sample = [&] {
    if (tail.ok()) {
      if (Status s = (*tail)->Drain(&status); !s.ok())
        spdlog::warn("demo: alerts: {}", s.ToString());
    }
    status.Sample(read_counters());
  };

  // On a terminal the view replaces the log; warnings still show.
  ProgressBlock view;
  const auto log_level = spdlog::get_level();
  if (view.enabled()) spdlog::set_level(spdlog::level::warn);
  auto last_log = Clock::now();
  while (!ShutdownRequested() && !out_of_time()) {
    sample();
    if (view.enabled()) {
      view.Update(status.View(page_url));
    } else if (Clock::now() - last_log >= std::chrono::seconds(5)) {
      last_log = Clock::now();
      spdlog::info("{}", status.SummaryLine());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  }

  // Stop producing; give inference a moment to score what was sent, so
  // that the summary reconciles; then stop everything.
  stop_producing.store(true);
  producer_thread.join();
  const auto drain_until = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < drain_until && scoring_metrics.model_version.Value() > 0) {
    const auto scored = scoring_metrics.processed.Value() + scoring_metrics.dead_lettered.Value();
    if (scored >= static_cast<double>(published.acknowledged)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop_all.store(true);
  infer_thread.join();
  trainer_thread.join();
  sample();
  if (view.enabled()) view.Update(status.View(page_url));
  view.Finish();
  spdlog::set_level(log_level);
  std::printf("%s\n", status.SummaryLine().c_str());
  std::fflush(stdout);
  if (temporary_dir) {
    std::error_code ec;
    std::filesystem::remove_all(work_dir, ec);
  }
  if (!infer_error.ok()) return ReportFailure("demo", infer_error);
  if (!published.error.ok()) return ReportFailure("demo", published.error);
  return 0;
}

}  // namespace kappa::cli
