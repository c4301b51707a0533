// What every kappa command's /metrics carries besides its own metrics:
//   process_cpu_seconds_total, process_resident_memory_bytes,
//   process_virtual_memory_bytes, process_start_time_seconds, process_open_fds
//     the Prometheus client conventions' process metrics, read from /proc at
//     scrape time (so they cost nothing between scrapes);
//   kappa_build_info{command,version}  gauge 1: which command and build
//   kappa_kafka_errors_total{error}    client-level errors librdkafka reported
//     (its error callback: _TRANSPORT, _ALL_BROKERS_DOWN, ...), per error name
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <string_view>
#include <vector>

namespace kappa::monitoring {

// Counts one client-level Kafka error by librdkafka's name for it. Any
// thread (librdkafka calls it from its own); the tally is process-wide
// because the callback has no other way to reach a registry.
void CountKafkaError(std::string_view error_name);

class ProcessCollector : public prometheus::Collectable {
 public:
  explicit ProcessCollector(std::string command);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string command_;
};

}  // namespace kappa::monitoring
