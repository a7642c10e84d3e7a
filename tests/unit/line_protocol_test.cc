// Tests for ingest/line_protocol: grammar, escapes, value types, errors with line numbers,
// partial writes, precision, grouping into batch entries, and a fuzz-style robustness test.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "index/labels_util.h"
#include "ingest/line_protocol.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Sample;
using gnomon::WriteBatch;
using namespace gnomon::ingest;

namespace {

struct Entry {
  Labels labels;
  std::vector<Sample> samples;
};

struct Parsed {
  LineProtocolResult result;
  std::vector<Entry> entries;
  // The entry whose __name__ is `name` (and, if given, whose labels contain `label`), or nullptr.
  const Entry* Find(const std::string& name, const Label& label = {}) const {
    for (const Entry& e : entries) {
      bool name_ok = false, label_ok = label.name.empty();
      for (const Label& l : e.labels) {
        if (l.name == "__name__" && l.value == name) name_ok = true;
        if (l == label) label_ok = true;
      }
      if (name_ok && label_ok) return &e;
    }
    return nullptr;
  }
  std::string FirstError() const { return result.errors.empty() ? "" : result.errors[0].reason; }
};

Parsed Parse(std::string_view body, LineProtocolOptions options = {}) {
  WriteBatch batch;
  Parsed p;
  p.result = ParseLineProtocol(body, options, &batch);
  for (size_t i = 0; i < batch.num_entries(); ++i) {
    Entry e;
    REQUIRE(gnomon::index::DecodeLabels(batch.EncodedLabels(i), &e.labels).ok());
    auto s = batch.SamplesOf(i);
    e.samples.assign(s.begin(), s.end());
    p.entries.push_back(std::move(e));
  }
  CHECK(p.result.samples == batch.num_samples());
  return p;
}

// The single value of a one-line, one-field body.
double OneValue(std::string_view body) {
  Parsed p = Parse(body);
  INFO(body, " -> ", p.FirstError());
  REQUIRE(p.result.rejected_lines == 0);
  REQUIRE(p.entries.size() == 1);
  REQUIRE(p.entries[0].samples.size() == 1);
  return p.entries[0].samples[0].value;
}

// The error reason for a one-line body that must be rejected.
std::string ErrorOf(std::string_view body) {
  Parsed p = Parse(body);
  INFO(body);
  CHECK(p.result.rejected_lines == 1);
  CHECK(p.result.samples == 0);
  REQUIRE(p.result.errors.size() == 1);
  CHECK(p.result.errors[0].line == 1);
  return p.result.errors[0].reason;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("a reference-shaped line maps each field to <measurement>_<field> with the tags as labels") {
  Parsed p = Parse(
      "cpu,hostname=host_0,region=us-east-1,rack=7 usage_user=12.34,usage_system=0.5 "
      "1699913600000000000\n");
  CHECK(p.result.lines == 1);
  CHECK(p.result.samples == 2);
  CHECK(p.result.rejected_lines == 0);
  REQUIRE(p.entries.size() == 2);
  const Labels want = {{"__name__", "cpu_usage_user"}, {"hostname", "host_0"}, {"rack", "7"},
                       {"region", "us-east-1"}};
  CHECK(p.entries[0].labels == want);
  CHECK(p.entries[1].labels[0].value == "cpu_usage_system");
  REQUIRE(p.entries[0].samples.size() == 1);
  CHECK(p.entries[0].samples[0].timestamp == 1699913600000);
  CHECK(p.entries[0].samples[0].value == 12.34);
  CHECK(p.entries[1].samples[0].value == 0.5);
}

TEST_CASE("labels are sorted by name, __name__ among them by byte order") {
  Parsed p = Parse("m,z=1,a=2,B=3,_x=4 v=1 0");
  REQUIRE(p.entries.size() == 1);
  const Labels want = {{"B", "3"}, {"__name__", "m_v"}, {"_x", "4"}, {"a", "2"}, {"z", "1"}};
  CHECK(p.entries[0].labels == want);
}

TEST_CASE("measurement without tags, field named value, no timestamp uses default_time_ms") {
  LineProtocolOptions o;
  o.default_time_ms = 1234567;
  Parsed p = Parse("temp value=21.5", o);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels == Labels{{"__name__", "temp_value"}});
  CHECK(p.entries[0].samples[0].timestamp == 1234567);
  CHECK(p.entries[0].samples[0].value == 21.5);
  // Trailing spaces after the field set still mean "no timestamp".
  p = Parse("temp value=1   ", o);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].samples[0].timestamp == 1234567);
}

