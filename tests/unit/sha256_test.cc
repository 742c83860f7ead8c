#include "core/sha256.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace rota {
namespace {

std::string Sha256Hex(std::string_view data) { return HexLower(Sha256(data)); }

std::string HmacHex(std::string_view key, std::string_view message) {
  return HexLower(HmacSha256(key, message));
}

// The first `n` characters of "abcdefghijklmnopqrstuvwxyzabcd...".
std::string Alphabet(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += static_cast<char>('a' + i % 26);
  return s;
}

// --- SHA-256: FIPS 180-4 examples (NIST CSRC "SHA256.pdf" and FIPS 180-2 Appendix B). ---

TEST(Sha256Test, EmptyMessage) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage) {
  // 56 bytes (448 bits): the length no longer fits after the 1 bit, so padding takes a second
  // block.
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, OneMillionA) {
  const std::string a(1'000'000, 'a');
  EXPECT_EQ(Sha256Hex(a), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");

  // The same message fed in uneven pieces, so that pieces start mid-block.
  Sha256Hasher hasher;
  for (size_t done = 0; done < a.size();) {
    size_t piece = std::min<size_t>(997, a.size() - done);
    hasher.Update(std::string_view(a).substr(done, piece));
    done += piece;
  }
  EXPECT_EQ(HexLower(hasher.Finish()),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, LengthsAroundBlockBoundary) {
  // 55 bytes is the longest message whose padding fits in one block, 56 the shortest that needs
  // two; 63, 64 and 65 straddle the end of the first block. Digests from Python's hashlib.
  struct Case {
    size_t length;
    const char* digest;
  };
  const Case cases[] = {
      {55, "595615dbe4f0f407ae397d08b4c2cb870cb9b0e11937416f950c5160acf9c005"},
      {56, "784f623b787495078e93ff28a25b581df0584055a7e71d8cd90c454716b92f51"},
      {63, "5ca3e1ef5207490eac01a795e5cc94d59582a5118bf9534665c8668d87aa647c"},
      {64, "2fcd5a0d60e4c941381fcc4e00a4bf8be422c3ddfafb93c809e8d1e2bfffae8e"},
      {65, "1b3cd1877ab2f2f19f7be001722554f336cb799df0329de0bb4c118dc6abc06d"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.length);
    const std::string message = Alphabet(c.length);
    const auto one_shot = Sha256(message);
    EXPECT_EQ(HexLower(one_shot), c.digest);

    // Every split into two pieces, including empty ones, must agree with the one-shot digest.
    for (size_t split = 0; split <= message.size(); ++split) {
      SCOPED_TRACE(split);
      Sha256Hasher hasher;
      hasher.Update(std::string_view(message).substr(0, split));
      hasher.Update(std::string_view(message).substr(split));
      EXPECT_EQ(hasher.Finish(), one_shot);
    }

    // And byte by byte.
    Sha256Hasher hasher;
    for (char ch : message) hasher.Update(std::string_view(&ch, 1));
    EXPECT_EQ(hasher.Finish(), one_shot);
  }
}

TEST(Sha256Test, BytesAboveSevenBitAreUnsigned) {
  // A char is signed on x86; a sign-extension slip would change this digest.
  const std::string high(3, '\xff');
  EXPECT_EQ(Sha256Hex(high), "5ae7e6a42304dc6e4176210b83c43024f99a0bce9a870c3b6d2c95fc8ebfb74c");
}

TEST(Sha256Test, HexLower) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(HexLower(bytes), "000fa5ff");
  EXPECT_EQ(HexLower({}), "");
}

// --- HMAC-SHA256: RFC 4231 §4.2-4.8. ---

TEST(HmacSha256Test, Rfc4231Case1) {
  EXPECT_EQ(HmacHex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256Test, Rfc4231Case2KeyShorterThanOutput) {
  EXPECT_EQ(HmacHex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256Test, Rfc4231Case3) {
  EXPECT_EQ(HmacHex(std::string(20, '\xaa'), std::string(50, '\xdd')),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256Test, Rfc4231Case4) {
  std::string key;
  for (int i = 1; i <= 25; ++i) key += static_cast<char>(i);
  EXPECT_EQ(HmacHex(key, std::string(50, '\xcd')),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256Test, Rfc4231Case5Truncated) {
  // The RFC gives only the first 128 bits of this one.
  EXPECT_EQ(HmacHex(std::string(20, '\x0c'), "Test With Truncation").substr(0, 32),
            "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256Test, Rfc4231Case6KeyLongerThanBlock) {
  EXPECT_EQ(
      HmacHex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256Test, Rfc4231Case7KeyAndDataLongerThanBlock) {
  EXPECT_EQ(HmacHex(std::string(131, '\xaa'),
                    "This is a test using a larger than block-size key and a larger than "
                    "block-size data. The key needs to be hashed before being used by the HMAC "
                    "algorithm."),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256Test, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));  // Last byte differs.
  EXPECT_FALSE(ConstantTimeEquals("xbc", "abc"));  // First byte differs.
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));   // Prefix of the other.
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
  EXPECT_TRUE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  EXPECT_FALSE(ConstantTimeEquals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));

  const std::string signature = HmacHex("key", "body");
  EXPECT_TRUE(ConstantTimeEquals(signature, HmacHex("key", "body")));
  EXPECT_FALSE(ConstantTimeEquals(signature, HmacHex("key", "body!")));
}

}  // namespace
}  // namespace rota
