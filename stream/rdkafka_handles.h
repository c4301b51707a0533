// RAII over librdkafka's C handles, and the one place librdkafka errors and
// configuration are translated into Status. Internal to stream/: public
// headers of the module do not include rdkafka.h.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "stream/kafka_options.h"

namespace kappa::stream::internal {

struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const { rd_kafka_destroy(p); }
  void operator()(rd_kafka_conf_t* p) const { rd_kafka_conf_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(rd_kafka_message_t* p) const { rd_kafka_message_destroy(p); }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_error_t* p) const { rd_kafka_error_destroy(p); }
  void operator()(rd_kafka_headers_t* p) const { rd_kafka_headers_destroy(p); }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};

using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, KafkaDeleter>;
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using MessageHandle = std::unique_ptr<rd_kafka_message_t, KafkaDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, KafkaDeleter>;
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;

// Sets one property; InvalidArgument naming `-X key=value` and librdkafka's
// reason when rejected. The value of a secret property (IsSecretKafkaProperty)
// is remembered for RedactSecrets and never shown, nor the value of a
// property librdkafka does not know (it may be a misspelt secret one).
Status SetProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value);

// The same on a scratch configuration, refusals as "key=value: reason"
// (stream::CheckKafkaProperty).
Status CheckProperty(const std::string& key, const std::string& value);

// `text` (from librdkafka) with every secret value given to SetProperty in
// this process, and each of its words, replaced by "[redacted]".
// Thread-safe.
std::string RedactSecrets(std::string_view text);

// A configuration with the client options applied (kappa's defaults for
// every client, e.g. reconnect.backoff.max.ms=1000, first, then the
// caller's `defaults`, then the user's -X properties, so -X wins) and
// librdkafka's log and error output routed to spdlog.
Result<ConfHandle> MakeConf(const KafkaClientOptions& options,
                            const std::vector<KafkaProperty>& defaults);

// rd_kafka_new, with a clear InvalidArgument when librdkafka refuses the
// configuration as a whole. Takes ownership of conf on success and failure.
Result<KafkaHandle> NewClient(rd_kafka_type_t type, ConfHandle conf);

// The number of partitions of `topic`, from a metadata request of client
// `rk`; NotFound when the broker does not have the topic.
Result<int32_t> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                               std::chrono::milliseconds timeout);

// Translates a librdkafka error code into a Status with context.
Status FromKafka(rd_kafka_resp_err_t err, std::string_view context);
// Translates (and frees) an rd_kafka_error_t, keeping retriable/fatal flags.
Status FromKafkaError(rd_kafka_error_t* error, std::string_view context);

}  // namespace kappa::stream::internal
