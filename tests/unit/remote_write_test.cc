// Tests for ingest/remote_write: requests built with the generated protobuf classes, compressed
// with snappy, decoded into a WriteBatch; and every kind of undecodable input.
#include <doctest/doctest.h>

#include <google/protobuf/stubs/logging.h>
#include <snappy.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "gnomon/write_batch.h"
#include "batch_contents.h"
#include "index/labels_util.h"
#include "ingest/remote_write.h"
#include "remote.pb.h"
#include "wire_helpers.h"

using gnomon::Label;
using gnomon::Labels;
using gnomon::Sample;
using gnomon::Status;
using gnomon::WriteBatch;
using gnomon::ingest::DecodeRemoteWrite;

using gnomon::testing::Contents;
using gnomon::testing::SameBits;
using gnomon::testing::Series;

namespace {

constexpr size_t kLimit = 32 << 20;

std::string Compress(const gnomon::prompb::WriteRequest& req) {
  std::string raw;
  REQUIRE(req.SerializeToString(&raw));
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

std::string CompressRaw(std::string_view raw) {
  std::string out;
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

void CheckSamples(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].timestamp == want[i].timestamp);
    CHECK(SameBits(got[i].value, want[i].value));
  }
}

}  // namespace

TEST_CASE("remote_write: decodes series, labels and samples bit-exactly") {
  gnomon::prompb::WriteRequest req;
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});  // Prometheus' stale marker
  Labels a = {{"__name__", "http_requests_total"}, {"code", "200"}, {"job", "api"}};
  Labels b = {{"__name__", "temperature"}, {"room", "kitchen \"north\" \xc3\xa9"}};
  std::vector<Sample> sa = {{1700000000000, 1.5}, {1700000010000, -0.0}, {1700000020000, stale}};
  std::vector<Sample> sb = {{-5, std::numeric_limits<double>::infinity()},
                            {std::numeric_limits<int64_t>::max(), 4.9e-324},
                            {std::numeric_limits<int64_t>::min(), -1e308}};
  gnomon::testing::AddRemoteWriteSeries(&req, a, sa);
  gnomon::testing::AddRemoteWriteSeries(&req, b, sb);
  // Metadata is accepted and ignored.
  auto* md = req.add_metadata();
  md->set_metric_family_name("temperature");
  md->set_help("degrees");

  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  REQUIRE(r.ok());
  CHECK(r->series == 2);
  CHECK(r->samples == 6);
  auto got = Contents(batch);
  REQUIRE(got.size() == 2);
  CHECK(got[0].labels == a);
  CHECK(got[1].labels == b);
  CheckSamples(got[0].samples, sa);
  CheckSamples(got[1].samples, sb);
}

TEST_CASE("remote_write: random requests round-trip") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 20; ++round) {
    gnomon::prompb::WriteRequest req;
    std::vector<Series> want;
    size_t total = 0;
    int n = static_cast<int>(rng() % 50) + 1;
    for (int i = 0; i < n; ++i) {
      Series s;
      s.labels = {{"__name__", "m" + std::to_string(rng() % 5)}, {"instance", "host_" + std::to_string(i)}};
      int k = static_cast<int>(rng() % 20) + 1;
      for (int j = 0; j < k; ++j) {
        s.samples.push_back({static_cast<int64_t>(rng()), std::bit_cast<double>(rng())});
      }
      total += s.samples.size();
      gnomon::testing::AddRemoteWriteSeries(&req, s.labels, s.samples);
      want.push_back(std::move(s));
    }
    WriteBatch batch;
    auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
    REQUIRE(r.ok());
    CHECK(r->series == want.size());
    CHECK(r->samples == total);
    auto got = Contents(batch);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < want.size(); ++i) {
      CHECK(got[i].labels == want[i].labels);
      CheckSamples(got[i].samples, want[i].samples);
    }
  }
}

TEST_CASE("remote_write: an empty request is OK with zero series") {
  gnomon::prompb::WriteRequest req;
  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  REQUIRE(r.ok());
  CHECK(r->series == 0);
  CHECK(r->samples == 0);
  CHECK(batch.empty());
}

