#include "state/event_store.h"

#include <fmt/format.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/status.h>
#include <rocksdb/write_batch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>

#include "common/sha256.h"

namespace kappa::state {
namespace {

namespace fs = std::filesystem;

// First byte of every key: what kind of record it is (see the header).
constexpr char kEventTag = 'e';
constexpr char kCheckpointTag = 'c';
constexpr char kFeatureStatsTag = 'f';
// Ends the topic inside a key. Kafka topic names cannot contain NUL, and NUL
// sorts before every other byte, so topic "a" never shares a prefix with "ab".
constexpr char kTopicEnd = '\0';

constexpr size_t kPartitionBytes = 4;
constexpr size_t kOffsetBytes = 8;

// Checkpoint value: a version byte, then next_offset, first_offset (two's
// complement), events, labeled, dead_lettered, expired; 8 bytes big-endian
// each. A new field means a new version, so old stores stay readable.
constexpr uint8_t kCheckpointVersion = 1;
constexpr size_t kCheckpointFields = 6;
constexpr size_t kCheckpointValueBytes = 1 + kCheckpointFields * 8;

constexpr size_t kWriteBufferBytes = size_t{64} << 20;

// ---- integers and keys -----------------------------------------------------

void StoreBigEndian(uint64_t v, size_t bytes, char* dst) {
  for (size_t i = 0; i < bytes; ++i) {
    dst[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xff);
  }
}

uint64_t LoadBigEndian(const char* src, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(src[i]);
  return v;
}

void AppendBigEndian(uint64_t v, size_t bytes, std::string* out) {
  const size_t at = out->size();
  out->resize(at + bytes);
  StoreBigEndian(v, bytes, out->data() + at);
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }
std::string_view ToView(const rocksdb::Slice& s) { return std::string_view(s.data(), s.size()); }

// tag + topic + NUL: the prefix shared by all keys of one topic and kind.
std::string TopicPrefix(char tag, std::string_view topic) {
  std::string prefix;
  prefix.reserve(topic.size() + 2 + kPartitionBytes + kOffsetBytes);
  prefix.push_back(tag);
  prefix.append(topic);
  prefix.push_back(kTopicEnd);
  return prefix;
}

std::string CheckpointKey(std::string_view topic, int32_t partition) {
  std::string key = TopicPrefix(kCheckpointTag, topic);
  AppendBigEndian(static_cast<uint32_t>(partition), kPartitionBytes, &key);
  return key;
}

std::string FeatureStatsKey(std::string_view feature_set) {
  std::string key(1, kFeatureStatsTag);
  key.append(feature_set);
  return key;
}

// Keys hold binary integers; error messages show them escaped.
std::string DescribeKey(std::string_view key) {
  std::string out;
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

// The smallest key greater than every key starting with `prefix`; empty when
// there is none (all 0xff), which means "no upper bound".
std::string PrefixSuccessor(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

// ---- validation and errors -------------------------------------------------

Status ValidateTopic(std::string_view topic) {
  if (topic.empty()) return Status::InvalidArgument("event store: topic must not be empty");
  if (topic.find(kTopicEnd) != std::string_view::npos) {
    return Status::InvalidArgument("event store: topic '" + DescribeKey(topic) +
                                   "' contains a NUL byte");
  }
  return Status::Ok();
}

Status ValidateCheckpoint(const PartitionCheckpoint& cp, std::string_view batch_topic) {
  if (cp.topic != batch_topic) {
    return Status::InvalidArgument(fmt::format(
        "event store: checkpoint of topic '{}' in a batch of topic '{}'", cp.topic, batch_topic));
  }
  // Negative values would not survive the unsigned key/value encoding: they
  // are caller bugs, rejected before anything is written.
  if (cp.partition < 0 || cp.next_offset < 0 || cp.first_offset < -1) {
    return Status::InvalidArgument(
        fmt::format("event store: invalid checkpoint {}/{}: next_offset {} first_offset {}",
                    cp.topic, cp.partition, cp.next_offset, cp.first_offset));
  }
  return Status::Ok();
}

// Translates a RocksDB status once, here, keeping RocksDB's own words.
Status FromRocks(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::Ok();
  std::string msg = fmt::format("{}: {}", context, s.ToString());
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  return Status::IoError(std::move(msg));
}

Status CheckOpen(const rocksdb::DB* db, const std::string& path) {
  if (db == nullptr) return Status::Internal("event store at " + path + " is closed");
  return Status::Ok();
}

// ---- checkpoint encoding -----------------------------------------------------

void EncodeCheckpoint(const PartitionCheckpoint& cp, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kCheckpointVersion));
  for (const uint64_t field :
       {static_cast<uint64_t>(cp.next_offset), static_cast<uint64_t>(cp.first_offset), cp.events,
        cp.labeled, cp.dead_lettered, cp.expired}) {
    AppendBigEndian(field, 8, out);
  }
}

// Splits a checkpoint key into topic and partition; Corruption if it is not
// one (a store written by something else, or damaged).
Status ParseCheckpointKey(std::string_view key, PartitionCheckpoint* cp) {
  const size_t end = key.find(kTopicEnd);
  if (key.empty() || key[0] != kCheckpointTag || end == std::string_view::npos || end == 1 ||
      key.size() != end + 1 + kPartitionBytes) {
    return Status::Corruption("event store: malformed checkpoint key '" + DescribeKey(key) + "'");
  }
  const uint64_t partition = LoadBigEndian(key.data() + end + 1, kPartitionBytes);
  if (partition > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return Status::Corruption("event store: checkpoint key '" + DescribeKey(key) +
                              "' has a negative partition");
  }
  cp->topic.assign(key.substr(1, end - 1));
  cp->partition = static_cast<int32_t>(partition);
  return Status::Ok();
}

Result<PartitionCheckpoint> DecodeCheckpoint(std::string_view key, std::string_view value) {
  PartitionCheckpoint cp;
  KAPPA_RETURN_IF_ERROR(ParseCheckpointKey(key, &cp));
  const auto corrupt = [&](std::string_view why) {
    return Status::Corruption(
        fmt::format("event store: checkpoint value of key '{}': {}", DescribeKey(key), why));
  };
  if (value.empty()) return corrupt("empty");
  const auto version = static_cast<uint8_t>(value[0]);
  if (version != kCheckpointVersion) return corrupt(fmt::format("unknown version {}", version));
  if (value.size() != kCheckpointValueBytes) {
    return corrupt(fmt::format("{} bytes, expected {}", value.size(), kCheckpointValueBytes));
  }
  std::array<uint64_t, kCheckpointFields> f{};
  for (size_t i = 0; i < f.size(); ++i) f[i] = LoadBigEndian(value.data() + 1 + 8 * i, 8);
  cp.next_offset = static_cast<int64_t>(f[0]);
  cp.first_offset = static_cast<int64_t>(f[1]);
  cp.events = f[2];
  cp.labeled = f[3];
  cp.dead_lettered = f[4];
  cp.expired = f[5];
  if (cp.next_offset < 0 || cp.first_offset < -1) {
    return corrupt(
        fmt::format("offsets out of range (next {}, first {})", cp.next_offset, cp.first_offset));
  }
  return cp;
}

// ---- scanning ------------------------------------------------------------------

// Calls `visit(key, value)` for every key starting with `prefix`, in key
// order. `visit` returns a Result<bool>: false stops early, an error aborts.
// Iterator errors (I/O, checksum) are only visible through status() after
// the loop, so they are checked there.
template <typename Visit>
Status ScanPrefix(rocksdb::DB* db, std::string_view prefix, const rocksdb::ReadOptions& base,
                  Visit&& visit) {
  const std::string end = PrefixSuccessor(prefix);
  const rocksdb::Slice upper = ToSlice(end);  // must outlive the iterator
  rocksdb::ReadOptions read = base;
  if (!end.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
    Result<bool> keep_going = visit(ToView(it->key()), ToView(it->value()));
    if (!keep_going.ok()) return keep_going.status();
    if (!keep_going.value()) break;
  }
  return FromRocks(it->status(), "event store: scan");
}

// ---- digest ---------------------------------------------------------------------

// Feeds the length (u64 big-endian) and then the bytes, so that ("ab","c")
// and ("a","bc") hash differently.
void UpdateWithLength(Sha256* sha, std::string_view bytes) {
  std::array<char, 8> len{};
  StoreBigEndian(bytes.size(), len.size(), len.data());
  sha->Update(std::string_view(len.data(), len.size()));
  sha->Update(bytes);
}

// ---- options ---------------------------------------------------------------------

// The (topic, partition) part of an event key. Replay appends offsets in
// order within each partition, so RocksDB can remember where it inserted the
// last key of a partition and skip the skiplist search for the next one
// (memtable_insert_with_hint_prefix_extractor). Measured on the 2-core
// build box: ~350k -> ~900k events/s of 250 bytes. Not a read-side prefix
// extractor: iteration stays total-order.
class EventPartitionPrefix : public rocksdb::SliceTransform {
 public:
  const char* Name() const override { return "kappa.EventPartitionPrefix"; }
  bool InDomain(const rocksdb::Slice& key) const override { return PrefixLength(key) > 0; }
  rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return rocksdb::Slice(key.data(), PrefixLength(key));
  }

