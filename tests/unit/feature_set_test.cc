// Feature sets: fitted parameters, imputation, binding, the registry of names.
#include "inference/feature_set.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kappa::inference {
namespace {

using stream::PassengerEvent;
using stream::Sex;

PassengerEvent Passenger(int64_t id, int pclass, Sex sex, std::optional<double> age,
                         std::optional<double> fare, std::string name) {
  PassengerEvent e;
  e.passenger_id = id;
  e.pclass = pclass;
  e.sex = sex;
  e.age = age;
  e.fare = fare;
  e.sib_sp = 1;
  e.parch = 0;
  e.name = std::move(name);
  e.survived = 1;
  return e;
}

std::vector<float> Row(const FeatureTransform& t, const PassengerEvent& e) {
  std::vector<float> row(t.width());
  t.Apply(e, row.data());
  return row;
}

TEST(FeatureSetTest, RegistryKnowsBothSetsAndRefusesUnknownNames) {
  ASSERT_NE(FindFeatureSet("titanic-v1"), nullptr);
  ASSERT_NE(FindFeatureSet("titanic-v2"), nullptr);
  EXPECT_EQ(FindFeatureSet("titanic-v9"), nullptr);
  auto missing = RequireFeatureSet("titanic-v9");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("titanic-v1, titanic-v2"), std::string::npos);
}

TEST(FeatureSetTest, V1ImputesMedianThenStandardizesLikeTheSeed) {
  const FeatureSet& v1 = *FindFeatureSet("titanic-v1");
  const std::vector<PassengerEvent> train = {
      Passenger(1, 3, Sex::kMale, 20, 10, "A, Mr. B"),
      Passenger(2, 1, Sex::kFemale, 40, 30, "C, Mrs. D"),
      Passenger(3, 2, Sex::kMale, std::nullopt, std::nullopt, "E, Mr. F"),
  };
  const FeatureParams p = v1.Fit(train);
  EXPECT_DOUBLE_EQ(p.at("age_impute"), 30.0);  // median of 20, 40
  EXPECT_DOUBLE_EQ(p.at("fare_impute"), 20.0);
  EXPECT_DOUBLE_EQ(p.at("age_mean"), 30.0);  // over 20, 40, 30 (imputed)
  EXPECT_NEAR(p.at("age_std"), std::sqrt(200.0 / 3), 1e-12);
  auto t = v1.Bind(p);
  ASSERT_TRUE(t.ok());
  const auto row = Row(**t, train[1]);
  ASSERT_EQ(row.size(), 6u);
  EXPECT_EQ(row[0], 1.0f);  // Pclass
  EXPECT_EQ(row[1], 0.0f);  // female
  EXPECT_NEAR(row[2], (40 - 30) / std::sqrt(200.0 / 3), 1e-6);
  EXPECT_EQ(row[3], 1.0f);
  EXPECT_EQ(row[4], 0.0f);
  const auto missing = Row(**t, train[2]);
  EXPECT_NEAR(missing[2], 0.0f, 1e-6) << "imputed age is the mean here";
}

TEST(FeatureSetTest, V1FitOnNoDataFallsBackToDefaults) {
  const FeatureSet& v1 = *FindFeatureSet("titanic-v1");
  const FeatureParams p = v1.Fit({});
  EXPECT_DOUBLE_EQ(p.at("age_impute"), 28.0);
  EXPECT_DOUBLE_EQ(p.at("age_std"), 1.0);
  EXPECT_TRUE(v1.Bind(p).ok());
}

