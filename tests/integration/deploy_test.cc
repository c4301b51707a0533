// The docker-compose stack and its Dockerfile, checked without a Docker
// engine (none runs on the build machines): docker-compose 1.29, from
// scripts/bootstrap, validates and resolves docker-compose.yml, and its
// output is read as JSON (with the yaml module docker-compose itself uses);
// the kappa services' commands are parsed by the real binary; the host paths
// the stack mounts, the metrics ports Prometheus scrapes, the topics
// kafka-init creates and the image's user are checked against the repository.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace kappa {
namespace {

using testing::KappaBinary;
using testing::ProcessResult;
using testing::RunProcess;

const std::string kRoot = KAPPA_SOURCE_DIR;
const std::string kComposeFile = kRoot + "/docker-compose.yml";
const std::string kKappaImage = "kappa:local";

// RunProcess, with a program that cannot be started reported as a result
// (exit code -1 and the reason) instead of an exception.
ProcessResult RunTool(const std::vector<std::string>& argv, const std::string& input = "") {
  try {
    return RunProcess(argv, input, std::chrono::seconds(60));
  } catch (const std::exception& e) {
    ProcessResult r;
    r.err = e.what();
    return r;
  }
}

// docker-compose with the repository as project directory, so relative paths
// resolve against it whatever the test's working directory.
ProcessResult Compose(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"docker-compose", "--project-directory", kRoot, "-f",
                                   kComposeFile};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunTool(argv);
}

// YAML text -> JSON text. Debian's docker-compose runs on /usr/bin/python3
// and depends on its yaml module, so both are there wherever it is.
std::string YamlToJson(const std::string& yaml) {
  const auto r =
      RunTool({"/usr/bin/python3", "-c",
               "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"},
              yaml);
  EXPECT_EQ(r.exit_code, 0) << "python3 yaml -> json: " << r.err;
  return r.out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::vector<std::string> Strings(simdjson::dom::element list) {
  std::vector<std::string> out;
  simdjson::dom::array array;
  if (list.get_array().get(array) != simdjson::SUCCESS) return out;
  for (auto item : array) {
    std::string_view s;
    if (item.get_string().get(s) == simdjson::SUCCESS) out.emplace_back(s);
  }
  return out;
}

std::string Join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

// Whether `word` occurs in `text` as a whole topic name (not as a prefix of
// a longer one, such as titanic-events of titanic-events-dlq).
bool ContainsWord(const std::string& text, const std::string& word) {
  const auto is_name_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
  };
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const auto end = at + word.size();
    if ((at == 0 || !is_name_char(text[at - 1])) &&
        (end == text.size() || !is_name_char(text[end]))) {
      return true;
    }
  }
  return false;
}

// The value after `flag` in a command, if any.
std::optional<std::string> FlagValue(const std::vector<std::string>& command,
                                     const std::string& flag) {
  const auto it = std::find(command.begin(), command.end(), flag);
  if (it == command.end() || it + 1 == command.end()) return std::nullopt;
  return *(it + 1);
}

// The stack as docker-compose resolves it (`config`), parsed once per test.
class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto config = Compose({"config"});
    ASSERT_EQ(config.exit_code, 0) << "docker-compose config (scripts/bootstrap installs "
                                      "docker-compose): "
                                   << config.err;
    json_ = YamlToJson(config.out);
    ASSERT_EQ(parser_.parse(json_).get(root_), simdjson::SUCCESS) << json_;
    ASSERT_EQ(root_["services"].get_object().get(services_), simdjson::SUCCESS);
  }

  std::optional<simdjson::dom::element> Service(const std::string& name) const {
    simdjson::dom::element s;
    if (services_[name].get(s) != simdjson::SUCCESS) return std::nullopt;
    return s;
  }

  // Services that run the kappa image, with their commands.
  std::map<std::string, std::vector<std::string>> KappaCommands() const {
    std::map<std::string, std::vector<std::string>> out;
    for (auto [name, service] : services_) {
      std::string_view image;
      if (service["image"].get_string().get(image) != simdjson::SUCCESS) continue;
      if (image == kKappaImage) out[std::string(name)] = Strings(service["command"]);
    }
    return out;
  }

  // Every bind mount of the stack: host path -> path in the container.
  std::vector<std::pair<std::string, std::string>> BindMounts() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto [name, service] : services_) {
      simdjson::dom::array volumes;
      if (service["volumes"].get_array().get(volumes) != simdjson::SUCCESS) continue;
      for (auto v : volumes) {
        std::string_view text, type, source, target;
        if (v.get_string().get(text) == simdjson::SUCCESS) {
          // Short form "source:target[:mode]"; a bind source is a path (config
          // makes it absolute), a named volume is a name.
          const std::string spec(text);
          const auto colon = spec.find(':');
          const std::string first = spec.substr(0, colon);
          const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
          if (!first.empty() && (first[0] == '/' || first[0] == '.')) {
            out.emplace_back(first, rest.substr(0, rest.find(':')));
          }
        } else if (v["type"].get_string().get(type) == simdjson::SUCCESS && type == "bind" &&
                   v["source"].get_string().get(source) == simdjson::SUCCESS &&
                   v["target"].get_string().get(target) == simdjson::SUCCESS) {
          out.emplace_back(source, target);
        }
      }
    }
    return out;
  }

  std::string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  simdjson::dom::object services_;
};

