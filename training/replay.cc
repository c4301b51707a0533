#include "training/replay.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <map>
#include <memory>

#include "stream/consumer.h"
#include "stream/dead_letter.h"
#include "stream/event_codec.h"
#include "stream/prefetching_poller.h"
#include "stream/producer.h"
#include "training/state_writer.h"

namespace kappa::training {
namespace {

using Clock = std::chrono::steady_clock;

// Per-partition bookkeeping of one run.
struct PartitionState {
  PartitionReplay report;
  state::PartitionCheckpoint checkpoint;  // cumulative, as stored
  bool done = false;
};

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

double ReplayResult::records_per_second() const {
  return seconds > 0 ? static_cast<double>(stored + dead_lettered) / seconds : 0;
}

Result<ReplayResult> ReplayIntoState(
    const stream::KafkaClientOptions& client, state::EventStore* store,
    const ReplayOptions& options, const std::function<void(const ReplayProgress&)>& on_progress) {
  const auto start = Clock::now();
  // With the default queued.min.messages (100k) librdkafka kept pausing the
  // fetch of a 32-partition replay (every partition is forwarded to one
  // consumer queue): 1M events replayed at ~200k events/s, ~410k/s with
  // this (scripts/bench). What is prefetched stays capped by
  // queued.max.messages.kbytes (64 MB of records by default). A user's -X
  // still overrides it.
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(client, {{"queued.min.messages", "1000000"}}),
       .report_partition_eof = true});
  if (!consumer.ok()) return consumer.status();
  const auto timeout = std::chrono::seconds(10);
  auto partition_count = (*consumer)->PartitionCount(options.topic, timeout);
  if (!partition_count.ok()) return partition_count.status();

  // Snapshot the end of every partition and find where to resume.
  std::map<int32_t, PartitionState> parts;
  std::vector<stream::TopicPartitionOffset> assignment;
  ReplayProgress progress;
  progress.partitions = *partition_count;
  for (int32_t p = 0; p < *partition_count; ++p) {
    auto w = (*consumer)->QueryWatermarks(options.topic, p, timeout);
    if (!w.ok()) return w.status();
    auto cp = store->Checkpoint(options.topic, p);
    if (!cp.ok()) return cp.status();
    PartitionState& ps = parts[p];
    ps.checkpoint =
        cp->value_or(state::PartitionCheckpoint{.topic = options.topic, .partition = p});
    int64_t from = cp->has_value() ? ps.checkpoint.next_offset : w->low;
    if (from > w->high) {
      return Status::InvalidArgument(fmt::format(
          "state checkpoint of {} [{}] is at offset {} but the topic ends at {}: the topic was "
          "recreated or the state belongs to another cluster; retrain with --from-scratch",
          options.topic, p, from, w->high));
    }
    if (from < w->low) {
      if (cp->has_value()) {
        ps.report.expired = static_cast<uint64_t>(w->low - from);
        ps.checkpoint.expired += ps.report.expired;
        spdlog::warn("{} [{}]: offsets {}..{} expired (retention) before they were replayed",
                     options.topic, p, from, w->low - 1);
      }
      from = w->low;
    }
    if (ps.checkpoint.first_offset < 0) ps.checkpoint.first_offset = from;
    ps.checkpoint.next_offset = from;
    ps.report.partition = p;
    ps.report.log_start = w->low;
    ps.report.resumed_from = from;
    ps.report.end_offset = w->high;
    ps.done = from >= w->high;
    progress.total += static_cast<uint64_t>(w->high - from);
    if (ps.done) {
      ++progress.partitions_done;
    } else {
      assignment.push_back({options.topic, p, from});
    }
  }

  // Record expirations now: a partition may have nothing else to replay.
  state::ReplayBatch batch;
  batch.topic = options.topic;
  for (const auto& [p, ps] : parts) {
    if (ps.report.expired > 0) batch.checkpoints.push_back(ps.checkpoint);
  }
  if (!batch.checkpoints.empty()) KAPPA_RETURN_IF_ERROR(store->ApplyBatch(batch));

