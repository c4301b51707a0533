// ModelKey: signatures over a manifest's exact bytes, and the reasons a
// signature is refused.
#include "inference/model_signature.h"

#include <gtest/gtest.h>

#include "common/sha256.h"

namespace kappa::inference {
namespace {

const std::string kSecretA(32, 'a');
const std::string kSecretB = "0123456789abcdef0123456789abcdef";
const std::string kManifest = "{\n  \"version\": 3,\n  \"booster_sha256\": \"00ff\"\n}\n";

bool Contains(const Status& s, std::string_view text) {
  return s.message().find(text) != std::string::npos;
}

TEST(HmacSha256Test, MatchesRfc4231TestCase2) {
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(ModelKeyTest, ShortKeysAreRefused) {
  auto key = ModelKey::FromSecret(std::string(31, 'x'));
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(key.status(), "openssl rand -hex 32"));
  EXPECT_TRUE(ModelKey::FromSecret(std::string(32, 'x')).ok());
}

TEST(ModelKeyTest, SignatureVerifiesWithTheSameKeyOnly) {
  const auto a = ModelKey::FromSecret(kSecretA).value();
  const auto a_again = ModelKey::FromSecret(kSecretA).value();
  const auto b = ModelKey::FromSecret(kSecretB).value();
  const std::string signature = a.Sign(kManifest);
  EXPECT_EQ(signature, a_again.Sign(kManifest)) << "deterministic";
  EXPECT_TRUE(a_again.Verify(kManifest, signature).ok());
  EXPECT_TRUE(a.Verify(kManifest, signature + "\n").ok()) << "as read back from manifest.sig";

  const Status other = b.Verify(kManifest, signature);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.code(), StatusCode::kCorruption);
  EXPECT_TRUE(Contains(other, "signed with another key")) << other.message();
  EXPECT_TRUE(Contains(other, a.id())) << other.message();
  EXPECT_TRUE(Contains(other, b.id())) << other.message();
}

TEST(ModelKeyTest, EveryChangedByteOfTheManifestIsRefused) {
  const auto key = ModelKey::FromSecret(kSecretA).value();
  const std::string signature = key.Sign(kManifest);
  for (size_t i = 0; i < kManifest.size(); ++i) {
    std::string altered = kManifest;
    altered[i] ^= 0x01;
    const Status s = key.Verify(altered, signature);
    ASSERT_FALSE(s.ok()) << "byte " << i;
    EXPECT_TRUE(Contains(s, "altered after it was signed")) << s.message();
  }
  EXPECT_FALSE(key.Verify(kManifest + " ", signature).ok()) << "an appended byte";
  EXPECT_FALSE(key.Verify(kManifest.substr(1), signature).ok()) << "a removed byte";
}

TEST(ModelKeyTest, UnsignedAndMalformedSignaturesAreRefusedWithTheirReason) {
  const auto key = ModelKey::FromSecret(kSecretA).value();
  const Status unsigned_ = key.Verify(kManifest, "");
  ASSERT_FALSE(unsigned_.ok());
  EXPECT_TRUE(Contains(unsigned_, "unsigned")) << unsigned_.message();
  const std::string good = key.Sign(kManifest);
  for (const std::string& bad :
       {std::string("garbage"), "hmac-sha1 " + good.substr(12), good.substr(0, good.size() - 1),
        good + " extra", "hmac-sha256 " + key.id() + " " + std::string(64, 'G')}) {
    const Status s = key.Verify(kManifest, bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_TRUE(Contains(s, "malformed signature")) << bad << ": " << s.message();
  }
}

TEST(ModelKeyTest, TheKeyIdNamesTheKeyWithoutRevealingIt) {
  const auto a = ModelKey::FromSecret(kSecretA).value();
  const auto b = ModelKey::FromSecret(kSecretB).value();
  EXPECT_EQ(a.id().size(), 16u);
  EXPECT_NE(a.id(), b.id());
  EXPECT_EQ(a.id(), ModelKey::FromSecret(kSecretA).value().id());
  const std::string signature = a.Sign(kManifest);
  EXPECT_EQ(signature.rfind("hmac-sha256 " + a.id() + " ", 0), 0u) << signature;
  EXPECT_EQ(signature.find(kSecretA), std::string::npos);
  EXPECT_EQ(Sha256Hex(kSecretA).find(a.id()), std::string::npos) << "not a bare hash of the key";
}

TEST(ModelKeyTest, ParseManifestChecksTheSignatureBeforeParsing) {
  const auto key = ModelKey::FromSecret(kSecretA).value();
  // Not a manifest at all: without a key the parser says so; with one, the
  // bytes are refused as unsigned before the parser sees them.
  const Status parsed = ParseManifest("not json", "", nullptr).status();
  EXPECT_FALSE(parsed.ok());
  EXPECT_FALSE(Contains(parsed, "unsigned"));
  const Status refused = ParseManifest("not json", "", &key).status();
  EXPECT_TRUE(Contains(refused, "unsigned")) << refused.message();
}

}  // namespace
}  // namespace kappa::inference
