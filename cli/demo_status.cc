#include "cli/demo_status.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "common/json_writer.h"
#include "common/progress.h"

namespace kappa::cli {
namespace {

constexpr size_t kLatestAlerts = 20;
constexpr size_t kLatencies = 10000;
constexpr double kLatencyWindowSeconds = 10;
constexpr size_t kNotes = 5;
constexpr size_t kSeries = 300;  // 5 minutes of 1 s samples

std::string Count(uint64_t n) { return FormatCount(static_cast<double>(n)); }

}  // namespace

DemoStatus::DemoStatus() : start_(std::chrono::steady_clock::now()) {}

double DemoStatus::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void DemoStatus::AddModel(const DemoModel& model) {
  const std::lock_guard lock(mutex_);
  models_.push_back(model);
  models_.back().trained_at = Elapsed();
}

void DemoStatus::AddAlert(const DemoAlert& alert) {
  const std::lock_guard lock(mutex_);
  latest_alerts_.push_front(alert);
  if (latest_alerts_.size() > kLatestAlerts) latest_alerts_.pop_back();
  if (alert.latency_ms) {
    latencies_.push_back({Elapsed(), *alert.latency_ms});
    if (latencies_.size() > kLatencies) latencies_.pop_front();
  }
}

void DemoStatus::Note(const std::string& event) {
  const std::lock_guard lock(mutex_);
  notes_.push_back(fmt::format("{:>6.1f}s  {}", Elapsed(), event));
  spdlog::info("{}", event);
  if (notes_.size() > kNotes) notes_.pop_front();
}

void DemoStatus::SetNextRetrain(std::optional<double> seconds_from_now) {
  const std::lock_guard lock(mutex_);
  next_retrain_at_ = seconds_from_now ? std::optional(Elapsed() + *seconds_from_now) : std::nullopt;
}

double DemoStatus::PercentileLocked(double q) const {
  if (latencies_.empty()) return 0;
  std::vector<double> sorted;
  sorted.reserve(latencies_.size());
  for (const auto& l : latencies_) sorted.push_back(l.ms);
  const auto k = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size()))) - 1;
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(k), sorted.end());
  return sorted[k];
}

void DemoStatus::TrimLatenciesLocked() {
  const double oldest = Elapsed() - kLatencyWindowSeconds;
  while (!latencies_.empty() && latencies_.front().read_at < oldest) latencies_.pop_front();
}

void DemoStatus::Sample(const DemoCounters& counters) {
  const std::lock_guard lock(mutex_);
  TrimLatenciesLocked();
  Point p;
  p.t = Elapsed();
  p.counters = counters;
  // Events scored per second over the last ~10 samples.
  if (!series_.empty()) {
    const Point& back = series_[series_.size() > 10 ? series_.size() - 10 : 0];
    const double dt = p.t - back.t;
    if (dt > 0)
      p.events_per_second = static_cast<double>(counters.scored - back.counters.scored) / dt;
  }
  p.p50_ms = PercentileLocked(0.5);
  p.p99_ms = PercentileLocked(0.99);
  p.latencies = latencies_.size();
  series_.push_back(p);
  if (series_.size() > kSeries) series_.pop_front();
}

DemoCounters DemoStatus::Latest() const {
  const std::lock_guard lock(mutex_);
  return series_.empty() ? DemoCounters{} : series_.back().counters;
}

