// CommitTracker: a commit never passes a record the broker has not
// acknowledged, in its own batch or any earlier one.
#include "inference/commit_tracker.h"

#include <gtest/gtest.h>

namespace kappa::inference {
namespace {

using stream::TopicPartitionOffset;

std::vector<TopicPartitionOffset> At(int32_t partition, int64_t next) {
  return {{"events", partition, next}};
}

TEST(CommitTrackerTest, ABatchIsCommittableOnlyWhenSealedAndAcknowledged) {
  CommitTracker tracker;
  auto* batch = tracker.Open(At(0, 10));
  tracker.Expect(batch);
  tracker.Expect(batch);
  EXPECT_TRUE(tracker.TakeCommittable().empty()) << "not sealed";
  tracker.Seal(batch);
  tracker.Acknowledged(CommitTracker::Token(batch), true);
  EXPECT_TRUE(tracker.TakeCommittable().empty()) << "one record outstanding";
  tracker.Acknowledged(CommitTracker::Token(batch), true);
  EXPECT_EQ(tracker.TakeCommittable(), At(0, 10));
  EXPECT_EQ(tracker.open_batches(), 0u);
  EXPECT_TRUE(tracker.TakeCommittable().empty()) << "taken once";
}

TEST(CommitTrackerTest, ABatchWithNothingToSendIsCommittableWhenSealed) {
  CommitTracker tracker;
  tracker.Seal(tracker.Open(At(1, 5)));
  EXPECT_EQ(tracker.TakeCommittable(), At(1, 5));
}

TEST(CommitTrackerTest, ALaterBatchWaitsForEveryEarlierOne) {
  CommitTracker tracker;
  auto* first = tracker.Open(At(0, 10));
  tracker.Expect(first);
  tracker.Seal(first);
  const std::vector<TopicPartitionOffset> both = {{"events", 0, 20}, {"events", 1, 7}};
  auto* second = tracker.Open(both);
  tracker.Expect(second);
  tracker.Seal(second);
  tracker.Acknowledged(CommitTracker::Token(second), true);  // acknowledged out of order
  EXPECT_TRUE(tracker.TakeCommittable().empty());
  tracker.Acknowledged(CommitTracker::Token(first), true);
  EXPECT_EQ(tracker.TakeCommittable(), both) << "the latest offset per partition";
}

TEST(CommitTrackerTest, NothingIsCommittableAfterAFailure) {
  CommitTracker tracker;
  auto* first = tracker.Open(At(0, 10));
  tracker.Expect(first);
  tracker.Seal(first);
  auto* second = tracker.Open(At(0, 20));
  tracker.Expect(second);
  tracker.Seal(second);
  tracker.Acknowledged(CommitTracker::Token(first), false);
  tracker.Acknowledged(CommitTracker::Token(second), true);
  EXPECT_EQ(tracker.failures(), 1u);
  EXPECT_TRUE(tracker.TakeCommittable().empty());
}

TEST(CommitTrackerTest, ReportsForClearedBatchesChangeNothing) {
  CommitTracker tracker;
  auto* revoked = tracker.Open(At(0, 10));
  tracker.Expect(revoked);
  tracker.Seal(revoked);
  // The token is taken at send time, while the batch lives; `revoked`
  // dangles after Clear().
  void* const revoked_token = CommitTracker::Token(revoked);
  tracker.Clear();
  auto* next = tracker.Open(At(2, 3));  // may reuse the revoked batch's memory
  tracker.Expect(next);
  tracker.Seal(next);
  tracker.Acknowledged(revoked_token, true);  // its batch is gone
  EXPECT_TRUE(tracker.TakeCommittable().empty());
  tracker.Acknowledged(CommitTracker::Token(next), true);
  EXPECT_EQ(tracker.TakeCommittable(), At(2, 3));
}

}  // namespace
}  // namespace kappa::inference