  std::unique_ptr<stream::Producer> dlq_producer;
  if (!assignment.empty()) KAPPA_RETURN_IF_ERROR((*consumer)->Assign(assignment));
  if (!assignment.empty() && options.dead_letter) {
    auto producer = stream::Producer::Create({.client = client});
    if (!producer.ok()) return producer.status();
    dlq_producer = std::move(producer).value();
  }
  stream::DeadLetterWriter dlq(dlq_producer.get(), options.dlq_topic, "replay");
  stream::EventDecoder decoder;
  stream::PassengerEvent event;
  // Fetching overlaps decoding and state writes (see prefetching_poller.h).
  std::unique_ptr<stream::PrefetchingPoller> poller;
  if (!assignment.empty()) {
    poller = std::make_unique<stream::PrefetchingPoller>(consumer->get(), options.batch_size);
  }
  StateWriter writer(store);
  ReplayResult result;
  auto last_data = Clock::now();

  while (progress.partitions_done < progress.partitions) {
    if (options.should_stop && options.should_stop()) {
      result.interrupted = true;
      break;
    }
    WriteJob job;
    job.batch.topic = options.topic;
    KAPPA_RETURN_IF_ERROR(poller->Next(std::chrono::milliseconds(200), &job.source));
    const auto& messages = job.source.messages;
    const auto& eofs = job.source.eofs;
    std::map<int32_t, bool> touched;
    uint64_t dead_in_batch = 0;
    for (const auto& m : messages) {
      const auto it = parts.find(m.partition());
      if (it == parts.end()) continue;  // not assigned: cannot happen, never trust it
      PartitionState& ps = it->second;
      if (ps.done || m.offset() >= ps.report.end_offset) continue;  // beyond the snapshot
      if (m.offset() < ps.checkpoint.next_offset) continue;         // already stored (a rewind)
      if (auto rejection = decoder.Decode(m.value(), &event)) {
        if (dlq_producer) KAPPA_RETURN_IF_ERROR(dlq.Send(m, *rejection));
        ++ps.report.dead_lettered;
        ++ps.checkpoint.dead_lettered;
        ++dead_in_batch;
      } else {
        job.batch.events.push_back({m.partition(), m.offset(), *m.value()});
        ++ps.report.stored;
        ++ps.checkpoint.events;
        if (event.survived) ++ps.checkpoint.labeled;
      }
      ps.checkpoint.next_offset = m.offset() + 1;
      touched[m.partition()] = true;
      ++progress.records;
    }
    for (const auto& eof : eofs) {
      const auto it = parts.find(eof.partition);
      if (it == parts.end()) continue;
      PartitionState& ps = it->second;
      // Offsets up to the end with no record (transaction markers) are done.
      if (!ps.done && eof.offset >= ps.report.end_offset &&
          ps.checkpoint.next_offset < ps.report.end_offset) {
        ps.checkpoint.next_offset = ps.report.end_offset;
        touched[eof.partition] = true;
      }
    }
    for (auto& [p, ps] : parts) {
      if (!ps.done && ps.checkpoint.next_offset >= ps.report.end_offset) {
        ps.done = true;
        ++progress.partitions_done;
      }
    }
    if (touched.empty()) {
      if (Clock::now() - last_data > options.stall_timeout) {
        return Status::Timeout(fmt::format("replay of {} stalled: no records for {} s",
                                           options.topic, options.stall_timeout.count() / 1000));
      }
      continue;
    }
    last_data = Clock::now();
    // The DLQ copies must be safe before the checkpoint moves past them.
    if (dead_in_batch > 0 && dlq_producer) {
      KAPPA_RETURN_IF_ERROR(dlq_producer->Flush(std::chrono::seconds(30)).WithContext("DLQ"));
      if (dlq_producer->stats().failed.load() > 0) {
        return dlq_producer->first_failure().WithContext("DLQ");
      }
    }
    for (const auto& [p, unused] : touched) job.batch.checkpoints.push_back(parts[p].checkpoint);
    KAPPA_RETURN_IF_ERROR(writer.Submit(std::move(job)));
    if (on_progress) {
      progress.seconds = Since(start);
      on_progress(progress);
    }
  }

  KAPPA_RETURN_IF_ERROR(writer.Finish());
  for (auto& [p, ps] : parts) {
    result.partitions.push_back(ps.report);
    result.stored += ps.report.stored;
    result.dead_lettered += ps.report.dead_lettered;
    result.expired += ps.report.expired;
  }
  result.seconds = Since(start);
  return result;
}

}  // namespace kappa::training
