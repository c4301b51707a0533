#include "inference/xgboost.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <xgboost/c_api.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <utility>

#include "inference/booster_structure.h"

namespace kappa::inference {
namespace {

// Training threads when the caller does not set "nthread": a fixed number,
// not "all cores", so that a model does not depend on the machine it was
// trained on (hist sums gradients per thread). Two matches the build machines.
constexpr char kDefaultTrainingThreads[] = "2";

// The name XGBoost prints in front of validation metrics ("valid-logloss").
constexpr char kValidName[] = "valid";

// XGBoost's in-place prediction config. 1.7.4 aborts unless both "cache_id"
// and "missing" are present (see design.md, "Known quirks").
constexpr char kPredictConfig[] =
    R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, )"
    R"("strict_shape": false, "cache_id": 0, "missing": NaN})";

// XGBoost prefixes messages with "[hh:mm:ss] ", a level for log messages
// and often a source location ("./src/learner.cc:1017: "), and may continue
// with a stack trace or an explanation on further lines. Keep the one line a
// user can act on.
std::string_view CleanMessage(std::string_view msg) {
  if (msg.starts_with('[')) {
    const size_t end = msg.find("] ");
    if (end != std::string_view::npos) msg.remove_prefix(end + 2);
  }
  for (std::string_view level : {"WARNING: ", "INFO: ", "DEBUG: "}) {
    if (msg.starts_with(level)) msg.remove_prefix(level.size());
  }
  if (msg.starts_with("./") || msg.starts_with('/')) {
    // "path.cc:123: rest": drop through the second ':'.
    const size_t colon = msg.find(':');
    const size_t end = colon == std::string_view::npos ? colon : msg.find(':', colon + 1);
    if (end != std::string_view::npos) msg.remove_prefix(end + 1);
  }
  const size_t text = msg.find_first_not_of(" \t\r\n");
  msg.remove_prefix(text == std::string_view::npos ? msg.size() : text);
  msg = msg.substr(0, msg.find('\n'));
  while (!msg.empty() && (msg.back() == ' ' || msg.back() == '\r')) msg.remove_suffix(1);
  return msg;
}

Status MakeStatus(StatusCode code, std::string message) {
  switch (code) {
    case StatusCode::kInvalidArgument:
      return Status::InvalidArgument(std::move(message));
    case StatusCode::kCorruption:
      return Status::Corruption(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// Ok when an XGBoost call returned 0; otherwise `code` with
// "<context>: <XGBGetLastError()>".
Status Check(int rc, StatusCode code, std::string_view context) {
  if (rc == 0) return Status::Ok();
  return MakeStatus(code, fmt::format("{}: {}", context, CleanMessage(XGBGetLastError())));
}

// XGBoost's log messages, routed to our log (stderr) instead of its own
// printer. Called by XGBoost on the thread that logs; must not throw.
void LogXgboostMessage(const char* msg) noexcept {
  const std::string_view raw(msg);
  const std::string_view clean = CleanMessage(raw);
  if (raw.find("] WARNING: ") != std::string_view::npos) {
    spdlog::warn("xgboost: {}", clean);
  } else {
    spdlog::debug("xgboost: {}", clean);
  }
}

// XGBoost's global config and log callback are thread-local (checked on
// 1.7.4), so each thread that calls into it sets them once: warnings only,
// into spdlog, so that nothing of XGBoost's reaches stdout.
Status ConfigureThisThread() {
  thread_local const Status status = [] {
    KAPPA_RETURN_IF_ERROR(Check(XGBSetGlobalConfig(R"({"verbosity": 1})"), StatusCode::kInternal,
                                "XGBSetGlobalConfig verbosity=1"));
    return Check(XGBRegisterLogCallback(&LogXgboostMessage), StatusCode::kInternal,
                 "XGBRegisterLogCallback");
  }();
  return status;
}

// Parses XGBoost's eval string ("[3]\tvalid-logloss:0.512\tvalid-auc:0.9")
// into {"logloss": 0.512, "auc": 0.9}.
Result<std::map<std::string, double>> ParseEvalString(std::string_view eval) {
  const std::string prefix = fmt::format("{}-", kValidName);
  std::map<std::string, double> metrics;
  size_t start = 0;
  while (start <= eval.size()) {
    const size_t tab = std::min(eval.find('\t', start), eval.size());
    const std::string_view token = eval.substr(start, tab - start);
    start = tab + 1;
    if (token.empty() || token.starts_with('[')) continue;  // the "[iteration]" field
    const size_t colon = token.rfind(':');
    if (!token.starts_with(prefix) || colon == std::string_view::npos || colon < prefix.size()) {
      return Status::Internal(fmt::format("unexpected XGBoost eval output '{}'", eval));
    }
    const std::string_view value = token.substr(colon + 1);
    double parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return Status::Internal(fmt::format("unexpected XGBoost metric value in '{}'", eval));
    }
    metrics[std::string(token.substr(prefix.size(), colon - prefix.size()))] = parsed;
  }
  if (metrics.empty()) {
    return Status::Internal(fmt::format("XGBoost eval output has no metric: '{}'", eval));
  }
  return metrics;
}

// Feature index of XGBoost's default feature name "f<index>"; -1 otherwise.
int64_t DefaultFeatureIndex(std::string_view name) {
  if (name.size() < 2 || name[0] != 'f') return -1;
  int64_t index = -1;
  const auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
  if (ec != std::errc() || end != name.data() + name.size()) return -1;
  return index;
}

}  // namespace

// ---------------------------------------------------------------- DMatrix

Result<std::unique_ptr<DMatrix>> DMatrix::Create(const DenseMatrix& features,
                                                 std::span<const float> labels) {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  if (features.values.size() != features.rows * features.cols) {
    return Status::InvalidArgument(fmt::format("matrix has {} values, expected rows*cols = {}*{}",
                                               features.values.size(), features.rows,
                                               features.cols));
  }
  if (!labels.empty() && labels.size() != features.rows) {
    return Status::InvalidArgument(
        fmt::format("{} labels for {} rows (one label per row)", labels.size(), features.rows));
  }
  std::unique_ptr<DMatrix> matrix(new DMatrix());
  KAPPA_RETURN_IF_ERROR(
      Check(XGDMatrixCreateFromMat(features.values.data(), features.rows, features.cols,
                                   std::numeric_limits<float>::quiet_NaN(), &matrix->handle_),
            StatusCode::kInternal,
            fmt::format("XGDMatrixCreateFromMat {}x{}", features.rows, features.cols)));
  if (!labels.empty()) {
    KAPPA_RETURN_IF_ERROR(
        Check(XGDMatrixSetFloatInfo(matrix->handle_, "label", labels.data(), labels.size()),
              StatusCode::kInternal, "XGDMatrixSetFloatInfo label"));
  }
  return matrix;
}

DMatrix::~DMatrix() {
  if (handle_ != nullptr) XGDMatrixFree(handle_);
}

// ---------------------------------------------------------------- Booster

Result<std::unique_ptr<Booster>> Booster::CreateForTraining(
    const DMatrix& train, const DMatrix& valid, const std::map<std::string, std::string>& params) {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  std::unique_ptr<Booster> booster(new Booster());
  const DMatrixHandle cache[] = {train.handle(), valid.handle()};
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterCreate(cache, 2, &booster->handle_), StatusCode::kInternal,
                              "XGBoosterCreate"));
  for (const auto& [name, value] : params) {
    KAPPA_RETURN_IF_ERROR(Check(XGBoosterSetParam(booster->handle_, name.c_str(), value.c_str()),
                                StatusCode::kInvalidArgument,
                                fmt::format("XGBoosterSetParam {}={}", name, value)));
  }
  // XGBoost silently ignores unknown keys unless asked to check them: a
  // misspelled --param (max_dept=3) then gets a warning instead of nothing.
  if (!params.contains("validate_parameters")) {
    KAPPA_RETURN_IF_ERROR(Check(XGBoosterSetParam(booster->handle_, "validate_parameters", "1"),
                                StatusCode::kInternal, "XGBoosterSetParam validate_parameters"));
  }
  if (!params.contains("nthread")) {
    KAPPA_RETURN_IF_ERROR(
        Check(XGBoosterSetParam(booster->handle_, "nthread", kDefaultTrainingThreads),
              StatusCode::kInternal, "XGBoosterSetParam nthread"));
  }
  // XGBoosterSetParam only stores strings; XGBoost parses and checks them
  // when it configures itself, which saving the config forces. Doing it here
  // reports a bad parameter now, as InvalidArgument, not at the first round.
  bst_ulong length = 0;
  const char* config = nullptr;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterSaveJsonConfig(booster->handle_, &length, &config),
                              StatusCode::kInvalidArgument, "XGBoost parameters"));
  return booster;
}

