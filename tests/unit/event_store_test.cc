#include "state/event_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/sha256.h"
#include "tests/support/temp_dir.h"

namespace kappa::state {

// Readable failure output for checkpoints.
void PrintTo(const PartitionCheckpoint& cp, std::ostream* os) {
  *os << cp.topic << "/" << cp.partition << "{next=" << cp.next_offset
      << " first=" << cp.first_offset << " events=" << cp.events << " labeled=" << cp.labeled
      << " dlq=" << cp.dead_lettered << " expired=" << cp.expired << "}";
}

namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kTopic[] = "titanic-events";
// SHA-256 of no input: the digest of an empty store.
constexpr char kEmptySha256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

MATCHER(IsOk, "") {
  *result_listener << arg.ToString();
  return arg.ok();
}

MATCHER_P2(HasError, code, substring, "") {
  *result_listener << arg.ToString();
  return arg.code() == code && arg.message().find(substring) != std::string::npos;
}

// A deterministic ~250-byte value per (partition, offset), including NUL and
// 0xff bytes so that byte-exactness is really checked.
std::string ValueFor(int32_t partition, int64_t offset, size_t size = 250) {
  // Cycles through all 256 byte values; each event starts at another point.
  // A copy, not a loop per byte: the crash test's child must spend its time
  // writing, not building values.
  static const std::string kPattern = [] {
    std::string pattern(512, '\0');
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>(i * 7 % 256);
    return pattern;
  }();
  std::string value = "{\"p\":" + std::to_string(partition) + ",\"o\":" + std::to_string(offset);
  const size_t start = static_cast<size_t>(offset * 31 + partition) % 256;
  if (value.size() < size) value.append(kPattern, start, size - value.size());
  return value;
}

// Events and their values: a ReplayBatch only holds views.
struct BatchData {
  std::vector<std::string> values;
  ReplayBatch batch;
};

// A batch of `count` events of `partition` from `first`, with the matching
// checkpoint. `data->values` must not be reallocated afterwards.
void AddRange(int32_t partition, int64_t first, int64_t count, BatchData* data) {
  for (int64_t o = first; o < first + count; ++o) data->values.push_back(ValueFor(partition, o));
  const size_t start = data->values.size() - static_cast<size_t>(count);
  for (int64_t i = 0; i < count; ++i) {
    data->batch.events.push_back(
        {partition, first + i, data->values[start + static_cast<size_t>(i)]});
  }
  data->batch.checkpoints.push_back({.topic = data->batch.topic,
                                     .partition = partition,
                                     .next_offset = first + count,
                                     .first_offset = 0,
                                     .events = static_cast<uint64_t>(first + count)});
}

BatchData MakeBatch(std::string topic, const std::vector<std::pair<int32_t, int64_t>>& ranges,
                    int64_t first = 0) {
  BatchData data;
  data.batch.topic = std::move(topic);
  size_t total = 0;
  for (const auto& [p, n] : ranges) total += static_cast<size_t>(n);
  data.values.reserve(total);
  for (const auto& [p, n] : ranges) AddRange(p, first, n, &data);
  return data;
}

struct Row {
  int32_t partition;
  int64_t offset;
  std::string value;
  bool operator==(const Row&) const = default;
};

void PrintTo(const Row& row, std::ostream* os) {
  *os << row.partition << "@" << row.offset << " (" << row.value.size() << " bytes)";
}

std::vector<Row> ReadAll(const EventStore& store, const std::string& topic) {
  std::vector<Row> rows;
  const Status s = store.ForEachEvent(topic, [&](const StoredEvent& e) {
    rows.push_back({e.partition, e.offset, std::string(e.value)});
    return true;
  });
  EXPECT_THAT(s, IsOk());
  return rows;
}

// Opens a store directory with a plain RocksDB handle, to look at or plant
// bytes the EventStore API would never write. The store must be closed.
void WithRawDb(const fs::path& dir, const std::function<void(rocksdb::DB*)>& fn) {
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status opened = rocksdb::DB::Open(rocksdb::Options(), dir.string(), &raw);
  ASSERT_TRUE(opened.ok()) << opened.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  fn(db.get());
  const rocksdb::Status closed = db->Close();
  ASSERT_TRUE(closed.ok()) << closed.ToString();
}

std::string Key(std::initializer_list<std::string_view> parts) {
  std::string key;
  for (const auto part : parts) key.append(part);
  return key;
}

class EventStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(Reopen()); }

  void TearDown() override {
    if (store_) {
      EXPECT_THAT(store_->Close(), IsOk());
    }
  }

  // Closes the current store (checking the status) and opens it again.
  void Reopen(EventStoreOptions options = {}) {
    if (store_) {
      ASSERT_THAT(store_->Close(), IsOk());
    }
    store_.reset();
    options.path = db_path().string();
    Result<std::unique_ptr<EventStore>> opened = EventStore::Open(options);
    ASSERT_THAT(opened.status(), IsOk());
    store_ = std::move(opened).value();
  }

  void CloseStore() {
    ASSERT_THAT(store_->Close(), IsOk());
    store_.reset();
  }

  std::string DigestOf(const EventStore& store) {
    Result<std::string> digest = store.Digest();
    EXPECT_THAT(digest.status(), IsOk());
    return digest.ok() ? digest.value() : "";
  }

  std::vector<PartitionCheckpoint> CheckpointsOf(const std::string& topic) {
    Result<std::vector<PartitionCheckpoint>> cps = store_->Checkpoints(topic);
    EXPECT_THAT(cps.status(), IsOk());
    return cps.ok() ? cps.value() : std::vector<PartitionCheckpoint>{};
  }

  // A nested path, so that Open() has to create the parents too.
  fs::path db_path() const { return dir_ / "nested" / "state"; }

  const kappa::testing::TempDir tmp_;  // removed after the test
  const fs::path dir_ = tmp_.path();
  std::unique_ptr<EventStore> store_;
};

