// TreeEnsemble: the trees of a booster laid out for fast scoring; kappa's
// own predictor for the models it trains (gbtree, binary:logistic, one
// output, numerical splits).
//
// Why: XGBoost's predictor took ~1.0-1.5 us per row for kappa's ~100
// depth-4 trees, a third of `kappa infer`'s scoring thread (perf over
// `scripts/bench infer`), and a node-by-node walk of our own was no faster:
// ~400 dependent steps per row. This is QuickScorer (Lucchese et al., SIGIR
// 2015) over the model's own thresholds:
//  - a feature's thresholds cut its values into bins; the bin of a value
//    decides every split on that feature at once, true or false;
//  - a false split (value >= threshold: go right) rules out the leaves of its
//    left subtree. For each feature, bin and tree, the leaves left possible
//    are precomputed as a bit mask (bit i: the i-th leaf from the left);
//  - a row's leaf in a tree is the leftmost leaf that survives the AND of
//    its features' masks: one binary search per feature, then a few ANDs
//    and a count of trailing zeros per tree, no branch on the data.
// Trees of up to 64 leaves (kappa trains depth 4: 16); the masks take
// 8 bytes x trees x (thresholds + 2) per feature (~60 KB for kappa's models).
//
// The arithmetic is XGBoost 1.7's (CPUPredictor): a row goes left when its
// value < the threshold and its node's default way when the value is missing
// (NaN); the margin is the base margin plus each tree's leaf, added in tree
// order in float; P = 1 / (1 + expf(-margin)). Model::FromArtifact also
// checks, per model, that the predictions are bit-identical to XGBoost's on
// probe rows made from the model's own thresholds, and scores with XGBoost
// when they are not.
//
// Immutable once built; Predict is const and thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/xgboost.h"

namespace kappa::inference {

class TreeEnsemble {
 public:
  // The trees of a serialized booster. Corruption when the bytes fail
  // CheckBoosterStructure (booster_structure.h); InvalidArgument, with the
  // reason, for a booster this predictor does not handle (an objective
  // other than binary:logistic, a tree of more than 64 leaves): score those
  // with XGBoost.
  static Result<TreeEnsemble> FromUbj(std::string_view ubj);

  size_t num_features() const { return num_features_; }
  size_t num_trees() const { return num_trees_; }
  // The split thresholds of feature f, sorted, without repeats.
  const std::vector<float>& Thresholds(size_t feature) const { return thresholds_[feature]; }

  // n rows that test every split from both sides: each value is one of its
  // feature's thresholds, the float just below one, or NaN (missing),
  // drawn with a generator seeded by `seed`. For comparing predictors.
  DenseMatrix ProbeRows(size_t n, uint32_t seed) const;

  // P(class 1) of each row of a dense row-major n_rows x num_features()
  // matrix (NaN = missing) into out[0, n_rows).
  void Predict(const float* rows, size_t n_rows, float* out) const;
  // The same before the sigmoid: base margin + the sum of the leaves.
  void PredictMargin(const float* rows, size_t n_rows, float* out) const;

 private:
  TreeEnsemble() = default;
  // A feature some split uses.
  struct UsedFeature {
    uint32_t feature;
    uint32_t cuts_begin;  // its thresholds: cuts_[cuts_begin, + cuts_count)
    uint32_t cuts_count;
    size_t masks;  // where its bin 0 starts in masks_, in chunks
  };
  // The bin of value x of used feature u: how many of its thresholds are <=
  // x, or thresholds+1 when x is missing (NaN).
  size_t Bin(const UsedFeature& u, float x) const;
  // 16 bytes of masks, ANDed as one (SSE2 or NEON; GCC and Clang vectors).
  using Chunk = uint64_t __attribute__((vector_size(16)));

  template <typename Mask>
  void AddLeaves(const Chunk* survivors, float* margin) const;

  size_t num_features_ = 0;
  size_t num_trees_ = 0;
  float base_margin_ = 0;
  std::vector<std::vector<float>> thresholds_;  // per feature: sorted, unique
  std::vector<UsedFeature> used_;
  std::vector<float> cuts_;  // the used features' thresholds, one after another
  // The masks of one bin: one per tree, mask_bytes_ each (2, 4 or 8: the
  // fewest that hold the largest tree's leaves), padded to whole chunks.
  size_t mask_bytes_ = 0;
  size_t chunks_per_bin_ = 0;
  // From used.masks + bin * chunks_per_bin_: the leaves of each tree still
  // possible for a row whose value of that feature falls in `bin`.
  std::vector<Chunk> masks_;
  std::vector<uint32_t> first_leaf_;  // per tree: where its leaves start in leaf_values_
  std::vector<float> leaf_values_;    // every tree's leaves, left to right
};

}  // namespace kappa::inference
