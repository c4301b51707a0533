// `kappa state`: what the RocksDB state holds.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>

#include "cli/command_line.h"
#include "cli/commands.h"
#include "common/progress.h"
#include "state/event_store.h"

namespace kappa::cli {

int RunState(const Args& args) {
  std::string state_dir = "./state";
  bool digest = false;
  CommandLine cl("kappa state", "[options]",
                 "Prints what the training state holds: per source partition the replay\n"
                 "checkpoint (next offset), the offsets and counts of stored events (labeled\n"
                 "and unlabeled), dead-lettered and expired records; then the fitted feature\n"
                 "statistics of each feature set trained on it. Read-only.");
  cl.AddDirectory("state-dir", "DIR", "RocksDB state (default ./state)", &state_dir);
  cl.AddSwitch("digest", "print only a SHA-256 over the whole state (equal digests = equal state)",
               &digest);
  auto help = cl.Parse(args);
  if (!help.ok()) return ReportFailure("state", help.status());
  if (*help) return 0;
  std::error_code ec;
  if (!std::filesystem::exists(state_dir, ec)) {
    return ReportFailure(
        "state", Status::InvalidArgument("no state at " + state_dir + " (run kappa train first)"));
  }
  auto store = state::EventStore::Open({.path = state_dir, .create_if_missing = false});
  if (!store.ok()) return ReportFailure("state", store.status());
  if (digest) {
    auto d = (*store)->Digest();
    if (!d.ok()) return ReportFailure("state", d.status());
    std::printf("%s\n", d->c_str());
    return ReportFailure("state", (*store)->Close());
  }
  auto checkpoints = (*store)->Checkpoints();
  if (!checkpoints.ok()) return ReportFailure("state", checkpoints.status());
  std::printf("state %s\n\n", state_dir.c_str());
  std::printf("%-20s %4s %12s %12s %12s %12s %12s %8s %8s\n", "topic", "part", "first offset",
              "next offset", "events", "labeled", "unlabeled", "DLQ", "expired");
  state::PartitionCheckpoint total;
  for (const auto& c : *checkpoints) {
    std::printf("%-20s %4d %12lld %12lld %12s %12s %12s %8s %8s\n", c.topic.c_str(), c.partition,
                static_cast<long long>(c.first_offset), static_cast<long long>(c.next_offset),
                FormatCount(static_cast<double>(c.events)).c_str(),
                FormatCount(static_cast<double>(c.labeled)).c_str(),
                FormatCount(static_cast<double>(c.events - c.labeled)).c_str(),
                FormatCount(static_cast<double>(c.dead_lettered)).c_str(),
                FormatCount(static_cast<double>(c.expired)).c_str());
    total.events += c.events;
    total.labeled += c.labeled;
    total.dead_lettered += c.dead_lettered;
    total.expired += c.expired;
  }
  std::printf("%-20s %4s %12s %12s %12s %12s %12s %8s %8s\n", "total", "", "", "",
              FormatCount(static_cast<double>(total.events)).c_str(),
              FormatCount(static_cast<double>(total.labeled)).c_str(),
              FormatCount(static_cast<double>(total.events - total.labeled)).c_str(),
              FormatCount(static_cast<double>(total.dead_lettered)).c_str(),
              FormatCount(static_cast<double>(total.expired)).c_str());
  auto sets = (*store)->FeatureSetsWithStats();
  if (!sets.ok()) return ReportFailure("state", sets.status());
  if (sets->empty()) std::printf("\nno feature statistics yet (no model trained on this state)\n");
  for (const auto& name : *sets) {
    auto stats = (*store)->FeatureStats(name);
    if (!stats.ok()) return ReportFailure("state", stats.status());
    std::printf("\nfeature set %s: %s\n", name.c_str(), stats->value_or("").c_str());
  }
  return ReportFailure("state", (*store)->Close());
}

}  // namespace kappa::cli
