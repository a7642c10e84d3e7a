// Go text/template's predefined functions (Go 1.19): and, or, not, len, index, eq, ne, lt, le,
// gt, ge, print, printf, println, html, js, urlquery. `and` and `or` short-circuit in the
// executor; their entries here only declare the signature.
#include <cstdio>
#include <string>

#include "gotemplate/template_internal.h"

namespace gnomon::gotemplate::tmpl {
namespace {

std::vector<GoArg> ToGoArgs(const std::vector<Value>& args, size_t from = 0) {
  std::vector<GoArg> out;
  for (size_t k = from; k < args.size(); ++k) out.push_back(ToGoArg(args[k]));
  return out;
}

// text/template's evalArgs: a lone string as it is, anything else through fmt.Sprint.
std::string EvalArgs(const std::vector<Value>& args) {
  if (args.size() == 1 && args[0].kind == Value::Kind::kString) return args[0].s;
  std::vector<GoArg> ga;
  for (const auto& a : args) {
    if (a.kind == Value::Kind::kNil) {
      ga.push_back(GoArg::String("<no value>"));
    } else if (a.kind == Value::Kind::kSample && a.sample) {
      ga.push_back(GoArg::Other(PrintValue(a), "template.sample"));
    } else {
      ga.push_back(ToGoArg(a));
    }
  }
  return GoSprint(ga);
}

enum class Basic { kInvalid, kBool, kInt, kFloat, kString };

Basic BasicKind(const Value& v) {
  switch (v.kind) {
    case Value::Kind::kBool: return Basic::kBool;
    case Value::Kind::kInt: return Basic::kInt;
    case Value::Kind::kFloat: return Basic::kFloat;
    case Value::Kind::kString:
    case Value::Kind::kHtml: return Basic::kString;
    default: return Basic::kInvalid;
  }
}

constexpr const char* kBadComparison = "incompatible types for comparison";
constexpr const char* kBadComparisonType = "invalid type for comparison";

Value And(ExecState&, std::vector<Value>& a, std::string*) { return a.empty() ? Value() : a.back(); }
Value Or(ExecState&, std::vector<Value>& a, std::string*) { return a.empty() ? Value() : a.back(); }
Value Not(ExecState&, std::vector<Value>& a, std::string*) { return Value::Bool(!IsTrue(a[0])); }

Value Len(ExecState&, std::vector<Value>& a, std::string* err) {
  const Value& v = a[0];
  switch (v.kind) {
    case Value::Kind::kString:
    case Value::Kind::kHtml: return Value::Int(static_cast<int64_t>(v.s.size()));
    case Value::Kind::kStringMap: return Value::Int(static_cast<int64_t>(v.smap->size()));
    case Value::Kind::kAnyMap: return Value::Int(static_cast<int64_t>(v.amap->size()));
    case Value::Kind::kSamples: return Value::Int(static_cast<int64_t>(v.samples->size()));
    case Value::Kind::kSample:
      if (!v.sample) {
        *err = "len of nil pointer";
        return Value();
      }
      *err = "len of type template.sample";
      return Value();
    case Value::Kind::kNil: *err = "len of untyped nil"; return Value();
    default: *err = "len of type " + TypeName(v); return Value();
  }
}

Value Index(ExecState&, std::vector<Value>& a, std::string* err) {
  Value item = a[0];
  if (item.kind == Value::Kind::kNil) {
    *err = "index of untyped nil";
    return Value();
  }
  for (size_t k = 1; k < a.size(); ++k) {
    const Value& idx = a[k];
    switch (item.kind) {
      case Value::Kind::kSamples:
      case Value::Kind::kString:
      case Value::Kind::kHtml: {
        if (idx.kind == Value::Kind::kNil) {
          *err = "cannot index slice/array with nil";
          return Value();
        }
        if (idx.kind != Value::Kind::kInt) {
          *err = "cannot index slice/array with type " + TypeName(idx);
          return Value();
        }
        size_t len = item.kind == Value::Kind::kSamples ? item.samples->size() : item.s.size();
        if (idx.i < 0 || static_cast<uint64_t>(idx.i) > len) {
          *err = "index out of range: " + std::to_string(idx.i);
          return Value();
        }
        if (static_cast<uint64_t>(idx.i) == len) {
          *err = item.kind == Value::Kind::kSamples ? "reflect: slice index out of range" : "reflect: string index out of range";
          return Value();
        }
        if (item.kind == Value::Kind::kSamples) {
          item = Value::Sample((*item.samples)[static_cast<size_t>(idx.i)]);
        } else {
          item = Value::Int(static_cast<unsigned char>(item.s[static_cast<size_t>(idx.i)]));
        }
        break;
      }
      case Value::Kind::kStringMap:
      case Value::Kind::kAnyMap: {
        if (idx.kind != Value::Kind::kString) {
          *err = idx.kind == Value::Kind::kNil ? "value is nil; should be of type string"
                                               : "value has type " + TypeName(idx) + "; should be string";
          return Value();
        }
        if (item.kind == Value::Kind::kStringMap) {
          auto it = item.smap->find(idx.s);
          item = Value::String(it == item.smap->end() ? "" : it->second);
        } else {
          auto it = item.amap->find(idx.s);
          item = it == item.amap->end() ? Value() : it->second;
        }
        break;
      }
      case Value::Kind::kSample:
        if (!item.sample) {
          *err = "index of nil pointer";
          return Value();
        }
        *err = "can't index item of type template.sample";
        return Value();
      case Value::Kind::kNil:
        *err = "index of untyped nil";
        return Value();
      default:
        *err = "can't index item of type " + TypeName(item);
        return Value();
    }
  }
  return item;
}

bool EqOne(const Value& a, const Value& b, std::string* err) {
  Basic k1 = BasicKind(a), k2 = BasicKind(b);
  if (k1 != k2) {
    if (a.kind != Value::Kind::kNil && b.kind != Value::Kind::kNil) *err = kBadComparison;
    return false;
  }
  switch (k1) {
    case Basic::kBool: return a.b == b.b;
    case Basic::kInt: return a.i == b.i;
    case Basic::kFloat: return a.f == b.f;
    case Basic::kString: return a.s == b.s;
    case Basic::kInvalid: break;
  }
  if (a.kind == Value::Kind::kNil || b.kind == Value::Kind::kNil) return a.kind == b.kind;
  if (a.kind == Value::Kind::kSample && b.kind == Value::Kind::kSample) return a.sample == b.sample;
  if (a.kind == Value::Kind::kTime && b.kind == Value::Kind::kTime) return false;  // distinct pointers
  *err = "non-comparable type " + PrintValue(b) + ": " + TypeName(b);
  return false;
}

Value Eq(ExecState&, std::vector<Value>& a, std::string* err) {
  if (a.size() < 2) {
    *err = "missing argument for comparison";
    return Value();
  }
  for (size_t k = 1; k < a.size(); ++k) {
    bool t = EqOne(a[0], a[k], err);
    if (!err->empty()) return Value();
    if (t) return Value::Bool(true);
  }
  return Value::Bool(false);
}

Value Ne(ExecState&, std::vector<Value>& a, std::string* err) {
  bool t = EqOne(a[0], a[1], err);
  return err->empty() ? Value::Bool(!t) : Value();
}

bool Less(const Value& a, const Value& b, std::string* err) {
  Basic k1 = BasicKind(a), k2 = BasicKind(b);
  if (k1 == Basic::kInvalid || k2 == Basic::kInvalid) {
    *err = kBadComparisonType;
    return false;
  }
  if (k1 != k2) {
    *err = kBadComparison;
    return false;
  }
  switch (k1) {
    case Basic::kInt: return a.i < b.i;
    case Basic::kFloat: return a.f < b.f;
    case Basic::kString: return a.s < b.s;
    default: *err = kBadComparisonType; return false;
  }
}

Value Lt(ExecState&, std::vector<Value>& a, std::string* err) {
  bool t = Less(a[0], a[1], err);
  return err->empty() ? Value::Bool(t) : Value();
}
Value Le(ExecState&, std::vector<Value>& a, std::string* err) {
  bool t = Less(a[0], a[1], err);
  if (!err->empty()) return Value();
  if (!t) t = EqOne(a[0], a[1], err);
  return err->empty() ? Value::Bool(t) : Value();
}
Value Gt(ExecState& st, std::vector<Value>& a, std::string* err) {
  Value le = Le(st, a, err);
  return err->empty() ? Value::Bool(!le.b) : Value();
}
Value Ge(ExecState& st, std::vector<Value>& a, std::string* err) {
  Value lt = Lt(st, a, err);
  return err->empty() ? Value::Bool(!lt.b) : Value();
}

Value Print(ExecState&, std::vector<Value>& a, std::string*) { return Value::String(GoSprint(ToGoArgs(a))); }
Value Println(ExecState&, std::vector<Value>& a, std::string*) { return Value::String(GoSprintln(ToGoArgs(a))); }
Value Printf(ExecState&, std::vector<Value>& a, std::string*) {
  return Value::String(GoSprintf(a[0].s, ToGoArgs(a, 1)));
}

Value Html(ExecState&, std::vector<Value>& a, std::string*) {
  std::string s = EvalArgs(a), out;
  for (char c : s) {
    switch (c) {
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\0': out += "\xEF\xBF\xBD"; break;
      default: out.push_back(c);
    }
  }
  return Value::String(std::move(out));
}

Value Js(ExecState&, std::vector<Value>& a, std::string*) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string s = EvalArgs(a), out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '"': out += "\\\""; break;
      case '<': out += "\\u003C"; break;
      case '>': out += "\\u003E"; break;
      case '&': out += "\\u0026"; break;
      case '=': out += "\\u003D"; break;
      default:
        if (u < ' ') {
          out += "\\u00";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xF]);
        } else {
          out.push_back(c);
        }
    }
  }
  return Value::String(std::move(out));
}

}  // namespace

