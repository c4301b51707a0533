#include "inference/live_scorer.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "inference/batch_scorer.h"
#include "inference/commit_tracker.h"
#include "stream/consumer.h"
#include "stream/dead_letter.h"
#include "stream/kafka_statistics.h"
#include "stream/producer.h"
#include "stream/progress_log.h"

namespace kappa::inference {
namespace {

using Clock = std::chrono::steady_clock;

// kappa_model_* for `model` (a metric missing from its manifest reads NaN).
void SetModelMetrics(const Model& model, monitoring::ScoringMetrics* metrics) {
  const auto& m = model.manifest().metrics;
  const auto get = [&](const char* key) {
    const auto it = m.find(key);
    return it != m.end() ? it->second : std::numeric_limits<double>::quiet_NaN();
  };
  metrics->SetModel(model.version(), get("accuracy"), get("roc_auc"), get("log_loss"));
}

// Consecutive aborted transactions after which the run gives up (the cause,
// e.g. a missing alerts topic, is not going away by itself).
constexpr int kMaxConsecutiveAborts = 5;
constexpr int kCommitAttempts = 3;  // for retriable transactional errors
// At-least-once: batches scored but not yet acknowledged by the broker.
constexpr size_t kMaxBatchesInFlight = 8;

std::string Partitions(std::span<const stream::TopicPartitionOffset> list) {
  std::string out;
  for (const auto& tp : list) {
    if (!out.empty()) out += ',';
    out += std::to_string(tp.partition);
  }
  return out.empty() ? "none" : out;
}

// librdkafka's transactional calls may be called again after a retriable
// error (e.g. a timeout); other errors are the caller's to handle.
Status RetryTransactional(const std::function<Status()>& call) {
  Status s;
  for (int attempt = 1; attempt <= kCommitAttempts; ++attempt) {
    s = call();
    if (s.ok() || !s.retriable()) break;
  }
  return s;
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

// At-least-once commits of pipelined batches: a batch's offsets are
// committed once the broker acknowledged all its records and those of every
// batch before it (CommitTracker), at most every `interval`, synchronously.
// A refused commit (the embedded broker refuses commits while the group
// rebalances; Kafka once the generation is gone) holds the offsets and
// pauses fetching, so no further batch is scored that the next owner would
// score again; the commit is retried each loop and once more on revoke.
class AtLeastOnceCommits {
 public:
  AtLeastOnceCommits(stream::Consumer* consumer, stream::Producer* producer,
                     std::chrono::milliseconds interval, std::chrono::milliseconds delivery_timeout)
      : consumer_(consumer),
        producer_(producer),
        interval_(interval),
        delivery_timeout_(delivery_timeout) {}

  CommitTracker& tracker() { return tracker_; }

  // Serves delivery reports and commits what is ready. `force`: wait for
  // every outstanding record first and commit regardless of the interval
  // (stop, revoke).
  Status Commit(bool force) {
    if (force) KAPPA_RETURN_IF_ERROR(producer_->Flush(delivery_timeout_));
    producer_->Poll(std::chrono::milliseconds(0));
    if (tracker_.failures() > 0) {
      return producer_->first_failure().WithContext("alerts not acknowledged; not committed");
    }
    stream::MergeOffsets(tracker_.TakeCommittable(), &ready_);
    if (!held_.empty()) {
      if (Status s = consumer_->Commit(held_); !s.ok()) {
        // Still refused; say so now and then rather than wait silently.
        const auto now = std::chrono::steady_clock::now();
        if (now - last_held_warning_ >= kHeldWarningInterval) {
          last_held_warning_ = now;
          spdlog::warn("offsets still not committed ({}); fetching stays paused", s.message());
        }
        return Status::Ok();
      }
      spdlog::info("held offsets committed; fetching again");
      held_.clear();
      auto assignment = consumer_->Assignment();
      if (!assignment.ok()) return assignment.status();
      KAPPA_RETURN_IF_ERROR(consumer_->Resume(*assignment));
    }
    const auto now = std::chrono::steady_clock::now();
    if (ready_.empty() || (!force && now - last_commit_ < interval_)) return Status::Ok();
    last_commit_ = now;
    if (Status s = consumer_->Commit(ready_); !s.ok()) {
      spdlog::warn(
          "offset commit failed ({}); holding the partitions until it succeeds or they "
          "are revoked",
          s.message());
      stream::MergeOffsets(ready_, &held_);
      last_held_warning_ = std::chrono::steady_clock::now();
      auto assignment = consumer_->Assignment();
      if (!assignment.ok()) return assignment.status();
      KAPPA_RETURN_IF_ERROR(consumer_->Pause(*assignment));
    }
    ready_.clear();
    return Status::Ok();
  }

  // Partitions are being taken away: commit what was scored (commit on
  // revoke), then forget it all; what could not be committed is scored
  // again by the next owner.
  void Revoked(std::span<const stream::TopicPartitionOffset> revoked) {
    if (Status s = Commit(/*force=*/true); !s.ok()) {
      spdlog::warn("commit on revoke failed; the next owner scores those events again: {}",
                   s.message());
    }
    if (!held_.empty()) {
      if (Status s = consumer_->Commit(held_); !s.ok()) {
        spdlog::warn("commit on revoke refused; the next owner scores those events again: {}",
                     s.message());
      }
    }
    held_.clear();
    ready_.clear();
    tracker_.Clear();
    // A pause outlives the revoke (the commit above may have paused just
    // now): partitions assigned again must fetch.
    if (Status s = consumer_->Resume(revoked); !s.ok()) spdlog::warn("{}", s.message());
  }

 private:
  stream::Consumer* consumer_;
  stream::Producer* producer_;
  std::chrono::milliseconds interval_;
  std::chrono::milliseconds delivery_timeout_;
  CommitTracker tracker_;
  std::vector<stream::TopicPartitionOffset> ready_;  // acknowledged, not yet committed
  std::vector<stream::TopicPartitionOffset> held_;   // commit refused
  std::chrono::steady_clock::time_point last_commit_{};
  std::chrono::steady_clock::time_point last_held_warning_{};
  static constexpr std::chrono::seconds kHeldWarningInterval{10};
};

// Exactly-once: waits until the broker acknowledged every record sent in
// the open transaction. A refused record dooms the transaction: then, and
// when the records are not acknowledged within `timeout` (librdkafka keeps
// the records of a failed transaction queued until it is aborted, so a
// plain flush would wait all of it), the error asks for an abort, which
// scores the batch again.
Status AwaitTransactionAcks(stream::Producer* producer, uint64_t failed_before,
                            std::chrono::milliseconds timeout) {
  constexpr std::chrono::milliseconds kSlice{50};
  const auto deadline = Clock::now() + timeout;
  while (producer->InFlight() > 0 && producer->stats().failed.load() == failed_before) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds(0)) {
      return Status::Kafka(
          fmt::format("alerts not acknowledged after {} ms; not committed", timeout.count()), 0,
          false, false, /*txn_requires_abort=*/true);
    }
    (void)producer->Flush(std::min(left, kSlice));  // Timeout while any is left
  }
  if (producer->stats().failed.load() != failed_before) {
    const Status& failure = producer->first_failure();
    return Status::Kafka("alerts not acknowledged; not committed: " + failure.message(),
                         failure.kafka_code(), false, false, /*txn_requires_abort=*/true);
  }
  return Status::Ok();
}

// A random id for this run, so transaction ids differ across restarts.
std::string RunId() {
  std::random_device rd;
  return fmt::format("{:08x}{:08x}", rd(), rd());
}

// Per partition of `messages`, the offset after its last record.
void NextOffsets(const std::vector<stream::Message>& messages, const std::string& topic,
                 std::vector<stream::TopicPartitionOffset>* next) {
  next->clear();
  for (const auto& m : messages) {
    // Records come in runs per partition: usually the last entry is the one.
    auto it = !next->empty() && next->back().partition == m.partition()
                  ? next->end() - 1
                  : std::find_if(next->begin(), next->end(),
                                 [&](const auto& tp) { return tp.partition == m.partition(); });
    if (it == next->end()) {
      next->push_back({topic, m.partition(), m.offset() + 1});
    } else {
      it->offset = m.offset() + 1;
    }
  }
}

// What a scored batch adds to the totals and metrics.
struct ScoredBatch {
  double seconds = 0;  // processing_latency_seconds
  uint64_t scored = 0;
  uint64_t alerts = 0;
  uint64_t dead_lettered = 0;
};

// Exactly-once: the open transaction, which every batch scored since it
// began joined.
struct OpenTransaction {
  bool open = false;
  std::string id;              // run id and sequence number (kappa.txn header)
  uint64_t failed_before = 0;  // the producer's failed deliveries when it began
  Clock::time_point opened;
  std::vector<ScoredBatch> batches;  // accounted when it commits
  // Per partition: its first offset in the transaction, and the next one.
  std::map<int32_t, std::pair<int64_t, int64_t>> span;

