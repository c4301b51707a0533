// The Kafka flags every command shares (-b/--brokers, -X key=value) and how
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

void AddKafkaFlags(CommandLine* cl, KafkaFlags* flags);

// Resolves the bootstrap servers as described above and returns the client
// options; logs where the address came from.
stream::KafkaClientOptions ResolveKafka(const KafkaFlags& flags);

// Where `kappa broker` writes its address unless told otherwise:
// $XDG_RUNTIME_DIR/kappa-broker.address, or /tmp/kappa-broker-<uid>.address.
std::string DefaultBrokerAddressFile();

// Writes "<address>\n<pid>\n" atomically (temp file + rename).
Status WriteBrokerAddressFile(const std::string& path, const std::string& address);
// The address in `path`, if the file exists and its broker process is alive.
std::optional<std::string> ReadBrokerAddressFile(const std::string& path);
// Removes `path` if it still holds `address` (another broker may have
// replaced it since).
void RemoveBrokerAddressFile(const std::string& path, const std::string& address);

}  // namespace kappa::cli