// url.QueryEscape.
std::string QueryEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

namespace {
Value UrlQuery(ExecState&, std::vector<Value>& a, std::string*) { return Value::String(QueryEscape(EvalArgs(a))); }
}  // namespace

const std::vector<FuncSpec>& GoBuiltins() {
  using P = Param;
  static const std::vector<FuncSpec> kFuncs = {
      {"and", {P::kAny}, true, P::kAny, And},
      {"or", {P::kAny}, true, P::kAny, Or},
      {"not", {P::kAny}, false, P::kAny, Not},
      {"len", {P::kAny}, false, P::kAny, Len},
      {"index", {P::kAny}, true, P::kAny, Index},
      {"eq", {P::kAny}, true, P::kAny, Eq},
      {"ne", {P::kAny, P::kAny}, false, P::kAny, Ne},
      {"lt", {P::kAny, P::kAny}, false, P::kAny, Lt},
      {"le", {P::kAny, P::kAny}, false, P::kAny, Le},
      {"gt", {P::kAny, P::kAny}, false, P::kAny, Gt},
      {"ge", {P::kAny, P::kAny}, false, P::kAny, Ge},
      {"print", {}, true, P::kAny, Print},
      {"printf", {P::kString}, true, P::kAny, Printf},
      {"println", {}, true, P::kAny, Println},
      {"html", {}, true, P::kAny, Html},
      {"js", {}, true, P::kAny, Js},
      {"urlquery", {}, true, P::kAny, UrlQuery},
  };
  return kFuncs;
}

}  // namespace gnomon::gotemplate::tmpl
