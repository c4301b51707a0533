// SHA-256 (OpenSSL EVP): model artifact checksums and state digests.
// Sha256 is incremental; not thread-safe (one per thread).
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

}  // namespace kappa
