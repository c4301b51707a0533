// The model registry on a real directory: atomic versions, the promotion
// stack, and refusal of tampered or unknown artifacts.
#include "inference/model_registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

#include "common/sha256.h"
#include "stream/passenger_generator.h"
#include "tests/support/temp_dir.h"
#include "training/dataset.h"
#include "training/fitting.h"

namespace kappa::inference {
namespace {

namespace fs = std::filesystem;

// A small real model: v1 features on generated passengers.
struct TrainedArtifact {
  ModelManifest manifest;
  std::string booster;
};

TrainedArtifact TrainSmallModel(uint64_t seed) {
  stream::PassengerGenerator gen({.seed = seed});
  std::vector<stream::PassengerEvent> train, valid;
  for (int i = 0; i < 600; ++i) {
    stream::PassengerEvent e;
    gen.Next(&e);
    (i % 5 == 0 ? valid : train).push_back(e);
  }
  const FeatureSet& set = *FindFeatureSet("titanic-v1");
  TrainedArtifact a;
  a.manifest.feature_set = "titanic-v1";
  a.manifest.feature_names = set.feature_names();
  a.manifest.feature_params = set.Fit(train);
  auto transform = set.Bind(a.manifest.feature_params);
  EXPECT_TRUE(transform.ok());
  training::FitOptions options;
  options.max_rounds = 20;
  auto fit = training::FitBooster(training::BuildDataset(train, **transform),
                                  training::BuildDataset(valid, **transform), options);
  EXPECT_TRUE(fit.ok()) << fit.status().ToString();
  a.booster = fit->booster->Serialize().value();
  a.manifest.boosted_rounds = fit->best_rounds;
  return a;
}

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = ModelRegistry::Open(dir_.File("models"));
    ASSERT_TRUE(r.ok());
    registry_ = std::move(r).value();
    artifact_ = TrainSmallModel(5);
  }
  testing::TempDir dir_;
  std::unique_ptr<ModelRegistry> registry_;
  TrainedArtifact artifact_;
};

TEST_F(ModelRegistryTest, PublishAssignsIncreasingVersionsWithChecksums) {
  auto v1 = registry_->Publish(artifact_.manifest, artifact_.booster);
  auto v2 = registry_->Publish(artifact_.manifest, artifact_.booster);
  ASSERT_TRUE(v1.ok() && v2.ok());
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v1->booster_sha256, Sha256Hex(artifact_.booster));
  EXPECT_TRUE(fs::exists(dir_.File("models/v0002/model.ubj")));
  EXPECT_EQ(registry_->Versions().value(), (std::vector<int>{1, 2}));
  auto loaded = registry_->Load(2);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->manifest(), *v2);
  EXPECT_FALSE(registry_->Current().value().has_value()) << "publishing does not promote";
}

TEST_F(ModelRegistryTest, LoadedModelsScoreWithKappasPredictorAsXgboostWould) {
  ASSERT_TRUE(registry_->Publish(artifact_.manifest, artifact_.booster).ok());
  auto model = registry_->Load(1);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_TRUE((*model)->fast_predictor());
  stream::PassengerGenerator gen({.seed = 77});
  std::vector<stream::PassengerEvent> events(3000);
  for (auto& e : events) gen.Next(&e);
  std::vector<float> scored;
  ASSERT_TRUE((*model)->Score(events, &scored).ok());
  DenseMatrix rows;
  (*model)->Features(events, &rows);
  std::vector<float> by_xgboost;
  ASSERT_TRUE(
      (*model)->booster().Predict(rows.values.data(), rows.rows, rows.cols, &by_xgboost).ok());
  EXPECT_EQ(scored, by_xgboost);
}

TEST_F(ModelRegistryTest, StrayTempDirectoriesAreIgnored) {
  fs::create_directories(dir_.File("models/.tmp-v0001-123"));
  EXPECT_TRUE(registry_->Versions().value().empty());
  EXPECT_EQ(registry_->Publish(artifact_.manifest, artifact_.booster)->version, 1);
}

TEST_F(ModelRegistryTest, PromoteAndRollbackFollowTheStack) {
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(registry_->Publish(artifact_.manifest, artifact_.booster).ok());
  EXPECT_EQ(registry_->Rollback().status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(registry_->Promote(1).ok());
  ASSERT_TRUE(registry_->Promote(3).ok());
  ASSERT_TRUE(registry_->Promote(2).ok());
  EXPECT_EQ(registry_->Current().value(), 2);
  EXPECT_EQ(registry_->Rollback().value(), 3);
  EXPECT_EQ(registry_->Rollback().value(), 1);
  EXPECT_EQ(registry_->Current().value(), 1);
  auto none = registry_->Rollback();
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("nothing to roll back to"), std::string::npos);
  EXPECT_EQ(registry_->Promote(9).code(), StatusCode::kNotFound);
}

