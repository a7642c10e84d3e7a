// Tests for logs/push: Loki's push API in JSON and in snappy protobuf (built with the generated
// classes), NDJSON and plain text; every rejection reason, the limits, timestamps, structured
// metadata, Loki label text; that Loki JSON's simdjson reading and its nlohmann fallback decide
// alike; and random mutations of valid bodies (no crash; ASan runs this).
#include <doctest/doctest.h>

#include <simdjson.h>
#include <snappy.h>
#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "logs/push/log_batch.h"
#include "logs/push/loki_push.h"
#include "logs/push/ndjson_push.h"
#include "logs/push/push_common.h"
#include "push.pb.h"
#include "util/time_format.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Status;
using gnomon::logs::DecodeLokiPushJson;
using gnomon::logs::DecodeLokiPushProtobuf;
using gnomon::logs::DecodeNdjsonLogs;
using gnomon::logs::DecodePlainTextLogs;
using gnomon::logs::FormatRejection;
using gnomon::logs::LogLimits;
using gnomon::logs::LogPushResult;
using gnomon::logs::LogRejection;
using gnomon::logs::ParseLokiLabels;
namespace logproto = gnomon::logproto;
namespace pi = gnomon::logs::push_internal;

namespace {

constexpr size_t kMaxRaw = 8 << 20;
constexpr int64_t kNow = 1'700'000'000'000'000'000;

LogPushResult Json(std::string_view body, const LogLimits& limits = {}) {
  auto r = DecodeLokiPushJson(body, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

LogPushResult Ndjson(std::string_view body, const LogLimits& limits = {}) {
  auto r = DecodeNdjsonLogs(body, kNow, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

// The only rejection's reason (and that the batch is otherwise empty of that entry).
std::string OnlyReason(const LogPushResult& r) {
  REQUIRE(r.rejections.size() == 1);
  return r.rejections[0].reason;
}

// A JSON push body with one stream {job="a"} and the given values array text.
std::string OneStream(std::string_view values) {
  return R"({"streams":[{"stream":{"job":"a"},"values":)" + std::string(values) + "}]}";
}

std::string Compress(const logproto::PushRequest& req) {
  std::string raw;
  REQUIRE(req.SerializeToString(&raw));
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

logproto::EntryAdapter* AddEntry(logproto::StreamAdapter* s, int64_t secs, int32_t nanos, std::string line) {
  auto* e = s->add_entries();
  e->mutable_timestamp()->set_seconds(secs);
  e->mutable_timestamp()->set_nanos(nanos);
  e->set_line(std::move(line));
  return e;
}

LogPushResult Proto(const logproto::PushRequest& req, const LogLimits& limits = {}) {
  auto r = DecodeLokiPushProtobuf(Compress(req), kMaxRaw, limits);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  return std::move(*r);
}

// The reason a protobuf request with one stream of these labels (and one entry) is rejected.
std::string ProtoLabelReason(const std::string& labels) {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels(labels);
  AddEntry(s, 1, 0, "x");
  LogPushResult r = Proto(req);
  CHECK(r.accepted == 0);
  CHECK(r.rejected == 1);
  return OnlyReason(r);
}

}  // namespace

TEST_CASE("Loki JSON: streams, entries, metadata, merged label sets") {
  LogPushResult r = Json(R"({"streams":[
    {"stream":{"job":"api","env":"prod","empty":""},"values":[
      ["1700000000000000000","first"],
      ["1700000000000000001","second",{"trace_id":"abc","user":"u1"}]]},
    {"stream":{"job":"db"},"values":[["-5","before 1970"]]},
    {"stream":{"env":"prod","job":"api"},"values":[["1700000000000000002","third",{}]]}
  ]})");
  CHECK(r.accepted == 4);
  CHECK(r.rejected == 0);
  CHECK(r.rejections.empty());
  REQUIRE(r.batch.streams.size() == 2);
  const auto& api = r.batch.streams[0];
  CHECK(api.labels == Labels{{"env", "prod"}, {"job", "api"}});  // sorted, the empty value dropped
  REQUIRE(api.entries.size() == 3);                              // the third stream merged into the first
  CHECK(api.entries[0].ts_ns == 1'700'000'000'000'000'000);
  CHECK(api.entries[0].line == "first");
  CHECK(api.entries[0].metadata.empty());
  CHECK(api.entries[1].metadata ==
        std::vector<std::pair<std::string, std::string>>{{"trace_id", "abc"}, {"user", "u1"}});
  CHECK(api.entries[2].line == "third");
  CHECK(r.batch.streams[1].labels == Labels{{"job", "db"}});
  CHECK(r.batch.streams[1].entries[0].ts_ns == -5);
}

TEST_CASE("Loki JSON: body-level errors fail the request") {
  auto reason = [](std::string_view body) {
    auto r = DecodeLokiPushJson(body, {});
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    return r.status().message();
  };
  CHECK(reason("{\"streams\":[") ==
        "invalid JSON: parse error at line 1, column 13: syntax error while parsing value - unexpected end of "
        "input; expected '[', '{', or a literal");
  CHECK(reason("").starts_with("invalid JSON"));
  CHECK(reason("[]") == "push request is not a JSON object");
  CHECK(reason("{}") == "push request has no \"streams\"");
  CHECK(reason(R"({"streams":{}})") == "\"streams\" is not an array");
  CHECK(Json(R"({"streams":[]})").batch.streams.empty());
}

TEST_CASE("Loki JSON: a bad stream is rejected with its number, the others kept") {
  auto stream_reason = [](std::string_view stream) {
    LogPushResult r =
        Json(R"({"streams":[{"stream":{"ok":"1"},"values":[["1","kept"]]},)" + std::string(stream) + "]}");
    CHECK(r.accepted == 1);
    REQUIRE(r.rejections.size() == 1);
    CHECK(r.rejections[0].line_or_stream == 2);
    CHECK(r.rejections[0].entry == 0);
    return r.rejections[0].reason;
  };
  CHECK(stream_reason("7") == "stream is not a JSON object");
  CHECK(stream_reason(R"({"values":[]})") == "missing \"stream\"");
  CHECK(stream_reason(R"({"stream":[],"values":[]})") == "\"stream\" is not an object");
  CHECK(stream_reason(R"({"stream":{"a":1},"values":[]})") == "label \"a\" has a value that is not a string");
  CHECK(stream_reason(R"({"stream":{"a":"b"}})") == "missing \"values\"");
  CHECK(stream_reason(R"({"stream":{"a":"b"},"values":{}})") == "\"values\" is not an array");
  CHECK(stream_reason(R"({"stream":{},"values":[]})") == "stream has no labels");
  CHECK(stream_reason(R"({"stream":{"a":""},"values":[]})") == "stream has no labels");
  CHECK(stream_reason(R"({"stream":{"1a":"b"},"values":[]})") ==
        "label name \"1a\" is invalid: must match [a-zA-Z_][a-zA-Z0-9_]*");
  CHECK(stream_reason(R"({"stream":{"a-b":"b"},"values":[]})").starts_with("label name \"a-b\" is invalid"));
  CHECK(stream_reason(R"({"stream":{"__name__":"b"},"values":[]})") == "label name \"__name__\" is reserved");
  CHECK(stream_reason(R"({"stream":{")" + std::string(1025, 'n') + R"(":"b"},"values":[]})")
            .ends_with(" is 1025 bytes, limit is 1024"));
  CHECK(stream_reason(R"({"stream":{"a":")" + std::string(2049, 'v') + R"("},"values":[]})") ==
        "label \"a\": value is 2049 bytes, limit is 2048");

  std::string many = R"({"stream":{)";
  for (int i = 0; i < 16; ++i) many += (i ? "," : "") + std::string("\"l") + std::to_string(i) + "\":\"v\"";
  many += R"(},"values":[["1","x"],["2","y"]]})";
  LogPushResult r = Json(R"({"streams":[)" + many + "]}");
  CHECK(r.rejected == 2);  // the stream's entries are counted
  CHECK(OnlyReason(r) == "stream has 16 labels, limit is 15");
  CHECK(FormatRejection(r.rejections[0], "stream") == "stream 1: stream has 16 labels, limit is 15");
}

TEST_CASE("Loki JSON: a bad entry is rejected with its stream and entry numbers") {
  auto entry_reason = [](std::string_view entry, const LogLimits& limits = {}) {
    LogPushResult r = Json(OneStream(R"([["1","ok"],)" + std::string(entry) + "]"), limits);
    CHECK(r.accepted == 1);
    CHECK(r.rejected == 1);
    REQUIRE(r.rejections.size() == 1);
    CHECK(r.rejections[0].line_or_stream == 1);
    CHECK(r.rejections[0].entry == 2);
    return r.rejections[0].reason;
  };
  const std::string not_entry =
      R"(entry is not an array ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {<metadata>}])";
  CHECK(entry_reason(R"("x")") == not_entry);
  CHECK(entry_reason(R"(["1"])") == not_entry);
  CHECK(entry_reason(R"(["1","a",{},1])") == not_entry);
  CHECK(entry_reason(R"([1,"a"])") == "timestamp is not a string of Unix nanoseconds");
  CHECK(entry_reason(R"(["1.5","a"])") == "timestamp \"1.5\" is not an integer number of Unix nanoseconds");
  CHECK(entry_reason(R"(["","a"])") == "timestamp \"\" is not an integer number of Unix nanoseconds");
  CHECK(entry_reason(R"(["99999999999999999999","a"])").ends_with("is not an integer number of Unix nanoseconds"));
  CHECK(entry_reason(R"(["1",5])") == "line is not a string");
  CHECK(entry_reason(R"(["1","a",[]])") == "structured metadata is not a JSON object");
  CHECK(entry_reason(R"(["1","a",{"k":1}])") == "structured metadata \"k\" is not a string");
  CHECK(entry_reason(R"(["1","a",{"":"v"}])") == "structured metadata has an empty name");
  LogLimits small;
  small.max_line_bytes = 3;
  CHECK(entry_reason(R"(["1","abcd"])", small) == "line is 4 bytes, limit is 3");
  CHECK(FormatRejection(LogRejection{1, 2, "why"}, "stream") == "stream 1, entry 2: why");
}

TEST_CASE("Loki JSON: request limits fail the whole request") {
  LogLimits limits;
  limits.max_lines = 2;
  auto r = DecodeLokiPushJson(OneStream(R"([["1","a"],["2","b"],["3","c"]])"), limits);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "request has 3 log lines, limit is 2");
  CHECK(DecodeLokiPushJson(OneStream(R"([["1","a"],["2","b"]])"), limits).ok());

  limits = {};
  limits.max_streams = 1;
  std::string two =
      R"({"streams":[{"stream":{"a":"1"},"values":[["1","x"]]},{"stream":{"a":"2"},"values":[["1","y"]]}]})";
  r = DecodeLokiPushJson(two, limits);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "request has more than 1 streams (label sets), the limit");
  // The same label set twice is one stream.
  CHECK(Json(R"({"streams":[{"stream":{"a":"1"},"values":[["1","x"]]},{"stream":{"a":"1"},"values":[["1","y"]]}]})",
             limits)
            .batch.streams.size() == 1);

  limits = {};
  limits.max_rejections = 2;
  LogPushResult many = Json(OneStream(R"([[1,"a"],[2,"b"],[3,"c"],["4","d"]])"), limits);
  CHECK(many.accepted == 1);
  CHECK(many.rejected == 3);
  CHECK(many.rejections.size() == 2);
}

namespace {

// `body` (a JSON object) with a first member simdjson does not parse, an integer past 64 bits,
// which nlohmann-json reads as a double: DecodeLokiPushJson then decides by the nlohmann reading,
// and the member changes nothing else (a later "pad" would win over it).
std::string WithFallback(std::string_view body) {
  const size_t open = body.find('{');
  REQUIRE(open != std::string_view::npos);
  const size_t next = body.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = next != std::string_view::npos && body[next] == '}';
  std::string out(body.substr(0, open + 1));
  out += R"("pad":123456789012345678901234567890)";
  if (!empty) out += ',';
  out += body.substr(open + 1);
  simdjson::dom::parser parser;
  REQUIRE(parser.parse(out).error() != simdjson::SUCCESS);  // what the test is about
  return out;
}

// Both readings of `body`, which simdjson parses: the same result, or the same failure.
void CheckSameReadings(std::string_view body, const LogLimits& limits = {}) {
  CAPTURE(body);
  simdjson::dom::parser parser;
  REQUIRE(parser.parse(body.data(), body.size()).error() == simdjson::SUCCESS);
  auto fast = DecodeLokiPushJson(body, limits);
  auto slow = DecodeLokiPushJson(WithFallback(body), limits);
  REQUIRE(fast.ok() == slow.ok());
  if (!fast.ok()) {
    CHECK(fast.status().code() == slow.status().code());
    CHECK(fast.status().message() == slow.status().message());
    return;
  }
  CHECK(fast->accepted == slow->accepted);
  CHECK(fast->rejected == slow->rejected);
  REQUIRE(fast->rejections.size() == slow->rejections.size());
  for (size_t i = 0; i < fast->rejections.size(); ++i) {
    CHECK(FormatRejection(fast->rejections[i], "stream") == FormatRejection(slow->rejections[i], "stream"));
  }
  REQUIRE(fast->batch.streams.size() == slow->batch.streams.size());
  for (size_t i = 0; i < fast->batch.streams.size(); ++i) {
    const auto& a = fast->batch.streams[i];
    const auto& b = slow->batch.streams[i];
    CHECK(a.labels == b.labels);
    REQUIRE(a.entries.size() == b.entries.size());
    for (size_t j = 0; j < a.entries.size(); ++j) {
      CHECK(a.entries[j].ts_ns == b.entries[j].ts_ns);
      CHECK(a.entries[j].line == b.entries[j].line);
      CHECK(a.entries[j].metadata == b.entries[j].metadata);
    }
  }
  CHECK(!fast->batch.source.has_value());
  CHECK(!slow->batch.source.has_value());
}

}  // namespace

TEST_CASE("Loki JSON: the simdjson reading and the nlohmann fallback agree on valid bodies") {
  // Metadata in any order, keys written twice (nlohmann keeps the last), escapes and UTF-8, label
  // sets that are the same once sorted and their empty values dropped.
  const std::string body = R"({"extra":{"ignored":[1,2.5,-0,1e-400,true,null,"x"]},"streams":[
    {"stream":{"job":"api","env":"prod","empty":""},"values":[
      ["1700000000000000000","quote \" backslash \\ slash \/ controls \b\f\n\r\t nul \u0000 end"],
      ["1700000000000000001","{\"msg\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00\",\"raw\":\"café 日本 😀\"}",
       {"user":"u1","trace_id":"abc","user":"u2","":"","\u00e9":"\u00e9"}]]},
    {"stream":{"job":"db","job":"db2"},"values":[["-5","before 1970"]],"values":[["6","later values win"]]},
    {"values":[["7","stream after values"]],"stream":{"env":"prod","job":"api","empty":""}},
    {"stream":{"job":"api","env":"prod"},"values":[]},
    {"stream":{"x":"1"},"values":[["8","a",{}]],"stream":{"env":"prod","job":"api"}}
  ]})";
  CheckSameReadings(body);

  // What both readings give.
  LogPushResult r = Json(body);
  CHECK(r.accepted == 4);
  CHECK(r.rejected == 1);  // the empty metadata name
  CHECK(FormatRejection(r.rejections.at(0), "stream") == "stream 1, entry 2: structured metadata has an empty name");
  REQUIRE(r.batch.streams.size() == 2);
  const auto& api = r.batch.streams[0];
  CHECK(api.labels == Labels{{"env", "prod"}, {"job", "api"}});
  REQUIRE(api.entries.size() == 3);
  constexpr char kFirst[] = "quote \" backslash \\ slash / controls \b\f\n\r\t nul \0 end";
  CHECK(api.entries[0].line == std::string(kFirst, sizeof kFirst - 1));
  CHECK(api.entries[1].line == "stream after values");
  CHECK(api.entries[2].ts_ns == 8);
  CHECK(r.batch.streams[1].labels == Labels{{"job", "db2"}});
  CHECK(r.batch.streams[1].entries.at(0).line == "later values win");

  LogPushResult md = Json(OneStream(
      R"([["1","{\"msg\":\"caf\u00e9 \ud83d\ude00\"}",{"user":"u1","trace_id":"abc","user":"u2","\u00e9":"\u00e9"}]])"));
  REQUIRE(md.accepted == 1);
  const auto& e = md.batch.streams.at(0).entries.at(0);
  CHECK(e.line == "{\"msg\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\"}");
  // By name, bytewise (é is 0xc3 0xa9), the last "user".
  CHECK(e.metadata == std::vector<std::pair<std::string, std::string>>{
                          {"trace_id", "abc"}, {"user", "u2"}, {"\xc3\xa9", "\xc3\xa9"}});
  CheckSameReadings(OneStream(R"([["1","a",{"user":"u1","trace_id":"abc","user":"u2","\u00e9":"\u00e9"}]])"));

  // Duplicate label sets merged, across many streams.
  std::string many = R"({"streams":[)";
  for (int i = 0; i < 50; ++i) {
    many += (i ? "," : "") + std::string(R"({"stream":{"b":")") + std::to_string(i % 3) + R"(","a":"x"},"values":[[")" +
            std::to_string(i) + R"(","line )" + std::to_string(i) + R"(\"q\""]]})";
  }
  many += "]}";
  CheckSameReadings(many);
  CHECK(Json(many).batch.streams.size() == 3);

  // "streams" written twice: the last one.
  CheckSameReadings(R"({"streams":7,"streams":[{"stream":{"a":"1"},"values":[["1","x"]]}]})");
  CHECK(Json(R"({"streams":7,"streams":[{"stream":{"a":"1"},"values":[["1","x"]]}]})").accepted == 1);

  // Bodies simdjson does not take but nlohmann-json does are decided by nlohmann.
  const std::string plain = R"({"streams":[{"stream":{"a":"1"},"values":[["1","x"]]}]})";
  CHECK(Json("\xef\xbb\xbf" + plain).accepted == 1);                 // a byte-order mark
  CHECK(Json(plain + std::string(1, '\0') + "junk").accepted == 1);  // nlohmann stops at a NUL
  std::string deep = R"({"deep":)" + std::string(1100, '[') + std::string(1100, ']') + "," + plain.substr(1);
  CHECK(Json(deep).accepted == 1);  // nested past simdjson's 1024
}

