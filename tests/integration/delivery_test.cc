// Delivery guarantees of `kappa infer` on the embedded broker: exactly-once
// across a kill -9 and an aborted transaction, and partitions shared by two
// instances and moved by a rebalance without losing or doubling events.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "inference/live_scorer.h"
#include "monitoring/metrics_server.h"
#include "stream/consumer.h"
#include "stream/passenger_publisher.h"
#include "tests/support/scoring_fixture.h"
#include "tests/support/subprocess.h"

namespace kappa {
namespace {

constexpr int kProduceApiKey = 0;        // Kafka protocol ApiKey of Produce
constexpr int kInvalidRecordError = 87;  // INVALID_RECORD: the request fails

class DeliveryTest : public testing::ScoringTest {
 protected:
  // PassengerId of every alert in the alerts topic, with repetitions. With
  // `committed_only`, only alerts of committed transactions count: the
  // embedded broker has no transaction isolation (see the first test), so a
  // transaction counts as committed when its progress records exist, which
  // is what a read_committed reader of real Kafka would see.
  std::multiset<int64_t> AlertedIds(const std::string& alerts_topic, bool committed_only) {
    std::set<std::string> committed;
    for (const auto& r : ReadTopic("titanic-infer-progress", TopicSize("titanic-infer-progress"))) {
      committed.insert(r.Header("kappa.txn").value_or(""));
    }
    std::multiset<int64_t> ids;
    simdjson::dom::parser parser;
    for (const auto& a : ReadTopic(alerts_topic, TopicSize(alerts_topic))) {
      if (committed_only && !committed.contains(a.Header("kappa.txn").value_or("-"))) continue;
      simdjson::dom::element doc = parser.parse(*a.value);
      ids.insert(doc["PassengerId"].get_int64().value());
    }
    return ids;
  }

  void Publish(const std::string& topic, uint64_t count, uint64_t first_id, double rate = 0) {
    auto producer = MakeProducer();
    auto source =
        stream::MakeGeneratorSource({.seed = first_id, .first_id = static_cast<int64_t>(first_id)});
    ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(),
                                        {.topic = topic, .rate = rate, .count = count},
                                        [] { return false; })
                  .acknowledged,
              count);
  }
};

std::set<int64_t> Keys(const std::map<int64_t, float>& m) {
  std::set<int64_t> keys;
  for (const auto& [k, v] : m) keys.insert(k);
  return keys;
}

// scored=N from a `kappa infer` summary line.
uint64_t Scored(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex(R"(scored=(\d+))")) ? std::stoull(m[1]) : 0;
}

// If this starts failing, the embedded broker gained transaction isolation:
// the tests below could then read alerts with read_committed directly.
TEST_F(DeliveryTest, EmbeddedBrokerShowsAbortedTransactionsToReadCommittedReaders) {
  ASSERT_TRUE(broker_->CreateTopic("probe", 1).ok());
  auto producer = stream::Producer::Create({.client = Client(), .transactional_id = "probe"});
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->InitTransactions(std::chrono::seconds(10)).ok());
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  ASSERT_TRUE((*producer)->Send("probe", "k", std::string_view("aborted")).ok());
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(10)).ok());
  ASSERT_TRUE((*producer)->AbortTransaction(std::chrono::seconds(10)).ok());
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(Client(), {{"isolation.level", "read_committed"}})});
  const stream::TopicPartitionOffset from{"probe", 0, stream::kOffsetBeginning};
  ASSERT_TRUE((*consumer)->Assign({&from, 1}).ok());
  std::vector<stream::Message> got;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        return (*consumer)->Poll(10, std::chrono::milliseconds(100), &got).ok() && !got.empty();
      },
      std::chrono::seconds(10)));
  EXPECT_EQ(got[0].value(), std::optional<std::string_view>("aborted"));
}