TEST_F(DeployTest, ComposeFileIsValid) {
  const auto r = Compose({"config", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "") << "docker-compose warns about the file";
}

TEST_F(DeployTest, ComposeDefinesExactlyTheStack) {
  const auto r = Compose({"config", "--services"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto listed = Lines(r.out);
  // infer, producer and trainer are the names Prometheus resolves by DNS.
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            (std::set<std::string>{"kafka", "kafka-init", "producer", "trainer", "infer",
                                   "reprocess", "prometheus", "grafana"}));
  // reprocess is a tool, not part of `docker compose up`.
  auto reprocess = Service("reprocess");
  ASSERT_TRUE(reprocess);
  EXPECT_EQ(Strings((*reprocess)["profiles"]), std::vector<std::string>{"tools"});
}

TEST_F(DeployTest, EveryBindMountedHostPathExists) {
  std::set<std::string> sources;
  for (const auto& [source, target] : BindMounts()) sources.insert(source);
  for (const auto& path : sources) {
    EXPECT_TRUE(std::filesystem::exists(path))
        << "mounted by docker-compose.yml, missing: " << path;
  }
  for (const char* expected :
       {"/monitoring/prometheus.yml", "/monitoring/rules", "/monitoring/grafana/provisioning",
        "/monitoring/grafana/dashboards"}) {
    EXPECT_EQ(sources.count(kRoot + expected), 1u) << "not mounted: " << kRoot + expected;
  }
  EXPECT_TRUE(std::filesystem::is_directory(kRoot + "/monitoring/rules"));
  EXPECT_TRUE(std::filesystem::is_regular_file(kRoot + "/monitoring/prometheus.yml"));
}

TEST_F(DeployTest, GrafanaHomeDashboardIsAMountedFile) {
  auto grafana = Service("grafana");
  ASSERT_TRUE(grafana);
  std::string_view home;
  ASSERT_EQ(
      (*grafana)["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].get_string().get(home),
      simdjson::SUCCESS);
  std::optional<std::string> on_host;
  for (const auto& [source, target] : BindMounts()) {
    if (home.rfind(target + "/", 0) == 0)
      on_host = source + std::string(home.substr(target.size()));
  }
  ASSERT_TRUE(on_host) << home << " is in no mounted directory";
  EXPECT_TRUE(std::filesystem::is_regular_file(*on_host)) << *on_host;
}

TEST_F(DeployTest, KappaServicesBuildTheImageFromTheDockerfile) {
  const auto commands = KappaCommands();
  ASSERT_FALSE(commands.empty());
  for (const auto& [name, command] : commands) {
    std::string_view context;
    ASSERT_EQ((*Service(name))["build"]["context"].get_string().get(context), simdjson::SUCCESS)
        << name;
    EXPECT_EQ(std::filesystem::canonical(std::string(context)), std::filesystem::canonical(kRoot))
        << name;
  }
  EXPECT_TRUE(std::filesystem::is_regular_file(kRoot + "/Dockerfile"));
  EXPECT_TRUE(std::filesystem::is_regular_file(kRoot + "/.dockerignore"));
}

// --help is honoured only after every flag before it was parsed and checked,
// so `kappa <command> <flags> --help` exits 0 exactly when the binary accepts
// those flags and values.
TEST_F(DeployTest, KappaServiceCommandsUseOnlyFlagsTheBinaryAccepts) {
  const auto commands = KappaCommands();
  for (const char* name : {"producer", "trainer", "infer", "reprocess"}) {
    EXPECT_EQ(commands.count(name), 1u) << name << " does not run " << kKappaImage;
  }
  for (const auto& [name, command] : commands) {
    ASSERT_FALSE(command.empty()) << name << " has no command (the entrypoint is kappa)";
    std::vector<std::string> argv = {KappaBinary()};
    argv.insert(argv.end(), command.begin(), command.end());
    argv.push_back("--help");
    const auto r = RunTool(argv);
    EXPECT_EQ(r.exit_code, 0) << name << ": kappa " << Join(command) << ": " << r.err;
    EXPECT_EQ(r.out.rfind("Usage: kappa " + command[0], 0), 0u) << name << ": " << r.out;
  }
  // The check itself can fail: a flag the binary does not know is exit 2.
  const auto bad = RunTool({KappaBinary(), "infer", "--no-such-flag", "1", "--help"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
}

// Prometheus finds the kappa services by their compose names and scrapes the
// contract's ports; each health check probes the port its service serves.
TEST_F(DeployTest, MetricsPortsMatchPrometheusAndHealthChecks) {
  const auto commands = KappaCommands();
  const std::map<std::string, std::string> contract = {
      {"infer", "8000"}, {"producer", "8001"}, {"trainer", "8002"}};
  for (const auto& [name, port] : contract) {
    ASSERT_EQ(commands.count(name), 1u) << name;
    EXPECT_EQ(FlagValue(commands.at(name), "--metrics-port"), port) << name;
  }

  for (const auto& [name, command] : commands) {
    simdjson::dom::element test;
    if ((*Service(name))["healthcheck"]["test"].get(test) != simdjson::SUCCESS) continue;
    const std::string probe = Join(Strings(test));
    const std::string prefix = "/dev/tcp/127.0.0.1/";
    const auto at = probe.find(prefix);
    ASSERT_NE(at, std::string::npos) << name << ": " << probe;
    const auto start = at + prefix.size();
    const std::string port =
        probe.substr(start, probe.find_first_not_of("0123456789", start) - start);
    EXPECT_EQ(FlagValue(command, "--metrics-port"), port) << name << ": " << probe;
  }
  auto infer = Service("infer");
  ASSERT_TRUE(infer);
  simdjson::dom::element infer_check;
  EXPECT_EQ((*infer)["healthcheck"]["test"].get(infer_check), simdjson::SUCCESS)
      << "infer needs a health check";

  const std::string prometheus_yml = ReadFile(kRoot + "/monitoring/prometheus.yml");
  ASSERT_FALSE(prometheus_yml.empty()) << "monitoring/prometheus.yml is missing or empty";
  const std::string json = YamlToJson(prometheus_yml);
  simdjson::dom::parser parser;
  simdjson::dom::element prometheus;
  ASSERT_EQ(parser.parse(json).get(prometheus), simdjson::SUCCESS) << json;
  std::set<std::string> scraped;
  simdjson::dom::array jobs;
  ASSERT_EQ(prometheus["scrape_configs"].get_array().get(jobs), simdjson::SUCCESS);
  for (auto job : jobs) {
    simdjson::dom::array sds;
    if (job["dns_sd_configs"].get_array().get(sds) != simdjson::SUCCESS) continue;
    for (auto sd : sds) {
      int64_t port = 0;
      ASSERT_EQ(sd["port"].get_int64().get(port), simdjson::SUCCESS);
      for (const auto& name : Strings(sd["names"])) {
        scraped.insert(name);
        ASSERT_EQ(commands.count(name), 1u)
            << "prometheus.yml resolves " << name << ", which is no kappa service of the stack";
        EXPECT_EQ(FlagValue(commands.at(name), "--metrics-port"), std::to_string(port)) << name;
      }
    }
  }
  const std::set<std::string> needed = {"infer", "producer", "trainer"};
  EXPECT_TRUE(std::includes(scraped.begin(), scraped.end(), needed.begin(), needed.end()))
      << "prometheus.yml must scrape infer, producer and trainer by DNS";
}

TEST_F(DeployTest, KafkaInitCreatesTheContractTopics) {
  auto init = Service("kafka-init");
  ASSERT_TRUE(init);
  const std::string script = Join(Strings((*init)["command"]));
  for (const char* topic :
       {"titanic-events", "titanic-alerts", "titanic-events-dlq", "titanic-infer-progress",
        "titanic-predictions.titanic-v1", "titanic-predictions.titanic-v2"}) {
    EXPECT_TRUE(ContainsWord(script, topic)) << topic;
  }
  EXPECT_NE(script.find("--if-not-exists"), std::string::npos) << "must be safe to run again";
  EXPECT_NE(script.find("titanic-models --partitions 1 --config retention.ms=-1"),
            std::string::npos)
      << script;
}

TEST(DockerfileTest, RuntimeStageRunsAsNonRootUserWithKappaEntrypoint) {
  const auto lines = Lines(ReadFile(kRoot + "/Dockerfile"));
  ASSERT_FALSE(lines.empty()) << "no Dockerfile at the repository root";
  // The last FROM starts the stage that becomes the image.
  size_t runtime = lines.size();
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("FROM ", 0) == 0) runtime = i;
  }
  ASSERT_LT(runtime, lines.size());
  EXPECT_EQ(lines[runtime].rfind("FROM debian:bookworm-slim", 0), 0u) << lines[runtime];
  std::optional<std::string> user;
  std::optional<std::string> entrypoint;
  for (size_t i = runtime; i < lines.size(); ++i) {
    if (lines[i].rfind("USER ", 0) == 0) user = lines[i].substr(5);
    if (lines[i].rfind("ENTRYPOINT ", 0) == 0) entrypoint = lines[i].substr(11);
  }
  ASSERT_TRUE(user) << "the runtime stage sets no USER: it would run as root";
  const std::string name = user->substr(0, user->find(':'));
  EXPECT_NE(name, "root");
  EXPECT_NE(name, "0");
  EXPECT_EQ(entrypoint, "[\"kappa\"]");
}

}  // namespace
}  // namespace kappa
