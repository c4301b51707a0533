#include "inference/model.h"

#include <spdlog/spdlog.h>

#include <bit>
#include <charconv>
#include <cmath>

#include "common/sha256.h"

namespace kappa::inference {
namespace {

constexpr std::string_view kMessageMagic = "KAPPA-MODEL 1\n";

// A plausible passenger for the smoke prediction: every field present.
stream::PassengerEvent SmokePassenger() {
  stream::PassengerEvent e;
  e.passenger_id = 1;
  e.pclass = 3;
  e.sex = stream::Sex::kMale;
  e.age = 22;
  e.sib_sp = 1;
  e.parch = 0;
  e.fare = 7.25;
  e.name = "Braund, Mr. Owen Harris";
  e.ticket = "A/5 21171";
  e.embarked = 'S';
  return e;
}

// kappa's own predictor for `booster_ubj` when it handles this model and
// agrees bit for bit with XGBoost's on probe rows that take every split both
// ways; nullopt (score with XGBoost) otherwise.
std::optional<TreeEnsemble> FastPredictor(std::string_view booster_ubj, const Booster& booster,
                                          const std::string& where) {
  auto ensemble = TreeEnsemble::FromUbj(booster_ubj);
  if (!ensemble.ok()) {
    spdlog::info("{}: scored by XGBoost's predictor ({})", where, ensemble.status().message());
    return std::nullopt;
  }
  const DenseMatrix probe = ensemble->ProbeRows(2048, /*seed=*/1);
  std::vector<float> expected;
  if (!booster.Predict(probe.values.data(), probe.rows, probe.cols, &expected).ok()) {
    return std::nullopt;  // FromArtifact's smoke prediction reports it
  }
  std::vector<float> actual(probe.rows);
  ensemble->Predict(probe.values.data(), probe.rows, actual.data());
  for (size_t i = 0; i < probe.rows; ++i) {
    if (std::bit_cast<uint32_t>(actual[i]) != std::bit_cast<uint32_t>(expected[i])) {
      spdlog::warn(
          "{}: kappa's tree predictor gives {} where XGBoost gives {} (probe row {}); scoring "
          "with XGBoost's predictor",
          where, actual[i], expected[i], i);
      return std::nullopt;
    }
  }
  return std::move(ensemble).value();
}

}  // namespace

Result<std::unique_ptr<Model>> Model::FromArtifact(ModelManifest manifest,
                                                   std::string booster_ubj) {
  const std::string where = "model v" + std::to_string(manifest.version);
  // Integrity: the booster is the one the manifest was written for (no
  // damage in storage or transit). It is not what makes loading safe: a
  // models-topic message carries its own manifest, so its sha256 proves
  // nothing about who wrote the bytes. Booster::Load checks the booster's
  // framing and trees itself before XGBoost sees them, so a corrupt booster
  // is a Corruption status below, never a crash.
  const std::string actual = Sha256Hex(booster_ubj);
  if (actual != manifest.booster_sha256) {
    return Status::Corruption(where + ": booster sha256 " + actual +
                              " does not match the manifest's " + manifest.booster_sha256);
  }
  const FeatureSet* set = FindFeatureSet(manifest.feature_set);
  if (set == nullptr) {
    return Status::Corruption(where + ": unknown feature set '" + manifest.feature_set +
                              "' (this build knows " + KnownFeatureSetNames() + ")");
  }
  if (manifest.feature_names != set->feature_names()) {
    return Status::Corruption(where + ": feature names differ from feature set " +
                              manifest.feature_set);
  }
  auto transform = set->Bind(manifest.feature_params);
  if (!transform.ok()) return transform.status().WithContext(where);
  auto booster = Booster::Load(booster_ubj);
  if (!booster.ok()) return booster.status().WithContext(where);
  // Live batches are small (a few to ~1000 rows): one thread predicts 10
  // rows in ~0.1 ms, while OpenMP's fork/join over busy cores took p99
  // 11-15 ms (scripts/bench latency), most of the 20 ms budget.
  KAPPA_RETURN_IF_ERROR((*booster)->SetPredictionThreads(1).WithContext(where));
  auto n_features = (*booster)->NumFeatures();
  if (!n_features.ok()) return n_features.status().WithContext(where);
  if (*n_features != (*transform)->width()) {
    return Status::Corruption(where + ": booster expects " + std::to_string(*n_features) +
                              " features, feature set " + manifest.feature_set + " has " +
                              std::to_string((*transform)->width()));
  }

  std::unique_ptr<Model> model(new Model());
  model->manifest_ = std::move(manifest);
  model->booster_ubj_ = std::move(booster_ubj);
  model->feature_set_ = set;
  model->transform_ = std::move(transform).value();
  model->booster_ = std::move(booster).value();
  model->fast_predictor_ = FastPredictor(model->booster_ubj_, *model->booster_, where);
  std::vector<float> p;
  const stream::PassengerEvent smoke = SmokePassenger();
  KAPPA_RETURN_IF_ERROR(model->Score({&smoke, 1}, &p).WithContext(where + ": smoke prediction"));
  if (p.size() != 1 || !(p[0] >= 0.0f && p[0] <= 1.0f)) {
    return Status::Corruption(where + ": smoke prediction is not a probability");
  }
  return model;
}

void Model::Features(std::span<const stream::PassengerEvent> events, DenseMatrix* out) const {
  const size_t width = transform_->width();
  out->rows = events.size();
  out->cols = width;
  out->values.resize(events.size() * width);
  for (size_t i = 0; i < events.size(); ++i) transform_->Apply(events[i], out->row(i));
}

Status Model::Predict(const DenseMatrix& rows, std::vector<float>* out) const {
  if (fast_predictor_) {
    out->resize(rows.rows);
    fast_predictor_->Predict(rows.values.data(), rows.rows, out->data());
    return Status::Ok();
  }
  std::lock_guard lock(booster_mutex_);
  return booster_->Predict(rows.values.data(), rows.rows, rows.cols, out);
}

Status Model::Score(std::span<const stream::PassengerEvent> events,
                    std::vector<float>* probabilities) {
  Features(events, &rows_);
  return Predict(rows_, probabilities);
}

std::string EncodeModelMessage(std::string_view manifest_json, std::string_view booster_ubj) {
  std::string out(kMessageMagic);
  out += std::to_string(manifest_json.size());
  out += '\n';
  out.append(manifest_json);
  out.append(booster_ubj);
  return out;
}

std::string EncodeModelMessage(const ModelManifest& manifest, std::string_view booster_ubj) {
  return EncodeModelMessage(manifest.ToJson(), booster_ubj);
}

Result<ModelMessage> DecodeModelMessage(std::string_view value, const ModelKey* key,
                                        std::string_view signature) {
  if (value.substr(0, kMessageMagic.size()) != kMessageMagic) {
    return Status::Corruption("not a kappa model message (bad magic)");
  }
  value.remove_prefix(kMessageMagic.size());
  const auto nl = value.find('\n');
  size_t len = 0;
  const auto [ptr, ec] =
      std::from_chars(value.data(), value.data() + std::min(nl, value.size()), len);
  if (nl == std::string_view::npos || ec != std::errc() || ptr != value.data() + nl ||
      len > value.size() - nl - 1) {
    return Status::Corruption("model message: bad manifest length");
  }
  value.remove_prefix(nl + 1);
  auto manifest = ParseManifest(value.substr(0, len), signature, key);
  if (!manifest.ok()) return manifest.status();
  return ModelMessage{std::move(manifest).value(), std::string(value.substr(len))};
}

}  // namespace kappa::inference