TEST_F(EventStoreTest, OpenCreatesParentDirectories) {
  EXPECT_TRUE(fs::is_directory(db_path()));
  EXPECT_EQ(store_->path(), db_path().string());
}

TEST_F(EventStoreTest, EventsComeBackInPartitionOffsetOrderByteExact) {
  // Written out of order and across two batches; read back sorted.
  BatchData second = MakeBatch(kTopic, {{2, 3}, {0, 2}}, /*first=*/2);
  BatchData first = MakeBatch(kTopic, {{1, 4}, {0, 2}, {2, 2}});
  ASSERT_THAT(store_->ApplyBatch(second.batch), IsOk());
  ASSERT_THAT(store_->ApplyBatch(first.batch), IsOk());

  std::vector<Row> expected;
  for (const auto& [p, n] : std::vector<std::pair<int32_t, int64_t>>{{0, 4}, {1, 4}, {2, 5}}) {
    for (int64_t o = 0; o < n; ++o) expected.push_back({p, o, ValueFor(p, o)});
  }
  EXPECT_EQ(ReadAll(*store_, kTopic), expected);
}

TEST_F(EventStoreTest, OffsetsSortNumericallyNotLexically) {
  // Big-endian keys: 255 < 256 < 65536 < 2^40, and partition 10 after 9.
  BatchData data;
  data.batch.topic = kTopic;
  data.values = {"a", "b", "c", "d", "e"};
  data.batch.events = {{10, 0, data.values[0]},
                       {9, int64_t{1} << 40, data.values[1]},
                       {9, 65536, data.values[2]},
                       {9, 256, data.values[3]},
                       {9, 255, data.values[4]}};
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  EXPECT_THAT(ReadAll(*store_, kTopic),
              ElementsAre(Row{9, 255, "e"}, Row{9, 256, "d"}, Row{9, 65536, "c"},
                          Row{9, int64_t{1} << 40, "b"}, Row{10, 0, "a"}));
}

