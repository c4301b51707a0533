// `kappa infer` (the real binary) under broker faults: outages, request
// errors of every kind the group, the producer and transactions use, leader
// and coordinator moves, repeated kill -9s and a rebalance mid-transaction.
// Each test asserts on the alerts topic (and committed offsets) against the
// model's own predictions; see fault_fixture.h.
#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>

#include <random>
#include <set>
#include <thread>

#include "tests/faults/fault_fixture.h"

namespace kappa {
namespace {

using namespace std::chrono_literals;
using testing::AlertCount;
using testing::BackgroundProcess;
using testing::Eventually;
using testing::FaultRow;

class InferFaultTest : public testing::FaultTest {
 protected:
  // A slow broker (every response delayed) and small batches keep a run
  // busy for several seconds, so a fault lands in the middle of it.
  void SlowDown(std::chrono::milliseconds rtt = 20ms) {
    for (int b = 1; b <= broker_count(); ++b) ASSERT_TRUE(broker_->SetBrokerRtt(b, rtt).ok());
  }
  void FullSpeed() { SlowDown(0ms); }

  // Alerts written so far (all of them, committed or not).
  size_t AlertsSoFar() { return TopicSize("titanic-alerts"); }

  // Passengers alerted so far: at-least-once repeats some alerts, so the
  // raw count can pass the expected number before every passenger has one.
  size_t PassengersAlertedSoFar() {
    const AlertCount all = CountAlerts("titanic-alerts", /*committed_only=*/false);
    return std::set<int64_t>(all.ids.begin(), all.ids.end()).size();
  }

  // Waits until `infer` has written at least `alerts` alerts.
  void AwaitAlerts(const BackgroundProcess& infer, size_t alerts) {
    ASSERT_TRUE(Eventually([&] { return AlertsSoFar() >= alerts; }, 120s)) << infer.Stderr();
  }

  // ALO: every expected id alerted, nothing else; EO: the same in the
  // committed view, and no duplicate.
  AlertCount Check(bool exactly_once, const std::string& infer_stderr) {
    const AlertCount c = CountAlerts("titanic-alerts", exactly_once,
                                     exactly_once ? AbortedTransactions(infer_stderr)
                                                  : std::set<std::string>{});
    EXPECT_EQ(c.lost, 0u) << "every flagged passenger alerted";
    EXPECT_EQ(c.invented, 0u) << "no alert for anyone the model does not flag";
    if (exactly_once) {
      EXPECT_EQ(c.duplicated, 0u) << "exactly-once: each alert committed once";
    }
    return c;
  }

  FaultRow Row(const std::string& scenario, const AlertCount& c, double recovery,
               std::string note = "") const {
    return {scenario, kEvents, expected().size(), c.lost, c.duplicated, recovery,
            std::move(note)};
  }

  std::vector<std::string> ModeFlags(const std::string& name, bool exactly_once) const {
    if (!exactly_once) return {"--batch-size", "100"};
    return {"--exactly-once", "--transactional-id", name, "--batch-size", "500"};
  }

  // Runs `kappa infer --until-end` slowed down (group and transactional id
  // `scenario`); once it wrote some alerts, applies `fault` (which returns
  // when the fault is over), then lets it finish. Reports the row: recovery
  // is from the end of the fault until alerts flow again.
  AlertCount RunThrough(const std::string& scenario, bool exactly_once,
                        const std::function<void()>& fault,
                        std::chrono::milliseconds rtt = 20ms) {
    auto extra = ModeFlags(scenario, exactly_once);
    extra.push_back("--until-end");
    SlowDown(rtt);
    BackgroundProcess infer(InferArgs(scenario, extra), dir_.File(scenario));
    AwaitAlerts(infer, 100);
    EXPECT_LT(PassengersAlertedSoFar(), expected().size()) << "the fault must land mid-stream";
    fault();
    const auto fault_over = std::chrono::steady_clock::now();
    const size_t at_end = AlertsSoFar();
    double recovery = -1;
    if (Eventually([&] { return AlertsSoFar() > at_end; }, 240s)) recovery = Since(fault_over);
    const auto code = infer.Wait(240s);
    const double finished = Since(fault_over);
    EXPECT_EQ(code, 0) << infer.Stderr();
    FullSpeed();
    const AlertCount c = Check(exactly_once, infer.Stderr());
    Report(Row(scenario, c, recovery, fmt::format("all scored {:.1f} s after the fault", finished)));
    return c;
  }

