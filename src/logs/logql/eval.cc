#include "logs/logql/eval.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "gotemplate/template.h"
#include "index/matcher_eval.h"
#include "logs/logql/go_duration.h"
#include "logs/logql/line_filter.h"

namespace gnomon::logs::logql {

namespace {

constexpr std::string_view kErrorLabel = "__error__";

// Saturating time arithmetic: query times and ranges may be anything an int64 holds.
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}
int64_t SatSub(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? INT64_MIN : INT64_MAX;
  return r;
}
int64_t RangeNs(int64_t range_ms) { return range_ms > INT64_MAX / 1'000'000 ? INT64_MAX : range_ms * 1'000'000; }

// ---- labels of one line --------------------------------------------------------------------

const std::string* Get(const Labels& ls, std::string_view name) {
  for (const Label& l : ls) {
    if (l.name == name) return &l.value;
  }
  return nullptr;
}

void Set(Labels* ls, std::string_view name, std::string value) {
  for (Label& l : *ls) {
    if (l.name == name) {
      l.value = std::move(value);
      return;
    }
  }
  ls->push_back({std::string(name), std::move(value)});
}

void SortLabels(Labels* ls) {
  std::sort(ls->begin(), ls->end(), [](const Label& a, const Label& b) { return a.name < b.name; });
}

std::string LabelsKey(const Labels& ls) {
  std::string k;
  for (const Label& l : ls) {
    k += l.name;
    k.push_back('\xff');
    k += l.value;
    k.push_back('\xff');
  }
  return k;
}

bool LabelsLess(const Labels& a, const Labels& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](const Label& x, const Label& y) {
    return x.name != y.name ? x.name < y.name : x.value < y.value;
  });
}

// Adds an extracted label: stream-label clashes get "_extracted".
void AddExtracted(Labels* ls, const Labels& stream, std::string name, std::string value) {
  if (name.empty()) return;
  for (const Label& l : stream) {
    if (l.name == name) {
      name += "_extracted";
      break;
    }
  }
  Set(ls, name, std::move(value));
}

// ---- parsers -------------------------------------------------------------------------------

std::string JsonValueText(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void FlattenJson(const nlohmann::json& obj, const std::string& prefix, Labels* ls, const Labels& stream) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    std::string name =
        prefix.empty() ? SanitizeLabelName(it.key(), true) : prefix + "_" + SanitizeLabelName(it.key(), false);
    const nlohmann::json& v = it.value();
    if (v.is_object()) {
      FlattenJson(v, name, ls, stream);
    } else if (!v.is_array()) {
      AddExtracted(ls, stream, std::move(name), JsonValueText(v));
    }
  }
}

// Loki's JSON expression: `a.b`, `a[0]`, `a.b[1].c`, `["a b"]`. nullptr if it does not resolve.
const nlohmann::json* JsonPath(const nlohmann::json& root, std::string_view path) {
  const nlohmann::json* cur = &root;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos) return nullptr;
      std::string_view inner = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (inner.size() >= 2 && inner.front() == '"' && inner.back() == '"') {
        const std::string key(inner.substr(1, inner.size() - 2));
        if (!cur->is_object() || !cur->contains(key)) return nullptr;
        cur = &(*cur)[key];
      } else {
        size_t n = 0;
        if (inner.empty() || inner.find_first_not_of("0123456789") != std::string_view::npos) return nullptr;
        for (char c : inner) n = n * 10 + static_cast<size_t>(c - '0');
        if (!cur->is_array() || n >= cur->size()) return nullptr;
        cur = &(*cur)[n];
      }
      continue;
    }
    size_t end = path.find_first_of(".[", i);
    if (end == std::string_view::npos) end = path.size();
    const std::string key(path.substr(i, end - i));
    if (!cur->is_object() || !cur->contains(key)) return nullptr;
    cur = &(*cur)[key];
    i = end;
  }
  return cur;
}

