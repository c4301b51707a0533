// ModelWatcher: follows the models topic (from its beginning) and hands out
// the newest model version announced as current, verified.
//
// Every record whose `kappa.model.current` header is "true" (a train that
// promoted, `models promote`, `models rollback`) makes that version the
// candidate; the latest such record wins, whatever its version number, so a
// rollback is followed too. A candidate that fails verification
// (Model::FromArtifact: sha256, feature set, booster) is refused, logged and
// counted, and the caller keeps serving its model.
//
// Not thread-safe: one owner thread (the scoring loop polls it between
// batches).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "inference/model.h"
#include "stream/consumer.h"
#include "stream/kafka_options.h"

namespace kappa::inference {

class ModelWatcher {
 public:
  static Result<std::unique_ptr<ModelWatcher>> Start(const stream::KafkaClientOptions& client,
                                                     const std::string& topic);

  // Reads what arrived, waiting at most `wait` for a first record. Returns a
  // verified model when a version other than `serving_sha256` became
  // current, nullptr otherwise.
  Result<std::unique_ptr<Model>> PollNewCurrent(std::chrono::milliseconds wait,
                                                const std::string& serving_sha256);

  uint64_t refused() const { return refused_; }

 private:
  explicit ModelWatcher(std::unique_ptr<stream::Consumer> consumer)
      : consumer_(std::move(consumer)) {}
  std::unique_ptr<stream::Consumer> consumer_;
  uint64_t refused_ = 0;
};

}  // namespace kappa::inference