TEST_F(EventStoreTest, KeysFollowTheDocumentedLayout) {
  BatchData data;
  data.batch.topic = "t";
  data.values = {"v"};
  data.batch.events = {{1, 0x0102030405, data.values[0]}};
  data.batch.checkpoints = {{.topic = "t", .partition = 2, .next_offset = 7}};
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  ASSERT_THAT(store_->PutFeatureStats("fs", "{}"), IsOk());
  ASSERT_NO_FATAL_FAILURE(CloseStore());

  std::map<std::string, std::string> kv;
  ASSERT_NO_FATAL_FAILURE(WithRawDb(db_path(), [&](rocksdb::DB* db) {
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next())
      kv[it->key().ToString()] = it->value().ToString();
    EXPECT_TRUE(it->status().ok()) << it->status().ToString();
  }));

  using std::string_view_literals::operator""sv;
  const std::string event_key = Key({"et"sv, "\0"sv, "\0\0\0\1"sv, "\0\0\0\1\2\3\4\5"sv});
  const std::string checkpoint_key = Key({"ct"sv, "\0"sv, "\0\0\0\2"sv});
  ASSERT_EQ(kv.size(), 3u);
  EXPECT_EQ(kv[event_key], "v");
  EXPECT_EQ(kv["ffs"], "{}");
  const std::string& cp = kv[checkpoint_key];
  ASSERT_EQ(cp.size(), 49u);  // version byte + 6 fields of 8 bytes
  EXPECT_EQ(cp[0], '\1');
  EXPECT_EQ(cp.substr(1, 8), Key({"\0\0\0\0\0\0\0\7"sv}));         // next_offset
  EXPECT_EQ(cp.substr(9, 8), "\xff\xff\xff\xff\xff\xff\xff\xff");  // first_offset -1
}

TEST_F(EventStoreTest, CheckpointsReplacePerPartitionAndComeSorted) {
  BatchData a = MakeBatch(kTopic, {{2, 5}, {0, 3}});
  ASSERT_THAT(store_->ApplyBatch(a.batch), IsOk());
  BatchData b = MakeBatch(kTopic, {{0, 4}, {1, 1}}, /*first=*/3);
  b.batch.checkpoints[0].labeled = 2;
  b.batch.checkpoints[0].dead_lettered = 1;
  b.batch.checkpoints[0].expired = 9;
  b.batch.checkpoints[0].first_offset = 0;
  ASSERT_THAT(store_->ApplyBatch(b.batch), IsOk());

  const std::vector<PartitionCheckpoint> cps = CheckpointsOf(kTopic);
  ASSERT_EQ(cps.size(), 3u);
  EXPECT_EQ(cps[0], b.batch.checkpoints[0]);  // replaced: partition 0 now at 7
  EXPECT_EQ(cps[0].next_offset, 7);
  EXPECT_EQ(cps[1], b.batch.checkpoints[1]);
  EXPECT_EQ(cps[2], a.batch.checkpoints[0]);

  Result<std::optional<PartitionCheckpoint>> one = store_->Checkpoint(kTopic, 0);
  ASSERT_THAT(one.status(), IsOk());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ(**one, b.batch.checkpoints[0]);
}

TEST_F(EventStoreTest, CheckpointsOfAllTopicsSortByTopicThenPartition) {
  BatchData z = MakeBatch("z", {{1, 1}, {0, 1}});
  BatchData a = MakeBatch("a", {{3, 1}});
  ASSERT_THAT(store_->ApplyBatch(z.batch), IsOk());
  ASSERT_THAT(store_->ApplyBatch(a.batch), IsOk());
  std::vector<std::pair<std::string, int32_t>> order;
  for (const auto& cp : CheckpointsOf("")) order.emplace_back(cp.topic, cp.partition);
  EXPECT_THAT(order, ElementsAre(std::pair<std::string, int32_t>{"a", 3},
                                 std::pair<std::string, int32_t>{"z", 0},
                                 std::pair<std::string, int32_t>{"z", 1}));
}

