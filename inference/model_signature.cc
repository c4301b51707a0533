#include "inference/model_signature.h"

#include <fmt/format.h>

#include <vector>

#include "common/sha256.h"

namespace kappa::inference {
namespace {

constexpr std::string_view kAlgorithm = "hmac-sha256";
// Domain separation: a MAC made for one purpose is never valid for another.
constexpr std::string_view kManifestDomain = "kappa-model-manifest\n";
constexpr std::string_view kKeyIdDomain = "kappa-model-key-id";
constexpr size_t kKeyIdDigits = 16;
constexpr size_t kMacDigits = 64;

bool IsLowerHex(std::string_view s, size_t digits) {
  if (s.size() != digits) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> out;
  while (!s.empty()) {
    const auto sp = s.find(' ');
    out.push_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

ModelKey::ModelKey(std::string secret)
    : secret_(std::move(secret)),
      id_(HmacSha256Hex(secret_, kKeyIdDomain).substr(0, kKeyIdDigits)) {}

Result<ModelKey> ModelKey::FromSecret(std::string secret) {
  if (secret.size() < kMinBytes) {
    return Status::InvalidArgument(
        fmt::format("the model key has {} bytes; at least {} are needed (make one with "
                    "`openssl rand -hex 32`)",
                    secret.size(), kMinBytes));
  }
  return ModelKey(std::move(secret));
}

std::string ModelKey::Mac(std::string_view manifest_json) const {
  std::string input(kManifestDomain);
  input.append(manifest_json);
  return HmacSha256Hex(secret_, input);
}

std::string ModelKey::Sign(std::string_view manifest_json) const {
  return fmt::format("{} {} {}", kAlgorithm, id_, Mac(manifest_json));
}

Status ModelKey::Verify(std::string_view manifest_json, std::string_view signature) const {
  if (signature.empty()) {
    return Status::Corruption(
        "unsigned, and a model key is configured (only signed models are accepted)");
  }
  if (signature.back() == '\n') signature.remove_suffix(1);
  const auto fields = SplitSpaces(signature);
  if (fields.size() != 3 || fields[0] != kAlgorithm || !IsLowerHex(fields[1], kKeyIdDigits) ||
      !IsLowerHex(fields[2], kMacDigits)) {
    return Status::Corruption("malformed signature (expected 'hmac-sha256 <key id> <mac>')");
  }
  if (ConstantTimeEquals(fields[2], Mac(manifest_json))) return Status::Ok();
  if (fields[1] != id_) {
    return Status::Corruption(fmt::format(
        "signed with another key (key id {}; this instance's key id is {})", fields[1], id_));
  }
  return Status::Corruption(
      "signature does not match: the manifest was altered after it was signed");
}

Result<ModelManifest> ParseManifest(std::string_view manifest_json, std::string_view signature,
                                    const ModelKey* key) {
  if (key != nullptr) KAPPA_RETURN_IF_ERROR(key->Verify(manifest_json, signature));
  return ModelManifest::FromJson(manifest_json);
}

}  // namespace kappa::inference
