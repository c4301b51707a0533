// The Kafka flags every command shares (-b/--brokers, -X key=value,
// --kafka-config FILE) and how
// the bootstrap address is found when -b is not given (design.md, CLI
// conventions): KAFKA_BROKERS, else the embedded broker's address file (when
// the broker that wrote it is still running), else localhost:9092.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_line.h"
#include "common/status.h"
#include "stream/kafka_options.h"

namespace kappa::cli {

struct KafkaFlags {
  std::string brokers;  // empty: not given
  std::vector<stream::KafkaProperty> properties;
  // The group.id given with -X, if any (it overrides a command's default).
  std::optional<std::string> group_id() const;
};

// Without `with_brokers` there is no -b (the demo runs its own broker).
void AddKafkaFlags(CommandLine* cl, KafkaFlags* flags, bool with_brokers = true);

// The properties of a --kafka-config file: one `key=value` per line, as with
// -X; blank lines and lines starting with '#' are skipped; spaces around the
// key and before the value are ignored (`sasl.password = x` works), the
// rest of the value is taken as is. InvalidArgument naming the file and line
// (never its content, which may be a secret) when a line has no '=' or an
// empty key, holds a property librdkafka refuses (stream::CheckKafkaProperty:
// the value is shown only when it is not a secret), or the file cannot be
// read. Warns when the file holds a secret
// property (stream::IsSecretKafkaProperty) and other users can read it.
Result<std::vector<stream::KafkaProperty>> ReadKafkaConfigFile(const std::string& path);

// Resolves the bootstrap servers as described above and returns the client
// options; logs where the address came from.
stream::KafkaClientOptions ResolveKafka(const KafkaFlags& flags);

// Where `kappa broker` writes its address unless told otherwise:
// $XDG_RUNTIME_DIR/kappa-broker.address, or /tmp/kappa-broker-<uid>.address.
std::string DefaultBrokerAddressFile();

// InvalidArgument naming `path` unless its directory exists and is
// writable (so that WriteBrokerAddressFile can work).
Status CheckAddressFileDirectory(const std::string& path);

// Writes "<address>\n<pid>\n" atomically (temp file + rename).
Status WriteBrokerAddressFile(const std::string& path, const std::string& address);
// The address in `path`, if the file exists and its broker process is alive.
std::optional<std::string> ReadBrokerAddressFile(const std::string& path);
// Removes `path` if it still holds `address` (another broker may have
// replaced it since).
void RemoveBrokerAddressFile(const std::string& path, const std::string& address);

}  // namespace kappa::cli