std::string DemoStatus::Json(const DemoCounters& live) const {
  const std::lock_guard lock(mutex_);
  const Point now = series_.empty() ? Point{} : series_.back();
  const auto& c = live;
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("uptime_seconds").Double(Elapsed());
  w.Key("produced").Uint(c.produced);
  w.Key("scored").Uint(c.scored);
  w.Key("alerts").Uint(c.alerts);
  w.Key("dead_lettered").Uint(c.dead_lettered);
  w.Key("survival_rate")
      .Double(c.scored > 0 ? 100.0 * static_cast<double>(c.alerts) / static_cast<double>(c.scored)
                           : 0.0);
  w.Key("events_per_second").Double(now.events_per_second);
  w.Key("latency_p50_ms").Double(now.p50_ms);
  w.Key("latency_p99_ms").Double(now.p99_ms);
  w.Key("model_version").Int(c.model_version);
  if (next_retrain_at_) {
    w.Key("next_retrain_seconds").Double(std::max(0.0, *next_retrain_at_ - Elapsed()));
  }
  w.Key("models").BeginArray();
  for (const auto& m : models_) {
    w.BeginObject();
    w.Key("version").Int(m.version);
    w.Key("feature_set").String(m.feature_set);
    w.Key("accuracy").Double(m.accuracy);
    w.Key("roc_auc").Double(m.roc_auc);
    w.Key("log_loss").Double(m.log_loss);
    w.Key("labeled_events").Uint(m.labeled_events);
    w.Key("trained_at_seconds").Double(m.trained_at);
    w.EndObject();
  }
  w.EndArray();
  w.Key("series").BeginArray();
  for (const auto& p : series_) {
    w.BeginObject();
    w.Key("t").Double(p.t);
    w.Key("events_per_second").Double(p.events_per_second);
    w.Key("p50_ms").Double(p.p50_ms);
    w.Key("p99_ms").Double(p.p99_ms);
    w.Key("survival_rate")
        .Double(p.counters.scored > 0 ? 100.0 * static_cast<double>(p.counters.alerts) /
                                            static_cast<double>(p.counters.scored)
                                      : 0.0);
    w.Key("model_version").Int(p.counters.model_version);
    w.EndObject();
  }
  w.EndArray();
  w.Key("latest_alerts").BeginArray();
  for (const auto& a : latest_alerts_) {
    w.BeginObject();
    w.Key("PassengerId").Int(a.passenger_id);
    w.Key("Name").String(a.name);
    w.Key("Pclass").Int(a.pclass);
    w.Key("Sex").String(a.sex);
    w.Key("probability").Double(a.probability);
    w.Key("model_version").Int(a.model_version);
    w.Key("latency_ms");
    if (a.latency_ms) {
      w.Double(*a.latency_ms);
    } else {
      w.Null();
    }
    w.EndObject();
  }
  w.EndArray();
  w.Key("log").BeginArray();
  for (const auto& n : notes_) w.String(n);
  w.EndArray();
  w.EndObject();
  return out;
}

std::string DemoStatus::SummaryLine() const {
  const std::lock_guard lock(mutex_);
  const DemoCounters c = series_.empty() ? DemoCounters{} : series_.back().counters;
  return fmt::format(
      "produced={} scored={} alerts={} dead_lettered={} models={} model_version={} "
      "seconds={:.1f}",
      c.produced, c.scored, c.alerts, c.dead_lettered, models_.size(), c.model_version, Elapsed());
}

std::vector<std::string> DemoStatus::View(const std::string& page_url) const {
  const std::lock_guard lock(mutex_);
  const Point now = series_.empty() ? Point{} : series_.back();
  const auto& c = now.counters;
  const double survival =
      c.scored > 0 ? 100.0 * static_cast<double>(c.alerts) / static_cast<double>(c.scored) : 0;
  std::vector<std::string> lines;
  const auto up = static_cast<int>(Elapsed());
  lines.push_back(fmt::format("kappa demo  up {:02d}:{:02d}  status page {}", up / 60, up % 60,
                              page_url.empty() ? "(off)" : page_url));
  lines.push_back(
      fmt::format("  events in   {:>10}   DLQ {}", Count(c.produced), Count(c.dead_lettered)));
  lines.push_back(fmt::format("  scored      {:>10}   {:.1f} events/s", Count(c.scored),
                              now.events_per_second));
  lines.push_back(
      fmt::format("  alerts out  {:>10}   survival rate {:.1f}%", Count(c.alerts), survival));
  lines.push_back(now.latencies == 0
                      ? std::string("  latency     event -> scored: no alert in the last 10 s")
                      : fmt::format("  latency     event -> scored p50 {:.0f} ms  p99 {:.0f} ms",
                                    now.p50_ms, now.p99_ms));
  const DemoModel* model = nullptr;
  for (const auto& m : models_) {
    if (m.version == c.model_version) model = &m;
  }
  if (model != nullptr) {
    lines.push_back(fmt::format(
        "  model       v{:04d} {}  accuracy {:.3f}  ROC AUC {:.3f}  log loss {:.3f}  ({} "
        "labeled events)",
        model->version, model->feature_set, model->accuracy, model->roc_auc, model->log_loss,
        Count(model->labeled_events)));
  } else {
    lines.push_back("  model       none yet: training once enough labeled events arrived");
  }
  if (next_retrain_at_ && model != nullptr) {  // before the first model it is a retry, not a retrain
    lines.push_back(
        fmt::format("  retrain     in {:.0f} s", std::max(0.0, *next_retrain_at_ - Elapsed())));
  }
  if (!latest_alerts_.empty()) {
    const auto& a = latest_alerts_.front();
    lines.push_back(
        fmt::format("  last alert  PassengerId {} {} (class {}, {}) P(survived) {:.2f}, v{:04d}",
                    a.passenger_id, a.name.empty() ? "(no name)" : a.name, a.pclass, a.sex,
                    a.probability, a.model_version));
  }
  for (const auto& n : notes_) lines.push_back("  " + n);
  return lines;
}

}  // namespace kappa::cli
