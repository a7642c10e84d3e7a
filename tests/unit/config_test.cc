// The gnomond configuration: TOML parsing, validation, error reporting and flag overrides.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "alert/alerting_config.h"
#include "config/config.h"
#include "forward/forward_component.h"
#include "http/components.h"

namespace gnomon::config {
namespace {

// gnomond's schema: the core sections and the components' ([alerting]).
const Schema& TestSchema() { return http::ComponentSchema(); }
Result<Config> Parse(std::string_view text, std::string_view name) { return ParseConfig(text, name, TestSchema()); }
Result<Config> Load(const std::string& path) { return LoadConfigFile(path, TestSchema()); }
Status Override(Config* c, std::string_view key, std::string_view value) {
  return ApplyOverride(c, key, value, TestSchema());
}


std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }
bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Parses `text` as "x.toml", expects failure, and returns the error lines.
std::vector<std::string> Errors(const std::string& text) {
  Result<Config> r = Parse(text, "x.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  return Lines(r.status().message());
}

// The one error `text` produces.
std::string Error(const std::string& text) {
  std::vector<std::string> errors = Errors(text);
  CHECK(errors.size() == 1);
  return errors.empty() ? "" : errors[0];
}

TEST_CASE("defaults") {
  Config c;
  CHECK(c.server.listen == "127.0.0.1:9201");
  CHECK(c.server.data_dir == "./gnomon-data");
  CHECK(c.server.auth_token.empty());
  CHECK(c.server.worker_threads == 2);
  CHECK(c.server.max_connections == 1024);
  CHECK(c.server.max_body_bytes == 64u * 1024 * 1024);
  CHECK(c.server.max_inflight_ingest_bytes == 256u * 1024 * 1024);
  CHECK(c.storage.compaction_interval_ms == 3600 * 1000);
  CHECK(c.server.max_header_bytes == 64u * 1024);
  CHECK(c.server.read_timeout_ms == 30'000);
  CHECK(c.server.idle_timeout_ms == 120'000);
  CHECK(c.server.log_level == LogLevel::kInfo);
  CHECK(c.storage.retention_ms == 0);
  CHECK(c.storage.sync == SyncMode::kInterval);
  CHECK(c.storage.sync_interval_ms == 1000);
  CHECK(c.storage.max_samples_per_chunk == 1024);
  CHECK(c.storage.chunk_window_ms == 24 * 3600 * 1000);
  CHECK(c.limits.max_labels_per_series == 64);
  CHECK(c.limits.max_label_name_length == 256);
  CHECK(c.limits.max_label_value_length == 4096);
  CHECK(c.limits.max_series == 0);
  CHECK(c.limits.max_query_samples == 50'000'000);
  CHECK(c.limits.max_query_series == 100'000);
  CHECK(c.limits.query_timeout_ms == 120'000);
}

TEST_CASE("default config gives the engine's default options") {
  Options want;
  Options got = Config().ToOptions();
  CHECK(got.create_if_missing == want.create_if_missing);
  CHECK(got.sync_mode == want.sync_mode);
  CHECK(got.sync_interval_ms == want.sync_interval_ms);
  CHECK(got.retention_ms == want.retention_ms);
  CHECK(got.limits.max_labels_per_series == want.limits.max_labels_per_series);
  CHECK(got.limits.max_label_name_length == want.limits.max_label_name_length);
  CHECK(got.limits.max_label_value_length == want.limits.max_label_value_length);
  CHECK(got.limits.max_series == want.limits.max_series);
  CHECK(got.max_samples_per_chunk == want.max_samples_per_chunk);
  CHECK(got.chunk_window_ms == want.chunk_window_ms);
  CHECK(got.wal_segment_bytes == want.wal_segment_bytes);
  CHECK(got.block_cache_bytes == want.block_cache_bytes);
  // gnomond compacts hourly by default; the engine alone never does unless asked.
  CHECK(want.compaction_interval_ms == 0);
  CHECK(got.compaction_interval_ms == 3600 * 1000);
}

TEST_CASE("an empty file is the default config") {
  Result<Config> r = Parse("", "empty.toml");
  REQUIRE(r.ok());
  CHECK(*r == Config());
  r = Parse("# only a comment\n[server]\n[storage]\n[limits]\n", "sections.toml");
  REQUIRE(r.ok());
  CHECK(*r == Config());
}

TEST_CASE("config.example.toml loads and holds exactly the defaults") {
  const char* dir = std::getenv("GNOMON_SOURCE_DIR");
  REQUIRE_MESSAGE(dir != nullptr, "GNOMON_SOURCE_DIR must point at the repository root");
  Result<Config> r = Load(std::string(dir) + "/config.example.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(*r == Config());
}

TEST_CASE("every key is read") {
  Result<Config> r = Parse(R"(
[server]
listen = "0.0.0.0:9090"
data_dir = "/var/lib/gnomon"
auth_token = "s3cret-token"
worker_threads = 8
max_connections = 100
max_body_bytes = "16MiB"
max_header_bytes = 8192
read_timeout = "10s"
idle_timeout = "5m"
log_level = "debug"

[storage]
retention = "15d"
sync = "always"
sync_interval = "250ms"
max_samples_per_chunk = 120
chunk_window = "1h"
wal_segment_size = "128MiB"
max_wal_retained = "2GiB"
block_cache_size = "1GiB"

[limits]
max_labels_per_series = 30
max_label_name_length = 128
max_label_value_length = 2048
max_series = 1000000
max_query_samples = 1000
max_query_series = 10
query_timeout = "1h30m"
query_threads = 3
)",
                                 "full.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const Config& c = *r;
  CHECK(c.server.listen == "0.0.0.0:9090");
  CHECK(c.server.data_dir == "/var/lib/gnomon");
  CHECK(c.server.auth_token == "s3cret-token");
  CHECK(c.server.worker_threads == 8);
  CHECK(c.server.max_connections == 100);
  CHECK(c.server.max_body_bytes == 16u << 20);
  CHECK(c.server.max_header_bytes == 8192);
  CHECK(c.server.read_timeout_ms == 10'000);
  CHECK(c.server.idle_timeout_ms == 300'000);
  CHECK(c.server.log_level == LogLevel::kDebug);
  CHECK(c.storage.retention_ms == 15ll * 86'400'000);
  CHECK(c.storage.sync == SyncMode::kAlways);
  CHECK(c.storage.sync_interval_ms == 250);
  CHECK(c.storage.max_samples_per_chunk == 120);
  CHECK(c.storage.chunk_window_ms == 3'600'000);
  CHECK(c.storage.wal_segment_bytes == 128u << 20);
  CHECK(c.storage.max_wal_retained_bytes == 2ull << 30);
  CHECK(c.storage.block_cache_bytes == 1u << 30);
  CHECK(c.limits.max_labels_per_series == 30);
  CHECK(c.limits.max_label_name_length == 128);
  CHECK(c.limits.max_label_value_length == 2048);
  CHECK(c.limits.max_series == 1'000'000);
  CHECK(c.limits.max_query_samples == 1000);
  CHECK(c.limits.max_query_series == 10);
  CHECK(c.limits.query_timeout_ms == 5'400'000);
  CHECK(c.limits.query_threads == 3);

  Options o = c.ToOptions();
  CHECK(o.sync_mode == SyncMode::kAlways);
  CHECK(o.sync_interval_ms == 250);
  CHECK(o.retention_ms == 15ll * 86'400'000);
  CHECK(o.limits.max_labels_per_series == 30);
  CHECK(o.limits.max_label_name_length == 128);
  CHECK(o.limits.max_label_value_length == 2048);
  CHECK(o.limits.max_series == 1'000'000);
  CHECK(o.max_samples_per_chunk == 120);
  CHECK(o.chunk_window_ms == 3'600'000);
  CHECK(o.wal_segment_bytes == 128u << 20);
  CHECK(o.max_wal_retained_bytes == 2ull << 30);
  CHECK(o.block_cache_bytes == 1u << 30);
}

TEST_CASE("dotted keys and inline tables are the same settings") {
  Result<Config> r = Parse("storage.retention = \"30d\"\nlimits = { max_series = 5 }\n", "d.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->storage.retention_ms == 30ll * 86'400'000);
  CHECK(r->limits.max_series == 5);
}

TEST_CASE("listen addresses") {
  for (const char* ok : {"127.0.0.1:9201", "0.0.0.0:80", "localhost:9201", "[::1]:9201", "[::]:0",
                         "gnomon-1.example.com:65535"}) {
    std::string addr = ok;
    CAPTURE(addr);
    Result<Config> r = Parse(std::string("server.listen = \"") + ok + "\"\n", "l.toml");
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->server.listen == ok);
  }
  struct Bad {
    const char* addr;
    const char* reason;
  };
  for (const Bad& bad : {Bad{"9201", "expected host:port"}, Bad{":9201", "missing host"},
                         Bad{"127.0.0.1:", "port must be"}, Bad{"127.0.0.1:65536", "port must be"},
                         Bad{"127.0.0.1:http", "port must be"}, Bad{"::1:9201", "in brackets"},
                         Bad{"[::1]", "[IPv6 address]:port"}, Bad{"a b:1", "not a valid host"}}) {
    std::string addr = bad.addr;
    CAPTURE(addr);
    std::string e = Error(std::string("[server]\nlisten = \"") + bad.addr + "\"\n");
    CHECK(StartsWith(e, "x.toml:2:10: key \"server.listen\": "));
    CHECK(Contains(e, bad.reason));
  }
}

// ---- one test per class of error, each checking the exact position -----------------------

TEST_CASE("TOML syntax error names file, line and column") {
  std::string e = Error("[server]\nworker_threads = 4\nlisten = \"unterminated\n");
  CHECK(StartsWith(e, "x.toml:3:"));
  CHECK(Contains(e, "TOML syntax error"));

  e = Error("[storage]\nretention = \"1d\"\nretention = \"2d\"\n");  // a key set twice
  CHECK(StartsWith(e, "x.toml:3:"));
  CHECK(Contains(e, "retention"));
}

TEST_CASE("unknown key, with a suggestion") {
  std::string e = Error("[server]\nlisten = \"127.0.0.1:1\"\nworker_thread = 4\n");
  CHECK(e == "x.toml:3:1: key \"server.worker_thread\": unknown key (did you mean \"server.worker_threads\"?)");

  e = Error("[storage]\n\nmax_series = 4\n");  // right key, wrong section
  CHECK(e == "x.toml:3:1: key \"storage.max_series\": unknown key (it belongs in [limits]: \"limits.max_series\")");

  e = Error("[limits]\nfrobnicate = true\n");
  CHECK(e == "x.toml:2:1: key \"limits.frobnicate\": unknown key");

  e = Error("listen = \"127.0.0.1:1\"\n");  // outside any section
  CHECK(e == "x.toml:1:1: key \"listen\": unknown key (it belongs in [server]: \"server.listen\")");
}

TEST_CASE("unknown section, with a suggestion") {
  std::string e = Error("# comment\n\n[storgae]\nretention = \"1d\"\n");
  CHECK(StartsWith(e, "x.toml:3:"));
  CHECK(Contains(e, "key \"storgae\": unknown section (did you mean [storage]?)"));

  e = Error("[server]\n[http]\nport = 1\n");
  CHECK(StartsWith(e, "x.toml:2:"));
  CHECK(Contains(e, "key \"http\": unknown section (the sections are [server], [storage], [limits], [alerting], [logs], [scrape] and [remote_write])"));
}

TEST_CASE("[[remote_write]]: Prometheus' list of destinations, each checked") {
  Result<Config> r = Parse(R"(
[[remote_write]]
url = "http://mimir:9009/api/v1/push"
headers = { "X-Scope-OrgID" = "team-a" }
bearer_token = "s3cret"
remote_timeout = "10s"
queue = { max_samples_per_send = 500, batch_send_deadline = "1s", min_backoff = "10ms", max_backoff = "2s", max_shards = 4 }

[[remote_write]]
name = "vm"
url = "https://vm.example/api/v1/write"
)",
                           "rw.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const auto& d = r->Get<forward::RemoteWriteSection>().destinations;
  REQUIRE(d.size() == 2);
  CHECK(d[0].name == "mimir_9009_api_v1_push");
  CHECK(d[0].url == "http://mimir:9009/api/v1/push");
  CHECK(d[0].headers == std::vector<std::pair<std::string, std::string>>{{"X-Scope-OrgID", "team-a"}});
  CHECK(d[0].bearer_token == "s3cret");
  CHECK(d[0].timeout_ms == 10'000);
  CHECK(d[0].max_samples_per_send == 500);
  CHECK(d[0].batch_send_deadline_ms == 1000);
  CHECK(d[0].min_backoff_ms == 10);
  CHECK(d[0].max_backoff_ms == 2000);
  CHECK(d[0].max_shards == 4);
  CHECK(d[1].name == "vm");
  CHECK(d[1].max_samples_per_send == 2000);  // Prometheus' defaults
  CHECK(d[1].min_backoff_ms == 30);

  CHECK(Contains(Error("[[remote_write]]\nname = \"x\"\n"), "url is required"));
  CHECK(Contains(Error("[[remote_write]]\nurl = \"mimir:9009\"\n"), "must start with http:// or https://"));
  CHECK(Contains(Error("[[remote_write]]\nurl = \"http://a/w\"\nname = \"A-B\"\n"), "must be 1-61 of [a-z0-9_]"));
  CHECK(Contains(Error("[[remote_write]]\nurl = \"http://a/w\"\n[[remote_write]]\nurl = \"http://a/w\"\n"),
                 "name \"a_w\" is used twice"));
  CHECK(Contains(Error("[[remote_write]]\nurl = \"http://a/w\"\nqueue = { shards = 2 }\n"),
                 "key \"shards\" (line 3): unknown key"));
  CHECK(Contains(Error("[[remote_write]]\nurl = \"http://a/w\"\nwrite_relabel = 1\n"),
                 "key \"write_relabel\": unknown key"));
}

TEST_CASE("wrong TOML type") {
  CHECK(Error("[server]\nworker_threads = \"4\"\n") ==
        "x.toml:2:18: key \"server.worker_threads\": expected an integer, got a string");
  CHECK(Error("[server]\nlisten = 9201\n") ==
        "x.toml:2:10: key \"server.listen\": expected a string, got an integer");
  CHECK(Error("[limits]\nmax_series = 1.5\n") ==
        "x.toml:2:14: key \"limits.max_series\": expected an integer, got a float");
  CHECK(Error("[storage]\nsync = true\n") == "x.toml:2:8: key \"storage.sync\": expected a string, got a boolean");
  std::string e = Error("[storage]\nretention = 15\n");
  CHECK(StartsWith(e, "x.toml:2:13: key \"storage.retention\": expected a duration string"));
  CHECK(Contains(e, "\"15s\""));
  e = Error("[storage]\nwal_segment_size = [1]\n");
  CHECK(StartsWith(e, "x.toml:2:20: key \"storage.wal_segment_size\": expected a size"));
  e = Error("server = \"x\"\n");
  CHECK(StartsWith(e, "x.toml:1:"));
  CHECK(Contains(e, "key \"server\": expected a table"));
  e = Error("[[limits]]\nmax_series = 1\n");
  CHECK(StartsWith(e, "x.toml:1:"));
  CHECK(Contains(e, "key \"limits\": expected a table"));
}

TEST_CASE("bad values") {
  CHECK(Error("[storage]\nretention = \"15 days\"\n") ==
        "x.toml:2:13: key \"storage.retention\": invalid duration \"15 days\": unknown unit \" days\" "
        "(use y, w, d, h, m, s or ms)");
  CHECK(Error("[storage]\nretention = \"30m1h\"\n") ==
        "x.toml:2:13: key \"storage.retention\": invalid duration \"30m1h\": units must go from largest "
        "to smallest (y, w, d, h, m, s, ms)");
  CHECK(Error("[storage]\nsync = \"sometimes\"\n") ==
        "x.toml:2:8: key \"storage.sync\": unknown value \"sometimes\" (expected one of \"always\", "
        "\"interval\", \"never\")");
  CHECK(Error("[server]\nlog_level = \"verbose\"\n") ==
        "x.toml:2:13: key \"server.log_level\": unknown value \"verbose\" (expected one of \"debug\", "
        "\"info\", \"warn\", \"error\")");
  CHECK(Error("[server]\nworker_threads = 0\n") ==
        "x.toml:2:18: key \"server.worker_threads\": must be at least 1, got 0");
  CHECK(Error("[server]\nworker_threads = -3\n") ==
        "x.toml:2:18: key \"server.worker_threads\": must not be negative, got -3");
  CHECK(Error("[server]\nmax_connections = 4294967296\n") ==
        "x.toml:2:19: key \"server.max_connections\": must be at most 1000000, got 4294967296");
  CHECK(Error("[storage]\nmax_samples_per_chunk = 100000\n") ==
        "x.toml:2:25: key \"storage.max_samples_per_chunk\": must be at most 65536, got 100000");
  CHECK(Error("[storage]\nsync_interval = \"0s\"\n") ==
        "x.toml:2:17: key \"storage.sync_interval\": must be at least 1ms, got \"0s\"");
  CHECK(Error("[storage]\nsync_interval = \"2d\"\n") ==
        "x.toml:2:17: key \"storage.sync_interval\": must be at most 1d, got \"2d\"");
  CHECK(Error("[server]\nread_timeout = \"0\"\n") ==
        "x.toml:2:16: key \"server.read_timeout\": must be at least 1ms, got \"0\"");
  CHECK(Error("[storage]\nwal_segment_size = \"512KiB\"\n") ==
        "x.toml:2:20: key \"storage.wal_segment_size\": must be at least 1MiB, got 512KiB");
  CHECK(Error("[server]\ndata_dir = \"\"\n") == "x.toml:2:12: key \"server.data_dir\": must not be empty");
  CHECK(Contains(Error("[server]\nauth_token = \"a b\"\n"), "key \"server.auth_token\": must not contain spaces"));
}

TEST_CASE("every error is reported at once, in file order") {
  Result<Config> r = Parse(R"([server]
listen = "nowhere"
worker_threads = 0
colour = "blue"

[storage]
retention = "forever"
sync = "interval"
chunk_window = 7200

[limitz]
max_series = 1

[limits]
max_series = -1
query_timeout = "2m"
)",
                                 "multi.toml");
  REQUIRE_FALSE(r.ok());
  std::vector<std::string> lines = Lines(r.status().message());
  REQUIRE(lines.size() == 7);
  CHECK(StartsWith(lines[0], "multi.toml:2:10: key \"server.listen\": "));
  CHECK(StartsWith(lines[1], "multi.toml:3:18: key \"server.worker_threads\": must be at least 1"));
  CHECK(StartsWith(lines[2], "multi.toml:4:1: key \"server.colour\": unknown key"));
  CHECK(StartsWith(lines[3], "multi.toml:7:13: key \"storage.retention\": invalid duration \"forever\""));
  CHECK(StartsWith(lines[4], "multi.toml:9:16: key \"storage.chunk_window\": expected a duration string"));
  CHECK(StartsWith(lines[5], "multi.toml:11:"));
  CHECK(Contains(lines[5], "key \"limitz\": unknown section (did you mean [limits]?)"));
  CHECK(StartsWith(lines[6], "multi.toml:15:14: key \"limits.max_series\": must not be negative"));
}

// ---- sizes -------------------------------------------------------------------------------

TEST_CASE("ParseByteSize") {
  struct Good {
    const char* text;
    uint64_t bytes;
  };
  for (const Good& g : {Good{"0", 0}, Good{"1", 1}, Good{"4096", 4096}, Good{"10B", 10},
                        Good{"512KiB", 512ull << 10}, Good{"64MiB", 64ull << 20}, Good{"1GiB", 1ull << 30},
                        Good{"2TiB", 2ull << 40}, Good{"1KB", 1000}, Good{"100MB", 100'000'000},
                        Good{"3GB", 3'000'000'000}, Good{"1TB", 1'000'000'000'000},
                        Good{"16777215TiB", 16777215ull << 40}}) {
    std::string text = g.text;
    CAPTURE(text);
    Result<uint64_t> r = ParseByteSize(g.text);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(*r == g.bytes);
  }
  struct Bad {
    const char* text;
    const char* reason;
  };
  for (const Bad& b : {Bad{"", "empty"}, Bad{"-1", "negative"}, Bad{"MiB", "expected a number"},
                       Bad{"1.5GiB", "fractions"}, Bad{"64 MiB", "no space"}, Bad{"64mib", "unknown unit \"mib\""},
                       Bad{"64M", "unknown unit \"M\""}, Bad{"64k", "unknown unit \"k\""},
                       Bad{"1TiB1", "unknown unit"}, Bad{"16777216TiB", "out of range"},
                       Bad{"18446744073709551616", "out of range"}}) {
    std::string text = b.text;
    CAPTURE(text);
    Result<uint64_t> r = ParseByteSize(b.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    CHECK(Contains(r.status().message(), b.reason));
    CHECK(Contains(r.status().message(), std::string("\"") + b.text + "\""));
  }
}

TEST_CASE("sizes in the file: integers are bytes, strings carry units") {
  Result<Config> r = Parse(
      "[server]\nmax_body_bytes = 2048\nmax_header_bytes = \"16KiB\"\n"
      "[storage]\nwal_segment_size = \"100MB\"\nblock_cache_size = 0\n",
      "s.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->server.max_body_bytes == 2048);
  CHECK(r->server.max_header_bytes == 16 * 1024);
  CHECK(r->storage.wal_segment_bytes == 100'000'000);
  CHECK(r->storage.block_cache_bytes == 0);

  CHECK(Error("[server]\nmax_body_bytes = \"64 MB\"\n") ==
        "x.toml:2:18: key \"server.max_body_bytes\": invalid size \"64 MB\": no space is allowed between "
        "the number and the unit");
  CHECK(Error("[server]\nmax_body_bytes = -1\n") ==
        "x.toml:2:18: key \"server.max_body_bytes\": must not be negative, got -1");
  CHECK(Error("[server]\nmax_header_bytes = \"2GiB\"\n") ==
        "x.toml:2:20: key \"server.max_header_bytes\": must be at most 1GiB, got 2GiB");
}

// ---- files -------------------------------------------------------------------------------

TEST_CASE("LoadConfigFile: missing file, and errors named by path") {
  Result<Config> r = Load("/nonexistent/gnomon.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kNotFound);
  CHECK(Contains(r.status().message(), "\"/nonexistent/gnomon.toml\""));
  CHECK(Contains(r.status().message(), "does not exist"));

  r = Load("/");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kIOError);

  std::string path = "/tmp/gnomon_config_test_" + std::to_string(::getpid()) + ".toml";
  {
    std::ofstream out(path);
    out << "[server]\nworker_threads = 3\n\n[storage]\nretention = \"1 day\"\n";
  }
  r = Load(path);
  REQUIRE_FALSE(r.ok());
  CHECK(StartsWith(r.status().message(), path + ":5:13: key \"storage.retention\": "));
  {
    std::ofstream out(path);
    out << "[server]\nworker_threads = 3\n";
  }
  r = Load(path);
  std::remove(path.c_str());
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  CHECK(r->server.worker_threads == 3);
}

// ---- command-line overrides --------------------------------------------------------------

TEST_CASE("ApplyOverride sets values with the file's rules") {
  Config c;
  REQUIRE(Override(&c, "server.listen", "0.0.0.0:9300").ok());
  REQUIRE(Override(&c, "server.data_dir", "/data").ok());
  REQUIRE(Override(&c, "storage.retention", "90d").ok());
  REQUIRE(Override(&c, "storage.sync", "never").ok());
  REQUIRE(Override(&c, "server.worker_threads", "16").ok());
  REQUIRE(Override(&c, "storage.block_cache_size", "256MiB").ok());
  REQUIRE(Override(&c, "storage.wal_segment_size", "2097152").ok());
  REQUIRE(Override(&c, "server.auth_token", "tok").ok());
  REQUIRE(Override(&c, "server.log_level", "warn").ok());
  CHECK(c.server.listen == "0.0.0.0:9300");
  CHECK(c.server.data_dir == "/data");
  CHECK(c.storage.retention_ms == 90ll * 86'400'000);
  CHECK(c.storage.sync == SyncMode::kNever);
  CHECK(c.server.worker_threads == 16);
  CHECK(c.storage.block_cache_bytes == 256u << 20);
  CHECK(c.storage.wal_segment_bytes == 2u << 20);
  CHECK(c.server.auth_token == "tok");
  CHECK(c.server.log_level == LogLevel::kWarn);
}

TEST_CASE("ApplyOverride overrides the file") {
  Result<Config> r = Parse("[storage]\nretention = \"15d\"\n[server]\nlisten = \"127.0.0.1:1\"\n", "f.toml");
  REQUIRE(r.ok());
  Config c = *r;
  REQUIRE(Override(&c, "storage.retention", "1y").ok());
  CHECK(c.storage.retention_ms == 365ll * 86'400'000);
  CHECK(c.server.listen == "127.0.0.1:1");  // untouched
}

TEST_CASE("ApplyOverride rejects bad keys and values and leaves the config unchanged") {
  Config c;
  struct Bad {
    const char* key;
    const char* value;
    const char* message;
  };
  for (const Bad& b : {
           Bad{"storage.retention", "15 days", "override \"storage.retention\": invalid duration \"15 days\""},
           Bad{"storage.retention", "", "override \"storage.retention\": invalid duration \"\": empty"},
           Bad{"server.listen", "9201", "override \"server.listen\": \"9201\": expected host:port"},
           Bad{"server.worker_threads", "four", "override \"server.worker_threads\": expected an integer, got \"four\""},
           Bad{"server.worker_threads", "4x", "expected an integer"},
           Bad{"server.worker_threads", "0", "must be at least 1, got 0"},
           Bad{"limits.max_series", "-5", "must not be negative"},
           Bad{"storage.sync", "sometimes", "unknown value \"sometimes\""},
           Bad{"server.data_dir", "", "must not be empty"},
           Bad{"storage.block_cache_size", "1.5GiB", "fractions"},
           Bad{"server.listn", "x:1", "override \"server.listn\": unknown key (did you mean \"server.listen\"?)"},
           Bad{"retention", "1d", "unknown key (it belongs in [storage]: \"storage.retention\")"},
           Bad{"bogus.key", "1", "override \"bogus.key\": unknown key"},
       }) {
    std::string key = b.key, value = b.value;
    CAPTURE(key);
    CAPTURE(value);
    Status s = Override(&c, b.key, b.value);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(Contains(s.message(), b.message));
    CHECK(c == Config());
  }
}

TEST_CASE("names of enum values") {
  CHECK(LogLevelName(LogLevel::kDebug) == "debug");
  CHECK(LogLevelName(LogLevel::kError) == "error");
  CHECK(SyncModeName(SyncMode::kAlways) == "always");
  CHECK(SyncModeName(SyncMode::kInterval) == "interval");
  CHECK(SyncModeName(SyncMode::kNever) == "never");
}

}  // namespace
}  // namespace gnomon::config

namespace gnomon::config {
namespace {

TEST_CASE("[alerting]: rule files, interval, external URL and labels") {
  Result<Config> r = Parse(R"([alerting]
rule_files = ["rules/*.yml", "/etc/gnomon/extra.yml"]
evaluation_interval = "30s"
external_url = "https://gnomon.example"
external_labels = { cluster = "eu-1", replica = "a" }
)", "x.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const alert::AlertingConfig& a = r.value().Get<alert::AlertingConfig>();
  CHECK(a.rule_files == std::vector<std::string>{"rules/*.yml", "/etc/gnomon/extra.yml"});
  CHECK(a.evaluation_interval_ms == 30'000);
  CHECK(a.external_url == "https://gnomon.example");
  CHECK(a.external_labels == std::map<std::string, std::string>{{"cluster", "eu-1"}, {"replica", "a"}});
  CHECK(Config().Get<alert::AlertingConfig>().rule_files.empty());
  CHECK(Config().Get<alert::AlertingConfig>().evaluation_interval_ms == 60'000);

  CHECK(Contains(Error("[alerting]\nrule_files = \"one.yml\"\n"), "expected an array of strings, got a string"));
  CHECK(Contains(Error("[alerting]\nrule_files = [1]\n"), "expected an array of strings, found an integer"));
  CHECK(Contains(Error("[alerting]\nevaluation_interval = \"100ms\"\n"), "must be at least 1s"));
  CHECK(Contains(Error("[alerting]\nexternal_labels = { \"bad-name\" = \"x\" }\n"), "not a valid label name"));
  CHECK(Contains(Error("[alerting]\nexternal_labels = { a = 1 }\n"), "expected a string"));
  CHECK(Contains(Error("[alerts]\n"), "[alerting]"));

  Config c;
  REQUIRE(Override(&c, "alerting.rule_files", "a.yml,b.yml").ok());
  CHECK(c.Get<alert::AlertingConfig>().rule_files == std::vector<std::string>{"a.yml", "b.yml"});
  REQUIRE(Override(&c, "alerting.external_labels", "dc=x,env=prod").ok());
  CHECK(c.Get<alert::AlertingConfig>().external_labels.size() == 2);
  CHECK(!Override(&c, "alerting.external_labels", "novalue").ok());
}

}  // namespace
}  // namespace gnomon::config

namespace gnomon::config {
namespace {

TEST_CASE("[[alerting.receivers]]: webhooks and Alertmanagers with tokens, headers, matchers; clear errors") {
  Result<Config> r = Parse(R"([alerting]
resend_delay = "2m"
outbox_max_per_receiver = 500

[[alerting.receivers]]
name = "pager"
type = "alertmanager"
url = "http://127.0.0.1:9093"
match = ['severity="page"', 'env!="test"']

[[alerting.receivers]]
name = "chat"
url = "https://hooks.example/x"
bearer_token = "s3cret"
headers = { "X-Team" = "ops" }
timeout = "3s"
)", "r.toml");
  REQUIRE_MESSAGE(r.ok(), r.status().ToString());
  const auto& a = r->Get<alert::AlertingConfig>();
  CHECK(a.resend_delay_ms == 120'000);
  CHECK(a.outbox_max_per_receiver == 500);
  REQUIRE(a.receivers.size() == 2);
  CHECK(a.receivers[0].name == "pager");
  CHECK(a.receivers[0].type == "alertmanager");
  CHECK(a.receivers[0].match == std::vector<std::string>{"severity=\"page\"", "env!=\"test\""});
  CHECK(a.receivers[0].timeout_ms == 10'000);
  CHECK(a.receivers[1].type == "webhook");
  CHECK(a.receivers[1].bearer_token == "s3cret");
  CHECK(a.receivers[1].headers == std::map<std::string, std::string>{{"X-Team", "ops"}});
  CHECK(a.receivers[1].timeout_ms == 3'000);
  CHECK(Config().Get<alert::AlertingConfig>().receivers.empty());

  auto receiver = [](const std::string& body) {
    return Error("[[alerting.receivers]]\n" + body);
  };
  CHECK(Contains(receiver("name = \"x\"\n"), "item 1 (line 1): receiver \"x\" needs a url"));
  CHECK(Contains(receiver("url = \"http://a\"\n"), "a receiver needs a name"));
  CHECK(Contains(receiver("name = \"x\"\nurl = \"ftp://a\"\n"), "must start with http:// or https://"));
  CHECK(Contains(receiver("name = \"x\"\nurl = \"http://a\"\ntype = \"email\"\n"), "unknown receiver type \"email\""));
  CHECK(Contains(receiver("name = \"x\"\nurl = \"http://a\"\nmatch = ['sev=~\"(\"']\n"), "receiver \"x\": match \"sev=~\"(\"\": parse error in selector"));
  CHECK(Contains(receiver("name = \"x\"\nurl = \"http://a\"\nuri = \"y\"\n"), "key \"uri\": unknown key (the keys are name, type, url"));
  CHECK(Contains(receiver("name = \"a b\"\nurl = \"http://a\"\n"), "use letters, digits and _ . : - only"));
  CHECK(Contains(Error("[[alerting.receivers]]\nname = \"x\"\nurl = \"http://a\"\n[[alerting.receivers]]\nname = \"x\"\n"
                       "url = \"http://b\"\n"),
                 "two receivers are named \"x\""));
  CHECK(Contains(Error("[alerting]\nreceivers = 3\n"), "expected an array of tables"));
  Config c;
  Status s = Override(&c, "alerting.receivers", "x");
  CHECK(Contains(s.message(), "cannot be set by a flag"));
}

}  // namespace
}  // namespace gnomon::config
