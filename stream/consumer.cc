#include "stream/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <exception>
#include <thread>
#include <utility>

#include "stream/rdkafka_handles.h"

namespace kappa::stream {

using internal::FromKafka;
using internal::PartitionListHandle;

namespace {

PartitionListHandle ToList(std::span<const TopicPartitionOffset> partitions) {
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        tp.offset;
  }
  return list;
}

// librdkafka reports per-partition errors of commit/seek/pause in the list.
Status FirstPartitionError(const rd_kafka_topic_partition_list_t* list, const char* what) {
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return FromKafka(
          e.err, std::string(what) + " " + e.topic + " [" + std::to_string(e.partition) + "]");
    }
  }
  return Status::Ok();
}

}  // namespace

// --- Message ---------------------------------------------------------------

Message::Message(rd_kafka_message_s* msg) : msg_(msg) {}
Message::~Message() {
  if (msg_ != nullptr) rd_kafka_message_destroy(msg_);
}
Message::Message(Message&& other) noexcept : msg_(std::exchange(other.msg_, nullptr)) {}
Message& Message::operator=(Message&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) rd_kafka_message_destroy(msg_);
    msg_ = std::exchange(other.msg_, nullptr);
  }
  return *this;
}

std::string_view Message::topic() const { return rd_kafka_topic_name(msg_->rkt); }
int32_t Message::partition() const { return msg_->partition; }
int64_t Message::offset() const { return msg_->offset; }
std::string_view Message::key() const {
  if (msg_->key == nullptr) return {};
  return {static_cast<const char*>(msg_->key), msg_->key_len};
}
std::optional<std::string_view> Message::value() const {
  if (msg_->payload == nullptr) return std::nullopt;
  return std::string_view(static_cast<const char*>(msg_->payload), msg_->len);
}
std::optional<std::string_view> Message::header(const char* name) const {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(msg_, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const void* value = nullptr;
  size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return std::nullopt;
  }
  if (value == nullptr) return std::string_view();
  return std::string_view(static_cast<const char*>(value), size);
}
int64_t Message::timestamp_ms() const { return rd_kafka_message_timestamp(msg_, nullptr); }

// --- Consumer --------------------------------------------------------------

Consumer::Consumer(ConsumerOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options) {
  std::unique_ptr<Consumer> consumer(new Consumer(std::move(options)));
  std::vector<KafkaProperty> defaults = {
      {"enable.auto.commit", "false"},
      // Offsets are committed explicitly; storing each one as it is polled
      // would only cost a lock per record.
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", consumer->options_.auto_offset_reset},
      // Cooperative rebalancing would keep partitions flowing during a
      // rebalance, but eager assignment keeps commit-on-revoke simple.
      {"partition.assignment.strategy", "range,roundrobin"},
      {"enable.partition.eof", consumer->options_.report_partition_eof ? "true" : "false"},
  };
  defaults.emplace_back("group.id", consumer->options_.group_id.empty()
                                        ? "kappa-assign-only"
                                        : consumer->options_.group_id);
  // The rebalance callback assigns and unassigns eagerly; incremental
  // (cooperative) rebalancing would need incremental_assign instead.
  for (const auto& property : consumer->options_.client.properties) {
    if (Status s = CheckSupportedKafkaProperty(property); !s.ok()) {
      return Status::InvalidArgument("-X " + s.message());
    }
  }
  if (consumer->options_.statistics_interval.count() > 0) {
    defaults.emplace_back("statistics.interval.ms",
                          std::to_string(consumer->options_.statistics_interval.count()));
  }
  auto conf = internal::MakeConf(consumer->options_.client, defaults);
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_opaque(conf->get(), consumer.get());
  rd_kafka_conf_set_rebalance_cb(
      conf->get(),
      [](rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions,
         void* opaque) { OnRebalance(rk, err, partitions, opaque); });
  if (consumer->options_.on_statistics) {
    rd_kafka_conf_set_stats_cb(conf->get(),
                               [](rd_kafka_t* rk, char* json, size_t len, void* opaque) -> int {
                                 return OnStatistics(rk, json, len, opaque);
                               });
  }
  auto rk = internal::NewClient(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!rk.ok()) return rk.status();
  consumer->rk_ = std::move(rk).value().release();
  // Serve every event (messages, errors, rebalances) from one queue.
  rd_kafka_poll_set_consumer(consumer->rk_);
  consumer->queue_ = rd_kafka_queue_get_consumer(consumer->rk_);
  return consumer;
}

