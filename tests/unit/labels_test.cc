// Tests for index/labels_util: validation rules, the canonical encoding and the text form.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "index/labels_util.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Limits;
using gnomon::Status;
using namespace gnomon::index;
using namespace std::string_literals;

namespace {

Status Validate(Labels labels, const Limits& limits = Limits{}) {
  SortLabels(&labels);
  return ValidateLabels(labels, limits);
}

Labels WithName(Labels extra) {
  extra.push_back({"__name__", "up"});
  SortLabels(&extra);
  return extra;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("SortLabels and DropEmptyLabels") {
  Labels l = {{"job", "api"}, {"__name__", "up"}, {"env", ""}, {"a", "1"}};
  SortLabels(&l);
  REQUIRE(l.size() == 4);
  CHECK(l[0].name == "__name__");
  CHECK(l[1].name == "a");
  CHECK(l[2].name == "env");
  CHECK(l[3].name == "job");
  DropEmptyLabels(&l);
  REQUIRE(l.size() == 3);
  CHECK(l[2].name == "job");
  CHECK(Validate(l).ok());
}

TEST_CASE("valid label sets pass") {
  CHECK(Validate({{"__name__", "up"}}).ok());
  CHECK(Validate({{"__name__", "job:http_requests:rate5m"}, {"job", "api"}}).ok());
  CHECK(Validate({{"__name__", "_x"}, {"_private", "1"}, {"a1_B2", "v"}, {"Z", "v"}}).ok());
  CHECK(Validate({{"__name__", ":colon_first"}}).ok());
  CHECK(Validate({{"__name__", "up"}, {"msg", "with spaces, \"quotes\" and\nnewlines\t"}}).ok());
}

TEST_CASE("invalid label names are rejected with the rule in the message") {
  for (const char* bad : {"1abc", "a-b", "a.b", "a:b", "a b", "\xC3\xA9t\xC3\xA9", "job\n"}) {
    CAPTURE(bad);
    Status s = Validate(WithName({{bad, "v"}}));
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(Contains(s.message(), "must match [a-zA-Z_][a-zA-Z0-9_]*"));
  }
  Status s = Validate(WithName({{"1abc", "v"}}));
  CHECK(s.message() == "label name \"1abc\" is invalid: must match [a-zA-Z_][a-zA-Z0-9_]*");
  // Empty name.
  CHECK(Validate(WithName({{"", "v"}})).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("invalid metric names are rejected") {
  for (const char* bad : {"1up", "up-time", "up.time", "up time", "\xC3\xBCp"}) {
    CAPTURE(bad);
    Status s = Validate({{"__name__", bad}});
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(Contains(s.message(), "[a-zA-Z_:][a-zA-Z0-9_:]*"));
    CHECK(Contains(s.message(), "metric name"));
  }
}

TEST_CASE("reserved names starting with __ are rejected") {
  for (const char* bad : {"__foo", "__", "__name", "__name___", "__meta_x"}) {
    CAPTURE(bad);
    Status s = Validate(WithName({{bad, "v"}}));
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(Contains(s.message(), "reserved"));
    CHECK(Contains(s.message(), bad));
  }
  CHECK(Validate(WithName({{"_foo", "v"}})).ok());
}

TEST_CASE("missing metric name is rejected") {
  Status s = Validate({{"job", "api"}});
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(s.message(), "__name__"));
  CHECK(Contains(s.message(), "job=\"api\""));
  CHECK(Validate({}).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("duplicate names are rejected") {
  Status s = Validate(WithName({{"job", "a"}, {"job", "b"}}));
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(s.message(), "\"job\""));
  CHECK(Contains(s.message(), "more than once"));
  // Same value too.
  CHECK(!Validate(WithName({{"job", "a"}, {"job", "a"}})).ok());
  CHECK(!Validate({{"__name__", "up"}, {"__name__", "up"}}).ok());
}

TEST_CASE("unsorted input and empty values are rejected") {
  Labels unsorted = {{"__name__", "up"}, {"z", "1"}, {"a", "1"}};
  CHECK(ValidateLabels(unsorted, Limits{}).code() == Status::Code::kInvalidArgument);
  Status s = Validate(WithName({{"env", ""}}));
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(s.message(), "\"env\""));
  CHECK(Contains(s.message(), "empty"));
  CHECK(!Validate({{"__name__", ""}}).ok());
}

TEST_CASE("values must be valid UTF-8 without NUL") {
  const char* valid[] = {
      "plain", "h\xC3\xA9llo", "\xE6\x97\xA5\xE6\x9C\xAC", "\xF0\x9F\x98\x80",
      "\xC2\x80",          // U+0080, smallest 2-byte
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xED\x9F\xBF",      // U+D7FF, just below the surrogates
      "\xEE\x80\x80",      // U+E000, just above them
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, the largest code point
      "\x7F",
  };
  for (const char* v : valid) {
    CAPTURE(v);
    CHECK(Validate(WithName({{"v", v}})).ok());
  }
  const char* invalid[] = {
      "\x80",              // lone continuation byte
      "a\xBF",             // continuation after ASCII
      "\xC0\x80",          // overlong NUL
      "\xC1\xBF",          // overlong 2-byte
      "\xE0\x80\x80",      // overlong 3-byte
      "\xE0\x9F\xBF",      // overlong 3-byte (U+07FF)
      "\xF0\x8F\xBF\xBF",  // overlong 4-byte (U+FFFF)
      "\xED\xA0\x80",      // surrogate U+D800
      "\xED\xBF\xBF",      // surrogate U+DFFF
      "\xF4\x90\x80\x80",  // U+110000
      "\xF5\x80\x80\x80",  // lead byte beyond the range
      "\xFF",
      "\xFE",
      "\xC3",              // truncated at the end
      "\xE6\x97",          // truncated 3-byte
      "\xF0\x9F\x98",      // truncated 4-byte
      "\xC3(",             // bad continuation
      "\xE6(\x97",
      "ok\xF0\x9F\x98(",
  };
  for (const char* v : invalid) {
    CAPTURE(v);
    Status s = Validate(WithName({{"v", v}}));
    CHECK(s.code() == Status::Code::kInvalidArgument);
    CHECK(Contains(s.message(), "UTF-8"));
    CHECK(Contains(s.message(), "label \"v\""));
  }
  Status s = Validate(WithName({{"v", std::string("a\0b", 3)}}));
  CHECK(s.code() == Status::Code::kInvalidArgument);
  CHECK(Contains(s.message(), "NUL"));
  CHECK(Contains(s.message(), "offset 1"));
}

TEST_CASE("limits: label count, name length, value length") {
  Limits limits;
  SUBCASE("count") {
    Labels l = {{"__name__", "up"}};
    for (size_t i = 1; i < limits.max_labels_per_series; ++i) l.push_back({"l" + std::to_string(1000 + i), "v"});
    CHECK(Validate(l, limits).ok());  // exactly at the limit
    l.push_back({"l9999", "v"});
    Status s = Validate(l, limits);
    CHECK(s.code() == Status::Code::kResourceExhausted);
    CHECK(Contains(s.message(), "has 65 labels, limit is 64"));
    Limits small;
    small.max_labels_per_series = 2;
    CHECK(Validate({{"__name__", "up"}, {"a", "1"}}, small).ok());
    CHECK(!Validate({{"__name__", "up"}, {"a", "1"}, {"b", "1"}}, small).ok());
  }
  SUBCASE("name length") {
    std::string at(limits.max_label_name_length, 'n');
    CHECK(Validate(WithName({{at, "v"}}), limits).ok());
    std::string over = at + "n";
    Status s = Validate(WithName({{over, "v"}}), limits);
    CHECK(s.code() == Status::Code::kResourceExhausted);
    CHECK(Contains(s.message(), "is 257 bytes, limit is 256"));
    CHECK(s.message().size() < 400);  // the name is cut short in the message
  }
  SUBCASE("value length") {
    CHECK(Validate(WithName({{"job", std::string(4096, 'x')}}), limits).ok());
    Status s = Validate(WithName({{"job", std::string(5000, 'x')}}), limits);
    CHECK(s.code() == Status::Code::kResourceExhausted);
    CHECK(s.message() == "label \"job\": value is 5000 bytes, limit is 4096");
    // The metric name is a value too.
    Limits small;
    small.max_label_value_length = 3;
    CHECK(Validate({{"__name__", "up"}}, small).ok());
    CHECK(!Validate({{"__name__", "upup"}}, small).ok());
  }
}

TEST_CASE("encoding: layout and round trips") {
  CHECK(EncodeLabels({}).empty());
  CHECK(EncodeLabels({{"a", "b"}}) == std::string("\x01" "a" "\x01" "b"));
  std::string long_value(300, 'v');  // 300 = 0xAC 0x02 as a varint
  CHECK(EncodeLabels({{"a", long_value}}) == std::string("\x01" "a" "\xAC\x02") + long_value);

  std::vector<Labels> sets = {
      {},
      {{"__name__", "up"}},
      {{"__name__", "up"}, {"instance", "localhost:9090"}, {"job", "prometheus"}},
      {{"a", std::string(127, 'x')}, {"b", std::string(128, 'y')}, {"c", std::string(20000, 'z')}},
      {{"bin", std::string("\0\x01\xff\x80", 4)}, {"u", "\xE6\x97\xA5"}},
  };
  for (const Labels& l : sets) {
    std::string enc = EncodeLabels(l);
    std::string appended = "prefix";
    AppendEncodedLabels(l, &appended);
    CHECK(appended == "prefix" + enc);
    Labels out = {{"stale", "x"}};
    REQUIRE(DecodeLabels(enc, &out).ok());
    CHECK(out == l);
  }
  CHECK(EncodeLabels({{"a", "1"}, {"b", "2"}}) != EncodeLabels({{"a", "12"}}));
  CHECK(EncodeLabels({{"ab", "c"}}) != EncodeLabels({{"a", "bc"}}));
}

TEST_CASE("decoding every truncation of an encoding") {
  Labels l = {{"__name__", "http_requests_total"}, {"code", "200"}, {"path", std::string(200, '/')}};
  std::string enc = EncodeLabels(l);
  // Offsets where a label ends: a cut there is a valid, shorter label set.
  std::vector<size_t> boundaries = {0};
  for (size_t i = 0; i < l.size(); ++i) boundaries.push_back(boundaries.back() + EncodeLabels({l[i]}).size());
  REQUIRE(boundaries.back() == enc.size());
  for (size_t n = 0; n < enc.size(); ++n) {
    CAPTURE(n);
    // An exactly-sized heap copy so AddressSanitizer catches any read past the end.
    auto buf = std::make_unique<char[]>(n == 0 ? 1 : n);
    std::memcpy(buf.get(), enc.data(), n);
    Labels out;
    Status s = DecodeLabels(std::string_view(buf.get(), n), &out);
    auto b = std::find(boundaries.begin(), boundaries.end(), n);
    if (b != boundaries.end()) {
      REQUIRE(s.ok());
      CHECK(out == Labels(l.begin(), l.begin() + (b - boundaries.begin())));
    } else {
      CHECK(s.code() == Status::Code::kCorruption);
    }
  }
}

TEST_CASE("decoding corrupt input") {
  auto corrupt = [](std::string in) {
    Labels out;
    return DecodeLabels(in, &out).code() == Status::Code::kCorruption;
  };
  CHECK(corrupt(std::string(11, '\xFF')));                    // varint longer than 64 bits
  CHECK(corrupt("\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01"));  // 2^64-1: length beyond the input
  CHECK(corrupt("\x05" "ab"));                               // name length beyond the input
  CHECK(corrupt("\x01" "a" "\x05" "b"));                     // value length beyond the input
  CHECK(corrupt("\x81\x00" "a" "\x01" "b"s));                 // non-minimal varint
  CHECK(corrupt("\x00\x01" "b"s));                            // empty name
  CHECK(corrupt("\x01" "b\x01" "1" "\x01" "a\x01" "1"));     // out of order
  CHECK(corrupt("\x01" "a\x01" "1" "\x01" "a\x01" "2"));     // duplicate
  Labels out;
  Status s = DecodeLabels("\x01" "a" "\x05" "b", &out);
  CHECK(s.message().find("\"a\"") != std::string::npos);
}

TEST_CASE("decoding random bytes: never crashes; accepted input is canonical") {
  std::mt19937 rng(42);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    size_t n = rng() % 12;
    auto buf = std::make_unique<char[]>(n + 1);
    for (size_t i = 0; i < n; ++i) {
      // Mostly small bytes so that lengths often fit.
      buf[i] = static_cast<char>(rng() % 4 == 0 ? rng() % 256 : 1 + rng() % 4 + (rng() % 2) * 'a');
    }
    std::string_view in(buf.get(), n);
    Labels out;
    if (DecodeLabels(in, &out).ok()) {
      ++accepted;
      CHECK(EncodeLabels(out) == in);
    }
  }
  CHECK(accepted > 100);
}

TEST_CASE("MetricToString: model.Metric.String(), the metric name first") {
  CHECK(MetricToString({}) == "{}");
  CHECK(MetricToString({{"__name__", "up"}}) == "up");
  CHECK(MetricToString({{"__name__", "up"}, {"instance", "a:1"}, {"job", "api"}}) ==
        "up{instance=\"a:1\", job=\"api\"}");
  CHECK(MetricToString({{"job", "api"}}) == "{job=\"api\"}");
  CHECK(MetricToString({{"__name__", "up"}, {"v", "a\"b\\c\nd"}}) == "up{v=\"a\\\"b\\\\c\\nd\"}");
  CHECK(MetricToString({{"__name__", "up"}, {"v", "\xE6\x97\xA5"}}) == "up{v=\"\xE6\x97\xA5\"}");
  // A metric name that is not a valid identifier is shown as a label.
  CHECK(MetricToString({{"__name__", "a b"}, {"x", "1"}}) == "{__name__=\"a b\", x=\"1\"}");
  // Go's %q: invalid UTF-8 and control bytes escaped.
  CHECK(MetricToString({{"__name__", "up"}, {"v", "\xff\x01\t"}}) == "up{v=\"\\xff\\x01\\t\"}");
}

TEST_CASE("LabelsToString: labels.Labels.String(), as PromQL's errors and promtool print label sets") {
  CHECK(LabelsToString({}) == "{}");
  CHECK(LabelsToString({{"__name__", "up"}}) == "{__name__=\"up\"}");
  CHECK(LabelsToString({{"__name__", "up"}, {"instance", "a:1"}, {"job", "api"}}) ==
        "{__name__=\"up\", instance=\"a:1\", job=\"api\"}");
  CHECK(LabelsToString({{"method", "get"}}) == "{method=\"get\"}");
  CHECK(LabelsToString({{"v", "a\"b\\c\nd"}}) == "{v=\"a\\\"b\\\\c\\nd\"}");
  CHECK(LabelsToString({{"v", "\xE6\x97\xA5"}}) == "{v=\"\xE6\x97\xA5\"}");
  CHECK(LabelsToString({{"v", "\xff\x01\t"}}) == "{v=\"\\xff\\x01\\t\"}");
  CHECK(LabelsToString({{"a b", "1"}}) == "{\"a b\"=\"1\"}");  // a name that is not a label name is quoted
  CHECK(QuoteForMessage("abc") == "\"abc\"");
  CHECK(QuoteForMessage("abcdef", 3) == "\"abc...\"");
  CHECK(QuoteForMessage("a\nb\xff") == "\"a\\nb\\xff\"");
}
