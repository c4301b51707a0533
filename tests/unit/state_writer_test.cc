// StateWriter: jobs applied in order on its thread; a write error stops it
// and reaches the owner.
#include "training/state_writer.h"

#include <gtest/gtest.h>

#include "state/event_store.h"
#include "tests/support/temp_dir.h"

namespace kappa::training {
namespace {

WriteJob Job(int64_t offset, const std::string& value) {
  WriteJob job;
  job.batch.topic = "t";
  job.batch.events.push_back({0, offset, value});
  job.batch.checkpoints.push_back({.topic = "t",
                                   .partition = 0,
                                   .next_offset = offset + 1,
                                   .first_offset = 0,
                                   .events = static_cast<uint64_t>(offset + 1)});
  return job;
}

TEST(StateWriterTest, AppliesJobsInOrder) {
  testing::TempDir dir;
  auto store = state::EventStore::Open({.path = dir.File("s")}).value();
  const std::vector<std::string> values = {"a", "b", "c", "d", "e", "f", "g"};
  {
    StateWriter writer(store.get());
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_TRUE(writer.Submit(Job(static_cast<int64_t>(i), values[i])).ok());
    }
    ASSERT_TRUE(writer.Finish().ok());
  }
  std::vector<std::string> seen;
  ASSERT_TRUE(store
                  ->ForEachEvent("t",
                                 [&](const state::StoredEvent& e) {
                                   seen.emplace_back(e.value);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(seen, values);
  auto cp = store->Checkpoint("t", 0).value();
  ASSERT_TRUE(cp.has_value());
  EXPECT_EQ(cp->next_offset, 7) << "the last job's checkpoint is the one that stays";
}

TEST(StateWriterTest, AWriteErrorReachesTheOwnerAndStopsTheWriter) {
  testing::TempDir dir;
  auto store = state::EventStore::Open({.path = dir.File("s")}).value();
  ASSERT_TRUE(store->Close().ok());  // every write now fails
  StateWriter writer(store.get());
  Status first = writer.Submit(Job(0, "x"));  // queued; fails on the thread
  EXPECT_TRUE(first.ok());
  const Status finished = writer.Finish();
  EXPECT_FALSE(finished.ok());
  EXPECT_NE(finished.message().find("closed"), std::string::npos) << finished.message();
  EXPECT_FALSE(writer.Submit(Job(1, "y")).ok()) << "no job is accepted after a failure";
}

}  // namespace
}  // namespace kappa::training
