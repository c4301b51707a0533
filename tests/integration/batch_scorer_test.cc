// BatchScorer on real records from the embedded broker: lanes on several
// threads give the same rejections and alerts, in record order, as one.
#include "inference/batch_scorer.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/scoring_fixture.h"

namespace kappa {
namespace {

using BatchScorerTest = testing::ScoringTest;

// Records and the consumer they came from, which must outlive them
// (destroying a consumer waits for its records to be released).
struct Records {
  std::unique_ptr<stream::Consumer> consumer;
  std::vector<stream::Message> messages;  // destroyed first
};

// Every record of titanic-events.
Records ReadAll(const stream::KafkaClientOptions& client, size_t expected) {
  auto consumer = stream::Consumer::Create({.client = client});
  EXPECT_TRUE(consumer.ok());
  if (!consumer.ok()) return {};
  std::vector<stream::TopicPartitionOffset> assignment;
  auto partitions = (*consumer)->PartitionCount("titanic-events", std::chrono::seconds(10));
  EXPECT_TRUE(partitions.ok());
  for (int32_t p = 0; partitions.ok() && p < *partitions; ++p) {
    assignment.push_back({"titanic-events", p, 0});
  }
  EXPECT_TRUE((*consumer)->Assign(assignment).ok());
  std::vector<stream::Message> records;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (records.size() < expected && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE((*consumer)->Poll(1000, std::chrono::milliseconds(100), &records, nullptr).ok());
  }
  return {std::move(consumer).value(), std::move(records)};
}

// An alert without its scored_at (the wall clock of its lane).
std::string WithoutScoredAt(std::string_view alert) {
  std::string out(alert);
  const size_t at = out.find(R"(,"scored_at":)");
  const size_t end = out.find(',', at + 1);
  return out.erase(at, end - at);
}

TEST_F(BatchScorerTest, LanesScoreLikeOneThreadInRecordOrder) {
  const Records read = ReadAll(Client(), kEvents + 2);
  const std::vector<stream::Message>& records = read.messages;
  ASSERT_EQ(records.size(), kEvents + 2);
  const std::map<int64_t, float> expected = ExpectedAlerts();

  inference::BatchScorer single({.threshold = 0.5, .lanes = 1});
  ASSERT_TRUE(single.Score(records, *model_).ok());
  EXPECT_EQ(single.scored(), kEvents);
  ASSERT_EQ(single.rejected().size(), 2u);
  ASSERT_EQ(single.alerts().size(), expected.size());
  simdjson::dom::parser parser;
  const stream::Message* previous = nullptr;
  for (const auto& alert : single.alerts()) {
    simdjson::dom::element doc = parser.parse(alert.value);
    const int64_t id = doc["PassengerId"].get_int64();
    EXPECT_EQ(alert.key, std::to_string(id));
    EXPECT_EQ(expected.count(id), 1u) << id;
    EXPECT_EQ(static_cast<int64_t>(doc["offset"].get_int64()), alert.source->offset());
    EXPECT_EQ(static_cast<int64_t>(doc["partition"].get_int64()), alert.source->partition());
    if (previous != nullptr) {
      EXPECT_LT(previous, alert.source) << "record order";
    }
    previous = alert.source;
  }

  // 3002 records: 24 chunks, taken by 3 or 5 lanes.
  for (size_t lanes : {3, 5}) {
    inference::BatchScorer parallel({.threshold = 0.5, .lanes = lanes});
    for (int round = 0; round < 3; ++round) {  // lanes are reused batch after batch
      ASSERT_TRUE(parallel.Score(records, *model_).ok());
      EXPECT_EQ(parallel.scored(), kEvents);
      ASSERT_EQ(parallel.rejected().size(), single.rejected().size());
      for (size_t i = 0; i < single.rejected().size(); ++i) {
        EXPECT_EQ(parallel.rejected()[i].source, single.rejected()[i].source);
        EXPECT_EQ(parallel.rejected()[i].rejection.reason, single.rejected()[i].rejection.reason);
      }
      ASSERT_EQ(parallel.alerts().size(), single.alerts().size());
      for (size_t i = 0; i < single.alerts().size(); ++i) {
        EXPECT_EQ(parallel.alerts()[i].source, single.alerts()[i].source);
        EXPECT_EQ(parallel.alerts()[i].key, single.alerts()[i].key);
        EXPECT_EQ(WithoutScoredAt(parallel.alerts()[i].value),
                  WithoutScoredAt(single.alerts()[i].value));
      }
    }
  }
}

TEST_F(BatchScorerTest, SmallBatchesAndEmptyOnes) {
  const Records read = ReadAll(Client(), kEvents + 2);
  const std::vector<stream::Message>& records = read.messages;
  ASSERT_EQ(records.size(), kEvents + 2);
  inference::BatchScorer scorer({.threshold = 0.0, .lanes = 2});
  ASSERT_TRUE(scorer.Score(std::span(records).first(0), *model_).ok());
  EXPECT_EQ(scorer.scored(), 0u);
  EXPECT_TRUE(scorer.alerts().empty());
  // Threshold 0: every valid event alerts.
  ASSERT_TRUE(scorer.Score(std::span(records).first(10), *model_).ok());
  EXPECT_EQ(scorer.scored() + scorer.rejected().size(), 10u);
  EXPECT_EQ(scorer.alerts().size(), scorer.scored());
}

}  // namespace
}  // namespace kappa
