#include "cli/chart.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>

#include "cli/terminal.h"

namespace gnomon::cli {

namespace {

constexpr int kPalette[] = {32, 33, 34, 35, 36, 31, 92, 94};  // ANSI foreground colours
constexpr const char* kUnicodeGlyphs[] = {"█", "▒", "●", "◆", "▲", "■", "○", "◇"};
constexpr const char* kAsciiGlyphs[] = {"*", "+", "o", "x", "#", "@", "%", "&"};
constexpr int kStyles = 8;

std::string Colored(const std::string& text, int series, bool color) {
  if (!color) return text;
  return "\x1b[" + std::to_string(kPalette[series % kStyles]) + "m" + text + "\x1b[0m";
}

// UTF-8 of U+2800 + mask, the braille pattern with those dots.
std::string Braille(unsigned mask) {
  unsigned cp = 0x2800 + mask;
  std::string out;
  out += static_cast<char>(0xE0 | (cp >> 12));
  out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
  out += static_cast<char>(0x80 | (cp & 0x3F));
  return out;
}

// Bit of the braille dot at column dx (0..1), row dy (0..3) of a character.
unsigned BrailleBit(int dx, int dy) {
  static constexpr unsigned kBits[4][2] = {{0x01, 0x08}, {0x02, 0x10}, {0x04, 0x20}, {0x40, 0x80}};
  return kBits[dy][dx];
}

std::string FormatTimeLabel(int64_t ms, bool with_date) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M" : "%H:%M:%S", &tm);
  return std::string(buf, n);
}

// A grid of cells, each either empty or owned by one series, with a braille dot mask.
struct Canvas {
  int cols, rows;       // characters
  int sub_x, sub_y;     // dots per character: 2x4 for braille, 1x1 for glyphs
  std::vector<unsigned> mask;
  std::vector<int> owner;

  Canvas(int c, int r, int sx, int sy) : cols(c), rows(r), sub_x(sx), sub_y(sy), mask(c * r, 0), owner(c * r, -1) {}
  int dots_x() const { return cols * sub_x; }
  int dots_y() const { return rows * sub_y; }

  void Set(int x, int y, int series) {
    if (x < 0 || y < 0 || x >= dots_x() || y >= dots_y()) return;
    int cell = (y / sub_y) * cols + x / sub_x;
    mask[cell] |= sub_x == 2 ? BrailleBit(x % 2, y % 4) : 1;
    owner[cell] = series;
  }

  void Line(int x0, int y0, int x1, int y1, int series) {  // Bresenham
    int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
      Set(x0, y0, series);
      if (x0 == x1 && y0 == y1) break;
      int e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x0 += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y0 += sy;
      }
    }
  }
};

}  // namespace

