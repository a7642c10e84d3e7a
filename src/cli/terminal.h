// What the gnomon command line needs to know about the terminal it writes to.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gnomon::cli {

// True if file descriptor `fd` is a terminal.
bool IsTerminal(int fd);

// The width to draw in: $COLUMNS if it is a positive number, else the width of the terminal on
// stdout or stderr (TIOCGWINSZ), else `fallback`.
int TerminalWidth(int fallback = 80);

// Whether to colour stdout: "always", "never", or "auto" (a terminal, $NO_COLOR unset and $TERM
// not "dumb").
bool UseColor(std::string_view mode);

// Columns `s` takes on a terminal: UTF-8 code points, not counting ANSI escape sequences
// (ESC [ ... letter). Every code point counts as one column (true of the braille and box
// characters gnomon draws).
size_t DisplayWidth(std::string_view s);

// `s` padded with spaces to `width` columns, on the right (left-aligned) or the left.
std::string PadRight(std::string_view s, size_t width);
std::string PadLeft(std::string_view s, size_t width);

// Human-readable byte counts: "512 B", "1.5 KiB", "12.3 MiB".
std::string FormatBytes(double bytes);

}  // namespace gnomon::cli
