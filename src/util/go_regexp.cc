#include "util/go_regexp.h"

#include <locale.h>
#include <wctype.h>

#include "util/go_strconv.h"

namespace gnomon {

namespace {

// Go's unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_': a rune of a $name (Unicode classes
// from the C.UTF-8 locale, built into glibc since 2.35; ASCII only without it).
bool IsNameRune(char32_t r) {
  if (r < 0x80) return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '_';
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return loc != nullptr && iswalnum_l(static_cast<wint_t>(r), loc);
}

}  // namespace

void GoRegexpExpand(const re2::RE2& re, std::string_view tmpl, const re2::StringPiece* groups, int ngroups,
                    std::string* out) {
  while (!tmpl.empty()) {
    const size_t dollar = tmpl.find('$');
    if (dollar == std::string_view::npos) break;
    out->append(tmpl.substr(0, dollar));
    tmpl.remove_prefix(dollar + 1);
    if (!tmpl.empty() && tmpl[0] == '$') {
      out->push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    // extract(): a leading name or {name}.
    std::string_view rest = tmpl;
    const bool brace = !rest.empty() && rest[0] == '{';
    if (brace) rest.remove_prefix(1);
    size_t n = 0;
    while (n < rest.size()) {
      size_t width = 1;
      const char32_t r = gostr::DecodeRune(rest, n, &width);
      if (!IsNameRune(r)) break;
      n += width;
    }
    if (n == 0 || (brace && (n >= rest.size() || rest[n] != '}'))) {
      out->push_back('$');  // malformed: the $ is literal text
      continue;
    }
    const std::string_view name = rest.substr(0, n);
    tmpl = rest.substr(n + (brace ? 1 : 0));
    int num = 0;
    for (char c : name) {
      if (c < '0' || c > '9' || num >= 100000000) {
        num = -1;
        break;
      }
      num = num * 10 + (c - '0');
    }
    if (name[0] == '0' && name.size() > 1) num = -1;
    if (num < 0) {
      const auto& named = re.NamedCapturingGroups();
      const auto it = named.find(std::string(name));
      num = it == named.end() ? -1 : it->second;
    }
    if (num >= 0 && num < ngroups && groups[num].data() != nullptr) {
      out->append(groups[num].data(), groups[num].size());
    }
  }
  out->append(tmpl);
}

}  // namespace gnomon
