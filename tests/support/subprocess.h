// Subprocess: runs a program (our `kappa` binary, kcat) for integration
// tests, with stdin/stdout/stderr captured and a hard time limit so that a
// hung child fails the test instead of hanging ctest.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace kappa::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs argv to completion, feeding `input` on stdin. `env` entries are added
// to (or override) the current environment.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::seconds timeout = std::chrono::seconds(60),
                         const std::map<std::string, std::string>& env = {});

// A child left running (e.g. `kappa broker`); its stdout/stderr go to files.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv, const std::string& log_prefix,
                    const std::map<std::string, std::string>& env = {});
  ~BackgroundProcess();  // SIGKILLs the child if still running
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  int pid() const { return pid_; }
  void Signal(int signo) const;
  // Waits for exit; std::nullopt on timeout. Returns the exit code as RunProcess().
  std::optional<int> Wait(std::chrono::seconds timeout);
  std::string Stdout() const;
  std::string Stderr() const;

 private:
  int pid_ = -1;
  bool reaped_ = false;
  std::string out_path_;
  std::string err_path_;
};

// The path of the built `kappa` binary (from the build system).
std::string KappaBinary();

// argv of `kappa infer` on `bootstrap` with the model registry `models_dir`,
// in consumer group `group`, without a metrics endpoint and with a 6 s
// session timeout (a killed member leaves the group soon), then `extra`.
std::vector<std::string> InferCommand(const std::string& bootstrap, const std::string& models_dir,
                                      const std::string& group,
                                      const std::vector<std::string>& extra = {});

// Waits until `pred` is true or `timeout` passes; returns the last value.
template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace kappa::testing
