#include <cstdio>

#include "cli/commands.h"

namespace kappa::cli {

int ReportFailure(const std::string& command, const Status& status) {
  if (status.ok()) return 0;
  std::fprintf(stderr, "kappa %s: %s\n", command.c_str(), status.message().c_str());
  return status.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

}  // namespace kappa::cli
