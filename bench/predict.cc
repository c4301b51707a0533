// kappa_bench_predict: rows/s of the two predictors of a model, kappa's
// TreeEnsemble and XGBoost's in-place prediction (one thread, as `kappa
// infer` uses it), on the features of generated passengers, in batches as
// infer scores them.
//
//   kappa_bench_predict MODELS_DIR [ROWS] [BATCH]
//
// Loads the current model of MODELS_DIR (a kappa model registry), builds
// ROWS (default 1000000) feature rows from generated passengers and scores
// them BATCH (default 1000) rows at a time with each predictor; best of 3.
// Output (stdout): one line per predictor, `predictor=P rows=N seconds=S
// rows_per_second=R ns_per_row=X`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "inference/model_registry.h"
#include "stream/passenger_generator.h"

namespace {

using Clock = std::chrono::steady_clock;

template <typename Predict>
double BestSeconds(const kappa::inference::DenseMatrix& rows, size_t batch, Predict predict) {
  double best = 1e30;
  for (int round = 0; round < 3; ++round) {
    const auto start = Clock::now();
    for (size_t at = 0; at < rows.rows; at += batch) {
      predict(rows.row(at), std::min(batch, rows.rows - at));
    }
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

void Print(const char* predictor, size_t n, double seconds) {
  std::printf("predictor=%s rows=%zu seconds=%.3f rows_per_second=%.0f ns_per_row=%.1f\n",
              predictor, n, seconds, static_cast<double>(n) / seconds,
              seconds * 1e9 / static_cast<double>(n));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: kappa_bench_predict MODELS_DIR [ROWS] [BATCH]\n");
    return 2;
  }
  const size_t n = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000000;
  const size_t batch = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1000;
  if (n == 0 || batch == 0) {
    std::fprintf(stderr, "ROWS and BATCH must be positive integers\n");
    return 2;
  }
  auto registry = kappa::inference::ModelRegistry::Open(argv[1]);
  if (!registry.ok()) {
    std::fprintf(stderr, "%s\n", registry.status().ToString().c_str());
    return 1;
  }
  auto current = (*registry)->Current();
  if (!current.ok() || !current->has_value()) {
    std::fprintf(stderr, "%s: no current model\n", argv[1]);
    return 1;
  }
  auto model = (*registry)->Load(**current);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
    return 1;
  }
  kappa::stream::PassengerGenerator generator({.seed = 3});
  std::vector<kappa::stream::PassengerEvent> events(n);
  for (auto& e : events) generator.Next(&e);
  kappa::inference::DenseMatrix rows;
  (*model)->Features(events, &rows);

  auto ensemble = kappa::inference::TreeEnsemble::FromUbj((*model)->booster_bytes());
  if (!ensemble.ok()) {
    std::fprintf(stderr, "%s\n", ensemble.status().ToString().c_str());
    return 1;
  }
  std::vector<float> out(batch);
  Print("kappa", n, BestSeconds(rows, batch, [&](const float* r, size_t m) {
          ensemble->Predict(r, m, out.data());
        }));
  const kappa::inference::Booster& booster = (*model)->booster();
  Print("xgboost", n, BestSeconds(rows, batch, [&](const float* r, size_t m) {
          if (!booster.Predict(r, m, rows.cols, &out).ok()) std::abort();
        }));
  return 0;
}