Result<std::unique_ptr<Booster>> Booster::Load(std::string_view ubj) {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  // XGBoost 1.7.4 crashes or hangs on bytes whose framing or trees are
  // corrupt instead of returning an error; only checked bytes reach it.
  KAPPA_RETURN_IF_ERROR(CheckBoosterStructure(ubj));
  std::unique_ptr<Booster> booster(new Booster());
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterCreate(nullptr, 0, &booster->handle_), StatusCode::kInternal,
                              "XGBoosterCreate"));
  KAPPA_RETURN_IF_ERROR(
      Check(XGBoosterLoadModelFromBuffer(booster->handle_, ubj.data(), ubj.size()),
            StatusCode::kCorruption, "XGBoosterLoadModelFromBuffer"));
  // Configure now (objective, booster type) so that a model that loads but
  // cannot predict fails here, as Corruption, not at the first Predict.
  bst_ulong length = 0;
  const char* config = nullptr;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterSaveJsonConfig(booster->handle_, &length, &config),
                              StatusCode::kCorruption, "loaded model"));
  return booster;
}

Booster::~Booster() {
  if (handle_ != nullptr) XGBoosterFree(handle_);
}

Status Booster::UpdateOneIter(int iteration, const DMatrix& train) {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  return Check(XGBoosterUpdateOneIter(handle_, iteration, train.handle()), StatusCode::kInternal,
               fmt::format("XGBoosterUpdateOneIter round {}", iteration));
}

