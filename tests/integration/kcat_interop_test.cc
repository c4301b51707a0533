// A real third-party Kafka client (kcat) against the embedded broker, in both
// directions: kcat produces and our consumer reads; we produce and kcat reads.
#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "stream/event_codec.h"
#include "stream/passenger_generator.h"
#include "stream/passenger_publisher.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/subprocess.h"

namespace kappa {
namespace {

using testing::EmbeddedBrokerTest;

class KcatInteropTest : public EmbeddedBrokerTest {};

TEST_F(KcatInteropTest, KcatProducesAndOurConsumerDecodesEveryEvent) {
  constexpr int kCount = 300;
  stream::PassengerGenerator gen({.seed = 3});
  std::string input;
  std::set<int64_t> sent_ids;
  for (int i = 0; i < kCount; ++i) {
    stream::PassengerEvent e;
    gen.Next(&e);
    input += std::to_string(e.passenger_id) + "\t";
    stream::EncodeEvent(e, &input);
    input += "\n";
    sent_ids.insert(e.passenger_id);
  }
  const auto kcat = testing::RunProcess(
      {"kcat", "-b", bootstrap(), "-P", "-t", "titanic-events", "-K", "\t"}, input);
  ASSERT_EQ(kcat.exit_code, 0) << kcat.err;

  const auto records = ReadTopic("titanic-events", kCount);
  ASSERT_EQ(records.size(), static_cast<size_t>(kCount));
  stream::EventDecoder decoder;
  std::set<int64_t> got_ids;
  for (const auto& r : records) {
    stream::PassengerEvent e;
    const auto rejection = decoder.Decode(r.value, &e);
    ASSERT_FALSE(rejection) << rejection->reason << " in " << r.value.value_or("<null>");
    EXPECT_EQ(r.key, std::to_string(e.passenger_id));
    got_ids.insert(e.passenger_id);
  }
  EXPECT_EQ(got_ids, sent_ids);
}

TEST_F(KcatInteropTest, WeProduceAndKcatReadsEveryEvent) {
  constexpr uint64_t kCount = 500;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 11});
  const auto summary = stream::PublishPassengers(
      producer.get(), source.get(), {.rate = 0, .count = kCount}, [] { return false; });
  ASSERT_EQ(summary.acknowledged, kCount);

  const auto kcat = testing::RunProcess(
      {"kcat", "-b", bootstrap(), "-C", "-t", "titanic-events", "-e", "-q", "-f", "%k\t%s\n"});
  ASSERT_EQ(kcat.exit_code, 0) << kcat.err;
  std::istringstream lines(kcat.out);
  std::string line;
  stream::EventDecoder decoder;
  std::set<int64_t> ids;
  size_t n = 0;
  while (std::getline(lines, line)) {
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    stream::PassengerEvent e;
    const auto rejection = decoder.Decode(std::string_view(line).substr(tab + 1), &e);
    ASSERT_FALSE(rejection) << rejection->reason;
    EXPECT_EQ(line.substr(0, tab), std::to_string(e.passenger_id));
    ids.insert(e.passenger_id);
    ++n;
  }
  EXPECT_EQ(n, kCount);
  EXPECT_EQ(ids.size(), kCount);
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), static_cast<int64_t>(kCount));
}

}  // namespace
}  // namespace kappa
