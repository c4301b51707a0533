// The monitoring files of the deployment (monitoring/), checked with the real
// tools where there is one: promtool validates the Prometheus config, the
// alert rules, their unit tests and every dashboard query; the Grafana
// dashboard is parsed and held to the seed demo's queries and to the
// provisioned data source; docker-compose.yml must mount the files where the
// configs expect them.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "monitoring/job_metrics.h"
#include "monitoring/process_metrics.h"
#include "monitoring/scoring_metrics.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace kappa {
namespace {

namespace fs = std::filesystem;
using testing::ProcessResult;
using testing::RunProcess;
using testing::TempDir;

// Where docker-compose.yml mounts the files (the configs name these paths).
constexpr char kMountedRulesGlob[] = "/etc/prometheus/rules/*.yml";
constexpr char kMountedDashboards[] = "/var/lib/grafana/dashboards";

// The seed demo's PromQL (seeds/kafka-xgboost-titanic-demo.md): its users'
// queries must work unchanged, so the dashboard carries them verbatim.
const std::vector<std::string> kSeedQueries = {
    "rate(transactions_processed_total[1m])",
    "histogram_quantile(0.5, sum(rate(processing_latency_seconds_bucket[1m])) by (le))",
    "histogram_quantile(0.95, sum(rate(processing_latency_seconds_bucket[1m])) by (le))",
    "(survived_detected_total / transactions_processed_total) * 100",
    "rate(processing_latency_seconds_sum[1m]) / rate(processing_latency_seconds_count[1m])",
};

// KAPPA_TEST_DATA_DIR is <repo>/tests/data.
fs::path RepoRoot() { return fs::path(KAPPA_TEST_DATA_DIR).parent_path().parent_path(); }
fs::path Monitoring() { return RepoRoot() / "monitoring"; }

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

void ReplaceAll(std::string* text, const std::string& from, const std::string& to) {
  for (size_t pos = text->find(from); pos != std::string::npos;
       pos = text->find(from, pos + to.size())) {
    text->replace(pos, from.size(), to);
  }
}

// `text` as a regular expression matching exactly it.
std::string RegexQuote(const std::string& text) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(text, special, R"(\$&)");
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

ProcessResult Promtool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"promtool"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv);
}

// The N of promtool's "SUCCESS: N rules found", -1 if absent.
int RulesFound(const std::string& promtool_out) {
  std::smatch m;
  if (!std::regex_search(promtool_out, m, std::regex(R"(SUCCESS: (\d+) rules found)"))) return -1;
  return std::stoi(m[1].str());
}

// Top-level rule files, as the mounted glob sees them (rules/tests/ holds
// promtool unit tests, which are not rules).
std::vector<fs::path> RuleFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(Monitoring() / "rules")) {
    if (entry.is_regular_file() && entry.path().extension() == ".yml") {
      files.push_back(entry.path());
    }
  }
  return files;
}

std::set<std::string> AlertNames(const std::string& rules_yaml) {
  std::set<std::string> names;
  const std::regex alert(R"(^\s*- alert:\s*(\S+)\s*$)", std::regex::multiline);
  for (std::sregex_iterator it(rules_yaml.begin(), rules_yaml.end(), alert), end; it != end; ++it) {
    names.insert((*it)[1].str());
  }
  return names;
}

// The one value of `key:` in a small YAML file (quotes stripped); "" when the
// key is missing or appears more than once.
std::string YamlValue(const std::string& yaml, const std::string& key) {
  const std::regex line("^\\s*-?\\s*" + key + ":\\s*\"?([^\"#\\s]+)\"?\\s*(#.*)?$",
                        std::regex::multiline);
  std::vector<std::string> values;
  for (std::sregex_iterator it(yaml.begin(), yaml.end(), line), end; it != end; ++it) {
    values.push_back((*it)[1].str());
  }
  return values.size() == 1 ? values[0] : "";
}

struct DashboardTarget {
  std::string panel;
  std::string expr;
  std::string datasource_type;
  std::string datasource_uid;
};

struct Dashboard {
  std::string uid, title, refresh, time_from;
  std::vector<std::string> panels_without_targets;           // rows excepted
  std::map<std::string, std::string> panel_datasource_uids;  // title -> uid, rows excepted
  std::vector<DashboardTarget> targets;
};

