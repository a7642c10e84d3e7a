// gnomon query: instant and range PromQL queries, printed as a table, JSON, CSV or a chart.
#include <algorithm>

#include "cli/chart.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/format.h"
#include "cli/query_result.h"
#include "cli/terminal.h"
#include "cli/time_parse.h"
#include "util/clock.h"

namespace gnomon::cli {

namespace {

constexpr int64_t kDefaultRangeMs = 3600 * 1000;
constexpr int64_t kTablePoints = 250;  // points per series for a range query without --step

// A step that gives about `points` samples over [start, end], in whole seconds, at least 1s.
int64_t AutoStep(int64_t start, int64_t end, int64_t points) {
  int64_t step = (end - start + points - 1) / std::max<int64_t>(points, 1);
  step = (step + 999) / 1000 * 1000;
  return std::max<int64_t>(step, 1000);
}

}  // namespace

int RunQuery(int argc, char** argv) {
  cxxopts::Options options("gnomon query",
                           "Evaluate a PromQL expression. Without --start/--end/--step it is an instant query "
                           "(GET /api/v1/query) at --time; with any of them a range query (GET /api/v1/query_range).\n"
                           "Times: now, -1h, now-30m, unix seconds, or RFC 3339 (2023-11-14T22:13:20Z).");
  options.custom_help("[OPTIONS]").positional_help("EXPR");
  options.add_options()
      ("time", "instant query evaluation time (default now)", cxxopts::value<std::string>(), "TIME")
      ("start", "range start (default: --end minus 1h)", cxxopts::value<std::string>(), "TIME")
      ("end", "range end (default now)", cxxopts::value<std::string>(), "TIME")
      ("step", "range resolution: a duration (15s, 1m) or seconds (default: fits the output)",
       cxxopts::value<std::string>(), "STEP")
      ("format", "table, json, csv or chart (chart needs a range)", cxxopts::value<std::string>()->default_value("table"),
       "FORMAT")
      ("compact", "json on one line");
  options.add_options("Chart")
      ("height", "chart rows", cxxopts::value<int>()->default_value("15"), "ROWS")
      ("width", "chart columns (default $COLUMNS or the terminal's width, else 80)", cxxopts::value<int>(), "COLS")
      ("ascii", "draw with ASCII characters only")
      ("color", "colour the chart: auto, always or never", cxxopts::value<std::string>()->default_value("auto"), "WHEN");
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    const auto& rest = args.unmatched();
    if (rest.empty()) throw UsageError{"an EXPR is required"};
    if (rest.size() > 1) throw UsageError{"expected one EXPR, got " + std::to_string(rest.size()) + " arguments (quote the expression)"};
    const std::string& expr = rest[0];
    std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv", "chart"});
    std::string color_mode = args["color"].as<std::string>();
    CheckChoice("color", color_mode, {"auto", "always", "never"});
    const bool range = args.count("start") || args.count("end") || args.count("step");
    if (range && args.count("time")) throw UsageError{"--time is for instant queries; a range takes --start/--end/--step"};
    if (format == "chart" && !range) throw UsageError{"--format chart draws a range query: add --start (e.g. --start -1h)"};
    int height = args["height"].as<int>();
    if (height < 2 || height > 1000) throw UsageError{"--height must be between 2 and 1000"};
    int width = args.count("width") ? args["width"].as<int>() : TerminalWidth(80);
    if (width < 20) throw UsageError{"the chart needs at least 20 columns"};

    const int64_t now = NowMs();
    QueryParams params{{"query", expr}};
    int64_t start = 0, end = 0, step = 0;
    if (range) {
      end = args.count("end") ? TimeFlag(args, "end", now) : now;
      start = args.count("start") ? TimeFlag(args, "start", now) : end - kDefaultRangeMs;
      if (end < start) throw UsageError{"--end is before --start"};
      if (args.count("step")) {
        auto s = ParseStep(args["step"].as<std::string>());
        if (!s.ok()) throw UsageError{"--step: " + s.status().message()};
        step = *s;
      } else {
        // A chart gets about one sample per braille dot column.
        step = AutoStep(start, end, format == "chart" ? std::max(10, (width - 10) * 2) : kTablePoints);
      }
      // Relative ranges ("-1h" to now) snap to multiples of the step, so that samples land on
      // round times and the same command run twice queries the same grid (as Grafana does).
      auto relative = [&](const char* name) {
        if (!args.count(name)) return true;
        const std::string v = args[name].as<std::string>();
        return v.rfind("now", 0) == 0 || v[0] == '-' || v[0] == '+';
      };
      if (relative("start") && relative("end")) {
        start -= ((start % step) + step) % step;
        end -= ((end % step) + step) % step;
      }
      params.emplace_back("start", FormatUnixSeconds(start));
      params.emplace_back("end", FormatUnixSeconds(end));
      params.emplace_back("step", FormatUnixSeconds(step));
    } else if (args.count("time")) {
      params.emplace_back("time", FormatUnixSeconds(TimeFlag(args, "time", now)));
    }

    auto client = MakeClient(args);
    auto resp = client->PostForm(range ? "/api/v1/query_range" : "/api/v1/query", params);
    if (!resp.ok()) return Fail(resp.status().message());
    if (resp->status != 200) return Fail("query failed: " + ErrorMessage(resp->body, resp->status));
    auto result = ParseQueryResponse(resp->body, resp->status);
    if (!result.ok()) return Fail("query failed: " + result.status().message());
    for (const auto& w : result->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());

    if (format == "json") {
      std::printf("%s", RenderJson(result->data, args.count("compact") > 0).c_str());
    } else if (format == "csv") {
      std::printf("%s", RenderCsv(ToTable(*result, false)).c_str());
    } else if (format == "table") {
      Table t = ToTable(*result, true);
      if (t.rows.empty()) {
        std::fprintf(stderr, "no data\n");
      } else {
        std::printf("%s", RenderTable(t).c_str());
      }
    } else {
      ChartOptions chart;
      chart.width = width;
      chart.height = height;
      chart.ascii = args.count("ascii") > 0;
      chart.color = UseColor(color_mode);
      chart.start_ms = start;
      chart.end_ms = end;
      chart.step_ms = step;
      std::string text = RenderChart(result->series, chart);
      if (text.empty()) {
        std::fprintf(stderr, "no data\n");
      } else {
        std::fwrite(text.data(), 1, text.size(), stdout);
      }
    }
    return kExitOk;
  });
}

}  // namespace gnomon::cli
