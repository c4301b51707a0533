// The real Prometheus server (Debian's `prometheus`) with our scrape config
// and rules (monitoring/), pointed at a running `kappa infer` on the embedded
// broker: the seed's PromQL queries return what infer counted.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "tests/support/http.h"
#include "tests/support/scoring_fixture.h"

namespace kappa {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// monitoring/prometheus.yml made to run here: the kappa-infer job's DNS
// discovery (the compose service) becomes a static loopback target, the
// rules come from the repository, Prometheus scrapes itself on its port.
std::string LoopbackConfig(int infer_port, int prometheus_port) {
  std::string config = ReadFile(std::string(KAPPA_SOURCE_DIR) + "/monitoring/prometheus.yml");
  const std::regex infer_discovery(
      R"(dns_sd_configs:\s*\n\s*- names: \[infer\]\s*\n\s*type: A\s*\n\s*port: 8000)");
  EXPECT_TRUE(std::regex_search(config, infer_discovery))
      << "the kappa-infer job's dns_sd_configs block changed shape; update this test";
  config = std::regex_replace(
      config, infer_discovery,
      "static_configs:\n      - targets: ['127.0.0.1:" + std::to_string(infer_port) + "']");
  config = std::regex_replace(config, std::regex("/etc/prometheus/rules/"),
                              std::string(KAPPA_SOURCE_DIR) + "/monitoring/rules/");
  config = std::regex_replace(config, std::regex("localhost:9090"),
                              "127.0.0.1:" + std::to_string(prometheus_port));
  return config;
}

class PrometheusTest : public testing::ScoringTest {
 protected:
  // The value of an instant query that returns one series (NaN otherwise).
  double Query(const std::string& expr, const std::string& at = "") {
    std::string target = "/api/v1/query?query=" + testing::UrlEncode(expr);
    if (!at.empty()) target += "&time=" + at;
    const auto response = testing::HttpGet(prometheus_port_, target);
    if (response.status != 200) return std::nan("");
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    if (parser.parse(response.body).get(doc) != simdjson::SUCCESS) return std::nan("");
    simdjson::dom::array result;
    if (doc["data"]["result"].get_array().get(result) != simdjson::SUCCESS || result.size() != 1) {
      return std::nan("");
    }
    std::string_view value;
    if (result.at(0)["value"].at(1).get_string().get(value) != simdjson::SUCCESS) {
      return std::nan("");
    }
    return std::stod(std::string(value));
  }

