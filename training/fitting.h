// FitBooster: trains an XGBoost binary classifier with early stopping on a
// validation set, deterministically (same data + same parameters = byte-
// identical model).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "inference/xgboost.h"

namespace kappa::training {

// Features and labels (0/1) of one split.
struct Dataset {
  inference::DenseMatrix features;
  std::vector<float> labels;
};

struct FitOptions {
  // XGBoost parameters; `--param key=value` overrides or adds entries.
  // Defaults suit a small tabular problem and keep training deterministic
  // (hist trees, fixed seed, no row/column sampling).
  std::map<std::string, std::string> params = {
      {"objective", "binary:logistic"}, {"eval_metric", "logloss"}, {"tree_method", "hist"},
      {"max_depth", "4"},               {"eta", "0.1"},             {"min_child_weight", "1"},
      {"subsample", "1"},               {"colsample_bytree", "1"},  {"seed", "0"},
  };
  int max_rounds = 300;             // upper bound on boosting rounds
  int early_stopping_rounds = 20;   // stop after this many rounds without improvement
};

struct FitResult {
  std::unique_ptr<inference::Booster> booster;  // trimmed to the best round
  int best_rounds = 0;            // rounds kept (best iteration + 1)
  int rounds_trained = 0;         // rounds run before stopping
  double best_valid_logloss = 0;  // validation logloss of the kept model
  double seconds = 0;
};

struct FitProgress {
  int round = 0;
  int max_rounds = 0;
  double valid_logloss = 0;
};

// InvalidArgument when a split is empty, labels are not 0/1, column counts
// differ, or XGBoost rejects a parameter. `on_round` is called after each
// round (may be empty).
Result<FitResult> FitBooster(const Dataset& train, const Dataset& valid, const FitOptions& options,
                             const std::function<void(const FitProgress&)>& on_round = {});

}  // namespace kappa::training
