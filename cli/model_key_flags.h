// --model-key-file: the shared key that signs and verifies model artifacts
// (inference/model_signature.h), for the commands that make, announce or
// load models (train, reprocess, infer, models).
//
// The key comes from a file, never from a command-line value (which any
// user of the machine can read in `ps`): --model-key-file PATH, else
// $KAPPA_MODEL_KEY_FILE. The key is the file's contents with trailing
// whitespace (a newline) removed; at least ModelKey::kMinBytes bytes. The
// file must be a regular file that other users cannot read or write, and
// that its group cannot write (mode 0600, 0400, 0640 or 0440): it is
// refused otherwise, as ssh refuses a private key others can read. Neither
// given: no key, artifacts are unsigned and unauthenticated.
#pragma once

#include <optional>
#include <string>

#include "cli/command_line.h"
#include "common/status.h"
#include "inference/model_signature.h"

namespace kappa::cli {

struct ModelKeyFlags {
  std::string key_file;  // empty: not given
};

void AddModelKeyFlags(CommandLine* cl, ModelKeyFlags* flags);

// The key, std::nullopt when none is configured. InvalidArgument (exit 2)
// naming the file when it cannot be read, is too short, or is accessible to
// others. Logs the key id (never the key) when there is one.
Result<std::optional<inference::ModelKey>> LoadModelKey(const ModelKeyFlags& flags);

}  // namespace kappa::cli
