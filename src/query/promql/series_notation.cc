#include "query/promql/series_notation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "index/labels_util.h"
#include "query/promql/lexer.h"
#include "util/stale_marker.h"

namespace gnomon::promql {

namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }

// One number as Go's strconv.ParseFloat reads it, plus `stale`.
Result<double> ParseNumber(std::string_view s) {
  if (s == "stale") return StaleNaN();
  std::string_view body = s;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lower(body);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "inf" || lower == "infinity") return negative ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  double v = 0;
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || end != body.data() + body.size() || body.empty() ||
      !(std::isdigit(static_cast<unsigned char>(body[0])) || body[0] == '.')) {
    return Status::InvalidArgument("bad number \"" + std::string(s) + "\"");
  }
  return negative ? -v : v;
}

}  // namespace

Result<Labels> ParseSeriesDescription(std::string_view text, size_t* consumed) {
  size_t i = 0;
  while (i < text.size() && IsSpace(text[i])) ++i;
  Labels labels;
  const size_t name_begin = i;
  while (i < text.size() && IsNameChar(text[i])) ++i;
  if (i > name_begin) {
    std::string name(text.substr(name_begin, i - name_begin));
    if (!index::IsValidMetricName(name)) return Status::InvalidArgument("invalid metric name \"" + name + "\"");
    labels.push_back({kMetricNameLabel, std::move(name)});
  }
  const bool braces = i < text.size() && text[i] == '{';
  if (braces) {
    ++i;
    for (;;) {
      while (i < text.size() && (IsSpace(text[i]) || text[i] == ',')) ++i;
      if (i >= text.size()) return Status::InvalidArgument("unterminated label set in series \"" + std::string(text) + "\"");
      if (text[i] == '}') {
        ++i;
        break;
      }
      const size_t n0 = i;
      while (i < text.size() && IsNameChar(text[i])) ++i;
      std::string name(text.substr(n0, i - n0));
      if (!index::IsValidLabelName(name)) {
        return Status::InvalidArgument("invalid label name at offset " + std::to_string(n0) + " in series \"" +
                                       std::string(text) + "\"");
      }
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (i >= text.size() || text[i] != '=' || (i + 1 < text.size() && text[i + 1] == '~')) {
        return Status::InvalidArgument("expected \"=\" after label \"" + name + "\" in series \"" + std::string(text) + "\"");
      }
      ++i;
      while (i < text.size() && IsSpace(text[i])) ++i;
      std::string value;
      size_t used = 0;
      Status s = promql::UnquoteStringLiteral(text.substr(i), &value, &used);
      if (!s.ok()) return Status::InvalidArgument("label \"" + name + "\": " + s.message());
      i += used;
      labels.push_back({std::move(name), std::move(value)});
    }
  }
  if (labels.empty() && !braces) return Status::InvalidArgument("empty series description \"" + std::string(text) + "\"");
  std::sort(labels.begin(), labels.end());
  for (size_t k = 1; k < labels.size(); ++k) {
    if (labels[k].name == labels[k - 1].name) {
      return Status::InvalidArgument("label \"" + labels[k].name + "\" given twice in series \"" + std::string(text) + "\"");
    }
  }
  if (consumed != nullptr) *consumed = i;
  return labels;
}

Result<std::vector<std::optional<double>>> ParseSeriesValues(std::string_view text) {
  constexpr int64_t kMaxExpansion = 10'000'000;
  std::vector<std::optional<double>> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size()) break;
    size_t j = i;
    while (j < text.size() && !IsSpace(text[j])) ++j;
    const std::string_view tok = text.substr(i, j - i);
    i = j;
    if (tok == "_") {
      out.push_back(std::nullopt);
      continue;
    }
    // `...xN`: the last 'x' followed by digits only.
    const size_t x = tok.rfind('x');
    if (x != std::string_view::npos && x > 0 && x + 1 < tok.size() &&
        std::all_of(tok.begin() + static_cast<ptrdiff_t>(x) + 1, tok.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      int64_t n = 0;
      auto [end, ec] = std::from_chars(tok.data() + x + 1, tok.data() + tok.size(), n);
      if (ec != std::errc() || n > kMaxExpansion || static_cast<int64_t>(out.size()) + n > kMaxExpansion) {
        return Status::InvalidArgument("repetition count too large in \"" + std::string(tok) + "\"");
      }
      const std::string_view base = tok.substr(0, x);
      if (base == "_") {
        out.insert(out.end(), static_cast<size_t>(n), std::nullopt);
        continue;
      }
      // a+b or a-b: the operator is neither a leading sign nor part of an exponent.
      size_t op = std::string_view::npos;
      for (size_t k = 1; k < base.size(); ++k) {
        if ((base[k] == '+' || base[k] == '-') && base[k - 1] != 'e' && base[k - 1] != 'E') op = k;
      }
      double a = 0, d = 0;
      if (op == std::string_view::npos) {
        auto r = ParseNumber(base);
        if (!r.ok()) return r.status();
        a = r.value();
      } else {
        auto ra = ParseNumber(base.substr(0, op));
        auto rd = ParseNumber(base.substr(op + 1));
        if (!ra.ok()) return ra.status();
        if (!rd.ok()) return rd.status();
        a = ra.value();
        d = base[op] == '-' ? -rd.value() : rd.value();
      }
      // Accumulated as Prometheus' parser does (a, a+b, (a+b)+b, ...), for bit-identical values.
      for (int64_t k = 0; k <= n; ++k, a += d) out.push_back(a);
      continue;
    }
    auto r = ParseNumber(tok);
    if (!r.ok()) return r.status();
    out.push_back(r.value());
  }
  return out;
}

}  // namespace gnomon::promql
