// TopicPartitionOffset: a position in a topic, as consumers, commits and
// transactions exchange it. Plain value type.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace kappa::stream
