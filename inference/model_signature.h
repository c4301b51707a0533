// ModelKey: the shared secret that signs model artifacts and verifies them,
// so that whoever can write to the models topic or the models directory
// cannot make inference run a model that a key holder did not make.
//
// What is signed: the manifest's exact bytes (models/vNNNN/manifest.json, and
// the manifest part of a models-topic record). The manifest holds the
// booster's sha256, and Model::FromArtifact refuses a booster whose sha256
// differs, so the signature covers the booster too (as long as SHA-256 is
// second-preimage resistant); it also covers everything else that decides
// how a passenger is scored: version, feature set, feature parameters.
// What is not signed: which version is current (models/CURRENT, the
// kappa.model.current header). Someone who can write there can make any
// version that was once signed current again, but no unsigned one.
//
// Signature text (manifest.sig on disk, header kappa.model.signature on the
// models topic), one line:
//   hmac-sha256 <key id> <HMAC-SHA256(key, "kappa-model-manifest\n" + manifest), hex>
// The key id is the first 16 hex digits of HMAC-SHA256(key, "kappa-model-key-id"):
// it names the key in messages (so "signed with another key" can be told
// from "altered after signing") and reveals nothing about it.
//
// Value type; thread-safe (const after construction). The key bytes are
// never logged or printed.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "inference/model_manifest.h"

namespace kappa::inference {

class ModelKey {
 public:
  // A key shorter than this is refused: 32 bytes of /dev/urandom as hex
  // (`openssl rand -hex 32`) is 64 characters.
  static constexpr size_t kMinBytes = 32;

  // InvalidArgument when `secret` has fewer than kMinBytes bytes.
  static Result<ModelKey> FromSecret(std::string secret);

  // 16 lower-case hex digits naming this key; safe to log.
  const std::string& id() const { return id_; }

  // The signature text of `manifest_json` (see above).
  std::string Sign(std::string_view manifest_json) const;

  // Ok when `signature` is this key's signature of exactly `manifest_json`.
  // Otherwise Corruption with the reason, worded to follow "model vN: ":
  // unsigned (empty signature), malformed signature, signed with another key
  // (naming both key ids), or signature mismatch (altered after signing).
  Status Verify(std::string_view manifest_json, std::string_view signature) const;

 private:
  explicit ModelKey(std::string secret);
  std::string Mac(std::string_view manifest_json) const;

  std::string secret_;
  std::string id_;
};

// The manifest in `manifest_json`. With a `key`, the signature is verified
// first, over exactly these bytes, so an unsigned manifest never reaches the
// JSON parser; without one (nullptr), `signature` is ignored: the manifest is
// unauthenticated, as it was before signing existed.
Result<ModelManifest> ParseManifest(std::string_view manifest_json, std::string_view signature,
                                    const ModelKey* key);

}  // namespace kappa::inference
