// The text filter (logs/text_filter.h): every needle taken from a line finds its keys in the
// filter of that line's block (or, for keys it leaves out, the check that stands for them), a
// needle of one run gives no keys, and needles absent from a block are mostly ruled out.
#include "logs/text_filter.h"

#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

namespace gnomon::logs {
namespace {

std::string RandomLine(std::mt19937_64& rng) {
  static const char* kWords[] = {"GET",     "/api/catalog/", "SKU-", "order", " ", "=",  "\"", "é", "id", "x",
                                 "payment", "failed",        ":",    ",",     "0", "42", "{",  "}", "ms", "-",
                                 "_"};
  std::string line;
  const int n = 3 + static_cast<int>(rng() % 20);
  for (int i = 0; i < n; ++i) {
    if (rng() % 3 == 0) {
      line += std::to_string(rng() % 100000);
    } else {
      line += kWords[rng() % std::size(kWords)];
    }
  }
  return line;
}

TEST_CASE("text filter: every substring of a block's lines finds all its keys") {
  std::mt19937_64 rng(7);
  for (int block = 0; block < 20; ++block) {
    TextFilterBuilder builder;
    std::vector<std::string> lines;
    for (int i = 0; i < 200; ++i) {
      lines.push_back(RandomLine(rng));
      builder.AddLine(lines.back(), 0, 0, std::string::npos);
    }
    std::string filter;
    builder.Finish(&filter);
    for (const std::string& line : lines) {
      for (int k = 0; k < 10; ++k) {
        const size_t from = rng() % line.size();
        const std::string needle = line.substr(from, 1 + rng() % (line.size() - from));
        for (const NeedleKey& key : NeedleKeys(needle)) {
          CAPTURE(needle);
          CHECK(FilterHas(filter, key.key));
        }
      }
    }
  }
}

TEST_CASE("text filter: which runs of a needle give keys") {
  CHECK(NeedleKeys("error").empty());  // one run: it may sit inside any token
  CHECK(NeedleKeys("SKU").empty());
  CHECK(NeedleKeys(" ab").empty());  // a short run with nothing after it: maybe a prefix
  CHECK(NeedleKeys("SKU-04242").size() == 1);
  CHECK(NeedleKeys("SKU-04242")[0].run == "04242");
  CHECK_FALSE(NeedleKeys("SKU-04242")[0].whole);
  const auto keys = NeedleKeys("GET /api/catalog/SKU-1");
  REQUIRE(keys.size() == 3);  // api (whole), catalog (prefix), SKU (whole); "1" ends the needle
  CHECK(keys[0].run == "api");
  CHECK(keys[0].whole);
  CHECK(keys[1].run == "catalog");
  CHECK(keys[2].run == "SKU");
}

TEST_CASE("text filter: a needle absent from a block is ruled out nearly always") {
  std::mt19937_64 rng(11);
  TextFilterBuilder builder;
  for (int i = 0; i < 2000; ++i)
    builder.AddLine("item SKU-" + std::to_string(10000 + rng() % 40000) + " ok", 0, 0, std::string::npos);
  std::string filter;
  builder.Finish(&filter);
  int passed = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto keys = NeedleKeys("SKU-" + std::to_string(60000 + i));
    REQUIRE(keys.size() == 1);
    passed += FilterHas(filter, keys[0].key) ? 1 : 0;
  }
  CHECK(passed < 30);        // 10 bits per key: ~1% false positives
  CHECK(FilterHas("", 42));  // no filter: nothing is ruled out
}

TEST_CASE("text filter: an ID's tokens and a left-out time's fraction are not added, and say so") {
  const std::string line = R"({"ts":"2023-11-14T21:47:03.739725532Z","cid":"req-9716419f82","msg":"ok 55555"})";
  const size_t id_at = line.find("req-9716419f82");
  const size_t fraction_at = line.find("739725532Z");
  TextFilterBuilder builder;
  builder.AddLine(line, id_at, id_at + 14, fraction_at);
  std::string filter;
  builder.Finish(&filter);
  auto key = [](const std::string& needle) { return NeedleKeys(needle).at(0); };
  CHECK(FilterHas(filter, key(" 55555").key));
  CHECK(FilterHas(filter, key("2023-11-14T21").key));
  CHECK_FALSE(FilterHas(filter, key("-97164").key));  // in the ID only
  CHECK_FALSE(FilterHas(filter, key(".7397").key));   // in the fraction only
  CHECK(FractionsStarting("7397").Has(739'725'532));
  CHECK(FractionsStarting("739725532Z").Has(739'725'532));
  CHECK(FractionsStarting("739725532Zulu").Has(739'725'532));
  CHECK_FALSE(FractionsStarting("739725532Z").Has(739'725'533));
  CHECK_FALSE(FractionsStarting("7398").Has(739'725'532));
  CHECK_FALSE(FractionsStarting("7396").Has(739'725'532));
  CHECK_FALSE(FractionsStarting("739725532X").Has(739'725'532));
  CHECK_FALSE(FractionsStarting("73a").Has(739'725'532));
  CHECK(FractionsStarting("0042").Has(4'200'000));
  CHECK_FALSE(FractionsStarting("0042").Has(42'000'000));
}

}  // namespace
}  // namespace gnomon::logs
