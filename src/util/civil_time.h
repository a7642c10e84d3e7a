// Calendar arithmetic on the proleptic Gregorian calendar in UTC, the one every Gnomon timestamp
// lives in: days since the Unix epoch <-> year/month/day, leap years, month lengths, weekdays.
//
// The conversions are Howard Hinnant's days_from_civil / civil_from_days ("chrono-compatible
// low-level date algorithms"), exact for every int64 day count whose year fits in an int64 (far
// beyond any millisecond timestamp). Everything is constexpr and header-only: PromQL's date
// functions call it once per sample. Nothing here fails or throws; DaysFromCivil does not check
// its arguments (month 1..12; a day past the month's end counts on into the next month).
#pragma once

#include <cstdint>

namespace gnomon {

// A day of the calendar: month 1..12, day 1..31.
struct CivilDate {
  int64_t year = 1970;
  int month = 1;
  int day = 1;
};

// a / b rounded toward negative infinity (b > 0).
constexpr int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && (a < 0)); }

constexpr bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// The number of days of `month` (1..12) in year `y`.
constexpr int DaysInMonth(int64_t y, int month) {
  constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(y) ? 29 : kDays[month - 1];
}

// Days since 1970-01-01 of year-month-day (negative before it).
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;                                   // [0, 399]
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
  return era * 146097 + doe - 719468;
}

// The date `days` days after 1970-01-01.
constexpr CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  CivilDate c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  return c;
}

// The weekday of the day `days` after 1970-01-01: 0 is Sunday, 6 Saturday.
constexpr int WeekdayFromDays(int64_t days) { return static_cast<int>((days % 7 + 7 + 4) % 7); }

}  // namespace gnomon