// go-logfmt as Loki reads it: `key=value`, `key="quoted \" value"`, a bare `key` (value "").
// False on malformed input (an unterminated quote, `=` without a key).
bool ParseLogfmt(std::string_view in, std::vector<std::pair<std::string, std::string>>* out) {
  size_t i = 0;
  const size_t n = in.size();
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < n) {
    while (i < n && is_space(in[i])) ++i;
    if (i >= n) break;
    const size_t ks = i;
    while (i < n && !is_space(in[i]) && in[i] != '=' && in[i] != '"') ++i;
    if (i < n && in[i] == '"') return false;
    std::string key(in.substr(ks, i - ks));
    if (key.empty()) return false;  // "=value"
    std::string value;
    if (i < n && in[i] == '=') {
      ++i;
      if (i < n && in[i] == '"') {
        ++i;
        bool closed = false;
        while (i < n) {
          const char c = in[i++];
          if (c == '"') {
            closed = true;
            break;
          }
          if (c == '\\' && i < n) {
            const char e = in[i++];
            switch (e) {
              case 'n': value.push_back('\n'); break;
              case 't': value.push_back('\t'); break;
              case 'r': value.push_back('\r'); break;
              default: value.push_back(e); break;
            }
          } else {
            value.push_back(c);
          }
        }
        if (!closed) return false;
      } else {
        const size_t vs = i;
        while (i < n && !is_space(in[i])) {
          if (in[i] == '"' || in[i] == '=') return false;
          ++i;
        }
        value.assign(in.substr(vs, i - vs));
      }
    }
    out->emplace_back(std::move(key), std::move(value));
  }
  return true;
}

// ---- label filters -------------------------------------------------------------------------

struct CompiledLabelFilter {
  LabelFilter::Kind kind = LabelFilter::Kind::kString;
  std::optional<index::CompiledMatcher> matcher;
  std::string name;
  CompareOp op = CompareOp::kEq;
  double number = 0;
  int64_t duration_ns = 0;
  std::unique_ptr<CompiledLabelFilter> left, right;
};

Result<std::unique_ptr<CompiledLabelFilter>> CompileFilter(const LabelFilter& f) {
  auto c = std::make_unique<CompiledLabelFilter>();
  c->kind = f.kind;
  c->name = f.name;
  c->op = f.op;
  c->number = f.number;
  c->duration_ns = f.duration_ns;
  if (f.kind == LabelFilter::Kind::kString) {
    auto m = index::CompiledMatcher::Compile(f.matcher);
    if (!m.ok()) return m.status();
    c->matcher.emplace(std::move(m.value()));
  } else if (f.kind == LabelFilter::Kind::kAnd || f.kind == LabelFilter::Kind::kOr) {
    auto l = CompileFilter(*f.left);
    if (!l.ok()) return l.status();
    auto r = CompileFilter(*f.right);
    if (!r.ok()) return r.status();
    c->left = std::move(l.value());
    c->right = std::move(r.value());
  }
  return c;
}

template <typename T>
bool Compare(CompareOp op, T a, T b) {
  switch (op) {
    case CompareOp::kEq: return a == b;
    case CompareOp::kNeq: return a != b;
    case CompareOp::kGt: return a > b;
    case CompareOp::kGte: return a >= b;
    case CompareOp::kLt: return a < b;
    case CompareOp::kLte: return a <= b;
  }
  return false;
}

