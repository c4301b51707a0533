#include "stream/rdkafka_handles.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <vector>

#include "monitoring/process_metrics.h"

namespace kappa::stream {

KafkaClientOptions WithDefaults(KafkaClientOptions client, std::vector<KafkaProperty> defaults) {
  defaults.insert(defaults.end(), client.properties.begin(), client.properties.end());
  client.properties = std::move(defaults);
  return client;
}

Result<KafkaProperty> ParseKafkaProperty(std::string_view text) {
  const auto eq = text.find('=');
  // Without '=' the text is at most a name; with an empty name, what
  // follows '=' may be a secret: not repeated.
  if (eq == std::string_view::npos) {
    return Status::InvalidArgument("-X expects key=value, got '" + std::string(text) + "'");
  }
  if (eq == 0) return Status::InvalidArgument("-X expects key=value, got an empty key");
  return KafkaProperty{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

Status CheckSupportedKafkaProperty(const KafkaProperty& property) {
  const auto& [key, value] = property;
  if (key == "partition.assignment.strategy" && value.find("cooperative") != std::string::npos) {
    return Status::InvalidArgument(key + "=" + value +
                                   ": cooperative rebalancing is not supported");
  }
  return Status::Ok();
}

Status CheckKafkaProperty(const KafkaProperty& property) {
  KAPPA_RETURN_IF_ERROR(internal::CheckProperty(property.first, property.second));
  return CheckSupportedKafkaProperty(property);
}

bool IsSecretKafkaProperty(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : {"password", "passphrase", "secret", "credential"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  const std::string_view pem = ".pem";
  return (lower.size() >= pem.size() &&
          lower.compare(lower.size() - pem.size(), pem.size(), pem) == 0) ||
         lower == "sasl.oauthbearer.config" || lower == "ssl_key";
}

std::string DescribeKafkaProperty(const KafkaProperty& property) {
  return property.first + "=" +
         (IsSecretKafkaProperty(property.first) ? std::string(kRedacted) : property.second);
}

namespace internal {
namespace {

// The values of secret properties given to any client of this process, so
// that text librdkafka produces (log lines, error callbacks, error strings)
// is scrubbed before kappa logs or returns it: librdkafka echoes some
// values, e.g. "Unrecognized sasl.oauthbearer.config beginning at: <the
// rest of the value>". Each value is kept whole and as its whitespace-
// separated words and their parts after '=', so an echoed tail is caught
// too. Process-wide because librdkafka's log callback has no context of
// ours; guarded by a mutex (librdkafka calls back on its own threads).
struct SecretValues {
  std::mutex mutex;
  std::vector<std::string> values;  // longest first, so a part never splits a whole
};

SecretValues& Secrets() {
  static SecretValues* secrets = new SecretValues();  // never destroyed: used at exit
  return *secrets;
}

// Shorter fragments would redact ordinary words in librdkafka's messages.
constexpr size_t kMinSecretFragment = 4;

void RememberSecret(std::string_view value) {
  std::vector<std::string> fragments;
  auto add = [&](std::string_view f) {
    if (f.size() >= kMinSecretFragment) fragments.emplace_back(f);
  };
  add(value);
  size_t pos = 0;
  while (pos < value.size()) {
    const auto start = value.find_first_not_of(" \t\r\n", pos);
    if (start == std::string_view::npos) break;
    auto end = value.find_first_of(" \t\r\n", start);
    if (end == std::string_view::npos) end = value.size();
    const std::string_view word = value.substr(start, end - start);
    add(word);
    if (const auto eq = word.find('='); eq != std::string_view::npos) add(word.substr(eq + 1));
    pos = end;
  }
  auto& secrets = Secrets();
  std::lock_guard lock(secrets.mutex);
  for (auto& f : fragments) {
    if (std::find(secrets.values.begin(), secrets.values.end(), f) == secrets.values.end()) {
      secrets.values.push_back(std::move(f));
    }
  }
  std::stable_sort(secrets.values.begin(), secrets.values.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

// librdkafka calls these on its own threads; they must not throw.
void LogToSpdlog(const rd_kafka_t* rk, int level, const char* facility, const char* message) {
  const char* name = rd_kafka_name(rk);
  // syslog levels: 0-3 error, 4 warning, 5-6 info, 7 debug.
  auto spd = level <= 3   ? spdlog::level::err
             : level == 4 ? spdlog::level::warn
             : level <= 6 ? spdlog::level::info
                          : spdlog::level::debug;
  // -X properties go to every client of a command, as with kcat; that the
  // producer ignores a consumer property (and vice versa) is expected.
  if (std::string_view(facility) == "CONFWARN" &&
      std::string_view(message).find(" property and will be ignored by this ") !=
          std::string_view::npos) {
    spd = spdlog::level::debug;
  }
  spdlog::log(spd, "librdkafka {} {}: {}", name, facility, RedactSecrets(message));
}

void ErrorToSpdlog(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Transport errors are retried by librdkafka; say so once at warn level.
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> buf{};
    const auto fatal = rd_kafka_fatal_error(rk, buf.data(), buf.size());
    monitoring::CountKafkaError(rd_kafka_err2name(fatal));
    spdlog::error("kafka fatal error ({}): {}", rd_kafka_err2name(fatal),
                  RedactSecrets(buf.data()));
    return;
  }
  monitoring::CountKafkaError(rd_kafka_err2name(code));
  spdlog::warn("kafka: {} ({})", RedactSecrets(reason), rd_kafka_err2name(code));
}

}  // namespace

std::string RedactSecrets(std::string_view text) {
  std::string out(text);
  auto& secrets = Secrets();
  std::lock_guard lock(secrets.mutex);
  for (const auto& secret : secrets.values) {
    for (size_t pos = 0; (pos = out.find(secret, pos)) != std::string::npos;) {
      out.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return out;
}

namespace {

// rd_kafka_conf_set, refusals as "key=value: librdkafka's reason".
Status ConfSet(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  if (IsSecretKafkaProperty(key)) RememberSecret(value);
  std::array<char, 512> err{};
  const auto result = rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size());
  if (result == RD_KAFKA_CONF_OK) return Status::Ok();
  // An unknown name may be a misspelt secret one (sasl.pasword): its value
  // is not repeated.
  const std::string shown =
      result == RD_KAFKA_CONF_UNKNOWN ? key : DescribeKafkaProperty({key, value});
  return Status::InvalidArgument(shown + ": " + RedactSecrets(err.data()));
}

}  // namespace

Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  const Status s = ConfSet(conf, key, value);
  return s.ok() ? s : Status::InvalidArgument("-X " + s.message());
}

Status CheckProperty(const std::string& key, const std::string& value) {
  ConfHandle conf(rd_kafka_conf_new());
  return ConfSet(conf.get(), key, value);
}

Result<ConfHandle> MakeConf(const KafkaClientOptions& options,
                            const std::vector<KafkaProperty>& defaults) {
  ConfHandle conf(rd_kafka_conf_new());
  if (!options.bootstrap_servers.empty()) {  // empty: a handle that hosts the embedded broker
    KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), "bootstrap.servers", options.bootstrap_servers));
  }
  KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), "client.id", options.client_id));
  // librdkafka backs off up to 10 s between reconnect attempts, so after a
  // broker outage a job resumed up to 10 s after the broker was back; 1 s
  // bounds that at little cost (components and -X may override).
  KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), "reconnect.backoff.max.ms", "1000"));
  for (const auto& [key, value] : defaults) {
    KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  }
  for (const auto& [key, value] : options.properties) {
    KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), key, value));
  }
  rd_kafka_conf_set_log_cb(conf.get(), LogToSpdlog);
  rd_kafka_conf_set_error_cb(conf.get(), ErrorToSpdlog);
  return conf;
}

