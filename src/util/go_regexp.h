// GoRegexpExpand: Go's regexp.Expand with a string source, for what mirrors Go code that uses it —
// Prometheus' relabelling (replacement, target_label) and the alert templates' reReplaceAll.
// `tmpl` is appended to *out with $1, ${1}, $name and ${name} replaced by that submatch of
// `groups` (empty if out of range, unnamed or not participating) and $$ by $; a $ not followed by
// a well-formed reference stays as it is. A name is Go's: letters, digits and '_' (Unicode classes
// through the C.UTF-8 locale).
#pragma once

#include <re2/re2.h>

#include <string>
#include <string_view>

namespace gnomon {

void GoRegexpExpand(const re2::RE2& re, std::string_view tmpl, const re2::StringPiece* groups, int ngroups,
                    std::string* out);

}  // namespace gnomon
