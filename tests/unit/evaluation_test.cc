#include "training/evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace kappa::training {
namespace {

using Floats = std::vector<float>;

double Auc(const Floats& p, const Floats& y) { return Evaluate(p, y).roc_auc; }

TEST(EvaluationTest, AucOfPerfectSeparationIsOne) {
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.2f, 0.7f, 0.9f}, {0, 0, 1, 1}), 1.0);
}

TEST(EvaluationTest, AucOfInvertedScoresIsZero) {
  EXPECT_DOUBLE_EQ(Auc({0.9f, 0.7f, 0.2f, 0.1f}, {0, 0, 1, 1}), 0.0);
}

TEST(EvaluationTest, AucOfAllTiesIsHalf) {
  EXPECT_DOUBLE_EQ(Auc({0.3f, 0.3f, 0.3f, 0.3f, 0.3f}, {0, 1, 0, 1, 1}), 0.5);
}

TEST(EvaluationTest, AucWithOneClassIsHalf) {
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.9f}, {1, 1}), 0.5);
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.9f}, {0, 0}), 0.5);
}

// Pairs (positive, negative): 0.4 vs 0.1 wins, 0.4 vs 0.4 ties (1/2),
// 0.8 beats both: (1 + 0.5 + 1 + 1) / 4.
TEST(EvaluationTest, AucCountsATieAsHalf) {
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.4f, 0.4f, 0.8f}, {0, 0, 1, 1}), 0.875);
}

// scikit-learn's roc_auc_score example: 0.75.
TEST(EvaluationTest, AucKnownCase) {
  EXPECT_DOUBLE_EQ(Auc({0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}), 0.75);
}

// Order of rows must not matter (ranks, not positions).
TEST(EvaluationTest, AucIgnoresRowOrder) {
  EXPECT_DOUBLE_EQ(Auc({0.8f, 0.4f, 0.1f, 0.4f}, {1, 0, 0, 1}), 0.875);
}

