// Component defaults yield to the user's -X properties.
#include "stream/kafka_options.h"

#include <gtest/gtest.h>

namespace kappa::stream {
namespace {

TEST(KafkaOptionsTest, WithDefaultsPutsDefaultsBeforeTheUsersProperties) {
  KafkaClientOptions client;
  client.bootstrap_servers = "127.0.0.1:1";
  client.properties = {{"session.timeout.ms", "6000"}};
  const auto out = WithDefaults(client, {{"session.timeout.ms", "10000"}, {"a", "1"}});
  // librdkafka applies properties in order: the later -X value wins.
  const std::vector<KafkaProperty> expected = {
      {"session.timeout.ms", "10000"}, {"a", "1"}, {"session.timeout.ms", "6000"}};
  EXPECT_EQ(out.properties, expected);
  EXPECT_EQ(out.bootstrap_servers, "127.0.0.1:1");
}

}  // namespace
}  // namespace kappa::stream
