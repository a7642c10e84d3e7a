// The encoding of one segment block's lines (layout: docs/format/logs.md), before zstd.
//
// A line leaves out what the segment already holds: its own time, when the line carries it in the
// nine-digit RFC 3339 form (the segment's time column has it), and its correlation ID (the
// segment's ID dictionary has it). A line that is one JSON object in compact form
// (`{"k":v,"k2":v2}`, no space between the members) is split by key: the block keeps each
// distinct key sequence once and each key's values together, in row order, so the values of one
// field compress together (a third smaller than whole lines on the kit's data). Any other line is
// kept whole. Rows are stored grouped by ID (the decoder knows the IDs, so the order costs
// nothing), so a request's lines sit together however dense the traffic. Decoding puts every line
// back byte for byte.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"

namespace gnomon::logs::segment {

struct BlockLine {
  std::string_view line;
  int64_t ts_ns = 0;
  std::string_view id;   // "" when none
  uint32_t id_rank = 0;  // the ID's place in the segment's sorted IDs, from 1 (0: none)
};

// Appends the encoding of `lines` to *out.
void EncodeBlockLines(const std::vector<BlockLine>& lines, std::string* out);

// The lines of a block, put back together.
struct DecodedLines {
  std::string text;                              // every line, back to back
  std::vector<std::pair<size_t, size_t>> spans;  // per row: offset in text, length
  std::vector<size_t> time_at;                   // per row: where its left-out time went (npos: none)
  std::string_view line(size_t i) const { return std::string_view(text).substr(spans[i].first, spans[i].second); }
};

// Decodes `rows` lines from `in` (EncodeBlockLines' output); `ts`, `ids` and `id_ranks` are the
// rows' times, IDs and ID ranks (from the segment's columns and dictionary). With `wanted` (per
// row), only the rows it marks are put back: the others are skipped and left empty. Corruption on
// malformed input.
Status DecodeBlockLines(std::string_view in, size_t rows, const int64_t* ts, const std::string_view* ids,
                        const uint32_t* id_ranks, DecodedLines* out, const uint8_t* wanted = nullptr);

}  // namespace gnomon::logs::segment