// The string at JSON pointer `pointer` (e.g. "/datasource/uid") in `e`; ""
// when a part of the path is missing or the value is not a string.
std::string StringAt(simdjson::dom::element e, std::string_view pointer) {
  std::string_view v;
  return e.at_pointer(pointer).get_string().get(v) == simdjson::SUCCESS ? std::string(v)
                                                                        : std::string();
}

void CollectPanels(simdjson::dom::array panels, Dashboard* out) {
  for (simdjson::dom::element panel : panels) {
    const std::string title = StringAt(panel, "/title");
    if (StringAt(panel, "/type") == "row") {
      simdjson::dom::array nested;  // a collapsed row keeps its panels inside
      if (panel["panels"].get_array().get(nested) == simdjson::SUCCESS) CollectPanels(nested, out);
      continue;
    }
    out->panel_datasource_uids[title] = StringAt(panel, "/datasource/uid");
    simdjson::dom::array targets;
    if (panel["targets"].get_array().get(targets) != simdjson::SUCCESS || targets.size() == 0) {
      out->panels_without_targets.push_back(title);
      continue;
    }
    for (simdjson::dom::element t : targets) {
      out->targets.push_back({title, StringAt(t, "/expr"), StringAt(t, "/datasource/type"),
                              StringAt(t, "/datasource/uid")});
    }
  }
}

Dashboard LoadDashboard() {
  Dashboard d;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const auto path = (Monitoring() / "grafana/dashboards/kappa.json").string();
  const auto error = parser.load(path).get(doc);
  EXPECT_EQ(error, simdjson::SUCCESS) << path << ": " << simdjson::error_message(error);
  if (error != simdjson::SUCCESS) return d;
  d.uid = StringAt(doc, "/uid");
  d.title = StringAt(doc, "/title");
  d.refresh = StringAt(doc, "/refresh");
  d.time_from = StringAt(doc, "/time/from");
  simdjson::dom::array panels;
  if (doc["panels"].get_array().get(panels) == simdjson::SUCCESS) {
    CollectPanels(panels, &d);
  } else {
    ADD_FAILURE() << path << " has no panels array";
  }
  return d;
}

