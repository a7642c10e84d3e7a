// Prometheus' template functions (template/template.go, v2.42 plus stripDomain and toTime), and
// the lookup over them and Go's builtins.
#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "gotemplate/template_internal.h"
#include "util/duration.h"
#include "util/go_regexp.h"

namespace gnomon::gotemplate::tmpl {
namespace {

constexpr const char* kNilDeref = "runtime error: invalid memory address or nil pointer dereference";

std::string G4(double v) { return GoFormatFloat(v, 'g', 4); }  // fmt's %.4g

// strconv.ParseFloat(s, 64).
bool ParseFloat(const std::string& s, double* out, std::string* err) {
  auto fail = [&](const char* why) {
    *err = "strconv.ParseFloat: parsing " + GoQuote(s) + ": " + why;
    return false;
  };
  std::string_view v = s;
  bool neg = false;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
    neg = v[0] == '-';
    v.remove_prefix(1);
  }
  if (v.empty() || v[0] == '+' || v[0] == '-' || v.find('(') != std::string_view::npos) return fail("invalid syntax");
  std::string lower;
  for (char c : v) lower.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  double f;
  if (lower == "inf" || lower == "infinity") {
    f = HUGE_VAL;
  } else if (lower == "nan") {
    f = std::nan("");
  } else if (lower.starts_with("0x")) {
    if (lower.find('p') == std::string::npos) return fail("invalid syntax");
    std::string clean(v);
    char* end = nullptr;
    f = std::strtod(clean.c_str(), &end);
    if (end == nullptr || *end != '\0') return fail("invalid syntax");
  } else {
    auto r = std::from_chars(v.data(), v.data() + v.size(), f, std::chars_format::general);
    if (r.ptr != v.data() + v.size() || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range) ||
        lower.starts_with("in") || lower.starts_with("na")) {
      return fail("invalid syntax");
    }
    if (r.ec == std::errc::result_out_of_range) {
      f = std::strtod(std::string(v).c_str(), nullptr);
      if (std::isinf(f)) return fail("value out of range");
    }
  }
  *out = neg ? -f : f;
  return true;
}

// Prometheus' convertToFloat.
bool ToFloat(const Value& v, double* out, std::string* err) {
  switch (v.kind) {
    case Value::Kind::kFloat: *out = v.f; return true;
    case Value::Kind::kInt: *out = static_cast<double>(v.i); return true;
    case Value::Kind::kString: return ParseFloat(v.s, out, err);
    default: *err = "can't convert " + TypeName(v) + " to float"; return false;
  }
}

// Go's int64(f) on amd64: out-of-range and NaN give math.MinInt64.
int64_t GoInt64(double f) {
  if (!(f > -9.2233720368547758e18 && f < 9.2233720368547758e18)) return INT64_MIN;
  return static_cast<int64_t>(f);
}

