// The manifest's JSON form: exact round trip, and refusal of damaged input.
#include "inference/model_manifest.h"

#include <gtest/gtest.h>

#include "inference/model.h"

namespace kappa::inference {
namespace {

ModelManifest Sample() {
  ModelManifest m;
  m.version = 7;
  m.created_ms = 1700000000123;
  m.feature_set = "titanic-v1";
  m.feature_names = {"Pclass", "Sex", "Age", "SibSp", "Parch", "Fare"};
  m.feature_params = {{"age_impute", 28.5}, {"age_mean", 29.699}, {"age_std", 13.002}};
  m.xgboost_params = {{"max_depth", "4"}, {"eta", "0.1"}};
  m.boosted_rounds = 42;
  m.provenance.topic = "titanic-events";
  m.provenance.partitions = {{0, 0, 1200, 1190}, {1, 17, 900, 880}};
  m.provenance.events_in_state = 2070;
  m.provenance.labeled_events = 2000;
  m.provenance.unlabeled_events = 70;
  m.provenance.dead_lettered = 30;
  m.provenance.train_rows = 1600;
  m.provenance.validation_rows = 400;
  m.metrics = {{"accuracy", 0.8125}, {"roc_auc", 0.871}, {"tp", 120}};
  m.feature_importance = {{"Sex", 0.41}, {"Pclass", 0.2}};
  m.booster_sha256 = std::string(64, 'a');
  return m;
}

TEST(ModelManifestTest, JsonRoundTripIsExact) {
  const ModelManifest m = Sample();
  auto back = ModelManifest::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(ModelManifestTest, MissingOrMistypedFieldsAreCorruptionNamingTheField) {
  std::string json = Sample().ToJson();
  auto without_sha = json;
  without_sha.replace(without_sha.find("\"booster_sha256\""), 16, "\"booster_shaXXX\"");
  auto r = ModelManifest::FromJson(without_sha);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("booster_sha256"), std::string::npos);

  auto bad_type = json;
  bad_type.replace(bad_type.find("\"version\":7"), 11, "\"version\":\"7\"");
  r = ModelManifest::FromJson(bad_type);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("version"), std::string::npos);

  auto bad_partition = json;
  bad_partition.replace(bad_partition.find("\"end_offset\":1200"), 17, "\"end_offset\":null");
  r = ModelManifest::FromJson(bad_partition);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("provenance.partitions[].end_offset"), std::string::npos)
      << r.status().message();

  EXPECT_FALSE(ModelManifest::FromJson(json.substr(0, json.size() / 2)).ok()) << "truncated";
  EXPECT_FALSE(ModelManifest::FromJson("[]").ok());
  EXPECT_FALSE(ModelManifest::FromJson("").ok());
  auto future = json;
  future.replace(future.find("\"format\":1"), 10, "\"format\":9");
  r = ModelManifest::FromJson(future);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("format 9"), std::string::npos);
}

TEST(ModelMessageTest, EncodeDecodeRoundTripAndFramingErrors) {
  const ModelManifest m = Sample();
  const std::string booster("\x00\x01ubj-bytes\xff", 13);
  auto decoded = DecodeModelMessage(EncodeModelMessage(m, booster));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->manifest, m);
  EXPECT_EQ(decoded->booster_ubj, booster);
  EXPECT_FALSE(DecodeModelMessage("hello").ok());
  EXPECT_FALSE(DecodeModelMessage("KAPPA-MODEL 1\n99999\n{}").ok()) << "length beyond the value";
  EXPECT_FALSE(DecodeModelMessage("KAPPA-MODEL 1\nabc\n{}").ok());
}

}  // namespace
}  // namespace kappa::inference