TEST(FeatureSetTest, BindRefusesMissingOrBrokenParameters) {
  const FeatureSet& v1 = *FindFeatureSet("titanic-v1");
  const std::vector<PassengerEvent> one = {Passenger(1, 3, Sex::kMale, 20, 10, "A, Mr. B")};
  FeatureParams p = v1.Fit(one);
  p.erase("fare_mean");
  auto t = v1.Bind(p);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kCorruption);
  EXPECT_NE(t.status().message().find("fare_mean"), std::string::npos);
  FeatureParams nan = v1.Fit({});
  nan["age_mean"] = std::nan("");
  EXPECT_FALSE(v1.Bind(nan).ok());
  const FeatureSet& v2 = *FindFeatureSet("titanic-v2");
  FeatureParams bad_port = v2.Fit({});
  bad_port["embarked_mode"] = 7;
  EXPECT_FALSE(v2.Bind(bad_port).ok());
}

TEST(FeatureSetTest, V2DerivesTitleFamilyAndImputesAgeByTitle) {
  const FeatureSet& v2 = *FindFeatureSet("titanic-v2");
  std::vector<PassengerEvent> train = {
      Passenger(1, 3, Sex::kMale, 4, 20, "Palsson, Master. Gosta Leonard"),
      Passenger(2, 3, Sex::kMale, 6, 20, "Rice, Master. Eugene"),
      Passenger(3, 1, Sex::kMale, 40, 50, "Braund, Mr. Owen Harris"),
      Passenger(4, 1, Sex::kFemale, 30, 80, "Cumings, Mrs. John Bradley (Florence)"),
      Passenger(5, 2, Sex::kMale, 50, 13, "Byles, Rev. Thomas Roussel Davids"),
  };
  train[3].embarked = 'C';
  train[2].embarked = 'C';
  train[0].embarked = 'S';
  const FeatureParams p = v2.Fit(train);
  EXPECT_DOUBLE_EQ(p.at("age_median.Master"), 5.0);
  EXPECT_DOUBLE_EQ(p.at("age_median.Mr"), 40.0);
  EXPECT_DOUBLE_EQ(p.at("age_median.Miss"), p.at("age_median")) << "no Miss: overall median";
  EXPECT_DOUBLE_EQ(p.at("embarked_mode"), 1.0) << "C is the most common port here";
  auto t = v2.Bind(p);
  ASSERT_TRUE(t.ok());
  auto boy = Passenger(9, 3, Sex::kMale, std::nullopt, 21, "Smith, Master. John");
  boy.sib_sp = 2;
  boy.parch = 1;
  const auto row = Row(**t, boy);
  ASSERT_EQ(row.size(), 12u);
  EXPECT_EQ(row[2], 5.0f) << "a Master without age gets the Masters' median";
  EXPECT_EQ(row[6], 3.0f) << "Title code of Master";
  EXPECT_EQ(row[7], 4.0f) << "FamilySize = 2 + 1 + 1";
  EXPECT_EQ(row[8], 0.0f) << "not alone";
  EXPECT_EQ(row[9], 1.0f) << "missing Embarked -> mode C";
  EXPECT_EQ(row[10], 21.0f / 4) << "fare per person";
  EXPECT_EQ(row[11], 0.0f) << "no cabin";
  auto rare = Passenger(10, 1, Sex::kFemale, 33, 10, "Rothes, the Countess. of (Lucy)");
  rare.cabin = "B77";
  const auto rare_row = Row(**t, rare);
  EXPECT_EQ(rare_row[6], 4.0f) << "rare title";
  EXPECT_EQ(rare_row[11], 1.0f) << "cabin known";
  auto nameless = Passenger(11, 2, Sex::kMale, 30, 10, "");
  nameless.name.reset();
  EXPECT_TRUE(std::isnan(Row(**t, nameless)[6])) << "no name: title missing";
}

TEST(FeatureSetTest, FeatureNamesMatchRowWidth) {
  for (const FeatureSet* set : AllFeatureSets()) {
    auto t = set->Bind(set->Fit({}));
    ASSERT_TRUE(t.ok()) << set->name();
    EXPECT_EQ((*t)->width(), set->feature_names().size()) << set->name();
  }
}

}  // namespace
}  // namespace kappa::inference
