// The `kappa` subcommands. Each takes the words after its name and returns
// the process exit code: 0 ok, 1 runtime failure, 2 bad usage or config
// (with a one-line reason on stderr).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace kappa::cli {

using Args = std::vector<std::string>;

int RunBroker(const Args& args);
int RunProduce(const Args& args);
int RunDemo(const Args& args);
int RunTrain(const Args& args);
int RunState(const Args& args);
int RunModels(const Args& args);
int RunInfer(const Args& args);
int RunReprocess(const Args& args);

// Prints "kappa <command>: <message>" to stderr and maps the status to an
// exit code (InvalidArgument -> 2, other errors -> 1, ok -> 0).
int ReportFailure(const std::string& command, const Status& status);

}  // namespace kappa::cli