TEST_CASE("remote_write: a series without samples is counted but adds nothing") {
  gnomon::prompb::WriteRequest req;
  gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "idle"}}, {});
  gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "busy"}}, {{10, 1.0}});
  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  REQUIRE(r.ok());
  CHECK(r->series == 2);
  CHECK(r->samples == 1);
  auto got = Contents(batch);
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == Labels{{"__name__", "busy"}});
}

TEST_CASE("remote_write: labels with empty values are dropped") {
  gnomon::prompb::WriteRequest req;
  gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "up"}, {"env", ""}, {"job", "node"}}, {{1, 1.0}});
  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  REQUIRE(r.ok());
  auto got = Contents(batch);
  REQUIRE(got.size() == 1);
  CHECK(got[0].labels == Labels{{"__name__", "up"}, {"job", "node"}});
}

TEST_CASE("remote_write: a series without labels is rejected with its index") {
  gnomon::prompb::WriteRequest req;
  gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "ok"}}, {{1, 1.0}});
  gnomon::testing::AddRemoteWriteSeries(&req, {}, {{1, 1.0}});
  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(r.status().message() == "series 1 has no labels");

  SUBCASE("only empty-valued labels count as none") {
    gnomon::prompb::WriteRequest req2;
    gnomon::testing::AddRemoteWriteSeries(&req2, {{"__name__", ""}, {"job", ""}}, {{1, 1.0}});
    WriteBatch batch2;
    auto r2 = DecodeRemoteWrite(Compress(req2), kLimit, &batch2);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.status().message() == "series 0 has no labels");
  }
}

TEST_CASE("remote_write: undecodable snappy") {
  gnomon::prompb::WriteRequest req;
  for (int i = 0; i < 20; ++i) gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "m"}, {"i", std::to_string(i)}}, {{i, i * 0.5}});
  std::string body = Compress(req);
  WriteBatch batch;

  SUBCASE("truncated") {
    for (size_t cut : {size_t{0}, size_t{1}, body.size() / 2, body.size() - 1}) {
      auto r = DecodeRemoteWrite(std::string_view(body).substr(0, cut), kLimit, &batch);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == Status::Code::kInvalidArgument);
      CHECK(r.status().message() == "snappy: corrupt input");
    }
  }
  SUBCASE("garbage bytes") {
    // 0xff... is an unterminated length varint: snappy cannot even read the size.
    std::string garbage(64, '\xff');
    auto r = DecodeRemoteWrite(garbage, kLimit, &batch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "snappy: corrupt input");
    // A plausible length followed by junk copy tags.
    std::mt19937 rng(7);
    int rejected = 0;
    for (int i = 0; i < 200; ++i) {
      std::string junk(1 + rng() % 100, '\0');
      for (char& c : junk) c = static_cast<char>(rng());
      junk[0] = 50;  // declared length 50
      auto r2 = DecodeRemoteWrite(junk, kLimit, &batch);
      if (!r2.ok()) {
        ++rejected;
        bool named = r2.status().message().rfind("snappy: ", 0) == 0 || r2.status().message().rfind("protobuf: ", 0) == 0;
        CHECK(named);
      }
    }
    CHECK(rejected > 150);
  }
  SUBCASE("flipped bytes never crash and fail cleanly or decode") {
    google::protobuf::LogSilencer quiet;
    std::mt19937 rng(11);
    for (int i = 0; i < 500; ++i) {
      std::string damaged = body;
      damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
      WriteBatch b;
      auto r = DecodeRemoteWrite(damaged, kLimit, &b);
      if (!r.ok()) CHECK(r.status().code() == Status::Code::kInvalidArgument);
    }
  }
}

