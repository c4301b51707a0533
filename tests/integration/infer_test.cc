// `kappa infer` (LiveScorer) on the embedded broker: alerts are exactly the
// model's own survived=1 predictions, bad events reach the DLQ, offsets are
// committed to the end, and the seed's metrics count what happened.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "inference/live_scorer.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "monitoring/metrics_server.h"
#include "stream/dead_letter.h"
#include "stream/event_codec.h"
#include "stream/passenger_generator.h"
#include "stream/passenger_publisher.h"
#include "tests/support/http.h"
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

// One way to break an event, what the DLQ must say about it: its kind and a
// piece of the reason that names what is wrong.
struct Malformation {
  std::string name;
  std::function<std::optional<std::string>(const std::string& good)> value;
  std::string kind;
  std::string reason;
};

// Where `"field":value` is in `json` (EncodeEvent's output): [begin, end).
std::pair<size_t, size_t> FieldSpan(const std::string& json, const std::string& field) {
  const size_t begin = json.find("\"" + field + "\":");
  size_t end = begin + field.size() + 3;
  if (json[end] == '"') {
    for (++end; json[end] != '"'; ++end) {
      if (json[end] == '\\') ++end;
    }
    ++end;
  } else {
    end = json.find_first_of(",}", end);
  }
  return {begin, end};
}

std::vector<Malformation> Malformations() {
  // The event with `field`'s value replaced by `raw`.
  const auto with = [](std::string field, std::string raw) {
    return [field, raw](const std::string& good) -> std::optional<std::string> {
      const auto [begin, end] = FieldSpan(good, field);
      return good.substr(0, begin) + "\"" + field + "\":" + raw + good.substr(end);
    };
  };
  // The event without `field` (never the last one).
  const auto without = [](std::string field) {
    return [field](const std::string& good) -> std::optional<std::string> {
      const auto [begin, end] = FieldSpan(good, field);
      return good.substr(0, begin) + good.substr(end + 1);  // and its comma
    };
  };
  return {
      {"not JSON", [](const std::string&) { return std::string("passenger 42 survived?"); },
       "not_json", "not valid JSON"},
      {"truncated JSON", [](const std::string& g) { return g.substr(0, g.size() / 2); }, "not_json",
       "not valid JSON"},
      {"PassengerId as a string", with("PassengerId", "\"12\""), "wrong_type", "PassengerId"},
      {"Age as a string", with("Age", "\"old\""), "wrong_type", "Age"},
      {"Pclass 9", with("Pclass", "9"), "out_of_range", "Pclass"},
      {"Age 500", with("Age", "500"), "out_of_range", "Age"},
      {"negative Fare", with("Fare", "-3.5"), "out_of_range", "Fare"},
      {"Fare too large for a double", with("Fare", "1e400"), "out_of_range", "Fare"},
      {"PassengerId overflows", with("PassengerId", "99999999999999999999999"), "out_of_range",
       "PassengerId"},
      {"no Sex", without("Sex"), "missing_field", "Sex"},
      {"no PassengerId", without("PassengerId"), "missing_field", "PassengerId"},
      {"huge Name", with("Name", "\"" + std::string(20000, 'x') + "\""), "oversize", "16384"},
      {"invalid UTF-8", with("Name", "\"Jos\xe9 \xff\""), "invalid_utf8", "UTF-8"},
      {"empty value", [](const std::string&) { return std::string(); }, "empty", "empty"},
      {"tombstone", [](const std::string&) { return std::optional<std::string>(); }, "null_value",
       "tombstone"},
      {"an array", [](const std::string& g) { return "[" + g + "]"; }, "not_object", "array"},
      {"duplicated Pclass", [](const std::string& g) { return "{\"Pclass\":1," + g.substr(1); },
       "duplicate_field", "Pclass"},
      {"Survived 2", with("Survived", "2"), "out_of_range", "Survived"},
      {"Embarked X", with("Embarked", "\"X\""), "out_of_range", "Embarked"},
      {"deeply nested extra field",
       [](const std::string& g) {
         return "{\"extra\":" + std::string(500, '[') + std::string(500, ']') + "," + g.substr(1);
       },
       "not_json", "DEPTH"},
  };
}

