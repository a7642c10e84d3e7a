#include "util/duration.h"

#include <array>
#include <limits>

namespace gnomon {

namespace {

struct Unit {
  std::string_view name;
  int64_t ms;
};

constexpr int64_t kSecond = 1000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kYear = 365 * kDay;

// Largest first: a term's unit must come strictly after the previous term's unit in this list.
constexpr std::array<Unit, 7> kUnits = {{
    {"y", kYear},
    {"w", kWeek},
    {"d", kDay},
    {"h", kHour},
    {"m", kMinute},
    {"s", kSecond},
    {"ms", 1},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status Invalid(std::string_view text, std::string_view why) {
  std::string msg = "invalid duration \"";
  msg.append(text);
  msg += "\": ";
  msg.append(why);
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace

Result<int64_t> ParseDurationMs(std::string_view text) {
  if (text.empty()) return Invalid(text, "empty duration (use \"0\" for none)");
  if (text == "0") return int64_t{0};

  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  int last_unit = -1;  // index into kUnits of the previous term's unit
  size_t pos = 0;
  while (pos < text.size()) {
    // <digits>
    size_t digits_begin = pos;
    int64_t n = 0;
    bool too_big = false;
    while (pos < text.size() && IsDigit(text[pos])) {
      int d = text[pos] - '0';
      if (n > (kMax - d) / 10) too_big = true;
      if (!too_big) n = n * 10 + d;
      ++pos;
    }
    if (pos == digits_begin) {
      if (text[pos] == '-' || text[pos] == '+') return Invalid(text, "a duration has no sign");
      return Invalid(text, "expected a number followed by a unit (y, w, d, h, m, s, ms), e.g. \"1h30m\"");
    }
    // <unit>: the run of non-digits that follows.
    size_t unit_begin = pos;
    while (pos < text.size() && !IsDigit(text[pos])) ++pos;
    std::string_view unit = text.substr(unit_begin, pos - unit_begin);
    if (unit.empty()) {
      return Invalid(text, "missing unit after the number (use y, w, d, h, m, s or ms)");
    }
    int index = -1;
    for (size_t i = 0; i < kUnits.size(); ++i) {
      if (kUnits[i].name == unit) index = static_cast<int>(i);
    }
    if (index < 0) {
      std::string why = "unknown unit \"";
      why.append(unit);
      why += "\" (use y, w, d, h, m, s or ms";
      if (unit.find('.') != std::string_view::npos) why += "; fractions are not allowed";
      why += ")";
      return Invalid(text, why);
    }
    if (index == last_unit) {
      return Invalid(text, "unit \"" + std::string(unit) + "\" appears twice");
    }
    if (index < last_unit) {
      return Invalid(text, "units must go from largest to smallest (y, w, d, h, m, s, ms)");
    }
    last_unit = index;
    int64_t mult = kUnits[static_cast<size_t>(index)].ms;
    if (too_big || n > kMax / mult || n * mult > kMax - total) {
      return Invalid(text, "out of range");
    }
    total += n * mult;
  }
  return total;
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  uint64_t rest;
  if (ms < 0) {
    out = "-";
    rest = uint64_t{0} - static_cast<uint64_t>(ms);  // well defined for INT64_MIN too
  } else {
    rest = static_cast<uint64_t>(ms);
  }
  for (const Unit& unit : kUnits) {
    uint64_t mult = static_cast<uint64_t>(unit.ms);
    // Years and weeks only when they divide the value exactly: "90d" reads better than "12w6d".
    bool exact_only = unit.ms == kYear || unit.ms == kWeek;
    if (exact_only && rest % mult != 0) continue;
    uint64_t v = rest / mult;
    if (v == 0) continue;
    out += std::to_string(v);
    out.append(unit.name);
    rest -= v * mult;
  }
  return out;
}

}  // namespace gnomon
