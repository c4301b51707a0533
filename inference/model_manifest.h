// ModelManifest: the description of one model version, stored as
// models/vNNNN/manifest.json beside the booster (model.ubj) and sent with it
// on the models topic (design.md, "Model artifact").
//
// Plain value type. ToJson/FromJson round-trip exactly; FromJson rejects a
// manifest that lacks a required field or has a wrong type (Corruption with
// the field name), so a tampered or truncated manifest is never half-read.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "inference/feature_set.h"

namespace kappa::inference {

// Offsets of one source partition that a model was trained from.
struct PartitionRange {
  int32_t partition = 0;
  int64_t first_offset = -1;  // first offset in state (-1: none)
  int64_t end_offset = 0;     // replayed up to here (exclusive)
  uint64_t events = 0;        // valid events of this partition in state
  bool operator==(const PartitionRange&) const = default;
};

struct TrainingProvenance {
  std::string topic;
  std::vector<PartitionRange> partitions;
  uint64_t events_in_state = 0;   // valid events replayed into state
  uint64_t labeled_events = 0;    // used to fit and validate
  uint64_t unlabeled_events = 0;  // skipped: no Survived
  uint64_t dead_lettered = 0;     // rejected during replay
  uint64_t train_rows = 0;
  uint64_t validation_rows = 0;
  uint32_t validation_percent = 20;  // share of PassengerIds (by hash) held out
  bool operator==(const TrainingProvenance&) const = default;
};

struct ModelManifest {
  static constexpr int kFormatVersion = 1;

  std::string model_name = "titanic";
  int version = 0;
  int64_t created_ms = 0;
  std::string feature_set;
  std::vector<std::string> feature_names;
  FeatureParams feature_params;
  std::map<std::string, std::string> xgboost_params;
  int boosted_rounds = 0;
  TrainingProvenance provenance;
  // Validation metrics by name: accuracy, roc_auc, log_loss, precision,
  // recall, rows, threshold, and the confusion matrix as tp, fp, tn, fn.
  std::map<std::string, double> metrics;
  // (feature name, share of total gain), largest first.
  std::vector<std::pair<std::string, double>> feature_importance;
  std::string booster_sha256;  // of model.ubj, lower-case hex

  std::string ToJson() const;  // pretty enough to read: one key per line
  static Result<ModelManifest> FromJson(std::string_view json);
  bool operator==(const ModelManifest&) const = default;
};

}  // namespace kappa::inference
