// `kappa infer` (LiveScorer) on the embedded broker: alerts are exactly the
// model's own survived=1 predictions, bad events reach the DLQ, offsets are
// committed to the end, and the seed's metrics count what happened.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "inference/live_scorer.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "monitoring/metrics_server.h"
#include "stream/event_codec.h"
#include "stream/passenger_publisher.h"
#include "tests/support/scoring_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "training/train_job.h"

namespace kappa {
namespace {

using InferTest = testing::ScoringTest;

TEST_F(InferTest, AlertsAreExactlyTheModelsSurvivedPredictions) {
  // What the model itself says about every event in the topic.
  std::map<int64_t, float> expected = ExpectedAlerts();
  ASSERT_GT(expected.size(), 100u);
  ASSERT_LT(expected.size(), kEvents);

  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  inference::LiveScorer scorer(
      Client(), {.group_id = "infer-test", .scoring_threads = 2, .until_end = true}, &metrics);
  auto summary = scorer.Run(std::move(model_), nullptr, [] { return false; });
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

  // Both jobs dead-letter what they cannot read: the training replay in
  // SetUp and this run each sent the 2 bad events.
  const auto dlq = ReadTopic("titanic-events-dlq", 4);
  ASSERT_EQ(dlq.size(), 4u);
  // kappa.stage tells the copies apart.
  std::map<std::string, std::multiset<std::string>> stages;  // source offset -> stages
  for (const auto& d : dlq) {
    stages[d.Header("kappa.source.offset").value_or("?")].insert(
        d.Header("kappa.stage").value_or("?"));
  }
  ASSERT_EQ(stages.size(), 2u);
  for (const auto& [offset, s] : stages) {
    EXPECT_EQ(s, (std::multiset<std::string>{"infer", "replay"})) << "offset " << offset;
  }
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

// kappa_consumer_lag per partition, as Prometheus would scrape it.
std::map<std::string, double> ConsumerLag(prometheus::Registry& registry) {
  std::map<std::string, double> lag;
  for (const auto& family : registry.Collect()) {
    if (family.name != "kappa_consumer_lag") continue;
    for (const auto& metric : family.metric) {
      std::string partition;
      for (const auto& label : metric.label) {
        if (label.name == "partition") partition = label.value;
      }
      lag[partition] = metric.gauge.value;
    }
  }
  return lag;
}

TEST_F(InferTest, ConsumerLagPerPartitionFallsToZeroAsTheGroupCatchesUp) {
  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  // A slow broker and small batches: the catch-up takes a few seconds.
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(10)).ok());
  inference::LiveScorer scorer(Client(),
                               {.group_id = "lag-test",
                                .max_batch = 100,
                                .statistics_interval = std::chrono::milliseconds(100)},
                               &metrics);
  std::atomic<bool> stop{false};
  Result<inference::ScoringSummary> summary = Status::Internal("not run");
  std::thread runner(
      [&] { summary = scorer.Run(std::move(model_), nullptr, [&] { return stop.load(); }); });
  double most_behind = 0;
  const bool caught_up = testing::Eventually(
      [&] {
        const auto lag = ConsumerLag(server->registry());
        double total = 0;
        for (const auto& [partition, value] : lag) total += value;
        most_behind = std::max(most_behind, total);
        return metrics.processed.Value() >= kEvents && lag.size() == 3 && total == 0;
      },
      std::chrono::seconds(60));
  stop = true;
  runner.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(caught_up) << "lag per partition: "
                         << ::testing::PrintToString(ConsumerLag(server->registry()));
  EXPECT_GT(most_behind, 0) << "the lag was seen while catching up";
  EXPECT_LE(most_behind, static_cast<double>(kEvents + 2));
}

TEST_F(InferTest, KilledInferLosesNoAlertAfterRestart) {
  // Which passengers deserve an alert, by the model itself.
  std::set<int64_t> expected;
  for (const auto& [id, p] : ExpectedAlerts()) expected.insert(id);

  // A slow broker (30 ms per response) and small batches keep the first run
  // busy long enough to be killed in the middle.
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(30)).ok());
  const auto infer = InferArgs("crash-test", {"--batch-size", "50"});
  {
    testing::BackgroundProcess first(infer, dir_.File("infer-1"));
    ASSERT_TRUE(testing::Eventually(
        [&] {
          auto consumer = stream::Consumer::Create({.client = Client()});
          auto w = (*consumer)->QueryWatermarks("titanic-alerts", 0, std::chrono::seconds(5));
          return w.ok() && w->high > 20;  // some alerts are out
        },
        std::chrono::seconds(60)))
        << first.Stderr();
    first.Signal(SIGKILL);
    ASSERT_EQ(first.Wait(std::chrono::seconds(20)), 128 + SIGKILL);
  }
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(0)).ok());
  std::vector<std::string> resume = infer;
  resume.push_back("--until-end");
  const auto second = testing::RunProcess(resume, "", std::chrono::seconds(120));
  ASSERT_EQ(second.exit_code, 0) << second.err;

  // Every passenger the model flags has an alert; duplicates are allowed
  // (at-least-once), alerts for anyone else are not.
  std::set<int64_t> alerted;
  simdjson::dom::parser parser;
  const size_t total = TopicSize("titanic-alerts");
  for (const auto& a : ReadTopic("titanic-alerts", total)) {
    simdjson::dom::element doc = parser.parse(*a.value);
    alerted.insert(doc["PassengerId"].get_int64().value());
  }
  EXPECT_EQ(alerted, expected) << "no alert lost, none invented";
  EXPECT_GE(total, expected.size());
}

