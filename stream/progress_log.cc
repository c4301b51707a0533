#include "stream/progress_log.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <vector>

namespace kappa::stream {
namespace {

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr int64_t kFirstWindow = 256;  // records read back at first
constexpr int64_t kWindowGrowth = 8;

}  // namespace

Result<std::unique_ptr<ProgressLog>> ProgressLog::Open(const KafkaClientOptions& client,
                                                       std::string topic, std::string group) {
  // The embedded broker answers a fetch at the end of a partition only
  // after fetch.wait.max.ms (librdkafka's default: 500 ms per read).
  auto reader =
      Consumer::Create({.client = WithDefaults(client, {{"isolation.level", "read_committed"},
                                                        {"fetch.wait.max.ms", "5"}}),
                        .report_partition_eof = true});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kTimeout);
  if (partitions.status().code() == StatusCode::kNotFound) {
    return Status::NotFound(
        "progress topic " + topic +
        " does not exist; create it with as many partitions as the events "
        "topic (cleanup.policy=compact), or name another with --progress-topic");
  }
  if (!partitions.ok()) return partitions.status().WithContext("progress topic");
  return std::unique_ptr<ProgressLog>(
      new ProgressLog(std::move(reader).value(), std::move(topic), std::move(group), *partitions));
}

std::string ProgressLog::Key(std::string_view source_topic, int32_t partition) const {
  std::string key(source_topic);
  key += ':';
  key += std::to_string(partition);
  key += ':';
  key += group_;
  return key;
}

Result<std::map<int32_t, int64_t>> ProgressLog::Load(const std::string& source_topic,
                                                     std::span<const int32_t> partitions) {
  // The progress partitions to read, with the keys wanted from each.
  struct Tail {
    std::map<std::string, int32_t> keys;  // key -> source partition
    Watermarks marks;
    int64_t window = kFirstWindow;
    std::map<int32_t, int64_t> latest;  // source partition -> next offset
    bool done = false;
  };
  std::map<int32_t, Tail> tails;
  for (int32_t p : partitions) tails[p % partitions_].keys[Key(source_topic, p)] = p;
  for (auto& [q, tail] : tails) {
    auto marks = reader_->QueryWatermarks(topic_, q, kTimeout);
    if (!marks.ok()) return marks.status();
    tail.marks = *marks;
    tail.done = marks->high <= marks->low;
  }

  // Rounds: every unfinished tail reads [high - window, high) (the last
  // record per key wins); a tail missing keys grows its window and reads
  // again, until its window covers the whole partition. All tails of a
  // round are read together.
  std::vector<Message> records;
  std::vector<TopicPartitionOffset> eofs;
  for (;;) {
    std::vector<TopicPartitionOffset> assignment;
    std::map<int32_t, bool> at_end;
    for (auto& [q, tail] : tails) {
      if (tail.done) continue;
      tail.latest.clear();
      assignment.push_back({topic_, q, std::max(tail.marks.low, tail.marks.high - tail.window)});
      at_end[q] = false;
    }
    if (assignment.empty()) break;
    KAPPA_RETURN_IF_ERROR(reader_->Assign(assignment));
    const auto deadline = std::chrono::steady_clock::now() + kTimeout;
    size_t ended = 0;
    while (ended < at_end.size()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Status::Timeout("reading progress topic " + topic_);
      }
      records.clear();
      eofs.clear();
      KAPPA_RETURN_IF_ERROR(reader_->Poll(1000, std::chrono::milliseconds(100), &records, &eofs));
      auto end = [&](int32_t q) {
        auto it = at_end.find(q);
        if (it != at_end.end() && !it->second) {
          it->second = true;
          ++ended;
        }
      };
      for (const auto& r : records) {
        Tail& tail = tails[r.partition()];
        if (r.offset() + 1 >= tail.marks.high) end(r.partition());
        auto it = tail.keys.find(std::string(r.key()));
        if (it == tail.keys.end() || !r.value()) continue;
        int64_t next = -1;
        const auto v = *r.value();
        if (std::from_chars(v.data(), v.data() + v.size(), next).ec != std::errc() || next < 0) {
          return Status::Corruption("progress topic " + topic_ + " offset " +
                                    std::to_string(r.offset()) + ": value '" + std::string(v) +
                                    "' is not an offset");
        }
        tail.latest[it->second] = next;
      }
      for (const auto& eof : eofs) end(eof.partition);
    }
    for (auto& [q, tail] : tails) {
      if (tail.done) continue;
      tail.done =
          tail.latest.size() == tail.keys.size() || tail.marks.high - tail.window <= tail.marks.low;
      tail.window *= kWindowGrowth;
    }
  }
  KAPPA_RETURN_IF_ERROR(reader_->Assign({}));
  std::map<int32_t, int64_t> found;
  for (const auto& [q, tail] : tails) found.insert(tail.latest.begin(), tail.latest.end());
  return found;
}

Status ProgressLog::Append(Producer* producer, std::span<const TopicPartitionOffset> next_offsets,
                           std::string_view transaction_id) {
  for (const auto& tp : next_offsets) {
    value_ = std::to_string(tp.offset);
    const Header header{kHeaderTransaction, transaction_id};
    KAPPA_RETURN_IF_ERROR(producer->Send(topic_, Key(tp.topic, tp.partition), value_, {&header, 1},
                                         nullptr, tp.partition % partitions_));
  }
  return Status::Ok();
}

}  // namespace kappa::stream
