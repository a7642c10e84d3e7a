// util/civil_time.h (calendar arithmetic) and util/time_format.h (RFC 3339 text), which the CLI,
// the HTTP API, PromQL's date functions and templates' time printing share.
#include <doctest/doctest.h>

#include <cstdint>
#include <ctime>

#include "util/civil_time.h"
#include "util/time_format.h"

namespace gnomon {
namespace {

constexpr int64_t kT = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

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
  CHECK(WeekdayFromDays(0) == 4);      // 1970-01-01 was a Thursday
  CHECK(WeekdayFromDays(-1) == 3);     // 1969-12-31 a Wednesday
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

TEST_CASE("ParseRfc3339: what Prometheus' API accepts") {
  CHECK(*ParseRfc3339("2023-11-14T22:13:20Z") == kT);
  CHECK(*ParseRfc3339("2023-11-14t22:13:20z") == kT);
  CHECK(*ParseRfc3339("2023-11-14 22:13:20Z") == kT);
  CHECK(*ParseRfc3339("2023-11-14T22:13:20.5Z") == kT + 500);
  CHECK(*ParseRfc3339("2023-11-14T22:13:20.123456789Z") == kT + 123);  // cut to milliseconds
  CHECK(*ParseRfc3339("2023-11-14T23:13:20+01:00") == kT);
  CHECK(*ParseRfc3339("2023-11-14T17:13:20-05:00") == kT);
  CHECK(*ParseRfc3339("1969-12-31T23:59:59.5Z") == -500);
  CHECK(*ParseRfc3339("2024-02-29T00:00:00Z") == DaysFromCivil(2024, 2, 29) * 86'400'000);
  CHECK(*ParseRfc3339("2016-12-31T23:59:60Z") == DaysFromCivil(2017, 1, 1) * 86'400'000);  // leap second
  for (const char* bad :
       {"", "2023-11-14", "2023-11-14T22:13Z", "2023-11-14T22:13:20", "2023-13-14T22:13:20Z", "2023-00-14T22:13:20Z",
        "2023-11-00T22:13:20Z", "2023-02-29T00:00:00Z", "2023-04-31T00:00:00Z", "2023-11-14T24:00:00Z",
        "2023-11-14T22:60:00Z", "2023-11-14T22:13:61Z", "2023-11-14T22:13:20.Z", "2023-11-14T22:13:20+0100",
        "2023-11-14T22:13:20+24:00", "2023-11-14T22:13:20Zx", "23-11-14T22:13:20Z", "2023-11-14X22:13:20Z",
        "1700000000"}) {
    INFO(bad);
    auto r = ParseRfc3339(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message().find("RFC 3339") != std::string::npos);
  }
}

TEST_CASE("ParseRfc3339: the command line's extras, and FormatRfc3339 reads back") {
  Rfc3339Options cli;
  cli.date_only = true;
  cli.optional_seconds = true;
  CHECK(*ParseRfc3339("1970-01-02", cli) == 86'400'000);
  CHECK(*ParseRfc3339("2023-11-14T22:13Z", cli) == kT - 20'000);
  CHECK(*ParseRfc3339("2023-11-14T22:13:20Z", cli) == kT);
  CHECK_FALSE(ParseRfc3339("2023-02-30", cli).ok());
  CHECK_FALSE(ParseRfc3339("2023-11-14T22Z", cli).ok());
  for (int64_t ms : {kT, kT + 7, int64_t{0}, int64_t{-1}, int64_t{-86'400'001}, int64_t{253'402'300'799'999}}) {
    INFO(ms);
    CHECK(*ParseRfc3339(FormatRfc3339(ms)) == ms);
  }
}

TEST_CASE("FormatRfc3339Nano: Go's RFC3339Nano, the fraction without trailing zeros") {
  CHECK(FormatRfc3339Nano(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatRfc3339Nano(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456789Z");
  CHECK(FormatRfc3339Nano(1'700'000'000'120'000'000) == "2023-11-14T22:13:20.12Z");
  CHECK(FormatRfc3339Nano(1'700'000'000'000'000'001) == "2023-11-14T22:13:20.000000001Z");
  CHECK(FormatRfc3339Nano(-1) == "1969-12-31T23:59:59.999999999Z");
}

TEST_CASE("FormatRfc3339Fixed9: nine fraction digits, any second in any order, years 0000-9999 only") {
  auto fixed = [](int64_t ns) {
    char out[30];
    const size_t n = FormatRfc3339Fixed9(ns, out);
    return std::string(out, n);
  };
  CHECK(fixed(0) == "1970-01-01T00:00:00.000000000Z");
  CHECK(fixed(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456789Z");
  CHECK(fixed(1'700'000'000'000'000'010) == "2023-11-14T22:13:20.000000010Z");  // same second: the kept prefix
  CHECK(fixed(1'700'000'001'000'000'000) == "2023-11-14T22:13:21.000000000Z");
  CHECK(fixed(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(fixed(1'700'000'000'123'456'789) == "2023-11-14T22:13:20.123456789Z");
  for (int64_t ns : {int64_t{0}, int64_t{-1}, int64_t{1'234'567'890'123'456'789}, INT64_MIN + 1, INT64_MAX}) {
    // Every form agrees with the Go form once its trailing zeros are put back.
    const std::string nano = FormatRfc3339Nano(ns);
    const std::string f = fixed(ns);
    REQUIRE(f.size() == 30);
    CHECK(f.substr(0, 19) == nano.substr(0, 19));
  }
}

}  // namespace
}  // namespace gnomon
