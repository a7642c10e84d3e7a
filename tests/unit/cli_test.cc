// The gnomon command line's pure parts: time parsing, response parsing, table/CSV/JSON output,
// the chart's shape on known data, and push batching.
#include <doctest/doctest.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/chart.h"
#include "cli/format.h"
#include "cli/push.h"
#include "cli/query_result.h"
#include "cli/terminal.h"
#include "cli/time_parse.h"

namespace gnomon::cli {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_CASE("ParseTime: now, relative, unix seconds, RFC 3339") {
  CHECK(*ParseTime("now", kNow) == kNow);
  CHECK(*ParseTime("-1h", kNow) == kNow - 3'600'000);
  CHECK(*ParseTime("+30m", kNow) == kNow + 1'800'000);
  CHECK(*ParseTime("now-1h30m", kNow) == kNow - 5'400'000);
  CHECK(*ParseTime("now+5s", kNow) == kNow + 5'000);
  CHECK(*ParseTime("-2d", kNow) == kNow - 2 * 86'400'000);
  CHECK(*ParseTime("1700000000", kNow) == 1'700'000'000'000);
  CHECK(*ParseTime("1700000000.25", kNow) == 1'700'000'000'250);
  CHECK(*ParseTime("0", kNow) == 0);
  CHECK(*ParseTime("2023-11-14T22:13:20Z", kNow) == 1'700'000'000'000);
  CHECK(*ParseTime("2023-11-14T22:13:20.5Z", kNow) == 1'700'000'000'500);
  CHECK(*ParseTime("2023-11-14 23:13:20+01:00", kNow) == 1'700'000'000'000);
  CHECK(*ParseTime("2023-11-14T17:13:20-05:00", kNow) == 1'700'000'000'000);
  CHECK(*ParseTime("1970-01-02", kNow) == 86'400'000);
  for (const char* bad : {"", "yesterday", "now-", "now1h", "-1x", "-1.5h", "2023-11-14T22:13:20", "2023-13-01",
                          "1h", "now-5", "12abc"}) {
    INFO(bad);
    auto r = ParseTime(bad, kNow);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(r.status().message().find("invalid time") != std::string::npos);
  }
}

TEST_CASE("ParseStep and time formatting") {
  CHECK(*ParseStep("15s") == 15'000);
  CHECK(*ParseStep("1m") == 60'000);
  CHECK(*ParseStep("15") == 15'000);
  CHECK(*ParseStep("0.5") == 500);
  CHECK_FALSE(ParseStep("0").ok());
  CHECK_FALSE(ParseStep("-5").ok());
  CHECK_FALSE(ParseStep("fast").ok());
  CHECK(FormatUnixSeconds(1'700'000'000'000) == "1700000000");
  CHECK(FormatUnixSeconds(1'700'000'000'250) == "1700000000.25");
  CHECK(FormatUnixSeconds(-1500) == "-2.5");
  CHECK(FormatRfc3339(1'700'000'000'000) == "2023-11-14T22:13:20Z");
  CHECK(FormatRfc3339(1'700'000'000'007) == "2023-11-14T22:13:20.007Z");
}

const char* kVector = R"({"status":"success","data":{"resultType":"vector","result":[
  {"metric":{"__name__":"up","job":"api","instance":"a:9100"},"value":[1700000000,"1"]},
  {"metric":{"__name__":"up","job":"node-exporter","instance":"b:9100"},"value":[1700000000,"0.25"]}]}})";

const char* kMatrix = R"({"status":"success","data":{"resultType":"matrix","result":[
  {"metric":{"host":"a"},"values":[[1700000000,"1"],[1700000060,"2"]]},
  {"metric":{"host":"b,c"},"values":[[1700000000,"10"]]}]}})";

