#include "tests/faults/fault_fixture.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

#include "inference/model_registry.h"
#include "stream/event_codec.h"
#include "stream/passenger_publisher.h"
#include "training/train_job.h"

namespace kappa::testing {

void FaultTest::SetUp() {
  EmbeddedBrokerTest::SetUp();
  if (HasFatalFailure()) return;
  // Small producer batches: a fetch returns whole batches, so the tests that
  // limit fetch sizes (to slow a replay down) get small fetches.
  auto producer = MakeProducer({{"batch.num.messages", "50"}});
  ASSERT_NE(producer, nullptr);
  auto source = stream::MakeGeneratorSource({.seed = 8, .first_id = 1});
  const auto published = stream::PublishPassengers(
      producer.get(), source.get(), {.rate = 0, .count = kEvents}, [] { return false; });
  ASSERT_EQ(published.acknowledged, kEvents) << published.error.ToString();

  training::TrainJobOptions train;
  train.state_dir = dir_.File("model-state");
  train.models_dir = models_dir();
  train.fit.max_rounds = 20;
  train.publish = false;
  auto trained = training::RunTrainJob(Client(), train);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  auto model = inference::ModelRegistry::Open(train.models_dir).value()->Load(1);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  model_ = std::move(model).value();

  // The yardstick: what the model says about every event, computed here,
  // not by the job under test.
  stream::EventDecoder decoder;
  std::vector<stream::PassengerEvent> events;
  for (const auto& r : ReadTopic("titanic-events", kEvents, std::chrono::seconds(60))) {
    stream::PassengerEvent e;
    if (!decoder.Decode(r.value, &e)) events.push_back(e);
  }
  ASSERT_EQ(events.size(), kEvents);
  std::vector<float> p;
  ASSERT_TRUE(model_->Score(events, &p).ok());
  std::set<int64_t> ids;
  for (size_t i = 0; i < events.size(); ++i) {
    ids.insert(events[i].passenger_id);
    if (p[i] >= 0.5f) expected_.insert(events[i].passenger_id);
  }
  ASSERT_EQ(ids.size(), kEvents) << "the event set has distinct ids";
  ASSERT_GT(expected_.size(), kEvents / 10);
  ASSERT_LT(expected_.size(), kEvents);
}

std::vector<std::string> FaultTest::InferArgs(const std::string& group,
                                              const std::vector<std::string>& extra) const {
  // Heartbeats every 0.5 s: a group change during a fault is noticed soon.
  std::vector<std::string> with_heartbeat = {"-X", "heartbeat.interval.ms=500"};
  with_heartbeat.insert(with_heartbeat.end(), extra.begin(), extra.end());
  return InferCommand(bootstrap(), models_dir(), group, with_heartbeat);
}

AlertCount FaultTest::CountAlerts(const std::string& topic, bool committed_only,
                                  const std::set<std::string>& aborted) {
  // (transaction, source partition) pairs with a progress record.
  std::set<std::pair<std::string, int32_t>> committed;
  if (committed_only) {
    for (const auto& r : ReadTopic("titanic-infer-progress", TopicSize("titanic-infer-progress"),
                                   std::chrono::seconds(60))) {
      const std::string txn = r.Header("kappa.txn").value_or("");
      if (aborted.contains(txn)) continue;
      // key "<topic>:<partition>:<group>"
      const auto first = r.key.find(':');
      const auto second = r.key.find(':', first + 1);
      if (first == std::string::npos || second == std::string::npos) continue;
      committed.emplace(txn, std::stoi(r.key.substr(first + 1, second - first - 1)));
    }
  }
  AlertCount count;
  simdjson::dom::parser parser;
  for (const auto& a : ReadTopic(topic, TopicSize(topic), std::chrono::seconds(60))) {
    simdjson::dom::element doc = parser.parse(*a.value);
    const int64_t source_partition = doc["partition"].get_int64().value();
    if (committed_only && !committed.contains({a.Header("kappa.txn").value_or("-"),
                                               static_cast<int32_t>(source_partition)})) {
      continue;
    }
    count.ids.insert(doc["PassengerId"].get_int64().value());
  }
  for (int64_t id : expected_) {
    if (!count.ids.contains(id)) ++count.lost;
  }
  std::set<int64_t> distinct(count.ids.begin(), count.ids.end());
  for (int64_t id : distinct) {
    if (!expected_.contains(id)) ++count.invented;
  }
  count.duplicated = count.ids.size() - distinct.size();
  return count;
}

std::set<std::string> FaultTest::AbortedTransactions(const std::string& stderr_text) {
  std::set<std::string> names;
  const std::regex aborted(R"(transaction (\S+) of transactional\.id \S+ aborted)");
  for (auto it = std::sregex_iterator(stderr_text.begin(), stderr_text.end(), aborted);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

std::map<int32_t, int64_t> FaultTest::CommittedOffsets(const std::string& group,
                                                       const std::string& topic) {
  std::map<int32_t, int64_t> out;
  auto consumer = stream::Consumer::Create({.client = Client(), .group_id = group});
  EXPECT_TRUE(consumer.ok()) << consumer.status().ToString();
  if (!consumer.ok()) return out;
  auto n = (*consumer)->PartitionCount(topic, std::chrono::seconds(10));
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  if (!n.ok()) return out;
  std::vector<stream::TopicPartitionOffset> partitions;
  for (int32_t p = 0; p < *n; ++p) partitions.push_back({topic, p, stream::kOffsetStored});
  auto committed = (*consumer)->Committed(partitions, std::chrono::seconds(30));
  EXPECT_TRUE(committed.ok()) << committed.status().ToString();
  if (!committed.ok()) return out;
  for (const auto& tp : *committed) out[tp.partition] = tp.offset;
  return out;
}

std::map<int64_t, std::pair<int32_t, int64_t>> FaultTest::EventPositions(const std::string& topic) {
  std::map<int64_t, std::pair<int32_t, int64_t>> out;
  stream::EventDecoder decoder;
  for (const auto& r : ReadTopic(topic, TopicSize(topic), std::chrono::seconds(60))) {
    stream::PassengerEvent e;
    if (!decoder.Decode(r.value, &e)) out[e.passenger_id] = {r.partition, r.offset};
  }
  return out;
}

void FaultTest::Report(const FaultRow& row) {
  std::printf(
      "FAULTS | %-44s | events %6llu | expected %5llu | lost %llu | duplicated %llu | "
      "recovery %.1f s | %s\n",
      row.scenario.c_str(), static_cast<unsigned long long>(row.events),
      static_cast<unsigned long long>(row.expected), static_cast<unsigned long long>(row.lost),
      static_cast<unsigned long long>(row.duplicated), row.recovery_seconds, row.note.c_str());
  std::error_code ec;
  std::filesystem::create_directories(KAPPA_FAULTS_REPORT_DIR, ec);
  std::ofstream out(std::string(KAPPA_FAULTS_REPORT_DIR) + "/" + row.scenario + ".json");
  std::string note;
  for (char c : row.note) {
    if (c == '"' || c == '\\') note += '\\';
    if (c != '\n') note += c;
  }
  out << fmt::format(
      R"({{"scenario":"{}","events":{},"expected_alerts":{},"lost":{},"duplicated":{},)"
      R"("recovery_seconds":{:.1f},"note":"{}"}})"
      "\n",
      row.scenario, row.events, row.expected, row.lost, row.duplicated, row.recovery_seconds, note);
}

}  // namespace kappa::testing