Result<std::map<std::string, double>> Booster::EvalValid(int iteration, const DMatrix& valid) {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  DMatrixHandle matrices[] = {valid.handle()};
  const char* names[] = {kValidName};
  const char* eval = nullptr;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterEvalOneIter(handle_, iteration, matrices, names, 1, &eval),
                              StatusCode::kInternal,
                              fmt::format("XGBoosterEvalOneIter round {}", iteration)));
  if (eval == nullptr) return Status::Internal("XGBoosterEvalOneIter returned no output");
  return ParseEvalString(eval);
}

Result<std::unique_ptr<Booster>> Booster::Slice(int rounds) const {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  Result<int> boosted = BoostedRounds();
  if (!boosted.ok()) return boosted.status();
  if (rounds < 1 || rounds > *boosted) {
    return Status::InvalidArgument(
        fmt::format("cannot keep {} round(s) of a booster with {}", rounds, *boosted));
  }
  std::unique_ptr<Booster> sliced(new Booster());
  // XGBoosterSlice returns -2 (out of bounds) without setting an error
  // message; the range check above rules that out.
  const int rc = XGBoosterSlice(handle_, 0, rounds, 1, &sliced->handle_);
  if (rc == -2)
    return Status::InvalidArgument(fmt::format("XGBoosterSlice 0..{}: out of range", rounds));
  KAPPA_RETURN_IF_ERROR(
      Check(rc, StatusCode::kInternal, fmt::format("XGBoosterSlice 0..{}", rounds)));
  return sliced;
}

