// GzipCompress: `in` as one gzip member (RFC 1952), with zlib at `level` (1 fastest .. 9 smallest).
// gnomon-ship gzips its push bodies; the console serves its assets gzipped.
#pragma once

#include <string>
#include <string_view>

#include "gnomon/status.h"

namespace gnomon {

Result<std::string> GzipCompress(std::string_view in, int level);

}  // namespace gnomon
