#include "tests/support/broker_fixture.h"

#include <librdkafka/rdkafka.h>

namespace kappa::testing {

std::optional<std::string> Record::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

void EmbeddedBrokerTest::SetUp() {
  auto broker = stream::EmbeddedBroker::Start(BrokerOptions());
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  broker_ = std::move(broker).value();
}

stream::KafkaClientOptions EmbeddedBrokerTest::Client() const {
  stream::KafkaClientOptions client;
  client.bootstrap_servers = bootstrap();
  return client;
}

std::unique_ptr<stream::Producer> EmbeddedBrokerTest::MakeProducer(
    std::vector<stream::KafkaProperty> properties) {
  auto client = Client();
  client.properties = std::move(properties);
  auto producer = stream::Producer::Create({.client = client});
  EXPECT_TRUE(producer.ok()) << producer.status().ToString();
  return producer.ok() ? std::move(producer).value() : nullptr;
}

size_t EmbeddedBrokerTest::TopicSize(const std::string& topic) {
  auto consumer = stream::Consumer::Create({.client = Client()});
  EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
  if (!consumer.ok()) return 0;
  auto partitions = (*consumer)->PartitionCount(topic, std::chrono::seconds(10));
  EXPECT_TRUE(partitions.ok()) << partitions.status().ToString();
  size_t total = 0;
  for (int32_t p = 0; partitions.ok() && p < *partitions; ++p) {
    auto w = (*consumer)->QueryWatermarks(topic, p, std::chrono::seconds(10));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    if (w.ok()) total += static_cast<size_t>(w->high - w->low);
  }
  return total;
}

std::vector<Record> EmbeddedBrokerTest::ReadTopic(const std::string& topic, size_t expected,
                                                  std::chrono::milliseconds timeout) {
  std::vector<Record> records;
  auto consumer = stream::Consumer::Create({.client = Client()});
  EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
  if (!consumer.ok()) return records;
  auto partitions = (*consumer)->PartitionCount(topic, std::chrono::seconds(10));
  EXPECT_TRUE(partitions.ok()) << partitions.status().ToString();
  if (!partitions.ok()) return records;
  std::vector<stream::TopicPartitionOffset> assignment;
  for (int32_t p = 0; p < *partitions; ++p) {
    assignment.push_back({topic, p, stream::kOffsetBeginning});
  }
  EXPECT_TRUE((*consumer)->Assign(assignment).ok());
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<stream::Message> batch;
  while (records.size() < expected && std::chrono::steady_clock::now() < deadline) {
    batch.clear();
    const Status s = (*consumer)->Poll(1000, std::chrono::milliseconds(100), &batch);
    EXPECT_TRUE(s.ok()) << s.ToString();
    for (const auto& m : batch) {
      Record r{std::string(m.topic()),
               m.partition(),
               m.offset(),
               std::string(m.key()),
               m.value() ? std::optional<std::string>(std::string(*m.value())) : std::nullopt,
               {}};
      for (const char* h : {"kappa.error.kind", "kappa.error.reason", "kappa.source.topic",
                            "kappa.source.partition", "kappa.source.offset", "kappa.stage",
                            "kappa.txn", "kappa.model.version", "kappa.model.action",
                            "kappa.model.current", "kappa.model.signature"}) {
        if (auto v = m.header(h)) r.headers.emplace_back(h, std::string(*v));
      }
      records.push_back(std::move(r));
    }
  }
  return records;
}

}  // namespace kappa::testing