// Runs inside rd_kafka_consumer_poll (or close) on the owner thread.
void Consumer::OnRebalance(rd_kafka_s* rk, int err, void* raw, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  auto* partitions = static_cast<rd_kafka_topic_partition_list_t*>(raw);
  std::vector<TopicPartitionOffset> list;
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& e = partitions->elems[i];
    list.push_back({e.topic, e.partition, kOffsetStored});
  }
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (self->options_.on_assign) {
      Status s;
      try {  // exceptions must not cross librdkafka's C frames
        s = self->options_.on_assign(&list);
      } catch (const std::exception& e) {
        s = Status::Internal(std::string("on_assign threw: ") + e.what());
      }
      if (!s.ok() && self->rebalance_error_.ok()) self->rebalance_error_ = s;
    }
    auto assign = ToList(list);
    const Status s = FromKafka(rd_kafka_assign(rk, assign.get()), "assign");
    if (!s.ok() && self->rebalance_error_.ok()) self->rebalance_error_ = s;
    return;
  }
  ++self->revocations_;
  if (self->options_.on_revoke) {
    try {
      self->options_.on_revoke(list);
    } catch (const std::exception& e) {
      spdlog::error("on_revoke threw: {}", e.what());
    }
  }
  const Status s = FromKafka(rd_kafka_assign(rk, nullptr), "unassign");
  if (!s.ok()) spdlog::warn("{}", s.message());
}

int Consumer::OnStatistics(rd_kafka_s* /*rk*/, char* json, size_t json_len, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  try {
    self->options_.on_statistics(std::string_view(json, json_len));
  } catch (const std::exception& e) {
    spdlog::error("statistics callback threw: {}", e.what());
  }
  return 0;  // librdkafka frees the JSON
}

Consumer::~Consumer() {
  if (rk_ == nullptr) return;
  const Status s = Close();
  if (!s.ok()) spdlog::warn("closing consumer: {}", s.message());
  if (queue_ != nullptr) rd_kafka_queue_destroy(queue_);
  rd_kafka_destroy(rk_);
}

Status Consumer::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  return FromKafka(rd_kafka_consumer_close(rk_), "consumer close");
}

Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  bool group_given = !options_.group_id.empty();
  for (const auto& [key, value] : options_.client.properties) {
    if (key == "group.id") group_given = true;
  }
  if (!group_given) return Status::InvalidArgument("subscribe needs a consumer group id");
  subscribed_ = true;
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics) {
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  return FromKafka(rd_kafka_subscribe(rk_, list.get()), "subscribe");
}

Status Consumer::Assign(std::span<const TopicPartitionOffset> partitions) {
  auto list = ToList(partitions);
  return FromKafka(rd_kafka_assign(rk_, list.get()), "assign");
}

Status Consumer::Poll(size_t max_messages, std::chrono::milliseconds timeout,
                      std::vector<Message>* batch, std::vector<TopicPartitionOffset>* eofs) {
  if (max_messages == 0) return Status::Ok();
  // Wait for the first record with consumer_poll, then take whatever else is
  // already queued in one consume_batch_queue call (timeout 0): one queue
  // lock per batch instead of per record, which is most of the per-record
  // cost at high rates. Both serve rebalance events of the consumer queue.
  scratch_.resize(max_messages);
  size_t n = 0;
  uint64_t revocations_seen = revocations_;
  if (rd_kafka_message_t* first = rd_kafka_consumer_poll(rk_, static_cast<int>(timeout.count()))) {
    // A revoke served inside that call came before `first`, which belongs
    // to the new assignment: only later revokes drop what was taken.
    revocations_seen = revocations_;
    scratch_[n++] = first;
    if (subscribed_) {
      // librdkafka 2.0.x (Debian bookworm) can lose or misdeliver records
      // when consume_batch_queue meets a rebalance (fixed in 2.1): group
      // members take one record per call.
      while (n < max_messages) {
        rd_kafka_message_t* msg = rd_kafka_consumer_poll(rk_, 0);
        if (revocations_ != revocations_seen) {
          // The call revoked partitions before returning msg: what was taken
          // before belongs to the old assignment and is read again by the
          // partitions' next owner.
          revocations_seen = revocations_;
          for (size_t i = 0; i < n; ++i) rd_kafka_message_destroy(scratch_[i]);
          n = 0;
        }
        if (msg == nullptr) break;
        scratch_[n++] = msg;
      }
    } else if (max_messages > 1) {
      const ssize_t more =
          rd_kafka_consume_batch_queue(queue_, 0, scratch_.data() + 1, max_messages - 1);
      if (more > 0) n += static_cast<size_t>(more);
    }
  }
  Status error;
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_message_t* msg = scratch_[i];
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      batch->emplace_back(msg);
      continue;
    }
    const auto err = msg->err;
    std::string where = msg->rkt != nullptr ? rd_kafka_topic_name(msg->rkt) : "";
    const int32_t partition = msg->partition;
    const int64_t offset = msg->offset;
    rd_kafka_message_destroy(msg);
    if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (eofs != nullptr) eofs->push_back({where, partition, offset});
      continue;
    }
    // A corrupt or undecompressable record has already been skipped by
    // librdkafka: report it instead of letting a checkpoint pass it.
    if (err == RD_KAFKA_RESP_ERR__FATAL || err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR__BAD_MSG ||
        err == RD_KAFKA_RESP_ERR__BAD_COMPRESSION) {
      // Keep destroying the rest of the batch; report the first such error.
      if (error.ok()) {
        error = Status::Kafka("consume " + where + " [" + std::to_string(partition) + "] at " +
                                  std::to_string(offset) + ": " + rd_kafka_err2str(err),
                              err, false, err == RD_KAFKA_RESP_ERR__FATAL);
      }
      continue;
    }
    spdlog::warn("consume {} [{}]: {} (retrying)", where, partition, rd_kafka_err2str(err));
  }
  if (error.ok() && !rebalance_error_.ok()) error = std::exchange(rebalance_error_, Status::Ok());
  return error;
}

