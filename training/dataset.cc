#include "training/dataset.h"

#include <fmt/format.h>

#include "stream/event_codec.h"

namespace kappa::training {

bool InValidationSplit(int64_t passenger_id, uint32_t percent) {
  // splitmix64 finalizer: a fixed, well-mixed hash (std::hash is not
  // guaranteed stable across library versions).
  uint64_t z = static_cast<uint64_t>(passenger_id) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z % 100 < percent;
}

Result<LabeledEvents> LoadLabeledEvents(const state::EventStore& store, const std::string& topic,
                                        uint32_t validation_percent) {
  LabeledEvents out;
  stream::EventDecoder decoder;
  stream::PassengerEvent event;
  Status bad;
  KAPPA_RETURN_IF_ERROR(store.ForEachEvent(topic, [&](const state::StoredEvent& stored) {
    if (auto rejection = decoder.Decode(stored.value, &event)) {
      bad = Status::Corruption(fmt::format("stored event {} [{}] offset {} does not decode: {}",
                                           topic, stored.partition, stored.offset,
                                           rejection->reason));
      return false;
    }
    if (!event.survived) {
      ++out.unlabeled;
    } else if (InValidationSplit(event.passenger_id, validation_percent)) {
      out.validation.push_back(event);
    } else {
      out.train.push_back(event);
    }
    return true;
  }));
  if (!bad.ok()) return bad;
  return out;
}

Dataset BuildDataset(const std::vector<stream::PassengerEvent>& events,
                     const inference::FeatureTransform& transform) {
  Dataset d;
  d.features.rows = events.size();
  d.features.cols = transform.width();
  d.features.values.resize(events.size() * transform.width());
  d.labels.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    transform.Apply(events[i], d.features.row(i));
    d.labels.push_back(static_cast<float>(events[i].survived.value_or(0)));
  }
  return d;
}

}  // namespace kappa::training
