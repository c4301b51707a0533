#include "common/shutdown.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

namespace kappa {
namespace {

std::atomic<int> g_signals{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void OnShutdownSignal(int signo) {
  if (g_signals.fetch_add(1) >= 1) _exit(128 + signo);
}

}  // namespace

void InstallShutdownHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnShutdownSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool ShutdownRequested() { return g_signals.load(std::memory_order_relaxed) > 0; }

void RequestShutdown() { g_signals.fetch_add(1); }

bool WaitForShutdown(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ShutdownRequested()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        deadline - now, std::chrono::milliseconds(50)));
  }
  return true;
}

}  // namespace kappa
