#include "inference/xgboost.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kappa::inference {
namespace {

constexpr size_t kCols = 4;
constexpr size_t kInformative = 0;  // label = x0 > 0.5
constexpr size_t kWithNaNs = 1;     // uniform noise, NaN in every 7th row
constexpr size_t kConstant = 3;     // always 1: no split can use it

struct Split {
  DenseMatrix features;
  std::vector<float> labels;
};

// x0 decides the label; x1 and x2 are noise (x1 partly missing); x3 is
// constant.
Split Synthetic(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  Split s;
  s.features.rows = rows;
  s.features.cols = kCols;
  s.features.values.resize(rows * kCols);
  for (size_t i = 0; i < rows; ++i) {
    float* row = s.features.row(i);
    for (size_t j = 0; j < kCols; ++j) row[j] = uniform(rng);
    if (i % 7 == 0) row[kWithNaNs] = std::numeric_limits<float>::quiet_NaN();
    row[kConstant] = 1.0f;
    s.labels.push_back(row[kInformative] > 0.5f ? 1.0f : 0.0f);
  }
  return s;
}

const std::map<std::string, std::string> kParams = {
    {"objective", "binary:logistic"},
    {"eval_metric", "logloss"},
    {"tree_method", "hist"},
    {"max_depth", "3"},
    {"eta", "0.3"},
    {"seed", "0"},
};

// Owns the matrices a training booster refers to.
struct Trained {
  std::unique_ptr<DMatrix> train;
  std::unique_ptr<DMatrix> valid;
  std::unique_ptr<Booster> booster;
};

Trained Train(int rounds, const Split& train, const Split& valid) {
  Trained t;
  auto train_matrix = DMatrix::Create(train.features, train.labels);
  EXPECT_TRUE(train_matrix.ok()) << train_matrix.status().ToString();
  auto valid_matrix = DMatrix::Create(valid.features, valid.labels);
  EXPECT_TRUE(valid_matrix.ok()) << valid_matrix.status().ToString();
  if (!train_matrix.ok() || !valid_matrix.ok()) return t;
  t.train = std::move(*train_matrix);
  t.valid = std::move(*valid_matrix);
  auto booster = Booster::CreateForTraining(*t.train, *t.valid, kParams);
  EXPECT_TRUE(booster.ok()) << booster.status().ToString();
  if (!booster.ok()) return t;
  t.booster = std::move(*booster);
  for (int i = 0; i < rounds; ++i) {
    const Status s = t.booster->UpdateOneIter(i, *t.train);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return t;
}

class XgboostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    trained_ = Train(10, train_, valid_);
    ASSERT_NE(trained_.booster, nullptr);
  }
  Booster& booster() { return *trained_.booster; }

  std::vector<float> PredictOrDie(const Booster& b, const DenseMatrix& x) {
    std::vector<float> p;
    const Status s = b.Predict(x.values.data(), x.rows, x.cols, &p);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return p;
  }

  std::string SerializeOrDie() {
    auto bytes = booster().Serialize();
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : std::string();
  }

  const Split train_ = Synthetic(400, 1);
  const Split valid_ = Synthetic(200, 2);
  Trained trained_;
};

TEST_F(XgboostTest, PredictSeparatesTheClasses) {
  const Split test = Synthetic(300, 3);
  const std::vector<float> p = PredictOrDie(booster(), test.features);
  ASSERT_EQ(p.size(), test.features.rows);
  int checked = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    // Histogram bins put the learned cut near, not exactly at, 0.5.
    if (std::fabs(test.features.row(i)[kInformative] - 0.5f) < 0.05f) continue;
    ++checked;
    EXPECT_GE(p[i], 0.0f);
    EXPECT_LE(p[i], 1.0f);
    if (test.labels[i] == 1.0f) {
      EXPECT_GT(p[i], 0.8f) << "row " << i;
    } else {
      EXPECT_LT(p[i], 0.2f) << "row " << i;
    }
  }
  EXPECT_GT(checked, 250);
}

