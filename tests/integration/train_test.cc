// `kappa train` end to end on the embedded broker: bounded replay into real
// RocksDB state, resume after interruption, fitting, the registry and the
// models topic.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "inference/model.h"
#include "inference/model_publisher.h"
#include "inference/model_registry.h"
#include "state/event_store.h"
#include "stream/event_codec.h"
#include "stream/passenger_generator.h"
#include "stream/passenger_publisher.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/subprocess.h"
#include "training/dataset.h"
#include "training/replay.h"
#include "training/train_job.h"

namespace kappa {
namespace {

using testing::TempDir;

class TrainTest : public testing::EmbeddedBrokerTest {
 protected:
  void Produce(uint64_t count, uint64_t seed, int64_t first_id = 1,
               std::vector<stream::KafkaProperty> properties = {}) {
    auto producer = MakeProducer(std::move(properties));
    auto source = stream::MakeGeneratorSource({.seed = seed, .first_id = first_id});
    const auto s = stream::PublishPassengers(producer.get(), source.get(),
                                             {.rate = 0, .count = count}, [] { return false; });
    ASSERT_EQ(s.acknowledged, count) << s.error.ToString();
  }
  void ProduceRaw(const std::vector<std::string>& values) {
    auto producer = MakeProducer();
    for (const auto& v : values) {
      ASSERT_TRUE(producer->Send("titanic-events", "bad", std::string_view(v)).ok());
    }
    ASSERT_TRUE(producer->Flush(std::chrono::seconds(10)).ok());
  }
  training::TrainJobOptions Options(const std::string& name = "a") const {
    training::TrainJobOptions o;
    o.state_dir = dir_.File("state-" + name);
    o.models_dir = dir_.File("models-" + name);
    o.fit.max_rounds = 60;
    return o;
  }
  std::string StateDigest(const std::string& path) {
    auto store = state::EventStore::Open({.path = path, .create_if_missing = false});
    EXPECT_TRUE(store.ok());
    return (*store)->Digest().value();
  }
  TempDir dir_;
};

TEST_F(TrainTest, ReplaysEverythingFitsAndPublishesVersionOne) {
  Produce(3000, 1);
  auto report = training::RunTrainJob(Client(), Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& m = report->manifest;
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(report->replay.stored, 3000u);
  EXPECT_EQ(m.provenance.events_in_state, 3000u);
  EXPECT_EQ(m.provenance.labeled_events, 3000u) << "the generator labels every passenger";
  EXPECT_EQ(m.provenance.train_rows + m.provenance.validation_rows, 3000u);
  EXPECT_NEAR(static_cast<double>(m.provenance.validation_rows), 600, 90);
  ASSERT_EQ(m.provenance.partitions.size(), 3u);
  uint64_t per_partition = 0;
  for (const auto& p : m.provenance.partitions) {
    EXPECT_EQ(p.first_offset, 0);
    per_partition += p.events;
    EXPECT_EQ(p.end_offset, static_cast<int64_t>(p.events));
  }
  EXPECT_EQ(per_partition, 3000u);
  EXPECT_GT(report->evaluation.roc_auc, 0.75) << "sex and class carry real signal";
  EXPECT_EQ(m.metrics.at("roc_auc"), report->evaluation.roc_auc);

  auto registry = inference::ModelRegistry::Open(Options().models_dir).value();
  EXPECT_EQ(registry->Current().value(), 1);
  auto model = registry->Load(1);
  ASSERT_TRUE(model.ok()) << model.status().ToString();

  // The models topic carries the same artifact, marked current.
  const auto records = ReadTopic("titanic-models", 1);
  ASSERT_EQ(records.size(), 1u);
  auto message = inference::DecodeModelMessage(*records[0].value);
  ASSERT_TRUE(message.ok()) << message.status().ToString();
  EXPECT_EQ(message->manifest, m);
  EXPECT_EQ(message->booster_ubj, (*model)->booster_bytes());
  EXPECT_EQ(records[0].key, "titanic");
}

TEST_F(TrainTest, IncrementalRunReplaysOnlyNewEvents) {
  Produce(2000, 1);
  auto first = training::RunTrainJob(Client(), Options());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Produce(1000, 2, 100000);
  auto second = training::RunTrainJob(Client(), Options());
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->replay.stored, 1000u) << "only what arrived since the checkpoint";
  EXPECT_EQ(second->manifest.provenance.events_in_state, 3000u);
  EXPECT_EQ(second->manifest.version, 2);
  auto again = training::RunTrainJob(Client(), Options());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->replay.stored, 0u);
  auto scratch_options = Options();
  scratch_options.from_scratch = true;
  auto scratch = training::RunTrainJob(Client(), scratch_options);
  ASSERT_TRUE(scratch.ok());
  EXPECT_EQ(scratch->replay.stored, 3000u) << "--from-scratch replays the whole log";
}

TEST_F(TrainTest, InterruptedReplayResumesToTheSameStateAsAnUninterruptedOne) {
  Produce(20000, 3);
  // Interrupted: stop after the second state write, then resume.
  {
    auto store = state::EventStore::Open({.path = dir_.File("interrupted")}).value();
    int writes = 0;
    auto partial = training::ReplayIntoState(
        Client(), store.get(), {.batch_size = 1000, .should_stop = [&] { return writes >= 2; }},
        [&](const training::ReplayProgress&) { ++writes; });
    ASSERT_TRUE(partial.ok()) << partial.status().ToString();
    EXPECT_TRUE(partial->interrupted);
    EXPECT_GT(partial->stored, 0u);
    EXPECT_LT(partial->stored, 20000u);
    auto rest = training::ReplayIntoState(Client(), store.get(), {.batch_size = 1000});
    ASSERT_TRUE(rest.ok());
    EXPECT_FALSE(rest->interrupted);
    EXPECT_EQ(partial->stored + rest->stored, 20000u) << "no gap, no duplicate";
    ASSERT_TRUE(store->Close().ok());
  }
  {
    auto store = state::EventStore::Open({.path = dir_.File("straight")}).value();
    auto full = training::ReplayIntoState(Client(), store.get(), {});
    ASSERT_TRUE(full.ok());
    EXPECT_EQ(full->stored, 20000u);
    ASSERT_TRUE(store->Close().ok());
  }
  EXPECT_EQ(StateDigest(dir_.File("interrupted")), StateDigest(dir_.File("straight")));
}

TEST_F(TrainTest, KilledTrainProcessResumesWithoutGapOrDuplicate) {
  // Small producer batches: the broker returns whole batches per fetch.
  Produce(60000, 4, 1, {{"batch.num.messages", "50"}});
  const std::string killed_state = dir_.File("killed-state");
  // A slow broker (50 ms per response) and small fetches make the replay
  // take about a minute, so the kill surely lands in its middle.
  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(50)).ok());
  testing::BackgroundProcess train(
      {testing::KappaBinary(), "train", "-b", bootstrap(), "--state-dir", killed_state,
       "--models-dir", dir_.File("killed-models"), "--no-publish", "--rounds", "20", "-X",
       "message.max.bytes=10000", "-X", "fetch.max.bytes=10000", "-X",
       "max.partition.fetch.bytes=4000"},
      dir_.File("train"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  train.Signal(SIGKILL);
  ASSERT_EQ(train.Wait(std::chrono::seconds(20)), 128 + SIGKILL);
  {
    // The kill landed in the middle of the replay: some, not all, stored.
    auto store = state::EventStore::Open({.path = killed_state, .create_if_missing = false});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto checkpoints = (*store)->Checkpoints();
    ASSERT_TRUE(checkpoints.ok());
    uint64_t stored = 0;
    for (const auto& cp : *checkpoints) stored += cp.events;
    EXPECT_GT(stored, 0u);
    EXPECT_LT(stored, 60000u);
  }

  ASSERT_TRUE(broker_->SetBrokerRtt(1, std::chrono::milliseconds(0)).ok());
  const auto rerun = testing::RunProcess(
      {testing::KappaBinary(), "train", "-b", bootstrap(), "--state-dir", killed_state,
       "--models-dir", dir_.File("killed-models"), "--no-publish", "--rounds", "20"});
  ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
  const auto straight =
      testing::RunProcess({testing::KappaBinary(), "train", "-b", bootstrap(), "--state-dir",
                           dir_.File("straight-state"), "--models-dir",
                           dir_.File("straight-models"), "--no-publish", "--rounds", "20"});
  ASSERT_EQ(straight.exit_code, 0) << straight.err;
  EXPECT_EQ(StateDigest(killed_state), StateDigest(dir_.File("straight-state")));
  // Same state, same parameters: the same booster.
  auto a = inference::ModelRegistry::Open(dir_.File("killed-models")).value();
  auto b = inference::ModelRegistry::Open(dir_.File("straight-models")).value();
  const auto a_versions = a->Versions().value();
  ASSERT_FALSE(a_versions.empty());
  EXPECT_EQ(a->ReadManifest(a_versions.back())->booster_sha256, b->ReadManifest(1)->booster_sha256);
}

TEST_F(TrainTest, StopRequestedAfterReplayStoresNoVersion) {
  Produce(500, 10);
  auto options = Options();
  bool replay_done = false;
  options.should_stop = [&] { return replay_done; };
  auto r = training::RunTrainJob(Client(), options, [&](const training::TrainProgress& p) {
    if (p.phase != training::TrainProgress::Phase::kReplay) replay_done = true;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  auto registry = inference::ModelRegistry::Open(options.models_dir).value();
  EXPECT_TRUE(registry->Versions().value().empty()) << "Ctrl-C during fit publishes nothing";
  EXPECT_EQ(StateDigest(options.state_dir).size(), 64u) << "the replayed state is kept";
}

TEST_F(TrainTest, SameStateAndParametersGiveAByteIdenticalBooster) {
  Produce(2500, 5);
  auto a = training::RunTrainJob(Client(), Options("a"));
  auto b = training::RunTrainJob(Client(), Options("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->manifest.booster_sha256, b->manifest.booster_sha256);
  auto other = Options("c");
  other.fit.params["max_depth"] = "2";
  auto c = training::RunTrainJob(Client(), other);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->manifest.booster_sha256, c->manifest.booster_sha256);
}

TEST_F(TrainTest, BadEventsAreDeadLetteredAndCountedNotFatal) {
  Produce(500, 6);
  ProduceRaw({"garbage", R"({"PassengerId":1,"Pclass":5,"Sex":"male"})", "{}"});
  auto report = training::RunTrainJob(Client(), Options());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->replay.dead_lettered, 3u);
  EXPECT_EQ(report->manifest.provenance.dead_lettered, 3u);
  EXPECT_EQ(report->replay.stored, 500u);
  const auto dlq = ReadTopic("titanic-events-dlq", 3);
  ASSERT_EQ(dlq.size(), 3u);
  for (const auto& r : dlq) EXPECT_TRUE(r.Header("kappa.error.reason").has_value());
}

TEST_F(TrainTest, EmptyAndUnlabeledTopicsGiveAClearMessage) {
  auto empty = training::RunTrainJob(Client(), Options("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no valid events"), std::string::npos)
      << empty.status().message();

  // Kaggle test.csv rows carry no Survived label.
  auto producer = MakeProducer();
  auto source = stream::OpenCsvSource(std::string(KAPPA_TEST_DATA_DIR) + "/kaggle_test_sample.csv",
                                      false, stream::BadRowPolicy::kFail);
  ASSERT_TRUE(source.ok());
  const auto s =
      stream::PublishPassengers(producer.get(), source->get(), {.rate = 0}, [] { return false; });
  ASSERT_GT(s.acknowledged, 0u);
  auto unlabeled = training::RunTrainJob(Client(), Options("unlabeled"));
  ASSERT_FALSE(unlabeled.ok());
  EXPECT_NE(unlabeled.status().message().find("is labeled"), std::string::npos)
      << unlabeled.status().message();
}

TEST_F(TrainTest, CheckpointBeyondTheTopicEndAsksForFromScratch) {
  Produce(300, 7);
  ASSERT_TRUE(training::RunTrainJob(Client(), Options()).ok());
  // A fresh broker: same topic names, empty logs (the topic was recreated).
  auto fresh = stream::EmbeddedBroker::Start({});
  ASSERT_TRUE(fresh.ok());
  auto client = Client();
  client.bootstrap_servers = (*fresh)->bootstrap_servers();
  auto r = training::RunTrainJob(client, Options());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--from-scratch"), std::string::npos);
}

TEST_F(TrainTest, TrainingAndInferenceComputeIdenticalFeatures) {
  Produce(1500, 8);
  auto report = training::RunTrainJob(Client(), Options("parity"));
  ASSERT_TRUE(report.ok());
  auto model = inference::ModelRegistry::Open(Options("parity").models_dir).value()->Load(1);
  ASSERT_TRUE(model.ok());
  auto store = state::EventStore::Open({.path = Options("parity").state_dir}).value();
  auto labeled = training::LoadLabeledEvents(*store, "titanic-events", 20).value();
  // Training path: the set fitted on the train split, as RunTrainJob did.
  const auto& set = (*model)->feature_set();
  auto transform = set.Bind(set.Fit(labeled.train)).value();
  const auto training_rows = training::BuildDataset(labeled.validation, *transform);
  // Inference path: the model loaded from its artifact.
  inference::DenseMatrix inference_rows;
  (*model)->Features(labeled.validation, &inference_rows);
  ASSERT_EQ(training_rows.features.values.size(), inference_rows.values.size());
  EXPECT_EQ(0, std::memcmp(training_rows.features.values.data(), inference_rows.values.data(),
                           inference_rows.values.size() * sizeof(float)));
}

TEST_F(TrainTest, ReplayStartsAtTheLogStartWhenOldDataExpired) {
  // The embedded broker keeps ~5 MB per partition: overfill one partition.
  ASSERT_TRUE(broker_->CreateTopic("tiny-retention", 1).ok());
  auto producer = MakeProducer();
  stream::PassengerGenerator gen({.seed = 9});
  std::string value;
  for (int i = 0; i < 40000; ++i) {
    stream::PassengerEvent e;
    gen.Next(&e);
    value.clear();
    stream::EncodeEvent(e, &value);
    ASSERT_TRUE(producer->Send("tiny-retention", std::to_string(e.passenger_id), value).ok());
  }
  ASSERT_TRUE(producer->Flush(std::chrono::seconds(30)).ok());
  auto consumer = stream::Consumer::Create({.client = Client()}).value();
  const auto w = consumer->QueryWatermarks("tiny-retention", 0, std::chrono::seconds(10)).value();
  if (w.low == 0) GTEST_SKIP() << "this broker kept everything; nothing expired";
  auto store = state::EventStore::Open({.path = dir_.File("retention")}).value();
  auto r = training::ReplayIntoState(Client(), store.get(), {.topic = "tiny-retention"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->partitions.size(), 1u);
  EXPECT_EQ(r->partitions[0].resumed_from, w.low);
  EXPECT_EQ(r->stored, static_cast<uint64_t>(w.high - w.low));
  auto cp = store->Checkpoint("tiny-retention", 0).value();
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->first_offset, w.low);
  EXPECT_EQ(cp->next_offset, w.high);
}

}  // namespace
}  // namespace kappa
