#include "core/sha256.h"

#include <algorithm>
#include <cstring>

namespace rota {

namespace {

// FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64
// primes.
constexpr uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

// FIPS 180-4 §5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8
// primes.
constexpr std::array<uint32_t, 8> kInitialState = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

constexpr size_t kBlockSize = 64;

uint32_t RotateRight(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// SHA-256 is defined on big-endian words, whatever the machine's byte order.
uint32_t LoadBigEndian(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

void StoreBigEndian(uint32_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

std::string_view AsChars(const std::array<uint8_t, 32>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Sha256Hasher::Sha256Hasher() : state_(kInitialState) {}

// FIPS 180-4 §6.2.2: one round of the compression function over a 64-byte block.
void Sha256Hasher::Compress(const uint8_t* block) {
  uint32_t schedule[64];
  for (int t = 0; t < 16; ++t) schedule[t] = LoadBigEndian(block + 4 * t);
  for (int t = 16; t < 64; ++t) {
    uint32_t w15 = schedule[t - 15], w2 = schedule[t - 2];
    uint32_t sigma0 = RotateRight(w15, 7) ^ RotateRight(w15, 18) ^ (w15 >> 3);
    uint32_t sigma1 = RotateRight(w2, 17) ^ RotateRight(w2, 19) ^ (w2 >> 10);
    schedule[t] = schedule[t - 16] + sigma0 + schedule[t - 7] + sigma1;
  }

  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
  for (int t = 0; t < 64; ++t) {
    uint32_t sum1 = RotateRight(e, 6) ^ RotateRight(e, 11) ^ RotateRight(e, 25);
    uint32_t choose = (e & f) ^ (~e & g);
    uint32_t temp1 = h + sum1 + choose + kRoundConstants[t] + schedule[t];
    uint32_t sum0 = RotateRight(a, 2) ^ RotateRight(a, 13) ^ RotateRight(a, 22);
    uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    uint32_t temp2 = sum0 + majority;
    h = g;
    g = f;
    f = e;
    e = d + temp1;
    d = c;
    c = b;
    b = a;
    a = temp1 + temp2;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
  state_[4] += e;
  state_[5] += f;
  state_[6] += g;
  state_[7] += h;
}

void Sha256Hasher::Update(std::string_view data) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t left = data.size();
  total_bytes_ += left;

  // Top up a partly filled block first; whole blocks after that go straight from the input.
  if (buffered_ > 0) {
    size_t take = std::min(left, kBlockSize - buffered_);
    std::memcpy(block_.data() + buffered_, p, take);
    buffered_ += take;
    p += take;
    left -= take;
    if (buffered_ < kBlockSize) return;
    Compress(block_.data());
    buffered_ = 0;
  }
  for (; left >= kBlockSize; p += kBlockSize, left -= kBlockSize) Compress(p);
  if (left > 0) std::memcpy(block_.data(), p, left);
  buffered_ = left;
}

std::array<uint8_t, 32> Sha256Hasher::Finish() {
  // FIPS 180-4 §5.1.1: append a 1 bit, zeros up to 56 bytes mod 64, then the message length in
  // bits as a 64-bit big-endian number. When fewer than 8 bytes are left after the 1 bit, the
  // padding spills into one more block.
  uint64_t total_bits = total_bytes_ * 8;
  block_[buffered_++] = 0x80;
  if (buffered_ > kBlockSize - 8) {
    std::memset(block_.data() + buffered_, 0, kBlockSize - buffered_);
    Compress(block_.data());
    buffered_ = 0;
  }
  std::memset(block_.data() + buffered_, 0, kBlockSize - 8 - buffered_);
  StoreBigEndian(static_cast<uint32_t>(total_bits >> 32), block_.data() + 56);
  StoreBigEndian(static_cast<uint32_t>(total_bits), block_.data() + 60);
  Compress(block_.data());
  buffered_ = 0;

  std::array<uint8_t, 32> digest;
  for (int i = 0; i < 8; ++i) StoreBigEndian(state_[i], digest.data() + 4 * i);
  return digest;
}

std::array<uint8_t, 32> Sha256(std::string_view data) {
  Sha256Hasher hasher;
  hasher.Update(data);
  return hasher.Finish();
}

std::array<uint8_t, 32> HmacSha256(std::string_view key, std::string_view message) {
  // RFC 2104 §2: a key longer than the block is replaced by its hash; the key is then zero-padded
  // to the block size and XORed with the inner and outer pads.
  std::array<uint8_t, 32> hashed_key;
  if (key.size() > kBlockSize) {
    hashed_key = Sha256(key);
    key = AsChars(hashed_key);
  }
  char inner_pad[kBlockSize] = {};
  char outer_pad[kBlockSize] = {};
  std::memcpy(inner_pad, key.data(), key.size());
  std::memcpy(outer_pad, key.data(), key.size());
  for (size_t i = 0; i < kBlockSize; ++i) {
    inner_pad[i] ^= 0x36;
    outer_pad[i] ^= 0x5c;
  }

  Sha256Hasher inner;
  inner.Update({inner_pad, kBlockSize});
  inner.Update(message);
  std::array<uint8_t, 32> inner_digest = inner.Finish();

  Sha256Hasher outer;
  outer.Update({outer_pad, kBlockSize});
  outer.Update(AsChars(inner_digest));
  return outer.Finish();
}

std::string HexLower(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0x0f];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // Accumulate every difference instead of returning at the first; volatile keeps the compiler
  // from turning the loop back into an early exit.
  volatile uint8_t differences = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    uint8_t difference = static_cast<uint8_t>(a[i]) ^ static_cast<uint8_t>(b[i]);
    differences = static_cast<uint8_t>(differences | difference);
  }
  return differences == 0;
}

}  // namespace rota