 private:
  // 0 when `key` is not an event key.
  static size_t PrefixLength(const rocksdb::Slice& key) {
    const std::string_view k = ToView(key);
    if (k.empty() || k[0] != kEventTag) return 0;
    const size_t end = k.find(kTopicEnd, 1);
    if (end == std::string_view::npos || k.size() < end + 1 + kPartitionBytes) return 0;
    return end + 1 + kPartitionBytes;
  }
};

bool CompressionSupported(rocksdb::CompressionType type) {
  const auto supported = rocksdb::GetSupportedCompressions();
  return std::find(supported.begin(), supported.end(), type) != supported.end();
}

rocksdb::Options DbOptions(const EventStoreOptions& options) {
  rocksdb::Options db;
  db.create_if_missing = options.create_if_missing;
  // Replay appends keys in order at hundreds of thousands of events/s: large
  // memtables mean fewer, larger L0 files and less compaction, and a third
  // one lets ingest go on while two wait to be flushed.
  db.write_buffer_size = kWriteBufferBytes;
  db.max_write_buffer_number = 3;
  db.level_compaction_dynamic_level_bytes = true;
  db.memtable_insert_with_hint_prefix_extractor = std::make_shared<EventPartitionPrefix>();
  // Event JSON compresses well. LZ4 is cheap enough for every level; the
  // bottom level, which holds most data and is rewritten least, gets ZSTD.
  // Both are in Debian's build; fall back rather than refuse to open.
  db.compression = CompressionSupported(rocksdb::kLZ4Compression) ? rocksdb::kLZ4Compression
                                                                  : rocksdb::kNoCompression;
  if (CompressionSupported(rocksdb::kZSTD)) db.bottommost_compression = rocksdb::kZSTD;
  // Write SST data back in 1 MB steps instead of stalling on one big flush.
  db.bytes_per_sync = size_t{1} << 20;
  db.keep_log_file_num = 5;  // RocksDB's own info LOG files
  return db;
}

// True if `dir` holds a file that only a RocksDB database has. Destroy()
// refuses other non-empty directories: a mistyped --state-dir must not lose
// someone's files to DestroyDB's name matching.
// IDENTITY or a MANIFEST-* file: CURRENT alone is not enough, the model
// registry keeps a CURRENT file too (and --from-scratch must never delete it).
bool LooksLikeRocksDb(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / "IDENTITY", ec)) return true;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind("MANIFEST-", 0) == 0) return true;
  }
  return false;
}

}  // namespace

