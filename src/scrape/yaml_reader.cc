#include "scrape/yaml_reader.h"

#include <charconv>
#include <map>
#include <set>

#include "index/labels_util.h"
#include "util/duration.h"
#include "util/go_strconv.h"
#include "util/strings.h"

namespace gnomon::scrape {

void YamlReader::Error(const YAML::Node& at, const std::string& msg, const YAML::Node* fallback) {
  YAML::Mark m = at.Mark();
  if (m.is_null() && fallback != nullptr) m = fallback->Mark();
  if (m.is_null()) {
    errors_.push_back(file_ + ": " + msg);
  } else {
    ErrorAt(m.line + 1, m.column + 1, msg);
  }
}

void YamlReader::ErrorAt(int line, int col, const std::string& msg) {
  errors_.push_back(file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + msg);
}

Status YamlReader::ToStatus() const {
  std::string all;
  for (const std::string& e : errors_) all += (all.empty() ? "" : "\n") + e;
  return Status::InvalidArgument(all);
}

bool YamlReader::Fields(const YAML::Node& n, std::string_view what, const FieldFn& fn) {
  if (!n.IsMap()) {
    Error(n, std::string(what) + " must be a mapping");
    return false;
  }
  std::map<std::string, int> seen;
  for (auto it = n.begin(); it != n.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    if (!key.IsScalar()) {
      Error(key, "the keys of " + std::string(what) + " must be strings");
      continue;
    }
    const std::string& name = key.Scalar();
    if (auto [at, fresh] = seen.emplace(name, key.Mark().line + 1); !fresh) {
      Error(key, "mapping key " + GoQuote(name) + " already defined at line " + std::to_string(at->second));
      continue;
    }
    fn(name, key, value);
  }
  return true;
}

void YamlReader::BadField(const YAML::Node& key, const std::string& name, std::string_view what,
                          std::span<const UnsupportedKey> unsupported) {
  for (const UnsupportedKey& u : unsupported) {
    if (u.key == name) return Error(key, GoQuote(name) + " is not supported: " + std::string(u.why));
  }
  Error(key, "unknown field " + GoQuote(name) + " in " + std::string(what));
}

bool YamlReader::String(const YAML::Node& v, const YAML::Node& key, std::string* out) {
  if (v.IsNull()) {
    out->clear();
    return true;
  }
  if (!v.IsScalar()) {
    Error(v, GoQuote(key.Scalar()) + " must be a string", &key);
    return false;
  }
  *out = v.Scalar();
  return true;
}

bool YamlReader::Bool(const YAML::Node& v, const YAML::Node& key, bool* out) {
  if (v.IsNull()) {
    *out = false;
    return true;
  }
  static const std::set<std::string, std::less<>> kTrue = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                                           "True", "TRUE", "on",  "On",  "ON"};
  static const std::set<std::string, std::less<>> kFalse = {"n",     "N",     "no",  "No",  "NO", "false",
                                                            "False", "FALSE", "off", "Off", "OFF"};
  const bool plain = v.IsScalar() && v.Tag() != "!";  // yaml-cpp tags quoted scalars "!"
  if (plain && kTrue.count(v.Scalar()) > 0) {
    *out = true;
  } else if (plain && kFalse.count(v.Scalar()) > 0) {
    *out = false;
  } else {
    Error(v, GoQuote(key.Scalar()) + " must be true or false", &key);
    return false;
  }
  return true;
}

bool YamlReader::Uint(const YAML::Node& v, const YAML::Node& key, uint64_t* out) {
  if (v.IsNull()) {
    *out = 0;
    return true;
  }
  // yaml.v2 resolves a plain scalar as strconv.ParseUint(text without '_', 0): an optional '+',
  // then 0x / 0o / 0b / 0 (octal) prefixes or decimal.
  std::string text;
  if (v.IsScalar() && v.Tag() != "!") {
    for (char c : v.Scalar()) {
      if (c != '_') text.push_back(c);
    }
  }
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  uint64_t base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O')) {
    base = 8;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  bool good = !digits.empty();
  uint64_t n = 0;
  for (size_t i = 0; good && i < digits.size(); ++i) {
    const int d = HexDigitValue(digits[i]);
    if (d < 0 || static_cast<uint64_t>(d) >= base || n > (UINT64_MAX - static_cast<uint64_t>(d)) / base) {
      good = false;
    } else {
      n = n * base + static_cast<uint64_t>(d);
    }
  }
  if (!good) {
    Error(v, GoQuote(key.Scalar()) + " must be a non-negative integer", &key);
    return false;
  }
  *out = n;
  return true;
}

bool YamlReader::Base2Bytes(const YAML::Node& v, const YAML::Node& key, uint64_t* out) {
  std::string text;
  if (!String(v, key, &text)) return false;
  if (v.IsNull() || text == "0") {
    *out = 0;
    return true;
  }
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = std::string_view(text).substr(digits);
  static constexpr std::string_view kPrefixes = "KMGTPE";
  uint64_t n = 0, mult = unit == "B" ? 1 : 0;
  if (const size_t i = kPrefixes.find(unit.empty() ? ' ' : unit[0]); i != std::string_view::npos) {
    if (unit.substr(1) == "B" || unit.substr(1) == "iB") mult = uint64_t{1} << (10 * (i + 1));
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + digits, n);
  if (digits == 0 || mult == 0 || ec != std::errc() || n > UINT64_MAX / mult) {
    Error(v,
          GoQuote(key.Scalar()) + ": invalid size " + GoQuote(text) +
              ": write a whole number and a unit (B, KB, MB, GB, TB, PB, EB; powers of 1024), or 0",
          &key);
    return false;
  }
  *out = n * mult;
  return true;
}

bool YamlReader::Duration(const YAML::Node& v, const YAML::Node& key, int64_t* out) {
  std::string text;
  if (!String(v, key, &text)) return false;
  if (v.IsNull()) {
    *out = 0;
    return true;
  }
  auto d = ParseDurationMs(text);
  if (!d.ok()) {
    Error(v, GoQuote(key.Scalar()) + ": " + d.status().message(), &key);
    return false;
  }
  *out = d.value();
  return true;
}

bool YamlReader::Strings(const YAML::Node& v, const YAML::Node& key, std::vector<std::string>* out) {
  out->clear();
  if (v.IsNull()) return true;
  if (!v.IsSequence()) {
    Error(v, GoQuote(key.Scalar()) + " must be a list of strings", &key);
    return false;
  }
  bool good = true;
  for (const YAML::Node& e : v) {
    if (e.IsNull()) {
      out->emplace_back();
    } else if (e.IsScalar()) {
      out->push_back(e.Scalar());
    } else {
      Error(e, GoQuote(key.Scalar()) + " must be a list of strings");
      good = false;
    }
  }
  return good;
}

bool YamlReader::LabelSet(const YAML::Node& v, const YAML::Node& key, Labels* out) {
  out->clear();
  if (v.IsNull()) return true;
  bool good = true;
  good = Fields(v, GoQuote(key.Scalar()),
                [&](const std::string& name, const YAML::Node& k, const YAML::Node& value) {
                  if (!index::IsValidLabelName(name)) {
                    Error(k, GoQuote(name) + " is not a valid label name");
                    good = false;
                    return;
                  }
                  std::string s;
                  if (String(value, k, &s)) {
                    out->push_back(Label{name, std::move(s)});
                  } else {
                    good = false;
                  }
                }) &&
         good;
  index::SortLabels(out);
  return good;
}

}  // namespace gnomon::scrape
