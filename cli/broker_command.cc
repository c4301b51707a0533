// `kappa broker`: the embedded broker as a standalone process.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "cli/kafka_flags.h"
#include "common/shutdown.h"
#include "inference/feature_set.h"
#include "stream/embedded_broker.h"
#include "training/reprocess_job.h"

namespace kappa::cli {

int RunBroker(const Args& args) {
  int64_t partitions = 3;
  int64_t broker_count = 1;
  int64_t wait_s = 0;
  std::string address_file = DefaultBrokerAddressFile();
  CommandLine cl(
      "kappa broker", "[address] [options]",
      "Runs an embedded Kafka broker (librdkafka's mock cluster) until Ctrl-C or SIGTERM.\n"
      "It speaks the real Kafka protocol on a loopback port, so any Kafka client (kcat,\n"
      "the other kappa commands) can use it. It is IN-MEMORY: everything is lost when it\n"
      "stops, and it keeps only about 5 MB per partition (older records are dropped, like\n"
      "retention). It is for development and tests; production uses Kafka.\n\n"
      "Creates titanic-events, titanic-alerts, titanic-events-dlq, titanic-infer-progress\n"
      "and titanic-predictions.<set> for each feature set with --partitions partitions, and\n"
      "titanic-models with one; other topics are created on first use, with 4 partitions.\n"
      "Prints the bootstrap address on stdout and writes it to the address file, where\n"
      "the other kappa commands find it when neither -b nor KAFKA_BROKERS is set.\n\n"
      "`kappa broker address` prints the address of the running broker (from the\n"
      "address file) and exits: 1 when none is running (after --wait seconds).");
  cl.AddInt("partitions", 'p', "N",
            "partitions of the events, alerts, DLQ, progress and predictions topics\n(default 3)",
            &partitions, 1, 1000);
  cl.AddInt("broker-count", 0, "N", "brokers in the cluster (default 1)", &broker_count, 1, 9);
  cl.AddString("address-file", 0, "PATH",
               "where to write the address (default " + DefaultBrokerAddressFile() + ")",
               &address_file);
  cl.AddInt("wait", 0, "SECONDS", "with address: wait this long for a broker to start (default 0)",
            &wait_s, 0, 3600);
  cl.AllowPositionals("address");
  cl.AddEpilog(
      "Example:\n  kappa broker &\n  kappa produce --count 1000\n"
      "  kcat -b \"$(kappa broker address)\" -C -t titanic-events -e");
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("broker", help.status());
  if (*help) return 0;
  if (!cl.positionals().empty()) {
    if (cl.positionals().size() != 1 || cl.positionals()[0] != "address") {
      return ReportFailure("broker",
                           Status::InvalidArgument("unexpected argument '" + cl.positionals()[0] +
                                                   "' (the only one is: address)"));
    }
    auto address = ReadBrokerAddressFile(address_file);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_s);
    while (!address && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      address = ReadBrokerAddressFile(address_file);
    }
    if (!address) {
      return ReportFailure("broker", Status::NotFound("no embedded broker is running (no live "
                                                      "broker in " +
                                                      address_file + ")"));
    }
    std::printf("%s\n", address->c_str());
    return 0;
  }

  // Where the address goes is checked before the broker starts.
  if (Status s = CheckAddressFileDirectory(address_file); !s.ok()) {
    return ReportFailure("broker", s);
  }
  InstallShutdownHandlers();
  stream::EmbeddedBrokerOptions options;
  options.partitions = static_cast<int>(partitions);
  // Reprocess writes a prediction to the partition of its event: its output
  // topics need as many partitions as the events topic.
  for (const inference::FeatureSet* set : inference::AllFeatureSets()) {
    options.topics.push_back(std::string(training::kPredictionsTopicPrefix) +
                             std::string(set->name()));
  }
  options.broker_count = static_cast<int>(broker_count);
  auto broker = stream::EmbeddedBroker::Start(options);
  if (!broker.ok()) return ReportFailure("broker", broker.status());
  const std::string& address = (*broker)->bootstrap_servers();
  if (Status s = WriteBrokerAddressFile(address_file, address); !s.ok()) {
    return ReportFailure("broker", s);
  }
  std::printf("%s\n", address.c_str());
  std::fflush(stdout);
  spdlog::info("embedded broker listening on {} ({} partition(s) per topic); address in {}",
               address, partitions, address_file);
  spdlog::info("in-memory, ~5 MB kept per partition: for development and tests. Ctrl-C stops.");
  while (!WaitForShutdown(std::chrono::hours(1))) {
  }
  RemoveBrokerAddressFile(address_file, address);
  spdlog::info("embedded broker stopped");
  return 0;
}

}  // namespace kappa::cli
