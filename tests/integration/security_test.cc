// Issue 8, security, on the embedded broker: signed model artifacts (a
// writer of titanic-models or the models directory without the key cannot
// take over inference) and secrets that never reach logs or /metrics.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/stat.h>

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "inference/live_scorer.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "inference/model_signature.h"
#include "inference/model_watcher.h"
#include "monitoring/metrics_server.h"
#include "monitoring/scoring_metrics.h"
#include "stream/passenger_publisher.h"
#include "tests/support/http.h"
#include "tests/support/scoring_fixture.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "training/train_job.h"

namespace kappa {
namespace {

const std::string kSecretA = "a7f3c1d9e8b24f6a0c5d7e9f1a3b5c7d";  // 32 bytes
const std::string kSecretB = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";

inference::ModelKey KeyA() { return inference::ModelKey::FromSecret(kSecretA).value(); }
inference::ModelKey KeyB() { return inference::ModelKey::FromSecret(kSecretB).value(); }

// Writes `secret` to `path` with `mode`, as `openssl rand -hex 16 > path` would.
std::string WriteKeyFile(const std::string& path, const std::string& secret, mode_t mode = 0600) {
  std::ofstream(path, std::ios::trunc) << secret << "\n";
  ::chmod(path.c_str(), mode);
  return path;
}

bool Has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

class SignedModelsTest : public testing::ScoringTest {
 protected:
  // v2 (titanic-v2), stored in models_dir() signed with key A and loaded
  // back through a registry with that key.
  std::unique_ptr<inference::Model> TrainSignedV2() {
    training::TrainJobOptions train;
    train.state_dir = dir_.File("state");
    train.models_dir = models_dir();
    train.feature_set = "titanic-v2";
    train.fit.max_rounds = 40;
    train.promote = false;
    train.publish = false;
    train.model_key = KeyA();
    auto v2 = training::RunTrainJob(Client(), train);
    EXPECT_TRUE(v2.ok()) << v2.status().ToString();
    auto model = inference::ModelRegistry::Open(models_dir(), KeyA()).value()->Load(2);
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    return model.ok() ? std::move(model).value() : nullptr;
  }

  // A models-topic record announcing `model` as current, with the manifest
  // bytes replaced by `manifest_json` after `signature` was made: what
  // someone who can write to the topic, but has no key, can send.
  void SendRaw(const inference::Model& model, const std::string& manifest_json,
               const std::string& signature) {
    auto producer = MakeProducer({{"message.max.bytes", "67108864"}});
    const std::string version = std::to_string(model.version());
    const std::array<stream::Header, 4> headers = {{
        {inference::kHeaderModelVersion, version},
        {inference::kHeaderModelAction, "promoted"},
        {inference::kHeaderModelCurrent, "true"},
        {inference::kHeaderModelSignature, signature},
    }};
    ASSERT_TRUE(producer
                    ->Send("titanic-models", "titanic",
                           inference::EncodeModelMessage(manifest_json, model.booster_bytes()),
                           headers)
                    .ok());
    ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  }
};

// Every way to announce a model without key A is refused and counted, one
// at a time; the genuine announcement is then followed.
TEST_F(SignedModelsTest, WatcherWithAKeyAcceptsOnlyAnnouncementsSignedWithIt) {
  auto watcher = inference::ModelWatcher::Start(Client(), "titanic-models", KeyA()).value();
  const auto key_a = KeyA();
  const auto key_b = KeyB();
  const auto& manifest = model_->manifest();
  const std::string json = manifest.ToJson();
  std::string other_booster = model_->booster_bytes();
  other_booster[other_booster.size() / 2] ^= 0x5a;
  std::string altered = json;
  const auto rounds = altered.find("\"boosted_rounds\":");
  ASSERT_NE(rounds, std::string::npos);
  altered.insert(rounds + std::string_view("\"boosted_rounds\":").size(), "1");

  const std::vector<std::pair<std::string, std::function<void()>>> attacks = {
      {"unsigned",
       [&] {
         ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest,
                                             model_->booster_bytes(), "promoted", true, nullptr)
                         .ok());
       }},
      {"signed with key B",
       [&] {
         ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest,
                                             model_->booster_bytes(), "promoted", true, &key_b)
                         .ok());
       }},
      {"manifest altered after signing", [&] { SendRaw(*model_, altered, key_a.Sign(json)); }},
      {"booster swapped under a signed manifest",
       [&] {
         ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, other_booster,
                                             "promoted", true, &key_a)
                         .ok());
       }},
  };
  uint64_t refused = 0;
  for (const auto& [what, attack] : attacks) {
    attack();
    ++refused;
    ASSERT_TRUE(testing::Eventually(
        [&] {
          auto r = watcher->PollNewCurrent(std::chrono::milliseconds(100), "");
          EXPECT_TRUE(r.ok() && *r == nullptr) << what << ": accepted";
          return watcher->refused() >= refused;
        },
        std::chrono::seconds(20)))
        << what << ": not refused";
    EXPECT_EQ(watcher->refused(), refused) << what;
  }

  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", manifest, model_->booster_bytes(),
                                      "promoted", true, &key_a)
                  .ok());
  std::unique_ptr<inference::Model> got;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        auto r = watcher->PollNewCurrent(std::chrono::milliseconds(100), "");
        if (r.ok() && *r) got = std::move(r).value();
        return got != nullptr;
      },
      std::chrono::seconds(20)));
  EXPECT_EQ(got->version(), 1);
  EXPECT_EQ(watcher->refused(), refused);
}

