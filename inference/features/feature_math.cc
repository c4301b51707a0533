#include "inference/features/feature_math.h"

#include <algorithm>

namespace kappa::inference::features {

double Median(std::vector<double>& values, double fallback) {
  if (values.empty()) return fallback;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  const double lower =
      *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

MeanStd ComputeMeanStd(std::span<const double> values) {
  MeanStd s;
  if (values.empty()) return s;
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / static_cast<double>(values.size());
  double sq = 0;
  for (double v : values) sq += (v - s.mean) * (v - s.mean);
  const double std = std::sqrt(sq / static_cast<double>(values.size()));
  s.std = std > 1e-12 ? std : 1.0;
  return s;
}

Result<double> RequireParam(const FeatureParams& params, const std::string& key) {
  const auto it = params.find(key);
  if (it == params.end()) return Status::Corruption("feature parameter '" + key + "' is missing");
  if (!std::isfinite(it->second)) {
    return Status::Corruption("feature parameter '" + key + "' is not a finite number");
  }
  return it->second;
}

}  // namespace kappa::inference::features
