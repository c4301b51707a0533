// SHA-256 (OpenSSL EVP): model artifact checksums and state digests; and
// HMAC-SHA256, which signs model artifacts (inference/model_signature.h).
// Sha256 is incremental; not thread-safe (one per thread). The free
// functions are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace kappa {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // Lower-case hex of the digest; the object is spent afterwards.
  std::string FinishHex();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Lower-case hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// Lower-case hex HMAC-SHA256 (RFC 2104) of `bytes` under `key`.
std::string HmacSha256Hex(std::string_view key, std::string_view bytes);

// a == b, in time that depends only on the lengths (for comparing MACs, so
// that a forger learns nothing from how long a comparison took).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace kappa
