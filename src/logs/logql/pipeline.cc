#include "logs/logql/pipeline.h"

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

#include "logs/logql/line_labels.h"

namespace gnomon::logs::logql {

namespace {

constexpr std::string_view kErrorLabel = "__error__";

// ---- labels of one line --------------------------------------------------------------------

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

}  // namespace gnomon::logs::logql
