#include "monitoring/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace kappa::monitoring {
namespace {

struct KafkaErrorTally {
  std::mutex mutex;
  std::map<std::string, double, std::less<>> counts;
};

KafkaErrorTally& Tally() {
  static KafkaErrorTally* tally =
      new KafkaErrorTally();  // never destroyed: callbacks may outlive main
  return *tally;
}

prometheus::MetricFamily Family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return {std::move(name), std::move(help), type, {metric}};
}

// From /proc/self/stat: fields after the ")" that ends the command name.
struct ProcStat {
  double utime_ticks = 0;
  double stime_ticks = 0;
  double start_ticks = 0;  // since boot
  double vsize_bytes = 0;
  double rss_pages = 0;
};

bool ReadProcStat(ProcStat* out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  // Field 3 (state) is the first after ")"; utime is field 14.
  std::vector<std::string> f;
  for (std::string s; fields >> s;) f.push_back(s);
  if (f.size() < 22) return false;
  out->utime_ticks = std::stod(f[11]);
  out->stime_ticks = std::stod(f[12]);
  out->start_ticks = std::stod(f[19]);
  out->vsize_bytes = std::stod(f[20]);
  out->rss_pages = std::stod(f[21]);
  return true;
}

double BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = 0;
      in >> t;
      return t;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void CountKafkaError(std::string_view error_name) {
  auto& tally = Tally();
  const std::lock_guard lock(tally.mutex);
  auto it = tally.counts.find(error_name);
  if (it == tally.counts.end()) it = tally.counts.emplace(std::string(error_name), 0.0).first;
  it->second += 1;
}

ProcessCollector::ProcessCollector(std::string command) : command_(std::move(command)) {}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  ProcStat stat;
  if (ReadProcStat(&stat)) {
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
    families.push_back(Family("process_cpu_seconds_total", "User and system CPU time spent",
                              MetricType::Counter, (stat.utime_ticks + stat.stime_ticks) / ticks));
    families.push_back(Family("process_resident_memory_bytes", "Resident memory size",
                              MetricType::Gauge, stat.rss_pages * page));
    families.push_back(Family("process_virtual_memory_bytes", "Virtual memory size",
                              MetricType::Gauge, stat.vsize_bytes));
    families.push_back(Family("process_start_time_seconds",
                              "Start time of the process since the Unix epoch", MetricType::Gauge,
                              BootTimeSeconds() + stat.start_ticks / ticks));
  }
  families.push_back(
      Family("process_open_fds", "Open file descriptors", MetricType::Gauge, OpenFds()));

  prometheus::MetricFamily build =
      Family("kappa_build_info", "The kappa command serving these metrics, and its version",
             MetricType::Gauge, 1);
  build.metric[0].label = {{"command", command_}, {"version", KAPPA_VERSION}};
  families.push_back(std::move(build));

  prometheus::MetricFamily errors{"kappa_kafka_errors_total",
                                  "Client-level Kafka errors reported by librdkafka, by name",
                                  MetricType::Counter,
                                  {}};
  {
    auto& tally = Tally();
    const std::lock_guard lock(tally.mutex);
    for (const auto& [name, count] : tally.counts) {
      prometheus::ClientMetric m;
      m.label = {{"error", name}};
      m.counter.value = count;
      errors.metric.push_back(std::move(m));
    }
  }
  families.push_back(std::move(errors));
  return families;
}

}  // namespace kappa::monitoring
