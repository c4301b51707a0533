// The `kappa` binary as users run it: broker + produce + kcat, the address
// file, CSV input, exit codes and one-line reasons for bad usage.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <vector>

#include "stream/csv_reader.h"
#include "stream/event_codec.h"
#include "tests/support/http.h"
#include "tests/support/subprocess.h"

namespace kappa {
namespace {

using testing::BackgroundProcess;
using testing::KappaBinary;
using testing::RunProcess;
using testing::TempDir;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A `kappa broker` child process with its address file in a temp dir.
class BrokerProcess {
 public:
  explicit BrokerProcess(const TempDir& dir, const std::string& partitions = "3")
      : address_file_(dir.File("broker.address")),
        process_(
            {KappaBinary(), "broker", "--partitions", partitions, "--address-file", address_file_},
            dir.File("broker")) {
    ready_ = testing::Eventually([&] { return std::filesystem::exists(address_file_); },
                                 std::chrono::seconds(20));
    if (ready_) {
      std::ifstream in(address_file_);
      in >> address_;
    }
  }
  bool ready() const { return ready_; }
  const std::string& address() const { return address_; }
  const std::string& address_file() const { return address_file_; }
  BackgroundProcess& process() { return process_; }

 private:
  std::string address_file_;
  BackgroundProcess process_;
  bool ready_ = false;
  std::string address_;
};

std::vector<std::string> KcatValues(const std::string& address, const std::string& topic) {
  const auto kcat =
      RunProcess({"kcat", "-b", address, "-C", "-t", topic, "-e", "-q", "-f", "%s\n"});
  EXPECT_EQ(kcat.exit_code, 0) << kcat.err;
  return Lines(kcat.out);
}

TEST(CliTest, BrokerProduceThousandEventsKcatSeesThemAllValid) {
  TempDir dir;
  BrokerProcess broker(dir);
  ASSERT_TRUE(broker.ready()) << broker.process().Stderr();
  EXPECT_EQ(Lines(broker.process().Stdout()), std::vector<std::string>{broker.address()})
      << "the broker prints its address on stdout";

  const auto produce = RunProcess(
      {KappaBinary(), "produce", "-b", broker.address(), "--count", "1000", "--rate", "max"});
  ASSERT_EQ(produce.exit_code, 0) << produce.err;
  EXPECT_NE(produce.out.find("sent=1000 acknowledged=1000 failed=0 unacknowledged=0"),
            std::string::npos)
      << produce.out;

  const auto values = KcatValues(broker.address(), "titanic-events");
  ASSERT_EQ(values.size(), 1000u);
  stream::EventDecoder decoder;
  std::set<int64_t> ids;
  for (const auto& v : values) {
    stream::PassengerEvent e;
    const auto rejection = decoder.Decode(v, &e);
    ASSERT_FALSE(rejection) << rejection->reason << ": " << v;
    ids.insert(e.passenger_id);
  }
  EXPECT_EQ(ids.size(), 1000u);

  broker.process().Signal(SIGTERM);
  EXPECT_EQ(broker.process().Wait(std::chrono::seconds(20)), 0);
  EXPECT_FALSE(std::filesystem::exists(broker.address_file()))
      << "a clean stop removes the address file";
}

TEST(CliTest, BrokerCreatesTheProductTopicsWithItsPartitionCount) {
  TempDir dir;
  BrokerProcess broker(dir, "5");
  ASSERT_TRUE(broker.ready()) << broker.process().Stderr();
  // kcat -L prints `topic "NAME" with N partitions:` per topic.
  const auto listing = RunProcess({"kcat", "-b", broker.address(), "-L"});
  ASSERT_EQ(listing.exit_code, 0) << listing.err;
  for (const char* topic :
       {"titanic-events", "titanic-alerts", "titanic-events-dlq", "titanic-infer-progress",
        "titanic-predictions.titanic-v1", "titanic-predictions.titanic-v2"}) {
    EXPECT_NE(listing.out.find("topic \"" + std::string(topic) + "\" with 5 partitions"),
              std::string::npos)
        << topic << " in:\n"
        << listing.out;
  }
  EXPECT_NE(listing.out.find("topic \"titanic-models\" with 1 partitions"), std::string::npos)
      << listing.out;
}

TEST(CliTest, CommandsFindTheRunningBrokerThroughItsAddressFile) {
  TempDir dir;
  // XDG_RUNTIME_DIR decides the default address file of both processes.
  const std::map<std::string, std::string> env = {{"XDG_RUNTIME_DIR", dir.path()},
                                                  {"KAFKA_BROKERS", ""}};
  BackgroundProcess broker({KappaBinary(), "broker"}, dir.File("broker"), env);
  const std::string file = dir.File("kappa-broker.address");
  ASSERT_TRUE(
      testing::Eventually([&] { return std::filesystem::exists(file); }, std::chrono::seconds(20)))
      << broker.Stderr();
  const auto produce = RunProcess({KappaBinary(), "produce", "--count", "25", "--rate", "max"}, "",
                                  std::chrono::seconds(60), env);
  ASSERT_EQ(produce.exit_code, 0) << produce.err;
  EXPECT_NE(produce.err.find("embedded broker"), std::string::npos) << produce.err;
  std::string address;
  std::ifstream(file) >> address;
  EXPECT_EQ(KcatValues(address, "titanic-events").size(), 25u);
}

TEST(CliTest, ProduceFromKaggleCsvSendsEveryRowInOrder) {
  TempDir dir;
  BrokerProcess broker(dir, "1");  // one partition: order is observable
  ASSERT_TRUE(broker.ready());
  const std::string csv = std::string(KAPPA_TEST_DATA_DIR) + "/kaggle_train_sample.csv";
  const auto produce =
      RunProcess({KappaBinary(), "produce", "-b", broker.address(), "--csv", csv, "--rate", "max"});
  ASSERT_EQ(produce.exit_code, 0) << produce.err;

  auto reader = stream::PassengerCsvReader::Open(csv);
  ASSERT_TRUE(reader.ok());
  std::vector<stream::PassengerEvent> expected;
  for (;;) {
    auto row = (*reader)->Next();
    ASSERT_TRUE(row.ok());
    if (std::holds_alternative<std::monostate>(*row)) break;
    ASSERT_TRUE(std::holds_alternative<stream::PassengerEvent>(*row)) << "fixture rows are valid";
    expected.push_back(std::get<stream::PassengerEvent>(*row));
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_NE(produce.out.find("sent=" + std::to_string(expected.size()) + " "), std::string::npos)
      << produce.out;

  const auto values = KcatValues(broker.address(), "titanic-events");
  ASSERT_EQ(values.size(), expected.size());
  stream::EventDecoder decoder;
  for (size_t i = 0; i < values.size(); ++i) {
    stream::PassengerEvent got;
    ASSERT_FALSE(decoder.Decode(values[i], &got));
    got.ts_ms.reset();
    EXPECT_EQ(got, expected[i]) << values[i];
  }
}

TEST(CliTest, MalformedCsvRowIsSkippedOrFailsByFlagNamingItsLine) {
  TempDir dir;
  BrokerProcess broker(dir);
  ASSERT_TRUE(broker.ready());
  const std::string csv = dir.File("bad.csv");
  std::ofstream(csv) << "PassengerId,Survived,Pclass,Name,Sex,Age\n"
                        "1,0,3,\"Braund, Mr. Owen Harris\",male,22\n"
                        "2,1,7,\"Cumings, Mrs. John\",female,38\n"
                        "3,1,3,\"Heikkinen, Miss. Laina\",female,26\n";
  const auto skip =
      RunProcess({KappaBinary(), "produce", "-b", broker.address(), "--csv", csv, "--rate", "max"});
  EXPECT_EQ(skip.exit_code, 0) << skip.err;
  EXPECT_NE(skip.out.find("sent=2 "), std::string::npos) << skip.out;
  EXPECT_NE(skip.out.find("bad_rows=1"), std::string::npos) << skip.out;
  EXPECT_NE(skip.err.find("bad.csv:3"), std::string::npos) << skip.err;

  const auto fail = RunProcess({KappaBinary(), "produce", "-b", broker.address(), "--csv", csv,
                                "--rate", "max", "--bad-rows", "fail"});
  EXPECT_EQ(fail.exit_code, 2);
  EXPECT_NE(fail.err.find("bad.csv:3: Pclass"), std::string::npos) << fail.err;
}

struct UsageCase {
  std::vector<std::string> args;
  std::string expected_in_reason;
};

// Bad usage and bad configuration of every command: exit 2 before any work,
// and stderr is one line that names the flag, property or file at fault
// (no log lines before it, no abort, no stack trace). Nothing listens on
// 127.0.0.1:1, so a case that got as far as Kafka would fail differently.
TEST(CliTest, BadUsageExitsTwoWithOneLineReason) {
  TempDir dir;
  const std::string kafka_config = dir.File("kafka.properties");
  std::ofstream(kafka_config) << "no.such.property=1\n";
  const std::string bad_line_config = dir.File("bad-line.properties");
  std::ofstream(bad_line_config) << "# a comment\nlinger.ms\n";
  const std::string shared_key = dir.File("shared.key");
  std::ofstream(shared_key) << "0123456789abcdef0123456789abcdef\n";
  std::filesystem::permissions(shared_key, std::filesystem::perms::owner_read |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::others_read);
  const std::string short_key = dir.File("short.key");
  std::ofstream(short_key) << "abc\n";
  std::filesystem::permissions(short_key, std::filesystem::perms::owner_read);
  const std::string a_file = dir.File("a-file");
  std::ofstream(a_file) << "not a directory\n";
  const std::string a_dir = dir.File("a-dir");
  std::filesystem::create_directories(a_dir);
  const std::string state = dir.File("state");
  const std::string models = dir.File("models");
  const std::string no_broker = "127.0.0.1:1";

  std::vector<UsageCase> cases = {
      {{"produce", "-X", "novalue"}, "key=value"},
      {{"produce", "--count", "ten"}, "--count"},
      {{"produce", "--count", "-5"}, "--count"},
      {{"produce", "--rate", "0"}, "--rate"},
      {{"produce", "--rate", "-1"}, "--rate"},
      {{"produce", "--rate", "fast"}, "--rate"},
      {{"produce", "--bad-rows", "ignore"}, "--bad-rows"},
      {{"produce", "--loop"}, "--loop needs --csv"},
      {{"produce", "--csv", "/nonexistent/train.csv"}, "/nonexistent/train.csv"},
      {{"produce", "--csv", a_dir}, a_dir},
      {{"produce", "--flush-timeout", "-1"}, "--flush-timeout"},
      {{"broker", "--partitions", "0"}, "--partitions"},
      {{"broker", "--partitions", "many"}, "--partitions"},
      {{"broker", "--broker-count", "0"}, "--broker-count"},
      {{"broker", "--wait", "-1"}, "--wait"},
      {{"broker", "--address-file", a_dir + "/missing/broker.address"}, "broker.address"},
      {{"broker", "where"}, "'where'"},
      {{"broker", "-X", "linger.ms=5"}, "unknown option -X"},
      {{"demo", "-b", "127.0.0.1:9092"}, "unknown option -b"},
      {{"demo", "--rate", "-1"}, "--rate"},
      {{"demo", "--duration", "-5"}, "--duration"},
      {{"demo", "--retrain-every", "0"}, "--retrain-every"},
      {{"demo", "--csv", "/nonexistent/train.csv"}, "/nonexistent/train.csv"},
      {{"demo", "--work-dir", a_file, "--metrics-port", "0"}, a_file},
      {{"infer", "--transactional-id", "a"}, "need --exactly-once"},
      {{"infer", "--threshold", "1.5"}, "--threshold"},
      {{"infer", "--batch-size", "0"}, "--batch-size"},
      {{"infer", "--commit-interval", "-1"}, "--commit-interval"},
      {{"infer", "--exactly-once", "--commit-interval", "30000"}, "below 30000 ms"},
      {{"infer", "--exactly-once", "--commit-interval", "6000", "-X",
        "transaction.timeout.ms=10000"},
       "below 5000 ms"},
      {{"infer", "--scoring-threads", "0"}, "--scoring-threads"},
      {{"infer", "-X", "partition.assignment.strategy=cooperative-sticky"}, "cooperative"},
      {{"infer", "-X", "transaction.timeout.ms=soon"}, "transaction.timeout.ms"},
      {{"infer", "--models-dir", a_file}, a_file},
      {{"reprocess", "--feature-set", "titanic-v9"}, "titanic-v9"},
      {{"reprocess", "--threshold", "-0.1"}, "--threshold"},
      {{"reprocess", "--rounds", "0"}, "--rounds"},
      {{"train", "--feature-set", "titanic-v9"}, "titanic-v9"},
      {{"train", "--validation-percent", "100"}, "--validation-percent"},
      {{"train", "--rounds", "0"}, "--rounds"},
      {{"train", "--state-dir", a_file}, a_file},
      {{"train", "--models-dir", a_file}, a_file},
      {{"state", "--state-dir", "/nonexistent/state"}, "/nonexistent/state"},
      {{"state", "--state-dir", a_file}, a_file},
      {{"state", "-X", "linger.ms=5"}, "unknown option -X"},
      {{"state", "--digest=yes"}, "--digest takes no value"},
      {{"models", "frobnicate"}, "frobnicate"},
      {{"models", "show"}, "version number"},
      {{"models", "show", "seven"}, "seven"},
      {{"models", "promote", "-3"}, "-3"},
      {{"models", "list", "--models-dir", a_file}, a_file},
      {{"nonsense"}, "unknown command"},
  };
  // What every command that talks to Kafka shares: -X, --kafka-config, and
  // for the long-running ones the metrics flags; the model key file where
  // models are signed or verified; unknown flags and missing values.
  struct Command {
    std::vector<std::string> argv;  // the command and what it needs to get that far
    bool kafka, metrics, model_key;
  };
  const std::vector<Command> commands = {
      {{"produce", "--count", "1"}, true, true, false},
      {{"train", "--state-dir", state, "--models-dir", models}, true, true, true},
      {{"infer", "--models-dir", models}, true, true, true},
      {{"reprocess", "--feature-set", "titanic-v2", "--state-dir", state, "--models-dir", models},
       true,
       true,
       true},
      {{"models", "promote", "1", "--models-dir", models}, true, false, true},
      {{"demo", "--work-dir", dir.File("demo"), "--duration", "1"}, true, true, false},
      {{"broker"}, false, false, false},
      {{"state", "--state-dir", state}, false, false, false},
  };
  for (const auto& c : commands) {
    const auto with = [&](std::vector<std::string> extra) {
      std::vector<std::string> args = c.argv;
      if (c.kafka && c.argv[0] != "demo") {
        args.push_back("-b");
        args.push_back(no_broker);
      }
      args.insert(args.end(), extra.begin(), extra.end());
      return args;
    };
    cases.push_back({with({"--frobnicate"}), "unknown option --frobnicate"});
    cases.push_back({with({"-Q", "1"}), "unknown option -Q"});
    if (c.kafka) {
      cases.push_back({with({"-X", "no.such.property=1"}), "no.such.property"});
      cases.push_back({with({"-X", "fetch.max.bytes=-5"}), "fetch.max.bytes"});
      cases.push_back({with({"-X", "linger.ms=soon"}), "linger.ms"});
      cases.push_back({with({"-X", "=1"}), "empty key"});
      cases.push_back({with({"-X"}), "-X needs a value"});
      cases.push_back({with({"--kafka-config", dir.File("missing.properties")}),
                       dir.File("missing.properties")});
      cases.push_back({with({"--kafka-config", a_dir}), a_dir});
      cases.push_back({with({"--kafka-config", kafka_config}), "no.such.property"});
      cases.push_back({with({"--kafka-config", bad_line_config}), "line 2"});
      cases.push_back({with({"--kafka-config"}), "--kafka-config needs a value"});
    }
    if (c.metrics) {
      cases.push_back({with({"--metrics-port", "70000"}), "--metrics-port"});
      cases.push_back({with({"--metrics-port", "-1"}), "--metrics-port"});
      cases.push_back({with({"--metrics-port", "http"}), "--metrics-port"});
      cases.push_back({with({"--metrics-bind", "not-an-address"}), "--metrics-bind"});
      cases.push_back({with({"--metrics-bind", "300.1.1.1"}), "--metrics-bind"});
      cases.push_back({with({"--metrics-bind"}), "--metrics-bind needs a value"});
    }
    if (c.model_key) {
      cases.push_back(
          {with({"--model-key-file", dir.File("missing.key")}), dir.File("missing.key")});
      cases.push_back({with({"--model-key-file", a_dir}), a_dir});
      cases.push_back({with({"--model-key-file", shared_key}), "other users"});
      cases.push_back({with({"--model-key-file", short_key}), short_key});
      cases.push_back({with({"--model-key-file", ""}), "--model-key-file"});
    }
  }
  // The environment must not help or hurt: no broker address, no key file.
  const std::map<std::string, std::string> env = {
      {"KAFKA_BROKERS", ""}, {"KAPPA_MODEL_KEY_FILE", ""}, {"XDG_RUNTIME_DIR", dir.path()}};
  for (const auto& c : cases) {
    std::vector<std::string> argv = {KappaBinary()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    const auto r = RunProcess(argv, "", std::chrono::seconds(30), env);
    const std::string shown = ::testing::PrintToString(c.args);
    EXPECT_EQ(r.exit_code, 2) << shown << "\n" << r.err;
    const auto lines = Lines(r.err);
    ASSERT_FALSE(lines.empty()) << shown;
    EXPECT_EQ(lines.size(), 1u) << shown << "\n" << r.err;
    EXPECT_NE(lines.back().find(c.expected_in_reason), std::string::npos)
        << shown << " -> " << lines.back();
    EXPECT_EQ(lines.back().rfind("kappa", 0), 0u) << shown << " -> " << lines.back();
    EXPECT_EQ(r.out, "") << shown;
  }
  EXPECT_FALSE(std::filesystem::exists(state)) << "no case got as far as creating state";
  EXPECT_FALSE(std::filesystem::exists(models)) << "no case got as far as creating models";
}

TEST(CliTest, HelpTellsTheTruthAboutTheEmbeddedBroker) {
  const auto r = RunProcess({KappaBinary(), "broker", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("IN-MEMORY"), std::string::npos);
  EXPECT_NE(r.out.find("5 MB"), std::string::npos);
  EXPECT_NE(r.out.find("production uses Kafka"), std::string::npos);
  const auto produce = RunProcess({KappaBinary(), "produce", "--help"});
  EXPECT_EQ(produce.exit_code, 0);
  EXPECT_NE(produce.out.find("--brokers"), std::string::npos);
  EXPECT_NE(produce.out.find("-X"), std::string::npos);
  // The demo runs its own broker: its help offers -X but no -b.
  const auto demo = RunProcess({KappaBinary(), "demo", "--help"});
  EXPECT_EQ(demo.exit_code, 0);
  EXPECT_EQ(demo.out.find("--brokers"), std::string::npos) << demo.out;
  EXPECT_NE(demo.out.find("-X"), std::string::npos);
  const auto top = RunProcess({KappaBinary(), "--help"});
  EXPECT_EQ(top.exit_code, 0);
  for (const char* cmd : {"broker", "produce", "demo"}) {
    EXPECT_NE(top.out.find(cmd), std::string::npos) << cmd;
  }
  const auto version = RunProcess({KappaBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "kappa " KAPPA_VERSION "\n");
}

TEST(CliTest, ProduceReportsUndeliveredEventsAndExitsOne) {
  // Nothing listens on port 1: every event times out undelivered.
  const auto r = RunProcess({KappaBinary(), "produce", "-b", "127.0.0.1:1", "--count", "5",
                             "--rate", "max", "-X", "message.timeout.ms=1000"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("sent=5 acknowledged=0 failed=5"), std::string::npos) << r.out;
  EXPECT_NE(Lines(r.err).back().find("5 event(s) not delivered"), std::string::npos) << r.err;
}

// The number after `"key":` in a JSON text (-1 when absent).
double JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\":(-?[0-9.eE+-]+)"))) return -1;
  return std::stod(m[1].str());
}

// The text of the element with id `id` in an HTML dump.
std::string ElementText(const std::string& html, const std::string& id) {
  std::smatch m;
  if (!std::regex_search(html, m, std::regex("id=\"" + id + "\"[^>]*>([^<]*)<"))) return "";
  return m[1].str();
}

TEST(CliTest, DemoTrainsScoresRetrainsAndItsStatusPageShowsWhatMetricsSay) {
  TempDir dir;
  const int port = testing::FreeLoopbackPort();
  BackgroundProcess demo(
      {KappaBinary(), "demo", "--duration", "30", "--rate", "100", "--retrain-every", "4",
       "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1"},
      dir.File("demo"));
  // A first model, trained by replay, scoring live.
  std::string status;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        status = testing::HttpGet(port, "/status.json").body;
        return JsonNumber(status, "model_version") >= 1 && JsonNumber(status, "scored") > 0 &&
               JsonNumber(status, "alerts") > 0 &&
               status.find("\"latest_alerts\":[{") != std::string::npos;
      },
      std::chrono::seconds(40)))
      << status << demo.Stderr();