// ---- lifecycle ---------------------------------------------------------------------

Result<std::unique_ptr<EventStore>> EventStore::Open(const EventStoreOptions& options) {
  if (options.path.empty()) {
    return Status::InvalidArgument("event store: path must not be empty");
  }
  {
    // A non-empty directory that is not a store (e.g. ./state run from the
    // source tree, whose state/ holds code) must not be turned into one.
    std::error_code ec;
    if (fs::is_directory(options.path, ec) && !fs::is_empty(options.path, ec) &&
        !LooksLikeRocksDb(options.path)) {
      return Status::InvalidArgument("event store: " + options.path +
                                     " is a non-empty directory that is not a kappa state; "
                                     "choose another --state-dir");
    }
  }
  if (options.create_if_missing) {
    // RocksDB creates only the last path component itself.
    std::error_code ec;
    fs::create_directories(options.path, ec);
    if (ec) {
      return Status::IoError(
          fmt::format("event store: create directory {}: {}", options.path, ec.message()));
    }
  }
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status s = rocksdb::DB::Open(DbOptions(options), options.path, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return FromRocks(s, "event store: open " + options.path);

  std::unique_ptr<EventStore> store(new EventStore());
  store->db_ = std::move(db);
  store->path_ = options.path;
  store->sync_ = options.sync;
  return store;
}

Status EventStore::Destroy(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("event store: path must not be empty");
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (st.type() == fs::file_type::not_found) return Status::Ok();
  if (ec) return Status::IoError(fmt::format("event store: stat {}: {}", path, ec.message()));
  if (!fs::is_directory(st)) {
    return Status::InvalidArgument("event store: " + path + " is not a directory");
  }
  const bool empty = fs::is_empty(path, ec);
  if (!empty && !LooksLikeRocksDb(path)) {
    return Status::InvalidArgument("event store: refusing to destroy " + path +
                                   ": not a RocksDB database (no CURRENT, IDENTITY or LOCK)");
  }
  if (!empty) {
    KAPPA_RETURN_IF_ERROR(
        FromRocks(rocksdb::DestroyDB(path, rocksdb::Options()), "event store: destroy " + path));
  }
  // Removes the directory only if DestroyDB left it empty: files that are
  // not RocksDB's stay, and the caller hears about them.
  fs::remove(path, ec);
  if (ec) {
    return Status::IoError(
        fmt::format("event store: remove {} after destroying it: {}", path, ec.message()));
  }
  return Status::Ok();
}

EventStore::~EventStore() {
  const Status s = Close();
  if (!s.ok()) spdlog::error("{}", s.ToString());
}

Status EventStore::Close() {
  if (!db_) return Status::Ok();
  // Whatever happens below, the handle is gone: later calls fail cleanly
  // and a second Close() is a no-op.
  std::unique_ptr<rocksdb::DB> db = std::move(db_);
  // Flushing makes the next Open() cheap (no WAL replay); the WAL already
  // makes the data durable, so a failed flush loses nothing.
  const rocksdb::Status flushed = db->Flush(rocksdb::FlushOptions());
  const rocksdb::Status closed = db->Close();
  db.reset();  // RocksDB: the DB must be deleted whatever Close() returned
  KAPPA_RETURN_IF_ERROR(FromRocks(flushed, "event store: flush " + path_));
  return FromRocks(closed, "event store: close " + path_);
}

// ---- events and checkpoints ------------------------------------------------------------

Status EventStore::ApplyBatch(const ReplayBatch& batch) {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  KAPPA_RETURN_IF_ERROR(ValidateTopic(batch.topic));
  if (batch.events.empty() && batch.checkpoints.empty()) return Status::Ok();

  // One key buffer for all events: the prefix is written once, then only
  // the 12 bytes of (partition, offset) change. WriteBatch copies the bytes.
  std::string key = TopicPrefix(kEventTag, batch.topic);
  const size_t id_at = key.size();
  key.resize(id_at + kPartitionBytes + kOffsetBytes);

  // Reserve the WriteBatch's buffer once: per record a type byte, two
  // varint lengths (<= 5 bytes each), the key and the value.
  size_t reserve = 12 + batch.checkpoints.size() * (11 + key.size() + kCheckpointValueBytes);
  for (const StoredEvent& e : batch.events) reserve += 11 + key.size() + e.value.size();
  rocksdb::WriteBatch write(reserve);

  for (const StoredEvent& e : batch.events) {
    if (e.partition < 0 || e.offset < 0) {
      return Status::InvalidArgument(
          fmt::format("event store: invalid event {}/{}@{}", batch.topic, e.partition, e.offset));
    }
    StoreBigEndian(static_cast<uint32_t>(e.partition), kPartitionBytes, key.data() + id_at);
    StoreBigEndian(static_cast<uint64_t>(e.offset), kOffsetBytes,
                   key.data() + id_at + kPartitionBytes);
    KAPPA_RETURN_IF_ERROR(
        FromRocks(write.Put(ToSlice(key), ToSlice(e.value)), "event store: build batch"));
  }
  std::string value;
  for (const PartitionCheckpoint& cp : batch.checkpoints) {
    KAPPA_RETURN_IF_ERROR(ValidateCheckpoint(cp, batch.topic));
    EncodeCheckpoint(cp, &value);
    KAPPA_RETURN_IF_ERROR(FromRocks(write.Put(CheckpointKey(cp.topic, cp.partition), value),
                                    "event store: build batch"));
  }

  rocksdb::WriteOptions options;
  options.sync = sync_;
  return FromRocks(db_->Write(options, &write), "event store: write batch to " + path_);
}

Result<std::optional<PartitionCheckpoint>> EventStore::Checkpoint(const std::string& topic,
                                                                  int32_t partition) const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  KAPPA_RETURN_IF_ERROR(ValidateTopic(topic));
  if (partition < 0) {
    return Status::InvalidArgument(fmt::format("event store: invalid partition {}", partition));
  }
  const std::string key = CheckpointKey(topic, partition);
  rocksdb::PinnableSlice value;
  const rocksdb::Status s =
      db_->Get(rocksdb::ReadOptions(), db_->DefaultColumnFamily(), key, &value);
  if (s.IsNotFound()) return std::optional<PartitionCheckpoint>();
  KAPPA_RETURN_IF_ERROR(FromRocks(s, "event store: read checkpoint " + DescribeKey(key)));
  Result<PartitionCheckpoint> cp = DecodeCheckpoint(key, ToView(value));
  if (!cp.ok()) return cp.status();
  return std::optional<PartitionCheckpoint>(std::move(cp).value());
}