  void Add(const std::vector<stream::Message>& messages) {
    for (const auto& m : messages) {
      auto [it, fresh] = span.try_emplace(m.partition(), m.offset(), m.offset() + 1);
      if (!fresh) it->second.second = m.offset() + 1;
    }
  }
  // Where it starts (to score it again) or ends (to commit).
  std::vector<stream::TopicPartitionOffset> Offsets(const std::string& topic, bool next) const {
    std::vector<stream::TopicPartitionOffset> out;
    for (const auto& [p, range] : span) {
      out.push_back({topic, p, next ? range.second : range.first});
    }
    return out;
  }
};

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
  bool assignment_changed = false;  // since until_end last compared it with `reached`
  auto on_assign = [&](std::vector<stream::TopicPartitionOffset>* assigned) -> Status {
    assignment_changed = true;
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
  std::unique_ptr<AtLeastOnceCommits> commits;  // at-least-once only
  std::function<void()> abort_on_revoke;        // exactly-once only
  auto on_revoke = [&](std::span<const stream::TopicPartitionOffset> revoked) {
    assignment_changed = true;
    spdlog::info("partitions {} of {} revoked", Partitions(revoked), options_.events_topic);
    if (commits) commits->Revoked(revoked);
    if (abort_on_revoke) abort_on_revoke();
  };

  // At-least-once does not wait for acknowledgements between batches
  // (flush does in a transaction), so linger.ms is the alerts' wait: 1 ms.
  auto producer = stream::Producer::Create(
      {.client = exactly_once ? client_ : stream::WithDefaults(client_, {{"linger.ms", "1"}}),
       .transactional_id = exactly_once ? options_.transactional_id : std::string(),
       .on_delivery = [&](const stream::DeliveryReport& r) {
         if (commits) commits->tracker().Acknowledged(r.opaque, r.status.ok());
       }});
  if (!producer.ok()) return producer.status();
  // Learning the leaders of the topics it writes now, while the group is
  // joined, keeps the first batch that writes to each from waiting for them:
  // ~0.3 s for the alerts at full load, 0.8 s for the first exactly-once
  // commit (its progress records waited; 1M events then took 2.8 s instead
  // of 2.0 s). A DLQ topic that cannot be looked up is no error until a bad
  // event needs it, which then stops the run (as before); say so now.
  if (auto n = (*producer)->PartitionCount(options_.alerts_topic, std::chrono::seconds(10));
      !n.ok()) {
    return n.status().WithContext("alerts topic");
  }
  if (exactly_once) {
    if (auto n = (*producer)->PartitionCount(options_.progress_topic, std::chrono::seconds(10));
        !n.ok()) {
      return n.status().WithContext("progress topic");
    }
  }
  if (auto n = (*producer)->PartitionCount(options_.dlq_topic, std::chrono::seconds(10)); !n.ok()) {
    spdlog::warn("dead-letter topic {}: {}; if it stays so, the first bad event will stop the run",
                 options_.dlq_topic, n.status().message());
  }
  // Declared after the producer, so destroyed (closed, its last revoke
  // committing through the producer) before it.
  // A member that dies without leaving (kill -9) holds its partitions for
  // session.timeout.ms; librdkafka's 45 s default would stall failover and
  // restarts that long (the embedded broker even waits for it after a clean
  // LeaveGroup). 10 s was Kafka's own default before 3.0.
  // fetch.wait.max.ms bounds how long a fetch waits when a partition has no
  // new data. Kafka answers as soon as data arrives, but the embedded broker
  // holds such a fetch for the whole wait: with librdkafka's 500 ms, p50
  // event-to-alert latency at 1k events/s was ~320 ms. 5 ms costs idle
  // fetch requests only. queued.min.messages: as in the replay
  // (training/replay.cc), librdkafka's 100k applies to the one queue all
  // partitions feed and kept pausing fetch: 1M events took 8.2 s of scoring
  // instead of 3.6 s. What is prefetched stays capped by
  // queued.max.messages.kbytes (64 MB of records by default; peak RSS over
  // a 1M-event backlog: scripts/bench).
  // -X overrides all of these.
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(client_, {{"session.timeout.ms", "10000"},
                                                {"isolation.level", "read_committed"},
                                                {"fetch.wait.max.ms", "5"},
                                                {"queued.min.messages", "1000000"}}),
       .group_id = options_.group_id,
       .report_partition_eof = options_.until_end,
       .on_assign = on_assign,
       .on_revoke = on_revoke,
       // Prometheus scrapes every 5 s.
       .statistics_interval = options_.statistics_interval,
       .on_statistics = [&](std::string_view json) { ExportLag(json, metrics_); }});
  if (!consumer.ok()) return consumer.status();
  consumer_ptr = consumer->get();
  if (exactly_once) {
    // Fences any earlier incarnation with this id and aborts its open
    // transaction.
    KAPPA_RETURN_IF_ERROR((*producer)->InitTransactions(std::chrono::seconds(30)));
  } else {
    commits = std::make_unique<AtLeastOnceCommits>(
        consumer->get(), producer->get(), options_.commit_interval, options_.delivery_timeout);
  }

  // With until_end: the end of every partition now; reached when consumed.
  std::map<int32_t, int64_t> end_offsets;
  std::set<int32_t> reached;
  bool reached_changed = false;  // since last compared with the assignment
  auto mark_reached = [&](int32_t partition) {
    if (reached.insert(partition).second) reached_changed = true;
  };
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
  SetModelMetrics(*model, metrics_);

  stream::DeadLetterWriter dlq(producer->get(), options_.dlq_topic, "infer");
  BatchScorer scorer({.threshold = options_.threshold, .lanes = options_.scoring_threads});
  std::vector<stream::Message> messages;
  std::vector<stream::TopicPartitionOffset> eofs;
  std::vector<stream::TopicPartitionOffset> next_offsets;
  ScoringSummary summary;
  const std::string run_id = RunId();
  OpenTransaction txn;  // exactly-once only
  uint64_t transactions = 0;
  int consecutive_aborts = 0;

  // What a scored batch adds to the totals (at-least-once: at once;
  // exactly-once: when its transaction commits, so that an aborted and
  // re-scored batch counts once).
  auto account = [&](const ScoredBatch& b) {
    metrics_->RecordBatch(b.seconds, b.scored, b.alerts);
    metrics_->dead_lettered.Increment(static_cast<double>(b.dead_lettered));
    summary.scored += b.scored;
    summary.alerts += b.alerts;
    summary.dead_lettered += b.dead_lettered;
    ++summary.batches;
  };
  auto mark_done = [&](std::span<const stream::TopicPartitionOffset> next) {
    for (const auto& tp : next) {
      if (options_.until_end && tp.offset >= end_offsets[tp.partition]) {
        mark_reached(tp.partition);
      }
    }
  };
  // Aborts the open transaction: nothing of it becomes visible to
  // read_committed readers. The log line names it, since its records carry
  // that name in their kappa.txn header and a reader without transaction
  // isolation (the embedded broker) tells the aborted records by it.
  auto abort_transaction = [&](std::string_view why) -> Status {
    spdlog::warn("transaction {} of transactional.id {} aborted, {} (partitions {})", txn.id,
                 options_.transactional_id, why,
                 Partitions(txn.Offsets(options_.events_topic, /*next=*/false)));
    Status s =
        RetryTransactional([&] { return (*producer)->AbortTransaction(std::chrono::seconds(30)); });
    // The abort purged what was still queued; serve those (failed)
    // delivery reports now, so the next transaction does not count them as
    // its own failures and abort in turn.
    (*producer)->Poll(std::chrono::milliseconds(0));
    metrics_->transactions_aborted.Increment();
    ++summary.aborted;
    txn = OpenTransaction();
    return s;
  };
  // Partitions taken away inside a poll while a transaction is open: it is
  // aborted, and their next owner (maybe this instance again) scores its
  // events from the committed offsets.
  Status revoke_error;
  if (exactly_once) {
    abort_on_revoke = [&] {
      if (!txn.open) return;
      Status s = abort_transaction("as its partitions were revoked");
      if (!s.ok() && revoke_error.ok()) revoke_error = s;
    };
  }
  // The consumer outlives this scope: its close, which revokes, must not
  // reach `txn` and the rest once they are gone. A transaction still open
  // then (an error return) is aborted by the coordinator after
  // transaction.timeout.ms, or at once by this instance's next start.
  struct ForgetOnExit {
    std::function<void()>* callback;
    ~ForgetOnExit() { *callback = nullptr; }
  } forget_abort_on_revoke{&abort_on_revoke};

  uint64_t refused_seen = watcher != nullptr ? watcher->refused() : 0;
  for (;;) {
    // A stop request first finishes (commits) the open transaction.
    const bool stopping = should_stop();
    if (stopping && !txn.open) break;
    // Between two transactions (at-least-once: two batches): the only
    // place the model may change.
    if (watcher != nullptr && !txn.open) {
      auto fresh =
          watcher->PollNewCurrent(std::chrono::milliseconds(0), model->manifest().booster_sha256);
      if (!fresh.ok()) return fresh.status();
      metrics_->reload_failures.Increment(static_cast<double>(watcher->refused() - refused_seen));
      refused_seen = watcher->refused();
      if (*fresh) {
        spdlog::info("hot reload: model v{} -> v{} ({})", model->version(), (*fresh)->version(),
                     (*fresh)->manifest().feature_set);
        model = std::move(fresh).value();
        SetModelMetrics(*model, metrics_);
        metrics_->reloads.Increment();
        ++summary.reloads;
      }
    }
    if (commits) KAPPA_RETURN_IF_ERROR(commits->Commit(/*force=*/false));
    messages.clear();
    eofs.clear();
    if (!stopping) {
      // An open transaction takes only what is already fetched: when
      // nothing more is waiting it commits rather than wait.
      KAPPA_RETURN_IF_ERROR((*consumer)->Poll(
          options_.max_batch, txn.open ? std::chrono::milliseconds(0) : options_.poll_wait,
          &messages, &eofs));
      KAPPA_RETURN_IF_ERROR(std::exchange(revoke_error, Status::Ok()));
    }
    for (const auto& eof : eofs) {
      if (eof.offset >= end_offsets[eof.partition]) mark_reached(eof.partition);
    }

    // Everything a batch writes happens in `score`; in exactly-once mode
    // inside the open transaction.
    auto score = [&]() -> Status {
      if (messages.empty()) return Status::Ok();
      const auto batch_start = Clock::now();
      NextOffsets(messages, options_.events_topic, &next_offsets);
      if (exactly_once && !txn.open) {
        KAPPA_RETURN_IF_ERROR((*producer)->BeginTransaction());
        txn.open = true;
        txn.id = fmt::format("{}-{}", run_id, ++transactions);
        txn.failed_before = (*producer)->stats().failed.load();
        txn.opened = Clock::now();
      }
      if (exactly_once) txn.Add(messages);
      // At-least-once: every record sent counts against this batch, whose
      // offsets are committed once they are all acknowledged.
      CommitTracker::Batch* acks = commits ? commits->tracker().Open(next_offsets) : nullptr;
      ScoredBatch batch;
      KAPPA_RETURN_IF_ERROR(scorer.Score(messages, *model));
      for (const auto& r : scorer.rejected()) {
        if (acks != nullptr) commits->tracker().Expect(acks);
        KAPPA_RETURN_IF_ERROR(
            dlq.Send(*r.source, r.rejection, acks ? CommitTracker::Token(acks) : nullptr));
        ++batch.dead_lettered;
      }
      const stream::Header txn_header{stream::kHeaderTransaction, txn.id};
      const std::span<const stream::Header> headers =
          exactly_once ? std::span<const stream::Header>(&txn_header, 1)
                       : std::span<const stream::Header>();
      for (const auto& alert : scorer.alerts()) {
        if (acks != nullptr) commits->tracker().Expect(acks);
        KAPPA_RETURN_IF_ERROR((*producer)->Send(options_.alerts_topic, alert.key, alert.value,
                                                headers,
                                                acks ? CommitTracker::Token(acks) : nullptr));
        ++batch.alerts;
      }
      // processing_latency_seconds ends here
      batch.seconds = std::chrono::duration<double>(Clock::now() - batch_start).count();
      batch.scored = scorer.scored();
      if (exactly_once) {
        txn.batches.push_back(batch);
        (*producer)->Poll(std::chrono::milliseconds(0));
      } else {
        commits->tracker().Seal(acks);
        account(batch);
        mark_done(next_offsets);
      }
      return Status::Ok();
    };
    // Exactly-once: the open transaction commits when a poll found less
    // than a full batch waiting (caught up: commit now, for latency), once
    // it is commit_interval old, and on stop.
    auto commit = [&]() -> Status {
      if (!txn.open) return Status::Ok();
      if (!stopping && messages.size() >= options_.max_batch &&
          Clock::now() - txn.opened < options_.commit_interval) {
        return Status::Ok();
      }
      // Nothing is committed until the broker has every alert and DLQ
      // record of the transaction; this also keeps the progress records,
      // sent next, behind the output they account for.
      KAPPA_RETURN_IF_ERROR(
          AwaitTransactionAcks(producer->get(), txn.failed_before, options_.delivery_timeout));
      const auto next = txn.Offsets(options_.events_topic, /*next=*/true);
      KAPPA_RETURN_IF_ERROR(progress->Append(producer->get(), next, txn.id));
      KAPPA_RETURN_IF_ERROR(RetryTransactional([&] {
        return (*producer)->SendOffsetsToTransaction(next, **consumer, std::chrono::seconds(30));
      }));
      KAPPA_RETURN_IF_ERROR(RetryTransactional(
          [&] { return (*producer)->CommitTransaction(std::chrono::seconds(30)); }));
      spdlog::debug("transaction {} committed: {} batch(es), partitions {}", txn.id,
                    txn.batches.size(), Partitions(next));
      for (const auto& b : txn.batches) account(b);
      mark_done(next);
      txn = OpenTransaction();
      consecutive_aborts = 0;
      return Status::Ok();
    };

    Status outcome = score();
    if (outcome.ok() && exactly_once) outcome = commit();
    if (exactly_once && !outcome.ok() && txn.open && outcome.txn_requires_abort() &&
        ++consecutive_aborts <= kMaxConsecutiveAborts) {
      // Score the transaction's events again from its first offsets.
      const auto first = txn.Offsets(options_.events_topic, /*next=*/false);
      KAPPA_RETURN_IF_ERROR(abort_transaction(fmt::format(
          "{}: {}",
          stopping ? "stopping; the next run scores its events" : "scoring its events again",
          outcome.message())));
      KAPPA_RETURN_IF_ERROR((*consumer)->Seek(first, std::chrono::seconds(10)));
      // Its partitions are not done until they are scored again.
      for (const auto& tp : first) reached.erase(tp.partition);
      continue;
    }
    if (!outcome.ok() && outcome.fatal() && exactly_once) {
      return outcome.WithContext(
          "fenced or fatal producer error (is another instance using "
          "transactional.id " +
          options_.transactional_id + "?)");
    }
    KAPPA_RETURN_IF_ERROR(outcome);
    if (commits && !messages.empty()) {
      // Backpressure: a bounded number of batches awaits acknowledgement.
      // A stop request ends the wait; the final commit below waits at most
      // delivery_timeout for what is still in flight.
      while (commits->tracker().open_batches() > kMaxBatchesInFlight && !should_stop()) {
        (*producer)->Poll(std::chrono::milliseconds(10));
        KAPPA_RETURN_IF_ERROR(commits->Commit(/*force=*/false));
      }
      KAPPA_RETURN_IF_ERROR(commits->Commit(/*force=*/false));
    }
    // Asking librdkafka for the assignment is a round trip to its main
    // thread (a context switch per batch at full load): only when it or
    // `reached` changed.
    if (options_.until_end && !txn.open && (assignment_changed || reached_changed)) {
      assignment_changed = false;
      reached_changed = false;
      auto assignment = (*consumer)->Assignment();
      if (!assignment.ok()) return assignment.status();
      bool all = !assignment->empty();
      for (const auto& tp : *assignment) {
        if (!reached.contains(tp.partition)) all = false;
      }
      if (all) break;
    }
  }
  // Stopping: every alert acknowledged, then the last commit.
  if (commits) KAPPA_RETURN_IF_ERROR(commits->Commit(/*force=*/true));
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

}  // namespace kappa::inference