std::string FormatAxisValue(double v) {
  if (v == 0) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string RenderChart(const std::vector<Series>& series, const ChartOptions& opt) {
  // Finite values and the ranges to draw.
  std::vector<std::vector<std::pair<int64_t, double>>> pts(series.size());
  double vmin = std::numeric_limits<double>::infinity(), vmax = -vmin;
  int64_t tmin = std::numeric_limits<int64_t>::max(), tmax = std::numeric_limits<int64_t>::min();
  for (size_t i = 0; i < series.size(); ++i) {
    for (const Point& p : series[i].points) {
      char* end = nullptr;
      double v = std::strtod(p.value.c_str(), &end);
      if (end == p.value.c_str() || !std::isfinite(v)) {
        pts[i].emplace_back(p.t_ms, std::numeric_limits<double>::quiet_NaN());
        continue;
      }
      pts[i].emplace_back(p.t_ms, v);
      vmin = std::min(vmin, v);
      vmax = std::max(vmax, v);
      tmin = std::min(tmin, p.t_ms);
      tmax = std::max(tmax, p.t_ms);
    }
  }
  if (!(vmin <= vmax)) return "";
  int64_t t0 = opt.start_ms, t1 = opt.end_ms;
  if (t0 >= t1) {
    t0 = tmin;
    t1 = tmax;
  }
  double lo = vmin, hi = vmax;
  if (lo == hi) {  // a flat line: centre it
    double pad = lo == 0 ? 1 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }

  const int height = std::max(2, opt.height);
  const bool braille = !opt.ascii && (opt.color || series.size() <= 1);
  std::string label_top = FormatAxisValue(vmax), label_bottom = FormatAxisValue(vmin);
  std::string label_mid = FormatAxisValue((vmax + vmin) / 2);
  const bool show_mid = height >= 5 && vmax != vmin;
  if (vmax == vmin) label_top = label_bottom = FormatAxisValue(vmax);
  size_t label_w = std::max({DisplayWidth(label_top), DisplayWidth(label_bottom), show_mid ? DisplayWidth(label_mid) : 0});
  const int width = std::max(20, opt.width);
  const int plot_w = std::max(8, width - static_cast<int>(label_w) - 2);  // "label ┤" then the plot

  Canvas canvas(plot_w, height, braille ? 2 : 1, braille ? 4 : 1);
  auto to_x = [&](int64_t t) {
    if (t1 == t0) return canvas.dots_x() / 2;
    double f = static_cast<double>(t - t0) / static_cast<double>(t1 - t0);
    return static_cast<int>(std::lround(f * (canvas.dots_x() - 1)));
  };
  auto to_y = [&](double v) {
    double f = (hi - v) / (hi - lo);
    return static_cast<int>(std::lround(f * (canvas.dots_y() - 1)));
  };
  for (size_t i = 0; i < pts.size(); ++i) {
    bool have_prev = false;
    int px = 0, py = 0;
    int64_t pt = 0;
    for (const auto& [t, v] : pts[i]) {
      if (std::isnan(v) || t < t0 || t > t1) {
        have_prev = false;
        continue;
      }
      int x = to_x(t), y = to_y(v);
      bool joined = have_prev && (opt.step_ms <= 0 || t - pt <= 2 * opt.step_ms);
      if (joined) {
        canvas.Line(px, py, x, y, static_cast<int>(i));
      } else {
        canvas.Set(x, y, static_cast<int>(i));
      }
      have_prev = true;
      px = x;
      py = y;
      pt = t;
    }
  }

  const char* vbar = opt.ascii ? "|" : "│";
  const char* tick = opt.ascii ? "+" : "┤";
  const char* corner = opt.ascii ? "+" : "└";
  const char* hbar = opt.ascii ? "-" : "─";
  auto glyph = [&](int s) -> std::string { return opt.ascii ? kAsciiGlyphs[s % kStyles] : kUnicodeGlyphs[s % kStyles]; };
  std::string out;
  const int mid_row = (height - 1) / 2;
  for (int r = 0; r < height; ++r) {
    std::string label;
    if (r == 0) {
      label = label_top;
    } else if (r == height - 1) {
      label = label_bottom;
    } else if (show_mid && r == mid_row) {
      label = label_mid;
    }
    std::string line = PadLeft(label, label_w) + " " + (label.empty() ? vbar : tick);
    // Trailing blanks are trimmed, so track the last drawn column.
    int last = -1;
    for (int c = 0; c < plot_w; ++c) {
      if (canvas.mask[r * plot_w + c] != 0) last = c;
    }
    for (int c = 0; c <= last; ++c) {
      int cell = r * plot_w + c;
      if (canvas.mask[cell] == 0) {
        line += ' ';
        continue;
      }
      int s = canvas.owner[cell];
      line += Colored(braille ? Braille(canvas.mask[cell]) : glyph(s), s, opt.color);
    }
    out += line;
    out += '\n';
  }
  out += std::string(label_w + 1, ' ') + corner;
  for (int c = 0; c < plot_w; ++c) out += hbar;
  out += '\n';

  // X labels: start under the plot's first column, end ending under its last.
  const bool with_date = t1 - t0 >= 86'400'000;
  std::string start_label = FormatTimeLabel(t0, with_date), end_label = FormatTimeLabel(t1, with_date);
  std::string xline(label_w + 2, ' ');
  xline += start_label;
  int gap = plot_w - static_cast<int>(DisplayWidth(start_label)) - static_cast<int>(DisplayWidth(end_label));
  if (t1 != t0 && gap >= 2) {
    xline += std::string(gap, ' ') + end_label;
  }
  out += xline + '\n';

  for (size_t i = 0; i < series.size(); ++i) {
    std::string marker = braille ? Braille(0xFF) : glyph(static_cast<int>(i));
    std::string name = SeriesName(series[i]);
    size_t room = static_cast<size_t>(width) > label_w + 4 ? width - label_w - 4 : 1;
    if (DisplayWidth(name) > room) {
      // Cut at a code point boundary and mark the cut.
      size_t cols = 0, pos = 0;
      while (pos < name.size() && cols + 1 < room) {
        ++pos;
        while (pos < name.size() && (static_cast<unsigned char>(name[pos]) & 0xC0) == 0x80) ++pos;
        ++cols;
      }
      name = name.substr(0, pos) + (opt.ascii ? "~" : "…");
    }
    out += std::string(label_w + 2, ' ') + Colored(marker, static_cast<int>(i), opt.color) + " " + name + "\n";
  }
  return out;
}

}  // namespace gnomon::cli
