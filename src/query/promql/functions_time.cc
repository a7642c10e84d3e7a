// Time functions: time(), timestamp(), and the UTC calendar functions (year, month,
// day_of_month, day_of_week, day_of_year, days_in_month, hour, minute) that take an optional
// vector of Unix times and default to the evaluation time.
#include <cmath>

#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

struct Civil {
  int64_t year;
  int month, day, hour, minute, weekday, yday;
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = FloorDiv(y, 400);
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Civil ToCivil(int64_t unix_seconds) {
  const int64_t days = FloorDiv(unix_seconds, 86400);
  const int64_t secs = unix_seconds - days * 86400;
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  Civil c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.weekday = static_cast<int>(((days % 7) + 7 + 4) % 7);  // 1970-01-01 was a Thursday
  c.yday = static_cast<int>(days - DaysFromCivil(c.year, 1, 1) + 1);
  return c;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

double DateField(std::string_view f, const Civil& c) {
  if (f == "year") return static_cast<double>(c.year);
  if (f == "month") return c.month;
  if (f == "day_of_month") return c.day;
  if (f == "day_of_week") return c.weekday;
  if (f == "day_of_year") return c.yday;
  if (f == "hour") return c.hour;
  if (f == "minute") return c.minute;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (c.month == 2 && IsLeap(c.year)) ? 29 : kDays[c.month - 1];  // days_in_month
}

bool IsDateFunction(std::string_view f) {
  return f == "year" || f == "month" || f == "day_of_month" || f == "day_of_week" || f == "day_of_year" ||
         f == "hour" || f == "minute" || f == "days_in_month";
}

}  // namespace

std::optional<Value> EvalTimeFunction(Evaluator& ev, const Call& call) {
  const std::string& f = call.func;
  if (f == "time") {
    Value v;
    v.type = ValueType::kScalar;
    for (size_t i = 0; i < ev.NumSteps(); ++i) v.scalars.push_back(static_cast<double>(ev.StepTime(i)) / 1000);
    return v;
  }
  if (f == "timestamp") {
    const Expr* a = call.args.at(0).get();
    while (auto* p = std::get_if<ParenExpr>(&a->node)) a = p->expr.get();
    if (auto* vs = std::get_if<VectorSelector>(&a->node)) {
      // The timestamp of the sample itself, not of the step it was picked for.
      Value v = ev.EvalVectorSelector(*vs, true);
      return MapVector(ev, std::move(v), true, [](double x, int64_t) { return x; });
    }
    return MapVector(ev, ev.Eval(*a), true, [](double, int64_t t) { return static_cast<double>(t) / 1000; });
  }
  if (!IsDateFunction(f)) return std::nullopt;
  if (call.args.empty()) {
    Value v;
    v.type = ValueType::kVector;
    Series s;
    for (size_t i = 0; i < ev.NumSteps(); ++i) {
      const int64_t t = ev.StepTime(i);
      // Go's time.Unix(ts/1000, 0): integer division truncates toward zero.
      s.points.push_back({t, DateField(f, ToCivil(t / 1000))});
    }
    if (!s.points.empty()) v.series.push_back(std::move(s));
    return v;
  }
  return MapVector(ev, ev.Eval(*call.args[0]), true, [&](double x, int64_t) {
    if (!std::isfinite(x) || std::fabs(x) > 1e15) return std::nan("");
    return DateField(f, ToCivil(static_cast<int64_t>(x)));
  });
}

}  // namespace gnomon::promql
