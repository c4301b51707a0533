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
  auto reader = Consumer::Create({.client = WithDefaults(client, {{"isolation.level",
                                                                    "read_committed"}}),
                                  .report_partition_eof = true});
  if (!reader.ok()) return reader.status();
  auto partitions = (*reader)->PartitionCount(topic, kTimeout);
  if (partitions.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("progress topic " + topic +
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
  // Wanted keys, grouped by the progress partition that holds them.
  std::map<int32_t, std::map<std::string, int32_t>> wanted;
  for (int32_t p : partitions) wanted[p % partitions_][Key(source_topic, p)] = p;

  std::map<int32_t, int64_t> found;
  std::vector<Message> records;
  std::vector<TopicPartitionOffset> eofs;
  for (const auto& [progress_partition, keys] : wanted) {
    auto marks = reader_->QueryWatermarks(topic_, progress_partition, kTimeout);
    if (!marks.ok()) return marks.status();
    std::map<int32_t, int64_t> latest;  // source partition -> next offset
    for (int64_t window = kFirstWindow;; window *= kWindowGrowth) {
      const int64_t start = std::max(marks->low, marks->high - window);
      // Read [start, end of partition); the last record per key wins. A
      // larger window re-reads the tail, which costs less than bookkeeping.
      latest.clear();
      const TopicPartitionOffset from{topic_, progress_partition, start};
      KAPPA_RETURN_IF_ERROR(reader_->Assign({&from, 1}));
      bool at_end = start >= marks->high;
      const auto deadline = std::chrono::steady_clock::now() + kTimeout;
      while (!at_end) {
        if (std::chrono::steady_clock::now() > deadline) {
          return Status::Timeout("reading progress topic " + topic_ + " [" +
                                 std::to_string(progress_partition) + "]");
        }
        records.clear();
        eofs.clear();
        KAPPA_RETURN_IF_ERROR(reader_->Poll(1000, std::chrono::milliseconds(100), &records, &eofs));
        for (const auto& r : records) {
          auto it = keys.find(std::string(r.key()));
          if (it == keys.end() || !r.value()) continue;
          int64_t next = -1;
          const auto v = *r.value();
          if (std::from_chars(v.data(), v.data() + v.size(), next).ec != std::errc() || next < 0) {
            return Status::Corruption("progress topic " + topic_ + " offset " +
                                      std::to_string(r.offset()) + ": value '" + std::string(v) +
                                      "' is not an offset");
          }
          latest[it->second] = next;
          if (r.offset() + 1 >= marks->high) at_end = true;
        }
        if (!eofs.empty()) at_end = true;
      }
      if (latest.size() == keys.size() || start <= marks->low) break;
    }
    found.insert(latest.begin(), latest.end());
  }
  KAPPA_RETURN_IF_ERROR(reader_->Assign({}));
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
