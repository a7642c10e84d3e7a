#include "util/time_format.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "util/civil_time.h"

namespace gnomon {

std::string FormatRfc3339(int64_t ms) {
  int64_t secs = ms / 1000, frac = ms % 1000;
  if (frac < 0) {
    frac += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out(buf, n);
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%03d", static_cast<int>(frac));
    out += buf;
  }
  out += 'Z';
  return out;
}

namespace {

// Reads exactly `digits` decimal digits at s[*pos].
bool ReadDigits(std::string_view s, size_t* pos, size_t digits, int* out) {
  if (*pos + digits > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = s[*pos + i];
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

bool Parse(std::string_view s, const Rfc3339Options& options, int64_t* ms) {
  size_t pos = 0;
  int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
  if (!ReadDigits(s, &pos, 4, &year) || !Consume(s, &pos, '-') || !ReadDigits(s, &pos, 2, &mon) ||
      !Consume(s, &pos, '-') || !ReadDigits(s, &pos, 2, &day)) {
    return false;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > DaysInMonth(year, mon)) return false;
  const int64_t days = DaysFromCivil(year, mon, day);
  if (pos == s.size() && options.date_only) {
    *ms = days * 86'400'000;
    return true;
  }
  if (!(Consume(s, &pos, 'T') || Consume(s, &pos, 't') || Consume(s, &pos, ' '))) return false;
  if (!ReadDigits(s, &pos, 2, &hour) || !Consume(s, &pos, ':') || !ReadDigits(s, &pos, 2, &min)) return false;
  if (Consume(s, &pos, ':')) {
    if (!ReadDigits(s, &pos, 2, &sec)) return false;
  } else if (!options.optional_seconds) {
    return false;
  }
  if (hour > 23 || min > 59 || sec > 60) return false;
  int64_t frac_ms = 0;
  if (Consume(s, &pos, '.')) {
    const size_t start = pos;
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
    const int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!ReadDigits(s, &pos, 2, &oh) || !Consume(s, &pos, ':') || !ReadDigits(s, &pos, 2, &om)) return false;
    if (oh > 23 || om > 59) return false;
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return false;  // RFC 3339 requires the offset
  }
  if (pos != s.size()) return false;
  *ms = (days * 86400 + hour * 3600 + min * 60 + sec - offset_s) * 1000 + frac_ms;
  return true;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view text, const Rfc3339Options& options) {
  int64_t ms = 0;
  if (Parse(text, options, &ms)) return ms;
  return Status::InvalidArgument("\"" + std::string(text) + "\" is not an RFC 3339 time like 2023-11-14T22:13:20Z");
}

std::string FormatRfc3339Nano(int64_t ns) {
  int64_t secs = ns / 1'000'000'000;
  int64_t frac = ns % 1'000'000'000;
  if (frac < 0) {
    frac += 1'000'000'000;
    --secs;
  }
  std::string out = FormatRfc3339(secs * 1000);
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 9 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  out.insert(out.size() - 1, "." + digits);
  return out;
}

size_t FormatRfc3339Fixed9(int64_t ns, char out[30]) {
  const int64_t secs = FloorDiv(ns, 1'000'000'000);
  uint32_t frac = static_cast<uint32_t>(ns - secs * 1'000'000'000);
  // Lines come in time order: most share their second with the previous call's, whose first 20
  // bytes are kept.
  thread_local int64_t cached_secs = INT64_MIN;
  thread_local char cached[20];
  if (secs != cached_secs) {
    const int64_t days = FloorDiv(secs, 86400);
    int64_t sod = secs - days * 86400;
    const CivilDate date = CivilFromDays(days);
    if (date.year < 0 || date.year > 9999) return 0;
    auto put = [&](size_t at, int64_t v, int width) {
      for (int i = width - 1; i >= 0; --i) {
        cached[at + i] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    };
    put(0, date.year, 4);
    cached[4] = '-';
    put(5, date.month, 2);
    cached[7] = '-';
    put(8, date.day, 2);
    cached[10] = 'T';
    put(11, sod / 3600, 2);
    cached[13] = ':';
    sod %= 3600;
    put(14, sod / 60, 2);
    cached[16] = ':';
    put(17, sod % 60, 2);
    cached[19] = '.';
    cached_secs = secs;
  }
  std::memcpy(out, cached, 20);
  for (int i = 28; i >= 20; --i) {
    out[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out[29] = 'Z';
  return 30;
}

std::optional<int64_t> ParseRfc3339Nanos(std::string_view text) {
  constexpr size_t kFractionAt = 19;  // "YYYY-MM-DDTHH:MM:SS" is 19 bytes
  int64_t frac_ns = 0;
  std::string rest;
  std::string_view whole = text;
  if (text.size() > kFractionAt && text[kFractionAt] == '.') {
    size_t end = kFractionAt + 1;
    int64_t scale = 100'000'000;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
      frac_ns += (text[end] - '0') * scale;
      scale /= 10;
      ++end;
    }
    if (end == kFractionAt + 1) return std::nullopt;
    rest.reserve(text.size());
    rest.append(text.substr(0, kFractionAt));
    rest.append(text.substr(end));
    whole = rest;
  }
  Result<int64_t> ms = ParseRfc3339(whole);
  if (!ms.ok()) return std::nullopt;
  int64_t ns = 0;
  if (__builtin_mul_overflow(*ms, int64_t{1'000'000}, &ns) || __builtin_add_overflow(ns, frac_ns, &ns)) {
    return std::nullopt;
  }
  return ns;
}

}  // namespace gnomon
