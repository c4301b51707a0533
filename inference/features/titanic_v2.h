#pragma once
#include "inference/feature_set.h"
namespace kappa::inference::features {
const FeatureSet& TitanicV2();
}