TEST_F(EventStoreTest, CheckpointOfUnknownPartitionIsNullopt) {
  BatchData data = MakeBatch(kTopic, {{0, 2}});
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  Result<std::optional<PartitionCheckpoint>> missing = store_->Checkpoint(kTopic, 1);
  ASSERT_THAT(missing.status(), IsOk());
  EXPECT_FALSE(missing->has_value());
  Result<std::optional<PartitionCheckpoint>> other_topic = store_->Checkpoint("other", 0);
  ASSERT_THAT(other_topic.status(), IsOk());
  EXPECT_FALSE(other_topic->has_value());
  EXPECT_THAT(CheckpointsOf("other"), IsEmpty());
}

TEST_F(EventStoreTest, ReopenAfterCloseKeepsEverything) {
  ASSERT_NO_FATAL_FAILURE(Reopen({.sync = true}));
  BatchData data = MakeBatch(kTopic, {{0, 100}, {1, 50}, {2, 1}});
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  ASSERT_THAT(store_->PutFeatureStats("titanic-v1", R"({"age_median":28})"), IsOk());
  const std::string before = DigestOf(*store_);
  const std::vector<Row> rows = ReadAll(*store_, kTopic);
  ASSERT_EQ(rows.size(), 151u);

  ASSERT_NO_FATAL_FAILURE(Reopen({.create_if_missing = false}));
  EXPECT_EQ(DigestOf(*store_), before);
  EXPECT_EQ(ReadAll(*store_, kTopic), rows);
  EXPECT_EQ(CheckpointsOf(kTopic), data.batch.checkpoints);
  Result<std::optional<std::string>> stats = store_->FeatureStats("titanic-v1");
  ASSERT_THAT(stats.status(), IsOk());
  EXPECT_EQ(stats.value(), std::optional<std::string>(R"({"age_median":28})"));
}

TEST_F(EventStoreTest, ReapplyingTheSameBatchKeepsTheDigest) {
  BatchData data = MakeBatch(kTopic, {{0, 20}, {1, 20}});
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  const std::string once = DigestOf(*store_);
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  EXPECT_EQ(DigestOf(*store_), once);
  EXPECT_EQ(ReadAll(*store_, kTopic).size(), 40u);
}

TEST_F(EventStoreTest, DigestIsSha256OfLengthPrefixedKeysAndValues) {
  EXPECT_EQ(DigestOf(*store_), kEmptySha256);
  ASSERT_THAT(store_->PutFeatureStats("x", "{}"), IsOk());
  using std::string_view_literals::operator""sv;
  const std::string framed = Key({"\0\0\0\0\0\0\0\2"sv, "fx"sv, "\0\0\0\0\0\0\0\2"sv, "{}"sv});
  EXPECT_EQ(DigestOf(*store_), Sha256Hex(framed));
}

TEST_F(EventStoreTest, DigestDependsOnContentNotOnBatching) {
  BatchData whole = MakeBatch(kTopic, {{0, 10}, {1, 10}});
  ASSERT_THAT(store_->ApplyBatch(whole.batch), IsOk());

  const fs::path other_dir = dir_ / "other";
  Result<std::unique_ptr<EventStore>> other = EventStore::Open({.path = other_dir.string()});
  ASSERT_THAT(other.status(), IsOk());
  // Same events in smaller batches, the last checkpoints equal to `whole`'s.
  for (int64_t first = 0; first < 10; first += 5) {
    BatchData part = MakeBatch(kTopic, {{1, 5}, {0, 5}}, first);
    ASSERT_THAT((*other)->ApplyBatch(part.batch), IsOk());
  }
  EXPECT_EQ(DigestOf(**other), DigestOf(*store_));

  // One byte of one value differs: the digests must differ.
  BatchData changed = MakeBatch(kTopic, {{1, 1}}, /*first=*/7);
  changed.values[0][100] = static_cast<char>(changed.values[0][100] ^ 0x01);
  changed.batch.checkpoints.clear();
  ASSERT_THAT((*other)->ApplyBatch(changed.batch), IsOk());
  EXPECT_NE(DigestOf(**other), DigestOf(*store_));
  EXPECT_THAT((*other)->Close(), IsOk());
}