TEST_CASE("float values, including exponent forms, equal strtod's result") {
  CHECK(OneValue("m v=1e3") == 1000);
  CHECK(OneValue("m v=-1.5E-3") == -0.0015);
  CHECK(OneValue("m v=2.5e+2") == 250);
  CHECK(OneValue("m v=-0") == 0);
  CHECK(std::signbit(OneValue("m v=-0.0")));
  CHECK(OneValue("m v=.5") == 0.5);
  CHECK(OneValue("m v=42") == 42);
  CHECK(OneValue("m v=1.7976931348623157e308") == std::numeric_limits<double>::max());
  std::mt19937_64 rng(7);
  for (int i = 0; i < 2000; ++i) {
    char buf[64];
    const double x = std::uniform_real_distribution<double>(-1e6, 1e6)(rng);
    const int digits = static_cast<int>(rng() % 18);
    std::snprintf(buf, sizeof buf, i % 3 == 0 ? "%.*e" : "%.*f", digits, x);
    INFO(buf);
    CHECK(OneValue(std::string("m v=") + buf + " 0") == std::strtod(buf, nullptr));
  }
}

TEST_CASE("integer, unsigned and boolean values") {
  CHECK(OneValue("m v=123i") == 123);
  CHECK(OneValue("m v=-123i") == -123);
  CHECK(OneValue("m v=9223372036854775807i") == 9223372036854775807.0);
  CHECK(OneValue("m v=123u") == 123);
  CHECK(OneValue("m v=18446744073709551615u") == 18446744073709551615.0);
  for (const char* t : {"t", "T", "true", "True", "TRUE"}) CHECK(OneValue(std::string("m v=") + t) == 1);
  for (const char* f : {"f", "F", "false", "False", "FALSE"}) CHECK(OneValue(std::string("m v=") + f) == 0);
}

TEST_CASE("invalid field values are rejected, naming the value and the field") {
  CHECK(ErrorOf("cpu usage_user=12x 0") == "invalid field value \"12x\" for field \"usage_user\"");
  for (const char* bad : {"NaN", "nan", "inf", "-inf", "+Inf", "Infinity", "-nan", "1e400", "+1", "1.5i", "-1u",
                          "9223372036854775808i", "18446744073709551616u", "1e5i", "tru", "yes", "1..2", "-",
                          ".", "0x10", "1_000", "1e", "\"a\"b", "T1"}) {
    const std::string line = std::string("m v=") + bad;
    const std::string reason = ErrorOf(line);
    INFO(line, " -> ", reason);
    CHECK(Contains(reason, "for field \"v\""));
    CHECK(Contains(reason, "invalid field value") != Contains(reason, "timestamp"));
  }
  CHECK(ErrorOf("m v=1,w=") == "missing value for field \"w\"");
  CHECK(ErrorOf("m v=1,w= 5") == "missing value for field \"w\"");
}

TEST_CASE("string fields are skipped and counted; escapes inside them do not end them") {
  Parsed p = Parse(R"(log,host=a msg="hello, \"world\" x=1 \\",level=3i,note="" 1000000)");
  CHECK(p.result.rejected_lines == 0);
  CHECK(p.result.skipped_string_fields == 2);
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels[0].value == "log_level");
  CHECK(p.entries[0].samples[0].value == 3);
  CHECK(p.entries[0].samples[0].timestamp == 1);
  // A line with only string fields is valid and yields nothing.
  p = Parse("log msg=\"x\"");
  CHECK(p.result.rejected_lines == 0);
  CHECK(p.result.lines == 1);
  CHECK(p.result.samples == 0);
  CHECK(p.result.skipped_string_fields == 1);
  CHECK(ErrorOf(R"(log msg="abc)") == "unterminated string field \"msg\"");
  CHECK(ErrorOf(R"(log msg="abc\")") == "unterminated string field \"msg\"");
  CHECK(ErrorOf(R"(log msg="abc\" 123)") == "unterminated string field \"msg\"");
}

