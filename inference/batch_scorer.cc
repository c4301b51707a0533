#include "inference/batch_scorer.h"

#include <algorithm>

#include "common/clock.h"
#include "common/json_writer.h"
#include "inference/alert.h"

namespace kappa::inference {

// What one chunk produced. Its buffers are reused from batch to batch.
struct BatchScorer::ChunkResult {
  // Every alert's key and value, back to back; `alerts` cuts them apart
  // once the buffer stops growing.
  std::string bytes;
  struct AlertSpan {
    const stream::Message* source;
    size_t key_begin, value_begin, value_end;
  };
  std::vector<AlertSpan> alerts;
  std::vector<RejectedRecord> rejected;
  size_t scored = 0;
  Status status;
};

// One thread's decoder and buffers, reused chunk after chunk (events keep
// their strings' capacity, so steady state allocates little).
struct BatchScorer::Lane {
  stream::EventDecoder decoder;
  std::vector<stream::PassengerEvent> events;
  std::vector<const stream::Message*> sources;
  DenseMatrix rows;
  std::vector<float> probabilities;

  void Score(std::span<const stream::Message> records, const Model& model, double threshold,
             ChunkResult* out) {
    out->bytes.clear();
    out->alerts.clear();
    out->rejected.clear();
    out->scored = 0;
    out->status = Status::Ok();
    sources.clear();
    if (events.size() < records.size()) events.resize(records.size());
    size_t valid = 0;
    for (const stream::Message& m : records) {
      if (auto rejection = decoder.Decode(m.value(), &events[valid])) {
        out->rejected.push_back({&m, std::move(*rejection)});
        continue;
      }
      sources.push_back(&m);
      ++valid;
    }
    if (valid == 0) return;
    model.Features(std::span<const stream::PassengerEvent>(events.data(), valid), &rows);
    out->status = model.Predict(rows, &probabilities);
    if (!out->status.ok()) return;
    out->scored = valid;
    const int64_t scored_at_ms = WallClockMs();
    for (size_t i = 0; i < valid; ++i) {
      if (probabilities[i] < threshold) continue;
      ChunkResult::AlertSpan span{sources[i], out->bytes.size(), 0, 0};
      AppendJsonInt(events[i].passenger_id, &out->bytes);
      span.value_begin = out->bytes.size();
      EncodeAlert({.event = &events[i],
                   .probability = probabilities[i],
                   .model_version = model.version(),
                   .feature_set = model.manifest().feature_set,
                   .partition = sources[i]->partition(),
                   .offset = sources[i]->offset(),
                   .scored_at_ms = scored_at_ms},
                  &out->bytes);
      span.value_end = out->bytes.size();
      out->alerts.push_back(span);
    }
  }
};

BatchScorer::BatchScorer(BatchScorerOptions options) : options_(options) {
  const size_t lanes = std::max<size_t>(options_.lanes, 1);
  for (size_t i = 0; i < lanes; ++i) lanes_.push_back(std::make_unique<Lane>());
  for (size_t i = 1; i < lanes; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

BatchScorer::~BatchScorer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& w : workers_) w.join();
}

void BatchScorer::TakeChunks(Lane* lane) {
  for (size_t c = next_chunk_.fetch_add(1); c < chunks_; c = next_chunk_.fetch_add(1)) {
    const size_t begin = c * kChunk;
    lane->Score(records_.subspan(begin, std::min(kChunk, records_.size() - begin)), *model_,
                options_.threshold, results_[c].get());
  }
}

void BatchScorer::WorkerLoop(size_t lane) {
  uint64_t seen = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    // records_, model_ and chunks_ were set under the lock and stay until
    // every worker has reported.
    lock.unlock();
    TakeChunks(lanes_[lane].get());
    lock.lock();
    if (--busy_workers_ == 0) work_done_.notify_one();
  }
}

void BatchScorer::Start(std::span<const stream::Message> records, const Model& model) {
  std::lock_guard lock(mutex_);
  records_ = records;
  model_ = &model;
  chunks_ = (records.size() + kChunk - 1) / kChunk;
  while (results_.size() < chunks_) results_.push_back(std::make_unique<ChunkResult>());
  next_chunk_.store(0);
  if (Shared()) {
    busy_workers_ = workers_.size();
    ++generation_;
    work_ready_.notify_all();
  }
}

Status BatchScorer::Finish() {
  TakeChunks(lanes_[0].get());
  if (Shared()) {
    std::unique_lock lock(mutex_);
    work_done_.wait(lock, [&] { return busy_workers_ == 0; });
  }
  scored_ = 0;
  rejected_.clear();
  alerts_.clear();
  for (size_t c = 0; c < chunks_; ++c) {
    ChunkResult& chunk = *results_[c];
    KAPPA_RETURN_IF_ERROR(chunk.status);
    scored_ += chunk.scored;
    for (auto& r : chunk.rejected) rejected_.push_back(std::move(r));
    const std::string_view bytes = chunk.bytes;
    for (const auto& a : chunk.alerts) {
      alerts_.push_back({a.source, bytes.substr(a.key_begin, a.value_begin - a.key_begin),
                         bytes.substr(a.value_begin, a.value_end - a.value_begin)});
    }
  }
  return Status::Ok();
}

Status BatchScorer::Score(std::span<const stream::Message> records, const Model& model) {
  Start(records, model);
  return Finish();
}

}  // namespace kappa::inference
