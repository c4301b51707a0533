// kappa_bench_alert_latency: what `kappa infer` looks like from the alerts
// topic. Two modes:
//
//   kappa_bench_alert_latency -b HOST:PORT [-t TOPIC] [--ready-file PATH]
//       [--count N] [--idle S] [--timeout S] [--warmup-ms MS] [-X key=value]...
//     Event-to-alert latency. Assigns every partition at its current end, so
//     only alerts written from now on count, touches --ready-file, and for
//     each alert takes now - event_ts (the event's publish time, stamped by
//     `kappa produce`, copied into the alert). Alerts whose event_ts is within
//     --warmup-ms (default 1000) of the first one seen are discarded. Stops
//     after N counted alerts, S seconds without an alert once one arrived
//     (--idle, default 3), or S seconds in all (--timeout, default 120).
//     Output: alerts=N p50_ms=X p99_ms=Y max_ms=Z scored_p50_ms=X
//             scored_p99_ms=Y seen_p50_ms=X seen_p99_ms=Y warmup=W
//     where scored_* is event_ts -> the alert's scored_at (fetch, poll and
//     scoring inside infer) and seen_* is scored_at -> now (alert produce,
//     broker, and this probe's own fetch). Percentiles are nearest-rank.
//     With -t on the events topic it reads each event's own `ts` instead:
//     the produce side's share (the scored_* and seen_* fields are then 0).
//     Exit code 1 when no alert was counted.
//
//   kappa_bench_alert_latency -b HOST:PORT [-t TOPIC] --span
//     Reads the topic from its log start to the end seen at start and prints
//     alerts=N first_scored_at=MS last_scored_at=MS after_first=F, the
//     wall-clock span over which infer scored and the fraction of the alerts
//     scored after its first millisecond (scripts/bench divides that share
//     of the events by the span). Fails if the broker's retention dropped any
//     alert (the span would be too short).
//
//   kappa_bench_alert_latency -b HOST:PORT [-t TOPIC] --reload [--ready-file PATH]
//       [--idle S] [--timeout S]
//     Hot-reload pause. Reads alerts from the current end (as the first mode)
//     until --idle, sorts them by scored_at and finds every change of
//     model_version. Output: alerts=N switches=N switch_gap_ms=G
//       switch_waited_ms=W gap_p50_ms=X gap_p99_ms=Y waited_p50_ms=X
//       waited_p99_ms=Y detail=v1>v2:G:W,...
//     where a gap is the step between two consecutive scored_at values
//     (chunks of up to 128 events; switch_gap_ms: the largest step across a
//     version change; gap_p50/p99: over all steps), and waited is scored_at
//     - event_ts (switch_waited_ms: the most any event of the first batch of
//     a new version waited). Exit code 1 when no switch was seen.
//
// event_ts and scored_at are whole milliseconds, so each latency reads up to
// 1 ms high (0.5 ms on average). The probe's own fetch is part of what it
// measures, so it asks for an answer within 1 ms (fetch.wait.max.ms=1): the
// embedded broker (librdkafka's mock cluster) holds a fetch that finds no
// data for the whole fetch.wait.max.ms instead of answering when data
// arrives, as Kafka does. That costs about 5% of a core in the probe and as
// much in the broker while idle.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/bench_kafka.h"