Status Booster::Predict(const float* rows, size_t n_rows, size_t n_cols,
                        std::vector<float>* out) const {
  if (n_rows == 0) {
    out->clear();
    return Status::Ok();
  }
  if (rows == nullptr) return Status::InvalidArgument("Predict: null rows");
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  // numpy's __array_interface__ for the caller's buffer (read-only, C order,
  // little-endian float32): XGBoost reads it in place, without a copy.
  fmt::memory_buffer array;
  fmt::format_to(std::back_inserter(array),
                 R"({{"data": [{}, true], "shape": [{}, {}], "typestr": "<f4", "version": 3}})",
                 reinterpret_cast<uintptr_t>(rows), n_rows, n_cols);
  array.push_back('\0');
  const bst_ulong* shape = nullptr;
  bst_ulong dims = 0;
  const float* result = nullptr;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterPredictFromDense(handle_, array.data(), kPredictConfig,
                                                        nullptr, &shape, &dims, &result),
                              StatusCode::kInternal, "XGBoosterPredictFromDense"));
  size_t values = 1;
  for (bst_ulong d = 0; d < dims; ++d) values *= shape[d];
  if (values != n_rows) {
    return Status::InvalidArgument(fmt::format(
        "Predict: the model gives {} values for {} rows; expected one probability per row "
        "(objective binary:logistic)",
        values, n_rows));
  }
  out->assign(result, result + n_rows);
  return Status::Ok();
}

Result<std::string> Booster::Serialize() const {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  bst_ulong length = 0;
  const char* bytes = nullptr;
  KAPPA_RETURN_IF_ERROR(
      Check(XGBoosterSaveModelToBuffer(handle_, R"({"format": "ubj"})", &length, &bytes),
            StatusCode::kInternal, "XGBoosterSaveModelToBuffer ubj"));
  return std::string(bytes, length);
}

Status Booster::SetPredictionThreads(int threads) {
  const std::string value = std::to_string(threads);
  return Check(XGBoosterSetParam(handle_, "nthread", value.c_str()), StatusCode::kInvalidArgument,
               "XGBoosterSetParam nthread");
}

Result<size_t> Booster::NumFeatures() const {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  bst_ulong n = 0;
  KAPPA_RETURN_IF_ERROR(
      Check(XGBoosterGetNumFeature(handle_, &n), StatusCode::kInternal, "XGBoosterGetNumFeature"));
  return static_cast<size_t>(n);
}

Result<int> Booster::BoostedRounds() const {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  int rounds = 0;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterBoostedRounds(handle_, &rounds), StatusCode::kInternal,
                              "XGBoosterBoostedRounds"));
  return rounds;
}

Result<std::vector<double>> Booster::FeatureGain(size_t n_features) const {
  KAPPA_RETURN_IF_ERROR(ConfigureThisThread());
  bst_ulong n_names = 0;
  const char** names = nullptr;
  bst_ulong dims = 0;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  KAPPA_RETURN_IF_ERROR(Check(XGBoosterFeatureScore(handle_, R"({"importance_type": "total_gain"})",
                                                    &n_names, &names, &dims, &shape, &scores),
                              StatusCode::kInternal, "XGBoosterFeatureScore total_gain"));
  if (dims != 1 || shape[0] != n_names) {
    return Status::Internal("XGBoosterFeatureScore: expected one score per feature");
  }
  // Only features used in a split are listed, under XGBoost's default names
  // "f<index>" (we never set names on the booster).
  std::vector<double> gains(n_features, 0.0);
  for (bst_ulong i = 0; i < n_names; ++i) {
    const int64_t index = DefaultFeatureIndex(names[i]);
    if (index < 0) {
      return Status::Internal(fmt::format("XGBoosterFeatureScore: unexpected name '{}'", names[i]));
    }
    if (static_cast<uint64_t>(index) >= n_features) {
      return Status::InvalidArgument(fmt::format(
          "the model splits on feature {} but only {} feature(s) were given", index, n_features));
    }
    gains[static_cast<size_t>(index)] = scores[i];
  }
  return gains;
}

}  // namespace kappa::inference
