// Fast number text for JSON responses. Most metric values are short decimals (58.23, 0.5, 1234);
// DecimalFormatter writes those without the general shortest-digits algorithm, byte for byte as
// the general code would:
//
//   TryGoFixed   Go's strconv.FormatFloat(v, 'f', -1, 64):   "58.23", "0.05", "1234", "100000"
//   TryShortest  std::to_chars(first, last, v) (no format): "58.23", "0.00012", "1234", "10000"
//
// Each returns the end of the text, or nullptr when it does not handle v: 0, -0, NaN, ±Inf,
// |v| < 1e-6, |v| >= 1e15, values needing more than 15 significant digits, and (TryShortest) values
// to_chars writes in the 'e' form ("1e+05", "1e-04"). The caller then uses the general code.
//
// Why it is exact: if the integer m (|m| < 10^15) divided by 10^k rounds to v (checked with one
// IEEE division, which is correctly rounded), the decimal m·10^-k parses back to v; it has at most
// 15 significant digits, and no two different decimals of at most 15 digits round to the same
// double, so with its trailing zeros removed it is the one shortest round-trip decimal that Ryu
// (to_chars) and Go print.
//
// A formatter remembers the scale of the previous value (a series' values usually share it), and
// after a run of values it cannot handle it mostly stops trying, so the fallback costs little
// extra. Not thread-safe; use one per thread (or per series).
//
// SortedUintWriter writes integers that mostly share their leading digits with the previous one
// (the timestamps of a series, in order), formatting those digits only when they change.
// ChunkedAppender gathers such small texts and appends them to a string a few KiB at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace gnomon {

// Room needed at `buf` by every writer below.
inline constexpr size_t kNumberBufferSize = 32;

// Writes the decimal digits of v (at most 20); returns the end.
char* WriteUint(uint64_t v, char* buf);
// Writes exactly `count` digits of v (v < 10^count), zero-padded on the left; returns the end.
char* WriteDigits(uint64_t v, int count, char* buf);

class DecimalFormatter {
 public:
  char* TryGoFixed(double v, char* buf);
  char* TryShortest(double v, char* buf);

  // What is carried from value to value; for the implementation.
  struct State {
    int hint = 0;       // scale 10^hint that made the last values integers
    int misses = 0;     // values not handled in a row
    unsigned skip = 0;  // values left to pass to the fallback without trying
  };

 private:
  State state_;
};

// Writes v like WriteUint. The digits above the last kLow are kept as text from call to call.
template <int kLow>
class SortedUintWriter {
 public:
  char* Write(uint64_t v, char* buf) {
    if (v < kLowLimit) return WriteUint(v, buf);
    if (v / kLowLimit != high_) {
      high_ = v / kLowLimit;
      high_len_ = static_cast<size_t>(WriteUint(high_, high_text_) - high_text_);
    }
    std::memcpy(buf, high_text_, sizeof high_text_);  // a whole block: faster than high_len_ bytes
    return WriteDigits(v % kLowLimit, kLow, buf + high_len_);
  }

 private:
  static constexpr uint64_t kLowLimit = [] {
    uint64_t p = 1;
    for (int i = 0; i < kLow; ++i) p *= 10;
    return p;
  }();

  uint64_t high_ = UINT64_MAX;
  size_t high_len_ = 0;
  char high_text_[kNumberBufferSize] = {};
};

// Appends to *out what is written at Next(); Flush() (or the destructor) before appending to
// *out directly.
class ChunkedAppender {
 public:
  static constexpr size_t kRoom = 128;  // what may be written at Next() before Commit()

  explicit ChunkedAppender(std::string* out) : out_(out) {}
  ~ChunkedAppender() { Flush(); }
  ChunkedAppender(const ChunkedAppender&) = delete;
  ChunkedAppender& operator=(const ChunkedAppender&) = delete;

  char* Next() {
    if (sizeof buf_ - used_ < kRoom) Flush();
    return buf_ + used_;
  }
  void Commit(const char* end) { used_ = static_cast<size_t>(end - buf_); }
  void Flush() {
    out_->append(buf_, used_);
    used_ = 0;
  }

 private:
  std::string* out_;
  size_t used_ = 0;
  char buf_[4096];
};

}  // namespace gnomon