TEST_CASE("ParseQueryResponse: the Prometheus shapes") {
  auto v = ParseQueryResponse(kVector, 200);
  REQUIRE(v.ok());
  CHECK(v->type == "vector");
  REQUIRE(v->series.size() == 2);
  CHECK(v->series[0].labels[0].first == "__name__");  // __name__ first, then sorted
  CHECK(v->series[0].labels[1].first == "instance");
  CHECK(v->series[1].points[0].value == "0.25");
  CHECK(v->series[1].points[0].t_ms == 1'700'000'000'000);
  CHECK(SeriesName(v->series[0]) == R"(up{instance="a:9100", job="api"})");

  auto m = ParseQueryResponse(kMatrix, 200);
  REQUIRE(m.ok());
  CHECK(m->type == "matrix");
  CHECK(m->series[0].points.size() == 2);
  CHECK(m->series[0].points[1].t_ms == 1'700'000'060'000);

  auto s = ParseQueryResponse(R"({"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"42"]}})", 200);
  REQUIRE(s.ok());
  CHECK(s->series.size() == 1);
  CHECK(s->series[0].points[0].value == "42");
  CHECK(s->series[0].points[0].t_ms == 1'700'000'000'500);

  auto series = ParseQueryResponse(R"({"status":"success","data":[{"__name__":"up","job":"a"}]})", 200);
  REQUIRE(series.ok());
  CHECK(series->type == "series");
  CHECK(SeriesName(series->series[0]) == R"(up{job="a"})");

  auto err = ParseQueryResponse(R"({"status":"error","errorType":"bad_data","error":"parse error at char 4"})", 400);
  REQUIRE_FALSE(err.ok());
  CHECK(err.status().message() == "bad_data: parse error at char 4");
  auto html = ParseQueryResponse("<html>502 Bad Gateway</html>", 502);
  REQUIRE_FALSE(html.ok());
  CHECK(html.status().message() == "HTTP 502: <html>502 Bad Gateway</html>");
  CHECK_FALSE(ParseQueryResponse(R"({"status":"success","data":{"resultType":"vector","result":7}})", 200).ok());

  auto labels = ParseStringListResponse(R"({"status":"success","data":["__name__","job"]})", 200);
  REQUIRE(labels.ok());
  CHECK(*labels == std::vector<std::string>{"__name__", "job"});
}

TEST_CASE("table: label columns and values aligned") {
  auto v = ParseQueryResponse(kVector, 200);
  std::string text = RenderTable(ToTable(*v, true));
  auto lines = Lines(text);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "__name__  instance  job            value");
  CHECK(lines[1] == "up        a:9100    api                1");
  CHECK(lines[2] == "up        b:9100    node-exporter   0.25");

  auto m = ParseQueryResponse(kMatrix, 200);
  lines = Lines(RenderTable(ToTable(*m, true)));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "host  timestamp             value");
  CHECK(lines[1] == "a     2023-11-14T22:13:20Z      1");
  CHECK(lines[2] == "a     2023-11-14T22:14:20Z      2");
  CHECK(lines[3] == "b,c   2023-11-14T22:13:20Z     10");
}

TEST_CASE("table: missing labels are empty cells; unicode widths") {
  QueryResult r;
  r.type = "vector";
  r.series.push_back({{{"a", "é✓"}}, {{0, "1"}}});
  r.series.push_back({{{"b", "x"}}, {{0, "22"}}});
  auto lines = Lines(RenderTable(ToTable(r, true)));
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "a   b  value");
  CHECK(lines[1] == "é✓         1");
  CHECK(lines[2] == "    x     22");
}

TEST_CASE("csv: header, unix timestamps, quoting") {
  auto m = ParseQueryResponse(kMatrix, 200);
  CHECK(RenderCsv(ToTable(*m, false)) ==
        "host,timestamp,value\na,1700000000,1\na,1700000060,2\n\"b,c\",1700000000,10\n");
  Table t{{"x"}, {{"say \"hi\""}, {"two\nlines"}}, {}};
  CHECK(RenderCsv(t) == "x\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n");
}

TEST_CASE("json: the data object, pretty or compact") {
  auto s = ParseQueryResponse(R"({"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}})", 200);
  CHECK(RenderJson(s->data, true) == R"({"resultType":"scalar","result":[1700000000,"42"]})" "\n");  // key order kept
  CHECK(RenderJson(s->data, false).find("\n  \"result\": [") != std::string::npos);
}

