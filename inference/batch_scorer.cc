#include "inference/batch_scorer.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "common/json_writer.h"
#include "inference/alert.h"

namespace kappa::inference {

// One thread's share of a batch, and the buffers it reuses from batch to
// batch (events keep their strings' capacity, so steady state allocates
// little).
struct BatchScorer::Lane {
  stream::EventDecoder decoder;
  std::vector<stream::PassengerEvent> events;  // the first `valid` are this batch's
  std::vector<const stream::Message*> sources;
  DenseMatrix rows;
  std::vector<float> probabilities;
  // Every alert's key and value, back to back; `alerts` cuts them apart
  // once the buffer stops growing.
  std::string bytes;
  struct AlertSpan {
    const stream::Message* source;
    size_t key_begin, value_begin, value_end;
  };
  std::vector<AlertSpan> alerts;
  std::vector<RejectedRecord> rejected;
  size_t valid = 0;
  Status status;

  void Score(std::span<const stream::Message> records, const Model& model, double threshold) {
    sources.clear();
    alerts.clear();
    rejected.clear();
    bytes.clear();
    valid = 0;
    status = Status::Ok();
    if (events.size() < records.size()) events.resize(records.size());
    for (const stream::Message& m : records) {
      if (auto rejection = decoder.Decode(m.value(), &events[valid])) {
        rejected.push_back({&m, std::move(*rejection)});
        continue;
      }
      sources.push_back(&m);
      ++valid;
    }
    if (valid == 0) return;
    const std::span<const stream::PassengerEvent> passengers(events.data(), valid);
    model.Features(passengers, &rows);
    status = model.Predict(rows, &probabilities);
    if (!status.ok()) return;
    const int64_t scored_at_ms = WallClockMs();
    for (size_t i = 0; i < valid; ++i) {
      if (probabilities[i] < threshold) continue;
      AlertSpan span{sources[i], bytes.size(), 0, 0};
      AppendJsonInt(events[i].passenger_id, &bytes);
      span.value_begin = bytes.size();
      EncodeAlert({.event = &events[i],
                   .probability = probabilities[i],
                   .model_version = model.version(),
                   .feature_set = model.manifest().feature_set,
                   .partition = sources[i]->partition(),
                   .offset = sources[i]->offset(),
                   .scored_at_ms = scored_at_ms},
                  &bytes);
      span.value_end = bytes.size();
      alerts.push_back(span);
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

void BatchScorer::WorkerLoop(size_t lane) {
  uint64_t seen = 0;
  std::unique_lock lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] { return stopping_ || generation_ != seen; });
    if (stopping_) return;
    seen = generation_;
    if (lane >= lanes_used_) continue;  // this batch is too small to share
    const size_t n = records_.size();
    const auto part = records_.subspan(lane * n / lanes_used_,
                                       (lane + 1) * n / lanes_used_ - lane * n / lanes_used_);
    const Model& model = *model_;
    lock.unlock();
    lanes_[lane]->Score(part, model, options_.threshold);
    lock.lock();
    if (--pending_ == 0) work_done_.notify_one();
  }
}

Status BatchScorer::Score(std::span<const stream::Message> records, const Model& model) {
  const size_t n = records.size();
  const size_t used = std::clamp<size_t>(n / kMinRecordsPerLane, 1, lanes_.size());
  if (used > 1) {
    {
      std::lock_guard lock(mutex_);
      records_ = records;
      model_ = &model;
      lanes_used_ = used;
      pending_ = used - 1;
      ++generation_;
    }
    work_ready_.notify_all();
  }
  lanes_[0]->Score(records.first(n / used), model, options_.threshold);
  if (used > 1) {
    std::unique_lock lock(mutex_);
    work_done_.wait(lock, [&] { return pending_ == 0; });
  }

  scored_ = 0;
  rejected_.clear();
  alerts_.clear();
  for (size_t i = 0; i < used; ++i) {
    Lane& lane = *lanes_[i];
    KAPPA_RETURN_IF_ERROR(lane.status);
    scored_ += lane.valid;
    for (auto& r : lane.rejected) rejected_.push_back(std::move(r));
    const std::string_view bytes = lane.bytes;
    for (const auto& a : lane.alerts) {
      alerts_.push_back({a.source, bytes.substr(a.key_begin, a.value_begin - a.key_begin),
                         bytes.substr(a.value_begin, a.value_end - a.value_begin)});
    }
  }
  return Status::Ok();
}

}  // namespace kappa::inference
