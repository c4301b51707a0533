// Component defaults yield to the user's -X properties; secret property
// values never appear in kappa's messages.
#include "stream/kafka_options.h"

#include <gtest/gtest.h>

#include <array>

#include "stream/rdkafka_handles.h"

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

TEST(KafkaOptionsTest, SecretPropertiesAreRecognisedByName) {
  for (const char* name :
       {"sasl.password", "ssl.key.password", "ssl.keystore.password", "SASL.PASSWORD",
        "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config", "ssl.key.pem", "ssl_key",
        "ssl.certificate.pem", "sasl.oauthbearer.assertion.private.key.passphrase"}) {
    EXPECT_TRUE(IsSecretKafkaProperty(name)) << name;
  }
  for (const char* name : {"sasl.username", "sasl.mechanisms", "security.protocol",
                           "ssl.key.location", "ssl.ca.location", "group.id", "linger.ms",
                           "sasl.oauthbearer.token.endpoint.url", "sasl.kerberos.keytab"}) {
    EXPECT_FALSE(IsSecretKafkaProperty(name)) << name;
  }
  EXPECT_EQ(DescribeKafkaProperty({"sasl.password", "hunter2"}), "sasl.password=[redacted]");
  EXPECT_EQ(DescribeKafkaProperty({"linger.ms", "5"}), "linger.ms=5");
}

TEST(KafkaOptionsTest, ParseErrorsNeverRepeatAValue) {
  const Status empty_key = ParseKafkaProperty("=hunter2-secret").status();
  ASSERT_FALSE(empty_key.ok());
  EXPECT_EQ(empty_key.message().find("hunter2"), std::string::npos) << empty_key.message();
  const auto p = ParseKafkaProperty("sasl.password=a=b");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->second, "a=b");
}

TEST(KafkaOptionsTest, RejectedPropertiesAreReportedWithoutTheirSecretValues) {
  internal::ConfHandle conf(rd_kafka_conf_new());
  // A misspelt secret property: librdkafka does not know it, so kappa cannot
  // tell it is secret; the value is not shown for any unknown property.
  const Status unknown = internal::SetProperty(conf.get(), "sasl.pasword", "Unknown-S3cret");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.message().find("sasl.pasword"), std::string::npos) << unknown.message();
  EXPECT_EQ(unknown.message().find("Unknown-S3cret"), std::string::npos) << unknown.message();
  // A value librdkafka refuses for an ordinary property is shown: it helps.
  const Status invalid = internal::SetProperty(conf.get(), "linger.ms", "soon");
  EXPECT_NE(invalid.message().find("linger.ms=soon"), std::string::npos) << invalid.message();
  // A secret property's value is remembered, and text from librdkafka that
  // echoes it, whole or a word of it, is scrubbed.
  ASSERT_TRUE(internal::SetProperty(conf.get(), "sasl.oauthbearer.config",
                                    "principal=kappa extension_k=Oauth-S3cret")
                  .ok());
  EXPECT_EQ(internal::RedactSecrets(
                "Unrecognized sasl.oauthbearer.config beginning at: extension_k=Oauth-S3cret"),
            "Unrecognized sasl.oauthbearer.config beginning at: [redacted]");
  EXPECT_EQ(internal::RedactSecrets("value Oauth-S3cret."), "value [redacted].");
  EXPECT_EQ(internal::RedactSecrets("nothing secret here"), "nothing secret here");
}

}  // namespace
}  // namespace kappa::stream

// After a broker outage librdkafka waits up to reconnect.backoff.max.ms
// (10 s by default) between reconnect attempts, so a job came back up to
// 10 s after the broker did (tests/faults: broker-down-*). kappa caps it at
// 1 s for every client; -X still overrides it.
TEST(KafkaOptionsTest, ReconnectBackoffIsCappedAtOneSecondUnlessOverridden) {
  auto value = [](const kappa::stream::KafkaClientOptions& client) {
    auto conf = kappa::stream::internal::MakeConf(client, {});
    EXPECT_TRUE(conf.ok());
    std::array<char, 64> buf{};
    size_t size = buf.size();
    EXPECT_EQ(rd_kafka_conf_get(conf->get(), "reconnect.backoff.max.ms", buf.data(), &size),
              RD_KAFKA_CONF_OK);
    return std::string(buf.data());
  };
  kappa::stream::KafkaClientOptions client;
  EXPECT_EQ(value(client), "1000");
  client.properties = {{"reconnect.backoff.max.ms", "5000"}};
  EXPECT_EQ(value(client), "5000");
}
