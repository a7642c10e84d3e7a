// Timestamps as text: RFC 3339 in UTC, as the Prometheus API and the CLI print them.
#pragma once

#include <cstdint>
#include <string>

namespace gnomon {

// RFC 3339 in UTC: "2023-11-14T22:13:20Z", with ".123" when the milliseconds are not zero.
std::string FormatRfc3339(int64_t ms);

}  // namespace gnomon
