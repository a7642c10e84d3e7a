// Series selectors as PromQL writes them: `metric{label="v", other=~"re.*"}`, `{__name__="m"}`,
// or a bare `metric`. Used for `match[]` parameters. String literals follow PromQL (Go) rules:
// "double" and 'single' quotes with escapes (\n \t \\ \" \' \xFF \u1234 \U0001F600 \101), or
// `raw` backticks. Errors name the byte offset and what was expected.
#pragma once

#include <string>
#include <string_view>

#include "gnomon/matcher.h"
#include "gnomon/status.h"

namespace gnomon::query {

Result<Matchers> ParseSeriesSelector(std::string_view text);

// Decodes the quoted string literal at the start of `text` (opening quote included). On success
// stores the value and the number of bytes consumed.
Status UnquoteStringLiteral(std::string_view text, std::string* value, size_t* consumed);

}  // namespace gnomon::query
