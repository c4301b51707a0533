// kappa_bench_drain: the transport limit. A bare librdkafka consumer drains
// a pre-loaded topic and counts records, doing nothing else with them: the
// events/s that broker, loopback and client allow, against which `kappa
// infer` is measured.
//
//   kappa_bench_drain -b HOST:PORT [-t TOPIC] [-X key=value ...]
//
// It snapshots every partition's end offset, assigns all partitions from
// their log start (no group, no commits) and stops when each has reached the
// end seen at start. The fastest path on librdkafka 2.0.2: one queue for all
// partitions, rd_kafka_consume_batch_queue, and queued.min.messages=1000000
// (the default 100k pauses the fetch of every partition in turn).
// Output (stdout): records=N seconds=S records_per_second=R
// The clock starts at assign, so it includes the first fetch round trip.
// Exit code 1 if fewer records than the watermarks promised were read.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_kafka.h"

namespace kappa::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string brokers;
  std::string topic = "titanic-events";
  Properties overrides;
};

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) Fail("usage: kappa_bench_drain -b BROKERS [-t TOPIC] [-X key=value]...", 2);
    if (arg == "-b") {
      f.brokers = argv[++i];
    } else if (arg == "-t") {
      f.topic = argv[++i];
    } else if (arg == "-X") {
      f.overrides.push_back(ParseProperty(argv[++i]));
    } else {
      Fail("unknown argument " + arg, 2);
    }
  }
  if (f.brokers.empty()) Fail("-b BROKERS is required", 2);
  return f;
}

// Counts the records below each partition's `end` until every partition
// reached it; gives up after 30 s without a record.
int64_t CountToEnd(rd_kafka_queue_t* queue, const std::string& topic,
                   const std::vector<int64_t>& start, const std::vector<int64_t>& end) {
  std::vector<bool> done(end.size());
  size_t remaining = 0;
  for (size_t p = 0; p < end.size(); ++p) {
    done[p] = end[p] <= start[p];
    if (!done[p]) ++remaining;
  }
  std::vector<rd_kafka_message_t*> batch(10000);
  int64_t records = 0;
  auto last_progress = Clock::now();
  while (remaining > 0) {
    // The call waits for a full batch until its timeout: 1 ms keeps the last,
    // partial batch from adding up to a whole timeout to the measurement.
    const ssize_t n = rd_kafka_consume_batch_queue(queue, 1, batch.data(), batch.size());
    if (n < 0) Check(rd_kafka_last_error(), "consume " + topic);
    for (ssize_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[static_cast<size_t>(i)];
      const auto p = static_cast<size_t>(m->partition);
      if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        std::fprintf(stderr, "consume %s [%d]: %s\n", topic.c_str(), m->partition,
                     rd_kafka_err2str(m->err));
      } else if (m->offset < end[p]) {  // later ones arrived after the start
        ++records;
        if (m->offset + 1 >= end[p] && !done[p]) {
          done[p] = true;
          --remaining;
        }
      }
      rd_kafka_message_destroy(m);
    }
    if (n > 0) {
      last_progress = Clock::now();
    } else if (Clock::now() - last_progress > std::chrono::seconds(30)) {
      Fail("no record for 30 s; read " + std::to_string(records));
    }
  }
  return records;
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  ConsumerHandle consumer = MakeConsumer(
      flags.brokers, {{"queued.min.messages", "1000000"}, {"auto.offset.reset", "earliest"}},
      flags.overrides);
  const int32_t partitions = PartitionCount(consumer.get(), flags.topic, std::chrono::seconds(10));
  std::vector<int64_t> start;
  std::vector<int64_t> end;
  int64_t expected = 0;
  for (int32_t p = 0; p < partitions; ++p) {
    const Watermarks w = QueryWatermarks(consumer.get(), flags.topic, p);
    start.push_back(w.low);
    end.push_back(w.high);
    expected += w.high - w.low;
  }
  QueueHandle queue(rd_kafka_queue_get_consumer(consumer.get()));

  const auto t0 = Clock::now();
  AssignAt(consumer.get(), flags.topic, start);
  const int64_t records = CountToEnd(queue.get(), flags.topic, start, end);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf("records=%lld seconds=%.3f records_per_second=%.0f\n",
              static_cast<long long>(records), seconds, static_cast<double>(records) / seconds);
  return records == expected ? 0 : 1;
}

}  // namespace
}  // namespace kappa::bench

int main(int argc, char** argv) { return kappa::bench::Main(argc, argv); }