TEST_F(InferTest, WatcherRefusesATamperedAnnouncementAndFollowsAGoodOne) {
  auto watcher = inference::ModelWatcher::Start(Client(), "titanic-models", std::nullopt).value();
  const auto& manifest = model_->manifest();
  std::string tampered = model_->booster_bytes();
  tampered[tampered.size() / 2] ^= 0x5a;  // the manifest's sha256 no longer matches
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, tampered, "promoted",
                                      true, nullptr)
                  .ok());
  std::unique_ptr<inference::Model> got;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto r = watcher->PollNewCurrent(std::chrono::milliseconds(100), "");
        EXPECT_TRUE(r.ok());
        return watcher->refused() > 0;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(watcher->refused(), 1u);
  // An announcement that is not current changes nothing.
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, model_->booster_bytes(),
                                      "published", false, nullptr)
                  .ok());
  // The genuine artifact, announced current, is handed out verified...
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, model_->booster_bytes(),
                                      "promoted", true, nullptr)
                  .ok());
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto r = watcher->PollNewCurrent(std::chrono::milliseconds(100), "");
        if (r.ok() && *r) got = std::move(r).value();
        return got != nullptr;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(got->version(), 1);
  EXPECT_EQ(watcher->refused(), 1u);
  // ...and not again to an instance that already serves it.
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, model_->booster_bytes(),
                                      "promoted", true, nullptr)
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto again = watcher->PollNewCurrent(std::chrono::milliseconds(500), manifest.booster_sha256);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, nullptr);
}

TEST_F(InferTest, HotReloadSwitchesVersionsBetweenBatchesWithoutSkippingOrRescoring) {
  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  auto watcher = inference::ModelWatcher::Start(Client(), "titanic-models", std::nullopt);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  inference::LiveScorer scorer(Client(), {.group_id = "reload-test", .max_batch = 200}, &metrics);
  std::atomic<bool> stop{false};
  Result<inference::ScoringSummary> summary = Status::Internal("not run");
  std::thread runner([&] {
    summary = scorer.Run(std::move(model_), watcher->get(), [&] { return stop.load(); });
  });
  ASSERT_TRUE(testing::Eventually([&] { return metrics.processed.Value() >= kEvents; },
                                  std::chrono::seconds(60)));

  // Train v2 (another feature set) and announce it as current, mid-stream.
  training::TrainJobOptions train;
  train.state_dir = dir_.File("state");
  train.models_dir = models_dir();
  train.feature_set = "titanic-v2";
  train.fit.max_rounds = 40;
  auto v2 = training::RunTrainJob(Client(), train);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  ASSERT_EQ(v2->manifest.version, 2);
  // The scorer polls the models topic between batches, also while idle.
  ASSERT_TRUE(
      testing::Eventually([&] { return metrics.reloads.Value() >= 1; }, std::chrono::seconds(60)));
  constexpr uint64_t kMore = 1000;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 22, .first_id = 100000});
  ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = kMore},
                                      [] { return false; })
                .acknowledged,
            kMore);
  ASSERT_TRUE(testing::Eventually(
      [&] { return metrics.processed.Value() >= kEvents + kMore && metrics.reloads.Value() >= 1; },
      std::chrono::seconds(60)));
  stop = true;
  runner.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->scored, kEvents + kMore) << "every event scored exactly once";
  EXPECT_EQ(summary->reloads, 1u);
  EXPECT_EQ(metrics.model_version.Value(), 2.0);

  // Each alert carries exactly what the version it names predicts.
  auto registry = inference::ModelRegistry::Open(models_dir()).value();
  std::map<int, std::unique_ptr<inference::Model>> models;
  models[1] = registry->Load(1).value();
  models[2] = registry->Load(2).value();
  std::map<int64_t, stream::PassengerEvent> events;
  stream::EventDecoder decoder;
  for (const auto& r : ReadTopic("titanic-events", kEvents + kMore + 2)) {
    stream::PassengerEvent e;
    if (!decoder.Decode(r.value, &e)) events[e.passenger_id] = e;
  }
  ASSERT_EQ(events.size(), kEvents + kMore);
  const auto alerts = ReadTopic("titanic-alerts", summary->alerts);
  ASSERT_EQ(alerts.size(), summary->alerts);
  simdjson::dom::parser parser;
  std::set<int64_t> ids;
  std::map<int64_t, std::pair<int64_t, int64_t>> last_by_partition;  // offset, version
  std::map<int64_t, int> count_by_version;
  for (const auto& a : alerts) {
    simdjson::dom::element doc = parser.parse(*a.value);
    const int64_t id = doc["PassengerId"].get_int64();
    const int64_t version = doc["model_version"].get_int64();
    const int64_t partition = doc["partition"].get_int64();
    const int64_t offset = doc["offset"].get_int64();
    EXPECT_TRUE(ids.insert(id).second) << "scored twice: " << id;
    ASSERT_TRUE(version == 1 || version == 2) << version;
    ++count_by_version[static_cast<int>(version)];
    std::vector<float> p;
    ASSERT_TRUE(models[static_cast<int>(version)]->Score({&events.at(id), 1}, &p).ok());
    EXPECT_FLOAT_EQ(static_cast<float>(doc["probability"].get_double().value()), p[0]);
    EXPECT_EQ(std::string_view(doc["feature_set"].get_string().value()),
              version == 1 ? "titanic-v1" : "titanic-v2");
    // Events before the switch are scored by v1, events produced after it by v2.
    EXPECT_EQ(version, id >= 100000 ? 2 : 1) << "passenger " << id;
    auto& last = last_by_partition[partition];
    if (offset > last.first) {
      EXPECT_GE(version, last.second) << "no step back to v1 after v2 in partition " << partition;
      last = {offset, version};
    }
  }
  EXPECT_GT(count_by_version[1], 0);
  EXPECT_GT(count_by_version[2], 0);
}

}  // namespace
}  // namespace kappa
