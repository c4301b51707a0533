#include "training/fitting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "training/evaluation.h"

namespace kappa::training {
namespace {

constexpr size_t kCols = 3;

// label = x0 > 0.5, flipped with probability `noise`; x1, x2 are noise.
Dataset Synthetic(size_t rows, uint32_t seed, double noise) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::bernoulli_distribution flip(noise);
  Dataset d;
  d.features.rows = rows;
  d.features.cols = kCols;
  d.features.values.resize(rows * kCols);
  for (size_t i = 0; i < rows; ++i) {
    float* row = d.features.row(i);
    for (size_t j = 0; j < kCols; ++j) row[j] = uniform(rng);
    const bool label = (row[0] > 0.5f) != flip(rng);
    d.labels.push_back(label ? 1.0f : 0.0f);
  }
  return d;
}

// Deep trees with a large step on noisy labels: the model memorizes the
// noise within a few rounds, so the validation loss turns upward.
FitOptions Overfitting() {
  FitOptions o;
  o.params["max_depth"] = "8";
  o.params["eta"] = "0.5";
  o.max_rounds = 200;
  o.early_stopping_rounds = 5;
  return o;
}

FitResult FitOrDie(const Dataset& train, const Dataset& valid, const FitOptions& options,
                   std::vector<FitProgress>* progress = nullptr) {
  auto fit = FitBooster(train, valid, options, [&](const FitProgress& p) {
    if (progress != nullptr) progress->push_back(p);
  });
  EXPECT_TRUE(fit.ok()) << fit.status().ToString();
  return fit.ok() ? std::move(fit).value() : FitResult{};
}

std::string Bytes(const FitResult& fit) {
  if (fit.booster == nullptr) return {};
  auto bytes = fit.booster->Serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return bytes.ok() ? *bytes : std::string();
}

TEST(FittingTest, EarlyStoppingKeepsTheBestRound) {
  const Dataset train = Synthetic(300, 1, 0.2);
  const Dataset valid = Synthetic(200, 2, 0.2);
  const FitOptions options = Overfitting();
  std::vector<FitProgress> progress;
  const FitResult fit = FitOrDie(train, valid, options, &progress);
  ASSERT_NE(fit.booster, nullptr);

  EXPECT_LT(fit.rounds_trained, options.max_rounds);
  EXPECT_GT(fit.best_rounds, 1);  // so that trimming is tested, not just round 1
  // Stopped because of patience: exactly that many rounds past the best.
  EXPECT_EQ(fit.rounds_trained - fit.best_rounds, options.early_stopping_rounds);
  EXPECT_EQ(fit.booster->BoostedRounds().value(), fit.best_rounds);
  EXPECT_GE(fit.seconds, 0.0);

  // One progress call per round; the kept round has the lowest loss, and no
  // later round beat it.
  ASSERT_EQ(progress.size(), static_cast<size_t>(fit.rounds_trained));
  for (size_t i = 0; i < progress.size(); ++i) {
    EXPECT_EQ(progress[i].round, static_cast<int>(i) + 1);
    EXPECT_EQ(progress[i].max_rounds, options.max_rounds);
  }
  const auto best = std::min_element(
      progress.begin(), progress.end(),
      [](const FitProgress& a, const FitProgress& b) { return a.valid_logloss < b.valid_logloss; });
  EXPECT_EQ(best->round, fit.best_rounds);
  EXPECT_EQ(best->valid_logloss, fit.best_valid_logloss);
  EXPECT_GT(progress.back().valid_logloss, fit.best_valid_logloss);
}

TEST(FittingTest, ReportedLoglossMatchesTheKeptModel) {
  const Dataset train = Synthetic(300, 1, 0.2);
  const Dataset valid = Synthetic(200, 2, 0.2);
  const FitResult fit = FitOrDie(train, valid, Overfitting());
  ASSERT_NE(fit.booster, nullptr);
  std::vector<float> p;
  ASSERT_TRUE(
      fit.booster->Predict(valid.features.values.data(), valid.features.rows, kCols, &p).ok());
  // XGBoost's own metric vs ours over the trimmed model's predictions.
  EXPECT_NEAR(Evaluate(p, valid.labels).log_loss, fit.best_valid_logloss, 1e-5);
}

TEST(FittingTest, RunsToMaxRoundsWhileTheLossFalls) {
  const Dataset train = Synthetic(300, 3, 0.0);
  const Dataset valid = Synthetic(200, 4, 0.0);
  FitOptions options;
  options.max_rounds = 15;
  const FitResult fit = FitOrDie(train, valid, options);
  EXPECT_EQ(fit.rounds_trained, 15);
  EXPECT_EQ(fit.best_rounds, 15);
  EXPECT_LT(fit.best_valid_logloss, 0.4);
}

TEST(FittingTest, SameInputsGiveByteIdenticalModels) {
  const Dataset train = Synthetic(300, 5, 0.1);
  const Dataset valid = Synthetic(200, 6, 0.1);
  FitOptions options;
  options.max_rounds = 30;
  const std::string first = Bytes(FitOrDie(train, valid, options));
  const std::string second = Bytes(FitOrDie(train, valid, options));
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first, second);
}