// The hostile stream: while `kappa infer` runs, a stream where every
// 10th record is malformed in a different way. Every bad record lands in
// the DLQ once, with its bytes, its kind, a reason naming what is wrong and
// where it came from; every good one is scored exactly as the model says;
// the counters agree; and the process keeps running and scoring.
TEST_F(InferTest, TenPercentMalformedLiveStreamIsDeadLetteredAndTheRestScored) {
  const int port = testing::FreeLoopbackPort();
  testing::BackgroundProcess infer(
      InferArgs("hostile", {"--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1"}),
      dir_.File("infer"));
  const auto scrape = [&] {
    return testing::ParseExposition(testing::HttpGet(port, "/metrics").body);
  };
  // The backlog of the fixture (kEvents good, 2 bad) first.
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto m = scrape();
        return m["transactions_processed_total"] == static_cast<double>(kEvents) &&
               m["kappa_dead_lettered_total"] == 2;
      },
      std::chrono::seconds(60)))
      << infer.Stderr();

  // kMixed records, produced in bursts while infer scores: every 10th is
  // bad (key "bad-<n>"); good ones are keyed by PassengerId, except a few
  // with keys that are not (the key only partitions; the value is the event).
  constexpr int kMixed = 4000;
  constexpr int64_t kFirstId = 200000;
  const auto malformations = Malformations();
  std::map<std::string, const Malformation*> bad_by_key;
  std::map<std::string, std::optional<std::string>> bad_values;
  stream::PassengerGenerator generator({.seed = 77, .first_id = kFirstId});
  auto producer = MakeProducer();
  size_t good = 0;
  for (int i = 0; i < kMixed; ++i) {
    stream::PassengerEvent e;
    generator.Next(&e);
    std::string json;
    stream::EncodeEvent(e, &json);
    if (i % 10 == 9) {
      const Malformation& m = malformations[(i / 10) % malformations.size()];
      const std::string key = "bad-" + std::to_string(i);
      const auto value = m.value(json);
      bad_by_key[key] = &m;
      bad_values[key] = value;
      ASSERT_TRUE(producer
                      ->Send("titanic-events", key,
                             value ? std::optional<std::string_view>(*value) : std::nullopt)
                      .ok());
    } else {
      const std::string key = i % 97 == 0   ? "passenger-" + std::to_string(e.passenger_id)
                              : i % 89 == 0 ? std::string()
                                            : std::to_string(e.passenger_id);
      ASSERT_TRUE(producer->Send("titanic-events", key, std::string_view(json)).ok());
      ++good;
    }
    if (i % 500 == 499) {  // in bursts, while infer scores the previous ones
      ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
    }
  }
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  const size_t bad = bad_by_key.size();
  ASSERT_EQ(bad, static_cast<size_t>(kMixed / 10));

  std::map<std::string, double> m;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        m = scrape();
        return m["transactions_processed_total"] == static_cast<double>(kEvents + good) &&
               m["kappa_dead_lettered_total"] == static_cast<double>(2 + bad);
      },
      std::chrono::seconds(60)))
      << "processed " << m["transactions_processed_total"] << ", dead-lettered "
      << m["kappa_dead_lettered_total"] << "\n"
      << infer.Stderr();
  ASSERT_FALSE(infer.Wait(std::chrono::seconds(0)).has_value()) << "still running";

  // Where each bad record was stored.
  std::map<std::string, testing::Record> sources;
  for (auto& r : ReadTopic("titanic-events", TopicSize("titanic-events"))) {
    if (r.key.rfind("bad-", 0) == 0) sources[r.key] = std::move(r);
  }
  ASSERT_EQ(sources.size(), bad);

  // The DLQ: the fixture's training replay and infer each sent the 2 bad
  // events of the fixture, then infer the new ones, each once.
  const auto dlq = ReadTopic("titanic-events-dlq", 4 + bad);
  ASSERT_EQ(dlq.size(), 4 + bad);
  std::set<std::string> seen;
  for (const auto& d : dlq) {
    if (d.key.rfind("bad-", 0) != 0) continue;
    SCOPED_TRACE(d.key);
    ASSERT_TRUE(seen.insert(d.key).second) << "dead-lettered twice";
    const Malformation& expected = *bad_by_key.at(d.key);
    const testing::Record& source = sources.at(d.key);
    SCOPED_TRACE(expected.name);
    EXPECT_EQ(d.value, bad_values.at(d.key)) << "the original bytes, unchanged";
    EXPECT_EQ(d.Header(stream::kHeaderErrorKind), expected.kind);
    const auto reason = d.Header(stream::kHeaderErrorReason).value_or("");
    EXPECT_NE(reason.find(expected.reason), std::string::npos) << reason;
    EXPECT_EQ(reason.find('\n'), std::string::npos) << "one line: " << reason;
    EXPECT_LE(reason.size(), 300u) << "a reason, not a copy of the record";
    EXPECT_EQ(d.Header(stream::kHeaderSourceTopic), "titanic-events");
    EXPECT_EQ(d.Header(stream::kHeaderSourcePartition), std::to_string(source.partition));
    EXPECT_EQ(d.Header(stream::kHeaderSourceOffset), std::to_string(source.offset));
    EXPECT_EQ(d.Header(stream::kHeaderStage), "infer");
  }
  EXPECT_EQ(seen.size(), bad);

  // Alerts: exactly the model's survived=1 predictions over the good events,
  // one each, keyed by PassengerId whatever the record's key was.
  const std::map<int64_t, float> expected = ExpectedAlerts();
  const auto alerts = ReadTopic("titanic-alerts", expected.size());
  ASSERT_EQ(alerts.size(), expected.size());
  simdjson::dom::parser parser;
  std::set<int64_t> alerted;
  size_t new_alerts = 0;
  for (const auto& a : alerts) {
    simdjson::dom::element doc = parser.parse(*a.value);
    const int64_t id = doc["PassengerId"].get_int64();
    EXPECT_EQ(a.key, std::to_string(id));
    EXPECT_TRUE(alerted.insert(id).second) << "one alert per passenger: " << id;
    ASSERT_EQ(expected.count(id), 1u) << "alert the model does not give: " << id;
    EXPECT_FLOAT_EQ(static_cast<float>(doc["probability"].get_double().value()), expected.at(id));
    if (id >= kFirstId) ++new_alerts;
  }
  EXPECT_GT(new_alerts, 100u);
  m = scrape();
  EXPECT_EQ(m["survived_detected_total"], static_cast<double>(expected.size()));
  EXPECT_EQ(m["kappa_model_version"], 1.0);

  // Still running, and a further good event is scored: one the model flags.
  stream::PassengerEvent next;
  std::vector<float> p;
  do {
    generator.Next(&next);
    ASSERT_TRUE(model_->Score({&next, 1}, &p).ok());
  } while (p[0] < 0.5f);
  std::string json;
  stream::EncodeEvent(next, &json);
  ASSERT_TRUE(
      producer->Send("titanic-events", std::to_string(next.passenger_id), std::string_view(json))
          .ok());
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  ASSERT_TRUE(testing::Eventually(
      [&] {
        return scrape()["survived_detected_total"] == static_cast<double>(expected.size() + 1);
      },
      std::chrono::seconds(30)))
      << infer.Stderr();
  const auto last = ReadTopic("titanic-alerts", expected.size() + 1);
  ASSERT_EQ(last.size(), expected.size() + 1);
  EXPECT_EQ(std::count_if(last.begin(), last.end(),
                          [&](const testing::Record& a) {
                            return a.key == std::to_string(next.passenger_id);
                          }),
            1);

  infer.Signal(SIGTERM);
  ASSERT_EQ(infer.Wait(std::chrono::seconds(30)), 0) << infer.Stderr();
  EXPECT_NE(infer.Stdout().find("dead_lettered=" + std::to_string(2 + bad)), std::string::npos)
      << infer.Stdout();
  EXPECT_EQ(infer.Stderr().find("terminate called"), std::string::npos);
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
  // Damaged records announced current: cut short, empty, noise, no value
  // at all. Each is
  // refused and counted; the watcher keeps following the topic.
  {
    const std::string whole = inference::EncodeModelMessage(manifest, model_->booster_bytes());
    auto producer = MakeProducer();
    const std::array<stream::Header, 2> headers = {
        {{inference::kHeaderModelVersion, "1"}, {inference::kHeaderModelCurrent, "true"}}};
    const std::vector<std::optional<std::string>> damaged = {
        whole.substr(0, whole.size() / 2), whole.substr(0, 10), std::string(),
        std::string(5000, '\x07'), std::nullopt};
    for (size_t i = 0; i < damaged.size(); ++i) {
      const auto value = damaged[i] ? std::optional<std::string_view>(*damaged[i]) : std::nullopt;
      ASSERT_TRUE(producer->Send("titanic-models", "titanic", value, headers).ok());
      ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
      ASSERT_TRUE(testing::Eventually(
          [&] {
            auto r = watcher->PollNewCurrent(std::chrono::milliseconds(100), "");
            EXPECT_TRUE(r.ok());
            EXPECT_TRUE(!r.ok() || *r == nullptr) << "damaged record " << i << " accepted";
            return watcher->refused() >= 2 + i;
          },
          std::chrono::seconds(20)))
          << "damaged record " << i;
    }
  }
  EXPECT_EQ(watcher->refused(), 6u);
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
  EXPECT_EQ(watcher->refused(), 6u);
  // ...and not again to an instance that already serves it.
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, model_->booster_bytes(),
                                      "promoted", true, nullptr)
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto again = watcher->PollNewCurrent(std::chrono::milliseconds(500), manifest.booster_sha256);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, nullptr);
}

// A current version damaged on disk (here: its booster cut short) is not
// served: `kappa infer` refuses to start, exit 1 with the reason, before it
// writes a single alert. (While infer runs it reads versions only from the
// models topic, where damage is refused and the serving model kept: the
// watcher tests above.)
TEST_F(InferTest, ACurrentVersionDamagedOnDiskIsRefusedAtStart) {
  const std::string booster = models_dir() + "/v0001/model.ubj";
  std::filesystem::resize_file(booster, std::filesystem::file_size(booster) / 2);
  const auto r =
      testing::RunProcess(InferArgs("damaged", {"--until-end"}), "", std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  ASSERT_FALSE(r.err.empty());
  std::string last = r.err.substr(0, r.err.size() - 1);
  last = last.substr(last.rfind('\n') + 1);
  EXPECT_NE(last.find("model v1"), std::string::npos) << last;
  EXPECT_NE(last.find("sha256"), std::string::npos) << last;
  EXPECT_EQ(TopicSize("titanic-alerts"), 0u);
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