Result<KafkaHandle> NewClient(rd_kafka_type_t type, ConfHandle conf) {
  std::array<char, 512> err{};
  // rd_kafka_new takes ownership of conf only on success.
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err.data(), err.size());
  if (rk == nullptr) {
    return Status::InvalidArgument("kafka configuration refused: " + RedactSecrets(err.data()));
  }
  conf.release();  // NOLINT(bugprone-unused-return-value): owned by rk now
  return KafkaHandle(rk);
}

Result<int32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                               std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  KAPPA_RETURN_IF_ERROR(FromKafka(err, "metadata of " + topic));
  MetadataHandle owned(md);
  if (md->topic_cnt != 1 || md->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    const auto terr = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN;
    return Status::NotFound("topic " + topic + ": " + rd_kafka_err2str(terr));
  }
  return static_cast<int32_t>(md->topics[0].partition_cnt);
}

Status FromKafka(rd_kafka_resp_err_t err, std::string_view context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  return Status::Kafka(std::string(context) + ": " + rd_kafka_err2str(err), err);
}

Status FromKafkaError(rd_kafka_error_t* error, std::string_view context) {
  if (error == nullptr) return Status::Ok();
  ErrorHandle owned(error);
  return Status::Kafka(std::string(context) + ": " + RedactSecrets(rd_kafka_error_string(error)),
                       rd_kafka_error_code(error), rd_kafka_error_is_retriable(error) != 0,
                       rd_kafka_error_is_fatal(error) != 0,
                       rd_kafka_error_txn_requires_abort(error) != 0);
}

}  // namespace internal
}  // namespace kappa::stream