TEST(MonitoringFilesTest, PromtoolAcceptsThePrometheusConfigAndItLoadsTheAlertRules) {
  std::string config = ReadFile(Monitoring() / "prometheus.yml");
  // Inside the container the rules are mounted at /etc/prometheus/rules/,
  // which does not exist here, and promtool accepts a glob matching nothing.
  // So check a copy whose glob points at the repo's monitoring/rules/: the
  // same files Prometheus loads, and promtool then checks them too.
  ASSERT_EQ(CountOf(config, kMountedRulesGlob), 1u) << config;
  config.replace(config.find(kMountedRulesGlob), std::string(kMountedRulesGlob).size(),
                 (Monitoring() / "rules").string() + "/*.yml");
  TempDir dir;
  WriteFile(dir.File("prometheus.yml"), config);

  const auto check = Promtool({"check", "config", dir.File("prometheus.yml")});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // Exactly the alert rules: the unit tests in rules/tests/ are not matched.
  EXPECT_NE(check.out.find("SUCCESS: 1 rule files found"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("kappa-alerts.yml"), std::string::npos) << check.out;
  EXPECT_GT(RulesFound(check.out), 0) << check.out;
}

TEST(MonitoringFilesTest, PrometheusScrapesEveryServiceEveryFiveSeconds) {
  const std::string config = ReadFile(Monitoring() / "prometheus.yml");
  EXPECT_EQ(YamlValue(config, "scrape_interval"), "5s") << "the seed scrapes every 5 s";
  // One DNS-discovered job per compose service, on the contract's ports
  // (every replica of a scaled service is an A record of its name).
  const std::map<std::string, std::pair<std::string, int>> jobs = {
      {"kappa-infer", {"infer", 8000}},
      {"kappa-producer", {"producer", 8001}},
      {"kappa-trainer", {"trainer", 8002}},
  };
  for (const auto& [job, target] : jobs) {
    const std::regex block("job_name: " + job +
                           R"(\n(\s*#.*\n)*\s*dns_sd_configs:\n\s*- names: \[)" + target.first +
                           R"(\]\n\s*type: A\n\s*port: )" + std::to_string(target.second) + "\n");
    EXPECT_TRUE(std::regex_search(config, block))
        << job << " should discover " << target.first << ":" << target.second;
  }
}

TEST(MonitoringFilesTest, PromtoolAcceptsEveryRuleFile) {
  const auto files = RuleFiles();
  ASSERT_FALSE(files.empty()) << "no *.yml in " << Monitoring() / "rules";
  for (const auto& file : files) {
    const auto check = Promtool({"check", "rules", file.string()});
    EXPECT_EQ(check.exit_code, 0) << file << "\n" << check.out << check.err;
    EXPECT_GT(RulesFound(check.out), 0) << file << "\n" << check.out;
  }
}

TEST(MonitoringFilesTest, AlertUnitTestsPassAndCoverEveryAlertBothWays) {
  const fs::path tests = Monitoring() / "rules/tests/kappa-alerts-test.yml";
  const auto run = Promtool({"test", "rules", tests.string()});
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("SUCCESS"), std::string::npos) << run.out;

  // promtool does not require a test per alert: check that each alert has a
  // case where it must fire and one where it must not (exp_alerts: []).
  std::set<std::string> alerts;
  for (const auto& file : RuleFiles()) alerts.merge(AlertNames(ReadFile(file)));
  ASSERT_FALSE(alerts.empty());
  const std::string text = ReadFile(tests);
  std::map<std::string, int> fires, stays_quiet;
  const std::regex eval_case(R"(- eval_time:)");
  std::vector<size_t> starts;
  for (std::sregex_iterator it(text.begin(), text.end(), eval_case), end; it != end; ++it) {
    starts.push_back(static_cast<size_t>(it->position()));
  }
  starts.push_back(text.size());
  for (size_t i = 0; i + 1 < starts.size(); ++i) {
    const std::string one = text.substr(starts[i], starts[i + 1] - starts[i]);
    std::smatch name;
    if (!std::regex_search(one, name, std::regex(R"(alertname:\s*(\S+))"))) continue;
    const bool quiet = one.find("exp_alerts: []") != std::string::npos;
    ++(quiet ? stays_quiet : fires)[name[1].str()];
  }
  for (const auto& alert : alerts) {
    EXPECT_GT(fires[alert], 0) << alert << " has no case where it fires";
    EXPECT_GT(stays_quiet[alert], 0) << alert << " has no case where it stays quiet";
  }
}

TEST(MonitoringFilesTest, DashboardKeepsTheSeedQueriesVerbatim) {
  const Dashboard d = LoadDashboard();
  EXPECT_EQ(d.uid, "kappa");
  EXPECT_EQ(d.title, "kappa");
  EXPECT_EQ(d.refresh, "5s");
  EXPECT_EQ(d.time_from, "now-15m");
  std::set<std::string> exprs;
  for (const auto& t : d.targets) exprs.insert(t.expr);
  for (const auto& seed : kSeedQueries) {
    EXPECT_EQ(exprs.count(seed), 1u) << "no panel queries the seed's " << seed;
  }
}

TEST(MonitoringFilesTest, EveryPanelQueriesTheProvisionedDataSource) {
  const std::string datasource =
      ReadFile(Monitoring() / "grafana/provisioning/datasources/prometheus.yml");
  const std::string uid = YamlValue(datasource, "uid");
  ASSERT_FALSE(uid.empty()) << "one fixed uid expected in\n" << datasource;
  EXPECT_EQ(YamlValue(datasource, "type"), "prometheus");
  EXPECT_EQ(YamlValue(datasource, "url"), "http://prometheus:9090");
  EXPECT_EQ(YamlValue(datasource, "isDefault"), "true");

  const Dashboard d = LoadDashboard();
  EXPECT_TRUE(d.panels_without_targets.empty())
      << "panel without queries: " << d.panels_without_targets.front();
  ASSERT_FALSE(d.targets.empty());
  for (const auto& [panel, panel_uid] : d.panel_datasource_uids) {
    EXPECT_EQ(panel_uid, uid) << "panel " << panel;
  }
  for (const auto& t : d.targets) {
    EXPECT_EQ(t.datasource_uid, uid) << t.panel << ": " << t.expr;
    EXPECT_EQ(t.datasource_type, "prometheus") << t.panel << ": " << t.expr;
    EXPECT_FALSE(t.expr.empty()) << t.panel << " has a target without expr";
  }
}