  // Kills `kappa infer` three times at random points, restarting it each
  // time, then lets a last run finish. A random point is a random number of
  // new alerts (50-500), not a random delay: a fast machine would score
  // everything within a delay, and the kills would not land mid-stream.
  void KilledRepeatedly(const std::string& name, bool exactly_once) {
    std::random_device rd;
    const unsigned seed = rd();
    std::mt19937 random(seed);
    std::uniform_int_distribution<size_t> new_alerts(50, 500);
    std::string stderr_all;
    const auto args = InferArgs(name, ModeFlags(name, exactly_once));
    for (int kill = 1; kill <= 3; ++kill) {
      BackgroundProcess run(args, dir_.File(name + "-" + std::to_string(kill)));
      AwaitAlerts(run, AlertsSoFar() + new_alerts(random));
      run.Signal(SIGKILL);
      ASSERT_EQ(run.Wait(30s), 128 + SIGKILL);
      stderr_all += run.Stderr();
    }
    EXPECT_LT(PassengersAlertedSoFar(), expected().size()) << "the kills landed mid-stream";
    auto last = args;
    last.push_back("--until-end");
    const auto restart = std::chrono::steady_clock::now();
    const auto result = testing::RunProcess(last, "", 240s);
    const double recovery = Since(restart);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    FullSpeed();
    const AlertCount c = Check(exactly_once, stderr_all + result.err);
    Report(Row(name, c, recovery,
                     fmt::format("3 kills (seed {}); recovery = the last restart to the end", seed)));
  }
};

// --- outages ----------------------------------------------------------------

void Outage(stream::EmbeddedBroker* broker, std::chrono::seconds length) {
  ASSERT_TRUE(broker->SetBrokerDown(1).ok());
  std::this_thread::sleep_for(length);
  ASSERT_TRUE(broker->SetBrokerUp(1).ok());
}

TEST_F(InferFaultTest, BrokerDownForSecondsAtLeastOnceScoresEverything) {
  RunThrough("broker-down-alo", false, [&] { Outage(broker_.get(), 5s); });
}

TEST_F(InferFaultTest, BrokerDownForSecondsExactlyOnceCommitsEachAlertOnce) {
  RunThrough("broker-down-eo", true, [&] { Outage(broker_.get(), 5s); });
}

// --- produce errors -----------------------------------------------------------

// Retried by librdkafka: nothing for infer to see.
TEST_F(InferFaultTest, RetriableProduceErrorsLoseNothing) {
  RunThrough("produce-retriable-errors-alo", false, [&] {
    broker_->PushRequestErrors(testing::api::kProduce, 5, testing::kerr::kNotEnoughReplicas);
    broker_->PushRequestErrors(testing::api::kProduce, 3, testing::kerr::kRequestTimedOut);
  });
}

// A produce request refused for good: alerts not acknowledged. At-least-once
// must stop without committing past them; a restart scores the rest.
TEST_F(InferFaultTest, RefusedAlertsAreNeverCommittedPastAndARestartScoresThem) {
  const std::string group = "produce-errors-alo";
  SlowDown();
  BackgroundProcess first(InferArgs(group, ModeFlags(group, false)), dir_.File("first"));
  AwaitAlerts(first, 100);
  broker_->PushRequestErrors(testing::api::kProduce, 3, testing::kerr::kInvalidRecord);
  const auto fault = std::chrono::steady_clock::now();
  ASSERT_EQ(first.Wait(240s), 1) << "infer stops when alerts are not acknowledged\n"
                                 << first.Stderr();
  EXPECT_NE(first.Stderr().find("not acknowledged"), std::string::npos) << first.Stderr();
  FullSpeed();

  // Every flagged event below the committed offsets has its alert.
  const auto committed = CommittedOffsets(group, "titanic-events");
  const auto positions = EventPositions("titanic-events");
  const AlertCount so_far = CountAlerts("titanic-alerts", false);
  uint64_t below = 0;
  uint64_t missing = 0;
  for (int64_t id : expected()) {
    const auto [partition, offset] = positions.at(id);
    const auto it = committed.find(partition);
    if (it == committed.end() || offset >= it->second) continue;
    ++below;
    if (!so_far.ids.contains(id)) ++missing;
  }
  EXPECT_EQ(missing, 0u) << "an offset was committed past an unacknowledged alert";
  EXPECT_LT(below, expected().size()) << "the run stopped mid-stream";

  auto resume = InferArgs(group, ModeFlags(group, false));
  resume.push_back("--until-end");
  const auto restart = std::chrono::steady_clock::now();
  const auto second = testing::RunProcess(resume, "", 240s);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const AlertCount c = Check(false, second.err);
  Report(Row(group, c, Since(restart),
             fmt::format("stopped {:.1f} s after the errors; {} alerts below the committed "
                         "offsets, {} missing; recovery = the restart",
                         Since(fault) - Since(restart), below, missing)));
}

// Exactly-once: the batch whose alerts were refused is aborted and scored
// again; its alerts, visible on the embedded broker, are told apart by the
// transaction name infer logs.
TEST_F(InferFaultTest, RefusedAlertsAbortTheTransactionAndAreScoredAgain) {
  const std::string name = "produce-errors-eo";
  SlowDown();
  auto args = InferArgs(name, ModeFlags(name, true));
  args.push_back("--until-end");
  BackgroundProcess infer(args, dir_.File(name));
  AwaitAlerts(infer, 100);
  broker_->PushRequestErrors(testing::api::kProduce, 2, testing::kerr::kInvalidRecord);
  const auto fault = std::chrono::steady_clock::now();
  ASSERT_EQ(infer.Wait(240s), 0) << infer.Stderr();
  const double finished = Since(fault);
  FullSpeed();
  const auto aborted = AbortedTransactions(infer.Stderr());
  EXPECT_GE(aborted.size(), 1u) << "infer names the aborted transaction\n" << infer.Stderr();
  EXPECT_NE(infer.Stdout().find("aborted=" + std::to_string(aborted.size())), std::string::npos)
      << infer.Stdout();
  const AlertCount c = Check(true, infer.Stderr());
  Report(Row(name, c, finished,
             fmt::format("{} transaction(s) aborted and re-scored; recovery = to the end",
                         aborted.size())));
}

// --- kill -9 --------------------------------------------------------------------

TEST_F(InferFaultTest, KilledAndRestartedRepeatedlyAtLeastOnceLosesNothing) {
  SlowDown();
  KilledRepeatedly("kill-restart-alo", false);
}

TEST_F(InferFaultTest, KilledAndRestartedRepeatedlyExactlyOnceCommitsEachAlertOnce) {
  SlowDown();
  KilledRepeatedly("kill-restart-eo", true);
}

// --- the group ------------------------------------------------------------------

// A second instance joins while the first is in the middle of a
// transaction (with a slow broker it nearly always is): the partitions it
// takes over continue from the last committed transaction.
TEST_F(InferFaultTest, ARebalanceDuringATransactionCommitsEachAlertOnce) {
  const std::string name = "rebalance-in-txn-eo";
  SlowDown();
  auto flags_a = ModeFlags(name, true);
  auto flags_b = flags_a;
  flags_b[2] = name + "-b";  // its own transactional id
  BackgroundProcess a(InferArgs(name, flags_a), dir_.File("a"));
  AwaitAlerts(a, 100);
  BackgroundProcess b(InferArgs(name, flags_b), dir_.File("b"));
  const auto joined = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return b.Stderr().find("assigned partitions") != std::string::npos; },
                         120s))
      << b.Stderr();
  EXPECT_LT(PassengersAlertedSoFar(), expected().size()) << "the rebalance landed mid-stream";
  ASSERT_TRUE(Eventually(
      [&] {
        std::this_thread::sleep_for(1s);
        return CountAlerts("titanic-alerts", true,
                           AbortedTransactions(a.Stderr() + b.Stderr()))
                   .lost == 0;
      },
      240s));
  const double finished = Since(joined);
  a.Signal(SIGTERM);
  b.Signal(SIGTERM);
  ASSERT_EQ(a.Wait(60s), 0) << a.Stderr();
  ASSERT_EQ(b.Wait(60s), 0) << b.Stderr();
  EXPECT_NE(a.Stderr().find("revoked"), std::string::npos) << "a rebalance happened";
  FullSpeed();
  const AlertCount c = Check(true, a.Stderr() + b.Stderr());
  Report(Row(name, c, finished, "recovery = second member starts to all committed"));
}

