#include "scrape/relabel.h"

#include <locale.h>
#include <openssl/evp.h>
#include <re2/re2.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <map>

#include "index/labels_util.h"
#include "util/go_regexp.h"
#include "util/go_strconv.h"
#include "util/strings.h"

namespace gnomon::scrape {

namespace {

struct ActionName {
  RelabelAction action;
  std::string_view name;
};

constexpr std::array<ActionName, 11> kActions = {{
    {RelabelAction::kReplace, "replace"},
    {RelabelAction::kKeep, "keep"},
    {RelabelAction::kDrop, "drop"},
    {RelabelAction::kKeepEqual, "keepequal"},
    {RelabelAction::kDropEqual, "dropequal"},
    {RelabelAction::kHashMod, "hashmod"},
    {RelabelAction::kLabelMap, "labelmap"},
    {RelabelAction::kLabelDrop, "labeldrop"},
    {RelabelAction::kLabelKeep, "labelkeep"},
    {RelabelAction::kLowercase, "lowercase"},
    {RelabelAction::kUppercase, "uppercase"},
}};

std::shared_ptr<const re2::RE2> CompileAnchored(std::string_view text) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  return std::make_shared<const re2::RE2>("^(?:" + std::string(text) + ")$", options);
}

// Prometheus' relabelTarget: what a replace target_label or a labelmap replacement may look like.
const re2::RE2& RelabelTargetPattern() {
  static const re2::RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return re;
}

// The C.UTF-8 locale (built into glibc since 2.35): Unicode classes and simple case mappings for
// the few places Go consults its unicode tables. Null if unavailable (then ASCII only).
locale_t Utf8Locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc;
}

// Go's strings.ToLower / strings.ToUpper: an ASCII fast path, else every rune mapped (simple case
// mapping) and every invalid byte replaced by U+FFFD, as strings.Map does.
std::string MapCase(std::string_view s, bool upper) {
  std::string out(s);
  bool ascii = true;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      ascii = false;
      break;
    }
    if (upper && u >= 'a' && u <= 'z') c = static_cast<char>(u - 32);
    if (!upper && u >= 'A' && u <= 'Z') c = static_cast<char>(u + 32);
  }
  if (ascii) return out;
  out.clear();
  const locale_t loc = Utf8Locale();
  for (size_t i = 0; i < s.size();) {
    size_t width = 1;
    char32_t r = gostr::DecodeRune(s, i, &width);
    if (loc != nullptr) {
      r = static_cast<char32_t>(upper ? towupper_l(static_cast<wint_t>(r), loc)
                                      : towlower_l(static_cast<wint_t>(r), loc));
    } else if (r < 0x80) {
      r = static_cast<char32_t>(upper ? std::toupper(static_cast<int>(r)) : std::tolower(static_cast<int>(r)));
    }
    AppendUtf8(r, &out);
    i += width;
  }
  return out;
}

// Labels sorted by name: the value of `name`, or "".
std::string_view Get(const Labels& ls, std::string_view name) {
  auto it = std::lower_bound(ls.begin(), ls.end(), name, [](const Label& l, std::string_view n) { return l.name < n; });
  return it != ls.end() && it->name == name ? std::string_view(it->value) : std::string_view();
}

Labels::iterator LowerBound(Labels* ls, std::string_view name) {
  return std::lower_bound(ls->begin(), ls->end(), name, [](const Label& l, std::string_view n) { return l.name < n; });
}

void Del(Labels* ls, std::string_view name) {
  auto first = LowerBound(ls, name);
  auto last = first;
  while (last != ls->end() && last->name == name) ++last;
  ls->erase(first, last);
}

// labels.Builder.Set: an empty value deletes the label.
void Set(Labels* ls, std::string_view name, std::string value) {
  if (value.empty()) return Del(ls, name);
  auto it = LowerBound(ls, name);
  if (it != ls->end() && it->name == name) {
    it->value = std::move(value);
    auto last = it + 1;
    while (last != ls->end() && last->name == name) ++last;
    ls->erase(it + 1, last);
    return;
  }
  ls->insert(it, Label{std::string(name), std::move(value)});
}

