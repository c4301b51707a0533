// `kappa reprocess` on the embedded broker: one prediction per retained
// event, counts that match the output topic, deterministic reruns, resume
// after kill -9 without duplicates, live alerts flowing while it runs, and
// the blue/green switch of a running `kappa infer`.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <filesystem>
#include <map>
#include <set>

#include "inference/prediction.h"
#include "tests/support/scoring_fixture.h"
#include "training/reprocess_job.h"

namespace kappa {
namespace {

using inference::Prediction;

class ReprocessTest : public testing::ScoringTest {
 protected:
  training::ReprocessOptions Options(const std::string& name = "a") const {
    training::ReprocessOptions o;
    o.feature_set = "titanic-v2";
    o.state_dir = dir_.File("reprocess-" + name);
    o.output_topic = "titanic-predictions.titanic-v2";
    o.models_dir = models_dir();
    o.fit.max_rounds = 40;
    return o;
  }

  std::vector<Prediction> ReadPredictions(const std::string& topic) {
    std::vector<Prediction> out;
    for (const auto& r : ReadTopic(topic, TopicSize(topic))) {
      auto p = inference::DecodePrediction(r.value.value_or(""));
      EXPECT_TRUE(p.ok()) << p.status().ToString();
      if (!p.ok()) continue;
      EXPECT_EQ(p->partition, r.partition) << "a prediction goes to its event's partition";
      EXPECT_EQ(r.key, std::to_string(p->passenger_id));
      out.push_back(*p);
    }
    return out;
  }

  // (partition, offset) -> event, for every valid event of the events topic.
  std::map<std::pair<int32_t, int64_t>, stream::PassengerEvent> ValidEvents() {
    std::map<std::pair<int32_t, int64_t>, stream::PassengerEvent> events;
    stream::EventDecoder decoder;
    for (const auto& r : ReadTopic("titanic-events", TopicSize("titanic-events"))) {
      stream::PassengerEvent e;
      if (!decoder.Decode(r.value, &e)) events[{r.partition, r.offset}] = e;
    }
    return events;
  }