namespace kappa::bench {
namespace {

using Clock = std::chrono::steady_clock;

double WallClockMs() {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  return static_cast<double>(us.count()) / 1000.0;
}

// The two timestamps of an alert. Pointed at the events topic, the probe
// reads an event's own `ts` and no scored_at (0).
struct AlertTimes {
  int64_t event_ts = 0;
  int64_t scored_at = 0;      // 0: none
  int64_t model_version = 0;  // 0: none
};

class AlertParser {
 public:
  // nullopt for a record that is not JSON or has no event_ts / ts (an event
  // sent without `ts`).
  std::optional<AlertTimes> Parse(const void* data, size_t size) {
    buffer_.assign(static_cast<const char*>(data), size);
    buffer_.resize(size + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    if (parser_.iterate(buffer_.data(), size, buffer_.size()).get(doc) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    simdjson::ondemand::object object;
    if (doc.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
    AlertTimes t;
    if (object["model_version"].get_int64().get(t.model_version) != simdjson::SUCCESS) {
      t.model_version = 0;
    }
    if (object["event_ts"].get_int64().get(t.event_ts) != simdjson::SUCCESS &&
        object["ts"].get_int64().get(t.event_ts) != simdjson::SUCCESS) {
      return std::nullopt;
    }
    if (object["scored_at"].get_int64().get(t.scored_at) != simdjson::SUCCESS) t.scored_at = 0;
    return t;
  }

 private:
  simdjson::ondemand::parser parser_;
  std::string buffer_;
};

// Nearest-rank percentile (q in (0, 1]); 0 for no samples.
double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  const size_t k = std::clamp<size_t>(rank, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

struct Flags {
  std::string brokers;
  std::string topic = "titanic-alerts";
  std::string ready_file;
  bool span = false;
  bool reload = false;
  int64_t count = 0;  // 0: no limit
  double idle_s = 3;
  double timeout_s = 120;
  double warmup_ms = 1000;
  Properties overrides;
};

double ParseNumber(const std::string& flag, const std::string& text) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
    Fail(flag + ": expected a number >= 0, got '" + text + "'", 2);
  }
  return value;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--span" || arg == "--reload") {
      (arg == "--span" ? f.span : f.reload) = true;
      continue;
    }
    if (i + 1 >= argc) Fail("missing value after " + arg + " (see the comment atop the source)", 2);
    const std::string value = argv[++i];
    if (arg == "-b") {
      f.brokers = value;
    } else if (arg == "-t") {
      f.topic = value;
    } else if (arg == "--ready-file") {
      f.ready_file = value;
    } else if (arg == "--count") {
      f.count = static_cast<int64_t>(ParseNumber(arg, value));
    } else if (arg == "--idle") {
      f.idle_s = ParseNumber(arg, value);
    } else if (arg == "--timeout") {
      f.timeout_s = ParseNumber(arg, value);
    } else if (arg == "--warmup-ms") {
      f.warmup_ms = ParseNumber(arg, value);
    } else if (arg == "-X") {
      f.overrides.push_back(ParseProperty(value));
    } else {
      Fail("unknown argument " + arg, 2);
    }
  }
  if (f.brokers.empty()) Fail("-b BROKERS is required", 2);
  return f;
}

// Per partition: where reading starts, and the end offset seen at start.
struct Plan {
  std::vector<int64_t> start;
  std::vector<int64_t> end;
};

// --span: from the log start (which must still be offset 0); otherwise from
// the current end.
Plan PlanPartitions(rd_kafka_t* rk, const Flags& flags) {
  const int32_t partitions = PartitionCount(rk, flags.topic, std::chrono::seconds(30));
  Plan plan;
  for (int32_t p = 0; p < partitions; ++p) {
    const Watermarks w = QueryWatermarks(rk, flags.topic, p);
    if (flags.span && w.low > 0) {
      Fail(flags.topic + " [" + std::to_string(p) + "] starts at offset " + std::to_string(w.low) +
           ": the broker dropped alerts (retention), the span would be wrong");
    }
    plan.start.push_back(flags.span ? w.low : w.high);
    plan.end.push_back(w.high);
  }
  return plan;
}

// Feeds every record to on_record(message, now_ms), where now_ms is read once
// per batch of records that arrived together, until done() or the timeout.
// Waits for one record, then takes what else is queued without waiting:
// rd_kafka_consume_batch_queue alone would hold the first one until its
// timeout. Returns false on timeout.
template <typename OnRecord, typename Done>
bool Consume(rd_kafka_t* rk, rd_kafka_queue_t* queue, double timeout_s, OnRecord on_record,
             Done done) {
  std::vector<rd_kafka_message_t*> batch(10000);
  const auto t0 = Clock::now();
  while (!done()) {
    if (std::chrono::duration<double>(Clock::now() - t0).count() > timeout_s) return false;
    rd_kafka_message_t* first = rd_kafka_consumer_poll(rk, 100);
    if (first == nullptr) continue;
    batch[0] = first;
    const ssize_t more = rd_kafka_consume_batch_queue(queue, 0, batch.data() + 1, batch.size() - 1);
    const size_t n = 1 + static_cast<size_t>(std::max<ssize_t>(more, 0));
    const double now_ms = WallClockMs();
    for (size_t i = 0; i < n; ++i) {
      rd_kafka_message_t* m = batch[i];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        on_record(*m, now_ms);
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::fprintf(stderr, "consume [%d]: %s\n", m->partition, rd_kafka_err2str(m->err));
      }
      rd_kafka_message_destroy(m);
    }
  }
  return true;
}

int RunSpan(rd_kafka_t* rk, rd_kafka_queue_t* queue, const Flags& flags, const Plan& plan) {
  std::vector<bool> done(plan.end.size());
  size_t remaining = 0;
  int64_t records = 0;
  for (size_t p = 0; p < plan.end.size(); ++p) {
    done[p] = plan.end[p] <= plan.start[p];
    if (!done[p]) ++remaining;
    records += plan.end[p] - plan.start[p];
  }
  AlertParser parser;
  int64_t first_scored_at = INT64_MAX;
  int64_t last_scored_at = 0;
  int64_t stamped = 0;   // alerts with a scored_at
  int64_t at_first = 0;  // of them, scored in the first millisecond
  const auto on_record = [&](const rd_kafka_message_t& m, double /*now_ms*/) {
    const auto p = static_cast<size_t>(m.partition);
    if (m.offset >= plan.end[p]) return;  // written after the start
    if (m.offset + 1 >= plan.end[p] && !done[p]) {
      done[p] = true;
      --remaining;
    }
    if (const auto t = parser.Parse(m.payload, m.len); t && t->scored_at != 0) {
      ++stamped;
      if (t->scored_at < first_scored_at) {
        first_scored_at = t->scored_at;
        at_first = 0;
      }
      if (t->scored_at == first_scored_at) ++at_first;
      last_scored_at = std::max(last_scored_at, t->scored_at);
    }
  };
  if (!Consume(rk, queue, flags.timeout_s, on_record, [&] { return remaining == 0; })) {
    Fail("timed out reading " + flags.topic);
  }
  if (last_scored_at == 0) Fail("no alert with scored_at in " + flags.topic);
  std::printf("alerts=%lld first_scored_at=%lld last_scored_at=%lld after_first=%.6f\n",
              static_cast<long long>(records), static_cast<long long>(first_scored_at),
              static_cast<long long>(last_scored_at),
              static_cast<double>(stamped - at_first) / static_cast<double>(stamped));
  return 0;
}

// The latency samples of the alerts after the warm-up.
class LatencySamples {
 public:
  explicit LatencySamples(double warmup_ms) : warmup_ms_(warmup_ms) {}