TEST_F(ModelRegistryTest, TamperedBoosterIsRefusedAndCannotBePromoted) {
  ASSERT_TRUE(registry_->Publish(artifact_.manifest, artifact_.booster).ok());
  {
    std::fstream f(dir_.File("models/v0001/model.ubj"),
                   std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('#');
  }
  auto loaded = registry_->Load(1);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(loaded.status().message().find("sha256"), std::string::npos);
  EXPECT_FALSE(registry_->Promote(1).ok());
  EXPECT_FALSE(registry_->Current().value().has_value());
}

TEST_F(ModelRegistryTest, UnknownFeatureSetIsRefusedWithTheKnownNames) {
  auto m = artifact_.manifest;
  m.feature_set = "titanic-v9";
  m.booster_sha256 = Sha256Hex(artifact_.booster);
  auto model = Model::FromArtifact(m, artifact_.booster);
  ASSERT_FALSE(model.ok());
  EXPECT_NE(model.status().message().find("unknown feature set 'titanic-v9'"), std::string::npos);
  EXPECT_NE(model.status().message().find("titanic-v1"), std::string::npos);
}

TEST_F(ModelRegistryTest, UnreadableBoosterAndWrongWidthAreRefused) {
  auto m = artifact_.manifest;
  const std::string garbage = "this is not a booster";
  m.booster_sha256 = Sha256Hex(garbage);
  EXPECT_FALSE(Model::FromArtifact(m, garbage).ok());
  // A v1 booster (6 inputs) presented as titanic-v2 (12 inputs).
  auto v2 = artifact_.manifest;
  const FeatureSet& set = *FindFeatureSet("titanic-v2");
  v2.feature_set = "titanic-v2";
  v2.feature_names = set.feature_names();
  v2.feature_params = set.Fit({});
  v2.booster_sha256 = Sha256Hex(artifact_.booster);
  auto wrong = Model::FromArtifact(v2, artifact_.booster);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("features"), std::string::npos);
}

TEST_F(ModelRegistryTest, TruncatedManifestIsRefused) {
  ASSERT_TRUE(registry_->Publish(artifact_.manifest, artifact_.booster).ok());
  fs::resize_file(dir_.File("models/v0001/manifest.json"), 100);
  auto loaded = registry_->Load(1);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kCorruption);
}

TEST_F(ModelRegistryTest, ImportKeepsTheVersionNumberAndDetectsConflicts) {
  auto m = artifact_.manifest;
  m.version = 12;
  m.booster_sha256 = Sha256Hex(artifact_.booster);
  ASSERT_TRUE(registry_->Import(m.ToJson(), "", artifact_.booster).ok());
  EXPECT_TRUE(registry_->Import(m.ToJson(), "", artifact_.booster).ok()) << "same artifact again";
  EXPECT_EQ(registry_->Versions().value(), std::vector<int>{12});
  const auto other = TrainSmallModel(99);
  auto m2 = m;
  m2.booster_sha256 = Sha256Hex(other.booster);
  auto conflict = registry_->Import(m2.ToJson(), "", other.booster);
  EXPECT_EQ(conflict.code(), StatusCode::kCorruption);
}