// Live inference with key A: refused announcements are counted in
// kappa_model_reload_failures_total while the serving model keeps scoring;
// the version signed with key A is then swapped in.
TEST_F(SignedModelsTest, InferKeepsServingItsModelAndCountsRefusedVersions) {
  auto v2 = TrainSignedV2();
  ASSERT_NE(v2, nullptr);
  ASSERT_EQ(v2->version(), 2);
  auto server = monitoring::MetricsServer::Start({}).value();
  monitoring::ScoringMetrics metrics(server->registry());
  auto watcher = inference::ModelWatcher::Start(Client(), "titanic-models", KeyA());
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  inference::LiveScorer scorer(Client(), {.group_id = "signed-reload", .max_batch = 200}, &metrics);
  std::atomic<bool> stop{false};
  Result<inference::ScoringSummary> summary = Status::Internal("not run");
  std::thread runner([&] {
    summary = scorer.Run(std::move(model_), watcher->get(), [&] { return stop.load(); });
  });
  ASSERT_TRUE(testing::Eventually([&] { return metrics.processed.Value() >= kEvents; },
                                  std::chrono::seconds(60)));

  const auto key_b = KeyB();
  const std::string json = v2->manifest().ToJson();
  std::string altered = json;
  altered.insert(altered.find("\"boosted_rounds\":") + 17, "1");
  const std::vector<std::function<void()>> attacks = {
      [&] {
        ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", v2->manifest(),
                                            v2->booster_bytes(), "promoted", true, nullptr)
                        .ok());
      },
      [&] {
        ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", v2->manifest(),
                                            v2->booster_bytes(), "promoted", true, &key_b)
                        .ok());
      },
      [&] { SendRaw(*v2, altered, KeyA().Sign(json)); },
  };
  double expected_failures = 0;
  for (const auto& attack : attacks) {
    attack();
    ++expected_failures;
    ASSERT_TRUE(
        testing::Eventually([&] { return metrics.reload_failures.Value() >= expected_failures; },
                            std::chrono::seconds(30)));
  }
  EXPECT_EQ(metrics.reload_failures.Value(), 3.0);
  EXPECT_EQ(metrics.reloads.Value(), 0.0);
  EXPECT_EQ(metrics.model_version.Value(), 1.0);

  // v1 keeps scoring new events.
  constexpr uint64_t kMore = 500;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 23, .first_id = 100000});
  ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = kMore},
                                      [] { return false; })
                .acknowledged,
            kMore);
  ASSERT_TRUE(testing::Eventually([&] { return metrics.processed.Value() >= kEvents + kMore; },
                                  std::chrono::seconds(60)));

  // The version signed with key A is followed.
  const auto key_a = KeyA();
  ASSERT_TRUE(inference::PublishModel(Client(), "titanic-models", v2->manifest(),
                                      v2->booster_bytes(), "promoted", true, &key_a)
                  .ok());
  ASSERT_TRUE(
      testing::Eventually([&] { return metrics.reloads.Value() >= 1; }, std::chrono::seconds(30)));
  stop = true;
  runner.join();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->scored, kEvents + kMore);
  EXPECT_EQ(metrics.model_version.Value(), 2.0);
  EXPECT_EQ(metrics.reload_failures.Value(), 3.0);

  simdjson::dom::parser parser;
  size_t new_alerts = 0;
  for (const auto& a : ReadTopic("titanic-alerts", summary->alerts)) {
    simdjson::dom::element doc = parser.parse(*a.value);
    EXPECT_EQ(static_cast<int64_t>(doc["model_version"].get_int64()), 1)
        << "no alert from a refused version";
    if (doc["PassengerId"].get_int64().value() >= 100000) ++new_alerts;
  }
  EXPECT_GT(new_alerts, 0u) << "the events produced after the refusals were scored by v1";
}

