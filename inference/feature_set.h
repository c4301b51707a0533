// FeatureSet: a named, versioned piece of feature logic: how a passenger
// event becomes a row of model inputs.
//
// Training and inference use the same object, selected by the name in the
// model manifest, so no feature code is written twice:
//   training:  params = set.Fit(training events)      (stored in the manifest)
//              transform = set.Bind(params); transform->Apply(event, row)
//   inference: transform = set.Bind(manifest params);  transform->Apply(...)
//
// Fit() computes everything learned from data (means, deviations,
// imputation values, category modes) as named numbers (FeatureParams), so
// Bind(params) reproduces training-time features exactly.
//
// To add a feature set, write one file in inference/features/ (see
// titanic_v2.cc) and add it to the table in inference/feature_set.cc.
//
// FeatureSet objects are immutable singletons; FeatureTransform objects are
// immutable after Bind(): both are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "stream/passenger_event.h"

namespace kappa::inference {

// Fitted parameters, by name ("age_mean" -> 29.7).
using FeatureParams = std::map<std::string, double>;

// A feature set bound to fitted parameters.
class FeatureTransform {
 public:
  virtual ~FeatureTransform() = default;
  // Writes one row of width() floats for `event` (NaN = missing, which
  // XGBoost routes natively; most sets impute instead).
  virtual void Apply(const stream::PassengerEvent& event, float* row) const = 0;
  virtual size_t width() const = 0;
};

class FeatureSet {
 public:
  virtual ~FeatureSet() = default;
  // "titanic-v1"
  virtual std::string_view name() const = 0;
  // One line for `kappa models`/README.
  virtual std::string_view description() const = 0;
  // Column names, in row order.
  virtual const std::vector<std::string>& feature_names() const = 0;
  // Learns the parameters from training events (only the training split).
  // Must not fail: with no usable values it falls back to documented defaults.
  virtual FeatureParams Fit(std::span<const stream::PassengerEvent> events) const = 0;
  // Binds parameters; Corruption naming the missing/invalid parameter when
  // `params` does not fit this set (e.g. a tampered manifest).
  virtual Result<std::unique_ptr<FeatureTransform>> Bind(const FeatureParams& params) const = 0;
};

// The feature set called `name`, or nullptr when this build has none.
const FeatureSet* FindFeatureSet(std::string_view name);
// Every feature set this build knows, in the order they were added.
std::span<const FeatureSet* const> AllFeatureSets();
// "titanic-v1, titanic-v2" (for error messages).
std::string KnownFeatureSetNames();
// FindFeatureSet, or a clear InvalidArgument listing the known names.
Result<const FeatureSet*> RequireFeatureSet(std::string_view name);

inline constexpr std::string_view kDefaultFeatureSet = "titanic-v1";

}  // namespace kappa::inference