bool ParseNumber(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

// As Loki's label filters: once a line has an error, only string matchers filter it.
bool RunFilter(const CompiledLabelFilter& f, Labels* ls) {
  switch (f.kind) {
    case LabelFilter::Kind::kString: {
      const std::string* v = Get(*ls, f.matcher->name());
      return f.matcher->Matches(v ? std::string_view(*v) : std::string_view());
    }
    case LabelFilter::Kind::kNumber:
    case LabelFilter::Kind::kDuration: {
      if (Get(*ls, kErrorLabel)) return true;
      const std::string* v = Get(*ls, f.name);
      if (!v) return f.op == CompareOp::kNeq;
      if (f.kind == LabelFilter::Kind::kNumber) {
        double x = 0;
        if (!ParseNumber(*v, &x)) {
          Set(ls, kErrorLabel, "LabelFilterErr");
          return true;
        }
        return Compare(f.op, x, f.number);
      }
      auto d = ParseGoDuration(*v);
      if (!d.ok()) {
        Set(ls, kErrorLabel, "LabelFilterErr");
        return true;
      }
      return Compare(f.op, *d, f.duration_ns);
    }
    case LabelFilter::Kind::kAnd: return RunFilter(*f.left, ls) && RunFilter(*f.right, ls);
    case LabelFilter::Kind::kOr: return RunFilter(*f.left, ls) || RunFilter(*f.right, ls);
  }
  return true;
}

// Loki's line_format sees labels as `.name`; gotemplate's data has them under `.Labels`, so
// field references at the start of a chain (`.name`, not `$x.name` or `.a.b`'s `.b`) are
// rewritten to `.Labels.name` inside actions, outside string literals.
std::string RewriteTemplateFields(std::string_view t) {
  std::string out;
  size_t i = 0;
  while (i < t.size()) {
    const size_t open = t.find("{{", i);
    if (open == std::string_view::npos) {
      out.append(t.substr(i));
      break;
    }
    out.append(t.substr(i, open + 2 - i));
    i = open + 2;
    char quote = 0;
    while (i < t.size()) {
      const char c = t[i];
      if (quote) {
        out.push_back(c);
        if (c == '\\' && quote != '`' && i + 1 < t.size()) {
          out.push_back(t[++i]);
        } else if (c == quote) {
          quote = 0;
        }
        ++i;
        continue;
      }
      if (c == '}' && i + 1 < t.size() && t[i + 1] == '}') break;
      if (c == '"' || c == '`' || c == '\'') {
        quote = c;
      } else if (c == '.' && i + 1 < t.size() &&
                 (std::isalpha(static_cast<unsigned char>(t[i + 1])) || t[i + 1] == '_')) {
        const char prev = out.empty() ? ' ' : out.back();
        if (!(std::isalnum(static_cast<unsigned char>(prev)) || prev == '_' || prev == ')' || prev == '$' ||
              prev == ']')) {
          out += ".Labels";
        }
      }
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

// ---- compiled stages -----------------------------------------------------------------------

struct CompiledStage {
  enum class Kind { kLineFilter, kJson, kLogfmt, kLabelFilter, kLineFormat, kLabels } kind;
  LineFilter line_filter;
  std::vector<ParserStage::Param> json_params;
  std::unique_ptr<CompiledLabelFilter> label_filter;
  std::unique_ptr<gotemplate::Template> line_format;
  bool keep = false;
  struct Item {
    std::string name;
    std::optional<index::CompiledMatcher> matcher;
  };
  std::vector<Item> items;
};

}  // namespace

std::string SanitizeLabelName(std::string_view name, bool is_prefix) {
  while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  std::string out;
  if (name.empty()) return out;
  if (is_prefix && name[0] >= '0' && name[0] <= '9') out.push_back('_');
  for (size_t i = 0; i < name.size();) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    const bool ok = std::isalnum(c) || c == '_';
    out.push_back(ok && c < 0x80 ? static_cast<char>(c) : '_');
    // One '_' per UTF-8 character, as strings.Map works on runes.
    size_t len = 1;
    if (c >= 0xF0) {
      len = 4;
    } else if (c >= 0xE0) {
      len = 3;
    } else if (c >= 0xC0) {
      len = 2;
    }
    i += std::min(len, name.size() - i);
  }
  return out;
}

struct Pipeline::Impl {
  std::vector<CompiledStage> stages;
  bool has_parser = false;
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

Result<Pipeline> Pipeline::Compile(const std::vector<Stage>& stages) {
  auto impl = std::make_unique<Impl>();
  for (const Stage& s : stages) {
    CompiledStage c{};
    if (const auto* lf = std::get_if<LineFilterStage>(&s)) {
      c.kind = CompiledStage::Kind::kLineFilter;
      auto f = LineFilter::Compile({*lf});
      if (!f.ok()) return f.status();
      c.line_filter = std::move(f.value());
    } else if (const auto* p = std::get_if<ParserStage>(&s)) {
      c.kind = p->kind == ParserStage::Kind::kJson ? CompiledStage::Kind::kJson : CompiledStage::Kind::kLogfmt;
      c.json_params = p->params;
      impl->has_parser = true;
    } else if (const auto* f = std::get_if<LabelFilterStage>(&s)) {
      c.kind = CompiledStage::Kind::kLabelFilter;
      auto compiled = CompileFilter(*f->filter);
      if (!compiled.ok()) return compiled.status();
      c.label_filter = std::move(compiled.value());
    } else if (const auto* lf2 = std::get_if<LineFormatStage>(&s)) {
      c.kind = CompiledStage::Kind::kLineFormat;
      auto t = gotemplate::Template::Parse("line", RewriteTemplateFields(lf2->template_text));
      if (!t.ok()) return Status::InvalidArgument("line_format: " + t.status().message());
      c.line_format = std::make_unique<gotemplate::Template>(std::move(t.value()));
    } else if (const auto* ls = std::get_if<LabelsStage>(&s)) {
      c.kind = CompiledStage::Kind::kLabels;
      c.keep = ls->keep;
      for (const LabelsStage::Item& item : ls->items) {
        CompiledStage::Item ci;
        ci.name = item.name;
        if (item.has_matcher) {
          auto m = index::CompiledMatcher::Compile(item.matcher);
          if (!m.ok()) return m.status();
          ci.matcher.emplace(std::move(m.value()));
        }
        c.items.push_back(std::move(ci));
      }
    }
    impl->stages.push_back(std::move(c));
  }
  return Pipeline(std::move(impl));
}

bool Pipeline::Process(std::string* line, Labels* labels) const {
  // The stream's own labels, for the `_extracted` rule (later stages may drop or add labels).
  Labels stream;
  if (impl_->has_parser) stream = *labels;
  std::vector<std::pair<std::string, std::string>> kv;
  for (const CompiledStage& c : impl_->stages) {
    switch (c.kind) {
      case CompiledStage::Kind::kLineFilter:
        if (!c.line_filter.Matches(*line)) return false;
        break;
      case CompiledStage::Kind::kJson: {
        nlohmann::json doc = nlohmann::json::parse(*line, nullptr, false);
        if (doc.is_discarded() || !doc.is_object()) {
          Set(labels, kErrorLabel, "JSONParserErr");
          break;
        }
        if (c.json_params.empty()) {
          FlattenJson(doc, "", labels, stream);
        } else {
          for (const ParserStage::Param& p : c.json_params) {
            const nlohmann::json* v = JsonPath(doc, p.expression);
            AddExtracted(labels, stream, p.label, v ? JsonValueText(*v) : std::string());
          }
        }
        break;
      }
      case CompiledStage::Kind::kLogfmt:
        kv.clear();
        if (!ParseLogfmt(*line, &kv)) {
          Set(labels, kErrorLabel, "LogfmtParserErr");
          break;
        }
        for (auto& [k, v] : kv) AddExtracted(labels, stream, SanitizeLabelName(k, true), std::move(v));
        break;
      case CompiledStage::Kind::kLabelFilter:
        if (!RunFilter(*c.label_filter, labels)) return false;
        break;
      case CompiledStage::Kind::kLineFormat: {
        gotemplate::TemplateData data;
        for (const Label& l : *labels) data.labels[l.name] = l.value;
        auto r = c.line_format->Execute(data, {});
        if (r.ok()) {
          *line = std::move(r.value());
        } else {
          Set(labels, kErrorLabel, "TemplateFormatErr");
        }
        break;
      }
      case CompiledStage::Kind::kLabels: {
        auto listed = [&](const Label& l) {
          for (const CompiledStage::Item& item : c.items) {
            if (item.name == l.name && (!item.matcher || item.matcher->Matches(l.value))) return true;
          }
          return false;
        };
        std::erase_if(*labels, [&](const Label& l) { return c.keep ? !listed(l) : listed(l); });
        break;
      }
    }
  }
  SortLabels(labels);
  return true;
}

LineSource StoreSource(const LogStore& store) {
  return [&store](const Matchers& m, int64_t start, int64_t end, bool backward,
                  const std::function<bool(const StoredLine&)>& visit) {
    return store.ForEach(m, start, end, backward, visit);
  };
}

namespace {

Status BudgetError(const EvalLimits& limits) {
  return Status::ResourceExhausted(fmt::format(
      "the query would read more than {} log lines (the per-query budget); narrow its stream selector or time range",
      limits.max_lines_scanned));
}

}  // namespace

Result<LogQueryResult> EvalLogQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                    size_t limit, bool backward, const EvalLimits& limits) {
  const auto* sel = std::get_if<LogSelector>(&query.node);
  if (!sel) return Status::InvalidArgument("not a log query");
  auto pipeline = Pipeline::Compile(sel->pipeline);
  if (!pipeline.ok()) return pipeline.status();
  LogQueryResult result;
  std::map<std::string, size_t> index;  // labels key -> position in result.streams
  size_t taken = 0;
  bool over_budget = false;
  if (limit == 0) return result;
  std::string line;
  Labels labels;
  Status s = source(sel->matchers, start_ns, end_ns, backward, [&](const StoredLine& l) {
    if (++result.stats.lines_scanned > limits.max_lines_scanned) {
      over_budget = true;
      return false;
    }
    result.stats.bytes_scanned += l.line.size();
    line = l.line;
    labels = *l.stream;
    if (!pipeline->Process(&line, &labels)) return true;
    auto [it, fresh] = index.try_emplace(LabelsKey(labels), result.streams.size());
    if (fresh) result.streams.push_back({labels, {}});
    result.streams[it->second].entries.emplace_back(l.ts_ns, std::move(line));
    return ++taken < limit;
  });
  GNOMON_RETURN_IF_ERROR(s);
  if (over_budget) return BudgetError(limits);
  std::sort(result.streams.begin(), result.streams.end(),
            [](const StreamResult& a, const StreamResult& b) { return LabelsLess(a.labels, b.labels); });
  return result;
}

namespace {

using Vector = std::vector<std::pair<Labels, double>>;  // one step's samples

struct RangeSeries {
  Labels labels;
  std::vector<int64_t> ts;      // ascending
  std::vector<uint64_t> bytes;  // prefix sums: bytes[i] = bytes of lines [0, i)
};

Labels Grouped(const Labels& ls, const VectorAggregation& agg) {
  Labels out;
  if (!agg.has_grouping) return out;
  for (const Label& l : ls) {
    const bool listed = std::find(agg.grouping.begin(), agg.grouping.end(), l.name) != agg.grouping.end();
    if (listed != agg.without) out.push_back(l);
  }
  return out;
}

Vector Aggregate(const VectorAggregation& agg, Vector in) {
  struct Group {
    Labels labels;
    double sum = 0, min = 0, max = 0, mean = 0, m2 = 0;
    size_t count = 0;
    std::vector<std::pair<Labels, double>> members;
  };
  std::map<std::string, Group> groups;
  for (auto& [labels, v] : in) {
    Labels g = Grouped(labels, agg);
    Group& gr = groups[LabelsKey(g)];
    if (gr.count == 0) {
      gr.labels = std::move(g);
      gr.min = gr.max = v;
    }
    ++gr.count;
    gr.sum += v;
    gr.min = std::min(gr.min, v);
    gr.max = std::max(gr.max, v);
    const double delta = v - gr.mean;
    gr.mean += delta / static_cast<double>(gr.count);
    gr.m2 += delta * (v - gr.mean);
    if (agg.op == VectorOp::kTopk || agg.op == VectorOp::kBottomk) gr.members.emplace_back(std::move(labels), v);
  }
  Vector out;
  for (auto& [key, g] : groups) {
    const double n = static_cast<double>(g.count);
    switch (agg.op) {
      case VectorOp::kSum: out.emplace_back(g.labels, g.sum); break;
      case VectorOp::kAvg: out.emplace_back(g.labels, g.sum / n); break;
      case VectorOp::kMin: out.emplace_back(g.labels, g.min); break;
      case VectorOp::kMax: out.emplace_back(g.labels, g.max); break;
      case VectorOp::kCount: out.emplace_back(g.labels, n); break;
      case VectorOp::kStdvar: out.emplace_back(g.labels, g.m2 / n); break;
      case VectorOp::kStddev: out.emplace_back(g.labels, std::sqrt(g.m2 / n)); break;
      case VectorOp::kTopk:
      case VectorOp::kBottomk: {
        const bool top = agg.op == VectorOp::kTopk;
        std::stable_sort(g.members.begin(), g.members.end(),
                         [&](const auto& a, const auto& b) { return top ? a.second > b.second : a.second < b.second; });
        const size_t k = std::min(g.members.size(), static_cast<size_t>(agg.k));
        for (size_t i = 0; i < k; ++i) out.push_back(std::move(g.members[i]));
        break;
      }
    }
  }
  return out;
}

// The vector of `e` at step t, from the range aggregation's series.
Vector EvalAt(const Expr& e, const std::vector<RangeSeries>& series, const Matchers& matchers, int64_t t) {
  if (const auto* agg = std::get_if<VectorAggregation>(&e.node)) {
    return Aggregate(*agg, EvalAt(*agg->expr, series, matchers, t));
  }
  const auto& ra = std::get<RangeAggregation>(e.node);
  const int64_t range_ns = RangeNs(ra.range.range_ms);
  const double range_s = static_cast<double>(ra.range.range_ms) / 1000.0;
  Vector out;
  // Window (t - range, t]: lines with ts > t - range and ts <= t.
  for (const RangeSeries& s : series) {
    const size_t lo =
        static_cast<size_t>(std::upper_bound(s.ts.begin(), s.ts.end(), SatSub(t, range_ns)) - s.ts.begin());
    const size_t hi = static_cast<size_t>(std::upper_bound(s.ts.begin(), s.ts.end(), t) - s.ts.begin());
    if (hi <= lo) continue;
    const double count = static_cast<double>(hi - lo);
    const double bytes = static_cast<double>(s.bytes[hi] - s.bytes[lo]);
    switch (ra.op) {
      case RangeOp::kCountOverTime: out.emplace_back(s.labels, count); break;
      case RangeOp::kRate: out.emplace_back(s.labels, count / range_s); break;
      case RangeOp::kBytesOverTime: out.emplace_back(s.labels, bytes); break;
      case RangeOp::kBytesRate: out.emplace_back(s.labels, bytes / range_s); break;
      case RangeOp::kAbsentOverTime: out.emplace_back(Labels{}, 1); break;
    }
  }
  if (ra.op == RangeOp::kAbsentOverTime) {
    if (!out.empty()) return {};
    // As absent(): the equality matchers' labels, once.
    Labels ls;
    for (const Matcher& m : matchers) {
      if (m.type == Matcher::Type::kEqual) Set(&ls, m.name, m.value);
    }
    SortLabels(&ls);
    return {{ls, 1}};
  }
  return out;
}

}  // namespace

Result<MetricResult> EvalMetricQuery(const LineSource& source, const Expr& query, int64_t start_ns, int64_t end_ns,
                                     int64_t step_ns, const EvalLimits& limits) {
  if (query.IsLogQuery()) return Status::InvalidArgument("not a metric query");
  if (step_ns <= 0) return Status::InvalidArgument("zero or negative query resolution step widths are not accepted");
  if (end_ns < start_ns) return Status::InvalidArgument("the query's end is before its start");
  const double steps = (static_cast<double>(end_ns) - static_cast<double>(start_ns)) / static_cast<double>(step_ns);
  if (steps >= static_cast<double>(limits.max_steps)) {
    return Status::InvalidArgument(fmt::format(
        "exceeded maximum resolution of {} points per timeseries. Try increasing the value of the step parameter",
        limits.max_steps));
  }
  const LogSelector& sel = SelectorOf(query);
  const int64_t range_ns = RangeNs(RangeOf(query));
  auto pipeline = Pipeline::Compile(sel.pipeline);
  if (!pipeline.ok()) return pipeline.status();
  // A sum directly over count_over_time/rate/bytes_*: those are additive, so lines are counted
  // per group of the sum right away (`sum by (level) (count_over_time({...} | json [5m]))` keeps
  // one series per level, however many label sets the lines have).
  const VectorAggregation* pushdown = nullptr;
  for (const Expr* e = &query; const auto* agg = std::get_if<VectorAggregation>(&e->node); e = agg->expr.get()) {
    pushdown = agg;
  }
  if (pushdown && (pushdown->op != VectorOp::kSum ||
                   std::get<RangeAggregation>(pushdown->expr->node).op == RangeOp::kAbsentOverTime)) {
    pushdown = nullptr;
  }
  MetricResult result;
  std::vector<RangeSeries> series;
  std::map<std::string, size_t> index;
  bool over_budget = false, too_many = false;
  std::string line;
  Labels labels;
  // Every window (t - range, t] for t in [start, end] lies in [start - range + 1, end + 1).
  const int64_t from = SatAdd(SatSub(start_ns, range_ns), 1);
  const int64_t to = SatAdd(end_ns, 1);
  Status s = source(sel.matchers, from, to, false, [&](const StoredLine& l) {
    if (++result.stats.lines_scanned > limits.max_lines_scanned) {
      over_budget = true;
      return false;
    }
    result.stats.bytes_scanned += l.line.size();
    line = l.line;
    labels = *l.stream;
    if (!pipeline->Process(&line, &labels)) return true;
    if (pushdown) labels = Grouped(labels, *pushdown);
    auto [it, fresh] = index.try_emplace(LabelsKey(labels), series.size());
    if (fresh) {
      if (series.size() >= limits.max_series) {
        too_many = true;
        return false;
      }
      series.push_back({labels, {}, {0}});
    }
    RangeSeries& rs = series[it->second];
    rs.ts.push_back(l.ts_ns);
    rs.bytes.push_back(rs.bytes.back() + line.size());
    return true;
  });
  GNOMON_RETURN_IF_ERROR(s);
  if (over_budget) return BudgetError(limits);
  if (too_many) {
    return Status::ResourceExhausted(fmt::format(
        "the query has more than {} series; aggregate them (sum by ...) or narrow the query", limits.max_series));
  }
  std::map<std::string, size_t> out_index;
  for (int64_t t = start_ns;; t += step_ns) {
    for (auto& [ls, v] : EvalAt(query, series, sel.matchers, t)) {
      auto [it, fresh] = out_index.try_emplace(LabelsKey(ls), result.series.size());
      if (fresh) result.series.push_back({ls, {}});
      result.series[it->second].points.emplace_back(t, v);
    }
    // The next step is past the end (end_ns >= t, so the difference fits in a uint64_t).
    if (static_cast<uint64_t>(end_ns) - static_cast<uint64_t>(t) < static_cast<uint64_t>(step_ns)) break;
  }
  std::sort(result.series.begin(), result.series.end(),
            [](const MetricSeries& a, const MetricSeries& b) { return LabelsLess(a.labels, b.labels); });
  return result;
}

}  // namespace gnomon::logs::logql