// One step (Prometheus' relabel()); false if the label set is dropped.
bool Apply(const RelabelConfig& cfg, Labels* ls) {
  std::string val;
  for (size_t i = 0; i < cfg.source_labels.size(); ++i) {
    if (i > 0) val += cfg.separator;
    val.append(Get(*ls, cfg.source_labels[i]));
  }
  const RelabelRegex& regex = cfg.regex;
  switch (cfg.action) {
    case RelabelAction::kDrop:
      if (regex.Matches(val)) return false;
      break;
    case RelabelAction::kKeep:
      if (!regex.Matches(val)) return false;
      break;
    case RelabelAction::kDropEqual:
      if (Get(*ls, cfg.target_label) == val) return false;
      break;
    case RelabelAction::kKeepEqual:
      if (Get(*ls, cfg.target_label) != val) return false;
      break;
    case RelabelAction::kReplace: {
      const re2::RE2& re = regex.re();
      const int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
      if (!re.Match(val, 0, val.size(), re2::RE2::UNANCHORED, groups.data(), ngroups)) break;
      std::string target;
      GoRegexpExpand(re, cfg.target_label, groups.data(), ngroups, &target);
      if (!index::IsValidLabelName(target)) {
        Del(ls, cfg.target_label);
        break;
      }
      std::string res;
      GoRegexpExpand(re, cfg.replacement, groups.data(), ngroups, &res);
      if (res.empty()) {
        Del(ls, cfg.target_label);
        break;
      }
      Set(ls, target, std::move(res));
      break;
    }
    case RelabelAction::kLowercase: Set(ls, cfg.target_label, MapCase(val, false)); break;
    case RelabelAction::kUppercase: Set(ls, cfg.target_label, MapCase(val, true)); break;
    case RelabelAction::kHashMod: Set(ls, cfg.target_label, std::to_string(HashMod(val, cfg.modulus))); break;
    case RelabelAction::kLabelMap: {
      // Names are matched against the labels as they were before this step; the sets then apply
      // in label order, so of two labels mapped to one name the later wins.
      const re2::RE2& re = regex.re();
      const int ngroups = re.NumberOfCapturingGroups() + 1;
      std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
      std::vector<Label> sets;
      for (const Label& l : *ls) {
        if (!re.Match(l.name, 0, l.name.size(), re2::RE2::UNANCHORED, groups.data(), ngroups)) continue;
        std::string name;
        GoRegexpExpand(re, cfg.replacement, groups.data(), ngroups, &name);
        sets.push_back(Label{std::move(name), l.value});
      }
      for (Label& s : sets) Set(ls, s.name, std::move(s.value));
      break;
    }
    case RelabelAction::kLabelDrop: std::erase_if(*ls, [&](const Label& l) { return regex.Matches(l.name); }); break;
    case RelabelAction::kLabelKeep: std::erase_if(*ls, [&](const Label& l) { return !regex.Matches(l.name); }); break;
  }
  // labels.Builder.Reset drops labels whose value is empty from the step's result.
  std::erase_if(*ls, [](const Label& l) { return l.value.empty(); });
  return true;
}

std::string Quote(std::string_view s) { return GoQuote(s); }

}  // namespace

std::string_view RelabelActionName(RelabelAction action) {
  for (const ActionName& a : kActions) {
    if (a.action == action) return a.name;
  }
  return "?";
}

std::optional<RelabelAction> ParseRelabelAction(std::string_view name) {
  for (const ActionName& a : kActions) {
    if (EqualsIgnoreCase(a.name, name)) return a.action;
  }
  return std::nullopt;
}

RelabelRegex::RelabelRegex() : text_("(.*)") {
  static const std::shared_ptr<const re2::RE2> kDefault = CompileAnchored("(.*)");
  re_ = kDefault;
}

