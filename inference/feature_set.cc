#include "inference/feature_set.h"

#include <array>

#include "inference/features/titanic_v1.h"
#include "inference/features/titanic_v2.h"

namespace kappa::inference {
namespace {

// Every feature set of this build. To add one: write
// inference/features/<name>.cc (see titanic_v2.cc), list it here and in
// inference/CMakeLists.txt.
const std::array<const FeatureSet*, 2>& Table() {
  static const std::array<const FeatureSet*, 2> table = {
      &features::TitanicV1(),
      &features::TitanicV2(),
  };
  return table;
}

}  // namespace

const FeatureSet* FindFeatureSet(std::string_view name) {
  for (const FeatureSet* set : Table()) {
    if (set->name() == name) return set;
  }
  return nullptr;
}

std::span<const FeatureSet* const> AllFeatureSets() { return Table(); }

std::string KnownFeatureSetNames() {
  std::string names;
  for (const FeatureSet* set : Table()) {
    if (!names.empty()) names += ", ";
    names += set->name();
  }
  return names;
}

Result<const FeatureSet*> RequireFeatureSet(std::string_view name) {
  if (const FeatureSet* set = FindFeatureSet(name)) return set;
  return Status::InvalidArgument("unknown feature set '" + std::string(name) +
                                 "' (this build knows " + KnownFeatureSetNames() + ")");
}

}  // namespace kappa::inference
