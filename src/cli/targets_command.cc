// `gnomon targets`: the scrape targets gnomond scrapes (GET /api/v1/targets): job, instance,
// health, when last scraped and how long it took, and the last error.
#include "cli/commands.h"

#include "cli/command_util.h"
#include "cli/list_output.h"
#include "util/duration.h"
#include "util/time_format.h"

namespace gnomon::cli {

int RunTargets(int argc, char** argv) {
  cxxopts::Options options("gnomon targets",
                           "The scrape targets (GET /api/v1/targets): job, instance, health, last scrape, its "
                           "duration and the last error; --dropped lists the targets relabelling dropped.");
  options.custom_help("[OPTIONS]");
  // clang-format off
  options.add_options()
    ("dropped", "list the dropped targets' discovered labels instead")
    ("format", "table, json or csv", cxxopts::value<std::string>()->default_value("table"), "FORMAT");
  // clang-format on
  AddServerOptions(&options);
  AddHelpOption(&options);
  return RunCommand(options, argc, argv, [&](const cxxopts::ParseResult& args) {
    if (!args.unmatched().empty()) throw UsageError{"unexpected argument \"" + args.unmatched()[0] + "\""};
    const std::string format = args["format"].as<std::string>();
    CheckChoice("format", format, {"table", "json", "csv"});
    const bool dropped = args.count("dropped") > 0;
    auto client = MakeClient(args);
    auto list = GetList(client.get(), "/api/v1/targets", {{"state", dropped ? "dropped" : "active"}},
                        dropped ? "droppedTargets" : "activeTargets");
    if (!list.ok()) return Fail("targets: " + list.status().message());
    Table table;
    if (dropped) {
      table.header = {"discovered_labels"};
      for (const auto& t : *list) table.rows.push_back({t.value("discoveredLabels", nlohmann::json::object()).dump()});
    } else {
      table.header = {"job", "instance", "health", "last_scrape", "duration", "url", "last_error"};
      for (const auto& t : *list) {
        const auto labels = t.value("labels", nlohmann::json::object());
        table.rows.push_back({t.value("scrapePool", ""), labels.value("instance", ""), t.value("health", ""),
                              t.value("lastScrape", ""),
                              FormatDuration(static_cast<int64_t>(t.value("lastScrapeDuration", 0.0) * 1000)),
                              t.value("scrapeUrl", ""), t.value("lastError", "")});
      }
    }
    if (list->empty() && format == "table") {
      std::printf(dropped ? "no dropped targets\n" : "no targets: configure [scrape] config_file\n");
      return kExitOk;
    }
    PrintRows(*list, format, std::move(table));
    return kExitOk;
  });
}

}  // namespace gnomon::cli