TEST_CASE("escapes in measurement, tag keys, tag values and field keys") {
  // Measurement: "\," and "\ " (the resulting names are not valid metric names, so use a tag
  // value to observe escaping, and check the measurement through the error message).
  CHECK(Contains(ErrorOf(R"(my\ cpu\,x v=1)"), "measurement \"my cpu,x\""));
  Parsed p = Parse(R"(m,host=a\ b\,c\=d,path=C:\dir v=1)");
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels == Labels{{"__name__", "m_v"}, {"host", "a b,c=d"}, {"path", "C:\\dir"}});
  p = Parse(R"(m,k=a\\ v=1)");  // "\\" is one backslash, so the space ends the key
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels[1].value == "a\\");
  // Tag keys: an escaped character makes the key invalid as a label name, and the message shows
  // the unescaped key.
  CHECK(ErrorOf(R"(m,a\ b=1 v=1)") ==
        "tag key \"a b\" is not a valid label name (must match [a-zA-Z_][a-zA-Z0-9_]*)");
  CHECK(Contains(ErrorOf(R"(m,a\=b=1 v=1)"), "tag key \"a=b\""));
  CHECK(Contains(ErrorOf(R"(m,a\,b=1 v=1)"), "tag key \"a,b\""));
  // Field keys.
  CHECK(Contains(ErrorOf(R"(m f\ 1=1)"), "field \"f 1\""));
  CHECK(Contains(ErrorOf(R"(m f\=1=1)"), "field \"f=1\""));
  CHECK(Contains(ErrorOf(R"(m f\,1=1)"), "field \"f,1\""));
  // "\\" in a field key is one backslash; "\=" does not end the key.
  p = Parse("m a\\\\=1 1000000\nm a\\=2 2000000\n");
  CHECK(p.result.rejected_lines == 2);
  REQUIRE(p.result.errors.size() == 2);
  CHECK(Contains(p.result.errors[0].reason, "metric name \"m_a\\\\\""));
  CHECK(p.result.errors[1].reason == "missing \"=\" after field \"a=2\"");
}

TEST_CASE("the same series spelled differently (tag order) is one batch entry") {
  Parsed p = Parse(
      "m,a=1,b=2 v=1 1000000\n"
      "m,b=2,a=1 v=2 2000000\n"
      "m,a=1,b=2 v=3 3000000\n");
  REQUIRE(p.entries.size() == 1);
  REQUIRE(p.entries[0].samples.size() == 3);
  CHECK(p.entries[0].samples[1].value == 2);
  CHECK(p.entries[0].samples[2].timestamp == 3);
  // An unsorted spelling first, then the sorted one, then another order.
  p = Parse(
      "m,c=3,b=2,a=1 v=1 1000000\n"
      "m,a=1,b=2,c=3 v=2 2000000\n"
      "m,b=2,c=3,a=1 v=3 3000000\n");
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels == Labels{{"__name__", "m_v"}, {"a", "1"}, {"b", "2"}, {"c", "3"}});
  CHECK(p.entries[0].samples.size() == 3);
  CHECK(p.entries[0].samples[2].value == 3);
  // Escapes too: a needed escape with the tags in another order, an unneeded one ("C:\dir" and
  // "C:\\dir" are one value); the first spelling seen is canonical or not.
  p = Parse(
      "m,b=2,a=1\\,z v=1 1000000\n"
      "m,a=1\\,z,b=2 v=2 2000000\n"
      "m,b=2,a=1\\,z v=3 3000000\n"
      "m,p=C:\\dir v=4 4000000\n"
      "m,p=C:\\\\dir v=5 5000000\n");
  REQUIRE(p.entries.size() == 2);
  CHECK(p.entries[0].labels == Labels{{"__name__", "m_v"}, {"a", "1,z"}, {"b", "2"}});
  CHECK(p.entries[0].samples.size() == 3);
  CHECK(p.entries[1].labels == Labels{{"__name__", "m_v"}, {"p", "C:\\dir"}});
  CHECK(p.entries[1].samples.size() == 2);
}

