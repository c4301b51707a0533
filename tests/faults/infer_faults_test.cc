// `kappa infer` (the real binary) under broker faults: outages, request
// errors of every kind the group, the producer and transactions use, leader
// and coordinator moves, repeated kill -9s and a rebalance mid-transaction.
// Each test asserts on the alerts topic (and committed offsets) against the
// model's own predictions; see fault_fixture.h.
#include <gtest/gtest.h>
#include <signal.h>

#include <random>
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

  // Runs `kappa infer --until-end` (group `group`, `extra` flags) slowed
  // down; once it wrote some alerts, applies `fault` (which returns when the
  // fault is over), then lets it finish. Returns the alerts and reports the
  // row; recovery = end of the fault to the end of the run.
  AlertCount RunThrough(const std::string& scenario, bool exactly_once,
                        std::vector<std::string> extra, const std::function<void()>& fault,
                        std::chrono::milliseconds rtt = 20ms) {
    extra.push_back("--until-end");
    if (exactly_once) {
      for (const char* f : {"--exactly-once", "--transactional-id"}) extra.push_back(f);
      extra.push_back(scenario);
    }
    SlowDown(rtt);
    BackgroundProcess infer(InferArgs(scenario, extra), dir_.File(scenario));
    AwaitAlerts(infer, 100);
    EXPECT_LT(AlertsSoFar(), expected().size()) << "the fault must land mid-stream";
    fault();
    const auto fault_over = std::chrono::steady_clock::now();
    const auto code = infer.Wait(240s);
    const double recovery = Since(fault_over);
    EXPECT_EQ(code, 0) << infer.Stderr();
    FullSpeed();
    const AlertCount c = Check(exactly_once, infer.Stderr());
    Report(Row(scenario, c, recovery));
    return c;
  }
};

// --- outages ----------------------------------------------------------------

void Outage(stream::EmbeddedBroker* broker, std::chrono::seconds length) {
  ASSERT_TRUE(broker->SetBrokerDown(1).ok());
  std::this_thread::sleep_for(length);
  ASSERT_TRUE(broker->SetBrokerUp(1).ok());
}

TEST_F(InferFaultTest, BrokerDownForSecondsAtLeastOnceScoresEverything) {
  RunThrough("broker-down-alo", false, {"--batch-size", "100"},
             [&] { Outage(broker_.get(), 5s); });
}

TEST_F(InferFaultTest, BrokerDownForSecondsExactlyOnceCommitsEachAlertOnce) {
  RunThrough("broker-down-eo", true, {"--batch-size", "500"}, [&] { Outage(broker_.get(), 5s); });
}

}  // namespace
}  // namespace kappa
