// AppendGoJsonString: a JSON string literal exactly as Go's encoding/json writes it, for output
// that must be byte-identical to Prometheus' (query results, label sets, error bodies): `"`, `\`,
// control bytes and also `<`, `>`, `&`, U+2028 and U+2029 escaped; invalid UTF-8 bytes become
// \ufffd. For plain JSON where Go-identity does not matter, util/strings.h's AppendJsonString is
// faster and leaves those bytes as they are.
#pragma once

#include <string>
#include <string_view>

namespace gnomon {

void AppendGoJsonString(std::string* out, std::string_view s);

}  // namespace gnomon
