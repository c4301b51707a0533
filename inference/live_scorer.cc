#include "inference/live_scorer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <random>
#include <set>

#include "common/clock.h"
#include "inference/alert.h"
#include "stream/consumer.h"
#include "stream/dead_letter.h"
#include "stream/event_codec.h"
#include "stream/kafka_statistics.h"
#include "stream/producer.h"
#include "stream/progress_log.h"

namespace kappa::inference {
namespace {

using Clock = std::chrono::steady_clock;

// Consecutive aborted transactions after which the run gives up (the cause,
// e.g. a missing alerts topic, is not going away by itself).
constexpr int kMaxConsecutiveAborts = 5;
constexpr int kCommitAttempts = 3;  // for retriable commit errors

// Events of one batch that decoded, with where they came from.
struct ScoredBatch {
  std::vector<stream::PassengerEvent> events;
  std::vector<const stream::Message*> sources;
  std::vector<float> probabilities;
};

std::string Partitions(std::span<const stream::TopicPartitionOffset> list) {
  std::string out;
  for (const auto& tp : list) {
    if (!out.empty()) out += ',';
    out += std::to_string(tp.partition);
  }
  return out.empty() ? "none" : out;
}

// Adds `later` to `*held`, replacing the held offset of the same partition.
void MergeOffsets(std::span<const stream::TopicPartitionOffset> later,
                  std::vector<stream::TopicPartitionOffset>* held) {
  for (const auto& tp : later) {
    auto it = std::find_if(held->begin(), held->end(),
                           [&](const auto& h) { return h.partition == tp.partition; });
    if (it == held->end()) {
      held->push_back(tp);
    } else {
      it->offset = tp.offset;
    }
  }
}

// kappa_consumer_lag from one librdkafka statistics report.
void ExportLag(std::string_view json, monitoring::ScoringMetrics* metrics) {
  auto stats = stream::ParseKafkaStatistics(json);
  if (!stats.ok()) {
    spdlog::warn("ignoring librdkafka statistics: {}", stats.status().message());
    return;
  }
  std::vector<monitoring::PartitionLag> lags;
  for (const auto& p : stats->partitions) lags.push_back({p.topic, p.partition, p.consumer_lag});
  metrics->SetConsumerLag(lags);
}

// A random id for this run, so transaction ids differ across restarts.
std::string RunId() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

}  // namespace

std::string ScoringSummary::ToString() const {
  return fmt::format(
      "scored={} alerts={} dead_lettered={} batches={} reloads={} aborted={} seconds={:.3f}",
      scored, alerts, dead_lettered, batches, reloads, aborted, seconds);
}

LiveScorer::LiveScorer(stream::KafkaClientOptions client, LiveScorerOptions options,
                       monitoring::ScoringMetrics* metrics)
    : client_(std::move(client)), options_(std::move(options)), metrics_(metrics) {}

Result<ScoringSummary> LiveScorer::Run(std::unique_ptr<Model> model, ModelWatcher* watcher,
                                       const std::function<bool()>& should_stop) {
  const auto start = Clock::now();
  const bool exactly_once = options_.exactly_once;
  if (exactly_once && options_.transactional_id.empty()) {
    return Status::InvalidArgument("exactly-once needs a transactional id");
  }
  std::unique_ptr<stream::ProgressLog> progress;
  if (exactly_once) {
    auto log = stream::ProgressLog::Open(client_, options_.progress_topic, options_.group_id);
    if (!log.ok()) return log.status();
    progress = std::move(log).value();
  }

  // Where a newly assigned partition starts: the group's committed offset,
  // or in exactly-once mode the later of it and the progress log's (the
  // embedded broker keeps no transactional offsets; see progress_log.h).
  stream::Consumer* consumer_ptr = nullptr;
  auto on_assign = [&](std::vector<stream::TopicPartitionOffset>* assigned) -> Status {
    spdlog::info("assigned partitions {} of {}", Partitions(*assigned), options_.events_topic);
    if (!exactly_once || assigned->empty()) return Status::Ok();
    std::vector<int32_t> partitions;
    for (const auto& tp : *assigned) partitions.push_back(tp.partition);
    auto recorded = progress->Load(options_.events_topic, partitions);
    if (!recorded.ok()) return recorded.status().WithContext("reading progress");
    auto committed = consumer_ptr->Committed(*assigned, std::chrono::seconds(10));
    if (!committed.ok()) return committed.status();
    for (size_t i = 0; i < assigned->size(); ++i) {
      auto& tp = (*assigned)[i];
      const int64_t group_offset = (*committed)[i].offset;  // < 0: none
      const auto it = recorded->find(tp.partition);
      const int64_t logged = it == recorded->end() ? -1 : it->second;
      const int64_t next = std::max(group_offset, logged);
      if (next >= 0) tp.offset = next;
    }
    return Status::Ok();
  };
  // At-least-once: offsets of scored batches whose commit failed (the
  // embedded broker refuses commits while the group rebalances; Kafka
  // refuses them once the generation is gone). While any are held, fetching
  // is paused so no further batch is scored that the next owner would score
  // again; the commit is retried, and tried a last time on revoke.
  std::vector<stream::TopicPartitionOffset> uncommitted;
  auto on_revoke = [&](std::span<const stream::TopicPartitionOffset> revoked) {
    spdlog::info("partitions {} of {} revoked", Partitions(revoked), options_.events_topic);
    if (uncommitted.empty()) return;  // every batch is committed before the next poll
    if (Status s = consumer_ptr->Commit(uncommitted); !s.ok()) {
      spdlog::warn("last commit before the revoke failed; the next owner scores those events "
                   "again: {}", s.message());
    }
    uncommitted.clear();
    if (Status s = consumer_ptr->Resume(revoked); !s.ok()) spdlog::warn("{}", s.message());
  };

  // A member that dies without leaving (kill -9) holds its partitions for
  // session.timeout.ms; librdkafka's 45 s default would stall failover and
  // restarts that long (the embedded broker even waits for it after a clean
  // LeaveGroup). 10 s was Kafka's own default before 3.0. -X overrides it.
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(client_, {{"session.timeout.ms", "10000"},
                                                {"isolation.level", "read_committed"}}),
       .group_id = options_.group_id,
       .report_partition_eof = options_.until_end,
       .on_assign = on_assign,
       .on_revoke = on_revoke,
       // Prometheus scrapes every 5 s.
       .statistics_interval = options_.statistics_interval,
       .on_statistics = [&](std::string_view json) { ExportLag(json, metrics_); }});
  if (!consumer.ok()) return consumer.status();
  consumer_ptr = consumer->get();
  auto producer = stream::Producer::Create(
      {.client = client_,
       .transactional_id = exactly_once ? options_.transactional_id : std::string()});
  if (!producer.ok()) return producer.status();
  if (exactly_once) {
    // Fences any earlier incarnation with this id and aborts its open
    // transaction.
    KAPPA_RETURN_IF_ERROR((*producer)->InitTransactions(std::chrono::seconds(30)));
  }

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

  stream::DeadLetterWriter dlq(producer->get(), options_.dlq_topic, "infer");
  stream::EventDecoder decoder;
  std::vector<stream::Message> messages;
  std::vector<stream::TopicPartitionOffset> eofs;
  std::vector<stream::TopicPartitionOffset> next_offsets;
  std::vector<stream::TopicPartitionOffset> first_offsets;
  ScoredBatch batch;
  std::string alert_json;
  std::array<char, 24> key{};
  ScoringSummary summary;
  const std::string run_id = RunId();
  std::string transaction_id;
  uint64_t transactions = 0;
  int consecutive_aborts = 0;

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
    if (!uncommitted.empty() && (*consumer)->Commit(uncommitted).ok()) {
      spdlog::info("held offsets committed; fetching again");
      uncommitted.clear();
      auto assignment = (*consumer)->Assignment();
      if (!assignment.ok()) return assignment.status();
      KAPPA_RETURN_IF_ERROR((*consumer)->Resume(*assignment));
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
      // Where each partition of the batch starts and where it ends (the
      // offsets to commit).
      std::map<int32_t, std::pair<int64_t, int64_t>> span;
      for (const auto& m : messages) {
        auto [it, fresh] = span.try_emplace(m.partition(), m.offset(), m.offset() + 1);
        if (!fresh) it->second.second = m.offset() + 1;
      }
      next_offsets.clear();
      first_offsets.clear();
      for (const auto& [p, range] : span) {
        first_offsets.push_back({options_.events_topic, p, range.first});
        next_offsets.push_back({options_.events_topic, p, range.second});
      }

      // Everything this batch writes happens in `work`; in exactly-once
      // mode inside one transaction.
      uint64_t alerts = 0;
      uint64_t dead_lettered = 0;
      Clock::time_point scored_at;  // processing_latency_seconds ends here
      auto work = [&]() -> Status {
        if (exactly_once) {
          transaction_id = fmt::format("{}-{}", run_id, ++transactions);
          KAPPA_RETURN_IF_ERROR((*producer)->BeginTransaction());
        }
        batch.events.clear();
        batch.sources.clear();
        for (const auto& m : messages) {
          stream::PassengerEvent& event = batch.events.emplace_back();
          if (auto rejection = decoder.Decode(m.value(), &event)) {
            batch.events.pop_back();
            KAPPA_RETURN_IF_ERROR(dlq.Send(m, *rejection));
            ++dead_lettered;
            continue;
          }
          batch.sources.push_back(&m);
        }
        KAPPA_RETURN_IF_ERROR(model->Score(batch.events, &batch.probabilities));
        const int64_t now_ms = WallClockMs();
        const stream::Header txn_header{stream::kHeaderTransaction, transaction_id};
        const std::span<const stream::Header> headers =
            exactly_once ? std::span<const stream::Header>(&txn_header, 1)
                         : std::span<const stream::Header>();
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
          KAPPA_RETURN_IF_ERROR(
              (*producer)->Send(options_.alerts_topic,
                                std::string_view(key.data(), key_end - key.data()), alert_json,
                                headers));
          ++alerts;
        }
        scored_at = Clock::now();
        // Nothing is committed until the broker has every alert and DLQ
        // record of this batch. (In a transaction this also keeps the
        // progress records, sent next, behind the output they account for.)
        KAPPA_RETURN_IF_ERROR((*producer)->Flush(options_.delivery_timeout));
        if ((*producer)->stats().failed.load() != failed_before) {
          const Status& failure = (*producer)->first_failure();
          return Status::Kafka("alerts not acknowledged; not committed: " + failure.message(),
                               failure.kafka_code(), false, false, exactly_once);
        }
        if (!exactly_once) return Status::Ok();
        KAPPA_RETURN_IF_ERROR(progress->Append(producer->get(), next_offsets, transaction_id));
        KAPPA_RETURN_IF_ERROR((*producer)->SendOffsetsToTransaction(
            next_offsets, **consumer, std::chrono::seconds(30)));
        Status commit;
        for (int attempt = 1; attempt <= kCommitAttempts; ++attempt) {
          commit = (*producer)->CommitTransaction(std::chrono::seconds(30));
          if (commit.ok() || !commit.retriable()) break;
        }
        return commit;
      };

      Status outcome = work();
      if (exactly_once && !outcome.ok() && outcome.txn_requires_abort() &&
          ++consecutive_aborts <= kMaxConsecutiveAborts) {
        // Nothing of the batch is visible to read_committed readers: score
        // it again from its first offsets.
        spdlog::warn("transaction aborted, scoring the batch again: {}", outcome.message());
        KAPPA_RETURN_IF_ERROR((*producer)->AbortTransaction(std::chrono::seconds(30)));
        KAPPA_RETURN_IF_ERROR((*consumer)->Seek(first_offsets, std::chrono::seconds(10)));
        metrics_->transactions_aborted.Increment();
        ++summary.aborted;
        continue;
      }
      if (!outcome.ok() && outcome.fatal() && exactly_once) {
        return outcome.WithContext("fenced or fatal producer error (is another instance using "
                                   "transactional.id " +
                                   options_.transactional_id + "?)");
      }
      KAPPA_RETURN_IF_ERROR(outcome);
      consecutive_aborts = 0;
      if (!exactly_once) {
        if (Status s = (*consumer)->Commit(next_offsets); !s.ok()) {
          spdlog::warn("offset commit failed ({}); holding the batch's partitions until it "
                       "succeeds or they are revoked",
                       s.message());
          MergeOffsets(next_offsets, &uncommitted);
          auto assignment = (*consumer)->Assignment();
          if (!assignment.ok()) return assignment.status();
          KAPPA_RETURN_IF_ERROR((*consumer)->Pause(*assignment));
        }
      }
      for (const auto& tp : next_offsets) {
        if (options_.until_end && tp.offset >= end_offsets[tp.partition]) {
          reached.insert(tp.partition);
        }
      }
      metrics_->RecordBatch(std::chrono::duration<double>(scored_at - batch_start).count(),
                            batch.events.size(), alerts);
      metrics_->dead_lettered.Increment(static_cast<double>(dead_lettered));
      summary.scored += batch.events.size();
      summary.alerts += alerts;
      summary.dead_lettered += dead_lettered;
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