TEST_CASE("Loki JSON: the simdjson reading and the nlohmann fallback reject alike, in the same words") {
  const std::vector<std::string> streams = {
      "7",
      "null",
      R"({"values":[]})",
      R"({"stream":[],"values":[]})",
      R"({"stream":{"a":1},"values":[]})",
      R"({"stream":{"b":1,"a":[]},"values":[["1","x"]]})",    // nlohmann names the first by name: "a"
      R"({"stream":{"a":1,"a":"ok"},"values":[["1","x"]]})",  // the last "a" is a string
      R"({"stream":{"a":"ok","a":1},"values":[["1","x"]]})",
      R"({"stream":{"a":"b"}})",
      R"({"stream":{"a":"b"},"values":{}})",
      R"({"stream":{"a":"b"},"values":[],"values":{}})",
      R"({"stream":{},"values":[["1","x"],["2","y"]]})",
      R"({"stream":{"a":""},"values":[]})",
      R"({"stream":{"1a":"b"},"values":[]})",
      R"({"stream":{"__name__":"b"},"values":[]})",
      R"({"stream":{"a":")" + std::string(2049, 'v') + R"("},"values":[]})",
      R"({"stream":{"a":"b"},"values":[["1","ok"],"x",["1"],["1","a",{},1],[1,"a"],["1.5","a"],["","a"],)"
      R"(["99999999999999999999","a"],["1",5],["1","a",[]],["1","a",{"k":1}],["1","a",{"":"v"}],)"
      R"(["1","a",{"b":1,"":2}],["1","a",{"":1}],["+1","a"],[" 1","a"],["1","abcd"],["2","ok"]]})",
  };
  LogLimits limits;
  limits.max_line_bytes = 3;
  for (const std::string& s : streams) {
    CheckSameReadings(R"({"streams":[{"stream":{"ok":"1"},"values":[["1","kept"]]},)" + s + "]}");
    CheckSameReadings(R"({"streams":[)" + s + "]}", limits);
  }
  // The long-entry case's reasons, as both give them.
  LogPushResult r = Json(R"({"streams":[)" + streams.back() + "]}", limits);
  std::vector<std::string> reasons;
  for (const auto& rej : r.rejections) reasons.push_back(FormatRejection(rej, "stream"));
  const std::string not_entry =
      R"(entry is not an array ["<unix ns>", "<line>"] or ["<unix ns>", "<line>", {<metadata>}])";
  CHECK(reasons == std::vector<std::string>{
                       "stream 1, entry 2: " + not_entry,
                       "stream 1, entry 3: " + not_entry,
                       "stream 1, entry 4: " + not_entry,
                       "stream 1, entry 5: timestamp is not a string of Unix nanoseconds",
                       "stream 1, entry 6: timestamp \"1.5\" is not an integer number of Unix nanoseconds",
                       "stream 1, entry 7: timestamp \"\" is not an integer number of Unix nanoseconds",
                       "stream 1, entry 8: timestamp \"99999999999999999999\" is not an integer number of Unix "
                       "nanoseconds",
                       "stream 1, entry 9: line is not a string",
                       "stream 1, entry 10: structured metadata is not a JSON object",
                       "stream 1, entry 11: structured metadata \"k\" is not a string",
                       "stream 1, entry 12: structured metadata has an empty name",
                       "stream 1, entry 13: structured metadata \"\" is not a string",  // by name: "" first
                       "stream 1, entry 14: structured metadata \"\" is not a string",
                       "stream 1, entry 15: timestamp \"+1\" is not an integer number of Unix nanoseconds",
                       "stream 1, entry 16: timestamp \" 1\" is not an integer number of Unix nanoseconds",
                       "stream 1, entry 17: line is 4 bytes, limit is 3",
                   });
  CHECK(r.accepted == 2);

  // Request limits.
  limits = {};
  limits.max_lines = 2;
  CheckSameReadings(OneStream(R"([["1","a"],["2","b"],["3","c"]])"), limits);
  CheckSameReadings(R"({"streams":[{"stream":{"a":"1"},"values":[["1","a"],["2","b"]]},7,{"values":[1]}]})", limits);
  limits = {};
  limits.max_streams = 1;
  CheckSameReadings(
      R"({"streams":[{"stream":{"a":"1"},"values":[["1","x"]]},{"stream":{"a":"2"},"values":[["1","y"]]}]})", limits);
  limits = {};
  limits.max_rejections = 2;
  CheckSameReadings(OneStream(R"([[1,"a"],[2,"b"],[3,"c"],["4","d"]])"), limits);

  // Bodies that fail whole: simdjson hands them to nlohmann, whose words they get.
  auto message = [](std::string_view body) {
    auto r = DecodeLokiPushJson(body, {});
    REQUIRE(!r.ok());
    CHECK(r.status().code() == Status::Code::kInvalidArgument);
    return r.status().message();
  };
  for (std::string_view body : {"{}", R"({"x":1})", R"({"streams":{}})", R"({"streams":null})", R"({"streams":"x"})"}) {
    CheckSameReadings(body);
  }
  CHECK(message(R"({"streams":[],"x":[1,]})") ==
        "invalid JSON: parse error at line 1, column 22: syntax error while parsing value - unexpected ']'; "
        "expected '[', '{', or a literal");
  CHECK(message("{\"streams\":[{\"stream\":{\"a\":\"\xff\"}}]}") ==
        "invalid JSON: parse error at line 1, column 29: syntax error while parsing value - invalid string: "
        "ill-formed UTF-8 byte; last read: '\"\xff'");
  CHECK(message("{\"streams\":[{\"stream\":{\"a\":\"\x01\"}}]}") ==
        "invalid JSON: parse error at line 1, column 29: syntax error while parsing value - invalid string: "
        "control character U+0001 (SOH) must be escaped to \\u0001; last read: '\"<U+0001>'");
  CHECK(message(R"({"streams":[["\udc00"]]})") ==
        "invalid JSON: parse error at line 1, column 20: syntax error while parsing value - invalid string: "
        "surrogate U+DC00..U+DFFF must follow U+D800..U+DBFF; last read: '\"\\udc00'");
  CHECK(message(R"({"streams":[]} x)") ==
        "invalid JSON: parse error at line 1, column 16: syntax error while parsing value - invalid literal; last "
        "read: '\"streams\":[]} x'; expected end of input");
  CHECK(message(R"({"streams":[1e400]})") == "invalid JSON: number overflow parsing '1e400'");
}

