#include "stream/dead_letter.h"

#include <array>
#include <charconv>

namespace kappa::stream {

DeadLetterWriter::DeadLetterWriter(Producer* producer, std::string topic, std::string stage)
    : producer_(producer), topic_(std::move(topic)), stage_(std::move(stage)) {}

Status DeadLetterWriter::Send(const SourceRecord& record, const Rejection& rejection,
                              void* opaque) {
  std::array<char, 24> partition{};
  std::array<char, 24> offset{};
  const auto p_end =
      std::to_chars(partition.data(), partition.data() + partition.size(), record.partition).ptr;
  const auto o_end = std::to_chars(offset.data(), offset.data() + offset.size(), record.offset).ptr;
  const std::array<Header, 6> headers = {{
      {kHeaderErrorKind, RejectKindName(rejection.kind)},
      {kHeaderErrorReason, rejection.reason},
      {kHeaderSourceTopic, record.topic},
      {kHeaderSourcePartition, std::string_view(partition.data(), p_end - partition.data())},
      {kHeaderSourceOffset, std::string_view(offset.data(), o_end - offset.data())},
      {kHeaderStage, stage_},
  }};
  KAPPA_RETURN_IF_ERROR(
      producer_->Send(topic_, record.key, record.value, headers, opaque).WithContext("DLQ"));
  ++sent_;
  return Status::Ok();
}

Status DeadLetterWriter::Send(const Message& m, const Rejection& rejection, void* opaque) {
  return Send({m.topic(), m.partition(), m.offset(), m.key(), m.value()}, rejection, opaque);
}

}  // namespace kappa::stream
