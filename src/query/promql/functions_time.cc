// Time functions: time(), timestamp(), and the UTC calendar functions (year, month,
// day_of_month, day_of_week, day_of_year, days_in_month, hour, minute) that take an optional
// vector of Unix times and default to the evaluation time.
#include <cmath>

#include "query/promql/eval_internal.h"
#include "util/civil_time.h"

namespace gnomon::promql {
namespace {

struct Civil {
  CivilDate date;
  int hour, minute, weekday, yday;
};

Civil ToCivil(int64_t unix_seconds) {
  const int64_t days = FloorDiv(unix_seconds, 86400);
  const int64_t secs = unix_seconds - days * 86400;
  Civil c;
  c.date = CivilFromDays(days);
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.weekday = WeekdayFromDays(days);
  c.yday = static_cast<int>(days - DaysFromCivil(c.date.year, 1, 1) + 1);
  return c;
}

double DateField(std::string_view f, const Civil& c) {
  if (f == "year") return static_cast<double>(c.date.year);
  if (f == "month") return c.date.month;
  if (f == "day_of_month") return c.date.day;
  if (f == "day_of_week") return c.weekday;
  if (f == "day_of_year") return c.yday;
  if (f == "hour") return c.hour;
  if (f == "minute") return c.minute;
  return DaysInMonth(c.date.year, c.date.month);  // days_in_month
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