TEST_CASE("Loki JSON: random mutations read the same by simdjson and by the nlohmann fallback") {
  const std::string seed = R"({"streams":[{"stream":{"job":"a","env":"b"},"values":[["1","x \"q\" \u00e9"],)"
                           R"(["2","y",{"k":"v","a":"b"}]]},{"stream":{"env":"b","job":"a"},"values":[["3","z"]]},)"
                           R"({"stream":{"n":"1"},"values":[["-4","w",{"t":"1"}],[5,"bad"]]}]})";
  std::mt19937 rng(777);
  LogLimits limits;
  limits.max_lines = 5;
  limits.max_streams = 2;
  limits.max_rejections = 3;
  simdjson::dom::parser parser;
  int compared = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string body = seed;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits && !body.empty(); ++k) {
      const size_t at = rng() % body.size();
      switch (rng() % 3) {
        case 0: body.insert(at, 1, "{}[]\",:1a"[rng() % 9]); break;
        case 1: body.erase(at, 1 + rng() % 3); break;
        default: body[at] = "{}[]\",:1a\\"[rng() % 10]; break;
      }
    }
    // Bodies both parsers take, whose top level is an object (WithFallback adds a member to it).
    if (!nlohmann::json::accept(body) || parser.parse(body).error() != simdjson::SUCCESS) continue;
    if (body.find_first_not_of(" \t\r\n") != body.find('{')) continue;
    CheckSameReadings(body, limits);
    ++compared;
  }
  CHECK(compared > 300);
}

