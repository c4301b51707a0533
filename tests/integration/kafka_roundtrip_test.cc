// Our producer and consumer against the embedded broker: events survive the
// round trip field by field, delivery failures are counted, rejected events
// reach the DLQ with their bytes and provenance, bad -X is refused.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "stream/dead_letter.h"
#include "stream/event_codec.h"
#include "stream/passenger_generator.h"
#include "stream/passenger_publisher.h"
#include "stream/prefetching_poller.h"
#include "tests/support/broker_fixture.h"

namespace kappa {
namespace {

using testing::EmbeddedBrokerTest;
using testing::Record;

class KafkaRoundTripTest : public EmbeddedBrokerTest {};

TEST_F(KafkaRoundTripTest, PublishedEventsReadBackFieldByField) {
  constexpr uint64_t kCount = 2000;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 7, .first_id = 100});
  const auto summary = stream::PublishPassengers(
      producer.get(), source.get(), {.rate = 0, .count = kCount}, [] { return false; });
  ASSERT_TRUE(summary.error.ok()) << summary.error.ToString();
  EXPECT_EQ(summary.sent, kCount);
  EXPECT_EQ(summary.acknowledged, kCount);
  EXPECT_EQ(summary.failed, 0u);

  const auto records = ReadTopic("titanic-events", kCount);
  ASSERT_EQ(records.size(), kCount);

  // The same seed regenerates exactly what was sent.
  stream::PassengerGenerator expected_gen({.seed = 7, .first_id = 100});
  std::map<int64_t, stream::PassengerEvent> expected;
  for (uint64_t i = 0; i < kCount; ++i) {
    stream::PassengerEvent e;
    expected_gen.Next(&e);
    expected[e.passenger_id] = e;
  }
  stream::EventDecoder decoder;
  std::set<int64_t> seen;
  for (const Record& r : records) {
    stream::PassengerEvent got;
    const auto rejection = decoder.Decode(r.value, &got);
    ASSERT_FALSE(rejection) << rejection->reason;
    EXPECT_EQ(r.key, std::to_string(got.passenger_id)) << "key must be the PassengerId";
    ASSERT_TRUE(got.ts_ms.has_value()) << "the producer stamps the send time";
    got.ts_ms.reset();
    ASSERT_EQ(expected.count(got.passenger_id), 1u);
    EXPECT_EQ(got, expected[got.passenger_id]) << *r.value;
    seen.insert(got.passenger_id);
  }
  EXPECT_EQ(seen.size(), kCount) << "no event duplicated or lost";
}

TEST_F(KafkaRoundTripTest, UndeliveredMessagesAreCountedAsFailed) {
  auto producer = MakeProducer({{"message.timeout.ms", "1500"}});
  ASSERT_TRUE(broker_->SetBrokerDown(1).ok());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(producer->Send("titanic-events", std::to_string(i), std::string("{}")).ok());
  }
  const Status flushed = producer->Flush(std::chrono::seconds(15));
  EXPECT_TRUE(flushed.ok()) << flushed.ToString();
  EXPECT_EQ(producer->stats().sent.load(), 10u);
  EXPECT_EQ(producer->stats().acknowledged.load(), 0u);
  EXPECT_EQ(producer->stats().failed.load(), 10u);
  EXPECT_FALSE(producer->first_failure().ok());
  EXPECT_NE(producer->first_failure().message().find("timed out"), std::string::npos)
      << producer->first_failure().message();
}

TEST_F(KafkaRoundTripTest, DeliveryReportsCarryTheCallersOpaqueAndOffset) {
  std::vector<std::pair<void*, int64_t>> reports;
  auto client = Client();
  auto producer = stream::Producer::Create(
      {.client = client, .on_delivery = [&](const stream::DeliveryReport& r) {
         EXPECT_TRUE(r.status.ok());
         reports.emplace_back(r.opaque, r.offset);
       }});
  ASSERT_TRUE(producer.ok());
  int tags[3] = {0, 1, 2};
  for (int& tag : tags) {
    ASSERT_TRUE((*producer)->Send("titanic-alerts", "k", std::string("v"), {}, &tag, 0).ok());
  }
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());
  ASSERT_EQ(reports.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(reports[i].first, &tags[i]);
    EXPECT_EQ(reports[i].second, i) << "offsets in one partition are sequential";
  }
}