TEST_F(XgboostTest, EvalValidReportsFallingLogloss) {
  auto before = booster().EvalValid(9, *trained_.valid);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->count("logloss"), 1u);
  const double loss_after_10 = before->at("logloss");
  EXPECT_GT(loss_after_10, 0.0);
  EXPECT_LT(loss_after_10, 0.2);

  ASSERT_TRUE(booster().UpdateOneIter(10, *trained_.train).ok());
  auto after = booster().EvalValid(10, *trained_.valid);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->size(), 1u);
  EXPECT_LT(after->at("logloss"), loss_after_10);
}

TEST_F(XgboostTest, SerializeLoadPredictGivesIdenticalFloats) {
  const std::string bytes = SerializeOrDie();
  ASSERT_FALSE(bytes.empty());
  auto loaded = Booster::Load(bytes);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();

  const Split test = Synthetic(100, 4);
  const std::vector<float> original = PredictOrDie(booster(), test.features);
  const std::vector<float> reloaded = PredictOrDie(**loaded, test.features);
  ASSERT_EQ(original.size(), 100u);
  EXPECT_EQ(original, reloaded);  // bit-identical, not approximately equal

  auto again = (*loaded)->Serialize();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, bytes);
}

TEST_F(XgboostTest, SerializeIsDeterministic) { EXPECT_EQ(SerializeOrDie(), SerializeOrDie()); }

TEST(XgboostLoadTest, GarbageIsCorruption) {
  std::mt19937 rng(5);
  std::string random(777, '\0');
  for (char& c : random) c = static_cast<char>(rng());
  const std::vector<std::string> inputs = {
      "",
      "garbage",
      "{",
      "{}",
      R"({"learner": {}})",
      std::string(1024, '\xff'),
      std::string(1024, '\0'),
      random,
      "{L" + random,
  };
  for (const std::string& input : inputs) {
    auto loaded = Booster::Load(input);
    ASSERT_FALSE(loaded.ok()) << "input of " << input.size() << " bytes loaded";
    EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption) << loaded.status().ToString();
  }
}

// XGBoost 1.7.4 crashes on these (it trusts lengths); Load must not hand
// them over.
TEST_F(XgboostTest, EveryTruncationOfAModelIsCorruption) {
  const std::string bytes = SerializeOrDie();
  ASSERT_GT(bytes.size(), 100u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto loaded = Booster::Load(std::string_view(bytes).substr(0, n));
    ASSERT_FALSE(loaded.ok()) << "a prefix of " << n << " bytes loaded";
    ASSERT_EQ(loaded.status().code(), StatusCode::kCorruption) << loaded.status().ToString();
  }
}

TEST_F(XgboostTest, HugeLengthFieldIsCorruption) {
  std::string bytes = SerializeOrDie();
  // "{L" then the first key's length as a big-endian int64: make it ~2^62.
  ASSERT_EQ(bytes.substr(0, 2), "{L");
  bytes[2] = 0x40;
  auto loaded = Booster::Load(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("byte"), std::string::npos) << loaded.status().message();
}

TEST(XgboostLoadTest, DeepNestingIsCorruption) {
  // A valid key "a" whose value nests 100000 arrays: would overflow
  // XGBoost's recursive reader.
  std::string bytes(
      "{L\0\0\0\0\0\0\0\x01"
      "a",
      11);
  bytes += std::string(100000, '[');
  auto loaded = Booster::Load(bytes);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("nested"), std::string::npos)
      << loaded.status().message();
}