TEST_CASE("Loki label text: Go escapes, quoting styles, errors") {
  auto labels = ParseLokiLabels(R"({job="api", msg="q\"uote\\back\nnl\t\u00e9\x41", s='single', b=`raw\n`})");
  REQUIRE_MESSAGE(labels.ok(), labels.status().message());
  CHECK(*labels == Labels{{"job", "api"},
                          {"msg",
                           "q\"uote\\back\nnl\t\xc3\xa9"
                           "A"},
                          {"s", "single"},
                          {"b", "raw\\n"}});
  CHECK(ParseLokiLabels(" {a=\"b\",}").ok());
  auto bad = [](std::string_view text) {
    auto r = ParseLokiLabels(text);
    REQUIRE(!r.ok());
    return r.status().message();
  };
  CHECK(bad("up{a=\"b\"}") == "labels must be written {name=\"value\", ...}");
  CHECK(bad("") == "labels must be written {name=\"value\", ...}");
  CHECK(bad("{a=~\"b\"}") == "label \"a\" uses =~; only = is allowed");
  CHECK(bad("{a!=\"b\", c=\"d\"}") == "label \"a\" uses !=; only = is allowed");
  CHECK(bad("{a=\"b\"").starts_with("parse error in selector at char"));
  CHECK(bad("{a=b}").starts_with("parse error in selector at char"));
  CHECK(bad("{}").starts_with("parse error in selector"));
  CHECK(bad("{a=\"b\"} x").starts_with("parse error in selector"));
}

