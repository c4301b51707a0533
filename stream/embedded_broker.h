// EmbeddedBroker: librdkafka's mock cluster, a real Kafka-protocol server
// running inside this process on loopback ports.
//
// It is for development, tests and the demo: in-memory (everything is gone
// when it stops), and it keeps only about 5 MB per partition (older records
// are dropped, as retention would). Production uses Kafka.
//
// Start() creates the project's topics: events, alerts, DLQ and infer progress with
// `partitions` partitions, models with one (model versions must stay in
// order). Other topics are auto-created on first use.
//
// Threading: the cluster runs its own threads; the object may be used from
// any one thread. Destruction stops the cluster (clients still connected see
// transport errors).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "stream/kafka_options.h"

struct rd_kafka_s;
struct rd_kafka_mock_cluster_s;

namespace kappa::stream {

struct EmbeddedBrokerOptions {
  int partitions = 3;  // of the events, alerts and DLQ topics, 1..1000
  int broker_count = 1;
  // Topics created with `partitions` partitions.
  std::vector<std::string> topics = {std::string(kEventsTopic), std::string(kAlertsTopic),
                                     std::string(kDeadLetterTopic),
                                     std::string(kInferProgressTopic)};
  // Topics created with a single partition.
  std::vector<std::string> single_partition_topics = {std::string(kModelsTopic)};
};

class EmbeddedBroker {
 public:
  // InvalidArgument for bad options; Internal if the cluster cannot start.
  static Result<std::unique_ptr<EmbeddedBroker>> Start(const EmbeddedBrokerOptions& options);
  ~EmbeddedBroker();
  EmbeddedBroker(const EmbeddedBroker&) = delete;
  EmbeddedBroker& operator=(const EmbeddedBroker&) = delete;

  // "127.0.0.1:port[,...]", for bootstrap.servers.
  const std::string& bootstrap_servers() const { return bootstrap_servers_; }

  Status CreateTopic(const std::string& topic, int partitions);

  // Fault injection for tests: take broker `broker_id` (1-based) down or up.
  Status SetBrokerDown(int broker_id);
  Status SetBrokerUp(int broker_id);
  // Delays every response of broker `broker_id` by `rtt` (0 restores).
  Status SetBrokerRtt(int broker_id, std::chrono::milliseconds rtt);
  // The next `count` requests of Kafka API `api_key` fail with `error_code`.
  void PushRequestErrors(int api_key, int count, int error_code);
  // Forgets the errors still pushed for `api_key`.
  void ClearRequestErrors(int api_key);
  // Makes broker `broker_id` the leader of `topic` [partition]; clients that
  // still send to the old leader get NOT_LEADER_FOR_PARTITION.
  Status SetPartitionLeader(const std::string& topic, int32_t partition, int broker_id);
  // Makes broker `broker_id` the coordinator of consumer group `key`
  // (`type` "group") or of transactional id `key` (`type` "transaction").
  Status SetCoordinator(const std::string& type, const std::string& key, int broker_id);

 private:
  EmbeddedBroker() = default;
  rd_kafka_s* rk_ = nullptr;                    // owns the cluster's lifetime
  rd_kafka_mock_cluster_s* cluster_ = nullptr;  // owned; destroyed before rk_
  std::string bootstrap_servers_;
};

}  // namespace kappa::stream