// The real binary: a key file, train signing, models and infer verifying,
// from the directory and from the topic.
TEST_F(SignedModelsTest, CommandsSignAndVerifyWithTheKeyFile) {
  const std::string key_a = WriteKeyFile(dir_.File("a.key"), kSecretA);
  const std::string key_b = WriteKeyFile(dir_.File("b.key"), kSecretB);
  const std::string signed_models = dir_.File("signed-models");
  auto kappa = [&](std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {testing::KappaBinary()});
    return testing::RunProcess(args, "", std::chrono::seconds(120), env);
  };

  // Key files that are refused, with a one-line reason and exit 2.
  const std::string readable = WriteKeyFile(dir_.File("readable.key"), kSecretA, 0644);
  const auto open_key =
      kappa({"models", "list", "--models-dir", signed_models, "--model-key-file", readable});
  EXPECT_EQ(open_key.exit_code, 2) << open_key.err;
  EXPECT_TRUE(Has(open_key.err, "chmod 600")) << open_key.err;
  const auto short_key = kappa({"models", "list", "--models-dir", signed_models, "--model-key-file",
                                WriteKeyFile(dir_.File("short.key"), "abc")});
  EXPECT_EQ(short_key.exit_code, 2) << short_key.err;
  EXPECT_TRUE(Has(short_key.err, "at least 32")) << short_key.err;
  const auto missing = kappa({"train", "-b", bootstrap(), "--models-dir", signed_models,
                              "--model-key-file", dir_.File("none.key")});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(signed_models + "/v0001")) << "nothing trained";

  // train signs what it stores and what it publishes (key from the environment).
  const auto train = kappa({"train", "-b", bootstrap(), "--state-dir", dir_.File("cli-state"),
                            "--models-dir", signed_models, "--rounds", "30", "--metrics-port", "0"},
                           {{"KAPPA_MODEL_KEY_FILE", key_a}});
  ASSERT_EQ(train.exit_code, 0) << train.err;
  EXPECT_TRUE(Has(train.err, "key id " + KeyA().id())) << train.err;
  EXPECT_FALSE(Has(train.err, kSecretA));
  EXPECT_TRUE(std::filesystem::exists(signed_models + "/v0001/manifest.sig"));
  const auto announced = ReadTopic("titanic-models", 1);
  ASSERT_EQ(announced.size(), 1u);
  EXPECT_EQ(announced[0]
                .Header(inference::kHeaderModelSignature)
                .value_or("")
                .rfind("hmac-sha256 " + KeyA().id(), 0),
            0u);

  const auto show_a =
      kappa({"models", "show", "1", "--models-dir", signed_models, "--model-key-file", key_a});
  EXPECT_EQ(show_a.exit_code, 0) << show_a.err;
  EXPECT_TRUE(Has(show_a.out, "verified      yes\n")) << show_a.out;
  EXPECT_TRUE(Has(show_a.out, "signature     hmac-sha256, key id " + KeyA().id())) << show_a.out;
  const auto show_b =
      kappa({"models", "show", "1", "--models-dir", signed_models, "--model-key-file", key_b});
  EXPECT_TRUE(Has(show_b.out, "signed with another key")) << show_b.out;
  const auto promote_b = kappa({"models", "promote", "1", "--no-publish", "--models-dir",
                                signed_models, "--model-key-file", key_b});
  EXPECT_EQ(promote_b.exit_code, 1) << promote_b.err;
  EXPECT_TRUE(Has(promote_b.err, "model v1")) << promote_b.err;

  auto infer = [&](const std::string& models, const std::string& key, const std::string& group) {
    return kappa({"infer", "-b", bootstrap(), "--models-dir", models, "--model-key-file", key,
                  "--until-end", "--metrics-port", "0", "-X", "group.id=" + group});
  };
  // Another key, or an unsigned registry (the fixture's v1): infer does not start.
  const auto wrong_key = infer(signed_models, key_b, "signed-b");
  EXPECT_EQ(wrong_key.exit_code, 1) << wrong_key.err;
  EXPECT_TRUE(Has(wrong_key.err, "model v1")) << wrong_key.err;
  EXPECT_TRUE(Has(wrong_key.err, "signed with another key")) << wrong_key.err;
  const auto unsigned_dir = infer(models_dir(), key_a, "signed-unsigned");
  EXPECT_EQ(unsigned_dir.exit_code, 1) << unsigned_dir.err;
  EXPECT_TRUE(Has(unsigned_dir.err, "unsigned")) << unsigned_dir.err;
  // The right key: everything is scored with the signed v1.
  const auto scored = infer(signed_models, key_a, "signed-a");
  ASSERT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_TRUE(Has(scored.out, "scored=" + std::to_string(kEvents) + " ")) << scored.out;
  // An empty models directory: infer takes the model from the topic,
  // signed with key A.
  const auto from_topic = infer(dir_.File("empty-models"), key_a, "signed-topic");
  ASSERT_EQ(from_topic.exit_code, 0) << from_topic.err;
  EXPECT_TRUE(Has(from_topic.err, "scoring with model v1")) << from_topic.err;

  // With key B, the announcement on the topic is refused and counted while
  // infer waits for a model it can trust.
  const int port = testing::FreeLoopbackPort();
  testing::BackgroundProcess waiting(
      {testing::KappaBinary(), "infer", "-b", bootstrap(), "--models-dir",
       dir_.File("empty-models-b"), "--model-key-file", key_b, "--metrics-port",
       std::to_string(port), "--metrics-bind", "127.0.0.1", "-X", "group.id=signed-wait"},
      dir_.File("infer-b"));
  ASSERT_TRUE(testing::Eventually(
      [&] {
        return testing::ParseExposition(
                   testing::HttpGet(port, "/metrics").body)["kappa_model_reload_failures_total"] ==
               1;
      },
      std::chrono::seconds(30)))
      << waiting.Stderr();
  waiting.Signal(SIGTERM);
  EXPECT_EQ(waiting.Wait(std::chrono::seconds(20)), 0) << waiting.Stderr();
  EXPECT_TRUE(Has(waiting.Stderr(), "model v1: signed with another key")) << waiting.Stderr();

  // reprocess --promote signs the version it stores and announces.
  const auto reprocess =
      kappa({"reprocess", "-b", bootstrap(), "--feature-set", "titanic-v2", "--promote",
             "--state-dir", dir_.File("reprocess-state"), "--models-dir", signed_models, "--rounds",
             "30", "--metrics-port", "0", "--model-key-file", key_a});
  ASSERT_EQ(reprocess.exit_code, 0) << reprocess.err;
  const auto show_v2 =
      kappa({"models", "show", "2", "--models-dir", signed_models, "--model-key-file", key_a});
  EXPECT_TRUE(Has(show_v2.out, "verified      yes\n")) << show_v2.out;
  const auto records = ReadTopic("titanic-models", 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].Header(inference::kHeaderModelVersion), "2");
  EXPECT_EQ(records[1]
                .Header(inference::kHeaderModelSignature)
                .value_or("")
                .rfind("hmac-sha256 " + KeyA().id(), 0),
            0u);
}