  void Add(const AlertTimes& t, double now_ms) {
    if (!first_event_ts_) first_event_ts_ = t.event_ts;
    if (static_cast<double>(t.event_ts - *first_event_ts_) < warmup_ms_) {
      ++warmup_;
      return;
    }
    total_.push_back(now_ms - static_cast<double>(t.event_ts));
    if (t.scored_at != 0) {
      scored_.push_back(static_cast<double>(t.scored_at - t.event_ts));
      seen_.push_back(now_ms - static_cast<double>(t.scored_at));
    }
  }

  [[nodiscard]] int64_t counted() const { return static_cast<int64_t>(total_.size()); }

  void Print() const {
    const double max = total_.empty() ? 0 : *std::max_element(total_.begin(), total_.end());
    std::printf(
        "alerts=%zu p50_ms=%.1f p99_ms=%.1f max_ms=%.1f scored_p50_ms=%.1f scored_p99_ms=%.1f "
        "seen_p50_ms=%.1f seen_p99_ms=%.1f warmup=%lld\n",
        total_.size(), Percentile(total_, 0.50), Percentile(total_, 0.99), max,
        Percentile(scored_, 0.50), Percentile(scored_, 0.99), Percentile(seen_, 0.50),
        Percentile(seen_, 0.99), static_cast<long long>(warmup_));
  }