  // The page in a real browser (headless Chromium runs its script), between
  // two scrapes of /metrics: its numbers lie between them.
  const auto scored = [&] {
    return testing::ParseExposition(
        testing::HttpGet(port, "/metrics").body)["transactions_processed_total"];
  };
  const double before = scored();
  const auto chromium = RunProcess(
      {"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=3000",
       "--dump-dom", "http://127.0.0.1:" + std::to_string(port) + "/"},
      "", std::chrono::seconds(60));
  const double after = scored();
  ASSERT_EQ(chromium.exit_code, 0) << chromium.err;
  const std::string& dom = chromium.out;
  EXPECT_NE(dom.find("data-loaded=\"1\""), std::string::npos) << "the page never loaded its data";
  const double page_scored = std::stod("0" + ElementText(dom, "scored"));
  EXPECT_GE(page_scored, before) << dom;
  EXPECT_LE(page_scored, after) << dom;
  EXPECT_GT(page_scored, 0);
  EXPECT_EQ(ElementText(dom, "model_version").substr(0, 1), "v") << dom;
  EXPECT_NE(dom.find("<td>v1</td>"), std::string::npos) << "the model table lists v1: " << dom;
  EXPECT_NE(dom.find("id=\"alerts_table\"><tr>"), std::string::npos) << "latest alerts: " << dom;
  EXPECT_NE(dom.find("<polyline"), std::string::npos) << "charts drawn: " << dom;

