#include "inference/model_watcher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "inference/model_publisher.h"

namespace kappa::inference {

Result<std::unique_ptr<ModelWatcher>> ModelWatcher::Start(const stream::KafkaClientOptions& client,
                                                          const std::string& topic,
                                                          std::optional<ModelKey> key) {
  // Models are ~100 KB to a few MB per record.
  auto consumer = stream::Consumer::Create(
      {.client = stream::WithDefaults(client, {{"fetch.message.max.bytes", "67108864"},
                                               {"receive.message.max.bytes", "134217728"}})});
  if (!consumer.ok()) return consumer.status();
  auto partitions = (*consumer)->PartitionCount(topic, std::chrono::seconds(10));
  if (!partitions.ok()) return partitions.status();
  std::vector<stream::TopicPartitionOffset> assignment;
  for (int32_t p = 0; p < *partitions; ++p) {
    assignment.push_back({topic, p, stream::kOffsetBeginning});
  }
  KAPPA_RETURN_IF_ERROR((*consumer)->Assign(assignment));
  return std::unique_ptr<ModelWatcher>(
      new ModelWatcher(std::move(consumer).value(), std::move(key)));
}

Result<std::unique_ptr<Model>> ModelWatcher::PollNewCurrent(std::chrono::milliseconds wait,
                                                            const std::string& serving_sha256) {
  std::vector<stream::Message> records;
  KAPPA_RETURN_IF_ERROR(consumer_->Poll(64, wait, &records));
  // Only the latest announcement matters: verify just that one.
  const stream::Message* latest = nullptr;
  for (const auto& r : records) {
    if (r.header(kHeaderModelCurrent) == std::optional<std::string_view>("true")) latest = &r;
  }
  if (latest == nullptr) return std::unique_ptr<Model>();
  // Until the signature is verified, the version is only what the record
  // claims: good enough to name it in a message.
  std::string_view claimed = latest->header(kHeaderModelVersion).value_or(std::string_view());
  if (claimed.empty() || claimed.size() > 9 ||
      claimed.find_first_not_of("0123456789") != std::string_view::npos) {
    claimed = "?";  // not a number: keep arbitrary bytes out of the log
  }
  // A record with no value that claims to be current is as damaged as one
  // whose value does not decode.
  auto message = latest->value()
                     ? DecodeModelMessage(*latest->value(), key_ ? &*key_ : nullptr,
                                          latest->header(kHeaderModelSignature).value_or(""))
                     : Result<ModelMessage>(Status::Corruption("announcement without a value"));
  Status refused;
  if (message.ok()) {
    if (message->manifest.booster_sha256 == serving_sha256) return std::unique_ptr<Model>();
    auto model = Model::FromArtifact(std::move(message->manifest), std::move(message->booster_ubj));
    if (model.ok()) return std::move(model).value();
    refused = model.status();  // names the version already
  } else {
    refused = message.status().WithContext(fmt::format("model v{}", claimed));
  }
  ++refused_;
  spdlog::error(
      "refusing a model announced on {} at offset {}: {} (the current model keeps "
      "serving)",
      latest->topic(), latest->offset(), refused.message());
  return std::unique_ptr<Model>();
}

}  // namespace kappa::inference