TEST_F(InferFaultTest, OffsetCommitErrorsAreRetriedAndEverythingCommitted) {
  RunThrough("offset-commit-errors-alo", false, [&] {
    broker_->PushRequestErrors(testing::api::kOffsetCommit, 3,
                               testing::kerr::kCoordinatorNotAvailable);
    broker_->PushRequestErrors(testing::api::kOffsetCommit, 2, testing::kerr::kRequestTimedOut);
  });
  // The last commit covers every event.
  for (const auto& [partition, offset] :
       CommittedOffsets("offset-commit-errors-alo", "titanic-events")) {
    EXPECT_GT(offset, 0) << "partition " << partition;
  }
}

TEST_F(InferFaultTest, FetchErrorsAreRetried) {
  RunThrough("fetch-errors-alo", false, [&] {
    broker_->PushRequestErrors(testing::api::kFetch, 5, testing::kerr::kNotLeaderForPartition);
    broker_->PushRequestErrors(testing::api::kFetch, 3, testing::kerr::kRequestTimedOut);
  });
}

// The group cannot be found or joined at first.
TEST_F(InferFaultTest, FindCoordinatorAndJoinGroupErrorsDelayButLoseNothing) {
  const std::string name = "find-coordinator-join-errors-alo";
  broker_->PushRequestErrors(testing::api::kFindCoordinator, 4,
                             testing::kerr::kCoordinatorNotAvailable);
  broker_->PushRequestErrors(testing::api::kJoinGroup, 2,
                             testing::kerr::kCoordinatorLoadInProgress);
  auto args = InferArgs(name, ModeFlags(name, false));
  args.push_back("--until-end");
  const auto start = std::chrono::steady_clock::now();
  const auto result = testing::RunProcess(args, "", 240s);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const AlertCount c = Check(false, result.err);
  Report(Row(name, c, Since(start), "errors from the start; recovery = the whole run"));
}

