#include "inference/model_registry.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/sha256.h"

namespace kappa::inference {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBoosterFile = "model.ubj";
constexpr const char* kManifestFile = "manifest.json";
constexpr const char* kSignatureFile = "manifest.sig";
constexpr const char* kCurrentFile = "CURRENT";

// Writes `bytes` to `path` and fsyncs it, so a rename that publishes it
// never exposes a file whose data is not on disk.
Status WriteFileDurably(const fs::path& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::IoError("cannot create " + path.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return Status::IoError("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Status::IoError("cannot sync " + path.string());
  return Status::Ok();
}

// fsyncs a directory, so that a rename inside it survives a power loss.
void SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the rename itself has happened
  ::fsync(fd);
  ::close(fd);
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "v0042" -> 42; std::nullopt for anything else.
std::optional<int> ParseVersionDir(const std::string& name) {
  if (name.size() < 2 || name[0] != 'v') return std::nullopt;
  int v = 0;
  for (size_t i = 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || v > 100000000) return std::nullopt;
    v = v * 10 + (name[i] - '0');
  }
  return v > 0 ? std::optional<int>(v) : std::nullopt;
}

}  // namespace

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::Open(const std::string& dir,
                                                           std::optional<ModelKey> key) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create models directory " + dir + ": " + ec.message());
  return std::unique_ptr<ModelRegistry>(new ModelRegistry(dir, std::move(key)));
}

std::string ModelRegistry::VersionDir(int version) const {
  return (fs::path(dir_) / fmt::format("v{:04d}", version)).string();
}

Result<std::vector<int>> ModelRegistry::Versions() const {
  std::vector<int> versions;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_directory()) continue;
    if (auto v = ParseVersionDir(entry.path().filename().string())) versions.push_back(*v);
  }
  if (ec) return Status::IoError("cannot list " + dir_ + ": " + ec.message());
  std::sort(versions.begin(), versions.end());
  return versions;
}

Status ModelRegistry::WriteVersionDir(int version, std::string_view manifest_json,
                                      std::string_view signature, std::string_view booster_ubj,
                                      bool* version_taken) {
  *version_taken = false;
  const fs::path tmp = fs::path(dir_) / fmt::format(".tmp-v{:04d}-{}", version, getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return Status::IoError("cannot create " + tmp.string() + ": " + ec.message());
  Status s = WriteFileDurably(tmp / kBoosterFile, booster_ubj);
  if (s.ok()) s = WriteFileDurably(tmp / kManifestFile, manifest_json);
  if (s.ok() && !signature.empty()) {
    s = WriteFileDurably(tmp / kSignatureFile, std::string(signature) + "\n");
  }
  if (s.ok()) {
    // rename(2) of a directory onto an existing non-empty one fails: that is
    // how two concurrent publishers learn the number is taken.
    if (::rename(tmp.c_str(), VersionDir(version).c_str()) != 0) {
      if (errno == EEXIST || errno == ENOTEMPTY) {
        *version_taken = true;
      } else {
        s = Status::IoError("cannot publish " + VersionDir(version) + ": " + std::strerror(errno));
      }
    } else {
      SyncDirectory(dir_);
    }
  }
  if (!s.ok() || *version_taken) fs::remove_all(tmp, ec);
  return s;
}

Result<ModelManifest> ModelRegistry::Publish(ModelManifest manifest, std::string_view booster_ubj) {
  auto versions = Versions();
  if (!versions.ok()) return versions.status();
  manifest.version = versions->empty() ? 1 : versions->back() + 1;
  manifest.booster_sha256 = Sha256Hex(booster_ubj);
  for (int attempt = 0; attempt < 100; ++attempt, ++manifest.version) {
    // The version is in the manifest, so each attempt signs anew.
    const std::string json = manifest.ToJson();
    const std::string signature = key_ ? key_->Sign(json) : "";
    bool taken = false;
    KAPPA_RETURN_IF_ERROR(WriteVersionDir(manifest.version, json, signature, booster_ubj, &taken));
    if (!taken) return manifest;
  }
  return Status::IoError("cannot find a free version number in " + dir_);
}

Status ModelRegistry::Import(std::string_view manifest_json, std::string_view signature,
                             std::string_view booster_ubj) {
  auto manifest = ParseManifest(manifest_json, signature, key());
  if (!manifest.ok()) return manifest.status().WithContext("model to import");
  auto model = Model::FromArtifact(*manifest, std::string(booster_ubj));
  if (!model.ok()) return model.status();
  std::error_code ec;
  if (fs::exists(VersionDir(manifest->version), ec)) {
    auto existing = ReadManifest(manifest->version);
    if (existing.ok() && existing->booster_sha256 == manifest->booster_sha256) {
      return Status::Ok();
    }
    return Status::Corruption(
        fmt::format("model v{} already exists here with another booster", manifest->version));
  }
  bool taken = false;
  KAPPA_RETURN_IF_ERROR(
      WriteVersionDir(manifest->version, manifest_json, signature, booster_ubj, &taken));
  return Status::Ok();  // taken: a concurrent import of the same version won
}

Result<std::string> ModelRegistry::ReadSignature(int version) const {
  const fs::path path = fs::path(VersionDir(version)) / kSignatureFile;
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::string();
  auto text = ReadFile(path);
  if (!text.ok()) return Status::Corruption(text.status().message());
  return std::move(text).value();
}

Result<ModelManifest> ModelRegistry::ReadManifest(int version) const {
  return ReadManifestChecked(version, /*verify_signature=*/true);
}

Result<ModelManifest> ModelRegistry::InspectManifest(int version) const {
  return ReadManifestChecked(version, /*verify_signature=*/false);
}

Result<ModelManifest> ModelRegistry::ReadManifestChecked(int version, bool verify_signature) const {
  const fs::path dir = VersionDir(version);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Status::NotFound(fmt::format("no model v{} in {}", version, dir_));
  }
  auto json = ReadFile(fs::path(dir) / kManifestFile);
  if (!json.ok()) return Status::Corruption(json.status().message());
  std::string signature;
  if (verify_signature && key_) {
    auto read = ReadSignature(version);
    if (!read.ok()) return read.status();
    signature = std::move(read).value();
  }
  // The signature is checked over the bytes just read, before they are parsed.
  auto manifest = ParseManifest(*json, signature, verify_signature ? key() : nullptr);
  if (!manifest.ok()) {
    return manifest.status().WithContext(fmt::format("model v{} ({})", version, dir.string()));
  }
  if (manifest->version != version) {
    return Status::Corruption(
        fmt::format("{}: manifest says version {}", dir.string(), manifest->version));
  }
  return manifest;
}

