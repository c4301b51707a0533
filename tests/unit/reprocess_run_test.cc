#include "training/reprocess_run.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace kappa::training {
namespace {

TEST(ReprocessRunTest, SavedRecordLoadsBackEqualAndReplacesTheOldOne) {
  testing::TempDir dir;
  const std::string path = dir.File("run");
  EXPECT_FALSE(LoadReprocessRun(path).value().has_value()) << "no record yet";
  ReprocessRun run{.feature_set = "titanic-v2",
                   .phase = ReprocessRun::Phase::kRescore,
                   .model_version = 3,
                   .output_topic = "titanic-predictions.titanic-v2",
                   .output_start = {{0, 0}, {1, 17}},
                   .history = "0:0:40:40 1:5:60:55",
                   .previous_model_version = 2,
                   .previous_history = "0:0:40:40",
                   .previous_output_start = {{0, 0}},
                   .previous_output_end = {{0, 40}}};
  ASSERT_TRUE(SaveReprocessRun(path, run).ok());
  EXPECT_EQ(LoadReprocessRun(path).value(), run);
  run.phase = ReprocessRun::Phase::kDone;
  run.output_end = {{0, 40}, {1, 60}};
  ASSERT_TRUE(SaveReprocessRun(path, run).ok());
  EXPECT_EQ(LoadReprocessRun(path).value(), run);
}

TEST(ReprocessRunTest, DamagedRecordIsCorruptionNamingTheFileAndTheWayOut) {
  testing::TempDir dir;
  const std::string path = dir.File("run");
  ASSERT_TRUE(SaveReprocessRun(path, {.feature_set = "titanic-v2"}).ok());
  for (const char* text : {"garbage\n", "kappa-reprocess-run 1\nfeature_set x\nphase later\n",
                           "kappa-reprocess-run 1\nfeature_set x\nphase done\noutput_start 0=x\n",
                           "kappa-reprocess-run 1\nphase done\n"}) {
    std::ofstream(path + "/run.txt") << text;
    auto r = LoadReprocessRun(path);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find(path + "/run.txt"), std::string::npos);
    EXPECT_NE(r.status().message().find("delete " + path), std::string::npos);
  }
}

}  // namespace
}  // namespace kappa::training