TEST_F(EventStoreTest, BatchWithCheckpointOfAnotherTopicWritesNothing) {
  BatchData data = MakeBatch(kTopic, {{0, 10}});
  data.batch.checkpoints.push_back({.topic = "other", .partition = 0, .next_offset = 10});
  EXPECT_THAT(store_->ApplyBatch(data.batch),
              HasError(StatusCode::kInvalidArgument, "checkpoint of topic 'other'"));
  EXPECT_THAT(ReadAll(*store_, kTopic), IsEmpty());
  EXPECT_THAT(CheckpointsOf(""), IsEmpty());
  EXPECT_EQ(DigestOf(*store_), kEmptySha256);
}

TEST_F(EventStoreTest, BatchWithInvalidEventOrCheckpointWritesNothing) {
  BatchData bad_offset = MakeBatch(kTopic, {{0, 3}});
  bad_offset.batch.events[2].offset = -1;
  EXPECT_THAT(store_->ApplyBatch(bad_offset.batch), HasError(StatusCode::kInvalidArgument, "@-1"));

  BatchData bad_checkpoint = MakeBatch(kTopic, {{0, 3}});
  bad_checkpoint.batch.checkpoints[0].next_offset = -5;
  EXPECT_THAT(store_->ApplyBatch(bad_checkpoint.batch),
              HasError(StatusCode::kInvalidArgument, "next_offset -5"));

  BatchData no_topic = MakeBatch("", {{0, 3}});
  EXPECT_THAT(store_->ApplyBatch(no_topic.batch), HasError(StatusCode::kInvalidArgument, "topic"));
  EXPECT_EQ(DigestOf(*store_), kEmptySha256);
}

TEST_F(EventStoreTest, EmptyBatchIsOk) {
  ReplayBatch empty{.topic = kTopic};
  EXPECT_THAT(store_->ApplyBatch(empty), IsOk());
  EXPECT_EQ(DigestOf(*store_), kEmptySha256);
}

TEST_F(EventStoreTest, DestroyRemovesEverythingAndReopenIsEmpty) {
  BatchData data = MakeBatch(kTopic, {{0, 10}});
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  ASSERT_THAT(store_->PutFeatureStats("titanic-v1", "{}"), IsOk());
  ASSERT_NO_FATAL_FAILURE(CloseStore());

  ASSERT_THAT(EventStore::Destroy(db_path().string()), IsOk());
  EXPECT_FALSE(fs::exists(db_path()));
  EXPECT_THAT(EventStore::Destroy(db_path().string()), IsOk());  // absent: still ok

  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(DigestOf(*store_), kEmptySha256);
  EXPECT_THAT(ReadAll(*store_, kTopic), IsEmpty());
}

TEST_F(EventStoreTest, DestroyRefusesADirectoryThatIsNotAStore) {
  const fs::path precious = dir_ / "home";
  fs::create_directories(precious);
  { std::ofstream(precious / "notes.log") << "keep me"; }
  EXPECT_THAT(EventStore::Destroy(precious.string()),
              HasError(StatusCode::kInvalidArgument, "not a RocksDB database"));
  EXPECT_TRUE(fs::exists(precious / "notes.log"));
}

TEST_F(EventStoreTest, DestroyLeavesAModelsDirectoryAlone) {
  const fs::path models = dir_ / "models";
  fs::create_directories(models / "v0001");
  { std::ofstream(models / "CURRENT") << "1\n"; }  // the registry's promotion stack
  EXPECT_THAT(EventStore::Destroy(models.string()),
              HasError(StatusCode::kInvalidArgument, "not a RocksDB database"));
  EXPECT_TRUE(fs::exists(models / "CURRENT"));
}

TEST_F(EventStoreTest, OpenRefusesANonEmptyDirectoryThatIsNotAStore) {
  const fs::path source_tree = dir_ / "state";
  fs::create_directories(source_tree);
  { std::ofstream(source_tree / "CMakeLists.txt") << "kappa_module(state ...)"; }
  auto opened = EventStore::Open({.path = source_tree.string()});
  EXPECT_THAT(opened.status(), HasError(StatusCode::kInvalidArgument, "not a kappa state"));
  EXPECT_FALSE(fs::exists(source_tree / "CURRENT")) << "nothing written into it";
}

