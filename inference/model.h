// Model: one verified model version, ready to score passengers: its
// manifest, its feature transform and its booster.
//
// FromArtifact() is the only way to get one, and it refuses anything it
// cannot trust: a booster whose sha256 differs from the manifest, a feature
// set this build does not know, feature parameters that do not fit the set,
// an unreadable booster, a booster with the wrong number of inputs, or a
// booster whose smoke prediction is not a probability.
//
// Thread-safety: Features and Predict are const and may be called from
// several threads at once; Score reuses a buffer and is for one thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "inference/feature_set.h"
#include "inference/model_manifest.h"
#include "inference/model_signature.h"
#include "inference/tree_ensemble.h"
#include "inference/xgboost.h"
#include "stream/passenger_event.h"

namespace kappa::inference {

class Model {
 public:
  static Result<std::unique_ptr<Model>> FromArtifact(ModelManifest manifest,
                                                     std::string booster_ubj);

  const ModelManifest& manifest() const { return manifest_; }
  int version() const { return manifest_.version; }
  const FeatureSet& feature_set() const { return *feature_set_; }
  const FeatureTransform& transform() const { return *transform_; }
  const Booster& booster() const { return *booster_; }
  // True when Score uses kappa's TreeEnsemble (tree_ensemble.h), verified
  // against XGBoost's predictor on this model; false when XGBoost scores.
  bool fast_predictor() const { return fast_predictor_.has_value(); }
  const std::string& booster_bytes() const { return booster_ubj_; }

  // The feature rows of `events` (events.size() x width, row-major).
  void Features(std::span<const stream::PassengerEvent> events, DenseMatrix* out) const;
  // P(survived = 1) for each row made by Features; out is resized.
  Status Predict(const DenseMatrix& rows, std::vector<float>* out) const;
  // P(survived = 1) for each event: Features, then Predict.
  Status Score(std::span<const stream::PassengerEvent> events, std::vector<float>* probabilities);

 private:
  Model() = default;
  ModelManifest manifest_;
  std::string booster_ubj_;
  const FeatureSet* feature_set_ = nullptr;
  std::unique_ptr<FeatureTransform> transform_;
  std::unique_ptr<Booster> booster_;
  std::optional<TreeEnsemble> fast_predictor_;
  // XGBoost's predictor, when it scores (not fast_predictor_), is called by
  // one thread at a time.
  mutable std::mutex booster_mutex_;
  DenseMatrix rows_;  // reused by Score
};

// The models-topic message: the manifest and the booster in one value, so an
// inference instance on another machine needs no shared disk.
//   "KAPPA-MODEL 1\n" <manifest byte length> "\n" <manifest JSON> <model.ubj bytes>
// The signature (model_signature.h), when there is one, travels in a header.
std::string EncodeModelMessage(std::string_view manifest_json, std::string_view booster_ubj);
std::string EncodeModelMessage(const ModelManifest& manifest, std::string_view booster_ubj);
struct ModelMessage {
  ModelManifest manifest;
  std::string booster_ubj;
};
// Corruption when the framing or the manifest is malformed (the booster
// itself is verified by Model::FromArtifact). With a `key`, also when the
// manifest does not carry key's `signature` (checked before it is parsed;
// see ParseManifest); without one, `signature` is ignored.
Result<ModelMessage> DecodeModelMessage(std::string_view value, const ModelKey* key = nullptr,
                                        std::string_view signature = {});

}  // namespace kappa::inference
