// Building training data from state: the labeled events, split into train
// and validation deterministically by a hash of PassengerId (so a passenger
// seen twice is always on the same side: no leakage), and turned into
// feature rows with a FeatureSet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "inference/feature_set.h"
#include "state/event_store.h"
#include "stream/passenger_event.h"
#include "training/fitting.h"

namespace kappa::training {

struct LabeledEvents {
  std::vector<stream::PassengerEvent> train;
  std::vector<stream::PassengerEvent> validation;
  uint64_t unlabeled = 0;  // valid events without Survived (not used)
};

// True when `passenger_id` belongs to the validation split of `percent`%.
bool InValidationSplit(int64_t passenger_id, uint32_t percent);

// Reads every stored event of `topic` and splits the labeled ones.
// Corruption when a stored event no longer decodes (state damaged).
Result<LabeledEvents> LoadLabeledEvents(const state::EventStore& store, const std::string& topic,
                                        uint32_t validation_percent);

// Feature rows and labels of `events` (all labeled) through `transform`.
Dataset BuildDataset(const std::vector<stream::PassengerEvent>& events,
                     const inference::FeatureTransform& transform);

}  // namespace kappa::training
