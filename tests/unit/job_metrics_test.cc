// The job metrics' update rules and the process collector's families.
#include "monitoring/job_metrics.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "monitoring/process_metrics.h"

namespace kappa::monitoring {
namespace {

TEST(JobMetricsTest, CountersFollowRunningTotalsAndNeverGoBack) {
  prometheus::Registry registry;
  ProduceMetrics produce(registry);
  produce.Update(10, 8, 1, 2);
  produce.Update(25, 20, 1, 2);
  produce.Update(20, 19, 0, 0);  // a smaller total never lowers a counter
  EXPECT_EQ(produce.produced.Value(), 25);
  EXPECT_EQ(produce.acknowledged.Value(), 20);
  EXPECT_EQ(produce.failed.Value(), 1);
  EXPECT_EQ(produce.bad_rows.Value(), 2);
}

TEST(JobMetricsTest, ReplayProgressIsAShareOfTheTarget) {
  prometheus::Registry registry;
  ReplayMetrics replay(registry);
  replay.Update(250, 1000, 0.5);
  EXPECT_EQ(replay.records.Value(), 250);
  EXPECT_EQ(replay.target.Value(), 1000);
  EXPECT_DOUBLE_EQ(replay.progress.Value(), 0.25);
  EXPECT_DOUBLE_EQ(replay.rate.Value(), 500);
  replay.Update(0, 0, 0);  // nothing to replay: done, not 0%
  EXPECT_DOUBLE_EQ(replay.progress.Value(), 1.0);
}

TEST(ProcessCollectorTest, CarriesBuildInfoProcessHealthAndKafkaErrorsByName) {
  CountKafkaError("_TRANSPORT");
  CountKafkaError("_TRANSPORT");
  CountKafkaError("_ALL_BROKERS_DOWN");
  const auto families = ProcessCollector("train").Collect();
  const auto family = [&](const std::string& name) -> const prometheus::MetricFamily* {
    const auto it = std::find_if(families.begin(), families.end(),
                                 [&](const auto& f) { return f.name == name; });
    return it != families.end() ? &*it : nullptr;
  };
  const auto* build = family("kappa_build_info");
  ASSERT_NE(build, nullptr);
  ASSERT_EQ(build->metric.size(), 1u);
  EXPECT_EQ(build->metric[0].label[0].value, "train");
  EXPECT_EQ(build->metric[0].gauge.value, 1);
  for (const char* name :
       {"process_cpu_seconds_total", "process_resident_memory_bytes",
        "process_virtual_memory_bytes", "process_start_time_seconds", "process_open_fds"}) {
    ASSERT_NE(family(name), nullptr) << name;
  }
  EXPECT_GT(family("process_resident_memory_bytes")->metric[0].gauge.value, 0);
  const auto* errors = family("kappa_kafka_errors_total");
  ASSERT_NE(errors, nullptr);
  std::map<std::string, double> by_name;
  for (const auto& m : errors->metric) by_name[m.label.at(0).value] = m.counter.value;
  EXPECT_EQ(by_name["_TRANSPORT"], 2);
  EXPECT_EQ(by_name["_ALL_BROKERS_DOWN"], 1);
}

}  // namespace
}  // namespace kappa::monitoring
