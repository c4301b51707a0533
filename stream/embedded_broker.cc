#include "stream/embedded_broker.h"

// rdkafka.h must precede rdkafka_mock.h (it sorts first).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <vector>

#include "stream/rdkafka_handles.h"

namespace kappa::stream {

Result<std::unique_ptr<EmbeddedBroker>> EmbeddedBroker::Start(
    const EmbeddedBrokerOptions& options) {
  if (options.partitions < 1 || options.partitions > 1000) {
    return Status::InvalidArgument("partitions must be 1..1000, got " +
                                   std::to_string(options.partitions));
  }
  if (options.broker_count < 1 || options.broker_count > 9) {
    return Status::InvalidArgument("broker count must be 1..9, got " +
                                   std::to_string(options.broker_count));
  }
  // The mock cluster hangs off a client handle; a producer handle that never
  // produces is the lightest one.
  KafkaClientOptions client;
  client.bootstrap_servers = "";
  client.client_id = "kappa-embedded-broker";
  // This handle never connects anywhere; log_level 4 keeps librdkafka's
  // "no bootstrap.servers" notice about it quiet. The mock cluster sets up
  // the sockets it accepts with this handle's configuration: with Nagle on
  // (librdkafka's default), a response written while the previous one is
  // unacknowledged waits for the client's delayed ACK, and ~10% of infer's
  // alert flushes took 40-48 ms instead of <1 ms. Kafka brokers disable
  // Nagle too.
  auto conf = internal::MakeConf(client, {{"log_level", "4"}, {"socket.nagle.disable", "true"}});
  if (!conf.ok()) return conf.status();
  auto rk = internal::NewClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();

  std::unique_ptr<EmbeddedBroker> broker(new EmbeddedBroker());
  broker->cluster_ = rd_kafka_mock_cluster_new(rk->get(), options.broker_count);
  if (broker->cluster_ == nullptr) return Status::Internal("cannot start the embedded broker");
  broker->rk_ = std::move(rk).value().release();
  broker->bootstrap_servers_ = rd_kafka_mock_cluster_bootstraps(broker->cluster_);
  for (const auto& topic : options.topics) {
    KAPPA_RETURN_IF_ERROR(broker->CreateTopic(topic, options.partitions));
  }
  for (const auto& topic : options.single_partition_topics) {
    KAPPA_RETURN_IF_ERROR(broker->CreateTopic(topic, 1));
  }
  return broker;
}

EmbeddedBroker::~EmbeddedBroker() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
}

Status EmbeddedBroker::CreateTopic(const std::string& topic, int partitions) {
  return internal::FromKafka(rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, 1),
                             "create topic " + topic);
}

Status EmbeddedBroker::SetBrokerDown(int broker_id) {
  return internal::FromKafka(rd_kafka_mock_broker_set_down(cluster_, broker_id), "broker down");
}

Status EmbeddedBroker::SetBrokerUp(int broker_id) {
  return internal::FromKafka(rd_kafka_mock_broker_set_up(cluster_, broker_id), "broker up");
}

Status EmbeddedBroker::SetBrokerRtt(int broker_id, std::chrono::milliseconds rtt) {
  return internal::FromKafka(
      rd_kafka_mock_broker_set_rtt(cluster_, broker_id, static_cast<int>(rtt.count())),
      "broker rtt");
}

void EmbeddedBroker::PushRequestErrors(int api_key, int count, int error_code) {
  std::vector<rd_kafka_resp_err_t> errors(static_cast<size_t>(count),
                                          static_cast<rd_kafka_resp_err_t>(error_code));
  rd_kafka_mock_push_request_errors_array(cluster_, static_cast<int16_t>(api_key), errors.size(),
                                          errors.data());
}

void EmbeddedBroker::ClearRequestErrors(int api_key) {
  rd_kafka_mock_clear_request_errors(cluster_, static_cast<int16_t>(api_key));
}

Status EmbeddedBroker::SetPartitionLeader(const std::string& topic, int32_t partition,
                                          int broker_id) {
  return internal::FromKafka(
      rd_kafka_mock_partition_set_leader(cluster_, topic.c_str(), partition, broker_id),
      "leader of " + topic + " [" + std::to_string(partition) + "]");
}

Status EmbeddedBroker::SetCoordinator(const std::string& type, const std::string& key,
                                      int broker_id) {
  return internal::FromKafka(
      rd_kafka_mock_coordinator_set(cluster_, type.c_str(), key.c_str(), broker_id),
      type + " coordinator of " + key);
}

}  // namespace kappa::stream