TEST_F(EventStoreTest, FeatureStatsRoundTripAndListing) {
  Result<std::optional<std::string>> none = store_->FeatureStats("titanic-v1");
  ASSERT_THAT(none.status(), IsOk());
  EXPECT_FALSE(none->has_value());

  ASSERT_THAT(store_->PutFeatureStats("titanic-v2", R"({"v":2})"), IsOk());
  ASSERT_THAT(store_->PutFeatureStats("titanic-v1", R"({"v":1})"), IsOk());
  ASSERT_THAT(store_->PutFeatureStats("titanic-v1", R"({"v":11})"), IsOk());  // replaces

  Result<std::optional<std::string>> v1 = store_->FeatureStats("titanic-v1");
  ASSERT_THAT(v1.status(), IsOk());
  EXPECT_EQ(v1.value(), std::optional<std::string>(R"({"v":11})"));
  Result<std::vector<std::string>> names = store_->FeatureSetsWithStats();
  ASSERT_THAT(names.status(), IsOk());
  EXPECT_THAT(names.value(), ElementsAre("titanic-v1", "titanic-v2"));
  EXPECT_THAT(store_->PutFeatureStats("", "{}"), HasError(StatusCode::kInvalidArgument, "name"));
}

TEST_F(EventStoreTest, ForEachEventStopsWhenCallbackReturnsFalse) {
  BatchData data = MakeBatch(kTopic, {{0, 10}, {1, 10}});
  ASSERT_THAT(store_->ApplyBatch(data.batch), IsOk());
  std::vector<int64_t> seen;
  ASSERT_THAT(store_->ForEachEvent(kTopic,
                                   [&](const StoredEvent& e) {
                                     seen.push_back(e.offset);
                                     return seen.size() < 3;
                                   }),
              IsOk());
  EXPECT_THAT(seen, ElementsAre(0, 1, 2));
}

TEST_F(EventStoreTest, TopicsThatArePrefixesOfEachOtherStaySeparate) {
  BatchData a = MakeBatch("a", {{0, 2}, {1, 1}});
  BatchData ab = MakeBatch("ab", {{0, 3}});
  BatchData b = MakeBatch("b", {{0, 1}});
  ASSERT_THAT(store_->ApplyBatch(ab.batch), IsOk());
  ASSERT_THAT(store_->ApplyBatch(a.batch), IsOk());
  ASSERT_THAT(store_->ApplyBatch(b.batch), IsOk());

  EXPECT_THAT(
      ReadAll(*store_, "a"),
      ElementsAre(Row{0, 0, ValueFor(0, 0)}, Row{0, 1, ValueFor(0, 1)}, Row{1, 0, ValueFor(1, 0)}));
  EXPECT_EQ(ReadAll(*store_, "ab").size(), 3u);
  EXPECT_THAT(ReadAll(*store_, "abc"), IsEmpty());
  EXPECT_EQ(CheckpointsOf("a"), a.batch.checkpoints);  // partitions 0, 1: already sorted
  EXPECT_EQ(CheckpointsOf("ab"), ab.batch.checkpoints);
  Result<std::optional<PartitionCheckpoint>> ab0 = store_->Checkpoint("ab", 0);
  ASSERT_THAT(ab0.status(), IsOk());
  ASSERT_TRUE(ab0->has_value());
  EXPECT_EQ((*ab0)->next_offset, 3);
}