TEST(MonitoringFilesTest, PromtoolParsesEveryDashboardQuery) {
  const Dashboard d = LoadDashboard();
  ASSERT_FALSE(d.targets.empty());
  // Each query as a recording rule: promtool check rules parses the PromQL.
  // Grafana's own variables become fixed durations first.
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (size_t i = 0; i < d.targets.size(); ++i) {
    std::string expr = d.targets[i].expr;
    ReplaceAll(&expr, "$__rate_interval", "1m");
    ReplaceAll(&expr, "$__interval", "5s");
    ReplaceAll(&expr, "$__range", "15m");
    ReplaceAll(&expr, "'", "''");  // a YAML single-quoted scalar doubles its quotes
    rules +=
        "      - record: dashboard_query_" + std::to_string(i) + "\n        expr: '" + expr + "'\n";
  }
  TempDir dir;
  WriteFile(dir.File("dashboard-queries.yml"), rules);
  const auto check = Promtool({"check", "rules", dir.File("dashboard-queries.yml")});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(RulesFound(check.out), static_cast<int>(d.targets.size())) << check.out;
}

// Every metric family the code registers (monitoring/), with the series
// names a histogram adds, and `up`, which Prometheus writes itself.
std::set<std::string> ExportedSeriesNames() {
  prometheus::Registry registry;
  monitoring::ScoringMetrics scoring(registry);
  // A labelled family is collected only once it has a series.
  const monitoring::PartitionLag lag{.topic = "titanic-events", .partition = 0, .lag = 1};
  scoring.SetConsumerLag({&lag, 1});
  const monitoring::ProduceMetrics produce(registry);
  const monitoring::ReplayMetrics replay(registry);
  const monitoring::TrainingMetrics training(registry);
  const monitoring::ReprocessMetrics reprocess(registry);
  auto families = registry.Collect();
  for (auto& f : monitoring::ProcessCollector("test").Collect()) families.push_back(std::move(f));
  std::set<std::string> names = {"up"};
  for (const auto& f : families) {
    names.insert(f.name);
    if (f.type == prometheus::MetricType::Histogram) {
      for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(f.name + suffix);
    }
  }
  return names;
}

// The metric names a PromQL expression selects: identifiers that are not
// functions or aggregations (followed by '('), keywords, label names (in
// {...}, by/without/on/ignoring/group_x (...)), durations ([...]), strings,
// numbers or Grafana variables ($...).
std::set<std::string> MetricNamesIn(const std::string& expr) {
  // Keywords, and aggregations (which may put `by (...)` before their '(').
  static const std::set<std::string> kKeywords = {
      "by",           "without", "on",     "ignoring", "group_left", "group_right", "bool",
      "and",          "or",      "unless", "offset",   "inf",        "nan",         "sum",
      "min",          "max",     "avg",    "group",    "stddev",     "stdvar",      "count",
      "count_values", "bottomk", "topk",   "quantile"};
  static const std::set<std::string> kLabelLists = {"by",       "without",    "on",
                                                    "ignoring", "group_left", "group_right"};
  std::set<std::string> names;
  const auto ident_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  for (size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '"' || c == '\'') {  // a string literal
      const size_t end = expr.find(c, i + 1);
      i = end == std::string::npos ? expr.size() : end + 1;
    } else if (c == '{' || c == '[') {  // label matchers, a range or subquery
      const size_t end = expr.find(c == '{' ? '}' : ']', i);
      i = end == std::string::npos ? expr.size() : end + 1;
    } else if (c == '$' || std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < expr.size() && (ident_char(expr[i]) || expr[i] == '$' || expr[i] == '.')) ++i;
    } else if (ident_char(c)) {
      const size_t start = i;
      while (i < expr.size() && ident_char(expr[i])) ++i;
      const std::string word = expr.substr(start, i - start);
      size_t next = i;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      const bool call = next < expr.size() && expr[next] == '(';
      if (kLabelLists.contains(word) && call) {  // skip the label list
        const size_t end = expr.find(')', next);
        i = end == std::string::npos ? expr.size() : end + 1;
      } else if (!call && !kKeywords.contains(word)) {
        names.insert(word);
      }
    } else {
      ++i;
    }
  }
  return names;
}