Status Consumer::Pause(std::span<const TopicPartitionOffset> partitions) {
  auto list = ToList(partitions);
  KAPPA_RETURN_IF_ERROR(FromKafka(rd_kafka_pause_partitions(rk_, list.get()), "pause"));
  return FirstPartitionError(list.get(), "pause");
}

Status Consumer::Resume(std::span<const TopicPartitionOffset> partitions) {
  auto list = ToList(partitions);
  KAPPA_RETURN_IF_ERROR(FromKafka(rd_kafka_resume_partitions(rk_, list.get()), "resume"));
  return FirstPartitionError(list.get(), "resume");
}

Status Consumer::Seek(std::span<const TopicPartitionOffset> offsets,
                      std::chrono::milliseconds timeout) {
  if (offsets.empty()) return Status::Ok();
  auto list = ToList(offsets);
  KAPPA_RETURN_IF_ERROR(internal::FromKafkaError(
      rd_kafka_seek_partitions(rk_, list.get(), static_cast<int>(timeout.count())), "seek"));
  return FirstPartitionError(list.get(), "seek");
}

Status Consumer::Commit(std::span<const TopicPartitionOffset> offsets) {
  if (offsets.empty()) return Status::Ok();
  auto list = ToList(offsets);
  KAPPA_RETURN_IF_ERROR(FromKafka(rd_kafka_commit(rk_, list.get(), 0), "commit"));
  return FirstPartitionError(list.get(), "commit");
}

Result<std::vector<TopicPartitionOffset>> Consumer::Committed(
    std::span<const TopicPartitionOffset> partitions, std::chrono::milliseconds timeout) {
  auto list = ToList(partitions);
  KAPPA_RETURN_IF_ERROR(FromKafka(
      rd_kafka_committed(rk_, list.get(), static_cast<int>(timeout.count())), "committed"));
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    out.push_back({e.topic, e.partition, e.offset});
  }
  return out;
}

Result<std::vector<TopicPartitionOffset>> Consumer::Assignment() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  KAPPA_RETURN_IF_ERROR(FromKafka(rd_kafka_assignment(rk_, &raw), "assignment"));
  PartitionListHandle list(raw);
  std::vector<TopicPartitionOffset> out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition, kOffsetStored});
  }
  return out;
}

namespace {

// Errors after which asking again can succeed: the leader moved (the client
// learns the new one from fresh metadata) or is briefly unreachable.
bool WatermarksRetriable(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<Watermarks> Consumer::QueryWatermarks(const std::string& topic, int32_t partition,
                                             std::chrono::milliseconds timeout) {
  // librdkafka asks the leader it has cached and returns its error as is:
  // right after a leader move that is NOT_LEADER_FOR_PARTITION. Refresh the
  // metadata and ask again until `timeout`.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::string context = "watermarks of " + topic + " [" + std::to_string(partition) + "]";
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    Watermarks w;
    const auto err =
        rd_kafka_query_watermark_offsets(rk_, topic.c_str(), partition, &w.low, &w.high,
                                         static_cast<int>(std::max<int64_t>(left.count(), 1)));
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return w;
    if (!WatermarksRetriable(err) || std::chrono::steady_clock::now() >= deadline) {
      return FromKafka(err, context);
    }
    spdlog::debug("{}: {}; refreshing metadata and asking again", context, rd_kafka_err2str(err));
    // A metadata request for the topic makes the client learn its leaders.
    // Best effort: if it fails, the next attempt says why.
    internal::PartitionCount(rk_, topic, std::chrono::milliseconds(1000)).status().IgnoreError();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<int32_t> Consumer::PartitionCount(const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  return internal::PartitionCount(rk_, topic, timeout);
}

}  // namespace kappa::stream
