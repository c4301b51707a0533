// /metrics of the commands other than infer (prometheus_test covers infer):
// their own counts, process health, Kafka errors, and what a busy port does.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "stream/passenger_generator.h"
#include "stream/passenger_publisher.h"
#include "tests/support/broker_fixture.h"
#include "tests/support/http.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace kappa {
namespace {

using testing::ParseExposition;

std::map<std::string, double> Scrape(int port) {
  return ParseExposition(testing::HttpGet(port, "/metrics").body);
}

// Holds a loopback port open for the test's duration.
class BusyPort {
 public:
  BusyPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t len = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~BusyPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class MetricsTest : public testing::EmbeddedBrokerTest {
 protected:
  testing::TempDir dir_;
};

TEST_F(MetricsTest, ProduceServesItsCountsAndProcessHealth) {
  const int port = testing::FreeLoopbackPort();
  testing::BackgroundProcess produce(
      {testing::KappaBinary(), "produce", "-b", bootstrap(), "--rate", "100", "--count", "300",
       "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1"},
      dir_.File("produce"));
  std::map<std::string, double> m;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        m = Scrape(port);
        return m["kappa_events_acknowledged_total"] >= 50;
      },
      std::chrono::seconds(20)))
      << produce.Stderr();
  EXPECT_GE(m["kappa_events_produced_total"], m["kappa_events_acknowledged_total"]);
  EXPECT_LE(m["kappa_events_produced_total"], 300);
  EXPECT_EQ(m["kappa_events_failed_total"], 0);
  EXPECT_EQ(m["kappa_produce_bad_rows_total"], 0);
  EXPECT_EQ(m["kappa_build_info{command=\"produce\",version=\"" KAPPA_VERSION "\"}"], 1);
  EXPECT_GT(m["process_resident_memory_bytes"], 1e6);
  EXPECT_GT(m["process_virtual_memory_bytes"], m["process_resident_memory_bytes"]);
  EXPECT_GT(m["process_open_fds"], 3);
  EXPECT_GE(m["process_cpu_seconds_total"], 0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(m["process_start_time_seconds"], now, 30);
  EXPECT_EQ(produce.Wait(std::chrono::seconds(30)), 0) << produce.Stderr();
}

TEST_F(MetricsTest, TrainServesItsReplayAndFitUntilTheLingerEnds) {
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 3});
  ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(), {.rate = 0, .count = 1000},
                                      [] { return false; })
                .acknowledged,
            1000u);
  const int port = testing::FreeLoopbackPort();
  testing::BackgroundProcess train(
      {testing::KappaBinary(), "train", "-b", bootstrap(), "--state-dir", dir_.File("state"),
       "--models-dir", dir_.File("models"), "--no-publish", "--rounds", "30", "--metrics-port",
       std::to_string(port), "--metrics-bind", "127.0.0.1", "--metrics-linger", "60"},
      dir_.File("train"));
  std::map<std::string, double> m;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        m = Scrape(port);
        return m["kappa_training_model_version"] == 1;
      },
      std::chrono::seconds(60)))
      << train.Stderr();
  EXPECT_EQ(m["kappa_replay_records_total"], 1000);
  EXPECT_EQ(m["kappa_replay_target_records"], 1000);
  EXPECT_EQ(m["kappa_replay_progress_ratio"], 1);
  EXPECT_GT(m["kappa_training_accuracy"], 0.6);
  EXPECT_GT(m["kappa_training_roc_auc"], 0.6);
  EXPECT_GT(m["kappa_training_log_loss"], 0);
  EXPECT_GE(m["kappa_training_rounds"], 1);
  EXPECT_LE(m["kappa_training_rounds"], 30);
  EXPECT_EQ(m["kappa_build_info{command=\"train\",version=\"" KAPPA_VERSION "\"}"], 1);
  // Still serving: the linger. Ctrl-C ends it at once, successfully.
  EXPECT_FALSE(train.Wait(std::chrono::seconds(0)).has_value());
  train.Signal(SIGINT);
  EXPECT_EQ(train.Wait(std::chrono::seconds(10)), 0) << train.Stderr();
}

TEST_F(MetricsTest, KafkaClientErrorsAreCountedByName) {
  // Nothing listens on port 1: every connection attempt fails.
  const int port = testing::FreeLoopbackPort();
  testing::BackgroundProcess produce(
      {testing::KappaBinary(), "produce", "-b", "127.0.0.1:1", "--rate", "1", "--flush-timeout",
       "0", "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1"},
      dir_.File("produce"));
  std::map<std::string, double> m;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        m = Scrape(port);
        return m["kappa_kafka_errors_total{error=\"_TRANSPORT\"}"] +
                   m["kappa_kafka_errors_total{error=\"_ALL_BROKERS_DOWN\"}"] >=
               1;
      },
      std::chrono::seconds(20)))
      << produce.Stderr();
  produce.Signal(SIGINT);
  EXPECT_NE(produce.Wait(std::chrono::seconds(20)), 0) << "nothing was delivered";
}

TEST_F(MetricsTest, ABusyPortStopsInferButOnlyWarnsABatchJob) {
  BusyPort busy;
  const auto produce =
      testing::RunProcess({testing::KappaBinary(), "produce", "-b", bootstrap(), "--rate", "max",
                           "--count", "5", "--metrics-port", std::to_string(busy.port())});
  EXPECT_EQ(produce.exit_code, 0) << produce.err;
  EXPECT_NE(produce.out.find("acknowledged=5"), std::string::npos) << produce.out;
  EXPECT_NE(produce.err.find("running without /metrics"), std::string::npos) << produce.err;

  const auto infer =
      testing::RunProcess({testing::KappaBinary(), "infer", "-b", bootstrap(), "--models-dir",
                           dir_.File("models"), "--metrics-port", std::to_string(busy.port())});
  EXPECT_EQ(infer.exit_code, 1) << infer.err;
  EXPECT_NE(infer.err.find("cannot serve metrics on 0.0.0.0:" + std::to_string(busy.port())),
            std::string::npos)
      << infer.err;
}

}  // namespace
}  // namespace kappa