Result<RelabelRegex> RelabelRegex::Compile(std::string_view text) {
  auto re = CompileAnchored(text);
  if (!re->ok()) return Status::InvalidArgument("invalid regex " + Quote(text) + ": " + re->error());
  return RelabelRegex(std::string(text), std::move(re));
}

bool RelabelRegex::Matches(std::string_view s) const { return re2::RE2::FullMatch(s, *re_); }

Status RelabelConfig::Validate() const {
  const std::string_view act = RelabelActionName(action);
  auto fail = [](std::string msg) { return Status::InvalidArgument(std::move(msg)); };
  for (const std::string& s : source_labels) {
    if (!index::IsValidLabelName(s)) return fail(Quote(s) + " is not a valid label name");
  }
  const bool needs_target = action == RelabelAction::kReplace || action == RelabelAction::kHashMod ||
                            action == RelabelAction::kLowercase || action == RelabelAction::kUppercase ||
                            action == RelabelAction::kKeepEqual || action == RelabelAction::kDropEqual;
  const bool target_template = needs_target && action != RelabelAction::kHashMod;
  const bool no_replacement = target_template && action != RelabelAction::kReplace;
  if (modulus == 0 && action == RelabelAction::kHashMod) {
    return fail("relabel configuration for hashmod requires non-zero modulus");
  }
  if (needs_target && target_label.empty()) {
    return fail("relabel configuration for " + std::string(act) + " action requires 'target_label' value");
  }
  if (target_template && !re2::RE2::FullMatch(target_label, RelabelTargetPattern())) {
    return fail(Quote(target_label) + " is invalid 'target_label' for " + std::string(act) + " action");
  }
  if (no_replacement && replacement != "$1") {
    return fail("'replacement' can not be set for " + std::string(act) + " action");
  }
  if (action == RelabelAction::kLabelMap && !re2::RE2::FullMatch(replacement, RelabelTargetPattern())) {
    return fail(Quote(replacement) + " is invalid 'replacement' for " + std::string(act) + " action");
  }
  if (action == RelabelAction::kHashMod && !index::IsValidLabelName(target_label)) {
    return fail(Quote(target_label) + " is invalid 'target_label' for " + std::string(act) + " action");
  }
  if ((action == RelabelAction::kKeepEqual || action == RelabelAction::kDropEqual) &&
      (regex.text() != "(.*)" || modulus != 0 || separator != ";" || replacement != "$1")) {
    return fail(std::string(act) + " action requires only 'source_labels' and `target_label`, and no other fields");
  }
  if ((action == RelabelAction::kLabelDrop || action == RelabelAction::kLabelKeep) &&
      (!source_labels.empty() || !target_label.empty() || modulus != 0 || separator != ";" || replacement != "$1")) {
    return fail(std::string(act) + " action requires only 'regex', and no other fields");
  }
  return Status::OK();
}

uint64_t HashMod(std::string_view value, uint64_t modulus) {
  static const EVP_MD* const kMd5 = EVP_MD_fetch(nullptr, "MD5", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE] = {};
  unsigned int size = 0;
  EVP_Digest(value.data(), value.size(), digest, &size, kMd5, nullptr);
  // sum64: byte i is shifted left by (15 - i) * 8 bits, so only the last 8 bytes survive.
  uint64_t sum = 0;
  for (unsigned int i = 8; i < 16; ++i) sum = (sum << 8) | digest[i];
  return sum % modulus;
}

bool Relabel(const std::vector<RelabelConfig>& configs, Labels* labels) {
  const auto by_name = [](const Label& a, const Label& b) { return a.name < b.name; };
  if (!std::is_sorted(labels->begin(), labels->end(), by_name)) index::SortLabels(labels);
  for (const RelabelConfig& cfg : configs) {
    if (!Apply(cfg, labels)) {
      labels->clear();
      return false;
    }
  }
  return true;
}

}  // namespace gnomon::scrape