// Two series over 10 minutes: a ramp 0..90 and a constant 50.
std::vector<Series> KnownData() {
  std::vector<Series> out(2);
  out[0].labels = {{"__name__", "ramp"}, {"host", "a"}};
  out[1].labels = {{"__name__", "flat"}, {"host", "b"}};
  for (int i = 0; i < 10; ++i) {
    int64_t t = kNow + i * 60'000;
    out[0].points.push_back({t, std::to_string(i * 10)});
    out[1].points.push_back({t, "50"});
  }
  return out;
}

void CheckShape(const std::string& chart, const ChartOptions& opt, size_t series) {
  auto lines = Lines(chart);
  // plot rows, the X axis, the time labels, one legend line per series
  REQUIRE(lines.size() == static_cast<size_t>(opt.height) + 2 + series);
  for (const auto& l : lines) {
    INFO(l);
    CHECK(DisplayWidth(l) <= static_cast<size_t>(opt.width));
  }
  // The axis line and the time labels span the full width.
  CHECK(DisplayWidth(lines[opt.height]) == static_cast<size_t>(opt.width));
  CHECK(DisplayWidth(lines[opt.height + 1]) == static_cast<size_t>(opt.width));
}

TEST_CASE("chart: braille with colour, axis labels, legend, dimensions") {
  setenv("TZ", "UTC", 1);
  ChartOptions opt;
  opt.width = 60;
  opt.height = 10;
  opt.color = true;
  opt.start_ms = kNow;
  opt.end_ms = kNow + 9 * 60'000;
  opt.step_ms = 60'000;
  std::string chart = RenderChart(KnownData(), opt);
  CheckShape(chart, opt, 2);
  auto lines = Lines(chart);
  CHECK(lines[0].rfind("90 ┤", 0) == 0);           // max on the top row
  CHECK(lines[9].rfind(" 0 ┤", 0) == 0);           // min on the bottom row
  CHECK(lines[4].rfind("45 ┤", 0) == 0);           // midpoint
  CHECK(lines[1].rfind("   │", 0) == 0);
  CHECK(lines[10].rfind("   └──", 0) == 0);
  CHECK(lines[11].find("22:13:20") == 4);         // start under the plot's first column
  CHECK(lines[11].substr(lines[11].size() - 8) == "22:22:20");  // end at the right edge
  CHECK(lines[12].find("ramp{host=\"a\"}") != std::string::npos);
  CHECK(lines[13].find("flat{host=\"b\"}") != std::string::npos);
  CHECK(lines[12].find("\x1b[32m") != std::string::npos);  // distinct colours
  CHECK(lines[13].find("\x1b[33m") != std::string::npos);
  CHECK(chart.find("\xe2\xa0") != std::string::npos);  // braille (U+28xx)
  // The ramp starts bottom-left and ends top-right.
  CHECK(lines[9].find("\xe2\xa3") < 30);
  CHECK(DisplayWidth(lines[0]) > 50);
}

TEST_CASE("chart: ASCII glyphs per series") {
  setenv("TZ", "UTC", 1);
  ChartOptions opt;
  opt.width = 40;
  opt.height = 8;
  opt.ascii = true;
  std::string chart = RenderChart(KnownData(), opt);
  CheckShape(chart, opt, 2);
  for (unsigned char c : chart) CHECK(c < 0x80);
  auto lines = Lines(chart);
  CHECK(lines[0].rfind("90 +", 0) == 0);
  CHECK(lines[7].rfind(" 0 +", 0) == 0);
  CHECK(lines[8].rfind("   +---", 0) == 0);
  CHECK(lines[10] == "    * ramp{host=\"a\"}");
  CHECK(lines[11] == "    + flat{host=\"b\"}");
  CHECK(lines[0].back() == '*');  // the ramp's last point, top right
  CHECK(lines[7][4] == '*');      // its first, bottom left
  // The flat series is one row of '+' across the middle (where the ramp does not cover it).
  size_t plus_rows = 0;
  for (int r = 0; r < 8; ++r) plus_rows += lines[r].find('+', 4) != std::string::npos;
  CHECK(plus_rows == 1);
}

