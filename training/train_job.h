// RunTrainJob: `kappa train` end to end. Replays the events topic into state
// (incremental from the checkpoints, or from scratch), fits the chosen
// feature set and an XGBoost booster on the labeled events, evaluates it on
// the validation split, stores the new version in the registry, promotes it
// (unless told not to) and publishes it to the models topic.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "inference/model_manifest.h"
#include "inference/model_signature.h"
#include "stream/kafka_options.h"
#include "training/evaluation.h"
#include "training/fitting.h"
#include "training/replay.h"

namespace kappa::training {

struct TrainJobOptions {
  std::string topic{stream::kEventsTopic};
  std::string dlq_topic{stream::kDeadLetterTopic};
  bool dead_letter = true;  // see ReplayOptions::dead_letter
  std::string models_topic{stream::kModelsTopic};
  std::string state_dir = "./state";
  std::string models_dir = "./models";
  // Signs the version stored and published, and verifies the versions read
  // (inference/model_signature.h); std::nullopt: unsigned.
  std::optional<inference::ModelKey> model_key;
  bool from_scratch = false;
  std::string feature_set = "titanic-v1";
  FitOptions fit;
  uint32_t validation_percent = 20;
  uint64_t min_labeled = 20;  // fewer labeled events is an error, not a model
  bool promote = true;        // make the new version current
  bool publish = true;        // send it to the models topic
  // When a stored version has this feature set and the very same booster
  // bytes, use it instead of storing a duplicate (reprocess re-runs and
  // resumes: the fit is deterministic).
  bool reuse_identical = false;
  std::function<bool()> should_stop;
};

struct TrainProgress {
  enum class Phase { kReplay, kLoad, kFit } phase = Phase::kReplay;
  ReplayProgress replay;
  FitProgress fit;
};

struct TrainReport {
  ReplayResult replay;
  inference::ModelManifest manifest;  // as stored (version, sha256)
  Evaluation evaluation;
  std::vector<std::pair<std::string, double>> feature_gain;  // share, largest first
  FitResult fit_summary;  // booster moved out; counts and timing only
  bool reused = false;  // an identical stored version (reuse_identical)
  bool promoted = false;
  bool published = false;
};

Result<TrainReport> RunTrainJob(const stream::KafkaClientOptions& client,
                                const TrainJobOptions& options,
                                const std::function<void(const TrainProgress&)>& on_progress = {});

}  // namespace kappa::training