TEST_F(KafkaRoundTripTest, RejectedEventsReachTheDlqWithBytesAndProvenance) {
  // Bad records in the events topic, including a tombstone.
  const std::vector<std::optional<std::string>> bad = {
      std::string("not json"),
      std::string(R"({"PassengerId":1,"Pclass":3,"Sex":"male","Age":"x"})"), std::nullopt,
      std::string(R"({"PassengerId":2,"Pclass":9,"Sex":"female"})")};
  auto producer = MakeProducer();
  for (size_t i = 0; i < bad.size(); ++i) {
    std::optional<std::string_view> value;
    if (bad[i]) value = *bad[i];
    ASSERT_TRUE(
        producer->Send("titanic-events", "key" + std::to_string(i), value, {}, nullptr, 1).ok());
  }
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());

  // Consume, decode, route every rejection to the DLQ.
  const auto events = ReadTopic("titanic-events", bad.size());
  ASSERT_EQ(events.size(), bad.size());
  stream::DeadLetterWriter dlq(producer.get(), "titanic-events-dlq", "test");
  stream::EventDecoder decoder;
  stream::PassengerEvent event;
  std::map<std::string, std::string> reason_by_key;
  for (const Record& r : events) {
    std::optional<std::string_view> value;
    if (r.value) value = *r.value;
    auto rejection = decoder.Decode(value, &event);
    ASSERT_TRUE(rejection.has_value()) << "every record here is bad";
    reason_by_key[r.key] = rejection->reason;
    ASSERT_TRUE(dlq.Send({r.topic, r.partition, r.offset, r.key, value}, *rejection).ok());
  }
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  EXPECT_EQ(dlq.sent(), bad.size());

  const auto dead = ReadTopic("titanic-events-dlq", bad.size());
  ASSERT_EQ(dead.size(), bad.size());
  for (const Record& d : dead) {
    const size_t i = std::stoul(d.key.substr(3));
    EXPECT_EQ(d.value, bad[i]) << "original bytes kept (a tombstone stays one)";
    EXPECT_EQ(d.Header("kappa.error.reason"), reason_by_key[d.key]);
    EXPECT_EQ(d.Header("kappa.source.topic"), "titanic-events");
    EXPECT_EQ(d.Header("kappa.source.partition"), "1");
    EXPECT_EQ(d.Header("kappa.source.offset"), std::to_string(i));
    EXPECT_EQ(d.Header("kappa.stage"), "test");
  }
  EXPECT_EQ(reason_by_key["key1"], "Age: expected number or null, got string");
  EXPECT_EQ(reason_by_key["key3"], "Pclass: expected 1, 2 or 3, got 9");
  const auto tombstone =
      std::find_if(dead.begin(), dead.end(), [](const Record& r) { return r.key == "key2"; });
  ASSERT_NE(tombstone, dead.end());
  EXPECT_EQ(tombstone->Header("kappa.error.kind"), "null_value");
}

TEST_F(KafkaRoundTripTest, UnknownPropertyIsRefusedWithItsName) {
  auto client = Client();
  client.properties = {{"no.such.property", "1"}};
  auto producer = stream::Producer::Create({.client = client});
  ASSERT_FALSE(producer.ok());
  EXPECT_EQ(producer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(producer.status().message().find("no.such.property"), std::string::npos);
  auto consumer = stream::Consumer::Create({.client = client});
  ASSERT_FALSE(consumer.ok());
  EXPECT_EQ(consumer.status().code(), StatusCode::kInvalidArgument);
  client.properties = {{"linger.ms", "not-a-number"}};
  auto bad_value = stream::Producer::Create({.client = client});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("linger.ms"), std::string::npos);
}

TEST_F(KafkaRoundTripTest, WatermarksAndPartitionCountComeFromTheBroker) {
  auto producer = MakeProducer();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(producer->Send("titanic-events", "k", std::string("v"), {}, nullptr, 2).ok());
  }
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  auto consumer = stream::Consumer::Create({.client = Client()});
  ASSERT_TRUE(consumer.ok());
  auto count = (*consumer)->PartitionCount("titanic-events", std::chrono::seconds(10));
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  EXPECT_EQ(*count, 3);
  auto w = (*consumer)->QueryWatermarks("titanic-events", 2, std::chrono::seconds(10));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->low, 0);
  EXPECT_EQ(w->high, 5);
}

TEST_F(KafkaRoundTripTest, PrefetchingPollerDeliversEveryRecordOnceInOrderPerPartition) {
  constexpr uint64_t kCount = 3000;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 12});
  ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = kCount},
                                      [] { return false; })
                .acknowledged,
            kCount);
  auto consumer = stream::Consumer::Create({.client = Client(), .report_partition_eof = true});
  ASSERT_TRUE(consumer.ok());
  std::vector<stream::TopicPartitionOffset> assignment;
  for (int32_t p = 0; p < 3; ++p) assignment.push_back({"titanic-events", p, 0});
  ASSERT_TRUE((*consumer)->Assign(assignment).ok());
  std::map<int32_t, int64_t> next_offset;
  std::set<int32_t> ended;
  uint64_t received = 0;
  {
    stream::PrefetchingPoller poller(consumer->get(), 100);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (ended.size() < 3 && std::chrono::steady_clock::now() < deadline) {
      stream::PolledBatch batch;
      ASSERT_TRUE(poller.Next(std::chrono::milliseconds(100), &batch).ok());
      for (const auto& m : batch.messages) {
        EXPECT_EQ(m.offset(), next_offset[m.partition()]) << "in order, no gap, no repeat";
        next_offset[m.partition()] = m.offset() + 1;
        ++received;
      }
      for (const auto& eof : batch.eofs) {
        if (eof.offset == next_offset[eof.partition]) ended.insert(eof.partition);
      }
    }
  }  // the poller stops and joins with batches possibly still queued
  EXPECT_EQ(received, kCount);
  EXPECT_EQ(ended.size(), 3u);
}

}  // namespace
}  // namespace kappa
