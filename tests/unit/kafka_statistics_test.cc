// ParseKafkaStatistics against a real librdkafka 2.0.2 statistics document
// and against hand-made broken ones.
//
// tests/data/librdkafka_statistics_consumer.json was captured from librdkafka
// 2.0.2 (Debian's package) by a throwaway program: the mock cluster
// (rd_kafka_mock_cluster_new, one broker on 127.0.0.1) with a 3-partition
// topic "passengers" holding 40, 35 and 25 records; two members of group
// "kappa-infer" configured as stream/consumer.cc does (enable.auto.commit and
// enable.auto.offset.store false, range assignment). The member with
// client.id "kappa-infer" and statistics.interval.ms=1000 was assigned
// partitions 0 and 1, read all of them (positions 40 and 35), committed 30 and
// 20, and this is its statistics document three intervals later. Trimmed:
// the rolling-window histograms were dropped except one broker's "rtt" and the
// topic's "batchcnt"; every other field is as captured, reformatted.
#include "stream/kafka_statistics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <limits>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

namespace kappa::stream {

void PrintTo(const PartitionStatistics& p, std::ostream* os) {
  *os << "{" << p.topic << "[" << p.partition << "] lag=" << p.consumer_lag
      << " lag_stored=" << p.consumer_lag_stored << " committed=" << p.committed_offset
      << " hi=" << p.hi_offset << " ls=" << p.ls_offset << " app=" << p.app_offset << " "
      << p.fetch_state << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

std::string ReadSample() {
  const std::string path =
      std::string(KAPPA_TEST_DATA_DIR) + "/librdkafka_statistics_consumer.json";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

KafkaStatistics ParseOrDie(std::string_view json) {
  auto stats = ParseKafkaStatistics(json);
  EXPECT_TRUE(stats.ok()) << stats.status().ToString();
  return stats.ok() ? std::move(stats).value() : KafkaStatistics{};
}

// A consumer's statistics with one topic "t" and these partition objects.
std::string WithPartitions(const std::string& partitions) {
  return R"({"client_id":"c","type":"consumer","topics":{"t":{"topic":"t","partitions":{)" +
         partitions + "}}}}";
}

PartitionStatistics Partition(std::string topic, int32_t partition, int64_t lag, int64_t committed,
                              int64_t hi, int64_t app) {
  PartitionStatistics p;
  p.topic = std::move(topic);
  p.partition = partition;
  p.consumer_lag = lag;
  p.consumer_lag_stored = -1;
  p.committed_offset = committed;
  p.hi_offset = hi;
  p.ls_offset = hi;
  p.app_offset = app;
  p.fetch_state = "active";
  return p;
}

void ExpectCorruption(std::string_view json, std::string_view message_part) {
  auto stats = ParseKafkaStatistics(json);
  ASSERT_FALSE(stats.ok()) << "accepted: " << json;
  EXPECT_EQ(stats.status().code(), StatusCode::kCorruption) << stats.status().ToString();
  EXPECT_THAT(stats.status().message(), StartsWith("librdkafka statistics: "));
  EXPECT_THAT(stats.status().message(), HasSubstr(message_part)) << "input: " << json;
}

// ---- The real sample --------------------------------------------------------

TEST(KafkaStatisticsTest, RealConsumerSampleParsesToExactValues) {
  const KafkaStatistics stats = ParseOrDie(ReadSample());
  EXPECT_EQ(stats.client_id, "kappa-infer");
  EXPECT_EQ(stats.type, "consumer");
  EXPECT_EQ(stats.replyq, 0);
  EXPECT_EQ(stats.msg_cnt, 0);
  EXPECT_EQ(stats.tx, 37);
  EXPECT_EQ(stats.rx, 36);
  EXPECT_EQ(stats.tx_errors, 0);
  EXPECT_EQ(stats.rx_errors, 0);
  // Lag counts from the commit (30, 20), not from the position (40, 35).
  EXPECT_THAT(stats.partitions, ElementsAre(Partition("passengers", 0, 10, 30, 40, 40),
                                            Partition("passengers", 1, 15, 20, 35, 35)));
}

TEST(KafkaStatisticsTest, SkipsUnassignedAndUnfetchedPartitionsOfTheSample) {
  const std::string sample = ReadSample();
  // The sample holds what is to be skipped: librdkafka's UA partition and
  // partition 2, owned by the other group member.
  ASSERT_THAT(sample, HasSubstr(R"("partition": -1,)"));
  ASSERT_THAT(sample, HasSubstr(R"("partition": 2,)"));
  ASSERT_THAT(sample, HasSubstr(R"("fetch_state": "none")"));
  const KafkaStatistics stats = ParseOrDie(sample);
  std::vector<int32_t> ids;
  for (const auto& p : stats.partitions) ids.push_back(p.partition);
  EXPECT_THAT(ids, ElementsAre(0, 1));
}

TEST(KafkaStatisticsTest, ConsumerLagStoredOfTheSampleIsUnknown) {
  // enable.auto.offset.store=false and no rd_kafka_offsets_store(): librdkafka
  // has no stored offset, which is why we export consumer_lag.
  const KafkaStatistics stats = ParseOrDie(ReadSample());
  ASSERT_EQ(stats.partitions.size(), 2u);
  for (const auto& p : stats.partitions) EXPECT_EQ(p.consumer_lag_stored, -1) << p.partition;
}

// ---- Partition selection and fields -------------------------------------------

TEST(KafkaStatisticsTest, KeepsFetchingStatesAndDropsStoppedOnes) {
  const KafkaStatistics stats = ParseOrDie(
      WithPartitions(R"("0":{"fetch_state":"none"},"1":{"fetch_state":"stopping"},)"
                     R"("2":{"fetch_state":"stopped"},"3":{"fetch_state":"offset-query"},)"
                     R"("4":{"fetch_state":"offset-wait"},"5":{"fetch_state":"active"},)"
                     R"("6":{"fetch_state":"validate-epoch-wait"},"-1":{"fetch_state":"active"})"));
  std::vector<int32_t> ids;
  for (const auto& p : stats.partitions) ids.push_back(p.partition);
  EXPECT_THAT(ids, ElementsAre(3, 4, 5, 6));
}

TEST(KafkaStatisticsTest, UnknownLagStaysMinusOne) {
  const KafkaStatistics stats = ParseOrDie(WithPartitions(
      R"("0":{"fetch_state":"active","committed_offset":-1001,"hi_offset":40,)"
      R"("ls_offset":40,"app_offset":12,"consumer_lag":-1,"consumer_lag_stored":-1})"));
  ASSERT_EQ(stats.partitions.size(), 1u);
  EXPECT_EQ(stats.partitions[0].consumer_lag, -1);
  EXPECT_EQ(stats.partitions[0].committed_offset, PartitionStatistics::kUnknownOffset);
  EXPECT_EQ(stats.partitions[0].app_offset, 12);
}

TEST(KafkaStatisticsTest, ReadsConsumerLagStoredWhenPresent) {
  const KafkaStatistics stats = ParseOrDie(
      WithPartitions(R"("0":{"fetch_state":"active","consumer_lag":9,"consumer_lag_stored":4})"));
  ASSERT_EQ(stats.partitions.size(), 1u);
  EXPECT_EQ(stats.partitions[0].consumer_lag, 9);
  EXPECT_EQ(stats.partitions[0].consumer_lag_stored, 4);
}

TEST(KafkaStatisticsTest, AbsentFieldsTakeTheirDefaults) {
  const KafkaStatistics empty = ParseOrDie("{}");
  EXPECT_EQ(empty.client_id, "");
  EXPECT_EQ(empty.type, "");
  EXPECT_EQ(empty.tx, 0);
  EXPECT_EQ(empty.tx_errors, 0);
  EXPECT_THAT(empty.partitions, IsEmpty());

  // No fetch_state at all: not known to be stopped, so kept.
  const KafkaStatistics stats = ParseOrDie(WithPartitions(R"("7":{})"));
  PartitionStatistics expected;
  expected.topic = "t";
  expected.partition = 7;
  EXPECT_THAT(stats.partitions, ElementsAre(expected));
  EXPECT_EQ(stats.partitions[0].consumer_lag, PartitionStatistics::kUnknownLag);
  EXPECT_EQ(stats.partitions[0].hi_offset, PartitionStatistics::kUnknownOffset);

  // A topic without partitions, a broker without error counters.
  const KafkaStatistics bare =
      ParseOrDie(R"({"brokers":{"b/1":{"tx":3}},"topics":{"t":{"topic":"t"}}})");
  EXPECT_EQ(bare.tx_errors, 0);
  EXPECT_THAT(bare.partitions, IsEmpty());
}

TEST(KafkaStatisticsTest, SumsErrorCountersOverBrokers) {
  const KafkaStatistics stats =
      ParseOrDie(R"({"tx":10,"rx":9,"brokers":{"a:9092/1":{"txerrs":2,"rxerrs":1,"tx":6},)"
                 R"("GroupCoordinator":{"txerrs":3,"rxerrs":4,"tx":4}}})");
  EXPECT_EQ(stats.tx, 10);
  EXPECT_EQ(stats.rx, 9);
  EXPECT_EQ(stats.tx_errors, 5);
  EXPECT_EQ(stats.rx_errors, 5);
}

TEST(KafkaStatisticsTest, ErrorCounterSumOverflowIsCorruption) {
  const std::string max = std::to_string(std::numeric_limits<int64_t>::max());
  ExpectCorruption(R"({"brokers":{"a":{"txerrs":)" + max + R"(},"b":{"txerrs":)" + max + "}}}",
                   "/brokers/b/txerrs: sum overflows");
}

TEST(KafkaStatisticsTest, SortsPartitionsByTopicThenPartition) {
  const KafkaStatistics stats = ParseOrDie(
      R"({"topics":{"b":{"partitions":{"1":{},"0":{}}},"a":{"partitions":{"10":{},"2":{}}}}})");
  std::vector<std::pair<std::string, int32_t>> order;
  for (const auto& p : stats.partitions) order.emplace_back(p.topic, p.partition);
  EXPECT_THAT(order, ElementsAre(std::pair<std::string, int32_t>{"a", 2},
                                 std::pair<std::string, int32_t>{"a", 10},
                                 std::pair<std::string, int32_t>{"b", 0},
                                 std::pair<std::string, int32_t>{"b", 1}));
}

// ---- Bad input ----------------------------------------------------------------

TEST(KafkaStatisticsTest, EmptyInputIsCorruption) {
  ExpectCorruption("", "empty");
  ExpectCorruption(" \n\t", "not valid JSON");
}

TEST(KafkaStatisticsTest, NonObjectRootIsCorruption) {
  ExpectCorruption("[]", "expected object, got array");
  ExpectCorruption("42", "expected object, got number");
  ExpectCorruption(R"("stats")", "expected object, got string");
  ExpectCorruption("null", "expected object, got null");
  ExpectCorruption("true", "expected object, got boolean");
}

TEST(KafkaStatisticsTest, EveryTruncationOfTheSampleIsCorruption) {
  std::string sample = ReadSample();
  while (!sample.empty() && (sample.back() == '\n' || sample.back() == ' ')) sample.pop_back();
  ASSERT_TRUE(ParseKafkaStatistics(sample).ok());
  const std::string_view whole = sample;
  for (size_t size = 0; size < whole.size(); ++size) {
    auto stats = ParseKafkaStatistics(whole.substr(0, size));
    ASSERT_FALSE(stats.ok()) << "accepted the first " << size << " bytes";
    ASSERT_EQ(stats.status().code(), StatusCode::kCorruption) << stats.status().ToString();
  }
}

TEST(KafkaStatisticsTest, WrongTypesAreCorruptionNamingTheValue) {
  ExpectCorruption(R"({"client_id":5})", "/client_id: expected string, got number");
  ExpectCorruption(R"({"tx":"37"})", "/tx: expected number, got string");
  ExpectCorruption(R"({"replyq":1.5})", "/replyq: expected a 64-bit integer");
  ExpectCorruption(R"({"msg_cnt":18446744073709551615})", "/msg_cnt: expected a 64-bit integer");
  ExpectCorruption(R"({"brokers":[]})", "/brokers: expected object, got array");
  ExpectCorruption(R"({"brokers":{"127.0.0.1:9092/1":{"txerrs":null}}})",
                   "/brokers/127.0.0.1:9092~11/txerrs: expected number, got null");
  ExpectCorruption(R"({"topics":{"t":[]}})", "/topics/t: expected object, got array");
  ExpectCorruption(R"({"topics":{"t":{"partitions":7}}})",
                   "/topics/t/partitions: expected object, got number");
  ExpectCorruption(WithPartitions(R"("0":{"consumer_lag":"10"})"),
                   "/topics/t/partitions/0/consumer_lag: expected number, got string");
  ExpectCorruption(WithPartitions(R"("0":{"fetch_state":true})"),
                   "/topics/t/partitions/0/fetch_state: expected string, got boolean");
  ExpectCorruption(WithPartitions(R"("zero":{})"),
                   "/topics/t/partitions/zero: partition key is not a 32-bit integer");
  ExpectCorruption(WithPartitions(R"("4294967296":{})"), "not a 32-bit integer");
  ExpectCorruption(WithPartitions(R"("":{})"), "not a 32-bit integer");
  ExpectCorruption(WithPartitions(R"("a/b~c\n":{})"), "/partitions/a~1b~0c?: partition key");
  // The UA partition is validated before it is dropped.
  ExpectCorruption(WithPartitions(R"("-1":{"hi_offset":"x"})"),
                   "/topics/t/partitions/-1/hi_offset: expected number");
}

TEST(KafkaStatisticsTest, MalformedJsonInIgnoredValuesIsCorruption) {
  ExpectCorruption(R"({"brokers":{"b":{"rtt":{"min":,}}}})", "/brokers/b/rtt: not valid JSON");
  ExpectCorruption(R"({"name":"x","age":tru})", "/age: not valid JSON");
  ExpectCorruption(R"({"cgrp":{"state":"up",}})", "/cgrp: not valid JSON");
  ExpectCorruption(R"({"req":[1,,2]})", "/req: not valid JSON");
  ExpectCorruption(R"({"ts":01})", "/ts: not valid JSON");
  ExpectCorruption("{\"client_id\":\"\xff\"}", "not valid JSON");
  ExpectCorruption(R"({"client_id":"unterminated})", "not valid JSON");
  ExpectCorruption(R"({} {})", "not valid JSON");
  ExpectCorruption(R"({"a":1}])", "not valid JSON");
}

TEST(KafkaStatisticsTest, DeepNestingInIgnoredValuesIsCorruption) {
  const std::string deep = R"({"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
  ExpectCorruption(deep, "/x: not valid JSON");
}

TEST(KafkaStatisticsTest, CorruptedSampleNeverCrashesAndReportsCorruption) {
  const std::string sample = ReadSample();
  size_t rejected = 0;
  size_t tried = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    for (char c : {'{', '"', ',', '\0'}) {
      if (sample[i] == c) continue;
      std::string broken = sample;
      broken[i] = c;
      auto stats = ParseKafkaStatistics(broken);
      ++tried;
      // Some substitutions leave valid JSON (a digit becomes a quote inside a
      // string); the rest must be reported, not crash.
      if (!stats.ok()) {
        ASSERT_EQ(stats.status().code(), StatusCode::kCorruption) << stats.status().ToString();
        ++rejected;
      }
    }
  }
  // Most single-byte corruptions break the JSON (a '{' or '"' nearly always).
  EXPECT_GT(rejected, tried / 2);
}

}  // namespace
}  // namespace kappa::stream
