// ModelWatcher: follows the models topic (from its beginning) and hands out
// the newest model version announced as current, verified.
//
// Every record whose `kappa.model.current` header is "true" (a train that
// promoted, `models promote`, `models rollback`) makes that version the
// candidate; the latest such record wins, whatever its version number, so a
// rollback is followed too. A candidate that fails verification (with a
// ModelKey, its kappa.model.signature header first: model_signature.h; then
// Model::FromArtifact: sha256, feature set, booster) is refused, logged with
// its version and the reason, and counted, and the caller keeps serving its
// model.
//
// Not thread-safe: one owner thread (the scoring loop polls it between
// batches).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "inference/model.h"
#include "inference/model_signature.h"
#include "stream/consumer.h"
#include "stream/kafka_options.h"

namespace kappa::inference {

class ModelWatcher {
 public:
  // `key`: accept only versions signed with it; std::nullopt: accept
  // unsigned versions too (unauthenticated: anyone who can write to the
  // topic can announce a model).
  static Result<std::unique_ptr<ModelWatcher>> Start(const stream::KafkaClientOptions& client,
                                                     const std::string& topic,
                                                     std::optional<ModelKey> key);

  // Reads what arrived, waiting at most `wait` for a first record. Returns a
  // verified model when a version other than `serving_sha256` became
  // current, nullptr otherwise.
  Result<std::unique_ptr<Model>> PollNewCurrent(std::chrono::milliseconds wait,
                                                const std::string& serving_sha256);

  uint64_t refused() const { return refused_; }

 private:
  ModelWatcher(std::unique_ptr<stream::Consumer> consumer, std::optional<ModelKey> key)
      : consumer_(std::move(consumer)), key_(std::move(key)) {}
  std::unique_ptr<stream::Consumer> consumer_;
  std::optional<ModelKey> key_;
  uint64_t refused_ = 0;
};

}  // namespace kappa::inference
