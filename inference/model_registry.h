// ModelRegistry: the model versions on disk and which one is current.
//
//   models/v0001/model.ubj        the booster (UBJSON)
//   models/v0001/manifest.json    ModelManifest, with the booster's sha256
//   models/v0001/manifest.sig     its signature (model_signature.h), written
//                                 when the registry has a key
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
// With a ModelKey, versions are signed when stored and every read that
// trusts a version (ReadManifest, Load, Promote, Rollback, Import) first
// verifies the signature over the manifest's exact bytes: an unsigned or
// wrongly signed version is Corruption naming the version and the reason.
// Without a key nothing is signed or checked (integrity only: the sha256).
//
// Thread-compatible: no internal state beyond the directory path and key.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "inference/model.h"
#include "inference/model_manifest.h"
#include "inference/model_signature.h"

namespace kappa::inference {

class ModelRegistry {
 public:
  // Creates `dir` if needed. IoError when it cannot. `key`: see above.
  static Result<std::unique_ptr<ModelRegistry>> Open(const std::string& dir,
                                                     std::optional<ModelKey> key = std::nullopt);

  // Stores a new version: assigns manifest.version (the next free number)
  // and booster_sha256, writes both files (and the signature) atomically.
  // Returns the manifest as stored. Does not change the current version.
  Result<ModelManifest> Publish(ModelManifest manifest, std::string_view booster_ubj);
  // Stores a version received from elsewhere (the models topic: the
  // manifest's exact bytes and its signature) under its own number, after
  // verifying it; the bytes and signature are stored as received. Ok if the
  // same version is already present with the same sha256; Corruption if it
  // is present with another.
  Status Import(std::string_view manifest_json, std::string_view signature,
                std::string_view booster_ubj);

  // Every stored version, ascending (stray temp directories are ignored).
  Result<std::vector<int>> Versions() const;
  // The manifest of `version`, its signature verified when there is a key.
  Result<ModelManifest> ReadManifest(int version) const;
  // The manifest without checking its signature, for display only (`kappa
  // models show` of a version that does not verify): do not act on it.
  Result<ModelManifest> InspectManifest(int version) const;
  // The stored signature text of `version`, "" when it has none.
  Result<std::string> ReadSignature(int version) const;
  const ModelKey* key() const { return key_ ? &*key_ : nullptr; }
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
  ModelRegistry(std::string dir, std::optional<ModelKey> key)
      : dir_(std::move(dir)), key_(std::move(key)) {}
  Status WriteStack(const std::vector<int>& stack);
  Status WriteVersionDir(int version, std::string_view manifest_json, std::string_view signature,
                         std::string_view booster_ubj, bool* version_taken);
  Result<ModelManifest> ReadManifestChecked(int version, bool verify_signature) const;

  std::string dir_;
  std::optional<ModelKey> key_;
};

}  // namespace kappa::inference