Result<std::vector<PartitionCheckpoint>> EventStore::Checkpoints(const std::string& topic) const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  if (!topic.empty()) KAPPA_RETURN_IF_ERROR(ValidateTopic(topic));
  // Key order is (topic, NUL, big-endian partition): already the promised
  // (topic, partition) order.
  const std::string prefix =
      topic.empty() ? std::string(1, kCheckpointTag) : TopicPrefix(kCheckpointTag, topic);
  std::vector<PartitionCheckpoint> out;
  KAPPA_RETURN_IF_ERROR(
      ScanPrefix(db_.get(), prefix, rocksdb::ReadOptions(),
                 [&](std::string_view key, std::string_view value) -> Result<bool> {
                   Result<PartitionCheckpoint> cp = DecodeCheckpoint(key, value);
                   if (!cp.ok()) return cp.status();
                   out.push_back(std::move(cp).value());
                   return true;
                 }));
  return out;
}

Status EventStore::ForEachEvent(const std::string& topic,
                                const std::function<bool(const StoredEvent&)>& fn) const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  KAPPA_RETURN_IF_ERROR(ValidateTopic(topic));
  const std::string prefix = TopicPrefix(kEventTag, topic);
  return ScanPrefix(
      db_.get(), prefix, rocksdb::ReadOptions(),
      [&](std::string_view key, std::string_view value) -> Result<bool> {
        if (key.size() != prefix.size() + kPartitionBytes + kOffsetBytes) {
          return Status::Corruption("event store: malformed event key '" + DescribeKey(key) + "'");
        }
        const char* id = key.data() + prefix.size();
        const uint64_t partition = LoadBigEndian(id, kPartitionBytes);
        const uint64_t offset = LoadBigEndian(id + kPartitionBytes, kOffsetBytes);
        if (partition > static_cast<uint64_t>(std::numeric_limits<int32_t>::max()) ||
            offset > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Status::Corruption("event store: event key out of range '" + DescribeKey(key) +
                                    "'");
        }
        return fn(
            StoredEvent{static_cast<int32_t>(partition), static_cast<int64_t>(offset), value});
      });
}

