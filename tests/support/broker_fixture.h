// EmbeddedBrokerTest: the one shared fixture of integration tests. Each test
// gets its own in-process embedded broker (own loopback port, so tests run
// in parallel), and helpers to produce and read back records.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "stream/consumer.h"
#include "stream/embedded_broker.h"
#include "stream/producer.h"

namespace kappa::testing {

// An owned copy of a consumed record, for assertions.
struct Record {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::optional<std::string> value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> Header(const std::string& name) const;
};

class EmbeddedBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  // The broker each test gets; a fixture may override (e.g. more brokers).
  virtual stream::EmbeddedBrokerOptions BrokerOptions() const { return {}; }

  const std::string& bootstrap() const { return broker_->bootstrap_servers(); }
  stream::KafkaClientOptions Client() const;
  std::unique_ptr<stream::Producer> MakeProducer(
      std::vector<stream::KafkaProperty> properties = {});

  // Reads every record of `topic` from the beginning until `expected`
  // records arrived or `timeout` passed (then returns what it has).
  std::vector<Record> ReadTopic(const std::string& topic, size_t expected,
                                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Records stored in `topic` now (sum over partitions of high - low).
  size_t TopicSize(const std::string& topic);

  std::unique_ptr<stream::EmbeddedBroker> broker_;
};

}  // namespace kappa::testing
