// Evaluation of a binary classifier on a validation set: the numbers the
// training report prints and the model manifest stores.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace kappa::training {

struct ConfusionMatrix {
  uint64_t true_positive = 0;   // predicted 1, label 1
  uint64_t false_positive = 0;  // predicted 1, label 0
  uint64_t true_negative = 0;
  uint64_t false_negative = 0;
  bool operator==(const ConfusionMatrix&) const = default;
};

struct Evaluation {
  uint64_t rows = 0;
  double threshold = 0.5;  // probability >= threshold predicts survived=1
  double accuracy = 0;
  double roc_auc = 0;    // 0.5 when only one class is present
  double log_loss = 0;   // probabilities clipped to [1e-15, 1 - 1e-15]
  double precision = 0;  // of survived=1; 0 when nothing was predicted 1
  double recall = 0;     // of survived=1; 0 when no label is 1
  ConfusionMatrix confusion;
};

// probabilities[i] is P(label 1) for labels[i] (0 or 1). Sizes must match.
// ROC AUC handles ties (average rank, Mann-Whitney U).
Evaluation Evaluate(std::span<const float> probabilities, std::span<const float> labels,
                    double threshold = 0.5);

// A readable multi-line table: metrics, the confusion matrix, and feature
// importance (name, gain share in %) sorted by gain, largest first.
std::string FormatEvaluation(const Evaluation& evaluation,
                             const std::vector<std::pair<std::string, double>>& feature_gain);

}  // namespace kappa::training
