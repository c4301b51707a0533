// ModelRegistry: the model versions on disk and which one is current.
//
//   models/v0001/model.ubj        the booster (UBJSON)
//   models/v0001/manifest.json    ModelManifest, with the booster's sha256
//   models/CURRENT                the promotion stack, one version per line;
//                                 the last line is the current version
//
// Publish() writes a version into a temporary directory and renames it into
// place, so a reader never sees a half-written version and a crash leaves at
// most a stray ".tmp-*" directory; two trainers publishing at once get
// different version numbers. Promote() pushes a version on the stack,
// Rollback() pops the current one (its files stay). CURRENT is replaced
// atomically; concurrent promote/rollback from two processes is not
// supported (last writer wins).
//
// Thread-compatible: no internal state beyond the directory path.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/model.h"
#include "inference/model_manifest.h"

namespace kappa::inference {

class ModelRegistry {
 public:
  // Creates `dir` if needed. IoError when it cannot.
  static Result<std::unique_ptr<ModelRegistry>> Open(const std::string& dir);

  // Stores a new version: assigns manifest.version (the next free number)
  // and booster_sha256, writes both files atomically. Returns the manifest
  // as stored. Does not change the current version.
  Result<ModelManifest> Publish(ModelManifest manifest, std::string_view booster_ubj);
  // Stores a version received from elsewhere (the models topic) under its own
  // number, after verifying it. Ok if the same version is already present
  // with the same sha256; Corruption if it is present with another.
  Status Import(const ModelManifest& manifest, std::string_view booster_ubj);

  // Every stored version, ascending (stray temp directories are ignored).
  Result<std::vector<int>> Versions() const;
  Result<ModelManifest> ReadManifest(int version) const;
  // Reads and verifies a version (see Model::FromArtifact).
  Result<std::unique_ptr<Model>> Load(int version) const;

  // The current version, std::nullopt when none was promoted.
  Result<std::optional<int>> Current() const;
  // The promotion stack, oldest first (the last entry is current).
  Result<std::vector<int>> PromotionStack() const;
  // Verifies `version` and makes it current. NotFound if absent.
  Status Promote(int version);
  // Makes the previously current version current again and returns it.
  // NotFound when there is nothing to roll back to.
  Result<int> Rollback();

  const std::string& dir() const { return dir_; }
  std::string VersionDir(int version) const;

 private:
  explicit ModelRegistry(std::string dir) : dir_(std::move(dir)) {}
  Status WriteStack(const std::vector<int>& stack);
  Status WriteVersionDir(const ModelManifest& manifest, std::string_view booster_ubj,
                         bool* version_taken);

  std::string dir_;
};

}  // namespace kappa::inference
