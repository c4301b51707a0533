// RAII over XGBoost's C API (libxgboost 1.7): DMatrix and Booster. Every
// XGBoost call is checked and its error (XGBGetLastError) translated into a
// Status here, once; the C header stays in xgboost.cc.
//
// Training drives a Booster through CreateForTraining/UpdateOneIter/
// EvalOneIter (training/fitting.h holds the loop); inference only Loads and
// Predicts. Serialized models are UBJSON bytes (model.ubj).
//
// Threading: a DMatrix is immutable after creation and may be shared. A
// Booster is not thread-safe: use one per thread (Predict reuses an internal
// buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kappa::inference {

// A dense, row-major float matrix; NaN marks a missing value.
struct DenseMatrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<float> values;  // rows * cols
  float* row(size_t i) { return values.data() + i * cols; }
  const float* row(size_t i) const { return values.data() + i * cols; }
};

class DMatrix {
 public:
  // Copies `features` into XGBoost and attaches `labels` (one per row; may be
  // empty for prediction-only matrices). InvalidArgument on size mismatch.
  static Result<std::unique_ptr<DMatrix>> Create(const DenseMatrix& features,
                                                 std::span<const float> labels);
  ~DMatrix();
  DMatrix(const DMatrix&) = delete;
  DMatrix& operator=(const DMatrix&) = delete;
  void* handle() const { return handle_; }

 private:
  DMatrix() = default;
  void* handle_ = nullptr;  // DMatrixHandle
};

class Booster {
 public:
  // A new, untrained booster that caches `train` and `valid` (both must
  // outlive it) with the given XGBoost parameters ("max_depth" -> "4").
  // InvalidArgument when XGBoost rejects a parameter.
  static Result<std::unique_ptr<Booster>> CreateForTraining(
      const DMatrix& train, const DMatrix& valid, const std::map<std::string, std::string>& params);
  // Loads a serialized (UBJSON) booster. Safe on untrusted bytes: before
  // XGBoost sees them, CheckBoosterStructure (booster_structure.h) checks the
  // UBJSON framing and every tree (array lengths, child, parent and feature
  // indices, no cycles), since XGBoost 1.7.4 crashes or hangs on such
  // corruption instead of reporting it. Corruption with that check's reason
  // (naming the tree and node), or with XGBoost's, when the bytes are not a
  // usable model. Only gbtree boosters with one output per row and numerical
  // splits are accepted.
  static Result<std::unique_ptr<Booster>> Load(std::string_view ubj);
  ~Booster();
  Booster(const Booster&) = delete;
  Booster& operator=(const Booster&) = delete;

  // One boosting round on the training matrix.
  Status UpdateOneIter(int iteration, const DMatrix& train);
  // The validation metric after `iteration`, as XGBoost's eval string parsed
  // into {metric name -> value} for the matrix named "valid".
  Result<std::map<std::string, double>> EvalValid(int iteration, const DMatrix& valid);
  // A new booster holding rounds [0, rounds) of this one (best iteration).
  Result<std::unique_ptr<Booster>> Slice(int rounds) const;

  // P(class 1) for each row of a dense row-major matrix (NaN = missing),
  // using in-place prediction (no DMatrix, no per-row overhead). out is
  // resized to n_rows.
  Status Predict(const float* rows, size_t n_rows, size_t n_cols, std::vector<float>* out) const;

  // UBJSON bytes of the model (deterministic for the same model).
  Result<std::string> Serialize() const;
  // OpenMP threads Predict may use (XGBoost's default: all cores).
  Status SetPredictionThreads(int threads);
  Result<size_t> NumFeatures() const;
  Result<int> BoostedRounds() const;
  // Total gain per feature index (0..n_features-1); 0 for unused features.
  Result<std::vector<double>> FeatureGain(size_t n_features) const;

 private:
  Booster() = default;
  void* handle_ = nullptr;  // BoosterHandle
};

}  // namespace kappa::inference
