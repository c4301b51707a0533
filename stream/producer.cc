#include "stream/producer.h"

#include <spdlog/spdlog.h>

#include <array>
#include <exception>

#include "stream/consumer.h"
#include "stream/rdkafka_handles.h"

namespace kappa::stream {

using internal::FromKafka;

Producer::Producer(ProducerOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Producer>> Producer::Create(ProducerOptions options) {
  std::unique_ptr<Producer> producer(new Producer(std::move(options)));
  std::vector<KafkaProperty> defaults = {{"enable.idempotence", "true"}, {"linger.ms", "5"}};
  if (!producer->options_.transactional_id.empty()) {
    defaults.emplace_back("transactional.id", producer->options_.transactional_id);
  }
  auto conf = internal::MakeConf(producer->options_.client, defaults);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), producer.get());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), [](rd_kafka_t* rk, const rd_kafka_message_t* msg,
                                              void* opaque) { OnDelivery(rk, msg, opaque); });
  auto rk = internal::NewClient(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  producer->rk_ = std::move(rk).value().release();
  return producer;
}

Producer::~Producer() {
  if (rk_ == nullptr) return;
  const auto err = rd_kafka_flush(rk_, static_cast<int>(options_.close_timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::error("producer closing with {} message(s) not acknowledged", rd_kafka_outq_len(rk_));
  }
  rd_kafka_destroy(rk_);
}

void Producer::OnDelivery(rd_kafka_s* /*rk*/, const void* raw, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  const auto* msg = static_cast<const rd_kafka_message_t*>(raw);
  DeliveryReport report;
  report.topic = rd_kafka_topic_name(msg->rkt);
  report.partition = msg->partition;
  report.offset = msg->offset;
  report.opaque = msg->_private;
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->stats_.acknowledged.fetch_add(1, std::memory_order_relaxed);
  } else {
    self->stats_.failed.fetch_add(1, std::memory_order_relaxed);
    report.status = FromKafka(msg->err, "delivery to " + std::string(report.topic) + " failed");
    // Records purged by an aborted transaction are the abort's consequence,
    // not a cause worth reporting later.
    const bool purged =
        msg->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || msg->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
    if (self->first_failure_.ok() && !purged) self->first_failure_ = report.status;
  }
  if (!self->options_.on_delivery) return;
  try {  // exceptions must not cross librdkafka's C frames
    self->options_.on_delivery(report);
  } catch (const std::exception& e) {
    spdlog::error("delivery callback threw: {}", e.what());
  }
}

Status Producer::Send(const std::string& topic, std::string_view key,
                      std::optional<std::string_view> value, std::span<const Header> headers,
                      void* opaque, int32_t partition) {
  if (headers.size() > kMaxHeaders) {
    return Status::InvalidArgument("at most " + std::to_string(kMaxHeaders) + " headers");
  }
  std::array<rd_kafka_vu_t, 6 + kMaxHeaders> vus{};
  size_t n = 0;
  auto add = [&](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    vus[n].vtype = type;
    return vus[n++];
  };
  add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic.c_str();
  add(RD_KAFKA_VTYPE_KEY).u.mem = {const_cast<char*>(key.data()), key.size()};
  if (value) add(RD_KAFKA_VTYPE_VALUE).u.mem = {const_cast<char*>(value->data()), value->size()};
  add(RD_KAFKA_VTYPE_PARTITION).u.i32 = partition;
  add(RD_KAFKA_VTYPE_OPAQUE).u.ptr = opaque;
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  for (const Header& h : headers) {
    add(RD_KAFKA_VTYPE_HEADER).u.header = {h.key, h.value.data(),
                                           static_cast<ssize_t>(h.value.size())};
  }

  for (;;) {
    rd_kafka_error_t* error = rd_kafka_produceva(rk_, vus.data(), n);
    if (error == nullptr) break;
    const auto code = rd_kafka_error_code(error);
    if (code == RD_KAFKA_RESP_ERR__STATE && !options_.transactional_id.empty() &&
        rd_kafka_fatal_error(rk_, nullptr, 0) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      // A transaction in an abortable error state (e.g. the broker refused
      // AddPartitionsToTxn) refuses sends with a plain state error, without
      // librdkafka's "abort required" flag: the transaction must be aborted
      // and its work redone, as for any abortable error.
      Status s = internal::FromKafkaError(error, "produce to " + topic);
      return Status::Kafka(s.message(), s.kafka_code(), /*retriable=*/false, /*fatal=*/false,
                           /*txn_requires_abort=*/true);
    }
    if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      return internal::FromKafkaError(error, "produce to " + topic);
    }
    rd_kafka_error_destroy(error);
    // Backpressure: let deliveries drain the local queue, then retry.
    rd_kafka_poll(rk_, 50);
  }
  stats_.sent.fetch_add(1, std::memory_order_relaxed);
  return Status::Ok();
}

