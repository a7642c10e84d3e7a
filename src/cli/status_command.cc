// `gnomon status`: what the series index holds (GET /api/v1/status/tsdb), to find what makes the
// series count explode: the head's figures, then the top metric names, label names and label
// pairs by series, by distinct values and by bytes of values.
#include <cstdio>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/list_output.h"
#include "util/time_format.h"

namespace gnomon::cli {

namespace {

void PrintTop(const nlohmann::json& data, const char* key, const char* name_column, const char* value_column) {
  Table table;
  table.header = {name_column, value_column};
  table.right_align = {false, true};
  for (const auto& e : data.value(key, nlohmann::json::array())) {
    table.rows.push_back({e.value("name", ""), std::to_string(e.value("value", uint64_t{0}))});
  }
  std::printf("\n%s", RenderTable(table).c_str());
}

}  // namespace

int RunStatus(int argc, char** argv) {
  cxxopts::Options options("gnomon status",
                           "What the series index holds (GET /api/v1/status/tsdb): series, label pairs, the head, "
                           "and the top metric names, label names and label pairs by series count.");
  options.custom_help("[OPTIONS]");
  // clang-format off
  options.add_options()
    ("limit", "entries per list", cxxopts::value<int>()->default_value("10"), "N")
    ("format", "table or json", cxxopts::value<std::string>()->default_value("table"), "FORMAT");
  // clang-format on
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json"});
    const int limit = args["limit"].as<int>();
    if (limit <= 0) throw UsageError{"--limit must be a positive number"};
    auto client = MakeClient(args);
    auto data = GetData(client.get(), "/api/v1/status/tsdb", {{"limit", std::to_string(limit)}});
    if (!data.ok()) return Fail("status: " + data.status().message());
    if (format == "json") {
      std::printf("%s\n", data->dump(2).c_str());
      return kExitOk;
    }
    const auto head = data->value("headStats", nlohmann::json::object());
    std::printf("series %llu, label pairs %llu, head series %llu",
                static_cast<unsigned long long>(head.value("numSeries", uint64_t{0})),
                static_cast<unsigned long long>(head.value("numLabelPairs", uint64_t{0})),
                static_cast<unsigned long long>(head.value("chunkCount", uint64_t{0})));
    const int64_t min_time = head.value("minTime", int64_t{0}), max_time = head.value("maxTime", int64_t{0});
    if (max_time != 0)
      std::printf(", head from %s to %s", FormatRfc3339(min_time).c_str(), FormatRfc3339(max_time).c_str());
    std::printf("\n");
    PrintTop(*data, "seriesCountByMetricName", "metric_name", "series");
    PrintTop(*data, "labelValueCountByLabelName", "label_name", "values");
    PrintTop(*data, "memoryInBytesByLabelName", "label_name", "value_bytes");
    PrintTop(*data, "seriesCountByLabelValuePair", "label_pair", "series");
    return kExitOk;
  });
}

}  // namespace gnomon::cli
