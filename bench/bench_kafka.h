// The little the benchmark probes need from librdkafka: RAII handles, a
// consumer built from `-X key=value` pairs, and topic metadata. Header-only
// and independent of the kappa libraries, so that the probes measure the
// transport, not our wrappers. Errors end the process with exit code 1 (2 for
// bad usage): these are single-purpose command-line tools.
//
// Threading: every function is called from the probe's main thread;
// librdkafka runs its own threads behind the handles.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace kappa::bench {

struct KafkaDeleter {
  void operator()(rd_kafka_t* p) const {
    rd_kafka_consumer_close(p);
    rd_kafka_destroy(p);
  }
  void operator()(rd_kafka_queue_t* p) const { rd_kafka_queue_destroy(p); }
  void operator()(rd_kafka_topic_partition_list_t* p) const {
    rd_kafka_topic_partition_list_destroy(p);
  }
  void operator()(const rd_kafka_metadata_t* p) const { rd_kafka_metadata_destroy(p); }
};
using ConsumerHandle = std::unique_ptr<rd_kafka_t, KafkaDeleter>;
using QueueHandle = std::unique_ptr<rd_kafka_queue_t, KafkaDeleter>;
using PartitionListHandle = std::unique_ptr<rd_kafka_topic_partition_list_t, KafkaDeleter>;
using MetadataHandle = std::unique_ptr<const rd_kafka_metadata_t, KafkaDeleter>;

[[noreturn]] inline void Fail(const std::string& what, int exit_code = 1) {
  std::fprintf(stderr, "%s\n", what.c_str());
  std::exit(exit_code);
}

inline void Check(rd_kafka_resp_err_t err, const std::string& what) {
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) Fail(what + ": " + rd_kafka_err2str(err));
}

using Properties = std::vector<std::pair<std::string, std::string>>;

// Parses one `-X key=value`; bad usage (exit 2) when there is no '='.
inline std::pair<std::string, std::string> ParseProperty(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) Fail("expected -X key=value, got '" + text + "'", 2);
  return {text.substr(0, eq), text.substr(eq + 1)};
}

// An assign-only consumer (no subscribe, no commits): `defaults` first, then
// the user's `overrides`, so -X wins. Its messages are served from one queue.
inline ConsumerHandle MakeConsumer(const std::string& brokers, const Properties& defaults,
                                   const Properties& overrides) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
      Fail("-X " + key + "=" + value + ": " + errstr, 2);
    }
  };
  set("bootstrap.servers", brokers);
  set("client.id", "kappa-bench");
  // Required by librdkafka for a consumer handle; never joined (assign only).
  set("group.id", "kappa-bench-assign-only");
  set("enable.auto.commit", "false");
  set("enable.auto.offset.store", "false");
  set("enable.partition.eof", "false");
  for (const auto& [k, v] : defaults) set(k, v);
  for (const auto& [k, v] : overrides) set(k, v);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    Fail(std::string("consumer: ") + errstr, 2);
  }
  rd_kafka_poll_set_consumer(rk);
  return ConsumerHandle(rk);
}

// Partitions of `topic`, waiting up to `timeout` for it to exist.
inline int32_t PartitionCount(rd_kafka_t* rk, const std::string& topic,
                              std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* raw = nullptr;
    const auto err = rd_kafka_metadata(rk, 0, rkt, &raw, 5000);
    rd_kafka_topic_destroy(rkt);
    Check(err, "metadata of " + topic);
    MetadataHandle md(raw);
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
        md->topics[0].partition_cnt > 0) {
      return md->topics[0].partition_cnt;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Fail("topic " + topic + " not found: " +
           rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

struct Watermarks {
  int64_t low = 0;
  int64_t high = 0;
};

inline Watermarks QueryWatermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition) {
  Watermarks w;
  Check(rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &w.low, &w.high, 10000),
        "watermarks of " + topic + " [" + std::to_string(partition) + "]");
  return w;
}

// Assigns partitions 0..offsets.size()-1 of `topic`, each at its offset.
inline void AssignAt(rd_kafka_t* rk, const std::string& topic,
                     const std::vector<int64_t>& offsets) {
  PartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (size_t p = 0; p < offsets.size(); ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(p))->offset =
        offsets[p];
  }
  Check(rd_kafka_assign(rk, list.get()), "assign " + topic);
}

}  // namespace kappa::bench
