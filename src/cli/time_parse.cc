#include "cli/time_parse.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include "util/duration.h"

namespace gnomon::cli {

namespace {

// Reads exactly `digits` decimal digits at s[*pos].
bool ReadDigits(std::string_view s, size_t* pos, size_t digits, int* out) {
  if (*pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += digits;
  *out = v;
  return true;
}

bool Consume(std::string_view s, size_t* pos, char c) {
  if (*pos < s.size() && s[*pos] == c) {
    ++*pos;
    return true;
  }
  return false;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool ParseRfc3339(std::string_view s, int64_t* ms) {
  size_t pos = 0;
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!ReadDigits(s, &pos, 4, &year) || !Consume(s, &pos, '-') || !ReadDigits(s, &pos, 2, &mon) ||
      !Consume(s, &pos, '-') || !ReadDigits(s, &pos, 2, &day)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31) return false;
  if (pos == s.size()) {  // a bare date: midnight UTC
    *ms = DaysFromCivil(year, mon, day) * 86'400'000;
    return true;
  }
  if (!(Consume(s, &pos, 'T') || Consume(s, &pos, 't') || Consume(s, &pos, ' '))) return false;
  if (!ReadDigits(s, &pos, 2, &hour) || !Consume(s, &pos, ':') || !ReadDigits(s, &pos, 2, &min)) return false;
  if (Consume(s, &pos, ':') && !ReadDigits(s, &pos, 2, &sec)) return false;
  if (hour > 23 || min > 59 || sec > 60) return false;
  int64_t frac_ms = 0;
  if (Consume(s, &pos, '.')) {
    size_t start = pos;
    int64_t scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac_ms += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return false;
  }
  int64_t offset_s = 0;
  if (Consume(s, &pos, 'Z') || Consume(s, &pos, 'z')) {
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadDigits(s, &pos, 2, &oh) || !Consume(s, &pos, ':') || !ReadDigits(s, &pos, 2, &om)) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;  // RFC 3339 requires the offset
  }
  if (pos != s.size()) return false;
  int64_t secs = DaysFromCivil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset_s;
  *ms = secs * 1000 + frac_ms;
  return true;
}

// Unix seconds with an optional fraction: "1700000000", "1700000000.25", "-5.5".
bool ParseUnixSeconds(std::string_view s, int64_t* ms) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return false;
  if (std::fabs(v) > 9.2e15) return false;
  *ms = static_cast<int64_t>(std::llround(v * 1000));
  return true;
}

}  // namespace

Result<int64_t> ParseTime(std::string_view text, int64_t now_ms) {
  auto bad = [&](std::string why) {
    return Status::InvalidArgument("invalid time \"" + std::string(text) + "\": " + why +
                                   " (use now, -1h, now-30m, unix seconds or RFC 3339 like 2023-11-14T22:13:20Z)");
  };
  if (text.empty()) return bad("empty");
  std::string_view rel = text;
  bool relative = false;
  if (rel.substr(0, 3) == "now") {
    rel.remove_prefix(3);
    if (rel.empty()) return now_ms;
    relative = true;
  }
  if (rel[0] == '+' || rel[0] == '-') {
    std::string_view dur = rel.substr(1);
    bool has_unit = !dur.empty() && (dur.back() < '0' || dur.back() > '9');
    if (relative || has_unit) {
      auto d = ParseDurationMs(dur);
      if (!d.ok()) return bad(d.status().message());
      return rel[0] == '-' ? now_ms - *d : now_ms + *d;
    }
  } else if (relative) {
    return bad("expected + or - after now");
  }
  int64_t ms = 0;
  if (ParseUnixSeconds(text, &ms)) return ms;
  if (ParseRfc3339(text, &ms)) return ms;
  return bad("not a time");
}

Result<int64_t> ParseStep(std::string_view text) {
  int64_t ms = 0;
  if (ParseUnixSeconds(text, &ms)) {
    if (ms <= 0) return Status::InvalidArgument("invalid step \"" + std::string(text) + "\": must be positive");
    return ms;
  }
  auto d = ParseDurationMs(text);
  if (!d.ok()) {
    return Status::InvalidArgument("invalid step \"" + std::string(text) +
                                   "\": expected a duration like 15s or 1m, or a number of seconds");
  }
  if (*d <= 0) return Status::InvalidArgument("invalid step \"" + std::string(text) + "\": must be positive");
  return *d;
}

std::string FormatUnixSeconds(int64_t ms) {
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::string out = std::to_string(secs);
  if (frac != 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    std::string f = buf;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out;
}

}  // namespace gnomon::cli
