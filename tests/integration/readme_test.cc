// The README cannot drift from the code: its tour runs as written, every
// `kappa` command line in it is accepted by the binary, and every docker
// compose line names services of docker-compose.yml and passes the kappa
// binary arguments it accepts.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/http.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace kappa {
namespace {

namespace fs = std::filesystem;
using testing::RunProcess;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Readme() { return ReadFile(fs::path(KAPPA_SOURCE_DIR) / "README.md"); }

// The ```sh blocks of `markdown`, in order.
std::vector<std::string> ShellBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  const std::regex block("```sh\n([\\s\\S]*?)```");
  for (std::sregex_iterator it(markdown.begin(), markdown.end(), block), end; it != end; ++it) {
    blocks.push_back((*it)[1].str());
  }
  return blocks;
}

// A command line as the shell would split it, up to a comment, `&`, `|`,
// `>` or `;` (quotes respected; no expansion: lines with $(...) keep it as
// text).
std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (const char c : line) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == '&' || c == '|' || c == '>' || c == ';') {
      break;
    } else if (std::isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// Every README line that runs kappa: its arguments after `kappa`.
std::vector<std::vector<std::string>> KappaCommandLines(const std::string& readme) {
  std::vector<std::vector<std::string>> commands;
  for (std::string block : ShellBlocks(readme)) {
    // A backslash-newline continues the line, as in the shell.
    block = std::regex_replace(block, std::regex("\\\\\n"), " ");
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);) {
      auto words = Words(line);
      if (words.empty()) continue;
      if (words[0] == "build/kappa") {
        words.erase(words.begin());
      } else if (words[0] == "./scripts/demo") {
        words[0] = "demo";  // scripts/demo builds, then runs `kappa demo` with its arguments
      } else {
        continue;
      }
      commands.push_back(words);
    }
  }
  return commands;
}

// The README opens with the two commands of a fresh machine. The first is
// run here as written (in this build folder, with a short duration and a
// free port): it must build, run the whole loop and end with its summary.
TEST(ReadmeTest, ItsFirstCommandRunsTheDemo) {
  const auto blocks = ShellBlocks(Readme());
  ASSERT_FALSE(blocks.empty());
  std::vector<std::string> first_words;
  std::istringstream lines(blocks[0]);
  for (std::string line; std::getline(lines, line);) {
    const auto words = Words(line);
    if (!words.empty()) first_words.push_back(words[0]);
  }
  ASSERT_EQ(first_words, (std::vector<std::string>{"./scripts/demo", "./scripts/test"}));

  const int port = testing::FreeLoopbackPort();
  const auto run = RunProcess(
      {(fs::path(KAPPA_SOURCE_DIR) / "scripts/demo").string(), "--duration", "20", "--rate", "100",
       "--metrics-port", std::to_string(port), "--metrics-bind", "127.0.0.1"},
      "", std::chrono::seconds(240),
      {{"KAPPA_BUILD_DIR", fs::path(testing::KappaBinary()).parent_path().string()},
       {"KAFKA_BROKERS", ""}});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
      << "the status page's address is printed at start: " << run.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(
      run.out, m,
      std::regex(R"(produced=(\d+) scored=(\d+) alerts=(\d+) dead_lettered=0 models=(\d+))")))
      << run.out;
  EXPECT_GE(std::stoull(m[1]), 1000u) << "20 s at 100 events/s";
  EXPECT_GT(std::stoull(m[2]), 0u) << "a model was trained and scored live events";
  EXPECT_GT(std::stoull(m[3]), 0u);
  EXPECT_GE(std::stoull(m[4]), 1u);
  EXPECT_LE(std::stoull(m[2]), std::stoull(m[1]));
}

