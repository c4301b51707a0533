// Shutdown: SIGINT/SIGTERM handling for long-running commands.
//
// InstallShutdownHandlers() makes the first SIGINT or SIGTERM a request to
// stop cleanly (ShutdownRequested() turns true; loops finish their work in
// flight and exit), and a second one exit the process at once with
// 128 + signal, for when a clean stop takes too long.
// The handler only touches a lock-free atomic (async-signal-safe). The
// functions may be called from any thread.
#pragma once

#include <chrono>

namespace kappa {

void InstallShutdownHandlers();
bool ShutdownRequested();
// Sleeps up to `timeout`, returning early (true) once shutdown is requested.
bool WaitForShutdown(std::chrono::milliseconds timeout);
// Requests shutdown from code (tests, --duration elapsed).
void RequestShutdown();

}  // namespace kappa
