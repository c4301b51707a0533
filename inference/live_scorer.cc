#include "inference/live_scorer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <map>
#include <set>

#include "common/clock.h"
#include "inference/alert.h"
#include "stream/consumer.h"
#include "stream/dead_letter.h"
#include "stream/event_codec.h"
#include "stream/producer.h"

namespace kappa::inference {
namespace {

using Clock = std::chrono::steady_clock;

// Events of one batch that decoded, with where they came from.
struct ScoredBatch {
  std::vector<stream::PassengerEvent> events;
  std::vector<const stream::Message*> sources;
  std::vector<float> probabilities;
};

}  // namespace

std::string ScoringSummary::ToString() const {
  return fmt::format("scored={} alerts={} dead_lettered={} batches={} reloads={} seconds={:.3f}",
                     scored, alerts, dead_lettered, batches, reloads, seconds);
}

LiveScorer::LiveScorer(stream::KafkaClientOptions client, LiveScorerOptions options,
                       monitoring::ScoringMetrics* metrics)
    : client_(std::move(client)), options_(std::move(options)), metrics_(metrics) {}

Result<ScoringSummary> LiveScorer::Run(std::unique_ptr<Model> model, ModelWatcher* watcher,
                                       const std::function<bool()>& should_stop) {
  const auto start = Clock::now();
  // A member that dies without leaving (kill -9) holds its partitions for
  // session.timeout.ms; librdkafka's 45 s default would stall failover and
  // restarts that long (the embedded broker even waits for it after a clean
  // LeaveGroup). 10 s was Kafka's own default before 3.0. -X overrides it.
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(client_, {{"session.timeout.ms", "10000"}}),
       .group_id = options_.group_id,
       .report_partition_eof = options_.until_end});
  if (!consumer.ok()) return consumer.status();
  auto producer = stream::Producer::Create({.client = client_});
  if (!producer.ok()) return producer.status();

  // With until_end: the end of every partition now; reached when consumed.
  std::map<int32_t, int64_t> end_offsets;
  std::set<int32_t> reached;
  if (options_.until_end) {
    auto n = (*consumer)->PartitionCount(options_.events_topic, std::chrono::seconds(10));
    if (!n.ok()) return n.status();
    for (int32_t p = 0; p < *n; ++p) {
      auto w = (*consumer)->QueryWatermarks(options_.events_topic, p, std::chrono::seconds(10));
      if (!w.ok()) return w.status();
      end_offsets[p] = w->high;
    }
  }
  KAPPA_RETURN_IF_ERROR((*consumer)->Subscribe({options_.events_topic}));
  metrics_->model_version.Set(model->version());

  stream::DeadLetterWriter dlq(producer->get(), options_.dlq_topic);
  stream::EventDecoder decoder;
  std::vector<stream::Message> messages;
  std::vector<stream::TopicPartitionOffset> eofs;
  ScoredBatch batch;
  std::string alert_json;
  std::array<char, 24> key{};
  ScoringSummary summary;

  uint64_t refused_seen = watcher != nullptr ? watcher->refused() : 0;
  while (!should_stop()) {
    // Between two batches: the only place the model may change.
    if (watcher != nullptr) {
      auto fresh =
          watcher->PollNewCurrent(std::chrono::milliseconds(0), model->manifest().booster_sha256);
      if (!fresh.ok()) return fresh.status();
      metrics_->reload_failures.Increment(static_cast<double>(watcher->refused() - refused_seen));
      refused_seen = watcher->refused();
      if (*fresh) {
        spdlog::info("hot reload: model v{} -> v{} ({})", model->version(), (*fresh)->version(),
                     (*fresh)->manifest().feature_set);
        model = std::move(fresh).value();
        metrics_->model_version.Set(model->version());
        metrics_->reloads.Increment();
        ++summary.reloads;
      }
    }
    messages.clear();
    eofs.clear();
    KAPPA_RETURN_IF_ERROR(
        (*consumer)->Poll(options_.max_batch, options_.poll_wait, &messages, &eofs));
    for (const auto& eof : eofs) {
      if (eof.offset >= end_offsets[eof.partition]) reached.insert(eof.partition);
    }
    if (!messages.empty()) {
      const auto batch_start = Clock::now();
      const uint64_t failed_before = (*producer)->stats().failed.load();
      batch.events.clear();
      batch.sources.clear();
      std::map<int32_t, int64_t> next_offsets;
      for (const auto& m : messages) {
        next_offsets[m.partition()] = m.offset() + 1;
        stream::PassengerEvent& event = batch.events.emplace_back();
        if (auto rejection = decoder.Decode(m.value(), &event)) {
          batch.events.pop_back();
          KAPPA_RETURN_IF_ERROR(dlq.Send(m, *rejection));
          ++summary.dead_lettered;
          metrics_->dead_lettered.Increment();
          continue;
        }
        batch.sources.push_back(&m);
      }
      KAPPA_RETURN_IF_ERROR(model->Score(batch.events, &batch.probabilities));
      uint64_t alerts = 0;
      const int64_t now_ms = WallClockMs();
      for (size_t i = 0; i < batch.events.size(); ++i) {
        if (batch.probabilities[i] < options_.threshold) continue;
        const stream::Message& source = *batch.sources[i];
        alert_json.clear();
        EncodeAlert({.event = &batch.events[i],
                     .probability = batch.probabilities[i],
                     .model_version = model->version(),
                     .feature_set = model->manifest().feature_set,
                     .partition = source.partition(),
                     .offset = source.offset(),
                     .scored_at_ms = now_ms},
                    &alert_json);
        const auto key_end =
            std::to_chars(key.data(), key.data() + key.size(), batch.events[i].passenger_id).ptr;
        KAPPA_RETURN_IF_ERROR((*producer)->Send(
            options_.alerts_topic, std::string_view(key.data(), key_end - key.data()), alert_json));
        ++alerts;
      }
      metrics_->RecordBatch(std::chrono::duration<double>(Clock::now() - batch_start).count(),
                            batch.events.size(), alerts);
      // At-least-once: nothing is committed until the broker has every
      // alert and DLQ record of this batch.
      KAPPA_RETURN_IF_ERROR((*producer)->Flush(options_.delivery_timeout));
      if ((*producer)->stats().failed.load() != failed_before) {
        return (*producer)->first_failure().WithContext("alerts not acknowledged; not committed");
      }
      std::vector<stream::TopicPartitionOffset> commit;
      for (const auto& [p, next] : next_offsets) {
        commit.push_back({options_.events_topic, p, next});
        if (options_.until_end && next >= end_offsets[p]) reached.insert(p);
      }
      // A failed commit (e.g. the partition moved to another member) means
      // those events are scored again there: duplicates, never loss.
      if (Status s = (*consumer)->Commit(commit); !s.ok()) {
        spdlog::warn("offset commit failed, the events will be scored again: {}", s.message());
      }
      summary.scored += batch.events.size();
      summary.alerts += alerts;
      ++summary.batches;
    }
    if (options_.until_end) {
      auto assignment = (*consumer)->Assignment();
      if (!assignment.ok()) return assignment.status();
      bool all = !assignment->empty();
      for (const auto& tp : *assignment) {
        if (!reached.contains(tp.partition)) all = false;
      }
      if (all) break;
    }
  }
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace kappa::inference
