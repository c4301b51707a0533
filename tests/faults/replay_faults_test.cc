// The replay into state (`kappa train`) under faults: killed at random
// points and resumed, and run through fetch errors and a broker outage. In
// every case the state must equal that of an uninterrupted replay, compared
// by `kappa state --digest` (SHA-256 over every stored event and checkpoint
// in key order).
#include <gtest/gtest.h>
#include <signal.h>

#include <fmt/format.h>

#include <random>
#include <sstream>
#include <thread>

#include "tests/faults/fault_fixture.h"

namespace kappa {
namespace {

using namespace std::chrono_literals;
using testing::BackgroundProcess;
using testing::FaultRow;

class ReplayFaultTest : public testing::FaultTest {
 protected:
  // argv of `kappa train` into `state`; `slow` limits fetches to a few KB
  // so that, with a slow broker, the replay takes several seconds.
  std::vector<std::string> TrainArgs(const std::string& state, bool slow) const {
    std::vector<std::string> argv = {testing::KappaBinary(),
                                     "train",
                                     "-b",
                                     bootstrap(),
                                     "--state-dir",
                                     dir_.File(state),
                                     "--models-dir",
                                     dir_.File(state + "-models"),
                                     "--no-publish",
                                     "--rounds",
                                     "5",
                                     "--metrics-port",
                                     "0"};
    if (slow) {
      for (const char* x : {"fetch.max.bytes=10000", "max.partition.fetch.bytes=4000",
                            "message.max.bytes=10000"}) {
        argv.push_back("-X");
        argv.push_back(x);
      }
    }
    return argv;
  }

  std::string Digest(const std::string& state) {
    const auto r = testing::RunProcess(
        {testing::KappaBinary(), "state", "--state-dir", dir_.File(state), "--digest"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  }

  // Events stored in `state` so far, by `kappa state`'s total line.
  uint64_t Stored(const std::string& state) {
    const auto r =
        testing::RunProcess({testing::KappaBinary(), "state", "--state-dir", dir_.File(state)});
    if (r.exit_code != 0) return 0;
    uint64_t total = 0;
    // Rows: topic part first next events ... ; sum the "events" column.
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream row(line);
      std::string topic;
      int part = 0;
      long long first = 0;
      long long next = 0;
      if (row >> topic >> part >> first >> next && topic == "titanic-events") {
        total += static_cast<uint64_t>(next - first);
      }
    }
    return total;
  }

  // The digest of an uninterrupted replay of the same topic.
  std::string StraightDigest() {
    const auto r = testing::RunProcess(TrainArgs("straight", false), "", 240s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Digest("straight");
  }

  void SlowDown(std::chrono::milliseconds rtt) {
    ASSERT_TRUE(broker_->SetBrokerRtt(1, rtt).ok());
  }
};

TEST_F(ReplayFaultTest, KilledAtRandomPointsAndResumedEqualsAnUninterruptedReplay) {
  std::random_device rd;
  const unsigned seed = rd();
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> pause_ms(300, 2500);
  SlowDown(50ms);
  uint64_t last = 0;
  for (int kill = 1; kill <= 3; ++kill) {
    BackgroundProcess train(TrainArgs("killed", true), dir_.File("train-" + std::to_string(kill)));
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(random)));
    train.Signal(SIGKILL);
    ASSERT_EQ(train.Wait(30s), 128 + SIGKILL) << train.Stderr();
    const uint64_t stored = Stored("killed");
    EXPECT_GE(stored, last) << "a resumed replay never goes back";
    last = stored;
  }
  EXPECT_LT(last, kEvents) << "the kills landed mid-replay (seed " << seed << ")";
  SlowDown(0ms);
  const auto resume = std::chrono::steady_clock::now();
  const auto r = testing::RunProcess(TrainArgs("killed", false), "", 240s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const double recovery = Since(resume);
  const std::string killed = Digest("killed");
  const std::string straight = StraightDigest();
  EXPECT_EQ(killed, straight) << "seed " << seed;
  EXPECT_EQ(Stored("killed"), kEvents);
  Report({"replay-killed-resumed", kEvents, kEvents, kEvents - std::min(Stored("killed"), kEvents),
          0, recovery,
          fmt::format("3 kills (seed {}), {} stored before the resume; digest {}", seed, last,
                      killed == straight ? "equal" : "DIFFERENT")});
}

TEST_F(ReplayFaultTest, FetchErrorsAndAnOutageMidReplayLeaveTheSameState) {
  SlowDown(50ms);
  BackgroundProcess train(TrainArgs("faulted", true), dir_.File("train"));
  // The state is locked while train runs: let the replay get going (at 50 ms
  // per response it takes well over 10 s).
  std::this_thread::sleep_for(1500ms);
  broker_->PushRequestErrors(testing::api::kFetch, 5, testing::kerr::kNotLeaderForPartition);
  broker_->PushRequestErrors(testing::api::kFetch, 3, testing::kerr::kRequestTimedOut);
  std::this_thread::sleep_for(1s);
  ASSERT_TRUE(broker_->SetBrokerDown(1).ok());
  std::this_thread::sleep_for(4s);
  ASSERT_TRUE(broker_->SetBrokerUp(1).ok());
  const auto up = std::chrono::steady_clock::now();
  SlowDown(0ms);
  ASSERT_EQ(train.Wait(240s), 0) << train.Stderr();
  const double recovery = Since(up);
  const std::string faulted = Digest("faulted");
  const std::string straight = StraightDigest();
  EXPECT_EQ(faulted, straight);
  Report({"replay-fetch-errors-outage", kEvents, kEvents,
          kEvents - std::min(Stored("faulted"), kEvents), 0, recovery,
          fmt::format("digest {}; recovery = broker up to replay and fit done",
                      faulted == straight ? "equal" : "DIFFERENT")});
}

}  // namespace
}  // namespace kappa
