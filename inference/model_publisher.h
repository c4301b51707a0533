// PublishModel: sends a model version to the models topic, where every
// inference instance learns of it (design.md, "Model artifact").
//
// The value is EncodeModelMessage() (manifest + booster), the key the model
// name; headers say what happened:
//   kappa.model.version   decimal version
//   kappa.model.action    "published" (a new version), "promoted", "rolled-back"
//   kappa.model.current   "true" when this version is now the current one
//   kappa.model.signature with a key: the manifest's signature
//                         (model_signature.h), which watchers with the same
//                         key require; absent without a key
// The models topic has one partition, so every reader sees versions and
// promotions in the order they happened. Waits for the broker's
// acknowledgement; an unacknowledged publish is an error. `key` signs the
// record (nullptr: unsigned, as before signing existed).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "inference/model_manifest.h"
#include "inference/model_signature.h"
#include "stream/kafka_options.h"

namespace kappa::inference {

inline constexpr const char* kHeaderModelVersion = "kappa.model.version";
inline constexpr const char* kHeaderModelAction = "kappa.model.action";
inline constexpr const char* kHeaderModelCurrent = "kappa.model.current";
inline constexpr const char* kHeaderModelSignature = "kappa.model.signature";

Status PublishModel(const stream::KafkaClientOptions& client, const std::string& topic,
                    const ModelManifest& manifest, std::string_view booster_ubj,
                    std::string_view action, bool current, const ModelKey* key,
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace kappa::inference
