#include "inference/booster_structure.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "inference/xgboost.h"
#include "tests/support/synthetic_booster.h"

namespace kappa::inference {
namespace {

using testing::TrainedBytes;

// A copy of a serialized model to corrupt in place. Values are found with
// ParseUbjModel (its views point into the bytes) and overwritten with bytes
// of the same size, so every other value stays where it was.
class Corrupted {
 public:
  explicit Corrupted(const std::string& model) : bytes_(model) {
    auto doc = ParseUbjModel(bytes_);
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    if (doc.ok()) doc_ = std::move(doc).value();
  }
  Corrupted(const Corrupted&) = delete;  // the views point into bytes_
  Corrupted& operator=(const Corrupted&) = delete;

  const UbjValue& learner() const { return Must(doc_.Find("learner")); }
  const UbjValue& gbtree() const {
    return Must(Must(learner().Find("gradient_booster")).Find("model"));
  }
  size_t num_trees() const { return Must(gbtree().Find("trees")).items.size(); }
  const UbjValue& tree(size_t t) const { return Must(gbtree().Find("trees")).items.at(t); }
  const UbjValue& node_array(size_t t, std::string_view key) const {
    return Must(tree(t).Find(key));
  }
  int64_t node(size_t t, std::string_view key, size_t i) const {
    return node_array(t, key).IntAt(i);
  }

  // Element i of tree t's typed integer array `key` := value.
  void SetNode(size_t t, std::string_view key, size_t i, int64_t value) {
    const UbjValue& array = node_array(t, key);
    const size_t width = array.element_type == 'U' ? 1 : array.element_type == 'l' ? 4 : 8;
    Overwrite(array.text.substr(i * width, width), static_cast<uint64_t>(value));
  }
  // Element i of tree t's float array `key` := value.
  void SetNodeFloat(size_t t, std::string_view key, size_t i, float value) {
    Overwrite(node_array(t, key).text.substr(i * 4, 4), std::bit_cast<uint32_t>(value));
  }
  // A scalar integer (its raw bytes) := value.
  void SetInt(const UbjValue& v, int64_t value) {
    ASSERT_EQ(v.kind, UbjValue::Kind::kInt);
    Overwrite(v.text, static_cast<uint64_t>(value));
  }
  // A string parameter := text of the same length.
  void SetString(const UbjValue& v, std::string_view text) {
    ASSERT_EQ(v.kind, UbjValue::Kind::kString);
    ASSERT_EQ(v.text.size(), text.size()) << "only same-size edits keep the framing";
    bytes_.replace(Offset(v.text), text.size(), text);
  }

  const std::string& bytes() const { return bytes_; }

 private:
  static const UbjValue& Must(const UbjValue* v) {
    EXPECT_NE(v, nullptr);
    static const UbjValue kMissing;
    return v == nullptr ? kMissing : *v;
  }
  size_t Offset(std::string_view view) const {
    return static_cast<size_t>(view.data() - bytes_.data());
  }
  // Writes the low bytes of `value` big-endian over `view`.
  void Overwrite(std::string_view view, uint64_t value) {
    const size_t at = Offset(view);
    for (size_t k = 0; k < view.size(); ++k) {
      bytes_[at + view.size() - 1 - k] = static_cast<char>(value >> (8 * k));
    }
  }

  std::string bytes_;
  UbjValue doc_;
};

// Both the check and Booster::Load refuse `bytes` as Corruption with a
// one-line message containing `reason`.
void ExpectCorrupt(const std::string& bytes, const std::string& reason) {
  const Status s = CheckBoosterStructure(bytes);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(reason), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
  auto loaded = Booster::Load(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_EQ(loaded.status().message(), s.message());
}

class BoosterStructureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = TrainedBytes(6, {});
    ASSERT_FALSE(model_.empty());
    const Status s = CheckBoosterStructure(model_);
    ASSERT_TRUE(s.ok()) << s.ToString();
    // The tests below edit a full tree of depth 2: 0 -> (1, 2), 1 -> (3, 4),
    // 2 -> (5, 6), as the hist updater numbers it.
    Corrupted c(model_);
    for (size_t t = 0; t < c.num_trees(); ++t) {
      if (c.node_array(t, "left_children").count != 7) continue;
      bool full = true;
      for (size_t i = 0; i < 7; ++i) {
        const int64_t left = i < 3 ? static_cast<int64_t>(2 * i + 1) : -1;
        const int64_t right = i < 3 ? static_cast<int64_t>(2 * i + 2) : -1;
        full = full && c.node(t, "left_children", i) == left &&
               c.node(t, "right_children", i) == right;
      }
      if (full) {
        full_tree_ = t;
        break;
      }
    }
    ASSERT_NE(full_tree_, kNone) << "no full tree of depth 2 in the model";
  }