// Secrets given with -X or --kafka-config appear nowhere: not in the reason
// a command fails with, not in librdkafka's echoes, not on /metrics.
class SecretsTest : public testing::EmbeddedBrokerTest {
 protected:
  testing::TempDir dir_;
};

TEST_F(SecretsTest, FailingCommandsNeverPrintASecret) {
  const std::string secret = "Kappa-S3cret-Pa55word";
  auto produce = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {testing::KappaBinary(), "produce", "--count", "1",
                                     "--metrics-port",       "0"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunProcess(argv, "", std::chrono::seconds(60));
  };
  // Another property is bad.
  const auto other =
      produce({"-b", bootstrap(), "-X", "sasl.password=" + secret, "-X", "linger.ms=soon"});
  EXPECT_EQ(other.exit_code, 2) << other.err;
  EXPECT_TRUE(Has(other.err, "linger.ms=soon")) << other.err;
  EXPECT_FALSE(Has(other.err, secret)) << other.err;
  // A misspelt secret property: librdkafka does not know it.
  const auto misspelt = produce({"-b", bootstrap(), "-X", "sasl.pasword=" + secret});
  EXPECT_EQ(misspelt.exit_code, 2) << misspelt.err;
  EXPECT_TRUE(Has(misspelt.err, "sasl.pasword")) << misspelt.err;
  EXPECT_FALSE(Has(misspelt.err, secret)) << misspelt.err;
  // librdkafka echoes a bad sasl.oauthbearer.config in its error callback.
  const auto echoed =
      produce({"-b", "127.0.0.1:1", "-X", "security.protocol=sasl_plaintext", "-X",
               "sasl.mechanism=OAUTHBEARER", "-X", "enable.sasl.oauthbearer.unsecure.jwt=true",
               "-X", "sasl.oauthbearer.config=principal=kappa password=" + secret, "-X",
               "message.timeout.ms=1500"});
  EXPECT_EQ(echoed.exit_code, 1) << echoed.err;
  EXPECT_TRUE(Has(echoed.err, "sasl.oauthbearer.config beginning at")) << echoed.err;
  EXPECT_FALSE(Has(echoed.err, secret)) << echoed.err;
  // A secret property this librdkafka build refuses ("not supported in this
  // build" without libcurl); whatever the build, its value is not shown.
  const auto refused =
      produce({"-b", bootstrap(), "-X", "sasl.oauthbearer.client.secret=" + secret});
  EXPECT_FALSE(Has(refused.err, secret)) << refused.err;
  // A --kafka-config line that is not key=value is named by its number.
  const std::string config = dir_.File("bad.properties");
  std::ofstream(config) << "# credentials\n" << secret << "\n";
  const auto bad_file = produce({"-b", bootstrap(), "--kafka-config", config});
  EXPECT_EQ(bad_file.exit_code, 2) << bad_file.err;
  EXPECT_TRUE(Has(bad_file.err, config + " line 2")) << bad_file.err;
  EXPECT_FALSE(Has(bad_file.err, secret)) << bad_file.err;
}

