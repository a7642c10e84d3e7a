// gnomon-ship's config (ship/ship_config.h) and its multi-line joining (ship/multiline.h): the
// [ship] section with flags that win, strict errors naming the file position or the flag, and
// where entries start with and without a pattern.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "ship/multiline.h"
#include "ship/ship_config.h"
#include "test_util.h"

namespace gnomon::ship {
namespace {

std::string Write(const testing::TempDir& dir, const std::string& text) {
  const std::string path = dir.path() + "/ship.toml";
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("ship config: the file's [ship] section, flags winning, defaults otherwise") {
  testing::TempDir dir;
  const std::string path = Write(dir, R"([ship]
server = "http://127.0.0.1:9201"
paths = ["/var/log/app/*.log", "/var/log/other.log"]
labels = { env = "prod", team = "pay" }
state_dir = "/tmp/state"
batch_size = "256KiB"
batch_wait = "2s"
multiline_firstline = '^\d{4}-'
compression = "none"
catch_up_rate = "4MiB"
listen = "127.0.0.1:0"
)");
  auto c = LoadShipConfig(path, {{"batch_wait", "100ms"}, {"max_backoff", "5s"}});
  REQUIRE(c.ok());
  CHECK(c->server == "http://127.0.0.1:9201");
  CHECK(c->paths.size() == 2);
  CHECK(c->labels.at("team") == "pay");
  CHECK(c->batch_size == 256 << 10);
  CHECK(c->batch_wait_ms == 100);  // the flag's
  CHECK(c->max_backoff_ms == 5000);
  CHECK(c->min_backoff_ms == 500);  // the default
  CHECK(c->multiline_firstline == "^\\d{4}-");
  CHECK(c->compression == ShipConfig::Compression::kNone);
  CHECK(c->catch_up_rate == 4 << 20);
  CHECK(ValidateShipConfig(*c).ok());

  auto defaults = LoadShipConfig("", {});
  REQUIRE(defaults.ok());
  CHECK(*defaults == ShipConfig{});
  CHECK(defaults->compression == ShipConfig::Compression::kAuto);
  CHECK(ValidateShipConfig(*defaults).message() == "no server: give --server URL (ship.server)");
}

TEST_CASE("ship.example.toml loads and holds the defaults but for what it must name") {
  const char* root = std::getenv("GNOMON_SOURCE_DIR");
  REQUIRE_MESSAGE(root != nullptr, "GNOMON_SOURCE_DIR must point at the repository root");
  auto c = LoadShipConfig(std::string(root) + "/ship.example.toml", {});
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(ValidateShipConfig(*c).ok());
  ShipConfig rest = *c;
  rest.server.clear();
  rest.paths.clear();
  rest.state_dir.clear();
  rest.labels.clear();
  CHECK(rest == ShipConfig{});
}

TEST_CASE("ship config: errors name the file position, or the flag") {
  testing::TempDir dir;
  auto typo = LoadShipConfig(Write(dir, "[ship]\nserver = \"x\"\nbatch_wiat = \"1s\"\n"), {});
  REQUIRE_FALSE(typo.ok());
  CHECK(typo.status().message().find("ship.toml:3:1: key \"ship.batch_wiat\": unknown key") != std::string::npos);
  auto other = LoadShipConfig(Write(dir, "[server]\nlisten = \"x\"\n"), {});
  REQUIRE_FALSE(other.ok());
  auto pattern = LoadShipConfig(Write(dir, "[ship]\nmultiline_firstline = \"([\"\n"), {});
  REQUIRE_FALSE(pattern.ok());
  CHECK(pattern.status().message().find("invalid regular expression") != std::string::npos);
  auto flag = LoadShipConfig("", {{"batch_wait", "soon"}});
  REQUIRE_FALSE(flag.ok());
  CHECK(flag.status().message().rfind("--batch-wait soon: ", 0) == 0);
  auto backoff = LoadShipConfig("", {{"min_backoff", "1m"}, {"max_backoff", "1s"}});
  REQUIRE_FALSE(backoff.ok());
  CHECK(LoadShipConfig(dir.path() + "/missing.toml", {}).status().code() == Status::Code::kNotFound);
}

TEST_CASE("ship config: auto compression gzips except to loopback") {
  using C = ShipConfig::Compression;
  CHECK(GzipsTo("http://logs.example.com:9201", C::kAuto));
  CHECK(GzipsTo("10.0.0.7:9201", C::kAuto));
  CHECK(GzipsTo("http://[2001:db8::1]:9201/", C::kAuto));
  CHECK_FALSE(GzipsTo("http://127.0.0.1:9201", C::kAuto));
  CHECK_FALSE(GzipsTo("localhost:9201", C::kAuto));
  CHECK_FALSE(GzipsTo("http://[::1]:9201", C::kAuto));
  CHECK(GzipsTo("http://127.0.0.1:9201", C::kGzip));
  CHECK_FALSE(GzipsTo("http://logs.example.com", C::kNone));
}

TEST_CASE("entry splitter: every line without a pattern; joined lines with one") {
  const std::string text = "2026-12-07 boom\n  at a()\n  at b()\n2026-12-07 next\nCaused by: x\n";
  EntrySplitter each;
  CHECK_FALSE(each.joins());
  CHECK(each.Starts(text) == std::vector<size_t>{0, 16, 25, 34, 50});
  CHECK(each.Starts("").empty());

  auto joined = EntrySplitter::Make(R"(^\d{4}-\d\d-\d\d )", 128);
  REQUIRE(joined.ok());
  CHECK(joined->joins());
  CHECK(joined->Starts(text) == std::vector<size_t>{0, 34});
  // Continuation lines before the first start line are an entry of their own.
  CHECK(joined->Starts("  at c()\n2026-12-07 x\n") == std::vector<size_t>{0, 9});
  // A last line without its newline.
  CHECK(joined->Starts("2026-12-07 a\n2026-12-07 b") == std::vector<size_t>{0, 13});

  auto capped = EntrySplitter::Make("^S", 2);
  REQUIRE(capped.ok());
  CHECK(capped->Starts("S1\nc\nc\nc\nS2\n") == std::vector<size_t>{0, 5, 9});  // cut after 2 lines

  CHECK(EntrySplitter::Make("([", 10).status().code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace gnomon::ship
