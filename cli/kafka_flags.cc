#include "cli/kafka_flags.h"

#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace kappa::cli {

std::optional<std::string> KafkaFlags::group_id() const {
  std::optional<std::string> id;
  for (const auto& [key, value] : properties) {
    if (key == "group.id") id = value;
  }
  return id;
}

void AddKafkaFlags(CommandLine* cl, KafkaFlags* flags, bool with_brokers) {
  if (with_brokers) {
    cl->AddString("brokers", 'b', "HOST:PORT[,...]",
                  "Kafka bootstrap servers (default: $KAFKA_BROKERS, else the\n"
                  "running embedded broker's address file, else localhost:9092)",
                  &flags->brokers);
  }
  cl->AddOption("property", 'X', "KEY=VALUE",
                "set any librdkafka property (repeatable), as kcat does;\n"
                "a property librdkafka rejects is an error (exit 2)",
                [flags](std::string_view v) -> Status {
                  auto p = stream::ParseKafkaProperty(v);
                  if (!p.ok()) return p.status();
                  // Refused here, before the command does any work.
                  KAPPA_RETURN_IF_ERROR(stream::CheckKafkaProperty(*p));
                  flags->properties.push_back(std::move(p).value());
                  return Status::Ok();
                });
  cl->AddOption("kafka-config", 0, "FILE",
                "librdkafka properties from FILE, one key=value per line (#\n"
                "comments), applied where the flag stands among the -X; keeps\n"
                "secrets such as sasl.password off the command line",
                [flags](std::string_view v) -> Status {
                  auto read = ReadKafkaConfigFile(std::string(v));
                  if (!read.ok()) return read.status();
                  for (auto& p : *read) flags->properties.push_back(std::move(p));
                  return Status::Ok();
                });
}

Result<std::vector<stream::KafkaProperty>> ReadKafkaConfigFile(const std::string& path) {
  std::ifstream in(path);
  std::error_code ec;
  if (!in || !std::filesystem::is_regular_file(path, ec)) {
    const std::string why = !in ? std::strerror(errno) : "not a regular file";
    return Status::InvalidArgument("cannot read Kafka config file " + path + ": " + why);
  }
  std::vector<stream::KafkaProperty> properties;
  bool has_secret = false;
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    const auto eq = line.find('=', first);
    std::string key = eq == std::string::npos ? "" : line.substr(first, eq - first);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    if (key.empty()) {
      return Status::InvalidArgument(
          fmt::format("{} line {}: expected key=value", path, line_number));
    }
    const auto value_start = line.find_first_not_of(" \t", eq + 1);
    std::string value = value_start == std::string::npos ? "" : line.substr(value_start);
    has_secret = has_secret || stream::IsSecretKafkaProperty(key);
    properties.emplace_back(std::move(key), std::move(value));
    if (Status s = stream::CheckKafkaProperty(properties.back()); !s.ok()) {
      return Status::InvalidArgument(fmt::format("{} line {}: {}", path, line_number, s.message()));
    }
  }
  if (in.bad()) return Status::InvalidArgument("cannot read Kafka config file " + path);
  struct stat st {};
  if (has_secret && ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0) {
    spdlog::warn("{} holds a secret and every user of this machine can read it (chmod o-r {})",
                 path, path);
  }
  return properties;
}

stream::KafkaClientOptions ResolveKafka(const KafkaFlags& flags) {
  stream::KafkaClientOptions options;
  options.properties = flags.properties;
  if (!flags.brokers.empty()) {
    options.bootstrap_servers = flags.brokers;
  } else if (const char* env = std::getenv("KAFKA_BROKERS"); env != nullptr && *env != '\0') {
    options.bootstrap_servers = env;
    spdlog::info("brokers {} (from KAFKA_BROKERS)", options.bootstrap_servers);
  } else if (auto embedded = ReadBrokerAddressFile(DefaultBrokerAddressFile())) {
    options.bootstrap_servers = *embedded;
    spdlog::info("brokers {} (the embedded broker, from {})", options.bootstrap_servers,
                 DefaultBrokerAddressFile());
  } else {
    options.bootstrap_servers = "localhost:9092";
    spdlog::info(
        "brokers localhost:9092 (default; no -b, KAFKA_BROKERS or running `kappa broker`)");
  }
  return options;
}

std::string DefaultBrokerAddressFile() {
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir != '\0') {
    return std::string(dir) + "/kappa-broker.address";
  }
  return "/tmp/kappa-broker-" + std::to_string(getuid()) + ".address";
}

Status CheckAddressFileDirectory(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return Status::InvalidArgument("--address-file " + path + ": " + dir.string() +
                                   " is not a directory");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    return Status::InvalidArgument("--address-file " + path + ": cannot write to " + dir.string() +
                                   ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status WriteBrokerAddressFile(const std::string& path, const std::string& address) {
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n" << getpid() << "\n";
    out.flush();
    if (!out) return Status::IoError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return Status::IoError("cannot write " + path + ": " + ec.message());
  }
  return Status::Ok();
}

std::optional<std::string> ReadBrokerAddressFile(const std::string& path) {
  std::ifstream in(path);
  std::string address;
  long pid = 0;
  if (!(in >> address >> pid) || pid <= 0) return std::nullopt;
  // A file left by a broker that was killed would point at a dead port.
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) {
    spdlog::debug("ignoring stale broker address file {} (pid {} is gone)", path, pid);
    return std::nullopt;
  }
  return address;
}

void RemoveBrokerAddressFile(const std::string& path, const std::string& address) {
  std::ifstream in(path);
  std::string current;
  if (in >> current && current == address) std::remove(path.c_str());
}

}  // namespace kappa::cli