TEST_CASE("remote_write: invalid UTF-8 in a label is never passed on altered") {
  google::protobuf::LogSilencer quiet;  // libprotobuf logs an ERROR for invalid UTF-8 in a string field
  gnomon::prompb::WriteRequest req;
  // The generated setters do not check UTF-8; the parser does (for proto3 string fields).
  gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "m"}, {"bad", "\xff\xfe"}}, {{1, 1.0}});
  WriteBatch batch;
  auto r = DecodeRemoteWrite(Compress(req), kLimit, &batch);
  if (r.ok()) {
    auto got = Contents(batch);
    REQUIRE(got.size() == 1);
    CHECK(got[0].labels == Labels{{"__name__", "m"}, {"bad", "\xff\xfe"}});
  } else {
    CHECK(r.status().message() == "protobuf: cannot parse WriteRequest");
    MESSAGE("invalid UTF-8 rejected by the protobuf parser (proto3 string field)");
  }
}

TEST_CASE("remote_write: valid snappy of garbage protobuf") {
  WriteBatch batch;
  // Field 1 (timeseries, length-delimited) claiming 100 bytes but holding 3.
  std::string bad_pb = std::string("\x0a\x64", 2) + "abc";
  auto r = DecodeRemoteWrite(CompressRaw(bad_pb), kLimit, &batch);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(r.status().message() == "protobuf: cannot parse WriteRequest");
  // A wire type 7 tag does not exist.
  auto r2 = DecodeRemoteWrite(CompressRaw(std::string("\x0f\x00\x00", 3)), kLimit, &batch);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.status().message() == "protobuf: cannot parse WriteRequest");
  CHECK(batch.empty());
}

TEST_CASE("remote_write: the declared decompressed size is checked before decompressing") {
  gnomon::prompb::WriteRequest req;
  for (int i = 0; i < 100; ++i) gnomon::testing::AddRemoteWriteSeries(&req, {{"__name__", "metric_with_a_long_name"}}, {{i, 1.0}});
  std::string raw;
  REQUIRE(req.SerializeToString(&raw));
  std::string body = CompressRaw(raw);
  WriteBatch batch;
  auto r = DecodeRemoteWrite(body, raw.size() - 1, &batch);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Status::Code::kInvalidArgument);
  CHECK(r.status().message() ==
        "snappy: decompressed size " + std::to_string(raw.size()) + " exceeds limit " + std::to_string(raw.size() - 1));
  CHECK(DecodeRemoteWrite(body, raw.size(), &batch).ok());

  // A header that declares 4 GiB - 1 followed by nothing: rejected by the limit, nothing allocated.
  std::string huge = "\xff\xff\xff\xff\x0f";
  auto r2 = DecodeRemoteWrite(huge, kLimit, &batch);
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.status().message() == "snappy: decompressed size 4294967295 exceeds limit " + std::to_string(kLimit));
}

TEST_CASE("remote_write: requests of very different sizes in a row (per-thread scratch reuse)") {
  // A request past the 8 MiB scratch cap, then a small one, then a mid-sized one; label sets of
  // different lengths so reused label strings must be trimmed correctly.
  std::mt19937_64 rng(5);
  for (size_t n : {size_t{600000}, size_t{3}, size_t{20000}, size_t{1}}) {
    gnomon::prompb::WriteRequest req;
    std::vector<Sample> samples;
    for (size_t i = 0; i < n; ++i) samples.push_back({static_cast<int64_t>(i), std::bit_cast<double>(rng())});
    Labels big = {{"__name__", "big_" + std::to_string(n)}, {"a", std::string(100, 'x')}, {"b", "y"}};
    Labels small = {{"__name__", "s"}};
    gnomon::testing::AddRemoteWriteSeries(&req, big, samples);
    gnomon::testing::AddRemoteWriteSeries(&req, small, {{1, 2.0}});
    std::string raw;
    REQUIRE(req.SerializeToString(&raw));
    WriteBatch batch;
    auto r = DecodeRemoteWrite(CompressRaw(raw), raw.size(), &batch);
    REQUIRE(r.ok());
    CHECK(r->samples == n + 1);
    auto got = Contents(batch);
    REQUIRE(got.size() == 2);
    CHECK(got[0].labels == big);
    CheckSamples(got[0].samples, samples);
    CHECK(got[1].labels == small);
  }
}
