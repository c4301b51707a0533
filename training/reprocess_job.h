// RunReprocessJob: `kappa reprocess`, the Kappa answer to "our features
// changed; what would the new logic have said about everything we have
// seen?"
//
//   1. replay: the whole retained events topic, from its log start, into a
//      state of its own (DIR/events; the live state and live inference are
//      not touched), then fit a model with the new feature set and store it
//      in the registry, not current (train_job.h does both);
//   2. rescore: every event in that state, in (partition, offset) order, is
//      scored by the new model and written to the output topic as a
//      Prediction (inference/prediction.h), to the output partition equal
//      to its source partition; the current model scores it too, for the
//      comparison;
//   3. compare the two models on the same validation split, count how many
//      historical predictions changed, and with `promote` make the new
//      version current and publish it to the models topic, so that running
//      `kappa infer` instances switch to it by hot reload.
//
// Interrupted (kill -9, Ctrl-C, a failure), a rerun RESUMES:
//   - during replay/fit: the replay continues from the state's checkpoints;
//     a fit is deterministic, and an identical stored version is reused;
//   - during rescore: each output partition holds, in order, a prefix of its
//     source partition's predictions (idempotent producer: no duplicate, no
//     reordering), so its last record says where to continue; nothing is
//     written twice.
// A rerun after a finished run starts a new run from the log start. When
// history and the fitted booster are unchanged, the previous output is
// still the answer and nothing is written again (same output; the topic
// holds one prediction per event); otherwise the new predictions follow
// the old ones in the output topic, each naming its model_version.
// The state (DIR/run.txt, reprocess_run.h) records where a run stands.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "stream/kafka_options.h"
#include "training/evaluation.h"
#include "training/fitting.h"
#include "training/replay.h"
#include "training/train_job.h"

namespace kappa::training {

inline constexpr std::string_view kPredictionsTopicPrefix = "titanic-predictions.";

struct ReprocessOptions {
  std::string feature_set;   // required: the new feature logic
  std::string state_dir;     // required: DIR of this reprocess (DIR/events, DIR/run.txt)
  std::string output_topic;  // required, e.g. titanic-predictions.titanic-v2
  // Bad events in history are counted, not dead-lettered again: the live
  // jobs have done that, and reprocess writes only its output topic (and,
  // with promote, the models topic).
  std::string topic{stream::kEventsTopic};
  std::string models_topic{stream::kModelsTopic};
  std::string models_dir = "./models";
  // Signs the new version and its announcement; verifies the versions read.
  std::optional<inference::ModelKey> model_key;
  FitOptions fit;
  uint32_t validation_percent = 20;
  uint64_t min_labeled = 20;
  double threshold = 0.5;  // probability >= threshold predicts survived=1
  bool promote = false;
  std::chrono::milliseconds delivery_timeout{60000};
  std::function<bool()> should_stop;
};

struct ReprocessProgress {
  enum class Phase { kReplay, kRescore } phase = Phase::kReplay;
  TrainProgress train;    // kReplay: replay, then fit
  uint64_t rescored = 0;  // kRescore
  uint64_t written = 0;   // predictions sent by this call so far
  uint64_t total = 0;
};

// One model's side of the comparison.
struct ModelComparison {
  int version = 0;
  std::string feature_set;
  int rounds = 0;         // boosting rounds of its booster
  Evaluation evaluation;  // on the reprocess state's validation split
  std::vector<std::pair<std::string, double>> feature_importance;  // from its manifest
  uint64_t predicted_survived = 0;                                 // over all of history
};

struct ReprocessReport {
  std::optional<std::string> resumed_phase;  // set when an interrupted run resumed
  std::optional<ReplayResult> replay;        // when this call replayed
  std::optional<double> fit_seconds;         // when this call fitted
  bool reused_version = false;               // the fit matched a stored version
  ModelComparison new_model;
  std::optional<ModelComparison> old_model;  // none when no other version is current
  uint64_t history = 0;                      // events scored (all of the state)
  uint64_t written = 0;                      // predictions written by this call
  uint64_t resumed_after = 0;                // predictions a previous call had written
  bool output_was_complete = false;          // same history and model: nothing rewritten
  std::string output_topic;
  // Over all of history, old model -> new model (zero without an old model).
  uint64_t unchanged = 0;
  uint64_t became_survived = 0;  // 0 -> 1
  uint64_t became_not_survived = 0;
  bool promoted = false;
  double rescore_seconds = 0;  // scoring history and writing (acknowledged)
  double seconds = 0;
};

// Errors: unknown feature set; the output topic has fewer partitions than
// the events topic; a damaged run record or state; Kafka failures;
// Cancelled when should_stop() interrupted it (a rerun resumes).
Result<ReprocessReport> RunReprocessJob(
    const stream::KafkaClientOptions& client, const ReprocessOptions& options,
    const std::function<void(const ReprocessProgress&)>& on_progress = {});

}  // namespace kappa::training
