// FaultTest: the fixture of the fault-injection suite (label `faults`).
//
// Each test gets its own embedded broker (own loopback port, so tests run in
// parallel) holding a known event set: kEvents generated passengers with
// distinct ids 1..kEvents over 3 partitions, and a model trained on them.
// The yardstick of every assertion is computed independently of the job
// under test: expected() is the set of PassengerIds the model itself flags
// (P(survived) >= 0.5).
//
// Outcomes, never timings, are asserted: every expected id alerted (lost =
// 0), no alert for anyone else, and duplicates 0 where exactly-once
// promises it. Each test also reports one row (scenario, events, lost,
// duplicated, recovery time) with Report(): printed, and written as JSON to
// KAPPA_FAULTS_REPORT_DIR/<scenario>.json for scripts/faults' table.
// Recovery time is measured, reported and never asserted.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "inference/model.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace kappa::testing {

// Kafka protocol ApiKeys used by the suite (the mock's error stacks are per
// ApiKey).
namespace api {
inline constexpr int kProduce = 0;
inline constexpr int kFetch = 1;
inline constexpr int kListOffsets = 2;
inline constexpr int kOffsetCommit = 8;
inline constexpr int kFindCoordinator = 10;
inline constexpr int kJoinGroup = 11;
inline constexpr int kHeartbeat = 12;
inline constexpr int kSyncGroup = 14;
inline constexpr int kAddPartitionsToTxn = 24;
inline constexpr int kEndTxn = 26;
}  // namespace api

// Kafka protocol error codes used by the suite.
namespace kerr {
inline constexpr int kNotLeaderForPartition = 6;
inline constexpr int kRequestTimedOut = 7;
inline constexpr int kCoordinatorLoadInProgress = 14;
inline constexpr int kCoordinatorNotAvailable = 15;
inline constexpr int kNotCoordinator = 16;
inline constexpr int kNotEnoughReplicas = 19;
inline constexpr int kRebalanceInProgress = 27;
inline constexpr int kTopicAuthorizationFailed = 29;
inline constexpr int kConcurrentTransactions = 51;
inline constexpr int kInvalidRecord = 87;
}  // namespace kerr

// One row of the summary table.
struct FaultRow {
  std::string scenario;
  uint64_t events = 0;    // events in the topic
  uint64_t expected = 0;  // alerts the model itself calls for
  uint64_t lost = 0;      // expected ids without an alert (in the view that counts)
  uint64_t duplicated = 0;
  double recovery_seconds = 0;
  std::string note;
};

// What a set of alerts says about the expected ones.
struct AlertCount {
  std::multiset<int64_t> ids;  // with repetitions
  uint64_t lost = 0;           // expected, not alerted
  uint64_t invented = 0;       // alerted, not expected
  uint64_t duplicated = 0;     // alerts beyond the first per id
};

class FaultTest : public EmbeddedBrokerTest {
 protected:
  static constexpr uint64_t kEvents = 20000;

  // 1 broker by default: a broker outage is a cluster outage. Fixtures of
  // leader and coordinator moves override this.
  virtual int broker_count() const { return 1; }
  stream::EmbeddedBrokerOptions BrokerOptions() const override {
    stream::EmbeddedBrokerOptions o;
    o.broker_count = broker_count();
    return o;
  }

  void SetUp() override;

  const std::set<int64_t>& expected() const { return expected_; }
  std::string models_dir() const { return dir_.File("models"); }

  // argv of `kappa infer` on this broker and registry, in consumer group
  // `group`, followed by `extra`. Short session timeouts keep restarts after
  // a kill quick (the mock waits for a dead member's session to expire).
  std::vector<std::string> InferArgs(const std::string& group,
                                     const std::vector<std::string>& extra = {}) const;

  // Every alert of `topic`. With `committed_only`, only alerts of committed
  // transactions: the embedded broker has no transaction isolation, so an
  // alert counts when its transaction (header kappa.txn) wrote a progress
  // record for the alert's source partition, and that transaction is not
  // one of `aborted` (names infer logged as aborted).
  AlertCount CountAlerts(const std::string& topic, bool committed_only,
                         const std::set<std::string>& aborted = {});

  // Transaction names `kappa infer` logged as aborted in `stderr_text`.
  static std::set<std::string> AbortedTransactions(const std::string& stderr_text);

  // The group's committed offset per partition of `topic` (< 0: none).
  std::map<int32_t, int64_t> CommittedOffsets(const std::string& group, const std::string& topic);

  // PassengerId -> (partition, offset) of every event of `topic`.
  std::map<int64_t, std::pair<int32_t, int64_t>> EventPositions(const std::string& topic);

  // Prints the row and writes it for scripts/faults.
  static void Report(const FaultRow& row);

  // Seconds since `start`.
  static double Since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  TempDir dir_;
  std::unique_ptr<inference::Model> model_;
  std::set<int64_t> expected_;
};

// The same with three brokers, for leader and coordinator moves.
class ThreeBrokerFaultTest : public FaultTest {
 protected:
  int broker_count() const override { return 3; }
};

}  // namespace kappa::testing
