// util/civil_time.h (calendar arithmetic), which the CLI, PromQL's date functions and templates'
// time printing share.
#include <doctest/doctest.h>

#include <cstdint>
#include <ctime>

#include "util/civil_time.h"

namespace gnomon {
namespace {

TEST_CASE("civil dates: days from and to year/month/day, leap years, month lengths, weekdays") {
  static_assert(DaysFromCivil(1970, 1, 1) == 0);
  static_assert(DaysFromCivil(2023, 11, 14) == 19675);
  CHECK(DaysFromCivil(1969, 12, 31) == -1);
  CHECK(DaysFromCivil(2000, 3, 1) - DaysFromCivil(2000, 2, 28) == 2);  // 2000 is a leap year
  CHECK(DaysFromCivil(1900, 3, 1) - DaysFromCivil(1900, 2, 28) == 1);  // 1900 is not
  CHECK(IsLeapYear(2024));
  CHECK(IsLeapYear(2000));
  CHECK_FALSE(IsLeapYear(1900));
  CHECK_FALSE(IsLeapYear(2023));
  CHECK(DaysInMonth(2024, 2) == 29);
  CHECK(DaysInMonth(2023, 2) == 28);
  CHECK(DaysInMonth(2023, 4) == 30);
  CHECK(DaysInMonth(2023, 12) == 31);
  CHECK(WeekdayFromDays(0) == 4);    // 1970-01-01 was a Thursday
  CHECK(WeekdayFromDays(-1) == 3);   // 1969-12-31 a Wednesday
  CHECK(WeekdayFromDays(19675) == 2);  // 2023-11-14 a Tuesday
  CHECK(FloorDiv(-1, 86400) == -1);
  CHECK(FloorDiv(86400, 86400) == 1);

  // Every day from 1600 to 2400 (and some far away) round-trips, and agrees with gmtime.
  for (int64_t days = DaysFromCivil(1600, 1, 1); days <= DaysFromCivil(2400, 12, 31); ++days) {
    const CivilDate c = CivilFromDays(days);
    REQUIRE(DaysFromCivil(c.year, c.month, c.day) == days);
    REQUIRE(c.day <= DaysInMonth(c.year, c.month));
  }
  for (int64_t days : {int64_t{-3'000'000'000}, int64_t{-1}, int64_t{0}, int64_t{3'000'000'000}}) {
    const CivilDate c = CivilFromDays(days);
    CHECK(DaysFromCivil(c.year, c.month, c.day) == days);
  }
  for (int64_t secs = -5'000'000'000; secs < 5'000'000'000; secs += 7'777'777) {
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const int64_t days = FloorDiv(secs, 86400);
    const CivilDate c = CivilFromDays(days);
    INFO(secs);
    CHECK(c.year == tm.tm_year + 1900);
    CHECK(c.month == tm.tm_mon + 1);
    CHECK(c.day == tm.tm_mday);
    CHECK(WeekdayFromDays(days) == tm.tm_wday);
  }
}

}  // namespace
}  // namespace gnomon