  std::string Tree() const { return "tree " + std::to_string(full_tree_); }

  static constexpr size_t kNone = std::numeric_limits<size_t>::max();
  std::string model_;
  size_t full_tree_ = kNone;
};

TEST_F(BoosterStructureTest, ChildOutOfRange) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "right_children", 2, 99);
  ExpectCorrupt(c.bytes(), Tree() + " node 2: right child 99 out of range (7 nodes)");
}

TEST_F(BoosterStructureTest, ChildPointingAtTheRoot) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "left_children", 1, 0);
  ExpectCorrupt(c.bytes(), Tree() + " node 1: left child 0 out of range (7 nodes)");
}

TEST_F(BoosterStructureTest, OnlyOneChild) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "right_children", 1, -1);
  ExpectCorrupt(c.bytes(), Tree() + " node 1: left child 3 but right child -1");
}

TEST_F(BoosterStructureTest, CycleThroughTheRootsSubtree) {
  // Leaf 3 becomes the parent of its own parent 1: 1 -> 3 -> 1.
  Corrupted c(model_);
  c.SetNode(full_tree_, "left_children", 3, 1);
  c.SetNode(full_tree_, "right_children", 3, 2);
  ExpectCorrupt(c.bytes(), Tree() + " node 1: child of both node 0 and node 3");
}

TEST_F(BoosterStructureTest, DetachedCycle) {
  // The root adopts 5 and 6; 1 and 3 become each other's parent, with 2 and
  // 4 hanging below. Every node has exactly one parent, and parents[]
  // agrees, but 1, 2, 3 and 4 are not reachable from the root.
  Corrupted c(model_);
  const size_t t = full_tree_;
  c.SetNode(t, "left_children", 0, 5);
  c.SetNode(t, "right_children", 0, 6);
  c.SetNode(t, "left_children", 2, -1);
  c.SetNode(t, "right_children", 2, -1);
  c.SetNode(t, "left_children", 3, 1);
  c.SetNode(t, "right_children", 3, 2);
  c.SetNode(t, "parents", 5, 0);
  c.SetNode(t, "parents", 6, 0);
  c.SetNode(t, "parents", 1, 3);
  c.SetNode(t, "parents", 2, 3);
  ExpectCorrupt(c.bytes(),
                Tree() + " node 1: not reachable from the root (its parents form a cycle)");
}

TEST_F(BoosterStructureTest, OrphanNode) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "left_children", 2, -1);
  c.SetNode(full_tree_, "right_children", 2, -1);
  ExpectCorrupt(c.bytes(), Tree() + " node 5: no node has it as a child");
}

TEST_F(BoosterStructureTest, ParentsDisagreeWithChildren) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "parents", 4, 2);
  ExpectCorrupt(c.bytes(), Tree() + " node 4: parents[] says 2 but it is a child of node 1");
}

TEST_F(BoosterStructureTest, ParentOfTheRoot) {
  Corrupted c(model_);
  ASSERT_EQ(c.node(full_tree_, "parents", 0), std::numeric_limits<int32_t>::max());
  c.SetNode(full_tree_, "parents", 0, 3);
  ExpectCorrupt(c.bytes(), Tree() + " node 0: the root has parent 3");
}

TEST_F(BoosterStructureTest, SplitFeatureOutOfRange) {
  // -1 would be the pruner's deleted mark (all 32 bits set).
  for (const int64_t feature : {int64_t{4}, int64_t{1000000}, int64_t{-2}}) {
    Corrupted c(model_);
    c.SetNode(full_tree_, "split_indices", 1, feature);
    ExpectCorrupt(c.bytes(), Tree() + " node 1: split feature " + std::to_string(feature) +
                                 " out of range (num_feature 4)");
  }
}

TEST_F(BoosterStructureTest, ReachableNodeMarkedDeleted) {
  // The pruner's mark: all 31 split-index bits and default_left.
  Corrupted c(model_);
  c.SetNode(full_tree_, "split_indices", 4, std::numeric_limits<int32_t>::max());
  c.SetNode(full_tree_, "default_left", 4, 1);
  ExpectCorrupt(c.bytes(), Tree() + " node 4: marked deleted but is a child of node 1");
}