Result<std::unique_ptr<Model>> ModelRegistry::Load(int version) const {
  auto manifest = ReadManifest(version);
  if (!manifest.ok()) return manifest.status();
  auto booster = ReadFile(fs::path(VersionDir(version)) / kBoosterFile);
  if (!booster.ok()) return Status::Corruption(booster.status().message());
  return Model::FromArtifact(std::move(manifest).value(), std::move(booster).value());
}

Result<std::vector<int>> ModelRegistry::PromotionStack() const {
  std::vector<int> stack;
  std::ifstream in(fs::path(dir_) / kCurrentFile);
  if (!in) return stack;  // nothing promoted yet
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto v = ParseVersionDir("v" + line);
    if (!v) return Status::Corruption(dir_ + "/CURRENT: bad line '" + line + "'");
    stack.push_back(*v);
  }
  return stack;
}

Result<std::optional<int>> ModelRegistry::Current() const {
  auto stack = PromotionStack();
  if (!stack.ok()) return stack.status();
  if (stack->empty()) return std::optional<int>();
  return std::optional<int>(stack->back());
}

Status ModelRegistry::WriteStack(const std::vector<int>& stack) {
  std::string text;
  for (int v : stack) text += std::to_string(v) + "\n";
  const fs::path tmp = fs::path(dir_) / fmt::format(".CURRENT.tmp-{}", getpid());
  KAPPA_RETURN_IF_ERROR(WriteFileDurably(tmp, text));
  if (::rename(tmp.c_str(), (fs::path(dir_) / kCurrentFile).c_str()) != 0) {
    return Status::IoError("cannot update " + dir_ + "/CURRENT: " + std::strerror(errno));
  }
  SyncDirectory(dir_);
  return Status::Ok();
}

Status ModelRegistry::Promote(int version) {
  auto model = Load(version);  // never make an unverifiable version current
  if (!model.ok()) return model.status();
  auto stack = PromotionStack();
  if (!stack.ok()) return stack.status();
  if (!stack->empty() && stack->back() == version) return Status::Ok();
  stack->push_back(version);
  return WriteStack(*stack);
}

Result<int> ModelRegistry::Rollback() {
  auto stack = PromotionStack();
  if (!stack.ok()) return stack.status();
  if (stack->size() < 2) {
    return Status::NotFound(stack->empty() ? "no model has been promoted yet"
                                           : fmt::format("v{} is the first promoted version: "
                                                         "nothing to roll back to",
                                                         stack->back()));
  }
  stack->pop_back();
  auto model = Load(stack->back());
  if (!model.ok()) return model.status().WithContext("cannot roll back");
  KAPPA_RETURN_IF_ERROR(WriteStack(*stack));
  return stack->back();
}

}  // namespace kappa::inference
