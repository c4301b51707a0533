#include "training/evaluation.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <numeric>

namespace kappa::training {
namespace {

// Log loss clips probabilities away from 0 and 1 (as scikit-learn does), so
// that one confident mistake costs a large but finite amount.
constexpr double kMinProbability = 1e-15;

// Width of the label column of the report.
constexpr size_t kLabelWidth = 17;

bool IsPositive(float label) { return label >= 0.5f; }

double Ratio(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

ConfusionMatrix Confusion(std::span<const float> probabilities, std::span<const float> labels,
                          double threshold) {
  ConfusionMatrix m;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = probabilities[i] >= threshold;
    const bool actual = IsPositive(labels[i]);
    if (predicted && actual) ++m.true_positive;
    if (predicted && !actual) ++m.false_positive;
    if (!predicted && !actual) ++m.true_negative;
    if (!predicted && actual) ++m.false_negative;
  }
  return m;
}

double LogLoss(std::span<const float> probabilities, std::span<const float> labels) {
  if (labels.empty()) return 0;
  double sum = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p =
        std::clamp(static_cast<double>(probabilities[i]), kMinProbability, 1.0 - kMinProbability);
    sum -= IsPositive(labels[i]) ? std::log(p) : std::log1p(-p);
  }
  return sum / static_cast<double>(labels.size());
}

// Sort key with a total order: NaN (never produced by XGBoost) ranks lowest
// instead of breaking std::sort's requirements.
double RankKey(float probability) {
  return std::isnan(probability) ? -std::numeric_limits<double>::infinity() : probability;
}

// ROC AUC as the Mann-Whitney U statistic: the probability that a random
// positive scores above a random negative, ties counting one half (tied
// scores share their average rank).
double RocAuc(std::span<const float> probabilities, std::span<const float> labels) {
  const size_t n = labels.size();
  const auto positives = static_cast<uint64_t>(
      std::count_if(labels.begin(), labels.end(), [](float y) { return IsPositive(y); }));
  const uint64_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return 0.5;

  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return RankKey(probabilities[a]) < RankKey(probabilities[b]);
  });
  double positive_rank_sum = 0;
  for (size_t start = 0; start < n;) {
    size_t end = start + 1;
    while (end < n && RankKey(probabilities[order[end]]) == RankKey(probabilities[order[start]])) {
      ++end;
    }
    // Ranks start+1 .. end (1-based) shared by the tied group.
    const double average_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (size_t k = start; k < end; ++k) {
      if (IsPositive(labels[order[k]])) positive_rank_sum += average_rank;
    }
    start = end;
  }
  const double p = static_cast<double>(positives);
  const double u = positive_rank_sum - p * (p + 1.0) / 2.0;
  return u / (p * static_cast<double>(negatives));
}

// 1234567 -> "1,234,567".
std::string WithThousands(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

void AppendRow(std::string* out, std::string_view label, std::string_view value) {
  fmt::format_to(std::back_inserter(*out), "{:<{}}{}\n", label, kLabelWidth, value);
}

void AppendImportance(std::string* out,
                      const std::vector<std::pair<std::string, double>>& feature_gain) {
  std::vector<std::pair<std::string, double>> sorted = feature_gain;
  // Largest gain first; equal gains by name, so the report is stable.
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  double total = 0;
  size_t name_width = kLabelWidth - 2;
  for (const auto& [name, gain] : sorted) {
    total += gain;
    name_width = std::max(name_width, name.size() + 2);
  }
  out->append("feature importance (gain share)\n");
  for (const auto& [name, gain] : sorted) {
    const double share = total > 0 ? 100.0 * gain / total : 0.0;
    fmt::format_to(std::back_inserter(*out), "  {:<{}}{:5.1f}%\n", name, name_width, share);
  }
}

}  // namespace

Evaluation Evaluate(std::span<const float> probabilities, std::span<const float> labels,
                    double threshold) {
  if (probabilities.size() != labels.size()) {
    // A caller bug; evaluate what pairs up rather than read out of bounds.
    spdlog::error("Evaluate: {} probabilities for {} labels; using the first {}",
                  probabilities.size(), labels.size(),
                  std::min(probabilities.size(), labels.size()));
    const size_t n = std::min(probabilities.size(), labels.size());
    probabilities = probabilities.first(n);
    labels = labels.first(n);
  }
  Evaluation e;
  e.rows = labels.size();
  e.threshold = threshold;
  e.confusion = Confusion(probabilities, labels, threshold);
  const ConfusionMatrix& m = e.confusion;
  e.accuracy = Ratio(m.true_positive + m.true_negative, e.rows);
  e.precision = Ratio(m.true_positive, m.true_positive + m.false_positive);
  e.recall = Ratio(m.true_positive, m.true_positive + m.false_negative);
  e.log_loss = LogLoss(probabilities, labels);
  e.roc_auc = RocAuc(probabilities, labels);
  return e;
}

std::string FormatEvaluation(const Evaluation& evaluation,
                             const std::vector<std::pair<std::string, double>>& feature_gain) {
  const Evaluation& e = evaluation;
  std::string out;
  AppendRow(&out, "validation rows", WithThousands(e.rows));
  if (e.threshold != 0.5) AppendRow(&out, "threshold", fmt::format("{:.2f}", e.threshold));
  AppendRow(&out, "accuracy", fmt::format("{:.4f}", e.accuracy));
  AppendRow(&out, "ROC AUC", fmt::format("{:.4f}", e.roc_auc));
  AppendRow(&out, "log loss", fmt::format("{:.4f}", e.log_loss));
  AppendRow(&out, "precision (1)", fmt::format("{:.2f}", e.precision));
  AppendRow(&out, "recall (1)", fmt::format("{:.2f}", e.recall));
  // Counts right-aligned under their "predicted N" headers.
  const ConfusionMatrix& m = e.confusion;
  AppendRow(&out, "confusion", "predicted 0  predicted 1");
  AppendRow(&out, "  actual 0",
            fmt::format("{:>11}  {:>11}", WithThousands(m.true_negative),
                        WithThousands(m.false_positive)));
  AppendRow(&out, "  actual 1",
            fmt::format("{:>11}  {:>11}", WithThousands(m.false_negative),
                        WithThousands(m.true_positive)));
  if (!feature_gain.empty()) AppendImportance(&out, feature_gain);
  return out;
}

}  // namespace kappa::training
