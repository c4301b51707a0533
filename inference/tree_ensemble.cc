#include "inference/tree_ensemble.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "inference/booster_structure.h"

namespace kappa::inference {
namespace {

// Rows scored together: their sums over the trees are independent, so the
// CPU overlaps the additions (each has to wait for the previous one of its
// row, in tree order).
constexpr size_t kBlock = 8;
constexpr size_t kMaxLeaves = 64;
// Larger mask tables are refused (XGBoost scores such models).
constexpr size_t kMaxMaskBytes = size_t{64} << 20;

const UbjValue* Path(const UbjValue& doc, std::initializer_list<std::string_view> keys) {
  const UbjValue* v = &doc;
  for (std::string_view key : keys) {
    if (v == nullptr) return nullptr;
    v = v->Find(key);
  }
  return v;
}

// XGBoost writes learner parameters as strings ("5E-1", "6").
template <typename T>
T ParamValue(const UbjValue& params, std::string_view key) {
  const std::string_view text = params.Find(key)->text;
  T value{};
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// One tree as read: its splits, and where each node's leaves start when the
// leaves are numbered from the left.
struct ReadTree {
  struct Split {
    uint32_t feature;
    float threshold;
    bool missing_left;
    uint32_t left_leaves_begin;  // the leaves of the left subtree: [begin, end)
    uint32_t left_leaves_end;
  };
  std::vector<Split> splits;
  std::vector<float> leaves;  // left to right
};

ReadTree ReadOneTree(const UbjValue& tree) {
  const UbjValue& left = *tree.Find("left_children");
  const UbjValue& right = *tree.Find("right_children");
  const UbjValue& feature = *tree.Find("split_indices");
  const UbjValue& condition = *tree.Find("split_conditions");
  const UbjValue& default_left = *tree.Find("default_left");
  ReadTree out;
  // Depth first, left before right, with an explicit stack (a hostile
  // model's tree may be a chain as long as it has nodes). A node's first
  // leaf is the number of leaves seen when it is reached; so the leaves of
  // a node's left subtree are [first leaf of left child, of right child).
  std::vector<uint32_t> first_leaf(left.count, 0);
  std::vector<size_t> stack = {0};
  while (!stack.empty()) {
    const size_t node = stack.back();
    stack.pop_back();
    first_leaf[node] = static_cast<uint32_t>(out.leaves.size());
    if (left.IntAt(node) == -1) {
      out.leaves.push_back(condition.FloatAt(node));  // a leaf's value
      continue;
    }
    stack.push_back(static_cast<size_t>(right.IntAt(node)));
    stack.push_back(static_cast<size_t>(left.IntAt(node)));
  }
  for (size_t node = 0; node < left.count; ++node) {
    const int64_t l = left.IntAt(node);
    if (l == -1) continue;  // a leaf, or a node the pruner deleted
    out.splits.push_back({static_cast<uint32_t>(feature.IntAt(node)), condition.FloatAt(node),
                          default_left.IntAt(node) != 0, first_leaf[static_cast<size_t>(l)],
                          first_leaf[static_cast<size_t>(right.IntAt(node))]});
  }
  return out;
}

}  // namespace

Result<TreeEnsemble> TreeEnsemble::FromUbj(std::string_view ubj) {
  // Everything read below is what this check guarantees (Booster::Load ran
  // it too; checking again keeps this safe on its own, at load time only).
  auto doc = ParseUbjModel(ubj);
  if (!doc.ok()) return doc.status();
  KAPPA_RETURN_IF_ERROR(CheckBoosterStructure(*doc));
  const UbjValue* objective = Path(*doc, {"learner", "objective", "name"});
  if (objective == nullptr || objective->text != "binary:logistic") {
    return Status::InvalidArgument(
        fmt::format("objective '{}' is not binary:logistic",
                    objective == nullptr ? std::string_view("?") : objective->text));
  }
  const UbjValue& mparam = *Path(*doc, {"learner", "learner_model_param"});
  const auto base_score = ParamValue<float>(mparam, "base_score");
  if (!(base_score > 0.0f && base_score < 1.0f)) {
    return Status::InvalidArgument(
        fmt::format("base_score {} is not a probability in (0, 1)", base_score));
  }
  TreeEnsemble e;
  // LogisticClassification::ProbToMargin, in float as XGBoost computes it.
  e.base_margin_ = -std::log(1.0f / base_score - 1.0f);
  e.num_features_ = ParamValue<size_t>(mparam, "num_feature");

  std::vector<ReadTree> trees;
  for (const UbjValue& tree :
       Path(*doc, {"learner", "gradient_booster", "model", "trees"})->items) {
    trees.push_back(ReadOneTree(tree));
    if (trees.back().leaves.size() > kMaxLeaves) {
      return Status::InvalidArgument(fmt::format("tree {} has {} leaves (more than {})",
                                                 trees.size() - 1, trees.back().leaves.size(),
                                                 kMaxLeaves));
    }
  }
  e.num_trees_ = trees.size();

  e.thresholds_.resize(e.num_features_);
  for (const ReadTree& tree : trees) {
    for (const auto& split : tree.splits) e.thresholds_[split.feature].push_back(split.threshold);
  }
  size_t max_leaves = 1;
  for (const ReadTree& tree : trees) max_leaves = std::max(max_leaves, tree.leaves.size());
  e.mask_bytes_ = max_leaves <= 16 ? 2 : max_leaves <= 32 ? 4 : 8;
  e.chunks_per_bin_ = (e.num_trees_ * e.mask_bytes_ + sizeof(Chunk) - 1) / sizeof(Chunk);
  size_t chunks = 0;
  for (uint32_t f = 0; f < e.num_features_; ++f) {
    auto& cuts = e.thresholds_[f];
    std::sort(cuts.begin(), cuts.end());
    cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
    if (cuts.empty()) continue;
    e.used_.push_back(
        {f, static_cast<uint32_t>(e.cuts_.size()), static_cast<uint32_t>(cuts.size()), chunks});
    e.cuts_.insert(e.cuts_.end(), cuts.begin(), cuts.end());
    chunks += (cuts.size() + 2) * e.chunks_per_bin_;  // bins 0..size, and missing
  }
  if (chunks * sizeof(Chunk) > kMaxMaskBytes) {
    return Status::InvalidArgument(fmt::format("its split masks would take {} bytes (more than {})",
                                               chunks * sizeof(Chunk), kMaxMaskBytes));
  }
  // All ones: every leaf possible, in padding too.
  e.masks_.assign(chunks, Chunk{} - 1);
  std::vector<size_t> used_index(e.num_features_);
  for (size_t u = 0; u < e.used_.size(); ++u) used_index[e.used_[u].feature] = u;

  auto* bytes = reinterpret_cast<unsigned char*>(e.masks_.data());
  for (size_t t = 0; t < trees.size(); ++t) {
    e.first_leaf_.push_back(static_cast<uint32_t>(e.leaf_values_.size()));
    e.leaf_values_.insert(e.leaf_values_.end(), trees[t].leaves.begin(), trees[t].leaves.end());
    for (const auto& split : trees[t].splits) {
      const std::vector<float>& cuts = e.thresholds_[split.feature];
      const size_t missing_bin = cuts.size() + 1;
      const auto i = static_cast<size_t>(
          std::lower_bound(cuts.begin(), cuts.end(), split.threshold) - cuts.begin());
      const uint32_t width = split.left_leaves_end - split.left_leaves_begin;
      const uint64_t left_leaves = (width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1)
                                   << split.left_leaves_begin;
      const size_t first = e.used_[used_index[split.feature]].masks * sizeof(Chunk);
      // Little-endian, mask_bytes_ wide: clears the left subtree's leaves
      // from the mask of tree t in one bin.
      auto rule_out = [&](size_t bin) {
        unsigned char* mask =
            bytes + first + bin * e.chunks_per_bin_ * sizeof(Chunk) + t * e.mask_bytes_;
        for (size_t k = 0; k < e.mask_bytes_; ++k) {
          mask[k] &= static_cast<unsigned char>(~(left_leaves >> (8 * k)));
        }
      };
      // A value in bin b is >= cuts[b-1]: the split is false (go right) for
      // every bin above i.
      for (size_t b = i + 1; b < missing_bin; ++b) rule_out(b);
      if (!split.missing_left) rule_out(missing_bin);
    }
  }
  return e;
}

size_t TreeEnsemble::Bin(const UsedFeature& u, float x) const {
  const float* cuts = cuts_.data() + u.cuts_begin;
  if (std::isnan(x)) return u.cuts_count + 1;
  if (u.cuts_count <= 16) {
    // Few thresholds (a class, a count): counting is cheaper than searching.
    size_t bin = 0;
    for (uint32_t i = 0; i < u.cuts_count; ++i) bin += cuts[i] <= x ? 1 : 0;
    return bin;
  }
  // upper_bound without a branch on the data (which would mispredict about
  // every other step): the answer stays in [at, at + len].
  const float* at = cuts;
  size_t len = u.cuts_count;
  while (len > 1) {
    const size_t half = len / 2;
    at += at[half - 1] <= x ? half : 0;
    len -= half;
  }
  return static_cast<size_t>(at - cuts) + (at[0] <= x ? 1 : 0);
}

DenseMatrix TreeEnsemble::ProbeRows(size_t n, uint32_t seed) const {
  std::vector<std::vector<float>> values(num_features_);
  for (size_t f = 0; f < num_features_; ++f) {
    for (float t : thresholds_[f]) {
      values[f].push_back(t);
      values[f].push_back(std::nextafter(t, -std::numeric_limits<float>::infinity()));
    }
    values[f].push_back(std::numeric_limits<float>::quiet_NaN());
  }
  std::mt19937 rng(seed);
  DenseMatrix rows;
  rows.rows = n;
  rows.cols = num_features_;
  rows.values.resize(n * num_features_);
  for (size_t i = 0; i < n; ++i) {
    for (size_t f = 0; f < num_features_; ++f) {
      std::uniform_int_distribution<size_t> pick(0, values[f].size() - 1);
      rows.row(i)[f] = values[f][pick(rng)];
    }
  }
  return rows;
}

namespace {

// The index of the lowest set bit of a mask that has one: the exit leaf
// is never ruled out, so no mask of a real tree is zero.
template <typename Mask>
int LowestBit(Mask m) {
  if constexpr (sizeof(Mask) <= sizeof(unsigned)) {
    return __builtin_ctz(static_cast<unsigned>(m));
  } else {
    return __builtin_ctzll(static_cast<unsigned long long>(m));
  }
}

}  // namespace

template <typename Mask>
void TreeEnsemble::AddLeaves(const Chunk* survivors, float* margin) const {
  const auto* bytes = reinterpret_cast<const unsigned char*>(survivors);
  const size_t row_bytes = chunks_per_bin_ * sizeof(Chunk);
  // A whole block every time (a short last block repeats its last row), so
  // that the compiler unrolls the rows and keeps the margins in registers.
  for (size_t t = 0; t < num_trees_; ++t) {
    const float* leaves = &leaf_values_[first_leaf_[t]];
#pragma GCC unroll 8
    for (size_t r = 0; r < kBlock; ++r) {
      Mask alive;
      std::memcpy(&alive, bytes + r * row_bytes + t * sizeof(Mask), sizeof(Mask));
      margin[r] += leaves[LowestBit(alive)];  // the leftmost survivor
    }
  }
}

void TreeEnsemble::PredictMargin(const float* rows, size_t n_rows, float* out) const {
  const size_t chunks = chunks_per_bin_;
  // Per row of a block: the surviving leaves of every tree. With no split
  // at all, every tree is one leaf and all ones says so.
  std::vector<Chunk> survivors(kBlock * chunks, Chunk{} - 1);
  for (size_t start = 0; start < n_rows; start += kBlock) {
    const size_t n = std::min(kBlock, n_rows - start);
    for (size_t r = 0; r < kBlock; ++r) {
      const float* row = rows + (start + std::min(r, n - 1)) * num_features_;
      Chunk* alive = &survivors[r * chunks];
      for (size_t u = 0; u < used_.size(); ++u) {
        const UsedFeature& used = used_[u];
        const Chunk* masks = &masks_[used.masks + Bin(used, row[used.feature]) * chunks];
        if (u == 0) {
          std::copy_n(masks, chunks, alive);
        } else {
          for (size_t c = 0; c < chunks; ++c) alive[c] &= masks[c];
        }
      }
    }
    float margin[kBlock];
    std::fill_n(margin, kBlock, base_margin_);
    switch (mask_bytes_) {
      case 2:
        AddLeaves<uint16_t>(survivors.data(), margin);
        break;
      case 4:
        AddLeaves<uint32_t>(survivors.data(), margin);
        break;
      default:
        AddLeaves<uint64_t>(survivors.data(), margin);
    }
    std::copy_n(margin, n, out + start);
  }
}

void TreeEnsemble::Predict(const float* rows, size_t n_rows, float* out) const {
  PredictMargin(rows, n_rows, out);
  // common::Sigmoid of XGBoost 1.7.
  for (size_t i = 0; i < n_rows; ++i) out[i] = 1.0f / (1.0f + std::exp(-out[i]));
}

}  // namespace kappa::inference
