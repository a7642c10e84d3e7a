#include "cli/time_parse.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "util/duration.h"
#include "util/time_format.h"

namespace gnomon::cli {

namespace {

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
  Rfc3339Options rfc3339;
  rfc3339.date_only = true;
  rfc3339.optional_seconds = true;
  if (auto t = ParseRfc3339(text, rfc3339); t.ok()) return *t;
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
