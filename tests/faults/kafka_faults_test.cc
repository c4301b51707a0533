// The stream wrappers (Consumer, Producer) under the embedded broker's
// faults: regression tests for bugs the fault suite found.
#include <gtest/gtest.h>

#include "stream/consumer.h"
#include "stream/producer.h"
#include "tests/faults/fault_fixture.h"

namespace kappa {
namespace {

using namespace std::chrono_literals;

class KafkaFaultTest : public testing::EmbeddedBrokerTest {
 protected:
  stream::EmbeddedBrokerOptions BrokerOptions() const override {
    stream::EmbeddedBrokerOptions o;
    o.broker_count = 3;
    return o;
  }
};

// Found by the leader-move scenario: `kappa infer --until-end` (and the
// replay, and reprocess) ask for watermarks at start; right after a leader
// move the client still knows the old leader, which answers
// NOT_LEADER_FOR_PARTITION, and QueryWatermarks returned that error instead
// of learning the new leader and asking again.
TEST_F(KafkaFaultTest, WatermarksAreFoundRightAfterAPartitionLeaderMove) {
  auto producer = MakeProducer();
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(producer->Send("titanic-events", "k", std::string_view("v"), {}, nullptr, 0).ok());
  }
  ASSERT_TRUE(producer->Flush(10s).ok());
  auto consumer = stream::Consumer::Create({.client = Client()});
  ASSERT_TRUE(consumer.ok());
  auto before = (*consumer)->QueryWatermarks("titanic-events", 0, 10s);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  ASSERT_EQ(before->high, 30);
  for (int leader : {2, 3, 1, 2}) {
    ASSERT_TRUE(broker_->SetPartitionLeader("titanic-events", 0, leader).ok());
    auto after = (*consumer)->QueryWatermarks("titanic-events", 0, 10s);
    ASSERT_TRUE(after.ok()) << "leader moved to broker " << leader << ": "
                            << after.status().ToString();
    EXPECT_EQ(after->high, 30);
  }
}

// Found by the AddPartitionsToTxn scenario: after the broker refused to add
// a partition to the transaction, librdkafka refuses further sends with a
// state error that carries no "abort required" flag, so `kappa infer
// --exactly-once` stopped instead of aborting the batch and scoring it again.
TEST_F(KafkaFaultTest, SendAfterAFailedAddPartitionsToTxnAsksForAnAbort) {
  auto producer = stream::Producer::Create({.client = Client(), .transactional_id = "apt"});
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->InitTransactions(30s).ok());
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  broker_->PushRequestErrors(testing::api::kAddPartitionsToTxn, 1,
                             testing::kerr::kTopicAuthorizationFailed);
  Status failed;
  for (int i = 0; i < 2000 && failed.ok(); ++i) {
    failed = (*producer)->Send("titanic-alerts", "k", std::string_view("v"), {}, nullptr, i % 3);
    (*producer)->Poll(5ms);
  }
  ASSERT_FALSE(failed.ok()) << "the transaction must fail";
  EXPECT_TRUE(failed.txn_requires_abort()) << failed.ToString();
  EXPECT_FALSE(failed.fatal()) << failed.ToString();
  // Aborting recovers: the next transaction commits.
  ASSERT_TRUE((*producer)->AbortTransaction(30s).ok());
  ASSERT_TRUE((*producer)->BeginTransaction().ok());
  ASSERT_TRUE((*producer)->Send("titanic-alerts", "k", std::string_view("after")).ok());
  EXPECT_TRUE((*producer)->CommitTransaction(30s).ok());
}

}  // namespace
}  // namespace kappa
