#include "inference/model_publisher.h"

#include <vector>

#include "inference/model.h"
#include "stream/producer.h"

namespace kappa::inference {

Status PublishModel(const stream::KafkaClientOptions& client, const std::string& topic,
                    const ModelManifest& manifest, std::string_view booster_ubj,
                    std::string_view action, bool current, const ModelKey* key,
                    std::chrono::milliseconds timeout) {
  // Boosters are ~100 KB to a few MB: compress, and allow large messages
  // (the brokers' own limit still applies; docker-compose raises it).
  auto producer = stream::Producer::Create(
      {.client = stream::WithDefaults(
           client, {{"compression.type", "zstd"}, {"message.max.bytes", "67108864"}})});
  if (!producer.ok()) return producer.status();
  // Signed and sent: the same bytes.
  const std::string json = manifest.ToJson();
  const std::string value = EncodeModelMessage(json, booster_ubj);
  const std::string version = std::to_string(manifest.version);
  const std::string signature = key != nullptr ? key->Sign(json) : "";
  std::vector<stream::Header> headers = {
      {kHeaderModelVersion, version},
      {kHeaderModelAction, action},
      {kHeaderModelCurrent, current ? "true" : "false"},
  };
  if (key != nullptr) headers.push_back({kHeaderModelSignature, signature});
  KAPPA_RETURN_IF_ERROR((*producer)->Send(topic, manifest.model_name, value, headers));
  KAPPA_RETURN_IF_ERROR((*producer)->Flush(timeout).WithContext("publishing model to " + topic));
  if ((*producer)->stats().acknowledged.load() != 1) {
    return (*producer)->first_failure().WithContext("publishing model v" + version);
  }
  return Status::Ok();
}

}  // namespace kappa::inference
