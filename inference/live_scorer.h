// LiveScorer: the loop of `kappa infer`. A consumer-group member on the
// events topic that, batch by batch, decodes events (bad ones to the DLQ),
// scores them with the current model and writes an alert for every predicted
// survived=1.
//
// At-least-once (default): batches are pipelined. The next batch is scored
// while the broker acknowledges the previous ones (at most 8 wait), and a
// batch's offsets are committed only once every alert and DLQ record of it
// and of every batch before it is acknowledged (CommitTracker), so a crash
// at any point re-scores rather than loses.
//
// With exactly_once, batches are scored inside a Kafka transaction
// (consume-transform-produce): its alerts, DLQ records, progress records
// (stream/progress_log.h) and consumer offsets commit together or not at
// all. A transaction takes batches while full ones are waiting, and commits
// as soon as a poll finds less than a full batch (at low load: after every
// batch), after commit_interval, and on stop. Delivery reports are served
// after each batch, so the producer's queue holds one batch, not one
// transaction. An abortable error aborts the transaction and rewinds its
// partitions to score them again; being fenced (another producer took the
// transactional id) ends the run with an error.
//
// Rebalances: partitions are only taken away inside a poll. At-least-once
// then waits for every outstanding acknowledgement and commits (commit on
// revoke); exactly-once aborts the open transaction, if any, and the next
// owner scores its events from the committed offsets. Records polled in the
// same call before the revoke are dropped (stream::Consumer::Poll), so no
// alert is written for a partition that is no longer ours.
//
// Decoding, scoring and encoding alerts of a large batch is shared by
// options.scoring_threads lanes (BatchScorer); every Kafka call stays on the
// thread of Run().
//
// Threading: Run() uses its consumer and producer on the calling thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "inference/model.h"
#include "inference/model_watcher.h"
#include "monitoring/scoring_metrics.h"
#include "stream/kafka_options.h"

namespace kappa::inference {

struct LiveScorerOptions {
  std::string events_topic{stream::kEventsTopic};
  std::string alerts_topic{stream::kAlertsTopic};
  std::string dlq_topic{stream::kDeadLetterTopic};
  std::string group_id = "kappa-infer";
  size_t max_batch = 1000;  // events scored together
  // How long a poll waits for the first event of a batch; what else is
  // already fetched joins the batch without waiting, so latency stays low at
  // 20 events/s and batches grow by themselves under load.
  std::chrono::milliseconds poll_wait{100};
  double threshold = 0.5;  // P(survived) >= threshold writes an alert
  // Threads that decode and score a large batch together (BatchScorer).
  size_t scoring_threads = 1;
  // Stop once every assigned partition reached the end offset it had when
  // the run started (for tests and benchmarks).
  bool until_end = false;
  std::chrono::milliseconds delivery_timeout{30000};
  // At-least-once: how often acknowledged batches are committed (a crash
  // re-scores at most this much more than what was in flight). Exactly-
  // once: how long a transaction takes batches at most.
  std::chrono::milliseconds commit_interval{100};
  // How often consumer lag (kappa_consumer_lag) is refreshed; 0 = never.
  std::chrono::milliseconds statistics_interval{5000};
  // Batches in Kafka transactions; needs transactional_id (unique per
  // instance and stable across its restarts, so a restart fences the
  // previous incarnation and aborts its open transaction).
  bool exactly_once = false;
  std::string transactional_id;
  std::string progress_topic{stream::kInferProgressTopic};
};

struct ScoringSummary {
  uint64_t scored = 0;
  uint64_t alerts = 0;
  uint64_t dead_lettered = 0;
  uint64_t batches = 0;
  uint64_t reloads = 0;  // model versions swapped in
  uint64_t aborted = 0;  // exactly-once transactions aborted
  double seconds = 0;
  // "scored=… alerts=… dead_lettered=… batches=… reloads=… aborted=… seconds=…"
  std::string ToString() const;
};

class LiveScorer {
 public:
  LiveScorer(stream::KafkaClientOptions client, LiveScorerOptions options,
             monitoring::ScoringMetrics* metrics);

  // Scores with `model` until should_stop() (or, with until_end, the end).
  // With a `watcher`, a newly announced current version is verified and
  // swapped in between two batches (hot reload); each alert names the
  // version that scored it. Errors: Kafka failures, alerts or DLQ records
  // not acknowledged (nothing past them is committed), a fenced producer,
  // InvalidArgument for exactly_once without a transactional id.
  Result<ScoringSummary> Run(std::unique_ptr<Model> model, ModelWatcher* watcher,
                             const std::function<bool()>& should_stop);

 private:
  stream::KafkaClientOptions client_;
  LiveScorerOptions options_;
  monitoring::ScoringMetrics* metrics_;
};

}  // namespace kappa::inference