Value Humanize(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  if (v == 0 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  static const char* kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  if (std::fabs(v) >= 1) {
    for (const char* p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (const char* p : kSmall) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  return Value::String(G4(v) + prefix);
}

Value Humanize1024(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  static const char* kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  std::string prefix;
  for (const char* p : kPrefixes) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return Value::String(G4(v) + prefix);
}

Value HumanizeDuration(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  if (std::isnan(v) || std::isinf(v)) return Value::String(G4(v));
  if (v == 0) return Value::String(G4(v) + "s");
  if (std::fabs(v) >= 1) {
    std::string sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    int64_t d = GoInt64(v);
    int64_t seconds = d % 60, minutes = (d / 60) % 60, hours = (d / 60 / 60) % 24, days = d / 60 / 60 / 24;
    auto s = [](int64_t x) { return std::to_string(x); };
    if (days != 0) return Value::String(sign + s(days) + "d " + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (hours != 0) return Value::String(sign + s(hours) + "h " + s(minutes) + "m " + s(seconds) + "s");
    if (minutes != 0) return Value::String(sign + s(minutes) + "m " + s(seconds) + "s");
    return Value::String(sign + G4(v) + "s");
  }
  static const char* kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (const char* p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return Value::String(G4(v) + prefix + "s");
}

Value HumanizePercentage(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  return Value::String(G4(v * 100) + "%");
}

// Prometheus' floatToTime: Unix seconds to a time with millisecond precision (model.Time).
enum class TimeResult { kOk, kNaNOrInf, kOverflow };
TimeResult FloatToTime(double v, int64_t* nanos) {
  if (std::isnan(v) || std::isinf(v)) return TimeResult::kNaNOrInf;
  double ts = v * 1e9;
  if (ts > 9.2233720368547758e18 || ts < -9.2233720368547758e18) return TimeResult::kOverflow;
  int64_t ns = GoInt64(ts);
  *nanos = ns / 1000000 * 1000000;
  return TimeResult::kOk;
}

Value HumanizeTimestamp(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  int64_t ns = 0;
  switch (FloatToTime(v, &ns)) {
    case TimeResult::kNaNOrInf: return Value::String(G4(v));
    case TimeResult::kOverflow:
      *err = GoFormatFloat(v, 'g', -1) + " cannot be represented as a nanoseconds timestamp since it overflows int64";
      return Value();
    case TimeResult::kOk: break;
  }
  return Value::String(GoTimeString(ns));
}

Value ToTime(ExecState&, std::vector<Value>& a, std::string* err) {
  double v;
  if (!ToFloat(a[0], &v, err)) return Value();
  int64_t ns = 0;
  switch (FloatToTime(v, &ns)) {
    case TimeResult::kNaNOrInf: *err = "value is NaN or Inf"; return Value();
    case TimeResult::kOverflow:
      *err = GoFormatFloat(v, 'g', -1) + " cannot be represented as a nanoseconds timestamp since it overflows int64";
      return Value();
    case TimeResult::kOk: break;
  }
  return Value::Time(ns);
}

Value Query(ExecState& st, std::vector<Value>& a, std::string* err) {
  if (!st.query()) {
    *err = "no query engine available";
    return Value();
  }
  Result<std::vector<QuerySample>> r = st.query()(a[0].s);
  if (!r.ok()) {
    *err = r.status().message().empty() ? r.status().ToString() : r.status().message();
    return Value();
  }
  auto list = std::make_shared<SampleList>();
  for (auto& q : r.value()) list->push_back(std::make_shared<const QuerySample>(std::move(q)));
  return Value::Samples(std::move(list));
}

Value First(ExecState&, std::vector<Value>& a, std::string* err) {
  if (a[0].samples->empty()) {
    *err = "first() called on vector with no elements";
    return Value();
  }
  return Value::Sample(a[0].samples->front());
}

Value Label(ExecState&, std::vector<Value>& a, std::string* err) {
  if (!a[1].sample) {
    *err = kNilDeref;
    return Value();
  }
  auto it = a[1].sample->labels.find(a[0].s);
  return Value::String(it == a[1].sample->labels.end() ? "" : it->second);
}

Value SampleValue(ExecState&, std::vector<Value>& a, std::string* err) {
  if (!a[0].sample) {
    *err = kNilDeref;
    return Value();
  }
  return Value::Float(a[0].sample->value);
}

Value StrValue(ExecState&, std::vector<Value>& a, std::string* err) {
  if (!a[0].sample) {
    *err = kNilDeref;
    return Value();
  }
  auto it = a[0].sample->labels.find("__value__");
  return Value::String(it == a[0].sample->labels.end() ? "" : it->second);
}

Value Args(ExecState&, std::vector<Value>& a, std::string*) {
  auto m = std::make_shared<AnyMap>();
  for (size_t k = 0; k < a.size(); ++k) (*m)["arg" + std::to_string(k)] = a[k];
  return Value::Any(std::move(m));
}

Value SortByLabel(ExecState&, std::vector<Value>& a, std::string*) {
  auto list = std::make_shared<SampleList>(*a[1].samples);
  const std::string& by = a[0].s;
  std::stable_sort(list->begin(), list->end(), [&by](const auto& x, const auto& y) {
    auto ix = x->labels.find(by);
    auto iy = y->labels.find(by);
    std::string_view vx = ix == x->labels.end() ? std::string_view() : std::string_view(ix->second);
    std::string_view vy = iy == y->labels.end() ? std::string_view() : std::string_view(iy->second);
    return vx < vy;
  });
  return Value::Samples(std::move(list));
}

std::unique_ptr<RE2> Compile(const std::string& pattern, std::string* err) {
  RE2::Options opts;
  opts.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, opts);
  if (!re->ok()) {
    *err = "error parsing regexp: " + re->error();
    return nullptr;
  }
  return re;
}

Value ReReplaceAll(ExecState&, std::vector<Value>& a, std::string* err) {
  const std::string& pattern = a[0].s;
  std::string cerr;
  auto re = Compile(pattern, &cerr);
  if (!re) {
    *err = "regexp: Compile(" + GoQuote(pattern) + "): " + cerr;
    return Value();
  }
  const std::string& src = a[2].s;
  const std::string& repl = a[1].s;
  std::vector<re2::StringPiece> m(static_cast<size_t>(re->NumberOfCapturingGroups()) + 1);
  re2::StringPiece text(src);
  std::string out;
  size_t last_end = 0, search = 0;
  while (search <= src.size()) {
    if (!re->Match(text, search, src.size(), RE2::UNANCHORED, m.data(), static_cast<int>(m.size()))) break;
    size_t a0 = static_cast<size_t>(m[0].data() - src.data());
    size_t a1 = a0 + m[0].size();
    out.append(src, last_end, a0 - last_end);
    if (a1 > last_end || a0 == 0) GoRegexpExpand(*re, repl, m.data(), static_cast<int>(m.size()), &out);
    if (out.size() > kMaxOutputBytes) {
      *err = "result exceeds " + std::to_string(kMaxOutputBytes) + " bytes";
      return Value();
    }
    last_end = a1;
    size_t width = 0;
    if (search < src.size()) {
      unsigned char c = static_cast<unsigned char>(src[search]);
      width = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
      width = std::min(width, src.size() - search);
    }
    if (search + width > a1) {
      search += width;
    } else if (search + 1 > a1) {
      ++search;
    } else {
      search = a1;
    }
  }
  out.append(src, last_end, std::string::npos);
  return Value::String(std::move(out));
}

Value Match(ExecState&, std::vector<Value>& a, std::string* err) {
  auto re = Compile(a[0].s, err);
  if (!re) return Value();
  return Value::Bool(RE2::PartialMatch(a[1].s, *re));
}

bool IsTitleSeparator(unsigned char c) {
  if (c >= 0x80) return false;  // non-ASCII: treated as letters
  return !(std::isalnum(c) || c == '_');
}

Value Title(ExecState&, std::vector<Value>& a, std::string*) {
  std::string s = a[0].s;
  unsigned char prev = ' ';
  for (char& c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((u & 0xC0) == 0x80) continue;  // continuation byte of the previous rune
    if (IsTitleSeparator(prev) && u >= 'a' && u <= 'z') c = static_cast<char>(u - 32);
    prev = u;
  }
  return Value::String(std::move(s));
}

Value ToUpper(ExecState&, std::vector<Value>& a, std::string*) {
  std::string s = a[0].s;
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return Value::String(std::move(s));
}

Value ToLower(ExecState&, std::vector<Value>& a, std::string*) {
  std::string s = a[0].s;
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return Value::String(std::move(s));
}

Value SafeHtml(ExecState&, std::vector<Value>& a, std::string*) { return Value::Html(a[0].s); }

Value GraphLink(ExecState&, std::vector<Value>& a, std::string*) {
  return Value::String("/graph?g0.expr=" + QueryEscape(a[0].s) + "&g0.tab=0");
}
Value TableLink(ExecState&, std::vector<Value>& a, std::string*) {
  return Value::String("/graph?g0.expr=" + QueryEscape(a[0].s) + "&g0.tab=1");
}

// net.SplitHostPort.
bool SplitHostPort(std::string_view hp, std::string* host, std::string* port) {
  size_t i = hp.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (!hp.empty() && hp[0] == '[') {
    size_t end = hp.find(']');
    if (end == std::string_view::npos) return false;
    if (end + 1 == hp.size() || end + 1 != i) return false;
    *host = std::string(hp.substr(1, end - 1));
    j = 1;
    k = end + 1;
  } else {
    *host = std::string(hp.substr(0, i));
    if (host->find(':') != std::string::npos) return false;
  }
  if (hp.find('[', j) != std::string_view::npos) return false;
  if (hp.find(']', k) != std::string_view::npos) return false;
  *port = std::string(hp.substr(i + 1));
  return true;
}

Value StripPort(ExecState&, std::vector<Value>& a, std::string*) {
  std::string host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) return Value::String(a[0].s);
  return Value::String(host);
}

bool IsIP(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

Value StripDomain(ExecState&, std::vector<Value>& a, std::string*) {
  const std::string& hp = a[0].s;
  std::string host, port;
  if (!SplitHostPort(hp, &host, &port)) {
    host = hp;
    port.clear();
  }
  if (IsIP(host)) return Value::String(hp);
  host = host.substr(0, host.find('.'));
  if (port.empty()) return Value::String(host);
  return Value::String(host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port);
}

Value PathPrefix(ExecState& st, std::vector<Value>&, std::string*) {
  std::string_view u = st.data().external_url;
  size_t scheme = u.find("://");
  if (scheme != std::string_view::npos) {
    u.remove_prefix(scheme + 3);
    size_t slash = u.find('/');
    u = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  }
  u = u.substr(0, u.find_first_of("?#"));
  std::string out;
  for (size_t i = 0; i < u.size(); ++i) {
    if (u[i] == '%' && i + 2 < u.size() + 0 && std::isxdigit(static_cast<unsigned char>(u[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(u[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(u.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(u[i]);
    }
  }
  return Value::String(std::move(out));
}

Value ExternalURL(ExecState& st, std::vector<Value>&, std::string*) { return Value::String(st.data().external_url); }

Value ParseDuration(ExecState&, std::vector<Value>& a, std::string* err) {
  Result<int64_t> ms = ParseDurationMs(a[0].s);
  if (!ms.ok() || *ms > INT64_MAX / 1000000) {
    *err = a[0].s.empty() ? "empty duration string" : "not a valid duration string: " + GoQuote(a[0].s);
    return Value();
  }
  return Value::Float(static_cast<double>(*ms * 1000000) / 1e9);
}

}  // namespace

const std::vector<FuncSpec>& PrometheusFunctions() {
  using P = Param;
  static const std::vector<FuncSpec> kFuncs = {
      {"query", {P::kString}, false, P::kAny, Query},
      {"first", {P::kSamples}, false, P::kAny, First},
      {"label", {P::kString, P::kSample}, false, P::kAny, Label},
      {"value", {P::kSample}, false, P::kAny, SampleValue},
      {"strvalue", {P::kSample}, false, P::kAny, StrValue},
      {"args", {}, true, P::kAny, Args},
      {"reReplaceAll", {P::kString, P::kString, P::kString}, false, P::kAny, ReReplaceAll},
      {"safeHtml", {P::kString}, false, P::kAny, SafeHtml},
      {"match", {P::kString, P::kString}, false, P::kAny, Match},
      {"title", {P::kString}, false, P::kAny, Title},
      {"toUpper", {P::kString}, false, P::kAny, ToUpper},
      {"toLower", {P::kString}, false, P::kAny, ToLower},
      {"graphLink", {P::kString}, false, P::kAny, GraphLink},
      {"tableLink", {P::kString}, false, P::kAny, TableLink},
      {"sortByLabel", {P::kString, P::kSamples}, false, P::kAny, SortByLabel},
      {"stripPort", {P::kString}, false, P::kAny, StripPort},
      {"stripDomain", {P::kString}, false, P::kAny, StripDomain},
      {"humanize", {P::kAny}, false, P::kAny, Humanize},
      {"humanize1024", {P::kAny}, false, P::kAny, Humanize1024},
      {"humanizeDuration", {P::kAny}, false, P::kAny, HumanizeDuration},
      {"humanizePercentage", {P::kAny}, false, P::kAny, HumanizePercentage},
      {"humanizeTimestamp", {P::kAny}, false, P::kAny, HumanizeTimestamp},
      {"toTime", {P::kAny}, false, P::kAny, ToTime},
      {"pathPrefix", {}, false, P::kAny, PathPrefix},
      {"externalURL", {}, false, P::kAny, ExternalURL},
      {"parseDuration", {P::kString}, false, P::kAny, ParseDuration},
  };
  return kFuncs;
}

const FuncSpec* FindFunction(std::string_view name) {
  for (const auto* table : {&PrometheusFunctions(), &GoBuiltins()}) {
    for (const auto& f : *table) {
      if (name == f.name) return &f;
    }
  }
  return nullptr;
}

}  // namespace gnomon::gotemplate::tmpl