TEST_F(EventStoreTest, CorruptCheckpointValueIsCorruptionNamingTheKey) {
  ASSERT_NO_FATAL_FAILURE(CloseStore());
  using std::string_view_literals::operator""sv;
  const std::string good_value = Key({"\1"sv, std::string(48, '\0')});
  // (partition, value): empty, unknown version, truncated, too long.
  const std::vector<std::pair<int32_t, std::string>> bad = {
      {1, ""},
      {2, Key({"\2"sv, std::string(48, '\0')})},
      {3, good_value.substr(0, 20)},
      {4, good_value + "x"}};
  ASSERT_NO_FATAL_FAILURE(WithRawDb(db_path(), [&](rocksdb::DB* db) {
    for (const auto& [partition, value] : bad) {
      const std::string key =
          Key({"ct"sv, "\0"sv, "\0\0\0"sv, std::string(1, static_cast<char>(partition))});
      ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    }
  }));
  ASSERT_NO_FATAL_FAILURE(Reopen());

  for (const auto& [partition, value] : bad) {
    SCOPED_TRACE("partition " + std::to_string(partition));
    Result<std::optional<PartitionCheckpoint>> cp = store_->Checkpoint("t", partition);
    const std::string key_text = "ct\\x00\\x00\\x00\\x00\\x0" + std::to_string(partition);
    EXPECT_THAT(cp.status(), HasError(StatusCode::kCorruption, key_text));
  }
  EXPECT_THAT(store_->Checkpoints("t").status(), HasError(StatusCode::kCorruption, "ct\\x00"));
  EXPECT_THAT(store_->Checkpoints("").status(), HasError(StatusCode::kCorruption, "checkpoint"));
}

TEST_F(EventStoreTest, OperationsAfterCloseFailClearly) {
  ASSERT_THAT(store_->Close(), IsOk());
  EXPECT_THAT(store_->Close(), IsOk());  // idempotent

  BatchData data = MakeBatch(kTopic, {{0, 1}});
  const auto closed = [](const Status& s) {
    return s.message().find("closed") != std::string::npos;
  };
  EXPECT_TRUE(closed(store_->ApplyBatch(data.batch)));
  EXPECT_TRUE(closed(store_->Checkpoint(kTopic, 0).status()));
  EXPECT_TRUE(closed(store_->Checkpoints().status()));
  EXPECT_TRUE(closed(store_->ForEachEvent(kTopic, [](const StoredEvent&) { return true; })));
  EXPECT_TRUE(closed(store_->PutFeatureStats("x", "{}")));
  EXPECT_TRUE(closed(store_->FeatureStats("x").status()));
  EXPECT_TRUE(closed(store_->FeatureSetsWithStats().status()));
  EXPECT_THAT(store_->Digest().status(), HasError(StatusCode::kInternal, "is closed"));
}

TEST_F(EventStoreTest, OpenFailuresNameThePathAndRocksDbsReason) {
  const std::string missing = (dir_ / "missing").string();
  Result<std::unique_ptr<EventStore>> absent =
      EventStore::Open({.path = missing, .create_if_missing = false});
  EXPECT_THAT(absent.status(), HasError(StatusCode::kIoError, missing));
  EXPECT_THAT(absent.status().message(), HasSubstr("does not exist"));

  // The store in SetUp holds RocksDB's lock on db_path().
  Result<std::unique_ptr<EventStore>> second = EventStore::Open({.path = db_path().string()});
  EXPECT_THAT(second.status(), HasError(StatusCode::kIoError, db_path().string()));
}

// ---- crash safety --------------------------------------------------------------

constexpr char kCrashDirEnv[] = "KAPPA_EVENT_STORE_TEST_CRASH_DIR";
constexpr int32_t kCrashPartitions = 3;

// Runs in a death-test child: resumes from the stored checkpoints like a
// replay does and writes batches until a second thread kill -9s the process
// at an arbitrary moment (usually inside ApplyBatch). The timer starts after
// the first batch, so every round makes progress even on a slow machine.
[[noreturn]] void ReplayUntilKilled(const std::string& path, int kill_after_ms) {
  Result<std::unique_ptr<EventStore>> store = EventStore::Open({.path = path});
  if (!store.ok()) _exit(3);
  std::array<int64_t, kCrashPartitions> next{};
  for (int32_t p = 0; p < kCrashPartitions; ++p) {
    Result<std::optional<PartitionCheckpoint>> cp = (*store)->Checkpoint(kTopic, p);
    if (!cp.ok()) _exit(4);
    if (cp->has_value()) next[static_cast<size_t>(p)] = (*cp)->next_offset;
  }
  bool timer_started = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    BatchData data;
    data.batch.topic = kTopic;
    data.values.reserve(3000);
    for (int32_t p = 0; p < kCrashPartitions; ++p) {
      AddRange(p, next[static_cast<size_t>(p)], 1000, &data);
      next[static_cast<size_t>(p)] += 1000;
    }
    if (!(*store)->ApplyBatch(data.batch).ok()) _exit(5);
    if (!timer_started) {
      timer_started = true;
      std::thread([kill_after_ms] {
        std::this_thread::sleep_for(std::chrono::milliseconds(kill_after_ms));
        kill(getpid(), SIGKILL);
      }).detach();
    }
  }
  _exit(6);  // never killed: the parent reports a wrong exit
}

