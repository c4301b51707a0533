#include "inference/model_publisher.h"

#include <array>

#include "inference/model.h"
#include "stream/producer.h"

namespace kappa::inference {

Status PublishModel(const stream::KafkaClientOptions& client, const std::string& topic,
                    const ModelManifest& manifest, std::string_view booster_ubj,
                    std::string_view action, bool current, std::chrono::milliseconds timeout) {
  // Boosters are ~100 KB to a few MB: compress, and allow large messages
  // (the brokers' own limit still applies; docker-compose raises it).
  auto producer = stream::Producer::Create(
      {.client = stream::WithDefaults(
           client, {{"compression.type", "zstd"}, {"message.max.bytes", "67108864"}})});
  if (!producer.ok()) return producer.status();
  const std::string value = EncodeModelMessage(manifest, booster_ubj);
  const std::string version = std::to_string(manifest.version);
  const std::array<stream::Header, 3> headers = {{
      {kHeaderModelVersion, version},
      {kHeaderModelAction, action},
      {kHeaderModelCurrent, current ? "true" : "false"},
  }};
  KAPPA_RETURN_IF_ERROR((*producer)->Send(topic, manifest.model_name, value, headers));
  KAPPA_RETURN_IF_ERROR((*producer)->Flush(timeout).WithContext("publishing model to " + topic));
  if ((*producer)->stats().acknowledged.load() != 1) {
    return (*producer)->first_failure().WithContext("publishing model v" + version);
  }
  return Status::Ok();
}

}  // namespace kappa::inference
