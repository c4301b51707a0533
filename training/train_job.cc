#include "training/train_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

#include "common/clock.h"
#include "common/json_writer.h"
#include "common/sha256.h"
#include "inference/feature_set.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "state/event_store.h"
#include "training/dataset.h"

namespace kappa::training {
namespace {

// Gain per feature as a share of the total, largest first.
std::vector<std::pair<std::string, double>> GainShares(const std::vector<double>& gain,
                                                       const std::vector<std::string>& names) {
  double total = 0;
  for (double g : gain) total += g;
  std::vector<std::pair<std::string, double>> shares;
  for (size_t i = 0; i < names.size() && i < gain.size(); ++i) {
    shares.emplace_back(names[i], total > 0 ? gain[i] / total : 0.0);
  }
  std::stable_sort(shares.begin(), shares.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return shares;
}

std::map<std::string, double> MetricsOf(const Evaluation& e) {
  return {{"rows", static_cast<double>(e.rows)},
          {"threshold", e.threshold},
          {"accuracy", e.accuracy},
          {"roc_auc", e.roc_auc},
          {"log_loss", e.log_loss},
          {"precision", e.precision},
          {"recall", e.recall},
          {"tp", static_cast<double>(e.confusion.true_positive)},
          {"fp", static_cast<double>(e.confusion.false_positive)},
          {"tn", static_cast<double>(e.confusion.true_negative)},
          {"fn", static_cast<double>(e.confusion.false_negative)}};
}

Result<inference::TrainingProvenance> Provenance(const state::EventStore& store,
                                                 const TrainJobOptions& options,
                                                 const LabeledEvents& labeled) {
  auto checkpoints = store.Checkpoints(options.topic);
  if (!checkpoints.ok()) return checkpoints.status();
  inference::TrainingProvenance p;
  p.topic = options.topic;
  for (const auto& cp : *checkpoints) {
    p.partitions.push_back({cp.partition, cp.first_offset, cp.next_offset, cp.events});
    p.events_in_state += cp.events;
    p.dead_lettered += cp.dead_lettered;
  }
  p.labeled_events = labeled.train.size() + labeled.validation.size();
  p.unlabeled_events = labeled.unlabeled;
  p.train_rows = labeled.train.size();
  p.validation_rows = labeled.validation.size();
  p.validation_percent = options.validation_percent;
  return p;
}

std::string FeatureStatsJson(int version, const inference::FeatureParams& params) {
  std::string json;
  JsonWriter w(&json);
  w.BeginObject().Key("model_version").Int(version).Key("params").BeginObject();
  for (const auto& [k, v] : params) w.Key(k).Double(v);
  w.EndObject().EndObject();
  return json;
}

// Refuses to fit on too little data, with a message that says what to do.
Status CheckEnoughData(const LabeledEvents& labeled, uint64_t events_in_state,
                       const TrainJobOptions& options) {
  const uint64_t n = labeled.train.size() + labeled.validation.size();
  if (events_in_state == 0) {
    return Status::NotFound(fmt::format(
        "no valid events in {} (state {}): nothing to train on; produce some with `kappa "
        "produce`",
        options.topic, options.state_dir));
  }
  if (n == 0) {
    return Status::NotFound(fmt::format(
        "none of the {} events in state is labeled (Survived): training needs labeled events",
        events_in_state));
  }
  if (n < options.min_labeled) {
    return Status::NotFound(fmt::format("only {} labeled events in state; at least {} are needed",
                                        n, options.min_labeled));
  }
  if (labeled.train.empty() || labeled.validation.empty()) {
    return Status::NotFound(fmt::format(
        "the {}% validation split of {} labeled events leaves one side empty; produce more "
        "passengers",
        options.validation_percent, n));
  }
  return Status::Ok();
}

// The newest stored version of `feature_set` whose booster is `booster_ubj`.
Result<std::optional<inference::ModelManifest>> FindIdenticalVersion(
    const inference::ModelRegistry& registry, const std::string& feature_set,
    std::string_view booster_ubj) {
  auto versions = registry.Versions();
  if (!versions.ok()) return versions.status();
  const std::string sha = Sha256Hex(booster_ubj);
  for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
    auto manifest = registry.ReadManifest(*v);
    if (!manifest.ok()) continue;  // a damaged version is not a match
    if (manifest->feature_set == feature_set && manifest->booster_sha256 == sha) {
      return std::optional<inference::ModelManifest>(std::move(manifest).value());
    }
  }
  return std::optional<inference::ModelManifest>();
}

}  // namespace

Result<TrainReport> RunTrainJob(const stream::KafkaClientOptions& client,
                                const TrainJobOptions& options,
                                const std::function<void(const TrainProgress&)>& on_progress) {
  auto feature_set = inference::RequireFeatureSet(options.feature_set);
  if (!feature_set.ok()) return feature_set.status();
  if (options.validation_percent < 1 || options.validation_percent > 90) {
    return Status::InvalidArgument("validation percent must be 1..90");
  }
  if (options.from_scratch) {
    spdlog::info("--from-scratch: clearing state {}", options.state_dir);
    KAPPA_RETURN_IF_ERROR(state::EventStore::Destroy(options.state_dir));
  }
  auto store = state::EventStore::Open({.path = options.state_dir});
  if (!store.ok()) return store.status();

  TrainReport report;
  TrainProgress progress;
  auto replay = ReplayIntoState(
      client, store->get(),
      {.topic = options.topic,
       .dlq_topic = options.dlq_topic,
       .dead_letter = options.dead_letter,
       .should_stop = options.should_stop},
      [&](const ReplayProgress& p) {
        progress.replay = p;
        if (on_progress) on_progress(progress);
      });
  if (!replay.ok()) return replay.status();
  report.replay = *replay;
  if (replay->interrupted) {
    KAPPA_RETURN_IF_ERROR((*store)->Close());
    return Status::Cancelled(
        "interrupted during replay; the state is consistent up to its "
        "checkpoints and the next run resumes from there");
  }

  progress.phase = TrainProgress::Phase::kLoad;
  if (on_progress) on_progress(progress);
  auto labeled = LoadLabeledEvents(**store, options.topic, options.validation_percent);
  if (!labeled.ok()) return labeled.status();
  auto provenance = Provenance(**store, options, *labeled);
  if (!provenance.ok()) return provenance.status();
  KAPPA_RETURN_IF_ERROR(CheckEnoughData(*labeled, provenance->events_in_state, options));

  // Fit the feature parameters on the training split only.
  const inference::FeatureSet& set = **feature_set;
  const inference::FeatureParams params = set.Fit(labeled->train);
  auto transform = set.Bind(params);
  if (!transform.ok()) return transform.status();
  const Dataset train = BuildDataset(labeled->train, **transform);
  const Dataset valid = BuildDataset(labeled->validation, **transform);

  const auto stopped = [&] { return options.should_stop && options.should_stop(); };
  if (stopped()) return Status::Cancelled("interrupted before fitting; the state is complete");
  progress.phase = TrainProgress::Phase::kFit;
  auto fit = FitBooster(train, valid, options.fit, [&](const FitProgress& p) {
    progress.fit = p;
    if (on_progress) on_progress(progress);
  });
  if (!fit.ok()) return fit.status();
  std::vector<float> probabilities;
  KAPPA_RETURN_IF_ERROR(fit->booster->Predict(valid.features.values.data(), valid.features.rows,
                                              valid.features.cols, &probabilities));
  report.evaluation = Evaluate(probabilities, valid.labels);
  auto gain = fit->booster->FeatureGain(set.feature_names().size());
  if (!gain.ok()) return gain.status();
  report.feature_gain = GainShares(*gain, set.feature_names());
  auto booster_bytes = fit->booster->Serialize();
  if (!booster_bytes.ok()) return booster_bytes.status();

  inference::ModelManifest manifest;
  manifest.created_ms = WallClockMs();
  manifest.feature_set = std::string(set.name());
  manifest.feature_names = set.feature_names();
  manifest.feature_params = params;
  manifest.xgboost_params = options.fit.params;
  manifest.boosted_rounds = fit->best_rounds;
  manifest.provenance = *provenance;
  manifest.metrics = MetricsOf(report.evaluation);
  manifest.feature_importance = report.feature_gain;

  if (stopped()) return Status::Cancelled("interrupted after fitting; no version was stored");
  auto registry = inference::ModelRegistry::Open(options.models_dir, options.model_key);
  if (!registry.ok()) return registry.status();
  std::optional<inference::ModelManifest> identical;
  if (options.reuse_identical) {
    auto found = FindIdenticalVersion(**registry, manifest.feature_set, *booster_bytes);
    if (!found.ok()) return found.status();
    identical = std::move(found).value();
  }
  auto stored = identical ? Result<inference::ModelManifest>(*identical)
                          : (*registry)->Publish(std::move(manifest), *booster_bytes);
  if (!stored.ok()) return stored.status();
  report.reused = identical.has_value();
  report.manifest = *stored;
  report.fit_summary.best_rounds = fit->best_rounds;
  report.fit_summary.rounds_trained = fit->rounds_trained;
  report.fit_summary.best_valid_logloss = fit->best_valid_logloss;
  report.fit_summary.seconds = fit->seconds;
  KAPPA_RETURN_IF_ERROR((*store)->PutFeatureStats(std::string(set.name()),
                                                  FeatureStatsJson(stored->version, params)));
  KAPPA_RETURN_IF_ERROR((*store)->Close());

  if (options.promote) {
    KAPPA_RETURN_IF_ERROR((*registry)->Promote(stored->version));
    report.promoted = true;
  }
  if (options.publish) {
    const Status published =
        inference::PublishModel(client, options.models_topic, *stored, *booster_bytes, "published",
                                options.promote, (*registry)->key());
    if (!published.ok()) {
      return Status(published).WithContext(fmt::format(
          "model v{} is stored in {}{}, but publishing it to {} failed (publish it again with "
          "`kappa models promote {}`)",
          stored->version, options.models_dir, options.promote ? " and current" : "",
          options.models_topic, stored->version));
    }
    report.published = true;
  }
  return report;
}

}  // namespace kappa::training