// p >= 0.5 predicts 1: predictions 1 1 0 0 1 against labels 1 0 1 0 1.
TEST(EvaluationTest, ConfusionAccuracyPrecisionRecall) {
  const Evaluation e = Evaluate(Floats{0.9f, 0.6f, 0.4f, 0.2f, 0.7f}, Floats{1, 0, 1, 0, 1});
  EXPECT_EQ(e.rows, 5u);
  EXPECT_EQ(e.threshold, 0.5);
  const ConfusionMatrix want{
      .true_positive = 2, .false_positive = 1, .true_negative = 1, .false_negative = 1};
  EXPECT_EQ(e.confusion, want);
  EXPECT_DOUBLE_EQ(e.accuracy, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(e.precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(e.recall, 2.0 / 3.0);
}

TEST(EvaluationTest, ThresholdMovesThePredictions) {
  const Evaluation e =
      Evaluate(Floats{0.9f, 0.6f, 0.4f, 0.2f, 0.7f}, Floats{1, 0, 1, 0, 1}, /*threshold=*/0.65);
  EXPECT_EQ(e.threshold, 0.65);
  const ConfusionMatrix want{
      .true_positive = 2, .false_positive = 0, .true_negative = 2, .false_negative = 1};
  EXPECT_EQ(e.confusion, want);
  EXPECT_DOUBLE_EQ(e.precision, 1.0);
  EXPECT_DOUBLE_EQ(e.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(e.accuracy, 4.0 / 5.0);
}

TEST(EvaluationTest, ProbabilityEqualToThresholdPredictsOne) {
  const Evaluation e = Evaluate(Floats{0.5f, 0.25f}, Floats{0, 0}, 0.5);
  EXPECT_EQ(e.confusion.false_positive, 1u);
  EXPECT_EQ(e.confusion.true_negative, 1u);
  const Evaluation quarter = Evaluate(Floats{0.25f}, Floats{1}, 0.25);
  EXPECT_EQ(quarter.confusion.true_positive, 1u);
}

TEST(EvaluationTest, LogLossByHand) {
  // -(ln 0.8 + ln(1 - 0.3)) / 2
  const double want = -(std::log(0.8) + std::log(0.7)) / 2.0;
  EXPECT_NEAR(Evaluate(Floats{0.8f, 0.3f}, Floats{1, 0}).log_loss, want, 1e-7);
  EXPECT_NEAR(want, 0.2899092, 1e-6);
}

TEST(EvaluationTest, LogLossClipsCertainMistakes) {
  // -ln(1e-15) = 34.5388: large but finite.
  EXPECT_NEAR(Evaluate(Floats{0.0f}, Floats{1}).log_loss, 34.5388, 1e-3);
  EXPECT_NEAR(Evaluate(Floats{1.0f}, Floats{0}).log_loss, 34.54, 0.01);
  const double certain_and_right = Evaluate(Floats{1.0f, 0.0f}, Floats{1, 0}).log_loss;
  EXPECT_GE(certain_and_right, 0.0);
  EXPECT_LT(certain_and_right, 1e-12);
}

TEST(EvaluationTest, PrecisionIsZeroWhenNothingIsPredictedOne) {
  const Evaluation e = Evaluate(Floats{0.1f, 0.2f}, Floats{1, 0});
  EXPECT_EQ(e.confusion.true_positive + e.confusion.false_positive, 0u);
  EXPECT_EQ(e.precision, 0.0);
  EXPECT_EQ(e.recall, 0.0);
  EXPECT_DOUBLE_EQ(e.accuracy, 0.5);
}

TEST(EvaluationTest, RecallIsZeroWhenNoLabelIsOne) {
  const Evaluation e = Evaluate(Floats{0.9f, 0.2f}, Floats{0, 0});
  EXPECT_EQ(e.recall, 0.0);
  EXPECT_EQ(e.precision, 0.0);  // one predicted 1, and it is wrong
  EXPECT_DOUBLE_EQ(e.accuracy, 0.5);
}

TEST(EvaluationTest, EmptyInput) {
  const Evaluation e = Evaluate(Floats{}, Floats{});
  EXPECT_EQ(e.rows, 0u);
  EXPECT_EQ(e.accuracy, 0.0);
  EXPECT_EQ(e.roc_auc, 0.5);
  EXPECT_EQ(e.log_loss, 0.0);
  EXPECT_EQ(e.confusion, ConfusionMatrix{});
}

TEST(EvaluationTest, MismatchedSizesUseTheCommonPrefix) {
  const Evaluation e = Evaluate(Floats{0.9f, 0.1f, 0.8f}, Floats{1, 0});
  EXPECT_EQ(e.rows, 2u);
  EXPECT_DOUBLE_EQ(e.accuracy, 1.0);
}

TEST(EvaluationTest, FormatEvaluationTable) {
  Evaluation e;
  e.rows = 1234;
  e.accuracy = 0.81234;
  e.roc_auc = 0.87116;
  e.log_loss = 0.42111;
  e.precision = 0.7912;
  e.recall = 0.7099;
  e.confusion = {
      .true_positive = 384, .false_positive = 60, .true_negative = 700, .false_negative = 90};
  const std::string table =
      FormatEvaluation(e, {{"Age", 1.0}, {"Sex", 3.0}, {"Fare", 0.0}, {"Pclass", 1.0}});
  EXPECT_EQ(table,
            "validation rows  1,234\n"
            "accuracy         0.8123\n"
            "ROC AUC          0.8712\n"
            "log loss         0.4211\n"
            "precision (1)    0.79\n"
            "recall (1)       0.71\n"
            "confusion        predicted 0  predicted 1\n"
            "  actual 0               700           60\n"
            "  actual 1                90          384\n"
            "feature importance (gain share)\n"
            "  Sex             60.0%\n"
            "  Age             20.0%\n"
            "  Pclass          20.0%\n"
            "  Fare             0.0%\n");
}

TEST(EvaluationTest, FormatEvaluationShowsANonDefaultThreshold) {
  Evaluation e;
  e.threshold = 0.7;
  const std::string table = FormatEvaluation(e, {});
  EXPECT_NE(table.find("threshold        0.70\n"), std::string::npos) << table;
  EXPECT_EQ(table.find("feature importance"), std::string::npos) << table;
}

TEST(EvaluationTest, FormatEvaluationWidensForLongFeatureNames) {
  const std::string table =
      FormatEvaluation(Evaluation{}, {{"a_really_long_feature_name", 1.0}, {"x", 3.0}});
  EXPECT_NE(table.find("  x                            75.0%\n"), std::string::npos) << table;
  EXPECT_NE(table.find("  a_really_long_feature_name   25.0%\n"), std::string::npos) << table;
}

}  // namespace
}  // namespace kappa::training