TEST_F(SecretsTest, InferWithSecretsKeepsThemOutOfItsLogAndMetrics) {
  const std::string secret = "Kappa-S3cret-Pa55word";
  const std::string file_secret = "Kappa-F1le-S3cret";
  const std::string config = dir_.File("client.properties");
  std::ofstream(config) << "# secrets stay out of `ps`\nssl.key.password = " << file_secret << "\n";
  ::chmod(config.c_str(), 0600);
  const int port = testing::FreeLoopbackPort();
  // No model yet: infer waits, serving /metrics, with every client made
  // (librdkafka's configuration debug log on).
  testing::BackgroundProcess infer(
      {testing::KappaBinary(), "infer", "-b", bootstrap(), "--models-dir", dir_.File("models"),
       "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1", "-X",
       "sasl.password=" + secret, "--kafka-config", config, "-X", "debug=conf"},
      dir_.File("infer"), {{"KAPPA_LOG_LEVEL", "debug"}});
  std::string metrics;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        metrics = testing::HttpGet(port, "/metrics").body;
        return Has(metrics, "kappa_build_info") && Has(infer.Stderr(), "no model");
      },
      std::chrono::seconds(30)))
      << infer.Stderr();
  EXPECT_FALSE(Has(metrics, secret));
  EXPECT_FALSE(Has(metrics, file_secret));
  infer.Signal(SIGTERM);
  EXPECT_EQ(infer.Wait(std::chrono::seconds(20)), 0) << infer.Stderr();
  const std::string err = infer.Stderr();
  EXPECT_TRUE(Has(err, "sasl.password")) << "librdkafka's configuration dump was logged";
  EXPECT_FALSE(Has(err, secret)) << err;
  EXPECT_FALSE(Has(err, file_secret)) << err;
}

}  // namespace
}  // namespace kappa
