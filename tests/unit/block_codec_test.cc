// The block codec (logs/block_codec.h): every line comes back byte for byte — compact JSON objects
// split by key, with their time and ID values left out, and any other line kept whole — and each
// left-out time is reported where it went back.
#include "logs/block_codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "util/time_format.h"

namespace gnomon::logs::segment {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::string Time(int64_t ts) {
  char t[30];
  REQUIRE(FormatRfc3339Fixed9(ts, t) == 30);
  return std::string(t, 30);
}

std::string RandomValue(std::mt19937_64& rng, const std::string& time, const std::string& id) {
  switch (rng() % 9) {
    case 0: return "\"" + time + "\"";
    case 1: return "\"" + id + "\"";
    case 2: return "\"00-" + id + "-00f067aa0ba902b7-01\"";
    case 3: return std::to_string(rng() % 100000);
    case 4: return R"("with \"escaped\" quotes, commas, and } braces")";
    case 5: return R"({"nested":{"a":[1,2,{"b":"}"}]},"c":null})";
    case 6: return "[\"x\",\"" + id + "\"]";
    case 7: return "true";
    default: return "\"plain text " + std::to_string(rng() % 1000) + "\"";
  }
}

std::string RandomLine(std::mt19937_64& rng, const std::string& time, const std::string& id) {
  static const char* kKeys[] = {"ts", "service", "level", "correlation_id", "msg", "latency_ms", "we\\\"ird"};
  switch (rng() % 8) {
    case 0: return "level=info " + time + " cid=" + id + " done";
    case 1: return "{\"ts\": \"" + time + "\", \"msg\": \"spaces make it whole\"}";
    case 2: return "";
    case 3: return "{}";
    case 4: return "{\"a\":1,}";
    case 5: return "{\"unterminated\":\"x}";
    default: {
      std::string line = "{";
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) {
        if (i > 0) line += ",";
        line += "\"" + std::string(kKeys[rng() % std::size(kKeys)]) + "\":" + RandomValue(rng, time, id);
      }
      return line + "}";
    }
  }
}

TEST_CASE("block codec: every line comes back byte for byte (or only those wanted), and its left-out time's place") {
  std::mt19937_64 rng(3);
  for (int block = 0; block < 50; ++block) {
    const size_t rows = 1 + rng() % 300;
    std::vector<std::string> texts, ids;
    std::vector<int64_t> ts;
    for (size_t r = 0; r < rows; ++r) {
      ts.push_back(kT0 + static_cast<int64_t>(rng() % 1'000'000'000'000));
      ids.push_back(rng() % 5 == 0 ? "" : "7ed4d57b-c2ce-4731-9e39-" + std::to_string(rng() % 1000000));
      texts.push_back(RandomLine(rng, Time(ts.back()), ids.back()));
    }
    // An ID's rank: its place among the block's sorted IDs, from 1 ("" is 0).
    std::vector<std::string> sorted(ids);
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::vector<BlockLine> lines;
    std::vector<std::string_view> id_views;
    std::vector<uint32_t> ranks;
    for (size_t r = 0; r < rows; ++r) {
      const auto at = std::lower_bound(sorted.begin(), sorted.end(), ids[r]) - sorted.begin();
      ranks.push_back(ids[r].empty() ? 0 : static_cast<uint32_t>(at) + (sorted[0].empty() ? 0 : 1));
      lines.push_back({texts[r], ts[r], ids[r], ranks.back()});
      id_views.push_back(ids[r]);
    }
    std::string encoded;
    EncodeBlockLines(lines, &encoded);
    DecodedLines decoded;
    REQUIRE(DecodeBlockLines(encoded, rows, ts.data(), id_views.data(), ranks.data(), &decoded).ok());
    REQUIRE(decoded.spans.size() == rows);
    for (size_t r = 0; r < rows; ++r) {
      CAPTURE(texts[r]);
      CHECK(decoded.line(r) == texts[r]);
      if (decoded.time_at[r] != std::string::npos) CHECK(decoded.line(r).substr(decoded.time_at[r], 30) == Time(ts[r]));
    }
    // Only some rows wanted: those come back, the others empty.
    std::vector<uint8_t> wanted(rows);
    for (uint8_t& w : wanted) w = rng() % 3 == 0;
    DecodedLines some;
    REQUIRE(DecodeBlockLines(encoded, rows, ts.data(), id_views.data(), ranks.data(), &some, wanted.data()).ok());
    for (size_t r = 0; r < rows; ++r) CHECK(some.line(r) == (wanted[r] != 0 ? texts[r] : ""));
    // Every truncation and a flipped byte are errors or other lines, never a crash.
    for (size_t cut = 0; cut < encoded.size(); cut += 1 + encoded.size() / 50) {
      DecodedLines d;
      (void)DecodeBlockLines(std::string_view(encoded).substr(0, cut), rows, ts.data(), id_views.data(), ranks.data(),
                             &d);
      std::string flipped = encoded;
      flipped[cut] = static_cast<char>(flipped[cut] ^ 0x5a);
      (void)DecodeBlockLines(flipped, rows, ts.data(), id_views.data(), ranks.data(), &d);
    }
  }
}

TEST_CASE("block codec: a compact JSON object leaves its time and ID values out") {
  const int64_t ts = kT0 + 123'456'789;
  const std::string id = "5afdb157-dfe0-4e34-8e5e-4682f7f54dc3";
  const std::string line = "{\"ts\":\"" + Time(ts) + "\",\"correlation_id\":\"" + id + "\",\"msg\":\"ok\"}";
  std::string encoded;
  EncodeBlockLines({{line, ts, id, 1}}, &encoded);
  CHECK(encoded.find(id) == std::string::npos);
  CHECK(encoded.find(Time(ts)) == std::string::npos);
  CHECK(encoded.find("correlation_id") != std::string::npos);  // the key, once per block
  const std::string_view ids[] = {id};
  const uint32_t ranks[] = {1};
  DecodedLines decoded;
  REQUIRE(DecodeBlockLines(encoded, 1, &ts, ids, ranks, &decoded).ok());
  CHECK(decoded.line(0) == line);
  CHECK(decoded.time_at[0] == 7);
}

}  // namespace
}  // namespace gnomon::logs::segment