TEST(FittingTest, ThreadCountDoesNotChangeTheModel) {
  const Dataset train = Synthetic(2000, 7, 0.2);
  const Dataset valid = Synthetic(500, 8, 0.2);
  FitOptions options;
  options.max_rounds = 20;
  options.params["nthread"] = "1";
  const std::string one = Bytes(FitOrDie(train, valid, options));
  options.params["nthread"] = "2";
  const std::string two = Bytes(FitOrDie(train, valid, options));
  ASSERT_FALSE(one.empty());
  EXPECT_EQ(one, two);
}

TEST(FittingTest, DifferentParametersGiveDifferentModels) {
  const Dataset train = Synthetic(300, 5, 0.1);
  const Dataset valid = Synthetic(200, 6, 0.1);
  FitOptions shallow;
  shallow.max_rounds = 10;
  shallow.params["max_depth"] = "2";
  FitOptions deep = shallow;
  deep.params["max_depth"] = "5";
  const std::string a = Bytes(FitOrDie(train, valid, shallow));
  const std::string b = Bytes(FitOrDie(train, valid, deep));
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  EXPECT_NE(a, b);
}

// Each case: what is wrong, and a phrase the message must contain.
struct InvalidCase {
  const char* what;
  Dataset train;
  Dataset valid;
  FitOptions options;
  const char* message;
};

std::vector<InvalidCase> InvalidCases() {
  const Dataset good_train = Synthetic(40, 9, 0.0);
  const Dataset good_valid = Synthetic(20, 10, 0.0);
  std::vector<InvalidCase> cases;
  auto add = [&](const char* what, const char* message) -> InvalidCase& {
    cases.push_back({what, good_train, good_valid, FitOptions{}, message});
    return cases.back();
  };
  add("empty train", "train split is empty").train = Synthetic(0, 1, 0.0);
  add("empty valid", "validation split is empty").valid = Synthetic(0, 1, 0.0);
  add("label 2", "label of row 3 is 2").train.labels[3] = 2.0f;
  add("NaN label", "label of row 0 is nan").valid.labels[0] =
      std::numeric_limits<float>::quiet_NaN();
  add("missing labels", "39 labels for 40 rows").train.labels.pop_back();
  {
    InvalidCase& c = add("column mismatch", "train split has 3 feature columns but validation");
    c.valid.features.cols = 2;
    c.valid.features.values.resize(c.valid.features.rows * 2);
  }
  add("no rounds", "max_rounds").options.max_rounds = 0;
  add("no patience", "early_stopping_rounds").options.early_stopping_rounds = 0;
  add("other metric", "eval_metric=auc").options.params["eval_metric"] = "auc";
  add("bad parameter", "max_depth").options.params["max_depth"] = "abc";
  return cases;
}

TEST(FittingTest, InvalidInputsAreInvalidArgument) {
  for (const InvalidCase& c : InvalidCases()) {
    auto fit = FitBooster(c.train, c.valid, c.options);
    ASSERT_FALSE(fit.ok()) << c.what;
    EXPECT_EQ(fit.status().code(), StatusCode::kInvalidArgument)
        << c.what << ": " << fit.status().ToString();
    EXPECT_NE(fit.status().message().find(c.message), std::string::npos)
        << c.what << ": " << fit.status().message();
  }
}

}  // namespace
}  // namespace kappa::training