// Signed registries (model_signature.h): what a key holder stores verifies
// with that key only, and nothing unsigned or altered is loaded, promoted,
// rolled back to or imported.
class SignedModelRegistryTest : public ModelRegistryTest {
 protected:
  static ModelKey Key(char fill) { return ModelKey::FromSecret(std::string(40, fill)).value(); }
  std::unique_ptr<ModelRegistry> Registry(std::optional<ModelKey> key) {
    return ModelRegistry::Open(dir_.File("models"), std::move(key)).value();
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void Write(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  }
  static void Replace(const std::string& path, const std::string& from, const std::string& to) {
    std::string text = Read(path);
    const auto at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
    Write(path, text);
  }
  static bool Says(const Status& s, std::string_view text) {
    return s.message().find(text) != std::string::npos;
  }
};

TEST_F(SignedModelRegistryTest, AVersionSignedWithKeyAVerifiesWithKeyAOnly) {
  auto a = Registry(Key('a'));
  ASSERT_TRUE(a->Publish(artifact_.manifest, artifact_.booster).ok());
  EXPECT_EQ(a->ReadSignature(1).value().rfind("hmac-sha256 " + Key('a').id() + " ", 0), 0u);
  auto loaded = a->Load(1);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(a->Promote(1).ok());

  auto b = Registry(Key('b'));
  auto refused = b->Load(1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Says(refused.status(), "model v1")) << refused.status().message();
  EXPECT_TRUE(Says(refused.status(), "signed with another key")) << refused.status().message();
  EXPECT_FALSE(b->Promote(1).ok());
  EXPECT_FALSE(b->ReadManifest(1).ok());
  EXPECT_TRUE(b->InspectManifest(1).ok()) << "still shown by `models show`";
  // Without a key, a signed version loads as before (integrity only).
  EXPECT_TRUE(Registry(std::nullopt)->Load(1).ok());
}

TEST_F(SignedModelRegistryTest, UnsignedVersionsAreRefusedWhenAKeyIsConfigured) {
  auto unsigned_registry = Registry(std::nullopt);
  ASSERT_TRUE(unsigned_registry->Publish(artifact_.manifest, artifact_.booster).ok());
  EXPECT_FALSE(fs::exists(dir_.File("models/v0001/manifest.sig")));
  ASSERT_TRUE(unsigned_registry->Promote(1).ok());
  auto keyed = Registry(Key('a'));
  ASSERT_TRUE(keyed->Publish(artifact_.manifest, artifact_.booster).ok());
  ASSERT_TRUE(keyed->Promote(2).ok());

  auto refused = keyed->Load(1);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Says(refused.status(), "model v1")) << refused.status().message();
  EXPECT_TRUE(Says(refused.status(), "unsigned")) << refused.status().message();
  EXPECT_FALSE(keyed->Promote(1).ok());
  // Rolling back to the unsigned v1 is refused and leaves v2 current.
  auto rollback = keyed->Rollback();
  ASSERT_FALSE(rollback.ok());
  EXPECT_TRUE(Says(rollback.status(), "unsigned")) << rollback.status().message();
  EXPECT_EQ(keyed->Current().value(), 2);
}

TEST_F(SignedModelRegistryTest, TamperedManifestOrBoosterIsRefused) {
  auto keyed = Registry(Key('a'));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(keyed->Publish(artifact_.manifest, artifact_.booster).ok());
  }
  // v1: a changed value in the manifest, which still parses and loads
  // without a key.
  Replace(dir_.File("models/v0001/manifest.json"), "\"boosted_rounds\":", "\"boosted_rounds\":1");
  EXPECT_TRUE(Registry(std::nullopt)->Load(1).ok()) << "only the signature catches this";
  auto manifest = keyed->Load(1);
  ASSERT_FALSE(manifest.ok());
  EXPECT_TRUE(Says(manifest.status(), "altered after it was signed"))
      << manifest.status().message();
  // v2: another booster, with its sha256 written into the manifest, as an
  // attacker who can write the directory would.
  const auto other = TrainSmallModel(99);
  Write(dir_.File("models/v0002/model.ubj"), other.booster);
  Replace(dir_.File("models/v0002/manifest.json"), Sha256Hex(artifact_.booster),
          Sha256Hex(other.booster));
  auto booster = keyed->Load(2);
  ASSERT_FALSE(booster.ok());
  EXPECT_TRUE(Says(booster.status(), "altered after it was signed")) << booster.status().message();
  // v3: the booster alone replaced: the signed sha256 no longer matches.
  Write(dir_.File("models/v0003/model.ubj"), other.booster);
  auto swapped = keyed->Load(3);
  ASSERT_FALSE(swapped.ok());
  EXPECT_TRUE(Says(swapped.status(), "sha256")) << swapped.status().message();
  // v1's signature copied onto v2's (tampered) manifest does not help.
  Write(dir_.File("models/v0002/manifest.sig"), Read(dir_.File("models/v0001/manifest.sig")));
  EXPECT_FALSE(keyed->Load(2).ok());
}

TEST_F(SignedModelRegistryTest, ImportStoresTheSignedBytesAndRefusesUnsignedOnes) {
  auto keyed = Registry(Key('a'));
  auto m = artifact_.manifest;
  m.version = 7;
  m.booster_sha256 = Sha256Hex(artifact_.booster);
  const std::string json = m.ToJson();
  auto unsigned_import = keyed->Import(json, "", artifact_.booster);
  EXPECT_TRUE(Says(unsigned_import, "unsigned")) << unsigned_import.message();
  EXPECT_FALSE(keyed->Import(json, Key('b').Sign(json), artifact_.booster).ok());
  EXPECT_TRUE(keyed->Versions().value().empty()) << "nothing refused was stored";
  ASSERT_TRUE(keyed->Import(json, Key('a').Sign(json), artifact_.booster).ok());
  EXPECT_EQ(Read(dir_.File("models/v0007/manifest.json")), json);
  EXPECT_TRUE(keyed->Load(7).ok());
}

}  // namespace
}  // namespace kappa::inference