  int prometheus_port_ = 0;
};

// histogram_quantile(q, ...) over cumulative buckets (upper bound -> count),
// as PromQL computes it: linear interpolation inside the bucket holding the
// rank, the first bucket starting at 0, the +Inf bucket answered by the
// highest finite bound.
double BucketQuantile(double q, const std::map<double, double>& buckets) {
  const double total = buckets.rbegin()->second;
  const double rank = q * total;
  double lower = 0;
  double below = 0;
  for (const auto& [upper, count] : buckets) {
    if (count >= rank) {
      if (std::isinf(upper)) return lower;
      return lower + (upper - lower) * (rank - below) / (count - below);
    }
    lower = upper;
    below = count;
  }
  return lower;
}

TEST_F(PrometheusTest, SeedQueriesReturnWhatInferCounted) {
  // A topic of its own, empty at first, so that Prometheus sees infer's
  // counters at 0 before any event arrives.
  ASSERT_TRUE(broker_->CreateTopic("titanic-live", 3).ok());
  const int infer_port = testing::FreeLoopbackPort();
  prometheus_port_ = testing::FreeLoopbackPort();
  ASSERT_NE(infer_port, prometheus_port_);
  const std::string config_path = dir_.File("prometheus.yml");
  std::ofstream(config_path) << LoopbackConfig(infer_port, prometheus_port_);
  testing::BackgroundProcess prometheus(
      {"prometheus", "--config.file=" + config_path,
       "--storage.tsdb.path=" + dir_.File("prometheus-data"),
       "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_)},
      dir_.File("prometheus"));
  ASSERT_TRUE(testing::Eventually(
      [&] { return testing::HttpGet(prometheus_port_, "/-/ready").status == 200; },
      std::chrono::seconds(30)))
      << prometheus.Stderr();
  // Our rules loaded into the real server (a broken rule file fails the start).
  ASSERT_EQ(testing::HttpGet(prometheus_port_, "/api/v1/rules").status, 200);

  testing::BackgroundProcess infer(
      {testing::KappaBinary(), "infer", "-b", bootstrap(), "--models-dir", models_dir(), "--topic",
       "titanic-live", "--metrics-port", std::to_string(infer_port), "--metrics-bind", "127.0.0.1",
       "-X", "group.id=prometheus-test"},
      dir_.File("infer"));
  ASSERT_TRUE(testing::Eventually([&] { return Query("transactions_processed_total") == 0; },
                                  std::chrono::seconds(40)))
      << "Prometheus never scraped infer; infer: " << infer.Stderr()
      << "\nprometheus: " << prometheus.Stderr();
  EXPECT_EQ(Query("up{job=\"kappa-infer\"}"), 1);

  constexpr uint64_t kLive = 2000;
  auto producer = MakeProducer();
  auto source = stream::MakeGeneratorSource({.seed = 9, .first_id = 700000});
  ASSERT_EQ(stream::PublishPassengers(producer.get(), source.get(),
                                      {.topic = "titanic-live", .rate = 0, .count = kLive},
                                      [] { return false; })
                .acknowledged,
            kLive);

  // What infer itself says once it has scored them all.
  std::map<std::string, double> own;
  ASSERT_TRUE(testing::Eventually(
      [&] {
        own = testing::ParseExposition(testing::HttpGet(infer_port, "/metrics").body);
        return own["transactions_processed_total"] == kLive;
      },
      std::chrono::seconds(60)));
  const double survived = own["survived_detected_total"];
  ASSERT_EQ(survived, static_cast<double>(TopicSize("titanic-alerts")))
      << "one alert per survived=1 prediction";
  ASSERT_GT(survived, 0);
  std::map<double, double> buckets;  // le -> cumulative count
  for (const auto& [key, value] : own) {
    std::smatch m;
    if (std::regex_match(key, m,
                         std::regex(R"re(processing_latency_seconds_bucket\{le="([^"]+)"\})re"))) {
      buckets[m[1] == "+Inf" ? INFINITY : std::stod(m[1])] = value;
    }
  }
  ASSERT_FALSE(buckets.empty());
  const double latency_count = own["processing_latency_seconds_count"];
  const double latency_sum = own["processing_latency_seconds_sum"];

  // Prometheus has the final values (one scrape carries them all).
  ASSERT_TRUE(testing::Eventually(
      [&] {
        return Query("processing_latency_seconds_count") == latency_count &&
               Query("transactions_processed_total") == kLive;
      },
      std::chrono::seconds(30)));
  // Evaluated at the last scrape, with a 0 sample inside the 1m window, the
  // rates need no extrapolation: rate = increase / 60 s, exactly.
  const double last_scrape = Query("timestamp(transactions_processed_total)");
  ASSERT_FALSE(std::isnan(last_scrape));
  const std::string at = std::to_string(last_scrape);
  ASSERT_EQ(Query("min_over_time(transactions_processed_total[1m])", at), 0)
      << "the 1m window must start before the events arrived";

  EXPECT_NEAR(Query("rate(transactions_processed_total[1m])", at), kLive / 60.0, 1e-9);
  EXPECT_NEAR(
      Query("histogram_quantile(0.5, sum(rate(processing_latency_seconds_bucket[1m])) by (le))",
            at),
      BucketQuantile(0.5, buckets), 1e-9);
  EXPECT_NEAR(
      Query("histogram_quantile(0.95, sum(rate(processing_latency_seconds_bucket[1m])) by (le))",
            at),
      BucketQuantile(0.95, buckets), 1e-9);
  EXPECT_NEAR(Query("(survived_detected_total / transactions_processed_total) * 100", at),
              100.0 * survived / kLive, 1e-9);
  EXPECT_NEAR(
      Query("rate(processing_latency_seconds_sum[1m]) / rate(processing_latency_seconds_count[1m])",
            at),
      latency_sum / latency_count, 1e-12);
  EXPECT_NEAR(Query("survival_rate", at), 100.0 * survived / kLive, 1e-9);
  EXPECT_EQ(Query("kappa_model_version", at), 1);
  EXPECT_EQ(Query("kappa_build_info{command=\"infer\"}", at), 1);
}

}  // namespace
}  // namespace kappa