TEST_F(DeliveryTest, ExactlyOnceKilledMidStreamAndRestartedCommitsEachAlertOnce) {
  const std::set<int64_t> expected = Keys(ExpectedAlerts());
  // A slow broker (30 ms per response, several per transaction) and small
  // transactions (one batch of 50 each) keep the first run busy long enough
  // to be killed mid-stream.
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(30)).ok());
  const auto infer = InferArgs("eo-crash", {"--exactly-once", "--transactional-id", "eo-crash",
                                            "--batch-size", "50", "--commit-interval", "0"});
  std::string first_log;
  {
    testing::BackgroundProcess first(infer, dir_.File("infer-1"));
    ASSERT_TRUE(testing::Eventually([&] { return TopicSize("titanic-infer-progress") > 5; },
                                    std::chrono::seconds(60)))
        << first.Stderr();
    first.Signal(SIGKILL);
    ASSERT_EQ(first.Wait(std::chrono::seconds(20)), 128 + SIGKILL);
    first_log = first.Stderr();
  }
  const size_t alerts_at_kill = TopicSize("titanic-alerts");
  ASSERT_LT(alerts_at_kill, expected.size()) << "the kill must land mid-stream\n" << first_log;
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(0)).ok());
  auto resume = infer;
  resume.push_back("--until-end");
  const auto second = testing::RunProcess(resume, "", std::chrono::seconds(120));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  // The restart resumed from the progress records, not from the beginning.
  EXPECT_LT(Scored(second.out), kEvents);
  EXPECT_GT(Scored(second.out), 0u);

  const auto committed = AlertedIds("titanic-alerts", /*committed_only=*/true);
  EXPECT_EQ(std::set<int64_t>(committed.begin(), committed.end()), expected);
  EXPECT_EQ(committed.size(), expected.size()) << "each alert committed exactly once";
}

TEST_F(DeliveryTest, ExactlyOnceAbortsAFailedBatchAndScoresItAgain) {
  const auto expected = ExpectedAlerts();
  // The first produce request (the first batch's alerts and DLQ records)
  // fails: the transaction must abort and the batch be scored again.
  broker_->PushRequestErrors(kProduceApiKey, 1, kInvalidRecordError);
  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  inference::LiveScorer scorer(Client(),
                               {.group_id = "eo-abort",
                                .max_batch = 500,
                                .until_end = true,
                                .exactly_once = true,
                                .transactional_id = "eo-abort"},
                               &metrics);
  auto summary = scorer.Run(std::move(model_), nullptr, [] { return false; });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GE(summary->aborted, 1u);
  EXPECT_EQ(metrics.transactions_aborted.Value(), static_cast<double>(summary->aborted));
  EXPECT_EQ(summary->scored, kEvents) << "an aborted batch is not counted twice";
  EXPECT_EQ(summary->alerts, expected.size());
  const auto committed = AlertedIds("titanic-alerts", /*committed_only=*/true);
  EXPECT_EQ(std::set<int64_t>(committed.begin(), committed.end()), Keys(expected));
  EXPECT_EQ(committed.size(), expected.size());
}

