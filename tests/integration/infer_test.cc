// `kappa infer` (LiveScorer) on the embedded broker: alerts are exactly the
// model's own survived=1 predictions, bad events reach the DLQ, offsets are
// committed to the end, and the seed's metrics count what happened.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <set>

#include "inference/live_scorer.h"
#include "inference/model_registry.h"
#include "monitoring/metrics_server.h"
#include "stream/event_codec.h"
#include "stream/passenger_publisher.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/temp_dir.h"
#include "training/train_job.h"

namespace kappa {
namespace {

class InferTest : public testing::EmbeddedBrokerTest {
 protected:
  void SetUp() override {
    EmbeddedBrokerTest::SetUp();
    auto producer = MakeProducer();
    auto source = stream::MakeGeneratorSource({.seed = 21});
    ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = kEvents},
                                        [] { return false; })
                  .acknowledged,
              kEvents);
    for (const char* bad : {"not json", R"({"PassengerId":5,"Pclass":9,"Sex":"male"})"}) {
      ASSERT_TRUE(producer->Send("titanic-events", "bad", std::string_view(bad)).ok());
    }
    ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
    training::TrainJobOptions train;
    train.state_dir = dir_.File("state");
    train.models_dir = dir_.File("models");
    train.fit.max_rounds = 40;
    train.publish = false;
    ASSERT_TRUE(training::RunTrainJob(Client(), train).ok());
    auto model = inference::ModelRegistry::Open(train.models_dir).value()->Load(1);
    ASSERT_TRUE(model.ok());
    model_ = std::move(model).value();
  }

  static constexpr uint64_t kEvents = 3000;
  testing::TempDir dir_;
  std::unique_ptr<inference::Model> model_;
};

TEST_F(InferTest, AlertsAreExactlyTheModelsSurvivedPredictions) {
  // What the model itself says about every event in the topic.
  const auto events = ReadTopic("titanic-events", kEvents + 2);
  ASSERT_EQ(events.size(), kEvents + 2);
  stream::EventDecoder decoder;
  std::vector<stream::PassengerEvent> valid;
  for (const auto& r : events) {
    stream::PassengerEvent e;
    if (!decoder.Decode(r.value, &e)) valid.push_back(e);
  }
  ASSERT_EQ(valid.size(), kEvents);
  std::vector<float> p;
  ASSERT_TRUE(model_->Score(valid, &p).ok());
  std::map<int64_t, float> expected;
  for (size_t i = 0; i < valid.size(); ++i) {
    if (p[i] >= 0.5f) expected[valid[i].passenger_id] = p[i];
  }
  ASSERT_GT(expected.size(), 100u);
  ASSERT_LT(expected.size(), kEvents);

  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  inference::LiveScorer scorer(Client(), {.group_id = "infer-test", .until_end = true}, &metrics);
  auto summary = scorer.Run(model_.get(), [] { return false; });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->scored, kEvents);
  EXPECT_EQ(summary->dead_lettered, 2u);
  EXPECT_EQ(summary->alerts, expected.size());

  const auto alerts = ReadTopic("titanic-alerts", expected.size());
  ASSERT_EQ(alerts.size(), expected.size());
  simdjson::dom::parser parser;
  std::set<int64_t> seen;
  for (const auto& a : alerts) {
    simdjson::dom::element doc = parser.parse(*a.value);
    const int64_t id = doc["PassengerId"].get_int64();
    EXPECT_EQ(a.key, std::to_string(id));
    EXPECT_TRUE(seen.insert(id).second) << "one alert per passenger";
    ASSERT_EQ(expected.count(id), 1u) << "alert for a passenger the model scores < 0.5: " << id;
    EXPECT_EQ(static_cast<int64_t>(doc["survived"].get_int64()), 1);
    EXPECT_FLOAT_EQ(static_cast<float>(doc["probability"].get_double().value()), expected[id]);
    EXPECT_EQ(static_cast<int64_t>(doc["model_version"].get_int64()), 1);
    EXPECT_EQ(std::string_view(doc["feature_set"].get_string().value()), "titanic-v1");
  }
  EXPECT_EQ(seen.size(), expected.size());

  EXPECT_EQ(ReadTopic("titanic-events-dlq", 2).size(), 2u);
  EXPECT_EQ(metrics.processed.Value(), static_cast<double>(kEvents));
  EXPECT_EQ(metrics.survived.Value(), static_cast<double>(expected.size()));
  EXPECT_EQ(metrics.dead_lettered.Value(), 2.0);
  EXPECT_EQ(metrics.model_version.Value(), 1.0);
  EXPECT_NEAR(metrics.survival_rate.Value(),
              100.0 * static_cast<double>(expected.size()) / static_cast<double>(kEvents), 1e-9);

  // Every partition committed to its end: a restart would score nothing.
  auto consumer = stream::Consumer::Create({.client = Client(), .group_id = "infer-test"}).value();
  std::vector<stream::TopicPartitionOffset> parts;
  for (int32_t i = 0; i < 3; ++i) parts.push_back({"titanic-events", i, 0});
  const auto committed = consumer->Committed(parts, std::chrono::seconds(10)).value();
  for (const auto& c : committed) {
    const auto w =
        consumer->QueryWatermarks("titanic-events", c.partition, std::chrono::seconds(10));
    EXPECT_EQ(c.offset, w->high) << "partition " << c.partition;
  }
}

}  // namespace
}  // namespace kappa