TEST_CASE("Loki protobuf: streams, timestamps, metadata, label text") {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels(R"({job="api", env="prod", path="C:\\dir \"x\""})");
  s->set_hash(42);
  AddEntry(s, 1'700'000'000, 123'456'789, "first line");
  auto* e = AddEntry(s, 1'700'000'001, 0, "second");
  auto* md = e->add_structuredmetadata();
  md->set_name("trace_id");
  md->set_value("t1");
  md = e->add_structuredmetadata();
  md->set_name("a");
  md->set_value("");
  s->add_entries()->set_line("no timestamp");  // a missing Timestamp is 0
  auto* s2 = req.add_streams();
  s2->set_labels(R"({env="prod",path="C:\\dir \"x\"",job="api"})");  // the same set: merged
  AddEntry(s2, -1, 500'000'000, "before 1970");

  LogPushResult r = Proto(req);
  CHECK(r.accepted == 4);
  CHECK(r.rejections.empty());
  REQUIRE(r.batch.streams.size() == 1);
  const auto& st = r.batch.streams[0];
  CHECK(st.labels == Labels{{"env", "prod"}, {"job", "api"}, {"path", "C:\\dir \"x\""}});
  REQUIRE(st.entries.size() == 4);
  CHECK(st.entries[0].ts_ns == 1'700'000'000'123'456'789);
  CHECK(st.entries[0].line == "first line");
  CHECK(st.entries[1].metadata == std::vector<std::pair<std::string, std::string>>{{"trace_id", "t1"}, {"a", ""}});
  CHECK(st.entries[2].ts_ns == 0);
  CHECK(st.entries[3].ts_ns == -500'000'000);
}

