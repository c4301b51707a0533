// ScoringTest: an embedded broker holding kEvents generated passenger events
// plus two bad ones, and model v1 trained on them in models_dir(); for the
// tests of live inference. ExpectedAlerts() is what the model itself says,
// the yardstick for every alert assertion.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "inference/model_registry.h"
#include "stream/event_codec.h"
#include "stream/passenger_publisher.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "training/train_job.h"

namespace kappa::testing {

class ScoringTest : public EmbeddedBrokerTest {
 protected:
  static constexpr uint64_t kEvents = 3000;

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
    train.models_dir = models_dir();
    train.fit.max_rounds = 40;
    train.publish = false;
    ASSERT_TRUE(training::RunTrainJob(Client(), train).ok());
    auto model = inference::ModelRegistry::Open(train.models_dir).value()->Load(1);
    ASSERT_TRUE(model.ok());
    model_ = std::move(model).value();
  }

  std::string models_dir() const { return dir_.File("models"); }

  // argv of `kappa infer` in consumer group `group` on this broker and model
  // registry, followed by `extra`.
  std::vector<std::string> InferArgs(const std::string& group,
                                     const std::vector<std::string>& extra = {}) {
    return InferCommand(bootstrap(), models_dir(), group, extra);
  }

  // PassengerId -> P(survived) for every valid event of `topic` that model_
  // flags (P >= 0.5).
  std::map<int64_t, float> ExpectedAlerts(const std::string& topic = "titanic-events") {
    stream::EventDecoder decoder;
    std::vector<stream::PassengerEvent> valid;
    for (const auto& r : ReadTopic(topic, TopicSize(topic))) {
      stream::PassengerEvent e;
      if (!decoder.Decode(r.value, &e)) valid.push_back(e);
    }
    std::vector<float> p;
    EXPECT_TRUE(model_->Score(valid, &p).ok());
    std::map<int64_t, float> expected;
    for (size_t i = 0; i < valid.size(); ++i) {
      if (p[i] >= 0.5f) expected[valid[i].passenger_id] = p[i];
    }
    return expected;
  }

  TempDir dir_;
  std::unique_ptr<inference::Model> model_;
};

}  // namespace kappa::testing