TEST_F(BoosterStructureTest, NonFiniteLeafValueAndNaNThreshold) {
  {
    Corrupted c(model_);
    c.SetNodeFloat(full_tree_, "split_conditions", 5, std::numeric_limits<float>::infinity());
    ExpectCorrupt(c.bytes(), Tree() + " node 5: leaf value inf is not finite");
  }
  {
    Corrupted c(model_);
    c.SetNodeFloat(full_tree_, "split_conditions", 0, std::numeric_limits<float>::quiet_NaN());
    ExpectCorrupt(c.bytes(), Tree() + " node 0: split condition is NaN");
  }
}

TEST_F(BoosterStructureTest, CategoricalSplit) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "split_type", 0, 1);
  ExpectCorrupt(c.bytes(), Tree() + " node 0: categorical split (split_type 1) is not supported");
}

TEST_F(BoosterStructureTest, DefaultLeftNotABoolean) {
  Corrupted c(model_);
  c.SetNode(full_tree_, "default_left", 3, 7);
  ExpectCorrupt(c.bytes(), Tree() + " node 3: default_left is 7, expected 0 or 1");
}

TEST_F(BoosterStructureTest, ArrayLengthDiffersFromNumNodes) {
  Corrupted c(model_);
  const UbjValue& num_nodes = *c.tree(full_tree_).Find("tree_param")->Find("num_nodes");
  ASSERT_EQ(num_nodes.text, "7");
  c.SetString(num_nodes, "6");
  ExpectCorrupt(c.bytes(), Tree() + ": 'loss_changes' has 7 entries, num_nodes is 6");
}

TEST_F(BoosterStructureTest, NumTreesDiffersFromTrees) {
  Corrupted c(model_);
  const UbjValue& num_trees = *c.gbtree().Find("gbtree_model_param")->Find("num_trees");
  ASSERT_EQ(num_trees.text, "6");
  c.SetString(num_trees, "7");
  ExpectCorrupt(c.bytes(), "gbtree_model_param: num_trees is 7 but there are 6 trees");
}

TEST_F(BoosterStructureTest, TreeIdsOutOfOrder) {
  Corrupted c(model_);
  c.SetInt(*c.tree(1).Find("id"), 0);
  ExpectCorrupt(c.bytes(), "tree 1: id is 0, expected 1");
}

TEST_F(BoosterStructureTest, TreeInfoNamesASecondOutput) {
  Corrupted c(model_);
  c.SetInt(c.gbtree().Find("tree_info")->items.at(2), 1);
  ExpectCorrupt(c.bytes(), "tree_info[2] is not 0 (the model has one output group)");
}

TEST_F(BoosterStructureTest, FeatureCountsDisagree) {
  {
    Corrupted c(model_);
    c.SetString(*c.tree(0).Find("tree_param")->Find("num_feature"), "5");
    ExpectCorrupt(c.bytes(), "tree 0 tree_param: num_feature is 5, expected 4");
  }
  {
    // All trees then disagree with the learner; tree 0 is reported.
    Corrupted c(model_);
    c.SetString(*c.learner().Find("learner_model_param")->Find("num_feature"), "3");
    ExpectCorrupt(c.bytes(), "tree 0 tree_param: num_feature is 4, expected 3");
  }
}

TEST_F(BoosterStructureTest, MoreThanOneOutputPerRow) {
  Corrupted c(model_);
  c.SetString(*c.learner().Find("learner_model_param")->Find("num_class"), "3");
  ExpectCorrupt(c.bytes(), "learner_model_param: num_class is 3, expected 0 to 1");
}

TEST_F(BoosterStructureTest, UnparsableParameter) {
  Corrupted c(model_);
  c.SetString(*c.learner().Find("learner_model_param")->Find("num_feature"), "\n");
  ExpectCorrupt(c.bytes(), "learner_model_param: num_feature '\\x0a' is not an integer");
}

TEST_F(BoosterStructureTest, RenamedKey) {
  // "left_children" -> "left_childrem": XGBoost would read a missing array.
  Corrupted c(model_);
  std::string bytes = c.bytes();
  const size_t at = bytes.find("left_children");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 12] = 'm';
  ExpectCorrupt(bytes, "tree 0: no 'left_children'");
}

TEST(BoosterStructureBoosterTest, DartAndGblinearAreRefused) {
  for (const char* name : {"dart", "gblinear"}) {
    const std::string bytes = TrainedBytes(2, {{"booster", name}});
    ASSERT_FALSE(bytes.empty());
    ExpectCorrupt(bytes, std::string("gradient_booster '") + name + "' is not supported");
  }
}

// Predictions of `booster` on a fixed test set.
std::vector<float> Predictions(const Booster& booster) {
  const testing::Split test = testing::Synthetic(50, 3);
  std::vector<float> p;
  const Status s =
      booster.Predict(test.features.values.data(), test.features.rows, testing::kSyntheticCols, &p);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return p;
}