TEST_CASE("grouping: each series is one contiguous entry, samples in line order, series in first-appearance order") {
  Parsed p = Parse(
      "cpu,host=b u=1,s=10 1000000\n"
      "cpu,host=a u=2,s=20 1000000\n"
      "cpu,host=b u=3,s=30 2000000\n"
      "cpu,host=b s=40,u=4,i=5i 3000000\n"  // field order changes, a new field appears
      "cpu,host=a u=5 2000000\n");
  CHECK(p.result.samples == 10);
  REQUIRE(p.entries.size() == 5);
  CHECK(p.entries[0].labels == Labels{{"__name__", "cpu_u"}, {"host", "b"}});
  CHECK(p.entries[1].labels == Labels{{"__name__", "cpu_s"}, {"host", "b"}});
  CHECK(p.entries[2].labels == Labels{{"__name__", "cpu_u"}, {"host", "a"}});
  CHECK(p.entries[3].labels == Labels{{"__name__", "cpu_s"}, {"host", "a"}});
  CHECK(p.entries[4].labels == Labels{{"__name__", "cpu_i"}, {"host", "b"}});
  const std::vector<double> bu = {1, 3, 4}, bs = {10, 30, 40}, au = {2, 5};
  REQUIRE(p.entries[0].samples.size() == 3);
  REQUIRE(p.entries[1].samples.size() == 3);
  REQUIRE(p.entries[2].samples.size() == 2);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(p.entries[0].samples[i].value == bu[i]);
    CHECK(p.entries[1].samples[i].value == bs[i]);
    CHECK(p.entries[0].samples[i].timestamp == static_cast<int64_t>(i + 1));
  }
  for (size_t i = 0; i < 2; ++i) CHECK(p.entries[2].samples[i].value == au[i]);
  CHECK(p.entries[4].samples.size() == 1);
}

TEST_CASE("CRLF line endings, blank lines, comments and leading whitespace") {
  Parsed p = Parse(
      "# a comment\r\n"
      "\r\n"
      "m v=1 1000000\r\n"
      "   \n"
      "  # indented comment with bad=syntax\n"
      "\tm v=2 2000000\r\n"
      "m v=3 3000000");  // no final line break
  CHECK(p.result.lines == 3);
  CHECK(p.result.rejected_lines == 0);
  REQUIRE(p.entries.size() == 1);
  REQUIRE(p.entries[0].samples.size() == 3);
  CHECK(p.entries[0].samples[1].value == 2);
  CHECK(p.entries[0].samples[1].timestamp == 2);
  CHECK(p.entries[0].samples[2].timestamp == 3);
  // A bad line after CRLF lines reports its own line number.
  p = Parse("m v=1\r\n\r\nm v=x\r\n");
  REQUIRE(p.result.errors.size() == 1);
  CHECK(p.result.errors[0].line == 3);
  CHECK(p.FirstError() == "invalid field value \"x\" for field \"v\"");
}