TEST_CASE("Loki protobuf: rejections and errors") {
  CHECK(ProtoLabelReason("job=\"a\"") == "invalid labels: labels must be written {name=\"value\", ...}");
  CHECK(ProtoLabelReason("{job=~\"a\"}") == "invalid labels: label \"job\" uses =~; only = is allowed");
  CHECK(ProtoLabelReason("{job=\"a\", job=\"b\"}") == "duplicate label name \"job\"");
  CHECK(ProtoLabelReason("{__x=\"a\"}") == "label name \"__x\" is reserved");
  CHECK(ProtoLabelReason("{job=\"\\xff\"}") == "label \"job\": value is not valid UTF-8");
  CHECK(ProtoLabelReason("{job=\"a\"").starts_with("invalid labels: parse error in selector at char"));

  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels("{job=\"a\"}");
  AddEntry(s, 1, 0, "ok");
  AddEntry(s, 1, -1, "bad nanos");
  AddEntry(s, 1, 1'000'000'000, "bad nanos");
  AddEntry(s, int64_t{1} << 62, 0, "overflow");
  AddEntry(s, 1, 0, std::string(300, 'x'));
  AddEntry(s, 1, 0, "empty metadata name")->add_structuredmetadata()->set_value("v");
  AddEntry(s, 1, 0, std::string("\xff\xfe invalid UTF-8 line kept", 27));
  LogLimits limits;
  limits.max_line_bytes = 200;
  LogPushResult r = Proto(req, limits);
  CHECK(r.accepted == 2);
  CHECK(r.rejected == 5);
  REQUIRE(r.rejections.size() == 5);
  CHECK(r.rejections[0].entry == 2);
  CHECK(r.rejections[0].reason == "timestamp nanos -1 is outside [0, 999999999]");
  CHECK(r.rejections[1].reason == "timestamp nanos 1000000000 is outside [0, 999999999]");
  CHECK(r.rejections[2].reason == "timestamp 4611686018427387904s is out of range");
  CHECK(r.rejections[3].reason == "line is 300 bytes, limit is 200");
  CHECK(r.rejections[4].entry == 6);
  CHECK(r.rejections[4].reason == "structured metadata has an empty name");
  CHECK(r.batch.streams[0].entries[1].line.size() == 27);

  // Whole-request errors.
  auto err = [](std::string_view body, size_t max_raw = kMaxRaw) {
    auto res = DecodeLokiPushProtobuf(body, max_raw, {});
    REQUIRE(!res.ok());
    return res.status().message();
  };
  CHECK(err("") == "snappy: corrupt input");
  CHECK(err("\xff\xff\xff\xff\xff\xff") == "snappy: corrupt input");
  std::string raw = "\x0a\x05garbage-not-a-message";
  std::string bad;
  snappy::Compress(raw.data(), raw.size(), &bad);
  CHECK(err(bad) == "protobuf: cannot parse PushRequest");
  CHECK(err(Compress(req), 10).starts_with("snappy: decompressed size "));
  LogLimits one_line;
  one_line.max_lines = 1;
  auto res = DecodeLokiPushProtobuf(Compress(req), kMaxRaw, one_line);
  REQUIRE(!res.ok());
  CHECK(res.status().code() == Status::Code::kResourceExhausted);
  CHECK(res.status().message() == "request has 7 log lines, limit is 1");
}

TEST_CASE("timestamps: RFC 3339 with offsets and fractions, Unix nanoseconds") {
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20Z") == 1'700'000'000'000'000'000);
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20.123456789Z") == 1'700'000'000'123'456'789);
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20.1Z") == 1'700'000'000'100'000'000);
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20.1234567891234Z") == 1'700'000'000'123'456'789);  // cut
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-15T00:13:20.000000001+02:00") == 1'700'000'000'000'000'001);
  CHECK(gnomon::ParseRfc3339Nanos("2023-11-14t20:13:20.5-02:00") == 1'700'000'000'500'000'000);
  CHECK(gnomon::ParseRfc3339Nanos("1969-12-31T23:59:59.5Z") == -500'000'000);
  CHECK(!gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20.Z"));
  CHECK(!gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20"));
  CHECK(!gnomon::ParseRfc3339Nanos("2023-11-14T22:13:20.5"));
  CHECK(!gnomon::ParseRfc3339Nanos("2023-02-29T00:00:00Z"));
  CHECK(!gnomon::ParseRfc3339Nanos("2300-01-01T00:00:00Z"));  // past int64 nanoseconds
  CHECK(!gnomon::ParseRfc3339Nanos("1700000000"));
  CHECK(pi::ParseUnixNanos("1700000000000000000") == 1'700'000'000'000'000'000);
  CHECK(pi::ParseUnixNanos("-1") == -1);
  CHECK(!pi::ParseUnixNanos("+1"));
  CHECK(!pi::ParseUnixNanos("1e9"));
  CHECK(!pi::ParseUnixNanos("9223372036854775808"));
}

TEST_CASE("NDJSON: labels from service and level, lines as sent, timestamps") {
  const std::string body =
      "{\"ts\":\"2023-11-14T22:13:20.123456789Z\", \"service\":\"api\",\"level\":\"error\",\"msg\":\"boom\"}\n"
      "\n"
      "   \r\n"
      "{\"ts\":1700000000000000005,\"service\":\"api\",\"level\":\"error\",\"nested\":{\"service\":\"x\"}}\r\n"
      "{\"ts\":\"1700000000000000006\",\"service\":\"db\"}\n"
      "{\"msg\":\"no ts, no service\",\"level\":null}\n"
      "{\"ts\":null,\"service\":\"\",\"level\":\"\"}\n"
      "{\"ts\":\"2023-11-15T00:13:20+02:00\",\"service\":\"api\",\"level\":\"error\",\"ts\":-3}";
  LogPushResult r = Ndjson(body);
  CHECK(r.rejections.empty());
  CHECK(r.accepted == 6);
  REQUIRE(r.batch.streams.size() == 3);
  const auto& api = r.batch.streams[0];
  CHECK(api.labels == Labels{{"level", "error"}, {"service", "api"}});
  REQUIRE(api.entries.size() == 3);
  CHECK(api.entries[0].ts_ns == 1'700'000'000'123'456'789);
  CHECK(api.entries[0].line ==
        "{\"ts\":\"2023-11-14T22:13:20.123456789Z\", \"service\":\"api\",\"level\":\"error\",\"msg\":\"boom\"}");
  CHECK(api.entries[1].ts_ns == 1'700'000'000'000'000'005);
  CHECK(api.entries[1].line.ends_with("}}"));  // the '\r' is not part of the line
  CHECK(api.entries[2].ts_ns == -3);           // the last "ts" wins
  CHECK(r.batch.streams[1].labels == Labels{{"service", "db"}});
  CHECK(r.batch.streams[1].entries[0].ts_ns == 1'700'000'000'000'000'006);
  const auto& unknown = r.batch.streams[2];
  CHECK(unknown.labels == Labels{{"service", "unknown"}});
  REQUIRE(unknown.entries.size() == 2);
  CHECK(unknown.entries[0].ts_ns == kNow);  // server time, then one nanosecond later
  CHECK(unknown.entries[1].ts_ns == kNow + 1);
}

TEST_CASE("NDJSON: bad lines are rejected with their line numbers, the rest kept") {
  auto line_reason = [](std::string_view line, const LogLimits& limits = {}) {
    LogPushResult r = Ndjson("{\"service\":\"ok\"}\n\n" + std::string(line) + "\n{\"service\":\"ok\"}", limits);
    CHECK(r.accepted == 2);
    CHECK(r.rejected == 1);
    REQUIRE(r.rejections.size() == 1);
    CHECK(r.rejections[0].line_or_stream == 3);
    CHECK(FormatRejection(r.rejections[0], "line").starts_with("line 3: "));
    return r.rejections[0].reason;
  };
  CHECK(line_reason("{\"service\":")
            .starts_with("invalid JSON: parse error at column 12: syntax error while parsing value"));
  CHECK(line_reason("{\"a\":1} x").ends_with("expected end of input"));
  CHECK(line_reason("[1,2]") == "line is not a JSON object");
  CHECK(line_reason("\"text\"") == "line is not a JSON object");
  CHECK(line_reason("{\"ts\":true}") == "\"ts\" is a boolean, not an RFC 3339 string or integer Unix nanoseconds");
  CHECK(line_reason("{\"ts\":1.5}") ==
        "\"ts\" is a number with a fraction, not an RFC 3339 string or integer Unix nanoseconds");
  CHECK(line_reason("{\"ts\":{}}") == "\"ts\" is an object, not an RFC 3339 string or integer Unix nanoseconds");
  CHECK(line_reason("{\"ts\":\"yesterday\"}") ==
        "\"ts\" \"yesterday\" is neither an RFC 3339 time (2023-11-14T22:13:20.123456789Z) nor Unix nanoseconds");
  CHECK(line_reason("{\"ts\":18446744073709551615}") ==
        "\"ts\" 18446744073709551615 is out of range for Unix nanoseconds");
  CHECK(line_reason("{\"service\":5}") == "\"service\" is a number, not a string");
  CHECK(line_reason("{\"service\":[\"a\"]}") == "\"service\" is an array, not a string");
  CHECK(line_reason("{\"level\":false}") == "\"level\" is a boolean, not a string");
  CHECK(line_reason("{\"service\":\"" + std::string(2049, 's') + "\"}") ==
        "label \"service\": value is 2049 bytes, limit is 2048");
  LogLimits small;
  small.max_line_bytes = 20;
  CHECK(line_reason("{\"service\":\"ok\",\"msg\":\"long\"}", small) == "line is 29 bytes, limit is 20");
}

TEST_CASE("NDJSON: limits") {
  LogLimits limits;
  limits.max_lines = 2;
  CHECK(DecodeNdjsonLogs("{}\n\n{}\n", kNow, limits).ok());
  auto r = DecodeNdjsonLogs("{}\n{}\n{}", kNow, limits);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "request has more than 2 log lines, the limit");
  limits = {};
  limits.max_streams = 2;
  r = DecodeNdjsonLogs("{\"service\":\"a\"}\n{\"service\":\"b\"}\n{\"service\":\"a\",\"level\":\"x\"}", kNow, limits);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);
  CHECK(r.status().message() == "request has more than 2 streams (service and level pairs), the limit");
  CHECK(Ndjson("").batch.streams.empty());
}

TEST_CASE("plain text: one stream, lines as they are, increasing server times") {
  auto r = DecodePlainTextLogs("first line\r\n\n  second  \nthird", "web", "info", kNow, {});
  REQUIRE(r.ok());
  REQUIRE(r->batch.streams.size() == 1);
  const auto& s = r->batch.streams[0];
  CHECK(s.labels == Labels{{"level", "info"}, {"service", "web"}});
  REQUIRE(s.entries.size() == 3);
  CHECK(s.entries[0].line == "first line");
  CHECK(s.entries[1].line == "  second  ");
  CHECK(s.entries[2].line == "third");
  CHECK(s.entries[0].ts_ns == kNow);
  CHECK(s.entries[1].ts_ns == kNow + 1);
  CHECK(s.entries[2].ts_ns == kNow + 2);

  r = DecodePlainTextLogs("a", "web", "", kNow, {});
  REQUIRE(r.ok());
  CHECK(r->batch.streams[0].labels == Labels{{"service", "web"}});
  CHECK(DecodePlainTextLogs("", "web", "", kNow, {})->batch.streams.empty());

  LogLimits limits;
  limits.max_line_bytes = 4;
  r = DecodePlainTextLogs("ok\ntoo long\nok", "web", "", kNow, limits);
  REQUIRE(r.ok());
  CHECK(r->accepted == 2);
  REQUIRE(r->rejections.size() == 1);
  CHECK(r->rejections[0].line_or_stream == 2);
  CHECK(r->rejections[0].reason == "line is 8 bytes, limit is 4");
  limits = {};
  limits.max_lines = 1;
  r = DecodePlainTextLogs("a\nb", "web", "", kNow, limits);
  REQUIRE(!r.ok());
  CHECK(r.status().code() == Status::Code::kResourceExhausted);

  r = DecodePlainTextLogs("a", "", "", kNow, {});
  REQUIRE(!r.ok());
  CHECK(r.status().message() == "plain-text logs need a service (?service=...)");
  r = DecodePlainTextLogs("a", "web", "\xff", kNow, {});
  REQUIRE(!r.ok());
  CHECK(r.status().message() == "label \"level\": value is not valid UTF-8");
}

TEST_CASE("random mutations of valid bodies never crash") {
  logproto::PushRequest req;
  auto* s = req.add_streams();
  s->set_labels(R"({job="api", msg="a\"b"})");
  AddEntry(s, 1'700'000'000, 5, "line one")->add_structuredmetadata()->set_name("trace_id");
  AddEntry(s, 1'700'000'001, 6, "line two");
  std::string raw;
  REQUIRE(req.SerializeToString(&raw));
  const std::vector<std::string> seeds = {
      R"({"streams":[{"stream":{"job":"a","env":"b"},"values":[["1","x"],["2","y",{"k":"v"}]]}]})",
      "{\"ts\":\"2023-11-14T22:13:20.5+01:00\",\"service\":\"api\",\"level\":\"info\",\"msg\":\"m\"}\n"
      "{\"ts\":17,\"service\":\"db\",\"a\":[1,{\"b\":null}]}\n",
      raw,
  };
  std::mt19937 rng(12345);
  LogLimits limits;
  limits.max_lines = 100;
  limits.max_streams = 10;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string body = seeds[static_cast<size_t>(iter) % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !body.empty(); ++k) {
      const size_t at = rng() % body.size();
      switch (rng() % 4) {
        case 0: body[at] = static_cast<char>(rng()); break;
        case 1: body.insert(at, 1, "{}[]\",:\\0\n"[rng() % 11]); break;
        case 2: body.erase(at, 1 + rng() % 3); break;
        default: body.resize(at); break;
      }
    }
    for (const auto& r : {DecodeLokiPushJson(body, limits), DecodeNdjsonLogs(body, kNow, limits),
                          DecodePlainTextLogs(body, "svc", "", kNow, limits)}) {
      if (!r.ok()) continue;
      for (const auto& st : r->batch.streams) CHECK(!st.labels.empty());
    }
    std::string compressed;
    snappy::Compress(body.data(), body.size(), &compressed);
    auto p = DecodeLokiPushProtobuf(compressed, kMaxRaw, limits);
    if (p.ok()) {
      for (const auto& st : p->batch.streams) CHECK(!st.labels.empty());
    }
    (void)DecodeLokiPushProtobuf(body, kMaxRaw, limits);  // not snappy at all
    (void)ParseLokiLabels(body.substr(0, 64));
  }
}