// A valid model is untouched by the check: it loads, predicts bit-identical
// floats and serializes to the same bytes.
void ExpectLoadsIdentically(const testing::Trained& trained) {
  ASSERT_NE(trained.booster, nullptr);
  auto bytes = trained.booster->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  const Status check = CheckBoosterStructure(*bytes);
  ASSERT_TRUE(check.ok()) << check.ToString();
  auto loaded = Booster::Load(*bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const std::vector<float> original = Predictions(*trained.booster);
  ASSERT_EQ(original.size(), 50u);
  EXPECT_EQ(Predictions(**loaded), original);
  auto again = (*loaded)->Serialize();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *bytes);
}

TEST(BoosterStructureBoosterTest, ValidModelLoadsAndPredictsIdentically) {
  ExpectLoadsIdentically(testing::Train(10, {{"max_depth", "3"}}));
}

TEST(BoosterStructureBoosterTest, PrunedModelWithDeletedNodesLoads) {
  // The exact updater grows, then prunes splits that gain less than gamma:
  // their nodes stay in the arrays, unreachable and marked deleted.
  testing::Trained pruned =
      testing::Train(5, {{"tree_method", "exact"}, {"max_depth", "4"}, {"gamma", "2"}});
  ASSERT_NE(pruned.booster, nullptr);
  auto bytes = pruned.booster->Serialize();
  ASSERT_TRUE(bytes.ok());
  Corrupted c(*bytes);
  int64_t deleted = 0;
  for (size_t t = 0; t < c.num_trees(); ++t) {
    const UbjValue& num_deleted = *c.tree(t).Find("tree_param")->Find("num_deleted");
    deleted += std::stoll(std::string(num_deleted.text));
  }
  ASSERT_GT(deleted, 0) << "the model has no deleted nodes to check";
  ExpectLoadsIdentically(pruned);

  // The deleted count must match the marks.
  for (size_t t = 0; t < c.num_trees(); ++t) {
    const UbjValue& num_deleted = *c.tree(t).Find("tree_param")->Find("num_deleted");
    if (num_deleted.text == "0") continue;
    c.SetString(num_deleted, "0");
    ExpectCorrupt(c.bytes(), "tree " + std::to_string(t) + ": num_deleted is 0 but");
    break;
  }
}

// XGBoost 1.7.4 crashes on many single-bit flips of a model (segfaults in
// the loader, out-of-bounds reads when predicting). Through Booster::Load,
// every flip and every truncation must either be refused or give a model
// that predicts probabilities.
TEST(BoosterStructureBoosterTest, BitFlipsAndTruncationsNeverCrash) {
  const std::string model = TrainedBytes(10, {{"max_depth", "3"}});
  ASSERT_FALSE(model.empty());
  const testing::Split test = testing::Synthetic(8, 4);
  std::mt19937 rng(42);
  constexpr int kFlips = 3000;
  int loaded = 0;
  int refused = 0;
  for (int f = 0; f < kFlips; ++f) {
    std::string bytes = model;
    const size_t bit = rng() % (bytes.size() * 8);
    bytes[bit / 8] = static_cast<char>(bytes[bit / 8] ^ (1 << (bit % 8)));
    auto booster = Booster::Load(bytes);
    if (!booster.ok()) {
      ASSERT_EQ(booster.status().code(), StatusCode::kCorruption)
          << "bit " << bit << ": " << booster.status().ToString();
      ++refused;
      continue;
    }
    ++loaded;
    std::vector<float> p;
    const Status s = (*booster)->Predict(test.features.values.data(), test.features.rows,
                                         testing::kSyntheticCols, &p);
    ASSERT_TRUE(s.ok()) << "bit " << bit << ": " << s.ToString();
    ASSERT_EQ(p.size(), test.features.rows);
    for (const float v : p) ASSERT_TRUE(v >= 0.0f && v <= 1.0f) << "bit " << bit << ": " << v;
  }
  RecordProperty("flips_loaded", loaded);
  RecordProperty("flips_refused", refused);
  // Most flips hit tree data; some (in split thresholds, leaf values, node
  // statistics) leave a usable model.
  EXPECT_GT(loaded, 0);
  EXPECT_GT(refused, kFlips / 2);

  for (size_t n = 0; n < model.size(); ++n) {
    auto booster = Booster::Load(std::string_view(model).substr(0, n));
    ASSERT_FALSE(booster.ok()) << "a prefix of " << n << " bytes loaded";
    ASSERT_EQ(booster.status().code(), StatusCode::kCorruption) << booster.status().ToString();
  }
}

}  // namespace
}  // namespace kappa::inference
