// WaitForModel: what `kappa infer` and `kappa demo` score with first.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "common/status.h"
#include "inference/model.h"
#include "inference/model_registry.h"
#include "inference/model_watcher.h"
#include "monitoring/scoring_metrics.h"

namespace kappa::cli {

// The current model of the registry, else the current one announced on the
// models topic; waits (saying so every 10 s) while there is none. Cancelled
// when should_stop() turns true first. Announcements refused meanwhile are
// counted in metrics->reload_failures, as the scorer counts them later.
// `publisher` names, in the waiting notice, what will publish the model.
Result<std::unique_ptr<inference::Model>> WaitForModel(const inference::ModelRegistry& registry,
                                                       inference::ModelWatcher* watcher,
                                                       const std::function<bool()>& should_stop,
                                                       monitoring::ScoringMetrics* metrics,
                                                       std::string_view publisher);

}  // namespace kappa::cli
