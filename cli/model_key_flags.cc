#include "cli/model_key_flags.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kappa::cli {
namespace {

constexpr const char* kKeyFileEnv = "KAPPA_MODEL_KEY_FILE";
constexpr size_t kMaxKeyFileBytes = 64 * 1024;  // a key, not a data file

Result<std::string> ReadKeyFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Status::InvalidArgument(
        fmt::format("model key file {}: {}", path, std::strerror(errno)));
  }
  // Checked on the open descriptor, so the file cannot be swapped between
  // the check and the read.
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(fmt::format("model key file {}: not a regular file", path));
  }
  if ((st.st_mode & (S_IRWXO | S_IWGRP)) != 0) {
    ::close(fd);
    return Status::InvalidArgument(
        fmt::format("model key file {} is accessible to other users (mode {:04o}); "
                    "run `chmod 600 {}` (0640 to share it with the file's group)",
                    path, st.st_mode & 07777, path));
  }
  std::string bytes;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::InvalidArgument(
          fmt::format("model key file {}: {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    bytes.append(buf, static_cast<size_t>(n));
    if (bytes.size() > kMaxKeyFileBytes) {
      ::close(fd);
      return Status::InvalidArgument(
          fmt::format("model key file {}: larger than {} bytes", path, kMaxKeyFileBytes));
    }
  }
  ::close(fd);
  // `openssl rand -hex 32 > key` and editors end the file with a newline:
  // it is not part of the key.
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r' || bytes.back() == ' ' ||
                            bytes.back() == '\t')) {
    bytes.pop_back();
  }
  return bytes;
}

}  // namespace

void AddModelKeyFlags(CommandLine* cl, ModelKeyFlags* flags) {
  cl->AddOption("model-key-file", 0, "PATH",
                "shared key that signs and verifies model artifacts (default\n"
                "$KAPPA_MODEL_KEY_FILE; none: models are not authenticated);\n"
                "the file must not be accessible to other users",
                [flags](std::string_view v) -> Status {
                  if (v.empty()) return Status::InvalidArgument("expected a file name");
                  flags->key_file = std::string(v);
                  return Status::Ok();
                });
}

Result<std::optional<inference::ModelKey>> LoadModelKey(const ModelKeyFlags& flags) {
  std::string path = flags.key_file;
  std::string from = "--model-key-file";
  if (path.empty()) {
    const char* env = std::getenv(kKeyFileEnv);
    if (env == nullptr || *env == '\0') return std::optional<inference::ModelKey>();
    path = env;
    from = kKeyFileEnv;
  }
  auto secret = ReadKeyFile(path);
  if (!secret.ok()) return secret.status();
  auto key = inference::ModelKey::FromSecret(std::move(secret).value());
  if (!key.ok()) return key.status().WithContext("model key file " + path);
  spdlog::info("model artifacts are signed and verified with key id {} (from {} {})", key->id(),
               from, path);
  return std::optional<inference::ModelKey>(std::move(key).value());
}

}  // namespace kappa::cli
