#include "logs/logql/go_duration.h"

#include <cstdint>
#include <limits>

namespace gnomon::logs::logql {

namespace {

Status Invalid(std::string_view text) {
  return Status::InvalidArgument("time: invalid duration \"" + std::string(text) + "\"");
}

bool UnitOf(std::string_view u, uint64_t* ns) {
  if (u == "ns")
    *ns = 1;
  else if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs")
    *ns = 1000;
  else if (u == "ms")
    *ns = 1000000;
  else if (u == "s")
    *ns = 1000000000ULL;
  else if (u == "m")
    *ns = 60ULL * 1000000000ULL;
  else if (u == "h")
    *ns = 3600ULL * 1000000000ULL;
  else
    return false;
  return true;
}

// Appends the fraction of v / 10^prec (without trailing zeros, "." only if non-zero) and returns
// v / 10^prec, as Go's fmtFrac.
uint64_t AppendFrac(uint64_t v, int prec, std::string* out) {
  std::string digits;
  bool print = false;
  for (int i = 0; i < prec; ++i) {
    int d = static_cast<int>(v % 10);
    print = print || d != 0;
    if (print) digits.insert(digits.begin(), static_cast<char>('0' + d));
    v /= 10;
  }
  if (print) *out += "." + digits;
  return v;
}

}  // namespace

Result<int64_t> ParseGoDuration(std::string_view text) {
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return Invalid(text);
  unsigned __int128 total = 0;
  const unsigned __int128 kMax = static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + (neg ? 1 : 0);
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) return Invalid(text);
    unsigned __int128 whole = 0;
    size_t i = 0;
    bool pre = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + static_cast<unsigned>(s[i] - '0');
      if (whole > kMax) return Invalid(text);
      ++i;
      pre = true;
    }
    unsigned __int128 frac = 0, scale = 1;
    bool post = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale < static_cast<unsigned __int128>(1000000000000000000ULL)) {  // later digits cannot matter
          frac = frac * 10 + static_cast<unsigned>(s[i] - '0');
          scale *= 10;
        }
        ++i;
        post = true;
      }
    }
    if (!pre && !post) return Invalid(text);
    size_t u = i;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) ++u;
    std::string_view unit = s.substr(i, u - i);
    if (unit.empty()) return Status::InvalidArgument("time: missing unit in duration \"" + std::string(text) + "\"");
    uint64_t unit_ns = 0;
    if (!UnitOf(unit, &unit_ns)) {
      return Status::InvalidArgument("time: unknown unit \"" + std::string(unit) + "\" in duration \"" +
                                     std::string(text) + "\"");
    }
    total += whole * unit_ns + frac * unit_ns / scale;
    if (total > kMax) return Invalid(text);
    s.remove_prefix(u);
  }
  if (neg) return static_cast<int64_t>(-static_cast<__int128>(total));
  return static_cast<int64_t>(total);
}

std::string FormatGoDuration(int64_t ns) {
  if (ns == 0) return "0s";
  bool neg = ns < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  std::string out;
  if (u < 1000000000ULL) {
    if (u < 1000) {
      out = std::to_string(u) + "ns";
    } else if (u < 1000000) {
      std::string frac;
      uint64_t v = AppendFrac(u, 3, &frac);
      out = std::to_string(v) + frac + "\xC2\xB5s";
    } else {
      std::string frac;
      uint64_t v = AppendFrac(u, 6, &frac);
      out = std::to_string(v) + frac + "ms";
    }
  } else {
    std::string frac;
    uint64_t secs = AppendFrac(u, 9, &frac);
    out = std::to_string(secs % 60) + frac + "s";
    uint64_t mins = secs / 60;
    if (mins > 0) {
      out = std::to_string(mins % 60) + "m" + out;
      uint64_t hours = mins / 60;
      if (hours > 0) out = std::to_string(hours) + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}

}  // namespace gnomon::logs::logql