// ---- feature statistics -------------------------------------------------------------------

Status EventStore::PutFeatureStats(const std::string& feature_set, std::string_view json) {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  if (feature_set.empty()) {
    return Status::InvalidArgument("event store: feature set name must not be empty");
  }
  rocksdb::WriteOptions options;
  options.sync = sync_;
  return FromRocks(db_->Put(options, FeatureStatsKey(feature_set), ToSlice(json)),
                   "event store: write feature stats of " + feature_set + " to " + path_);
}

Result<std::optional<std::string>> EventStore::FeatureStats(const std::string& feature_set) const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  if (feature_set.empty()) {
    return Status::InvalidArgument("event store: feature set name must not be empty");
  }
  std::string value;
  const rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), FeatureStatsKey(feature_set), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  KAPPA_RETURN_IF_ERROR(FromRocks(s, "event store: read feature stats of " + feature_set));
  return std::optional<std::string>(std::move(value));
}

Result<std::vector<std::string>> EventStore::FeatureSetsWithStats() const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  std::vector<std::string> names;
  KAPPA_RETURN_IF_ERROR(ScanPrefix(db_.get(), std::string(1, kFeatureStatsTag),
                                   rocksdb::ReadOptions(),
                                   [&](std::string_view key, std::string_view) -> Result<bool> {
                                     names.emplace_back(key.substr(1));
                                     return true;
                                   }));
  return names;
}

// ---- digest ---------------------------------------------------------------------------------

Result<std::string> EventStore::Digest() const {
  KAPPA_RETURN_IF_ERROR(CheckOpen(db_.get(), path_));
  Sha256 sha;
  // A one-off full scan: keep it out of the block cache.
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  KAPPA_RETURN_IF_ERROR(ScanPrefix(
      db_.get(), "", read, [&](std::string_view key, std::string_view value) -> Result<bool> {
        UpdateWithLength(&sha, key);
        UpdateWithLength(&sha, value);
        return true;
      }));
  return sha.FinishHex();
}

}  // namespace kappa::state
