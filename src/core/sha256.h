// SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104): rota signs the bodies of the webhooks it sends
// so that a receiver can check they came from this scheduler and were not altered on the way.
//
// rota writes its own rather than link a crypto library because its only allowed dependencies are
// Debian 12 packages it already uses, and OpenSSL is not among them. Only what signing needs is
// here; speed is secondary to being short and easy to check against the standard.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rota {

// Hashes a message given in pieces; the result equals Sha256() of the pieces concatenated.
// Finish() may be called once; after it the hasher must not be used again.
class Sha256Hasher {
 public:
  Sha256Hasher();
  void Update(std::string_view data);
  std::array<uint8_t, 32> Finish();

 private:
  void Compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_;  // Bytes not yet compressed: the first buffered_ are valid.
  size_t buffered_ = 0;
  uint64_t total_bytes_ = 0;
};

// SHA-256 of `data`, 32 raw bytes.
std::array<uint8_t, 32> Sha256(std::string_view data);

// HMAC-SHA256 (RFC 2104) of `message` under `key`, 32 raw bytes.
std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view message);

// Lowercase hex of bytes.
std::string HexLower(std::span<const uint8_t> bytes);

// Compares two strings in time independent of where they differ (for signature checks), so that
// a forger cannot learn from response times how many leading bytes of a guess were right. The
// lengths are not secret (a signature's length is public) and may end the comparison early.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace rota