TEST_CASE("structural errors name what is missing") {
  CHECK(ErrorOf("cpu") == "missing field set");
  CHECK(ErrorOf("cpu,host=a") == "missing field set");
  CHECK(ErrorOf("cpu,host=a   ") == "missing field set");
  CHECK(ErrorOf(",host=a v=1") == "missing measurement");
  CHECK(ErrorOf("cpu,=a v=1") == "missing tag key");
  CHECK(ErrorOf("cpu, v=1") == "missing tag key");
  CHECK(ErrorOf("cpu,host v=1") == "missing \"=\" after tag key \"host\"");
  CHECK(ErrorOf("cpu,host= v=1") == "tag \"host\" has an empty value");
  CHECK(ErrorOf("cpu,host=,x=1 v=1") == "tag \"host\" has an empty value");
  CHECK(ErrorOf("cpu,host=a=b v=1") == "tag \"host\" has an unescaped \"=\" in its value");
  CHECK(ErrorOf("cpu,host=a,host=b v=1") == "duplicate tag key \"host\"");
  CHECK(ErrorOf("cpu,host-name=a v=1") ==
        "tag key \"host-name\" is not a valid label name (must match [a-zA-Z_][a-zA-Z0-9_]*)");
  CHECK(Contains(ErrorOf("cpu,1abc=a v=1"), "tag key \"1abc\" is not a valid label name"));
  CHECK(Contains(ErrorOf("cpu,__name__=x v=1"), "tag key \"__name__\" is reserved"));
  CHECK(Contains(ErrorOf("cpu,__meta=x v=1"), "tag key \"__meta\" is reserved"));
  CHECK(ErrorOf("cpu v") == "missing \"=\" after field \"v\"");
  CHECK(ErrorOf("cpu v,w=1") == "missing \"=\" after field \"v\"");
  CHECK(ErrorOf("cpu =1") == "missing field key");
  CHECK(ErrorOf("cpu v=1,,w=2") == "missing field key");
  CHECK(ErrorOf("cpu v=1,") == "missing field after ','");
  CHECK(ErrorOf("cpu v=1, 5") == "missing field after ','");
  CHECK(ErrorOf("cpu v=") == "missing value for field \"v\"");
  CHECK(ErrorOf("cpu usage-user=1") ==
        "field \"usage-user\" of measurement \"cpu\" makes metric name \"cpu_usage-user\", which is not valid "
        "(must match [a-zA-Z_:][a-zA-Z0-9_:]*)");
  CHECK(Contains(ErrorOf("1cpu v=1"), "metric name \"1cpu_v\""));
  CHECK(Contains(ErrorOf("cpu.load v=1"), "metric name \"cpu.load_v\""));
  CHECK(ErrorOf("cpu v=1 abc") == "invalid timestamp \"abc\"");
  CHECK(ErrorOf("cpu v=1 12a") == "invalid timestamp \"12a\"");
  CHECK(ErrorOf("cpu v=1 1 2") == "invalid timestamp \"1 2\"");
  CHECK(ErrorOf("cpu v=1 +5") == "invalid timestamp \"+5\"");
  CHECK(ErrorOf("cpu v=1 1.5") == "invalid timestamp \"1.5\"");
  CHECK(ErrorOf("cpu v=1 99999999999999999999") == "timestamp \"99999999999999999999\" is out of range");
}

TEST_CASE("metric names may contain ':' and tag values any UTF-8, but not invalid UTF-8") {
  Parsed p = Parse("job:rate v=1,_x:y=2 0\nm,city=Zürich\\ Süd v=3 0");
  CHECK(p.result.rejected_lines == 0);
  CHECK(p.Find("job:rate_v") != nullptr);
  CHECK(p.Find("job:rate__x:y") != nullptr);
  CHECK(p.Find("m_v", {"city", "Zürich Süd"}) != nullptr);
  const std::string reason = ErrorOf("m,city=\xff\xfe v=1");
  CHECK(Contains(reason, "UTF-8"));
}

TEST_CASE("label limits reject the line rather than the batch") {
  LineProtocolOptions o;
  o.limits.max_label_value_length = 4;
  Parsed p = Parse("m,h=abcd v=1\nm,h=abcde v=2\n", o);
  CHECK(p.result.rejected_lines == 1);
  REQUIRE(p.result.errors.size() == 1);
  CHECK(p.result.errors[0].line == 2);
  CHECK(Contains(p.FirstError(), "limit is 4"));
  CHECK(p.result.samples == 1);
}