TEST(XgboostDMatrixTest, LabelCountMustMatchRows) {
  const Split s = Synthetic(10, 6);
  const std::vector<float> nine(9, 0.0f);
  auto matrix = DMatrix::Create(s.features, nine);
  ASSERT_FALSE(matrix.ok());
  EXPECT_EQ(matrix.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(matrix.status().message().find("9 labels for 10 rows"), std::string::npos)
      << matrix.status().message();

  EXPECT_TRUE(DMatrix::Create(s.features, {}).ok());  // prediction-only
  EXPECT_TRUE(DMatrix::Create(s.features, s.labels).ok());
}

TEST(XgboostDMatrixTest, ValueCountMustMatchShape) {
  Split s = Synthetic(10, 6);
  s.features.values.pop_back();
  auto matrix = DMatrix::Create(s.features, s.labels);
  ASSERT_FALSE(matrix.ok());
  EXPECT_EQ(matrix.status().code(), StatusCode::kInvalidArgument);
}

class XgboostParamTest : public ::testing::Test {
 protected:
  Status Create(const std::string& name, const std::string& value) {
    std::map<std::string, std::string> params = kParams;
    params[name] = value;
    auto booster = Booster::CreateForTraining(*train_, *train_, params);
    return booster.status();
  }
  const Split split_ = Synthetic(50, 7);
  std::unique_ptr<DMatrix> train_ =
      std::move(DMatrix::Create(split_.features, split_.labels)).value();
};

TEST_F(XgboostParamTest, NonNumericMaxDepthIsInvalidArgument) {
  const Status s = Create("max_depth", "abc");
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("max_depth"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find('\n'), std::string::npos) << "one line: " << s.message();
}

TEST_F(XgboostParamTest, UnknownObjectiveIsInvalidArgument) {
  const Status s = Create("objective", "binary:nope");
  ASSERT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("binary:nope"), std::string::npos) << s.message();
}

TEST_F(XgboostParamTest, ValidParametersAreAccepted) {
  const Status s = Create("max_depth", "5");
  EXPECT_TRUE(s.ok()) << s.ToString();
}

TEST_F(XgboostTest, NumFeaturesAndBoostedRounds) {
  auto features = booster().NumFeatures();
  ASSERT_TRUE(features.ok()) << features.status().ToString();
  EXPECT_EQ(*features, kCols);
  auto rounds = booster().BoostedRounds();
  ASSERT_TRUE(rounds.ok()) << rounds.status().ToString();
  EXPECT_EQ(*rounds, 10);
}

TEST_F(XgboostTest, SliceKeepsTheFirstRounds) {
  auto sliced = booster().Slice(3);
  ASSERT_TRUE(sliced.ok()) << sliced.status().ToString();
  auto rounds = (*sliced)->BoostedRounds();
  ASSERT_TRUE(rounds.ok());
  EXPECT_EQ(*rounds, 3);
  // Fewer rounds of eta 0.3: less confident, so different probabilities.
  const Split test = Synthetic(20, 8);
  EXPECT_NE(PredictOrDie(**sliced, test.features), PredictOrDie(booster(), test.features));

  // A slice of the first 3 rounds equals a booster trained for 3 rounds.
  Trained three = Train(3, train_, valid_);
  ASSERT_NE(three.booster, nullptr);
  EXPECT_EQ((*sliced)->Serialize().value(), three.booster->Serialize().value());

  for (int bad : {0, -1, 11}) {
    auto out_of_range = booster().Slice(bad);
    ASSERT_FALSE(out_of_range.ok()) << bad;
    EXPECT_EQ(out_of_range.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(XgboostTest, FeatureGainFavoursTheInformativeFeature) {
  auto gain = booster().FeatureGain(kCols);
  ASSERT_TRUE(gain.ok()) << gain.status().ToString();
  ASSERT_EQ(gain->size(), kCols);
  EXPECT_GT((*gain)[kInformative], 0.0);
  EXPECT_EQ((*gain)[kConstant], 0.0);
  const double noise = (*gain)[1] + (*gain)[2];
  EXPECT_GT((*gain)[kInformative], 10 * noise);
}

TEST_F(XgboostTest, PredictWithZeroRowsGivesNothing) {
  std::vector<float> out = {1.0f, 2.0f};
  const Status s = booster().Predict(nullptr, 0, kCols, &out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(out.empty());
}

TEST_F(XgboostTest, PredictWithWrongColumnCountFails) {
  const Split test = Synthetic(4, 9);
  std::vector<float> out;
  const Status s = booster().Predict(test.features.values.data(), 2, kCols * 2, &out);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("XGBoosterPredictFromDense"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace kappa::inference