Result<int32_t> Producer::PartitionCount(const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  return internal::PartitionCount(rk_, topic, timeout);
}

Status Producer::CreateTopic(const std::string& topic, int32_t partitions,
                             std::chrono::milliseconds timeout) {
  const std::string context = "create topic " + topic;
  std::array<char, 512> err{};
  std::unique_ptr<rd_kafka_NewTopic_t, decltype(&rd_kafka_NewTopic_destroy)> new_topic(
      rd_kafka_NewTopic_new(topic.c_str(), partitions, -1, err.data(), err.size()),
      &rd_kafka_NewTopic_destroy);
  if (!new_topic) return Status::InvalidArgument(context + ": " + err.data());
  std::unique_ptr<rd_kafka_AdminOptions_t, decltype(&rd_kafka_AdminOptions_destroy)> admin(
      rd_kafka_AdminOptions_new(rk_, RD_KAFKA_ADMIN_OP_CREATETOPICS),
      &rd_kafka_AdminOptions_destroy);
  const int timeout_ms = static_cast<int>(timeout.count());
  if (rd_kafka_AdminOptions_set_request_timeout(admin.get(), timeout_ms, err.data(), err.size()) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Status::InvalidArgument(context + ": " + err.data());
  }
  internal::QueueHandle queue(rd_kafka_queue_new(rk_));
  rd_kafka_NewTopic_t* topics[] = {new_topic.get()};
  rd_kafka_CreateTopics(rk_, topics, 1, admin.get(), queue.get());
  // The request timeout bounds the answer; the margin covers queueing.
  std::unique_ptr<rd_kafka_event_t, decltype(&rd_kafka_event_destroy)> event(
      rd_kafka_queue_poll(queue.get(), timeout_ms + 5000), &rd_kafka_event_destroy);
  if (!event) return Status::Timeout(context + ": no answer from the cluster");
  KAPPA_RETURN_IF_ERROR(internal::FromKafka(rd_kafka_event_error(event.get()), context));
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const auto code = rd_kafka_topic_result_error(results[i]);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    const char* reason = rd_kafka_topic_result_error_string(results[i]);
    return Status::Kafka(context + ": " + (reason != nullptr ? reason : rd_kafka_err2str(code)),
                         code);
  }
  return Status::Ok();
}

void Producer::Poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(rk_, static_cast<int>(timeout.count()));
}

Status Producer::Flush(std::chrono::milliseconds timeout) {
  const auto err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return Status::Timeout(std::to_string(rd_kafka_outq_len(rk_)) +
                           " message(s) not acknowledged after " + std::to_string(timeout.count()) +
                           " ms");
  }
  return FromKafka(err, "flush");
}

Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  return internal::FromKafkaError(
      rd_kafka_init_transactions(rk_, static_cast<int>(timeout.count())), "init transactions");
}

Status Producer::BeginTransaction() {
  return internal::FromKafkaError(rd_kafka_begin_transaction(rk_), "begin transaction");
}

Status Producer::SendOffsetsToTransaction(std::span<const TopicPartitionOffset> offsets,
                                          const Consumer& consumer,
                                          std::chrono::milliseconds timeout) {
  if (offsets.empty()) return Status::Ok();
  internal::PartitionListHandle list(
      rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& tp : offsets) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        tp.offset;
  }
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(consumer.rk_);
  rd_kafka_error_t* error = rd_kafka_send_offsets_to_transaction(rk_, list.get(), group,
                                                                 static_cast<int>(timeout.count()));
  rd_kafka_consumer_group_metadata_destroy(group);
  return internal::FromKafkaError(error, "send offsets to transaction");
}

Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  return internal::FromKafkaError(
      rd_kafka_commit_transaction(rk_, static_cast<int>(timeout.count())), "commit transaction");
}

Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  return internal::FromKafkaError(
      rd_kafka_abort_transaction(rk_, static_cast<int>(timeout.count())), "abort transaction");
}

int Producer::InFlight() const { return rd_kafka_outq_len(rk_); }

}  // namespace kappa::stream
