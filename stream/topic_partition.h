// TopicPartitionOffset: a position in a topic, as consumers, commits and
// transactions exchange it. Plain value type.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kappa::stream {

// Special offsets, as librdkafka defines them.
inline constexpr int64_t kOffsetBeginning = -2;
inline constexpr int64_t kOffsetEnd = -1;
inline constexpr int64_t kOffsetStored = -1000;

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = kOffsetBeginning;
  bool operator==(const TopicPartitionOffset&) const = default;
};

// Adds `later` to `*into`, keeping per topic-partition the larger offset (a
// commit only moves forward).
inline void MergeOffsets(std::span<const TopicPartitionOffset> later,
                         std::vector<TopicPartitionOffset>* into) {
  for (const auto& tp : later) {
    auto it = std::find_if(into->begin(), into->end(), [&](const TopicPartitionOffset& o) {
      return o.topic == tp.topic && o.partition == tp.partition;
    });
    if (it == into->end()) {
      into->push_back(tp);
    } else {
      it->offset = std::max(it->offset, tp.offset);
    }
  }
}

}  // namespace kappa::stream