TEST(ReadmeTest, TheTourRunsAsWritten) {
  const std::string readme = Readme();
  const auto tour_at = readme.find("\n## A tour\n");
  ASSERT_NE(tour_at, std::string::npos);
  const auto blocks = ShellBlocks(readme.substr(tour_at));
  ASSERT_FALSE(blocks.empty());
  testing::TempDir dir;
  std::ofstream(dir.File("tour.sh")) << blocks[0];
  // `build/kappa` as in the repository; its own address file and state.
  fs::create_directory_symlink(fs::path(testing::KappaBinary()).parent_path(), dir.File("build"));
  // Its first line makes a scratch directory with mktemp: in this test's.
  const auto run = RunProcess(
      {"bash", "-c", "cd '" + dir.path() + "' && bash -e tour.sh"}, "", std::chrono::seconds(240),
      {{"XDG_RUNTIME_DIR", dir.path()}, {"KAFKA_BROKERS", ""}, {"TMPDIR", dir.path()}});
  // A failed step leaves the background broker running: stop it by its pid.
  std::ifstream address_file(dir.File("kappa-broker.address"));
  std::string address;
  long pid = 0;
  if (address_file >> address >> pid && pid > 0) kill(static_cast<pid_t>(pid), SIGTERM);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  const std::string& out = run.out;
  EXPECT_NE(out.find("sent=3000 acknowledged=3000 failed=0"), std::string::npos) << out;
  EXPECT_NE(out.find("scored=3000 alerts="), std::string::npos) << out;
  // kcat: three alerts.
  const std::regex alert(R"(\{"PassengerId":\d+,"survived":1,)");
  EXPECT_EQ(
      std::distance(std::sregex_iterator(out.begin(), out.end(), alert), std::sregex_iterator()), 3)
      << out;
  EXPECT_NE(out.find("replay: 1,000 events stored"), std::string::npos)
      << "the second train replays only the new events: " << out;
  EXPECT_NE(out.find("model v0002  feature set titanic-v1"), std::string::npos) << out;
  EXPECT_NE(out.find("output: 4,000 predictions written to titanic-predictions.titanic-v2"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("already holds this model's 4,000 predictions"), std::string::npos) << out;
  // The last `models list`: v3 (titanic-v2) is current.
  EXPECT_TRUE(std::regex_search(out, std::regex(R"(\* v0003 +\S+ \S+ +titanic-v2)"))) << out;
}

TEST(ReadmeTest, EveryKappaCommandLineIsAcceptedByTheBinary) {
  const auto commands = KappaCommandLines(Readme());
  ASSERT_GT(commands.size(), 20u);
  // --help is honoured only after every argument before it parsed: the
  // command, each flag and each value are checked, nothing runs.
  // Files the examples name (--kafka-config /etc/...) are read while the
  // flags parse: an empty file stands in for them.
  testing::TempDir dir;
  std::ofstream(dir.File("empty.properties")).flush();
  for (const auto& words : commands) {
    std::vector<std::string> argv = {testing::KappaBinary()};
    argv.insert(argv.end(), words.begin(), words.end());
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (argv[i] == "--kafka-config") argv[i + 1] = dir.File("empty.properties");
    }
    argv.push_back("--help");
    const auto r = RunProcess(argv);
    std::string line;
    for (const auto& w : words) line += " " + w;
    EXPECT_EQ(r.exit_code, 0) << "README: kappa" << line << "\n" << r.err;
  }
}

TEST(ReadmeTest, DockerComposeLinesNameRealServicesAndValidKappaArguments) {
  const fs::path root(KAPPA_SOURCE_DIR);
  const auto services_run = RunProcess(
      {"docker-compose", "-f", (root / "docker-compose.yml").string(), "config", "--services"});
  ASSERT_EQ(services_run.exit_code, 0) << services_run.err;
  std::set<std::string> services;
  std::istringstream in(services_run.out);
  for (std::string s; in >> s;) services.insert(s);
  ASSERT_TRUE(services.contains("infer"));

  int checked = 0;
  for (const auto& block : ShellBlocks(Readme())) {
    std::istringstream lines(block);
    for (std::string line; std::getline(lines, line);) {
      auto words = Words(line);
      if (words.size() < 2 || words[0] != "docker" || words[1] != "compose") continue;
      words.erase(words.begin(), words.begin() + 2);
      // Global options, then the subcommand.
      while (!words.empty() && words[0] == "--profile")
        words.erase(words.begin(), words.begin() + 2);
      if (words.empty()) continue;
      const std::string sub = words[0];
      words.erase(words.begin());
      if (sub != "run" && sub != "logs" && sub != "port") continue;
      // Options (with their values), then the service, then its arguments.
      static const std::set<std::string> kWithValue = {"--index", "-e", "--entrypoint"};
      size_t i = 0;
      while (i < words.size() && words[i].starts_with("-"))
        i += kWithValue.contains(words[i]) ? 2 : 1;
      ASSERT_LT(i, words.size()) << "no service in: " << line;
      EXPECT_TRUE(services.contains(words[i])) << "README: no service " << words[i] << ": " << line;
      ++checked;
      if (sub == "run" && i + 1 < words.size()) {
        // The image's entrypoint is kappa: the rest are its arguments.
        std::vector<std::string> argv = {testing::KappaBinary()};
        argv.insert(argv.end(), words.begin() + static_cast<long>(i) + 1, words.end());
        argv.push_back("--help");
        const auto r = RunProcess(argv);
        EXPECT_EQ(r.exit_code, 0) << "README: " << line << "\n" << r.err;
      }
    }
  }
  EXPECT_GT(checked, 5);
}

}  // namespace
}  // namespace kappa
