// Small boosters trained by XGBoost on synthetic data, for the tests of what
// reads serialized boosters (booster_structure_test, tree_ensemble_test).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "inference/xgboost.h"

namespace kappa::testing {

constexpr size_t kSyntheticCols = 4;

struct Split {
  inference::DenseMatrix features;
  std::vector<float> labels;
};

// The label depends on x0 and x2 (so that trees of depth 2 are full); x1 is
// noise, missing in every 7th row; x3 is noise.
inline Split Synthetic(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  Split s;
  s.features.rows = rows;
  s.features.cols = kSyntheticCols;
  s.features.values.resize(rows * kSyntheticCols);
  for (size_t i = 0; i < rows; ++i) {
    float* row = s.features.row(i);
    for (size_t j = 0; j < kSyntheticCols; ++j) row[j] = uniform(rng);
    if (i % 7 == 0) row[1] = std::numeric_limits<float>::quiet_NaN();
    s.labels.push_back(row[0] + 0.5f * row[2] > 0.75f ? 1.0f : 0.0f);
  }
  return s;
}

// A booster trained on Synthetic data, with the matrix it refers to.
struct Trained {
  std::unique_ptr<inference::DMatrix> train;
  std::unique_ptr<inference::Booster> booster;
};

// `rounds` rounds of binary:logistic, hist, max_depth 2, eta 0.3 on 400
// Synthetic rows; `extra` adds or overrides XGBoost parameters.
inline Trained Train(int rounds, const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> params = {
      {"objective", "binary:logistic"},
      {"tree_method", "hist"},
      {"max_depth", "2"},
      {"eta", "0.3"},
      {"seed", "0"},
  };
  for (const auto& [key, value] : extra) params[key] = value;
  const Split split = Synthetic(400, 1);
  Trained t;
  auto train = inference::DMatrix::Create(split.features, split.labels);
  EXPECT_TRUE(train.ok()) << train.status().ToString();
  if (!train.ok()) return t;
  t.train = std::move(*train);
  auto booster = inference::Booster::CreateForTraining(*t.train, *t.train, params);
  EXPECT_TRUE(booster.ok()) << booster.status().ToString();
  if (!booster.ok()) return t;
  t.booster = std::move(*booster);
  for (int i = 0; i < rounds; ++i) {
    const Status s = t.booster->UpdateOneIter(i, *t.train);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return t;
}

// Train(), serialized (UBJSON); empty on failure.
inline std::string TrainedBytes(int rounds, const std::map<std::string, std::string>& extra) {
  Trained t = Train(rounds, extra);
  if (t.booster == nullptr) return "";
  auto bytes = t.booster->Serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : "";
}

}  // namespace kappa::testing
