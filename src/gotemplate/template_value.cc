// Template values: constructors, Go type names, truth, and how fmt prints them.
#include <cinttypes>
#include <cstdio>
#include <string>

#include "gotemplate/template_internal.h"
#include "util/civil_time.h"

namespace gnomon::gotemplate::tmpl {
namespace {

std::string MapText(const StringMap& m) {
  std::string s = "map[";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) s.push_back(' ');
    first = false;
    s += k + ":" + v;
  }
  return s + "]";
}

std::string SampleText(const QuerySample& q) {
  return "{" + MapText(q.labels) + " " + GoFormatFloat(q.value, 'g', -1) + "}";
}

}  // namespace

Value Value::Bool(bool v) {
  Value x;
  x.kind = Kind::kBool;
  x.b = v;
  return x;
}
Value Value::Int(int64_t v) {
  Value x;
  x.kind = Kind::kInt;
  x.i = v;
  return x;
}
Value Value::Float(double v) {
  Value x;
  x.kind = Kind::kFloat;
  x.f = v;
  return x;
}
Value Value::String(std::string v) {
  Value x;
  x.kind = Kind::kString;
  x.s = std::move(v);
  return x;
}
Value Value::Html(std::string v) {
  Value x;
  x.kind = Kind::kHtml;
  x.s = std::move(v);
  return x;
}
Value Value::Time(int64_t unix_nanos) {
  Value x;
  x.kind = Kind::kTime;
  x.i = unix_nanos;
  return x;
}
Value Value::Samples(std::shared_ptr<const SampleList> v) {
  Value x;
  x.kind = Kind::kSamples;
  x.samples = v ? std::move(v) : std::make_shared<const SampleList>();
  return x;
}
Value Value::Sample(std::shared_ptr<const QuerySample> v) {
  Value x;
  x.kind = Kind::kSample;
  x.sample = std::move(v);
  return x;
}
Value Value::Map(std::shared_ptr<const StringMap> v) {
  Value x;
  x.kind = Kind::kStringMap;
  x.smap = std::move(v);
  return x;
}
Value Value::Any(std::shared_ptr<const AnyMap> v) {
  Value x;
  x.kind = Kind::kAnyMap;
  x.amap = std::move(v);
  return x;
}

std::string TypeName(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNil: return "<nil>";
    case Value::Kind::kBool: return "bool";
    case Value::Kind::kInt: return "int";
    case Value::Kind::kFloat: return "float64";
    case Value::Kind::kString: return "string";
    case Value::Kind::kHtml: return "template.HTML";
    case Value::Kind::kStringMap: return "map[string]string";
    case Value::Kind::kAnyMap: return "map[string]interface {}";
    case Value::Kind::kSamples: return "template.queryResult";
    case Value::Kind::kSample: return "*template.sample";
    case Value::Kind::kTime: return "*time.Time";
    case Value::Kind::kData:
      return "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; Value float64 }";
  }
  return "?";
}

bool IsTrue(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNil: return false;
    case Value::Kind::kBool: return v.b;
    case Value::Kind::kInt: return v.i != 0;
    case Value::Kind::kFloat: return v.f != 0;
    case Value::Kind::kString:
    case Value::Kind::kHtml: return !v.s.empty();
    case Value::Kind::kStringMap: return v.smap && !v.smap->empty();
    case Value::Kind::kAnyMap: return v.amap && !v.amap->empty();
    case Value::Kind::kSamples: return v.samples && !v.samples->empty();
    case Value::Kind::kSample: return v.sample != nullptr;
    case Value::Kind::kTime: return true;
    case Value::Kind::kData: return true;
  }
  return false;
}

std::string GoTimeString(int64_t unix_nanos) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const CivilDate date = CivilFromDays(days);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04" PRId64 "-%02d-%02d %02d:%02d:%02d", date.year, date.month, date.day,
                static_cast<int>(rem / 3600), static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  std::string s = buf;
  if (nanos != 0) {
    char frac[16];
    std::snprintf(frac, sizeof(frac), ".%09d", static_cast<int>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    s += f;
  }
  return s + " +0000 UTC";
}

GoArg ToGoArg(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNil: return GoArg::Nil();
    case Value::Kind::kBool: return GoArg::Bool(v.b);
    case Value::Kind::kInt: return GoArg::Int(v.i);
    case Value::Kind::kFloat: return GoArg::Float(v.f);
    case Value::Kind::kString: return GoArg::String(v.s);
    case Value::Kind::kHtml: return GoArg::String(v.s, "template.HTML");
    case Value::Kind::kStringMap: return GoArg::Other(MapText(*v.smap), TypeName(v));
    case Value::Kind::kAnyMap: {
      std::string s = "map[";
      bool first = true;
      for (const auto& [k, x] : *v.amap) {
        if (!first) s.push_back(' ');
        first = false;
        s += k + ":" + GoFormatValue(ToGoArg(x));
      }
      return GoArg::Other(s + "]", TypeName(v));
    }
    case Value::Kind::kSamples: {
      std::string s = "[";
      for (size_t k = 0; k < v.samples->size(); ++k) {
        if (k > 0) s.push_back(' ');
        s += "&" + SampleText(*(*v.samples)[k]);
      }
      return GoArg::Other(s + "]", TypeName(v));
    }
    case Value::Kind::kSample:
      if (!v.sample) return GoArg::Other("<nil>", TypeName(v));
      return GoArg::Other("&" + SampleText(*v.sample), TypeName(v));
    case Value::Kind::kTime: return GoArg::Other(GoTimeString(v.i), TypeName(v));
    case Value::Kind::kData: {
      const TemplateData& d = *v.data;
      return GoArg::Other("{" + MapText(d.labels) + " " + MapText(d.external_labels) + " " + d.external_url + " " +
                              GoFormatFloat(d.value, 'g', -1) + "}",
                          TypeName(v));
    }
  }
  return GoArg::Nil();
}

std::string PrintValue(const Value& v) {
  if (v.kind == Value::Kind::kNil) return "<no value>";
  if (v.kind == Value::Kind::kSample) return v.sample ? SampleText(*v.sample) : "<nil>";
  return GoFormatValue(ToGoArg(v));
}

}  // namespace gnomon::gotemplate::tmpl
