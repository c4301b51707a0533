// kappa: one binary, one subcommand per use of the product (design.md).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "cli/commands.h"

namespace kappa::cli {
namespace {

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const Args&);
};

constexpr Command kCommands[] = {
    {"broker", "run the embedded Kafka broker (in-memory, for development and tests)", RunBroker},
    {"produce", "send passenger events (generated or from a Kaggle CSV)", RunProduce},
    {"train", "replay the events topic into state and fit a new model version", RunTrain},
    {"infer", "score events live and write survived=1 alerts", RunInfer},
    {"reprocess", "replay history, refit with new feature logic, re-score and compare",
     RunReprocess},
    {"state", "show what the training state holds", RunState},
    {"models", "list, show, promote and roll back model versions", RunModels},
    {"demo", "everything on one machine: embedded broker, producer, live consumer", RunDemo},
};

void PrintUsage(std::FILE* to) {
  std::fprintf(to,
               "Usage: kappa <command> [options]   (kappa <command> --help for its options)\n"
               "       kappa --version\n\n"
               "A Kappa-architecture stream processor for machine learning on Kafka.\n\n"
               "Commands:\n");
  for (const auto& c : kCommands) {
    std::fprintf(to, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
  std::fprintf(to,
               "\nEnvironment: KAFKA_BROKERS (default brokers), KAPPA_LOG_LEVEL "
               "(trace|debug|info|warn|error|off, default info),\n"
               "KAPPA_MODEL_KEY_FILE (default --model-key-file: the key that signs models).\n"
               "Logs go to stderr, machine-readable output to stdout.\n"
               "Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.\n");
}

bool SetUpLogging() {
  auto logger = spdlog::stderr_color_mt("kappa");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  spdlog::set_default_logger(logger);
  const char* level = std::getenv("KAPPA_LOG_LEVEL");
  if (level == nullptr || *level == '\0') return true;
  const auto parsed = spdlog::level::from_str(level);
  // from_str answers "off" for anything it does not know.
  if (parsed == spdlog::level::off && std::string_view(level) != "off") {
    std::fprintf(stderr, "kappa: KAPPA_LOG_LEVEL: unknown level '%s'\n", level);
    return false;
  }
  spdlog::set_level(parsed);
  return true;
}

int Main(int argc, char** argv) {
  if (!SetUpLogging()) return 2;
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "-h" || name == "--help" || name == "help") {
    if (name == "help" && argc > 2) {  // `kappa help produce` = `kappa produce --help`
      for (const auto& c : kCommands) {
        if (c.name == argv[2]) return c.run({"--help"});
      }
    }
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::printf("kappa %s\n", KAPPA_VERSION);
    return 0;
  }
  for (const auto& c : kCommands) {
    if (c.name == name) return c.run(Args(argv + 2, argv + argc));
  }
  std::fprintf(stderr, "kappa: unknown command '%s' (see kappa --help)\n", argv[1]);
  return 2;
}

}  // namespace
}  // namespace kappa::cli

int main(int argc, char** argv) {
  // Fallible APIs return Status; this is the net for the standard library's
  // throwing calls (std::filesystem, allocation), so that a user sees one
  // line and exit code 1 rather than an abort.
  try {
    return kappa::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kappa: %s\n", e.what());
    return 1;
  }
}
