#include "training/fitting.h"

#include <fmt/format.h>

#include <chrono>
#include <limits>
#include <utility>

namespace kappa::training {
namespace {

// The metric early stopping watches; FitResult reports it.
constexpr char kLoglossMetric[] = "logloss";

Status ValidateSplit(std::string_view name, const Dataset& split) {
  const inference::DenseMatrix& x = split.features;
  if (x.rows == 0) return Status::InvalidArgument(fmt::format("{} split is empty", name));
  if (x.cols == 0) return Status::InvalidArgument(fmt::format("{} split has no features", name));
  if (x.values.size() != x.rows * x.cols) {
    return Status::InvalidArgument(
        fmt::format("{} split has {} feature values, expected rows*cols = {}*{}", name,
                    x.values.size(), x.rows, x.cols));
  }
  if (split.labels.size() != x.rows) {
    return Status::InvalidArgument(
        fmt::format("{} split has {} labels for {} rows", name, split.labels.size(), x.rows));
  }
  for (size_t i = 0; i < split.labels.size(); ++i) {
    const float label = split.labels[i];
    if (label != 0.0f && label != 1.0f) {
      return Status::InvalidArgument(
          fmt::format("{} split: label of row {} is {} (labels must be 0 or 1)", name, i, label));
    }
  }
  return Status::Ok();
}

Status ValidateInputs(const Dataset& train, const Dataset& valid, const FitOptions& options) {
  KAPPA_RETURN_IF_ERROR(ValidateSplit("train", train));
  KAPPA_RETURN_IF_ERROR(ValidateSplit("validation", valid));
  if (train.features.cols != valid.features.cols) {
    return Status::InvalidArgument(
        fmt::format("train split has {} feature columns but validation split has {}",
                    train.features.cols, valid.features.cols));
  }
  if (options.max_rounds < 1) {
    return Status::InvalidArgument(
        fmt::format("max_rounds must be at least 1, got {}", options.max_rounds));
  }
  if (options.early_stopping_rounds < 1) {
    return Status::InvalidArgument(fmt::format("early_stopping_rounds must be at least 1, got {}",
                                               options.early_stopping_rounds));
  }
  // Early stopping needs the validation logloss; another metric would leave
  // the loop nothing to watch.
  const auto metric = options.params.find("eval_metric");
  if (metric != options.params.end() && metric->second != kLoglossMetric) {
    return Status::InvalidArgument(fmt::format(
        "eval_metric={}: early stopping watches the validation logloss; use eval_metric=logloss",
        metric->second));
  }
  return Status::Ok();
}

// The best round so far and when to give up: no strictly lower validation
// logloss for `patience` rounds.
class EarlyStopping {
 public:
  explicit EarlyStopping(int patience) : patience_(patience) {}

  // Records round `round`'s loss; true when training should stop.
  bool Update(int round, double loss) {
    if (loss < best_loss_) {
      best_loss_ = loss;
      best_round_ = round;
    }
    return round - best_round_ >= patience_;
  }
  int best_round() const { return best_round_; }
  double best_loss() const { return best_loss_; }

 private:
  int patience_;
  int best_round_ = -1;
  double best_loss_ = std::numeric_limits<double>::infinity();
};

Result<double> ValidLogloss(inference::Booster& booster, int round,
                            const inference::DMatrix& valid) {
  Result<std::map<std::string, double>> metrics = booster.EvalValid(round, valid);
  if (!metrics.ok()) return metrics.status();
  const auto logloss = metrics->find(kLoglossMetric);
  if (logloss == metrics->end()) {
    return Status::Internal(fmt::format("round {}: XGBoost reported no validation logloss", round));
  }
  return logloss->second;
}

}  // namespace

Result<FitResult> FitBooster(const Dataset& train, const Dataset& valid, const FitOptions& options,
                             const std::function<void(const FitProgress&)>& on_round) {
  KAPPA_RETURN_IF_ERROR(ValidateInputs(train, valid, options));
  const auto started = std::chrono::steady_clock::now();

  auto train_matrix = inference::DMatrix::Create(train.features, train.labels);
  if (!train_matrix.ok()) return train_matrix.status().WithContext("train split");
  auto valid_matrix = inference::DMatrix::Create(valid.features, valid.labels);
  if (!valid_matrix.ok()) return valid_matrix.status().WithContext("validation split");
  auto booster =
      inference::Booster::CreateForTraining(**train_matrix, **valid_matrix, options.params);
  if (!booster.ok()) return booster.status();

  EarlyStopping stopping(options.early_stopping_rounds);
  int rounds = 0;
  while (rounds < options.max_rounds) {
    const int round = rounds++;
    KAPPA_RETURN_IF_ERROR((*booster)->UpdateOneIter(round, **train_matrix));
    Result<double> loss = ValidLogloss(**booster, round, **valid_matrix);
    if (!loss.ok()) return loss.status();
    const bool stop = stopping.Update(round, *loss);
    if (on_round) on_round(FitProgress{round + 1, options.max_rounds, *loss});
    if (stop) break;
  }
  if (stopping.best_round() < 0) {
    // Every logloss was NaN (or +inf): there is no best round to keep.
    return Status::Internal("validation logloss was never finite; no model to keep");
  }

  FitResult result;
  result.best_rounds = stopping.best_round() + 1;
  result.rounds_trained = rounds;
  result.best_valid_logloss = stopping.best_loss();
  // Slicing also leaves a booster that no longer refers to the matrices,
  // which die with this function.
  auto best = (*booster)->Slice(result.best_rounds);
  if (!best.ok()) return best.status();
  result.booster = std::move(*best);
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace kappa::training
