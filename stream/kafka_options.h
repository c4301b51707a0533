// KafkaClientOptions: what every kafka client of ours (producer, consumer)
// needs to connect, plus the user's pass-through librdkafka properties.
// Plain value type.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace kappa::stream {

// The project's default topic names (design.md, "Topics"). Every command
// takes a flag to override them.
inline constexpr std::string_view kEventsTopic = "titanic-events";
inline constexpr std::string_view kAlertsTopic = "titanic-alerts";
inline constexpr std::string_view kDeadLetterTopic = "titanic-events-dlq";
inline constexpr std::string_view kModelsTopic = "titanic-models";
// Where `kappa infer --exactly-once` records its progress (stream/progress_log.h).
inline constexpr std::string_view kInferProgressTopic = "titanic-infer-progress";

// What kappa prints instead of a secret value.
inline constexpr std::string_view kRedacted = "[redacted]";

// One librdkafka property, as given with `-X key=value`.
using KafkaProperty = std::pair<std::string, std::string>;

struct KafkaClientOptions {
  std::string bootstrap_servers = "localhost:9092";
  std::string client_id = "kappa";
  // Applied after our defaults, in order, so `-X` always wins. A property
  // librdkafka rejects fails client creation with InvalidArgument.
  std::vector<KafkaProperty> properties;
};

// `client` with `defaults` placed before the user's -X properties, so a
// component's own default (e.g. a larger fetch size) still yields to -X.
KafkaClientOptions WithDefaults(KafkaClientOptions client, std::vector<KafkaProperty> defaults);

// Parses "key=value" (the value may contain '='). InvalidArgument if there is
// no '=' or the key is empty; the message never repeats a value.
Result<KafkaProperty> ParseKafkaProperty(std::string_view text);

// A setting librdkafka accepts but kappa's clients do not support:
// InvalidArgument "key=value: why" for partition.assignment.strategy with a
// cooperative strategy (our consumers assign eagerly, see consumer.h).
Status CheckSupportedKafkaProperty(const KafkaProperty& property);

// Checks one property as a kappa client will when configured with it, so
// that a command can refuse bad configuration before doing any work:
// InvalidArgument "key=value: <librdkafka's reason>" when librdkafka does
// not know the name or refuses the value (the value is not shown for a
// secret or unknown name), then CheckSupportedKafkaProperty. Combinations
// (e.g. conflicting settings) are checked only when a client is created.
Status CheckKafkaProperty(const KafkaProperty& property);

// Whether the value of librdkafka property `name` is a secret that must not
// appear in logs, error messages or /metrics. The rule, on the lower-cased
// name: it contains "password", "passphrase", "secret" or "credential"
// (sasl.password, ssl.key.password, ssl.keystore.password,
// sasl.oauthbearer.client.secret, ...), ends in ".pem" (ssl.key.pem; the
// public *.pem are hidden too, harmlessly), or is sasl.oauthbearer.config
// (which can carry credentials) or ssl_key.
bool IsSecretKafkaProperty(std::string_view name);

// "key=value", or "key=[redacted]" for a secret property: how kappa shows
// a property in any message.
std::string DescribeKafkaProperty(const KafkaProperty& property);

}  // namespace kappa::stream
