// ParseKafkaStatistics: reads the statistics JSON that librdkafka hands to
// its stats callback (statistics.interval.ms > 0; fields as in librdkafka's
// STATISTICS.md) into KafkaStatistics, the part we export as metrics:
// client counters and the consumer lag of each partition this client reads.
//
// Which partitions: those of every topic in "topics", except
//   - partition -1, librdkafka's internal "unassigned" (UA) partition;
//   - partitions whose fetch_state is "none", "stopping" or "stopped": the
//     client knows them from metadata but does not fetch them (another group
//     member owns them, or they were revoked). A revoked partition keeps its
//     last offsets, so exporting it would leave a stale lag series behind.
// A partition in any other state ("offset-query", "offset-wait", "active", or
// a state of a later librdkafka) is included. For a producer's statistics
// every partition is "none", so the list is empty. Partitions are sorted by
// topic, then partition.
//
// Which lag: consumer_lag, librdkafka's lag of the COMMITTED offset. In
// librdkafka 2.0.2, rd_kafka_stats_emit_toppar() (src/rdkafka.c) computes
//   end            = ls_offset if isolation.level=read_committed (the
//                    default), else hi_offset
//   consumer_lag        = end - committed_offset  if 0 <= committed <= end
//   consumer_lag_stored = end - stored_offset     if 0 <= stored <= end
// and -1 otherwise (no commit yet, end not yet known). Neither uses
// app_offset (the position: last record handed to the application + 1).
// committed_offset is updated from OffsetFetch when a partition is assigned
// and from each successful OffsetCommit response. stored_offset is only set
// by automatic offset storing or rd_kafka_offsets_store(); our consumer runs
// with enable.auto.offset.store=false and commits explicit offsets, so its
// stored_offset stays invalid and consumer_lag_stored is always -1 (as the
// captured sample in tests/data shows). consumer_lag is therefore the lag we
// export; it is also what the broker's tools (kafka-consumer-groups.sh)
// report, and it includes records read but not yet committed. The lag of the
// position, if wanted, is (ls_offset or hi_offset) - app_offset.
//
// Absent fields take the defaults below (librdkafka's own "unknown" values
// for offsets and lags); present fields of the wrong JSON type, malformed
// JSON anywhere in the document (values we do not read are validated too),
// a root that is not an object, and empty input are Corruption.
//
// Thread-safe: a pure function of its input. It may be called from the
// librdkafka stats callback (it throws nothing but std::bad_alloc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace kappa::stream {

struct PartitionStatistics {
  // librdkafka's RD_KAFKA_OFFSET_INVALID: the offset is not known.
  static constexpr int64_t kUnknownOffset = -1001;
  static constexpr int64_t kUnknownLag = -1;

  std::string topic;
  int32_t partition = 0;
  // Messages between the committed offset and the end of the partition
  // (ls_offset under read_committed); kUnknownLag when unknown. See above.
  int64_t consumer_lag = kUnknownLag;
  // Same, from the stored offset; always kUnknownLag for our consumer.
  int64_t consumer_lag_stored = kUnknownLag;
  int64_t committed_offset = kUnknownOffset;  // next offset to read, as committed
  int64_t hi_offset = kUnknownOffset;         // high watermark
  int64_t ls_offset = kUnknownOffset;         // last stable offset
  int64_t app_offset = kUnknownOffset;        // last record handed to the app + 1
  std::string fetch_state;                    // e.g. "active"; empty when absent

  bool operator==(const PartitionStatistics&) const = default;
};

struct KafkaStatistics {
  std::string client_id;  // the client.id setting
  std::string type;       // "consumer" or "producer"
  int64_t replyq = 0;     // ops waiting for the application to poll them
  int64_t msg_cnt = 0;    // messages in the producer queues
  int64_t tx = 0;         // requests sent to brokers, all brokers
  int64_t tx_errors = 0;  // sum of the brokers' txerrs
  int64_t rx = 0;         // responses received from brokers, all brokers
  int64_t rx_errors = 0;  // sum of the brokers' rxerrs
  std::vector<PartitionStatistics> partitions;
};

// Parses one statistics document. Errors are Corruption, with the JSON
// Pointer of the offending value in the message.
Result<KafkaStatistics> ParseKafkaStatistics(std::string_view json);

}  // namespace kappa::stream