// The invariant a resuming replay relies on: per partition, exactly the
// offsets [0, next_offset) are stored, with their values, and nothing else.
void ExpectNoGapNoDuplicate(const std::string& path, int64_t* total) {
  Result<std::unique_ptr<EventStore>> store = EventStore::Open({.path = path});
  ASSERT_THAT(store.status(), IsOk());
  std::array<int64_t, kCrashPartitions> seen{};
  bool bytes_ok = true;
  ASSERT_THAT((*store)->ForEachEvent(kTopic,
                                     [&](const StoredEvent& e) {
                                       auto& n = seen.at(static_cast<size_t>(e.partition));
                                       bytes_ok = bytes_ok && e.offset == n &&
                                                  e.value == ValueFor(e.partition, e.offset);
                                       ++n;
                                       return bytes_ok;
                                     }),
              IsOk());
  EXPECT_TRUE(bytes_ok) << "gap, duplicate or wrong value";
  *total = 0;
  for (int32_t p = 0; p < kCrashPartitions; ++p) {
    Result<std::optional<PartitionCheckpoint>> cp = (*store)->Checkpoint(kTopic, p);
    ASSERT_THAT(cp.status(), IsOk());
    const int64_t next = cp->has_value() ? (*cp)->next_offset : 0;
    EXPECT_EQ(seen[static_cast<size_t>(p)], next) << "partition " << p;
    if (cp->has_value()) {
      EXPECT_EQ((*cp)->events, static_cast<uint64_t>(next));
    }
    *total += next;
  }
  EXPECT_THAT((*store)->Close(), IsOk());
}

// Owns the crash test's directory in the parent process: the death-test
// children find it through the environment.
class CrashDirGuard {
 public:
  CrashDirGuard() {
    if (getenv(kCrashDirEnv) != nullptr) return;  // a child: the parent owns it
    dir_.emplace();
    setenv(kCrashDirEnv, dir_->path().c_str(), 1);
  }
  ~CrashDirGuard() {
    if (dir_) unsetenv(kCrashDirEnv);
  }
  CrashDirGuard(const CrashDirGuard&) = delete;
  CrashDirGuard& operator=(const CrashDirGuard&) = delete;

 private:
  std::optional<kappa::testing::TempDir> dir_;
};

TEST(EventStoreCrashTest, KillDuringReplayLeavesNoGapAndNoDuplicate) {
  // "threadsafe" re-executes this binary for each child, so a child shares
  // no RocksDB threads or locks with the parent. A child re-runs this body up
  // to its own death test, including the checks of the earlier rounds.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const CrashDirGuard guard;
  const char* dir = getenv(kCrashDirEnv);
  ASSERT_NE(dir, nullptr);
  const std::string path = std::string(dir) + "/state";

  // Several short rounds: each kill lands somewhere else in the write path.
  int64_t previous = 0;
  for (const int kill_after_ms : {3, 17, 9, 29, 5, 41, 13, 23}) {
    SCOPED_TRACE("kill after " + std::to_string(kill_after_ms) + " ms");
    EXPECT_EXIT(ReplayUntilKilled(path, kill_after_ms), ::testing::KilledBySignal(SIGKILL), "");
    int64_t total = 0;
    ASSERT_NO_FATAL_FAILURE(ExpectNoGapNoDuplicate(path, &total));
    EXPECT_GT(total, previous) << "the replay made no progress before the kill";
    previous = total;
  }
}

}  // namespace
}  // namespace kappa::state