TEST(MonitoringFilesTest, MetricNamesInTheScannerAreWhatTheScannerFinds) {
  EXPECT_EQ(
      MetricNamesIn(
          "histogram_quantile(0.95, sum(rate(processing_latency_seconds_bucket[1m])) by (le))"),
      std::set<std::string>{"processing_latency_seconds_bucket"});
  EXPECT_EQ(
      MetricNamesIn(
          "sum by (job) (rate(kappa_dead_lettered_total{job=\"x\"}[$__rate_interval])) > 1e3"),
      std::set<std::string>{"kappa_dead_lettered_total"});
  EXPECT_EQ(MetricNamesIn("a / on (instance) group_left(version) b unless absent(up)"),
            (std::set<std::string>{"a", "b", "up"}));
}

TEST(MonitoringFilesTest, EveryQueryNamesAMetricTheCodeExports) {
  const auto exported = ExportedSeriesNames();
  ASSERT_TRUE(exported.contains("transactions_processed_total"));
  ASSERT_TRUE(exported.contains("processing_latency_seconds_bucket"));
  std::vector<std::pair<std::string, std::string>> queries;  // where, expr
  for (const auto& t : LoadDashboard().targets)
    queries.emplace_back("dashboard: " + t.panel, t.expr);
  for (const auto& file : RuleFiles()) {
    const std::string yaml = ReadFile(file);
    // "expr: <one line>" or "expr: |" followed by a more indented block.
    const std::regex expr_line(R"(^(\s*)expr:\s*(.*)$)", std::regex::multiline);
    for (std::sregex_iterator it(yaml.begin(), yaml.end(), expr_line), end; it != end; ++it) {
      std::string expr = (*it)[2].str();
      if (expr == "|" || expr == ">") {
        expr.clear();
        const size_t indent = (*it)[1].length();
        std::istringstream rest(
            yaml.substr(static_cast<size_t>(it->position() + it->length()) + 1));
        for (std::string line; std::getline(rest, line);) {
          const size_t first = line.find_first_not_of(' ');
          if (first != std::string::npos && first <= indent) break;
          expr += line + "\n";
        }
      }
      queries.emplace_back(file.filename().string(), expr);
    }
  }
  ASSERT_GT(queries.size(), 20u);
  for (const auto& [where, expr] : queries) {
    const auto names = MetricNamesIn(expr);
    EXPECT_FALSE(names.empty()) << where << ": no metric in " << expr;
    for (const auto& name : names) {
      EXPECT_TRUE(exported.contains(name))
          << where << ": " << name << " is not exported by kappa (" << expr << ")";
    }
  }
}

TEST(MonitoringFilesTest, DashboardProviderLoadsTheMountedDirectory) {
  const std::string provider = ReadFile(Monitoring() / "grafana/provisioning/dashboards/kappa.yml");
  EXPECT_EQ(YamlValue(provider, "type"), "file");
  EXPECT_EQ(YamlValue(provider, "path"), kMountedDashboards);
}

TEST(MonitoringFilesTest, ComposeMountsTheMonitoringFilesWhereTheConfigsExpectThem) {
  const std::string compose = ReadFile(RepoRoot() / "docker-compose.yml");
  // Short volume syntax, source relative to the compose file; optional
  // trailing slash and access mode.
  const std::map<std::string, std::string> mounts = {
      {"monitoring/prometheus.yml", "/etc/prometheus/prometheus.yml"},
      {"monitoring/rules", "/etc/prometheus/rules"},
      {"monitoring/grafana/provisioning", "/etc/grafana/provisioning"},
      {"monitoring/grafana/dashboards", kMountedDashboards},
  };
  for (const auto& [source, target] : mounts) {
    const std::regex volume(R"(\./)" + RegexQuote(source) + "/?:" + RegexQuote(target) +
                            R"(/?(:r[ow])?(?=["'\s]))");
    EXPECT_TRUE(std::regex_search(compose, volume))
        << "docker-compose.yml should mount ./" << source << " at " << target;
  }
}

}  // namespace
}  // namespace kappa