// --- transactions -----------------------------------------------------------------

TEST_F(InferFaultTest, EndTxnAndAddPartitionsToTxnErrorsAbortOrRetryButCommitEachAlertOnce) {
  RunThrough("endtxn-addpartitions-errors-eo", true, [&] {
    broker_->PushRequestErrors(testing::api::kEndTxn, 2, testing::kerr::kNotCoordinator);
    broker_->PushRequestErrors(testing::api::kEndTxn, 2, testing::kerr::kConcurrentTransactions);
    broker_->PushRequestErrors(testing::api::kAddPartitionsToTxn, 1,
                               testing::kerr::kTopicAuthorizationFailed);
  });
}

TEST_F(InferFaultTest, FindCoordinatorErrorsMidTransactionCommitEachAlertOnce) {
  RunThrough("find-coordinator-errors-eo", true, [&] {
    broker_->PushRequestErrors(testing::api::kFindCoordinator, 4,
                               testing::kerr::kCoordinatorNotAvailable);
    broker_->PushRequestErrors(testing::api::kEndTxn, 1, testing::kerr::kNotCoordinator);
  });
}

// --- leader and coordinator moves (three brokers) ----------------------------------

class MovingInferFaultTest : public InferFaultTest {
 protected:
  int broker_count() const override { return 3; }
  // Every partition of the events, alerts and progress topics moves to the
  // next broker.
  void MoveLeaders() {
    for (const char* topic : {"titanic-events", "titanic-alerts", "titanic-infer-progress"}) {
      for (int32_t p = 0; p < 3; ++p) {
        ASSERT_TRUE(broker_->SetPartitionLeader(topic, p, 1 + (p + 1) % 3).ok());
      }
    }
  }
};

TEST_F(MovingInferFaultTest, LeaderMovesAtLeastOnceLoseNothing) {
  RunThrough("leader-move-alo", false, [&] { MoveLeaders(); });
}

TEST_F(MovingInferFaultTest, LeaderMovesExactlyOnceCommitEachAlertOnce) {
  RunThrough("leader-move-eo", true, [&] { MoveLeaders(); });
}

TEST_F(MovingInferFaultTest, CoordinatorMovesAtLeastOnceLoseNothing) {
  RunThrough("coordinator-move-alo", false, [&] {
    ASSERT_TRUE(broker_->SetCoordinator("group", "coordinator-move-alo", 2).ok());
    std::this_thread::sleep_for(1s);
    ASSERT_TRUE(broker_->SetCoordinator("group", "coordinator-move-alo", 3).ok());
  });
}

TEST_F(MovingInferFaultTest, CoordinatorMovesExactlyOnceCommitEachAlertOnce) {
  RunThrough("coordinator-move-eo", true, [&] {
    ASSERT_TRUE(broker_->SetCoordinator("group", "coordinator-move-eo", 2).ok());
    ASSERT_TRUE(broker_->SetCoordinator("transaction", "coordinator-move-eo", 3).ok());
  });
}

}  // namespace
}  // namespace kappa
