// A line chart of a range query's series, drawn with text for a terminal.
//
// Layout (Unicode; --ascii uses | + - and ASCII glyphs instead):
//
//      98.5 ┤      ⢀⡠⠔⠊⠉⠑⠢⢄
//           │   ⡠⠊⠁        ⠈⠢⡀
//      49.2 ┤⡠⠊               ⠑
//           │
//       0.1 ┤
//           └────────────────────────
//            22:13:20          23:13:20
//      ⣿ cpu{host="a"}
//
// The Y axis is labelled with the data's maximum (top row), minimum (bottom row) and midpoint;
// the X axis with the range's start (left) and end (right) times, as local time (HH:MM:SS for a
// range within a day, else YYYY-MM-DD HH:MM). One legend line per series follows.
//
// Series are told apart by colour (ANSI) or by glyph:
//   * Unicode with colour, or a single series: braille, 2x4 dots per character; each series its
//     own colour (where two series share a character the one drawn last colours it).
//   * Unicode without colour and several series: one glyph per series (█ ▒ ● ◆ ▲ ■ ○ ◇).
//   * ASCII: one glyph per series (* + o x # @ % &), coloured if colour is on.
// Colours and glyphs repeat after 8 series. Consecutive samples are joined by a line unless they
// are more than two steps apart (a gap); NaN and infinite values are gaps too.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/query_result.h"

namespace gnomon::cli {

struct ChartOptions {
  int width = 80;   // total columns of every line, axis labels included (at least 20 are used)
  int height = 15;  // rows of the plot area (at least 2 are used)
  bool ascii = false;
  bool color = false;
  // The X range. If start_ms >= end_ms the data's first and last timestamps are used.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  int64_t step_ms = 0;  // samples more than 2 steps apart are not joined; 0 joins all
};

// The chart as lines ending in '\n', or "" if no series has a finite value.
std::string RenderChart(const std::vector<Series>& series, const ChartOptions& options);

// A value for an axis label: up to 6 significant digits, no trailing zeros ("0.25", "1200",
// "1.5e+09").
std::string FormatAxisValue(double v);

}  // namespace gnomon::cli