TEST_CASE("chart: one series, gaps, flat values, no data, narrow and long names") {
  setenv("TZ", "UTC", 1);
  ChartOptions opt;
  opt.width = 30;
  opt.height = 4;
  std::vector<Series> one(1);
  one[0].labels = {{"__name__", std::string(100, 'x')}};
  one[0].points = {{kNow, "7"}, {kNow + 1000, "NaN"}, {kNow + 2000, "7"}};
  std::string chart = RenderChart(one, opt);
  CheckShape(chart, opt, 1);
  auto lines = Lines(chart);
  CHECK(lines[0].rfind("7 ┤", 0) == 0);
  CHECK(lines[3].rfind("7 ┤", 0) == 0);
  CHECK(lines.back().find("…") != std::string::npos);  // the long name is cut to fit
  CHECK(RenderChart({}, opt).empty());
  std::vector<Series> nan(1);
  nan[0].points = {{kNow, "NaN"}};
  CHECK(RenderChart(nan, opt).empty());
  CHECK(FormatAxisValue(0.25) == "0.25");
  CHECK(FormatAxisValue(1500000000) == "1.5e+09");
  CHECK(FormatAxisValue(-3) == "-3");
}

TEST_CASE("chart: more than a day shows dates") {
  setenv("TZ", "UTC", 1);
  ChartOptions opt;
  opt.width = 50;
  opt.height = 3;
  opt.start_ms = kNow;
  opt.end_ms = kNow + 2 * 86'400'000;
  std::vector<Series> one(1);
  one[0].points = {{kNow, "1"}, {kNow + 86'400'000, "2"}};
  auto lines = Lines(RenderChart(one, opt));
  CHECK(lines[4].find("2023-11-14 22:13") != std::string::npos);
  CHECK(lines[4].find("2023-11-16 22:13") != std::string::npos);
}

TEST_CASE("BatchSplitter cuts at line boundaries and numbers lines globally") {
  BatchSplitter s(20, true);
  s.Append("a v=1\nb v=2\n# comment\n\nc v=3\nthis line is longer than twenty bytes\nd v=4");
  std::vector<Batch> batches;
  Batch b;
  while (s.Next(false, &b)) batches.push_back(b);
  while (s.Next(true, &b)) batches.push_back(b);
  REQUIRE(batches.size() == 4);
  CHECK(batches[0].body == "a v=1\nb v=2\n");
  CHECK(batches[0].first_line == 1);
  CHECK(batches[0].data_lines == 2);
  CHECK(batches[1].body == "# comment\n\nc v=3\n");
  CHECK(batches[1].first_line == 3);
  CHECK(batches[1].line_count == 3);
  CHECK(batches[1].data_lines == 1);
  CHECK(batches[2].body == "this line is longer than twenty bytes\n");
  CHECK(batches[2].first_line == 6);
  CHECK(batches[3].body == "d v=4");
  CHECK(batches[3].first_line == 7);
  CHECK(batches[3].line_count == 1);
}

TEST_CASE("BatchSplitter waits for the rest of a long line") {
  BatchSplitter s(4, false);
  s.Append("abcdefgh");
  Batch b;
  CHECK_FALSE(s.Next(false, &b));
  s.Append("ij\nk\n");
  REQUIRE(s.Next(false, &b));
  CHECK(b.body == "abcdefghij\n");
  CHECK_FALSE(s.Next(false, &b));  // "k\n" is not a full batch yet
  REQUIRE(s.Next(true, &b));
  CHECK(b.body == "k\n");
  CHECK(b.first_line == 2);
}

TEST_CASE("terminal helpers") {
  CHECK(DisplayWidth("\x1b[32m⣿\x1b[0m ab") == 4);
  CHECK(PadLeft("⣿", 3) == "  ⣿");
  CHECK(FormatBytes(512) == "512 B");
  CHECK(FormatBytes(1536) == "1.5 KiB");
  setenv("COLUMNS", "123", 1);
  CHECK(TerminalWidth() == 123);
  unsetenv("COLUMNS");
}

}  // namespace
}  // namespace gnomon::cli
