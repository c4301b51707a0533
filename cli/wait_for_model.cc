#include "cli/wait_for_model.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace kappa::cli {

Result<std::unique_ptr<inference::Model>> WaitForModel(const inference::ModelRegistry& registry,
                                                       inference::ModelWatcher* watcher,
                                                       const std::function<bool()>& should_stop,
                                                       monitoring::ScoringMetrics* metrics,
                                                       std::string_view publisher) {
  auto last_notice = std::chrono::steady_clock::time_point{};
  for (;;) {
    auto current = registry.Current();
    if (!current.ok()) return current.status();
    if (*current) return registry.Load(**current);
    // Waits up to 200 ms for an announcement, so a stop is seen quickly.
    const uint64_t refused_before = watcher->refused();
    auto announced = watcher->PollNewCurrent(std::chrono::milliseconds(200), "");
    metrics->reload_failures.Increment(static_cast<double>(watcher->refused() - refused_before));
    if (!announced.ok()) return announced.status();
    if (*announced) return std::move(announced).value();
    if (std::chrono::steady_clock::now() - last_notice > std::chrono::seconds(10)) {
      last_notice = std::chrono::steady_clock::now();
      spdlog::info("no model in {} yet; waiting for {} to publish one", registry.dir(), publisher);
    }
    if (should_stop()) return Status::Cancelled("stopped before a model was available");
  }
}

}  // namespace kappa::cli