 private:
  double warmup_ms_;
  std::optional<int64_t> first_event_ts_;
  int64_t warmup_ = 0;
  std::vector<double> total_;   // event_ts -> seen here
  std::vector<double> scored_;  // event_ts -> scored_at
  std::vector<double> seen_;    // scored_at -> seen here
};

int RunLatency(rd_kafka_t* rk, rd_kafka_queue_t* queue, const Flags& flags) {
  if (!flags.ready_file.empty()) std::ofstream(flags.ready_file) << "ready\n";
  AlertParser parser;
  LatencySamples samples(flags.warmup_ms);
  int64_t unparsed = 0;
  std::optional<Clock::time_point> last_alert;
  const auto on_record = [&](const rd_kafka_message_t& m, double now_ms) {
    const auto t = parser.Parse(m.payload, m.len);
    if (!t) {
      ++unparsed;
      return;
    }
    last_alert = Clock::now();
    samples.Add(*t, now_ms);
  };
  const auto done = [&] {
    if (flags.count > 0 && samples.counted() >= flags.count) return true;
    return last_alert &&
           std::chrono::duration<double>(Clock::now() - *last_alert).count() > flags.idle_s;
  };
  Consume(rk, queue, flags.timeout_s, on_record, done);  // a timeout still reports
  if (unparsed > 0) {
    std::fprintf(stderr, "%lld record(s) without event_ts\n", static_cast<long long>(unparsed));
  }
  samples.Print();
  return samples.counted() > 0 ? 0 : 1;
}

// --reload: the alerts of a run during which the model changed, in the order
// they were scored. Infer stamps scored_at (ms) once per chunk of up to 128
// events, so the distinct scored_at values are chunks, and a large batch
// gives several 0-1 ms steps; the step from the last alert scored by the old
// version to the first one by the new is the pause the switch caused, to
// compare with the usual step.
struct ScoredAlert {
  int64_t scored_at = 0;
  int64_t model_version = 0;
  int64_t waited_ms = 0;  // scored_at - event_ts
};

int RunReload(rd_kafka_t* rk, rd_kafka_queue_t* queue, const Flags& flags) {
  if (!flags.ready_file.empty()) std::ofstream(flags.ready_file) << "ready\n";
  AlertParser parser;
  std::vector<ScoredAlert> alerts;
  std::optional<Clock::time_point> last_alert;
  const auto on_record = [&](const rd_kafka_message_t& m, double /*now_ms*/) {
    const auto t = parser.Parse(m.payload, m.len);
    if (!t || t->scored_at == 0 || t->model_version == 0) return;
    last_alert = Clock::now();
    alerts.push_back({t->scored_at, t->model_version, t->scored_at - t->event_ts});
  };
  const auto done = [&] {
    return last_alert &&
           std::chrono::duration<double>(Clock::now() - *last_alert).count() > flags.idle_s;
  };
  Consume(rk, queue, flags.timeout_s, on_record, done);
  if (alerts.empty()) Fail("no alert with scored_at and model_version in " + flags.topic);
  std::stable_sort(alerts.begin(), alerts.end(), [](const ScoredAlert& a, const ScoredAlert& b) {
    return a.scored_at < b.scored_at;
  });
  std::vector<double> gaps;    // between consecutive batches that alerted
  std::vector<double> waited;  // every alert's scored_at - event_ts
  std::string switches;        // v1>v2:GAP_MS:WAITED_MS,...
  double worst_gap = 0;
  double worst_waited = 0;
  int count = 0;
  for (size_t i = 0; i < alerts.size(); ++i) {
    waited.push_back(static_cast<double>(alerts[i].waited_ms));
    if (i == 0) continue;
    const ScoredAlert& prev = alerts[i - 1];
    const ScoredAlert& cur = alerts[i];
    if (cur.scored_at != prev.scored_at)
      gaps.push_back(static_cast<double>(cur.scored_at - prev.scored_at));
    if (cur.model_version != prev.model_version) {
      // The first batch of the new version: how long its events waited.
      int64_t batch_waited = 0;
      for (size_t j = i; j < alerts.size() && alerts[j].scored_at == cur.scored_at; ++j) {
        batch_waited = std::max(batch_waited, alerts[j].waited_ms);
      }
      const int64_t gap = cur.scored_at - prev.scored_at;
      switches += (switches.empty() ? "" : ",") + std::string("v") +
                  std::to_string(prev.model_version) + ">v" + std::to_string(cur.model_version) +
                  ":" + std::to_string(gap) + ":" + std::to_string(batch_waited);
      worst_gap = std::max(worst_gap, static_cast<double>(gap));
      worst_waited = std::max(worst_waited, static_cast<double>(batch_waited));
      ++count;
    }
  }
  std::printf(
      "alerts=%zu switches=%d switch_gap_ms=%.0f switch_waited_ms=%.0f gap_p50_ms=%.1f "
      "gap_p99_ms=%.1f waited_p50_ms=%.1f waited_p99_ms=%.1f detail=%s\n",
      alerts.size(), count, worst_gap, worst_waited, Percentile(gaps, 0.50), Percentile(gaps, 0.99),
      Percentile(waited, 0.50), Percentile(waited, 0.99),
      switches.empty() ? "-" : switches.c_str());
  return count > 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  ConsumerHandle consumer =
      MakeConsumer(flags.brokers, {{"fetch.wait.max.ms", "1"}}, flags.overrides);
  const Plan plan = PlanPartitions(consumer.get(), flags);
  QueueHandle queue(rd_kafka_queue_get_consumer(consumer.get()));
  AssignAt(consumer.get(), flags.topic, plan.start);
  if (flags.span) return RunSpan(consumer.get(), queue.get(), flags, plan);
  if (flags.reload) return RunReload(consumer.get(), queue.get(), flags);
  return RunLatency(consumer.get(), queue.get(), flags);
}

}  // namespace
}  // namespace kappa::bench

int main(int argc, char** argv) { return kappa::bench::Main(argc, argv); }
