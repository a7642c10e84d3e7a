#include "http/api/params.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace gnomon::api {

namespace {

bool ReadInt(std::string_view s, size_t& pos, size_t digits, int* out) {
  if (pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += digits;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos < s.size() && (s[pos] == c || (c == 'T' && (s[pos] == 't' || s[pos] == ' ')))) {
    ++pos;
    return true;
  }
  return false;
}

bool ParseRfc3339(std::string_view s, int64_t* ms) {
  size_t pos = 0;
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!ReadInt(s, pos, 4, &year) || !Expect(s, pos, '-') || !ReadInt(s, pos, 2, &mon) || !Expect(s, pos, '-') ||
      !ReadInt(s, pos, 2, &day) || !Expect(s, pos, 'T') || !ReadInt(s, pos, 2, &hour) || !Expect(s, pos, ':') ||
      !ReadInt(s, pos, 2, &min) || !Expect(s, pos, ':') || !ReadInt(s, pos, 2, &sec)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return false;
  int64_t frac_ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    double scale = 100;
    double frac = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
    frac_ms = static_cast<int64_t>(std::floor(frac + 1e-9));
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadInt(s, pos, 2, &oh) || !Expect(s, pos, ':') || !ReadInt(s, pos, 2, &om)) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;
  }
  if (pos != s.size()) return false;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  int64_t secs = static_cast<int64_t>(timegm(&tm)) - offset_s;
  *ms = secs * 1000 + frac_ms;
  return true;
}

}  // namespace

Result<int64_t> ParseTimeParam(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty timestamp");
  double seconds;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (!std::isfinite(seconds) || std::fabs(seconds) > 9.2e15) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
    }
    return static_cast<int64_t>(std::llround(seconds * 1000));
  }
  int64_t ms;
  if (ParseRfc3339(text, &ms)) return ms;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid timestamp");
}

}  // namespace gnomon::api
