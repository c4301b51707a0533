// `kappa demo`: the pipeline on one machine with nothing installed.
//
// Today it runs the parts that exist: an embedded broker, the passenger
// producer and a live consumer that decodes every event, routes bad ones to
// the DLQ and reports what flows. Training and live inference join it as
// they are built (see the issues).
//
// Threads: the producer runs on its own thread (PublishPassengers); the main
// thread consumes and prints. They share only atomics and the stop flag.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "cli/metrics_flags.h"
#include "common/progress.h"
#include "common/shutdown.h"
#include "monitoring/job_metrics.h"
#include "stream/consumer.h"
#include "stream/dead_letter.h"
#include "stream/embedded_broker.h"
#include "stream/event_codec.h"
#include "stream/passenger_publisher.h"

namespace kappa::cli {

Status ParseRate(std::string_view text, double* rate);  // produce_command.cc

namespace {

struct DemoCounts {
  uint64_t consumed = 0;
  uint64_t valid = 0;
  uint64_t labeled = 0;
  uint64_t survived = 0;
  uint64_t dead_lettered = 0;
};

std::string Describe(const DemoCounts& c, uint64_t produced, double seconds) {
  const double share =
      c.labeled > 0 ? 100.0 * static_cast<double>(c.survived) / static_cast<double>(c.labeled)
                    : 0.0;
  return fmt::format(
      "produced {}  consumed {} ({}/s)  valid {}  DLQ {}  survived {:.1f}% of labeled",
      FormatCount(static_cast<double>(produced)), FormatCount(static_cast<double>(c.consumed)),
      FormatCount(static_cast<double>(c.consumed) / std::max(seconds, 1e-3)),
      FormatCount(static_cast<double>(c.valid)), FormatCount(static_cast<double>(c.dead_lettered)),
      share);
}

}  // namespace

int RunDemo(const Args& args) {
  KafkaFlags kafka;  // -X properties apply to the demo's clients
  stream::PublishOptions publish;
  int64_t duration_s = 0;
  int64_t seed = 42;
  MetricsFlags metrics_flags{.port = 8000};
  CommandLine cl(
      "kappa demo", "[options]",
      "Runs the pipeline on this machine with nothing else installed: an embedded Kafka\n"
      "broker (in-memory), the passenger producer at --rate, and a live consumer that\n"
      "decodes every event and routes bad ones to titanic-events-dlq. A status line shows\n"
      "what flows (on a terminal; log lines otherwise). Training and live inference join\n"
      "the demo as they are built. Ctrl-C stops it with a summary.");
  cl.AddInt("duration", 'd', "SECONDS", "stop after this long (default 0: until Ctrl-C)",
            &duration_s, 0, INT64_MAX / 1000);
  cl.AddOption("rate", 'r', "R|max", "events per second (default 20, as the seed)",
               [&](std::string_view v) { return ParseRate(v, &publish.rate); });
  cl.AddInt("seed", 's', "S", "generator seed (default 42)", &seed, INT64_MIN, INT64_MAX);
  AddMetricsFlags(&cl, &metrics_flags);
  AddKafkaFlags(&cl, &kafka);
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("demo", help.status());
  if (*help) return 0;
  if (!kafka.brokers.empty()) {
    return ReportFailure(
        "demo", Status::InvalidArgument("-b: the demo runs its own embedded broker; use kappa "
                                        "produce/train/infer against other brokers"));
  }

  InstallShutdownHandlers();
  auto server = StartMetrics(metrics_flags, "demo", /*required=*/false);
  if (!server.ok()) return ReportFailure("demo", server.status());
  monitoring::ProduceMetrics produce_metrics((*server)->registry());
  auto broker = stream::EmbeddedBroker::Start({});
  if (!broker.ok()) return ReportFailure("demo", broker.status());
  stream::KafkaClientOptions client;
  client.bootstrap_servers = (*broker)->bootstrap_servers();
  client.properties = kafka.properties;
  spdlog::info("embedded broker on {}", client.bootstrap_servers);

  auto event_producer = stream::Producer::Create({.client = client});
  if (!event_producer.ok()) return ReportFailure("demo", event_producer.status());
  auto dlq_producer = stream::Producer::Create({.client = client});
  if (!dlq_producer.ok()) return ReportFailure("demo", dlq_producer.status());
  auto consumer = stream::Consumer::Create(
      {.client = client, .group_id = kafka.group_id().value_or("kappa-demo")});
  if (!consumer.ok()) return ReportFailure("demo", consumer.status());
  if (Status s = (*consumer)->Subscribe({publish.topic}); !s.ok()) return ReportFailure("demo", s);

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto should_stop = [&] {
    return ShutdownRequested() || (duration_s > 0 && elapsed() >= static_cast<double>(duration_s));
  };
  std::atomic<uint64_t> produced{0};
  stream::PublishSummary published;
  std::thread producer_thread([&] {
    auto source = stream::MakeGeneratorSource({.seed = static_cast<uint64_t>(seed)});
    published = stream::PublishPassengers(event_producer->get(), source.get(), publish, should_stop,
                                          [&](const stream::PublishProgress& p) {
                                            produced.store(p.sent, std::memory_order_relaxed);
                                            produce_metrics.Update(p.sent, p.acknowledged, p.failed,
                                                                   p.bad_rows);
                                          });
    produced.store(published.sent);
  });

  stream::EventDecoder decoder;
  stream::DeadLetterWriter dlq((*dlq_producer).get(), std::string(stream::kDeadLetterTopic),
                               "demo");
  stream::PassengerEvent event;
  DemoCounts counts;
  std::vector<stream::Message> batch;
  // Consumes one batch: decodes every event, dead-letters the bad ones.
  auto consume_batch = [&]() -> Status {
    batch.clear();
    KAPPA_RETURN_IF_ERROR((*consumer)->Poll(500, std::chrono::milliseconds(100), &batch));
    for (const auto& m : batch) {
      ++counts.consumed;
      if (auto rejection = decoder.Decode(m.value(), &event)) {
        ++counts.dead_lettered;
        KAPPA_RETURN_IF_ERROR(dlq.Send(m, *rejection));
        continue;
      }
      ++counts.valid;
      if (event.survived) {
        ++counts.labeled;
        counts.survived += static_cast<uint64_t>(*event.survived);
      }
    }
    (*dlq_producer)->Poll(std::chrono::milliseconds(0));
    return Status::Ok();
  };

  ProgressLine progress;
  auto last_log = start;
  Status error;
  while (error.ok() && !should_stop()) {
    error = consume_batch();
    const std::string line = Describe(counts, produced.load(), elapsed());
    if (progress.enabled()) {
      if (progress.Due()) progress.Update(line);
    } else if (std::chrono::steady_clock::now() - last_log >= std::chrono::seconds(5)) {
      last_log = std::chrono::steady_clock::now();
      spdlog::info("{}", line);
    }
  }
  RequestShutdown();  // stops the producer thread when the consumer failed
  producer_thread.join();
  // Drain what was produced before the stop, so the summary reconciles.
  const auto drain_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (error.ok() && counts.consumed < published.acknowledged &&
         std::chrono::steady_clock::now() < drain_deadline) {
    error = consume_batch();
  }
  if (Status s = (*dlq_producer)->Flush(std::chrono::seconds(10)); error.ok()) error = s;
  if (error.ok() && (*dlq_producer)->stats().failed.load() > 0) {
    error = (*dlq_producer)->first_failure().WithContext("DLQ");
  }
  progress.Finish();
  std::printf("%s\n", Describe(counts, published.sent, elapsed()).c_str());
  if (!error.ok()) return ReportFailure("demo", error);
  if (!published.error.ok()) return ReportFailure("demo", published.error);
  return 0;
}

}  // namespace kappa::cli
