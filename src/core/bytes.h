// ByteWriter / ByteReader: the binary encoding of the change log and of snapshots. Unsigned
// integers are LEB128 varints, signed ones zigzag varints, doubles their exact 8 bytes (so that a
// value read back is bit for bit the one written), strings a length and their bytes.
//
// A reader never reads past its end: once anything is missing, ok() is false and every later read
// returns zero or empty; callers check ok() once at the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace rota {

class ByteWriter {
 public:
  void U64(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I64(int64_t v) { U64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void Bool(bool v) { out_.push_back(v ? 1 : 0); }
  void Double(double v) {
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    out_.append(raw, sizeof raw);
  }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s.data(), s.size());
  }
  std::string& bytes() { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  uint64_t U64() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      const auto byte = static_cast<uint8_t>(in_[pos_++]);
      v |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t I64() {
    const uint64_t z = U64();
    return static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  }
  bool Bool() { return U64() != 0; }
  double Double() {
    double v = 0;
    if (in_.size() - pos_ < sizeof v) return static_cast<double>(Fail());
    std::memcpy(&v, in_.data() + pos_, sizeof v);
    pos_ += sizeof v;
    return v;
  }
  std::string_view Str() {
    const uint64_t n = U64();
    if (n > in_.size() - pos_) {
      Fail();
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items that each take at least one byte: larger than what is left means corrupt
  // input (and must not size an allocation).
  uint64_t Count() {
    const uint64_t n = U64();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace rota
