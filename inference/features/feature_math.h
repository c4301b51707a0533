// Small helpers shared by feature sets: the statistics Fit() computes and the
// parameter lookup Bind() needs. Internal to inference/features.
#pragma once

#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "inference/feature_set.h"

namespace kappa::inference::features {

inline constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// Median of `values` (sorted in place); `fallback` when empty.
double Median(std::vector<double>& values, double fallback);

// Mean and (population) standard deviation; std falls back to 1 when it is 0
// or undefined, so standardizing never divides by zero.
struct MeanStd {
  double mean = 0;
  double std = 1;
};
MeanStd ComputeMeanStd(std::span<const double> values);

// The parameter `key` of a manifest; Corruption when absent or not finite.
Result<double> RequireParam(const FeatureParams& params, const std::string& key);

// (x - mean) / std as float.
inline float Standardize(double x, const MeanStd& s) {
  return static_cast<float>((x - s.mean) / s.std);
}

}  // namespace kappa::inference::features
