#include "stream/rdkafka_handles.h"

#include <spdlog/spdlog.h>

#include <array>

#include "monitoring/process_metrics.h"

namespace kappa::stream {

KafkaClientOptions WithDefaults(KafkaClientOptions client, std::vector<KafkaProperty> defaults) {
  defaults.insert(defaults.end(), client.properties.begin(), client.properties.end());
  client.properties = std::move(defaults);
  return client;
}

Result<KafkaProperty> ParseKafkaProperty(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument("-X expects key=value, got '" + std::string(text) + "'");
  }
  return KafkaProperty{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

namespace internal {
namespace {

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
  spdlog::log(spd, "librdkafka {} {}: {}", name, facility, message);
}

void ErrorToSpdlog(rd_kafka_t* rk, int err, const char* reason, void* /*opaque*/) {
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  // Transport errors are retried by librdkafka; say so once at warn level.
  if (code == RD_KAFKA_RESP_ERR__FATAL) {
    std::array<char, 512> buf{};
    const auto fatal = rd_kafka_fatal_error(rk, buf.data(), buf.size());
    monitoring::CountKafkaError(rd_kafka_err2name(fatal));
    spdlog::error("kafka fatal error ({}): {}", rd_kafka_err2name(fatal), buf.data());
    return;
  }
  monitoring::CountKafkaError(rd_kafka_err2name(code));
  spdlog::warn("kafka: {} ({})", reason, rd_kafka_err2name(code));
}

}  // namespace

Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
  std::array<char, 512> err{};
  if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err.data(), err.size()) !=
      RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument("-X " + key + "=" + value + ": " + err.data());
  }
  return Status::Ok();
}

Result<ConfHandle> MakeConf(const KafkaClientOptions& options,
                            const std::vector<KafkaProperty>& defaults) {
  ConfHandle conf(rd_kafka_conf_new());
  if (!options.bootstrap_servers.empty()) {  // empty: a handle that hosts the embedded broker
    KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), "bootstrap.servers", options.bootstrap_servers));
  }
  KAPPA_RETURN_IF_ERROR(SetProperty(conf.get(), "client.id", options.client_id));
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
    return Status::InvalidArgument(std::string("kafka configuration refused: ") + err.data());
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
  return Status::Kafka(std::string(context) + ": " + rd_kafka_error_string(error),
                       rd_kafka_error_code(error), rd_kafka_error_is_retriable(error) != 0,
                       rd_kafka_error_is_fatal(error) != 0,
                       rd_kafka_error_txn_requires_abort(error) != 0);
}

}  // namespace internal
}  // namespace kappa::stream