// A transaction takes batches while full ones are waiting. A second member
// joins while the first transaction (an hour's commit interval, a backlog
// of full batches) is open: its partitions are revoked inside a poll, the
// transaction is aborted, and the first member scores its new share from
// the start, once.
TEST_F(DeliveryTest, ExactlyOnceTransactionsSpanBatchesAndARevokeAbortsTheOpenOne) {
  ASSERT_TRUE(broker_->CreateTopic("revoke-events", 4).ok());
  ASSERT_TRUE(broker_->CreateTopic("revoke-alerts", 4).ok());
  constexpr uint64_t kRevokeEvents = 4000;
  Publish("revoke-events", kRevokeEvents, 900000);
  const auto all_expected = ExpectedAlerts("revoke-events");
  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  inference::LiveScorer scorer(Client(),
                               {.events_topic = "revoke-events",
                                .alerts_topic = "revoke-alerts",
                                .group_id = "eo-revoke",
                                .max_batch = 10,
                                .until_end = true,
                                .commit_interval = std::chrono::hours(1),
                                .exactly_once = true,
                                .transactional_id = "eo-revoke"},
                               &metrics);
  // The second member: a plain consumer of the group that never commits.
  std::atomic<bool> done = false;
  std::thread second;
  auto should_stop = [&] {
    // Once the first member writes alerts (uncommitted: the embedded broker
    // shows them anyway), it owns every partition.
    if (!second.joinable() && TopicSize("revoke-alerts") > 0) {
      second = std::thread([&] {
        auto member =
            stream::Consumer::Create({.client = Client(), .group_id = "eo-revoke"}).value();
        ASSERT_TRUE(member->Subscribe({"revoke-events"}).ok());
        std::vector<stream::Message> batch;
        while (!done) {
          batch.clear();
          (void)member->Poll(100, std::chrono::milliseconds(100), &batch);
        }
      });
    }
    // Until the revoke's abort (the group rebalances in ~3-6 s), batches of
    // 10 every 50 ms keep the backlog (20 s of it) and the transaction open.
    if (metrics.transactions_aborted.Value() < 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  auto summary = scorer.Run(std::move(model_), nullptr, should_stop);
  done = true;
  if (second.joinable()) second.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GE(summary->aborted, 1u) << "the open transaction was aborted on revoke";
  EXPECT_EQ(metrics.transactions_aborted.Value(), static_cast<double>(summary->aborted));

  // What the first member committed, per partition: from the start to its
  // last progress record, each event once (before the rebalance it may
  // have committed partitions that then moved to the second member).
  std::map<int32_t, int64_t> progress;  // partition -> next offset
  std::set<std::string> transactions;
  for (const auto& r : ReadTopic("titanic-infer-progress", TopicSize("titanic-infer-progress"))) {
    if (r.key.rfind("revoke-events:", 0) != 0) continue;
    progress[std::stoi(r.key.substr(r.key.find(':') + 1))] = std::stoll(*r.value);
    transactions.insert(r.Header("kappa.txn").value_or(""));
  }
  uint64_t committed_events = 0;
  for (const auto& [partition, next] : progress) committed_events += static_cast<uint64_t>(next);
  EXPECT_EQ(summary->scored, committed_events) << "the aborted transaction counts nowhere";
  EXPECT_LE(transactions.size() * 10, summary->batches) << "transactions span batches";

  // Its committed alerts are exactly the model's alerts for those events.
  std::set<int64_t> expected;
  simdjson::dom::parser parser;
  for (const auto& r : ReadTopic("revoke-events", kRevokeEvents)) {
    const auto it = progress.find(r.partition);
    if (it == progress.end() || r.offset >= it->second) continue;
    const int64_t id = parser.parse(*r.value)["PassengerId"].get_int64().value();
    if (all_expected.contains(id)) expected.insert(id);
  }
  const auto committed = AlertedIds("revoke-alerts", /*committed_only=*/true);
  EXPECT_EQ(std::set<int64_t>(committed.begin(), committed.end()), expected);
  EXPECT_EQ(committed.size(), expected.size()) << "each alert committed once";
  EXPECT_EQ(summary->alerts, expected.size());
}

TEST_F(DeliveryTest, TwoInstancesSplitThePartitionsAndScoreEverythingOnce) {
  ASSERT_TRUE(broker_->CreateTopic("pair-events", 4).ok());
  const std::vector<std::string> topics = {"--topic", "pair-events", "--alerts-topic",
                                           "pair-alerts"};
  testing::BackgroundProcess a(InferArgs("pair", topics), dir_.File("infer-a"));
  testing::BackgroundProcess b(InferArgs("pair", topics), dir_.File("infer-b"));
  // Both members own partitions before any event exists, so neither can
  // score everything alone.
  const std::regex owns(R"(assigned partitions \d)");
  auto owns_some = [&](const testing::BackgroundProcess& p) {
    const std::string err = p.Stderr();
    // The last assignment counts (the first member may own all, briefly).
    const auto last = err.rfind("assigned partitions");
    return last != std::string::npos && std::regex_search(err.substr(last), owns) &&
           err.find("revoked", last) == std::string::npos;
  };
  ASSERT_TRUE(
      testing::Eventually([&] { return owns_some(a) && owns_some(b); }, std::chrono::seconds(60)))
      << a.Stderr() << b.Stderr();
  constexpr uint64_t kPairEvents = 2000;
  Publish("pair-events", kPairEvents, 500000);
  const auto expected = ExpectedAlerts("pair-events");
  ASSERT_TRUE(testing::Eventually([&] { return TopicSize("pair-alerts") >= expected.size(); },
                                  std::chrono::seconds(60)));
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  ASSERT_EQ(a.Wait(std::chrono::seconds(30)), 0) << a.Stderr();
  ASSERT_EQ(b.Wait(std::chrono::seconds(30)), 0) << b.Stderr();
  EXPECT_GT(Scored(a.Stdout()), 0u);
  EXPECT_GT(Scored(b.Stdout()), 0u);
  EXPECT_EQ(Scored(a.Stdout()) + Scored(b.Stdout()), kPairEvents);
  const auto alerted = AlertedIds("pair-alerts", /*committed_only=*/false);
  EXPECT_EQ(std::set<int64_t>(alerted.begin(), alerted.end()), Keys(expected));
  EXPECT_EQ(alerted.size(), expected.size()) << "no passenger scored twice";
}

TEST_F(DeliveryTest, ARebalanceMidStreamLosesNothingAndRescoresLittle) {
  ASSERT_TRUE(broker_->CreateTopic("moving-events", 4).ok());
  const std::vector<std::string> topics = {"--topic",       "moving-events", "--alerts-topic",
                                           "moving-alerts", "--batch-size",  "20"};
  constexpr uint64_t kMovingEvents = 3000;
  testing::BackgroundProcess a(InferArgs("moving", topics), dir_.File("infer-a"));
  ASSERT_TRUE(testing::Eventually(
      [&] { return a.Stderr().find("assigned partitions 0,1,2,3") != std::string::npos; },
      std::chrono::seconds(60)))
      << a.Stderr();
  // Events keep arriving (500/s for 6 s) while a second member joins and
  // the group moves half of the partitions to it.
  std::thread publisher([&] { Publish("moving-events", kMovingEvents, 700000, 500); });
  std::this_thread::sleep_for(std::chrono::seconds(2));
  testing::BackgroundProcess b(InferArgs("moving", topics), dir_.File("infer-b"));
  publisher.join();
  const auto expected = ExpectedAlerts("moving-events");
  ASSERT_TRUE(testing::Eventually([&] { return TopicSize("moving-alerts") >= expected.size(); },
                                  std::chrono::seconds(60)));
  // Let a late duplicate show up, should there be one.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  ASSERT_EQ(a.Wait(std::chrono::seconds(30)), 0) << a.Stderr();
  ASSERT_EQ(b.Wait(std::chrono::seconds(30)), 0) << b.Stderr();
  EXPECT_NE(a.Stderr().find("revoked"), std::string::npos) << "a rebalance happened";
  EXPECT_GT(Scored(b.Stdout()), 0u) << b.Stderr();
  // Kafka accepts a member's commits until its partitions are revoked (and
  // infer commits on revoke); the embedded broker refuses them from the
  // moment another member joins, so what was scored since the last commit
  // is scored again by the next owner. Holding (see LiveScorer) bounds that
  // to one commit interval (100 ms: ~50 events here) plus the batches in
  // flight (at most 8 of 20); measured: 50-54 in four runs. Without
  // holding, 500-2000 events were scored twice. On a loaded machine a
  // second rebalance can follow (seen once: 1104 rescored), so the bound
  // here only guards against losing control of it.
  const uint64_t scored = Scored(a.Stdout()) + Scored(b.Stdout());
  EXPECT_GE(scored, kMovingEvents) << "nothing lost";
  EXPECT_LE(scored, kMovingEvents + kMovingEvents / 2) << "a:\n"
                                                       << a.Stderr() << "b:\n"
                                                       << b.Stderr();
  const auto alerted = AlertedIds("moving-alerts", /*committed_only=*/false);
  EXPECT_EQ(std::set<int64_t>(alerted.begin(), alerted.end()), Keys(expected));
  EXPECT_LE(alerted.size(), expected.size() + expected.size() / 2);
}

}  // namespace
}  // namespace kappa
