#include "util/decimal_format.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace gnomon {

namespace {

// 10^0 .. 10^22, all exact doubles.
constexpr double kPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                             1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
// 10^0 .. 10^19.
constexpr auto kPow10Int = [] {
  std::array<uint64_t, 20> p{1};
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}();
constexpr double kLimit = 1e15;  // integers below this have at most 15 digits
// After kMissLimit values not handled in a row, a formatter passes kSkip values to the fallback
// between attempts.
constexpr int kMissLimit = 8;
constexpr unsigned kSkip = 15;

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Number of decimal digits of v (v > 0).
int DigitCount(uint64_t v) {
  int bits = 64 - std::countl_zero(v | 1);
  int n = (bits * 1233) >> 12;  // floor(log10(2^bits)), one less than the answer or equal to it
  return n + (v >= kPow10Int[n] ? 1 : 0);
}

template <typename U>
U WriteDigitsBackward(char* end, U x, int count) {
  for (; count >= 2; count -= 2) {
    end -= 2;
    std::memcpy(end, kDigitPairs + 2 * (x % 100), 2);
    x /= 100;
  }
  if (count == 1) {
    *--end = static_cast<char>('0' + x % 10);
    x /= 10;
  }
  return x;
}

// Writes the low `count` digits of *v backwards ending at `end` and removes them from *v.
void WriteDigitsBackward(char* end, uint64_t* v, int count) {
  if (*v <= UINT32_MAX) {
    *v = WriteDigitsBackward<uint32_t>(end, static_cast<uint32_t>(*v), count);
  } else {
    *v = WriteDigitsBackward<uint64_t>(end, *v, count);
  }
}

// Removes *m's trailing zeros (at most 15), adding their number to *exp.
void StripZeros(uint64_t* m, int* exp) {
  if (*m % 100000000 == 0) {
    *m /= 100000000;
    *exp += 8;
  }
  if (*m % 10000 == 0) {
    *m /= 10000;
    *exp += 4;
  }
  if (*m % 100 == 0) {
    *m /= 100;
    *exp += 2;
  }
  if (*m % 10 == 0) {
    *m /= 10;
    *exp += 1;
  }
}

// ±digits·10^exp, digits not a multiple of 10, `count` of them (1-15).
struct Decimal {
  uint64_t digits;
  int exp;
  int count;
  bool negative;
};

// Whether a·10^k rounds to an integer *m < 10^15 with *m / 10^k == a exactly: the division is
// correctly rounded, so then the decimal *m·10^-k reads back as a.
bool Probe(double a, int k, uint64_t* m) {
  double x = a * kPow10[k];
  if (!(x < kLimit)) return false;
  auto i = static_cast<int64_t>(x + 0.5);
  double back = static_cast<double>(i);
  if (k != 0) back /= kPow10[k];
  if (back != a) return false;
  *m = static_cast<uint64_t>(i);
  return true;
}

// The largest k with a·10^k < 10^15 (a in [1e-6, 1e15)).
int MaxScale(double a) {
  int e2 = static_cast<int>((std::bit_cast<uint64_t>(a) >> 52) & 0x7FF) - 1023;
  int d = (e2 * 78913) >> 18;  // floor(log10(2^e2)); floor(log10(a)) is d or d + 1
  int k = 14 - d;
  return a * kPow10[k] < kLimit ? k : k - 1;
}

// Writes d in the fixed form: "1200", "58.23", "0.05"; at most 23 chars (d is in [1e-6, 1e15), so
// at most five zeros follow the point). Zeros are stored in blocks of 16 or 8, which stay within
// kNumberBufferSize of p.
char* WriteFixed(const Decimal& d, char* p) {
  uint64_t m = d.digits;
  if (d.negative) *p++ = '-';
  if (d.exp >= 0) {
    WriteDigitsBackward(p + d.count, &m, d.count);
    p += d.count;
    std::memset(p, '0', 16);
    return p + d.exp;
  }
  int frac = -d.exp;
  if (d.count > frac) {
    int whole = d.count - frac;
    char* end = p + d.count + 1;
    WriteDigitsBackward(end, &m, frac);
    p[whole] = '.';
    WriteDigitsBackward(p + whole, &m, whole);
    return end;
  }
  p[0] = '0';
  p[1] = '.';
  std::memset(p + 2, '0', 8);
  char* end = p + 2 + frac;
  WriteDigitsBackward(end, &m, d.count);
  return end;
}

// a·10^hint, else a at the largest scale: if a is an integer below 10^15 at any scale, it is at
// the largest, so a miss there is final. Sets *k to the scale.
bool Search(int hint, double a, uint64_t* m, int* k) {
  if (Probe(a, hint, m)) {
    *k = hint;
    return true;
  }
  int top = MaxScale(a);
  if (top == hint || !Probe(a, top, m)) return false;
  *k = top;
  return true;
}

// Splits v into a Decimal if it is a short one, learning the scale; after kMissLimit misses in a
// row tries only one value in kSkip + 1.
bool Decompose(DecimalFormatter::State& s, double v, Decimal* d) {
  double a = std::fabs(v);
  if (!(a >= 1e-6 && a < kLimit)) return false;
  if (s.skip > 0) {
    --s.skip;
    return false;
  }
  uint64_t m;
  int k;
  if (!Search(s.hint, a, &m, &k)) {
    if (++s.misses >= kMissLimit) s.skip = kSkip;
    return false;
  }
  s.misses = 0;
  int exp = -k;
  if (m % 10 == 0) StripZeros(&m, &exp);
  if (k != s.hint) s.hint = exp < 0 ? -exp : 0;
  *d = Decimal{m, exp, DigitCount(m), std::signbit(v)};
  return true;
}

// Whether std::to_chars writes d in the fixed form: when it is no longer than the 'e' form (the
// digits, a point if more than one, "e±XX" as |exponent| < 100 here).
bool ToCharsPicksFixed(const Decimal& d) {
  int point = d.count > 1 ? 1 : 0;
  if (d.exp >= 0) return d.exp <= 4 + point;  // 10000 but 1e+05
  return d.count - 1 + d.exp >= -3 - point;   // 0.001, 0.00012 but 1e-04
}

}  // namespace

char* WriteUint(uint64_t v, char* buf) {
  if (v == 0) {
    *buf = '0';
    return buf + 1;
  }
  int count = DigitCount(v);
  WriteDigitsBackward(buf + count, &v, count);
  return buf + count;
}

char* WriteDigits(uint64_t v, int count, char* buf) {
  WriteDigitsBackward(buf + count, &v, count);
  return buf + count;
}

char* DecimalFormatter::TryGoFixed(double v, char* buf) {
  Decimal d;
  if (!Decompose(state_, v, &d)) return nullptr;
  return WriteFixed(d, buf);
}

char* DecimalFormatter::TryShortest(double v, char* buf) {
  Decimal d;
  if (!Decompose(state_, v, &d) || !ToCharsPicksFixed(d)) return nullptr;
  return WriteFixed(d, buf);
}

}  // namespace gnomon
