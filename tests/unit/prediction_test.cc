#include "inference/prediction.h"

#include <gtest/gtest.h>

#include <string>

namespace kappa::inference {
namespace {

TEST(PredictionTest, EncodesTheDesignFieldsAndDecodesBackExactly) {
  const Prediction p{.passenger_id = 42,
                     .survived = true,
                     .probability = 0.7281036376953125,
                     .model_version = 3,
                     .feature_set = "titanic-v2",
                     .partition = 7,
                     .offset = 123456789012};
  std::string out;
  EncodePrediction(p, &out);
  EXPECT_EQ(out,
            R"({"PassengerId":42,"survived":1,"probability":0.7281036376953125,"model_version":3,)"
            R"("feature_set":"titanic-v2","partition":7,"offset":123456789012})");
  auto back = DecodePrediction(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, p);
}

TEST(PredictionTest, RefusesWhatIsNotAPrediction) {
  for (const char* bad : {
           "not json",
           R"({"PassengerId":1})",
           R"({"PassengerId":1,"survived":2,"probability":0.5,"model_version":1,)"
           R"("feature_set":"x","partition":0,"offset":0})",
           R"({"PassengerId":1,"survived":1,"probability":0.5,"model_version":0,)"
           R"("feature_set":"x","partition":0,"offset":0})",
           R"({"PassengerId":1,"survived":1,"probability":"0.5","model_version":1,)"
           R"("feature_set":"x","partition":0,"offset":0})",
           R"({"PassengerId":1,"survived":1,"probability":0.5,"model_version":1,)"
           R"("feature_set":"x","partition":-1,"offset":0})",
       }) {
    auto p = DecodePrediction(bad);
    EXPECT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kCorruption) << bad;
  }
}

}  // namespace
}  // namespace kappa::inference
