// Why a text is not JSON, in nlohmann-json's words: for the ingest formats' 400 answers.
#pragma once

#include <string>
#include <string_view>

namespace gnomon::ingest {

// "invalid JSON: <nlohmann's parse message>" for `text`, which failed to parse, without the
// "[json.exception.parse_error.101] " prefix. With `one_line` (a line of a JSON-lines body, whose
// number the caller reports), "at line 1, column N" reads "at column N".
std::string JsonErrorMessage(std::string_view text, bool one_line = false);

}  // namespace gnomon::ingest
