#include "training/reprocess_job.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <thread>

#include "inference/feature_set.h"
#include "inference/model.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "inference/prediction.h"
#include "state/event_store.h"
#include "stream/consumer.h"
#include "stream/event_codec.h"
#include "stream/producer.h"
#include "training/dataset.h"
#include "training/reprocess_run.h"

namespace kappa::training {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kKafkaTimeout = std::chrono::seconds(10);
constexpr size_t kScoreChunk = 4096;

// "partition:first:next:events ..." of the state: equal strings, equal history.
Result<std::string> HistoryOf(const state::EventStore& store, const std::string& topic,
                              uint64_t* events) {
  auto checkpoints = store.Checkpoints(topic);
  if (!checkpoints.ok()) return checkpoints.status();
  std::string history;
  *events = 0;
  for (const auto& cp : *checkpoints) {
    if (!history.empty()) history += ' ';
    history += fmt::format("{}:{}:{}:{}", cp.partition, cp.first_offset, cp.next_offset, cp.events);
    *events += cp.events;
  }
  return history;
}

// The prediction at `offset` of output partition `partition`.
Result<inference::Prediction> ReadPrediction(stream::Consumer* consumer, const std::string& topic,
                                             int32_t partition, int64_t offset) {
  const stream::TopicPartitionOffset at{topic, partition, offset};
  KAPPA_RETURN_IF_ERROR(consumer->Assign(std::span(&at, 1)));
  std::vector<stream::Message> messages;
  const auto deadline = Clock::now() + kKafkaTimeout;
  while (Clock::now() < deadline) {
    messages.clear();
    KAPPA_RETURN_IF_ERROR(consumer->Poll(1, std::chrono::milliseconds(100), &messages));
    for (const auto& m : messages) {
      if (m.offset() != offset) continue;
      const auto value = m.value();
      auto prediction = inference::DecodePrediction(value.value_or(""));
      if (!prediction.ok()) {
        return prediction.status().WithContext(
            fmt::format("{} [{}] offset {}", topic, partition, offset));
      }
      return prediction;
    }
  }
  return Status::Timeout(
      fmt::format("could not read {} [{}] offset {} within 10 s", topic, partition, offset));
}

// The current model to compare with: the newest version on the promotion
// stack other than `new_version` (so a rerun after --promote still compares
// with the model it replaced). None when there is none or it cannot load.
std::unique_ptr<inference::Model> LoadOldModel(const inference::ModelRegistry& registry,
                                               int new_version) {
  auto stack = registry.PromotionStack();
  if (!stack.ok()) {
    spdlog::warn("no comparison with the current model: {}", stack.status().ToString());
    return nullptr;
  }
  for (auto v = stack->rbegin(); v != stack->rend(); ++v) {
    if (*v == new_version) continue;
    auto model = registry.Load(*v);
    if (!model.ok()) {
      spdlog::warn("no comparison with current model v{}: {}", *v, model.status().ToString());
      return nullptr;
    }
    return std::move(model).value();
  }
  return nullptr;
}

// The labels of history's validation split and both models' probabilities
// for them, gathered while re-scoring (the split of dataset.h, in the order
// LoadLabeledEvents reads it), so the comparison needs no second pass.
struct ValidationScores {
  std::vector<float> labels;
  std::vector<float> fresh;
  std::vector<float> old;
};

// `model`'s side of the comparison, apart from predicted_survived.
void Describe(const inference::Model& model, std::span<const float> probabilities,
              std::span<const float> labels, ModelComparison* out) {
  out->version = model.version();
  out->feature_set = model.manifest().feature_set;
  out->rounds = model.manifest().boosted_rounds;
  out->feature_importance = model.manifest().feature_importance;
  out->evaluation = Evaluate(probabilities, labels);
}

// Where the rescore phase continues in each output partition: the source
// offset of the last prediction this run wrote there (-1: none yet).
Result<std::map<int32_t, int64_t>> ResumePoints(stream::Consumer* consumer, const ReprocessRun& run,
                                                const std::map<int32_t, int64_t>& ends,
                                                uint64_t* already_written) {
  std::map<int32_t, int64_t> after;
  *already_written = 0;
  for (const auto& [p, start] : run.output_start) {
    after[p] = -1;
    const int64_t end = ends.at(p);
    if (end <= start) continue;
    auto last = ReadPrediction(consumer, run.output_topic, p, end - 1);
    if (!last.ok()) return last.status();
    if (last->model_version != run.model_version || last->partition != p) {
      return Status::Corruption(fmt::format(
          "{} [{}] ends with a record this reprocess did not write (model v{}, source partition "
          "{}); cannot resume safely: delete the reprocess directory to start over, or write to "
          "another --output-topic",
          run.output_topic, p, last->model_version, last->partition));
    }
    after[p] = last->offset;
    *already_written += static_cast<uint64_t>(end - start);
  }
  return after;
}

// Scores every event in state with `fresh` (and `old`, for the counts);
// sends the predictions after `resume_after` unless `write` is false, and
// keeps the validation split's scores in *validation.
Status Rescore(const state::EventStore& store, const ReprocessOptions& options,
               const ReprocessRun& run, inference::Model* fresh, inference::Model* old,
               const std::map<int32_t, int64_t>& resume_after, bool write,
               stream::Producer* producer, ReprocessReport* report, ValidationScores* validation,
               const std::function<void(const ReprocessProgress&)>& on_progress, uint64_t total) {
  stream::EventDecoder decoder;
  std::vector<stream::PassengerEvent> events;
  std::vector<std::pair<int32_t, int64_t>> sources;
  std::vector<float> fresh_p;
  std::vector<float> old_p;
  std::string value;
  ReprocessProgress progress{.phase = ReprocessProgress::Phase::kRescore, .total = total};
  Status error;
  const auto flush = [&]() -> Status {
    if (events.empty()) return Status::Ok();
    KAPPA_RETURN_IF_ERROR(fresh->Score(events, &fresh_p));
    if (old != nullptr) KAPPA_RETURN_IF_ERROR(old->Score(events, &old_p));
    for (size_t i = 0; i < events.size(); ++i) {
      const bool survived = fresh_p[i] >= options.threshold;
      if (survived) ++report->new_model.predicted_survived;
      if (old != nullptr) {
        const bool was = old_p[i] >= options.threshold;
        if (was) ++report->old_model->predicted_survived;
        if (was == survived) {
          ++report->unchanged;
        } else if (survived) {
          ++report->became_survived;
        } else {
          ++report->became_not_survived;
        }
      }
      const stream::PassengerEvent& event = events[i];
      if (event.survived && InValidationSplit(event.passenger_id, options.validation_percent)) {
        validation->labels.push_back(*event.survived ? 1.0f : 0.0f);
        validation->fresh.push_back(fresh_p[i]);
        if (old != nullptr) validation->old.push_back(old_p[i]);
      }
      const auto [partition, offset] = sources[i];
      if (!write || offset <= resume_after.at(partition)) continue;
      value.clear();
      inference::EncodePrediction({.passenger_id = event.passenger_id,
                                   .survived = survived,
                                   .probability = fresh_p[i],
                                   .model_version = run.model_version,
                                   .feature_set = options.feature_set,
                                   .partition = partition,
                                   .offset = offset},
                                  &value);
      KAPPA_RETURN_IF_ERROR(producer->Send(options.output_topic, std::to_string(event.passenger_id),
                                           value, {}, nullptr, partition));
      ++report->written;
    }
    report->history += events.size();
    progress.rescored = report->history;
    progress.written = report->written;
    if (on_progress) on_progress(progress);
    events.clear();
    sources.clear();
    return Status::Ok();
  };
  KAPPA_RETURN_IF_ERROR(store.ForEachEvent(options.topic, [&](const state::StoredEvent& e) {
    if (!resume_after.contains(e.partition)) {
      error =
          Status::Internal(fmt::format("no output partition for source partition {}", e.partition));
      return false;
    }
    events.emplace_back();
    if (auto rejection = decoder.Decode(e.value, &events.back())) {
      error = Status::Corruption(fmt::format(
          "stored event {} [{}] offset {} no longer decodes ({}); the reprocess state is damaged: "
          "delete it to start over",
          options.topic, e.partition, e.offset, rejection->reason));
      return false;
    }
    sources.emplace_back(e.partition, e.offset);
    if (events.size() == kScoreChunk) {
      error = flush();
      if (!error.ok()) return false;
      if (options.should_stop && options.should_stop()) {
        error = Status::Cancelled("interrupted while re-scoring; a rerun resumes where it stopped");
        return false;
      }
    }
    return true;
  }));
  KAPPA_RETURN_IF_ERROR(error);
  return flush();
}

// Makes sure the output topic exists with at least the events topic's
// partition count (a prediction goes to the partition of its event);
// returns that count. Kafka creates a missing topic through the admin API
// (the consumer's metadata request does not auto-create it); the embedded
// broker auto-creates topics on any metadata request, with its default of 4
// partitions, and `kappa broker` creates titanic-predictions.<set> up front.
Result<int32_t> PrepareOutputTopic(stream::Consumer* consumer, stream::Producer* producer,
                                   const ReprocessOptions& options) {
  auto source = consumer->PartitionCount(options.topic, kKafkaTimeout);
  if (!source.ok()) return source.status();
  auto output = consumer->PartitionCount(options.output_topic, kKafkaTimeout);
  if (!output.ok() && output.status().code() == StatusCode::kNotFound) {
    spdlog::info("creating output topic {} with {} partitions", options.output_topic, *source);
    KAPPA_RETURN_IF_ERROR(
        producer->CreateTopic(options.output_topic, *source, kKafkaTimeout)
            .WithContext(fmt::format("output topic {} does not exist (create it with {} "
                                     "partitions, like {})",
                                     options.output_topic, *source, options.topic)));
    // A new topic reaches every broker's metadata a little later.
    const auto deadline = Clock::now() + kKafkaTimeout;
    for (;;) {
      output = producer->PartitionCount(options.output_topic, kKafkaTimeout);
      if (output.ok() || Clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  if (!output.ok()) return output.status().WithContext("output topic " + options.output_topic);
  if (*output < *source) {
    return Status::InvalidArgument(fmt::format(
        "output topic {} has {} partitions, fewer than the {} of {}: each prediction goes to the "
        "partition of its event; recreate it with {} partitions or choose another --output-topic",
        options.output_topic, *output, *source, options.topic, *source));
  }
  return *source;
}

}  // namespace

Result<ReprocessReport> RunReprocessJob(
    const stream::KafkaClientOptions& client, const ReprocessOptions& options,
    const std::function<void(const ReprocessProgress&)>& on_progress) {
  const auto start = Clock::now();
  KAPPA_RETURN_IF_ERROR(inference::RequireFeatureSet(options.feature_set).status());
  if (options.state_dir.empty() || options.output_topic.empty()) {
    return Status::InvalidArgument("reprocess needs a state directory and an output topic");
  }
  {
    // Before the long replay and fit: the output topic must take the result.
    auto producer = stream::Producer::Create({.client = client});
    if (!producer.ok()) return producer.status();
    auto consumer = stream::Consumer::Create({.client = client});
    if (!consumer.ok()) return consumer.status();
    KAPPA_RETURN_IF_ERROR(PrepareOutputTopic(consumer->get(), producer->get(), options).status());
  }
  const std::string events_dir = options.state_dir + "/events";
  ReprocessReport report;
  report.output_topic = options.output_topic;

  // A new run, or the unfinished one in state_dir.
  auto previous = LoadReprocessRun(options.state_dir);
  if (!previous.ok()) return previous.status();
  ReprocessRun run;
  if (*previous && (*previous)->phase != ReprocessRun::Phase::kDone) {
    if ((*previous)->feature_set != options.feature_set ||
        (*previous)->output_topic != options.output_topic) {
      return Status::InvalidArgument(fmt::format(
          "{} holds an unfinished reprocess of {} into {}; finish it with the same options, "
          "delete the directory, or use another --state-dir",
          options.state_dir, (*previous)->feature_set, (*previous)->output_topic));
    }
    run = **previous;
    report.resumed_phase = std::string(PhaseName(run.phase));
    spdlog::info("resuming the interrupted reprocess of {} in {} (phase {})", run.feature_set,
                 options.state_dir, PhaseName(run.phase));
  } else {
    run.feature_set = options.feature_set;
    run.output_topic = options.output_topic;
    const ReprocessRun* done = previous->has_value() ? &**previous : nullptr;
    if (done != nullptr && done->feature_set == run.feature_set &&
        done->output_topic == run.output_topic) {
      run.previous_model_version = done->model_version;
      run.previous_history = done->history;
      run.previous_output_start = done->output_start;
      run.previous_output_end = done->output_end;
    }
    // The whole retained log, from its start: a state of its own.
    KAPPA_RETURN_IF_ERROR(state::EventStore::Destroy(events_dir));
    KAPPA_RETURN_IF_ERROR(SaveReprocessRun(options.state_dir, run));
  }
  auto registry = inference::ModelRegistry::Open(options.models_dir, options.model_key);
  if (!registry.ok()) return registry.status();

  // 1. Replay and fit (train_job.h), the new version not made current.
  if (run.phase == ReprocessRun::Phase::kReplay) {
    TrainJobOptions train;
    train.topic = options.topic;
    train.dead_letter = false;
    train.models_topic = options.models_topic;
    train.state_dir = events_dir;
    train.models_dir = options.models_dir;
    train.model_key = options.model_key;
    train.feature_set = options.feature_set;
    train.fit = options.fit;
    train.validation_percent = options.validation_percent;
    train.min_labeled = options.min_labeled;
    train.promote = false;
    train.publish = false;
    train.reuse_identical = true;
    train.should_stop = options.should_stop;
    auto trained = RunTrainJob(client, train, [&](const TrainProgress& p) {
      if (on_progress) on_progress({.phase = ReprocessProgress::Phase::kReplay, .train = p});
    });
    if (!trained.ok()) return trained.status();
    report.replay = trained->replay;
    report.fit_seconds = trained->fit_summary.seconds;
    report.reused_version = trained->reused;
    run.model_version = trained->manifest.version;
  }
  auto store = state::EventStore::Open({.path = events_dir, .create_if_missing = false});
  if (!store.ok()) return store.status();
  uint64_t total = 0;
  auto history = HistoryOf(**store, options.topic, &total);
  if (!history.ok()) return history.status();
  if (run.phase == ReprocessRun::Phase::kReplay) {
    run.history = *history;
    run.phase = ReprocessRun::Phase::kRescore;
    KAPPA_RETURN_IF_ERROR(SaveReprocessRun(options.state_dir, run));
  } else if (run.history != *history) {
    return Status::Corruption(fmt::format(
        "the state in {} no longer matches the run it belongs to; delete {} to start over",
        events_dir, options.state_dir));
  }

  // 2. Re-score.
  auto fresh = (*registry)->Load(run.model_version);
  if (!fresh.ok()) return fresh.status().WithContext("the reprocess model");
  std::unique_ptr<inference::Model> old = LoadOldModel(**registry, run.model_version);
  if (old != nullptr) report.old_model = ModelComparison{};

  // Idempotent: within a partition, records land in the order sent and
  // never twice, which is what makes the resume points exact.
  auto producer =
      stream::Producer::Create({.client = stream::WithDefaults(
                                    client, {{"enable.idempotence", "true"}, {"linger.ms", "5"}})});
  if (!producer.ok()) return producer.status();
  auto consumer = stream::Consumer::Create({.client = client});
  if (!consumer.ok()) return consumer.status();
  auto source_partitions = PrepareOutputTopic(consumer->get(), producer->get(), options);
  if (!source_partitions.ok()) return source_partitions.status();
  std::map<int32_t, int64_t> lows;
  std::map<int32_t, int64_t> ends;
  for (int32_t p = 0; p < *source_partitions; ++p) {
    auto w = (*consumer)->QueryWatermarks(options.output_topic, p, kKafkaTimeout);
    if (!w.ok()) return w.status();
    lows[p] = w->low;
    ends[p] = w->high;
  }
  if (run.output_start.empty()) {
    run.output_start = ends;
    KAPPA_RETURN_IF_ERROR(SaveReprocessRun(options.state_dir, run));
  }
  // The last finished run's output is still the answer when history and
  // model are the same and none of it has expired.
  bool still_complete = run.previous_model_version == run.model_version &&
                        run.previous_history == run.history && !run.previous_output_end.empty();
  for (const auto& [p, first] : run.previous_output_start) {
    if (!lows.contains(p) || lows[p] > first) still_complete = false;  // expired
  }
  for (const auto& [p, last] : run.previous_output_end) {
    if (!ends.contains(p) || ends[p] < last) still_complete = false;  // topic recreated
  }
  report.output_was_complete = still_complete;
  std::map<int32_t, int64_t> resume_after;
  if (still_complete) {
    for (const auto& [p, end] : ends) resume_after[p] = INT64_MAX;
  } else {
    auto points = ResumePoints(consumer->get(), run, ends, &report.resumed_after);
    if (!points.ok()) return points.status();
    resume_after = std::move(points).value();
  }
  ValidationScores validation;
  const auto rescore_start = Clock::now();
  KAPPA_RETURN_IF_ERROR(Rescore(**store, options, run, fresh->get(), old.get(), resume_after,
                                !still_complete, producer->get(), &report, &validation, on_progress,
                                total));
  KAPPA_RETURN_IF_ERROR((*producer)->Flush(options.delivery_timeout));
  if ((*producer)->stats().failed.load() != 0) {
    return Status((*producer)->first_failure())
        .WithContext("predictions not acknowledged; a rerun resumes");
  }
  report.rescore_seconds = std::chrono::duration<double>(Clock::now() - rescore_start).count();
  if (still_complete) {
    run.output_start = run.previous_output_start;
    run.output_end = run.previous_output_end;
  } else {
    for (auto& [p, end] : ends) {
      auto w = (*consumer)->QueryWatermarks(options.output_topic, p, kKafkaTimeout);
      if (!w.ok()) return w.status();
      end = w->high;
    }
    run.output_end = ends;
  }
  run.phase = ReprocessRun::Phase::kDone;
  KAPPA_RETURN_IF_ERROR(SaveReprocessRun(options.state_dir, run));

  // 3. Compare on the same validation split; promote.
  Describe(**fresh, validation.fresh, validation.labels, &report.new_model);
  if (old != nullptr) Describe(*old, validation.old, validation.labels, &*report.old_model);
  KAPPA_RETURN_IF_ERROR((*store)->Close());

  if (options.promote) {
    // Promote() verifies the version again (sha256, feature set, smoke test).
    KAPPA_RETURN_IF_ERROR((*registry)->Promote(run.model_version));
    KAPPA_RETURN_IF_ERROR(
        inference::PublishModel(client, options.models_topic, (*fresh)->manifest(),
                                (*fresh)->booster_bytes(), "promoted", true, (*registry)->key())
            .WithContext(fmt::format("v{} is current in {} but was not published to {} (publish it "
                                     "with `kappa models promote {}`)",
                                     run.model_version, options.models_dir, options.models_topic,
                                     run.model_version)));
    report.promoted = true;
  }
  report.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace kappa::training