  // Exactly one prediction per valid event, nothing else.
  void ExpectOnePredictionPerEvent(const std::vector<Prediction>& predictions) {
    const auto events = ValidEvents();
    ASSERT_EQ(events.size(), kEvents);
    std::set<std::pair<int32_t, int64_t>> seen;
    for (const auto& p : predictions) {
      EXPECT_TRUE(seen.insert({p.partition, p.offset}).second)
          << "twice: " << p.partition << "/" << p.offset;
      auto it = events.find({p.partition, p.offset});
      ASSERT_NE(it, events.end()) << "no such valid event: " << p.partition << "/" << p.offset;
      EXPECT_EQ(it->second.passenger_id, p.passenger_id);
    }
    EXPECT_EQ(seen.size(), events.size());
  }
};

TEST_F(ReprocessTest, WritesOnePredictionPerEventWhoseCountsMatchTheReport) {
  const uint64_t dead_letters = TopicSize("titanic-events-dlq");
  ASSERT_EQ(dead_letters, 2u) << "the fixture's training dead-letters its two bad events";
  auto report = training::RunReprocessJob(Client(), Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // The bad events are counted, not dead-lettered a second time.
  ASSERT_TRUE(report->replay.has_value());
  EXPECT_EQ(report->replay->dead_lettered, 2u);
  EXPECT_EQ(TopicSize("titanic-events-dlq"), dead_letters);
  EXPECT_EQ(report->new_model.version, 2);
  EXPECT_EQ(report->new_model.feature_set, "titanic-v2");
  ASSERT_TRUE(report->old_model.has_value());
  EXPECT_EQ(report->old_model->version, 1);
  EXPECT_EQ(report->history, kEvents);
  EXPECT_EQ(report->written, kEvents);
  EXPECT_FALSE(report->promoted);

  const auto predictions = ReadPredictions("titanic-predictions.titanic-v2");
  ASSERT_EQ(predictions.size(), kEvents);
  ExpectOnePredictionPerEvent(predictions);

  // Each prediction is what v2 itself says; the change counts are v1 -> v2
  // over the same events, recomputed here from the output topic.
  auto v2 = inference::ModelRegistry::Open(models_dir()).value()->Load(2).value();
  const auto events = ValidEvents();
  uint64_t survived = 0, unchanged = 0, up = 0, down = 0;
  for (const auto& p : predictions) {
    const auto& event = events.at({p.partition, p.offset});
    std::vector<float> fresh, old;
    ASSERT_TRUE(v2->Score({&event, 1}, &fresh).ok());
    ASSERT_TRUE(model_->Score({&event, 1}, &old).ok());
    EXPECT_EQ(static_cast<float>(p.probability), fresh[0]);
    EXPECT_EQ(p.survived, fresh[0] >= 0.5f);
    EXPECT_EQ(p.model_version, 2);
    EXPECT_EQ(p.feature_set, "titanic-v2");
    survived += p.survived;
    const bool was = old[0] >= 0.5f;
    if (was == p.survived) {
      ++unchanged;
    } else if (p.survived) {
      ++up;
    } else {
      ++down;
    }
  }
  EXPECT_EQ(report->new_model.predicted_survived, survived);
  EXPECT_EQ(report->unchanged, unchanged);
  EXPECT_EQ(report->became_survived, up);
  EXPECT_EQ(report->became_not_survived, down);
  EXPECT_GT(up + down, 0u) << "v1 and v2 should disagree somewhere on 3000 passengers";
  // Both models evaluated on the same validation rows.
  EXPECT_EQ(report->new_model.evaluation.rows, report->old_model->evaluation.rows);
  EXPECT_GT(report->new_model.evaluation.rows, 0u);
  EXPECT_FALSE(report->new_model.feature_importance.empty());

  // Nothing live changed.
  EXPECT_EQ(inference::ModelRegistry::Open(models_dir()).value()->Current().value(), 1);
  EXPECT_EQ(TopicSize("titanic-models"), 0u);
}

TEST_F(ReprocessTest, RerunIsDeterministicAndWritesNothingTwice) {
  auto first = training::RunReprocessJob(Client(), Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto again = training::RunReprocessJob(Client(), Options());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->new_model.version, first->new_model.version);
  EXPECT_TRUE(again->reused_version);
  EXPECT_TRUE(again->output_was_complete);
  EXPECT_EQ(again->written, 0u);
  EXPECT_EQ(again->became_survived, first->became_survived);
  EXPECT_EQ(again->became_not_survived, first->became_not_survived);
  EXPECT_EQ(TopicSize("titanic-predictions.titanic-v2"), kEvents);
  EXPECT_EQ(inference::ModelRegistry::Open(models_dir()).value()->Versions().value(),
            (std::vector<int>{1, 2}));

  // An independent run (own state, own output topic) writes the same bytes.
  auto other_options = Options("b");
  other_options.output_topic = "titanic-predictions.other";
  auto other = training::RunReprocessJob(Client(), other_options);
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(other->new_model.version, 2) << "the identical booster is reused";
  auto values = [&](const std::string& topic) {
    std::map<std::pair<int32_t, int64_t>, std::string> by_source;
    for (const auto& r : ReadTopic(topic, kEvents)) by_source[{r.partition, r.offset}] = *r.value;
    return by_source;
  };
  EXPECT_EQ(values("titanic-predictions.titanic-v2"), values("titanic-predictions.other"));
}

TEST_F(ReprocessTest, KilledDuringRescoreResumesWithoutDuplicatedOutput) {
  // A 10-record producer queue slows the re-score enough to kill it midway.
  const std::vector<std::string> argv = {testing::KappaBinary(),
                                         "reprocess",
                                         "-b",
                                         bootstrap(),
                                         "-f",
                                         "titanic-v2",
                                         "--state-dir",
                                         dir_.File("reprocess-kill"),
                                         "--models-dir",
                                         models_dir(),
                                         "--rounds",
                                         "40",
                                         "-X",
                                         "queue.buffering.max.messages=10"};
  {
    testing::BackgroundProcess first(argv, dir_.File("first"));
    ASSERT_TRUE(
        testing::Eventually([&] { return TopicSize("titanic-predictions.titanic-v2") >= 300; },
                            std::chrono::seconds(60)));
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(10));
  }
  const size_t before = TopicSize("titanic-predictions.titanic-v2");
  ASSERT_LT(before, kEvents) << "killed too late to test a resume";

  auto resumed = testing::RunProcess(argv, "", std::chrono::seconds(120));
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("resumed an interrupted run (phase rescore)"), std::string::npos)
      << resumed.out;
  EXPECT_NE(resumed.out.find("resumed_after=" + std::to_string(before)), std::string::npos)
      << resumed.out;
  EXPECT_NE(resumed.out.find("written=" + std::to_string(kEvents - before)), std::string::npos)
      << resumed.out;
  const auto predictions = ReadPredictions("titanic-predictions.titanic-v2");
  ASSERT_EQ(predictions.size(), kEvents);
  ExpectOnePredictionPerEvent(predictions);
}

TEST_F(ReprocessTest, PromoteSwitchesRunningInferToTheNewFeatureSet) {
  testing::BackgroundProcess infer(InferArgs("reprocess-live"), dir_.File("infer"));
  // v1 scores the history live.
  const size_t v1_alerts = ExpectedAlerts().size();
  ASSERT_TRUE(testing::Eventually([&] { return TopicSize("titanic-alerts") >= v1_alerts; },
                                  std::chrono::seconds(60)));

  // Live alerts keep flowing during the reprocess: at its first progress
  // report in replay and in re-score (the job is mid-flight, its state and
  // producer open), new passengers are sent and must all be alerted by the
  // running instance before the reprocess goes on.
  auto live_producer = MakeProducer();
  std::set<training::ReprocessProgress::Phase> alerted_during;
  int64_t next_id = 400000;
  const auto live_traffic = [&](const training::ReprocessProgress& p) {
    if (alerted_during.contains(p.phase)) return;
    auto source = stream::MakeGeneratorSource({.seed = 5, .first_id = next_id});
    next_id += 100000;
    ASSERT_EQ(stream::PublishPassengers(live_producer.get(), source.get(),
                                        {.rate = 0, .count = 300}, [] { return false; })
                  .acknowledged,
              300u);
    const size_t expected = ExpectedAlerts().size();
    ASSERT_GT(expected, v1_alerts);
    ASSERT_TRUE(testing::Eventually([&] { return TopicSize("titanic-alerts") >= expected; },
                                    std::chrono::seconds(60)))
        << "live alerts stopped while the reprocess ran";
    alerted_during.insert(p.phase);
  };
  auto options = Options();
  options.promote = true;
  auto report = training::RunReprocessJob(Client(), options, live_traffic);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(alerted_during.size(), 2u) << "both phases saw live alerts";
  EXPECT_EQ(report->history, kEvents) << "events sent during the replay are not history";
  EXPECT_TRUE(report->promoted);
  EXPECT_EQ(inference::ModelRegistry::Open(models_dir()).value()->Current().value(), 2);

  // New passengers, scored by the running instance after its hot reload.
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 77, .first_id = 500000});
  constexpr uint64_t kMore = 500;
  simdjson::dom::parser parser;
  // Keep sending until one of the new passengers' alerts is v2's: the
  // running instance reloads between batches, after its watcher's poll.
  std::vector<std::pair<int64_t, std::string>> fresh;  // model_version, feature_set
  const auto v2_alerted = [&] {
    EXPECT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = kMore},
                                        [] { return false; })
                  .acknowledged,
              kMore);
    fresh.clear();
    for (const auto& a : ReadTopic("titanic-alerts", TopicSize("titanic-alerts"))) {
      simdjson::dom::element doc = parser.parse(*a.value);
      if (doc["PassengerId"].get_int64().value() < 500000) continue;
      fresh.emplace_back(doc["model_version"].get_int64().value(),
                         std::string(doc["feature_set"].get_string().value()));
    }
    for (const auto& [version, set] : fresh) {
      if (version == 2) return true;
    }
    return false;
  };
  ASSERT_TRUE(testing::Eventually(v2_alerted, std::chrono::seconds(60)));
  for (const auto& [version, set] : fresh) {
    ASSERT_TRUE(version == 1 || version == 2) << version;
    EXPECT_EQ(set, version == 2 ? "titanic-v2" : "titanic-v1");
  }
  EXPECT_FALSE(infer.Wait(std::chrono::seconds(0)).has_value()) << "infer kept running";
}

TEST_F(ReprocessTest, RefusesAnOutputTopicWithFewerPartitions) {
  ASSERT_TRUE(broker_->CreateTopic("narrow", 1).ok());
  auto options = Options();
  options.output_topic = "narrow";
  auto report = training::RunReprocessJob(Client(), options);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(report.status().message().find("has 1 partitions"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(TopicSize("narrow"), 0u);
  EXPECT_FALSE(std::filesystem::exists(options.state_dir))
      << "refused before the replay, not after it";
}

TEST_F(ReprocessTest, UnknownFeatureSetIsAUsageErrorNamingTheKnownOnes) {
  auto r = testing::RunProcess({testing::KappaBinary(), "reprocess", "-b", bootstrap(), "-f",
                                "titanic-v9", "--models-dir", models_dir()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("titanic-v1, titanic-v2"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace kappa
