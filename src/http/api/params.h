// Parsing of API parameters as Prometheus accepts them: timestamps as RFC 3339 or Unix seconds
// (with a fraction), e.g. "2023-11-14T22:13:20.5Z" or "1699999999.5".
#pragma once

#include <cstdint>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon::api {

// Milliseconds since the epoch. InvalidArgument naming the text on failure.
Result<int64_t> ParseTimeParam(std::string_view text);

}  // namespace gnomon::api
