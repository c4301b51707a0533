#include "inference/tree_ensemble.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "inference/xgboost.h"
#include "tests/support/synthetic_booster.h"

namespace kappa::inference {
namespace {

// Rows of uniform noise in [-0.5, 1.5) around the training range, with every
// value missing with probability 1/8.
DenseMatrix Noise(size_t n, size_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-0.5f, 1.5f);
  std::bernoulli_distribution missing(0.125);
  DenseMatrix rows;
  rows.rows = n;
  rows.cols = cols;
  for (size_t i = 0; i < n * cols; ++i) {
    rows.values.push_back(missing(rng) ? std::numeric_limits<float>::quiet_NaN() : uniform(rng));
  }
  return rows;
}

// Expects TreeEnsemble's probabilities bit-identical to XGBoost's on both
// probe rows (every split from both sides) and noise; returns how many rows
// were compared.
size_t ExpectSameAsXgboost(const testing::Trained& trained) {
  auto bytes = trained.booster->Serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto ensemble = TreeEnsemble::FromUbj(*bytes);
  EXPECT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  if (!ensemble.ok()) return 0;
  auto loaded = Booster::Load(*bytes);
  EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE((*loaded)->SetPredictionThreads(1).ok());
  size_t compared = 0;
  for (const DenseMatrix& rows :
       {ensemble->ProbeRows(5000, 1), Noise(5000, ensemble->num_features(), 2)}) {
    std::vector<float> expected;
    const Status predicted =
        (*loaded)->Predict(rows.values.data(), rows.rows, rows.cols, &expected);
    EXPECT_TRUE(predicted.ok()) << predicted.ToString();
    if (!predicted.ok()) return compared;
    std::vector<float> actual(rows.rows);
    ensemble->Predict(rows.values.data(), rows.rows, actual.data());
    size_t differ = 0;
    for (size_t i = 0; i < rows.rows; ++i) {
      if (std::bit_cast<uint32_t>(actual[i]) != std::bit_cast<uint32_t>(expected[i])) {
        if (++differ <= 3) {
          ADD_FAILURE() << "row " << i << ": " << actual[i] << " vs XGBoost's " << expected[i];
        }
      }
    }
    EXPECT_EQ(differ, 0u);
    compared += rows.rows;
  }
  return compared;
}

TEST(TreeEnsembleTest, PredictsExactlyWhatXgboostPredicts) {
  EXPECT_EQ(ExpectSameAsXgboost(testing::Train(30, {})), 10000u);
}

TEST(TreeEnsembleTest, DeepTreesOfUnequalDepth) {
  // max_depth 6 on 400 rows: leaves at many depths.
  ExpectSameAsXgboost(testing::Train(20, {{"max_depth", "6"}}));
}

TEST(TreeEnsembleTest, PrunedTreesWithDeletedNodes) {
  // The exact method with gamma prunes, leaving deleted nodes in the arrays.
  ExpectSameAsXgboost(
      testing::Train(8, {{"tree_method", "exact"}, {"max_depth", "4"}, {"gamma", "2"}}));
}

TEST(TreeEnsembleTest, BaseScoreOtherThanOneHalf) {
  ExpectSameAsXgboost(testing::Train(10, {{"base_score", "0.2"}}));
}

TEST(TreeEnsembleTest, ForestOfParallelTrees) {
  ExpectSameAsXgboost(
      testing::Train(3, {{"num_parallel_tree", "4"}, {"subsample", "0.8"}, {"max_depth", "3"}}));
}

TEST(TreeEnsembleTest, ManyRoundsOfSmallSteps) {
  ExpectSameAsXgboost(testing::Train(200, {{"eta", "0.05"}, {"max_depth", "4"}}));
}

TEST(TreeEnsembleTest, ProbeRowsUseTheModelsThresholds) {
  auto bytes = testing::TrainedBytes(5, {});
  auto ensemble = TreeEnsemble::FromUbj(bytes);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  EXPECT_EQ(ensemble->num_trees(), 5u);
  const std::vector<float> x0 = ensemble->Thresholds(0);
  ASSERT_FALSE(x0.empty());  // x0 decides the label
  EXPECT_TRUE(std::is_sorted(x0.begin(), x0.end()));
  const DenseMatrix rows = ensemble->ProbeRows(200, 7);
  size_t at_threshold = 0;
  size_t missing = 0;
  for (size_t i = 0; i < rows.rows; ++i) {
    const float v = rows.row(i)[0];
    if (std::isnan(v)) {
      ++missing;
    } else if (std::binary_search(x0.begin(), x0.end(), v)) {
      ++at_threshold;
    } else {
      // Otherwise the float just below a threshold.
      EXPECT_TRUE(std::binary_search(x0.begin(), x0.end(), std::nextafter(v, 2.0f))) << v;
    }
  }
  EXPECT_GT(at_threshold, 0u);
  EXPECT_GT(missing, 0u);
}

TEST(TreeEnsembleTest, RefusesBytesThatAreNoCheckedBooster) {
  std::string bytes = testing::TrainedBytes(3, {});
  bytes.resize(bytes.size() / 2);
  auto ensemble = TreeEnsemble::FromUbj(bytes);
  ASSERT_FALSE(ensemble.ok());
  EXPECT_EQ(ensemble.status().code(), StatusCode::kCorruption);
}

TEST(TreeEnsembleTest, RefusesObjectivesOtherThanBinaryLogistic) {
  auto ensemble =
      TreeEnsemble::FromUbj(testing::TrainedBytes(3, {{"objective", "reg:squarederror"}}));
  ASSERT_FALSE(ensemble.ok());
  EXPECT_EQ(ensemble.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ensemble.status().message().find("reg:squarederror"), std::string::npos)
      << ensemble.status().message();
}

}  // namespace
}  // namespace kappa::inference