TEST_CASE("every limit rejects its line, whether the tags come sorted, unsorted or escaped") {
  // Plain keys (no escapes, ASCII values) take a path of their own that checks the tags once per
  // key; the answers must be the general path's.
  struct Case {
    gnomon::Limits limits;
    std::string line;
    std::string error;  // "" = accepted
  };
  auto with = [](auto set) {
    gnomon::Limits l;
    set(l);
    return l;
  };
  const gnomon::Limits two_labels = with([](gnomon::Limits& l) { l.max_labels_per_series = 2; });
  const gnomon::Limits short_values = with([](gnomon::Limits& l) { l.max_label_value_length = 5; });
  const gnomon::Limits short_names = with([](gnomon::Limits& l) { l.max_label_name_length = 3; });
  const gnomon::Limits shorter_than_name = with([](gnomon::Limits& l) { l.max_label_name_length = 7; });
  const std::vector<Case> cases = {
      {two_labels, "m,a=1 v=1", ""},
      {two_labels, "m,a=1,b=2 v=1", "has 3 labels, limit is 2"},
      {two_labels, "m,b=2,a=1 v=1", "has 3 labels, limit is 2"},
      {two_labels, "m,b=2,a=1\\,x v=1", "has 3 labels, limit is 2"},
      {short_values, "m,a=12345 v=1", ""},
      {short_values, "m,a=123456 v=1", "value is 6 bytes, limit is 5"},
      {short_values, "m,b=1,a=123456 v=1", "value is 6 bytes, limit is 5"},
      {short_values, "mm,a=1 v=1", ""},
      {short_values, "measure,a=1 v=1", "label \"__name__\": value is 9 bytes, limit is 5"},
      {short_values, "measure,b=1,a=1 v=1", "label \"__name__\": value is 9 bytes, limit is 5"},
      {short_names, "m,abc=1 v=1", "label name \"__name__\" is 8 bytes, limit is 3"},
      {short_names, "m,ABCD=1 v=1", "label name \"ABCD\" is 4 bytes, limit is 3"},
      {shorter_than_name, "m,b=1,a=2 v=1", "label name \"__name__\" is 8 bytes, limit is 7"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    LineProtocolOptions o;
    o.limits = c.limits;
    Parsed p = Parse(c.line + "\n" + c.line + " 1000000\n", o);  // the key's first and a later line
    if (c.error.empty()) {
      CHECK(p.result.rejected_lines == 0);
      CHECK(p.result.samples == 2);
    } else {
      CHECK(p.result.rejected_lines == 2);
      CHECK(p.result.samples == 0);
      REQUIRE(p.result.errors.size() == 2);
      CHECK(Contains(p.result.errors[0].reason, c.error));
      CHECK(p.result.errors[1].reason == p.result.errors[0].reason);
    }
  }
}

TEST_CASE("partial writes: invalid lines are reported with their line numbers, valid lines kept") {
  LineProtocolOptions o;
  o.max_errors = 2;
  Parsed p = Parse(
      "m v=1 1000000\n"
      "m v=oops 2000000\n"
      "m,h-x=1 v=2 3000000\n"
      "m v=3 4000000\n"
      "m v=4,w=bad 5000000\n"  // a line is all or nothing: v=4 is not stored either
      "m v=5 6000000\n",
      o);
  CHECK(p.result.lines == 6);
  CHECK(p.result.rejected_lines == 3);
  REQUIRE(p.result.errors.size() == 2);  // capped at max_errors
  CHECK(p.result.errors[0].line == 2);
  CHECK(p.result.errors[0].reason == "invalid field value \"oops\" for field \"v\"");
  CHECK(p.result.errors[1].line == 3);
  CHECK(Contains(p.result.errors[1].reason, "tag key \"h-x\""));
  REQUIRE(p.entries.size() == 1);
  REQUIRE(p.entries[0].samples.size() == 3);
  CHECK(p.entries[0].samples[0].value == 1);
  CHECK(p.entries[0].samples[1].value == 3);
  CHECK(p.entries[0].samples[2].value == 5);
  CHECK(p.entries[0].samples[2].timestamp == 6);
  // A series whose only line was rejected does not appear (no empty entries).
  p = Parse("m v=1,w=x\nn v=1\n");
  REQUIRE(p.entries.size() == 1);
  CHECK(p.entries[0].labels[0].value == "n_v");
  // A series rejected on one line is rejected again on the next, not silently accepted.
  p = Parse("m b-c=1\nm b-c=2\n");
  CHECK(p.result.rejected_lines == 2);
  CHECK(p.result.samples == 0);
}

TEST_CASE("precision scales timestamps to milliseconds, flooring toward -inf") {
  struct Case {
    Precision precision;
    const char* ts;
    int64_t want_ms;
  };
  const Case cases[] = {
      {Precision::kNanoseconds, "1699913600123456789", 1699913600123},
      {Precision::kNanoseconds, "-1", -1},
      {Precision::kNanoseconds, "-1000000", -1},
      {Precision::kNanoseconds, "-1000001", -2},
      {Precision::kNanoseconds, "999999", 0},
      {Precision::kNanoseconds, "-9223372036854775808", -9223372036855},
      {Precision::kMicroseconds, "1699913600123456", 1699913600123},
      {Precision::kMicroseconds, "-1", -1},
      {Precision::kMicroseconds, "-1000", -1},
      {Precision::kMilliseconds, "-5", -5},
      {Precision::kMilliseconds, "9223372036854775807", 9223372036854775807},
      {Precision::kSeconds, "1699913600", 1699913600000},
      {Precision::kSeconds, "-2", -2000},
      {Precision::kMinutes, "2", 120000},
      {Precision::kHours, "-3", -10800000},
      {Precision::kSeconds, "9223372036854775", 9223372036854775000},
  };
  for (const Case& c : cases) {
    LineProtocolOptions o;
    o.precision = c.precision;
    Parsed p = Parse(std::string("m v=1 ") + c.ts, o);
    INFO(c.ts, " precision ", static_cast<int>(c.precision), " ", p.FirstError());
    REQUIRE(p.entries.size() == 1);
    CHECK(p.entries[0].samples[0].timestamp == c.want_ms);
  }
  const std::pair<Precision, const char*> overflows[] = {
      {Precision::kSeconds, "9223372036854776"},
      {Precision::kSeconds, "-9223372036854776"},
      {Precision::kMinutes, "153722867280913"},
      {Precision::kHours, "2562047788016"},
      {Precision::kHours, "-2562047788016"},
  };
  for (const auto& [precision, ts] : overflows) {
    LineProtocolOptions o;
    o.precision = precision;
    Parsed p = Parse(std::string("m v=1 ") + ts, o);
    INFO(ts);
    CHECK(p.result.rejected_lines == 1);
    CHECK(Contains(p.FirstError(), "is out of range"));
    CHECK(Contains(p.FirstError(), ts));
  }
}

TEST_CASE("ParsePrecision accepts InfluxDB 1.x and 2.x spellings") {
  CHECK(ParsePrecision("").value() == Precision::kNanoseconds);
  CHECK(ParsePrecision("ns").value() == Precision::kNanoseconds);
  CHECK(ParsePrecision("n").value() == Precision::kNanoseconds);
  CHECK(ParsePrecision("u").value() == Precision::kMicroseconds);
  CHECK(ParsePrecision("us").value() == Precision::kMicroseconds);
  CHECK(ParsePrecision("µs").value() == Precision::kMicroseconds);
  CHECK(ParsePrecision("ms").value() == Precision::kMilliseconds);
  CHECK(ParsePrecision("s").value() == Precision::kSeconds);
  CHECK(ParsePrecision("m").value() == Precision::kMinutes);
  CHECK(ParsePrecision("h").value() == Precision::kHours);
  auto bad = ParsePrecision("d");
  REQUIRE(!bad.ok());
  CHECK(Contains(bad.status().message(), "invalid precision \"d\""));
}

TEST_CASE("samples are appended to a batch that already holds entries") {
  WriteBatch batch;
  batch.Add(Labels{{"__name__", "other"}}, 1, 1.0);
  LineProtocolResult r = ParseLineProtocol("m v=1 1000000\nm v=2 2000000\n", {}, &batch);
  CHECK(r.samples == 2);
  CHECK(batch.num_entries() == 2);
  CHECK(batch.num_samples() == 3);
  CHECK(batch.SamplesOf(1).size() == 2);
}

TEST_CASE("fuzz: random mutations of valid lines never crash and keep the counters consistent") {
  const std::vector<std::string> seeds = {
      "cpu,hostname=host_0,region=us-east-1,rack=7 usage_user=12.34,usage_system=0.5,usage_idle=99 "
      "1699913600000000000",
      R"(log,host=a\ b msg="hello, \"world\" \\",level=3i,ok=true,u=7u 1000000)",
      "m,a=1,b=2 v=-1.5e-3,w=F",
      "m v=1",
  };
  const std::string alphabet = "\\\",= \"#\r\n\t-+.eEiutfTF0123456789abc_:\xff";
  std::mt19937_64 rng(12345);
  size_t total_samples = 0, total_rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::string body;
    const int nlines = 1 + static_cast<int>(rng() % 4);
    for (int l = 0; l < nlines; ++l) {
      std::string line = seeds[rng() % seeds.size()];
      const int mutations = 1 + static_cast<int>(rng() % 4);
      for (int m = 0; m < mutations && !line.empty(); ++m) {
        const size_t pos = rng() % (line.size() + 1);
        switch (rng() % 4) {
          case 0: line.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
          case 1: if (pos < line.size()) line.erase(pos, 1 + rng() % 3); break;
          case 2: if (pos < line.size()) line[pos] = alphabet[rng() % alphabet.size()]; break;
          case 3: line.resize(pos); break;  // truncation
        }
      }
      body += line;
      body += '\n';
    }
    if (rng() % 2 == 0) body.pop_back();  // sometimes no final line break
    LineProtocolOptions o;
    o.precision = static_cast<Precision>(rng() % 6);
    o.max_errors = rng() % 3;
    WriteBatch batch;
    LineProtocolResult r = ParseLineProtocol(body, o, &batch);
    REQUIRE(r.rejected_lines <= r.lines);
    REQUIRE(r.errors.size() <= o.max_errors);
    REQUIRE(r.errors.size() <= r.rejected_lines);
    REQUIRE(r.samples == batch.num_samples());
    for (const LineError& e : r.errors) {
      REQUIRE(e.line >= 1);
      REQUIRE(!e.reason.empty());
    }
    for (size_t i = 0; i < batch.num_entries(); ++i) {
      Labels labels;
      REQUIRE(gnomon::index::DecodeLabels(batch.EncodedLabels(i), &labels).ok());
      REQUIRE(gnomon::index::ValidateLabels(labels, gnomon::Limits{}).ok());  // the engine accepts it
    }
    total_samples += r.samples;
    total_rejected += r.rejected_lines;
  }
  // The mutations hit both outcomes.
  CHECK(total_samples > 1000);
  CHECK(total_rejected > 1000);
}

TEST_CASE("many series: every one is found again on later lines (series table growth)") {
  std::string body;
  constexpr int kHosts = 5000;
  for (int round = 0; round < 3; ++round) {
    for (int h = 0; h < kHosts; ++h) {
      body += "cpu,host=h" + std::to_string(h) + " a=" + std::to_string(h) + ",b=" + std::to_string(round) + "i " +
              std::to_string(round) + "000000\n";
    }
  }
  Parsed p = Parse(body);
  CHECK(p.result.rejected_lines == 0);
  CHECK(p.result.samples == 3 * 2 * kHosts);
  REQUIRE(p.entries.size() == 2 * kHosts);
  for (int h = 0; h < kHosts; h += 97) {
    const Entry& a = p.entries[2 * h];
    REQUIRE(a.samples.size() == 3);
    CHECK(a.labels == Labels{{"__name__", "cpu_a"}, {"host", "h" + std::to_string(h)}});
    CHECK(a.samples[2].value == h);
    CHECK(a.samples[2].timestamp == 2);
    const Entry& b = p.entries[2 * h + 1];
    CHECK(b.labels[0].value == "cpu_b");
    CHECK(b.samples[1].value == 1);
  }
}