  // The page's other routes and a method it does not serve.
  EXPECT_EQ(testing::HttpGet(port, "/nothing-here").status, 404);

  ASSERT_EQ(demo.Wait(std::chrono::seconds(60)), 0) << demo.Stderr();
  // produced=N scored=N alerts=N dead_lettered=N models=N model_version=N seconds=S
  std::smatch m;
  const std::string out = demo.Stdout();
  ASSERT_TRUE(std::regex_search(
      out, m,
      std::regex(
          R"(produced=(\d+) scored=(\d+) alerts=(\d+) dead_lettered=0 models=(\d+) model_version=(\d+))")))
      << out;
  EXPECT_GT(std::stoi(m[1]), 1000);
  EXPECT_EQ(m[2], m[1]) << "every event produced was scored before the summary";
  EXPECT_GT(std::stoi(m[3]), 0);
  EXPECT_GE(std::stoi(m[4]), 3) << "retrained every 4 s";
  EXPECT_GE(std::stoi(m[5]), 2) << "a retrained version was hot-reloaded";
}

}  // namespace
}  // namespace kappa

namespace kappa {
namespace {

TEST(CliTest, TrainStateAndModelsAsAUserRunsThem) {
  TempDir dir;
  BrokerProcess broker(dir);
  ASSERT_TRUE(broker.ready());
  ASSERT_EQ(RunProcess({KappaBinary(), "produce", "-b", broker.address(), "--count", "800",
                        "--rate", "max"})
                .exit_code,
            0);
  const std::string state = dir.File("state");
  const std::string models = dir.File("models");
  const std::vector<std::string> where = {"--state-dir", state, "--models-dir", models};
  auto train = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {KappaBinary(), "train", "-b",           broker.address(),
                                     "--state-dir", state,   "--models-dir", models};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  };
  const auto first = train({});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("model v0001  feature set titanic-v1"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("replay: 800 events stored"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("ROC AUC"), std::string::npos);
  const auto second = train({"--feature-set", "titanic-v2", "--no-promote"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.out.find("replay: 0 events stored"), std::string::npos) << "incremental";

  const auto st = RunProcess({KappaBinary(), "state", "--state-dir", state});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_NE(st.out.find("total"), std::string::npos);
  EXPECT_NE(st.out.find("800"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("feature set titanic-v1"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("feature set titanic-v2"), std::string::npos) << st.out;
  const auto digest = RunProcess({KappaBinary(), "state", "--state-dir", state, "--digest"});
  EXPECT_EQ(Lines(digest.out).size(), 1u);
  EXPECT_EQ(Lines(digest.out)[0].size(), 64u) << "a sha256";

  auto models_cmd = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {KappaBinary(),    "models",       "-b",
                                     broker.address(), "--models-dir", models};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunProcess(argv);
  };
  const auto list = models_cmd({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("* v0001"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("  v0002    "), std::string::npos) << list.out;
  const auto show = models_cmd({"show", "2"});
  EXPECT_NE(show.out.find("verified      yes"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("titanic-v2"), std::string::npos);
  EXPECT_EQ(models_cmd({"promote", "2"}).exit_code, 0);
  EXPECT_NE(models_cmd({"list"}).out.find("* v0002"), std::string::npos);
  const auto back = models_cmd({"rollback"});
  EXPECT_EQ(back.exit_code, 0) << back.err;
  EXPECT_NE(back.out.find("v0001 is current"), std::string::npos) << back.out;
  // promote and rollback were published: the models topic holds 2 + 2 records.
  const auto offsets = RunProcess(
      {"kcat", "-b", broker.address(), "-C", "-t", "titanic-models", "-e", "-q", "-f", "%o\n"});
  EXPECT_EQ(Lines(offsets.out).size(), 4u) << offsets.err;

  EXPECT_EQ(models_cmd({"show", "9"}).exit_code, 1);
  EXPECT_EQ(models_cmd({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(models_cmd({"show"}).exit_code, 2);
  const auto bad_set = train({"--feature-set", "titanic-v9"});
  EXPECT_EQ(bad_set.exit_code, 2);
  EXPECT_NE(bad_set.err.find("titanic-v1, titanic-v2"), std::string::npos) << bad_set.err;
  const auto no_state = RunProcess({KappaBinary(), "state", "--state-dir", dir.File("none")});
  EXPECT_EQ(no_state.exit_code, 2);

  // infer scores everything up to the end with the current model (v0001).
  const auto infer = RunProcess({KappaBinary(), "infer", "-b", broker.address(), "--models-dir",
                                 models, "--until-end", "--metrics-port", "0"});
  ASSERT_EQ(infer.exit_code, 0) << infer.err;
  EXPECT_NE(infer.out.find("scored=800 "), std::string::npos) << infer.out;
  EXPECT_NE(infer.err.find("scoring with model v1"), std::string::npos) << infer.err;
}

TEST(CliTest, InferWithoutAModelWaitsAndSaysSoThenStopsCleanly) {
  TempDir dir;
  BrokerProcess broker(dir);
  ASSERT_TRUE(broker.ready());
  BackgroundProcess infer({KappaBinary(), "infer", "-b", broker.address(), "--models-dir",
                           dir.File("empty-models"), "--metrics-port", "0"},
                          dir.File("infer"));
  ASSERT_TRUE(
      testing::Eventually([&] { return infer.Stderr().find("no model") != std::string::npos; },
                          std::chrono::seconds(20)))
      << infer.Stderr();
  infer.Signal(SIGTERM);
  EXPECT_EQ(infer.Wait(std::chrono::seconds(20)), 0) << infer.Stderr();
}

}  // namespace
}  // namespace kappa
