// Test helpers that build request bodies the way clients send them: zlib-compressed (gzip or
// deflate) bodies, and series added to a Prometheus remote_write request.
#pragma once

#include <doctest/doctest.h>
#include <zlib.h>

#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "remote.pb.h"

namespace gnomon::testing {

// `in` compressed with zlib; window_bits 31 is gzip, 15 zlib's deflate format.
inline std::string Compress(std::string_view in, int window_bits) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// Appends one time series (labels as given, unsorted allowed) to a remote_write request.
inline void AddRemoteWriteSeries(prompb::WriteRequest* req, const Labels& labels, const std::vector<Sample>& samples) {
  auto* ts = req->add_timeseries();
  for (const Label& l : labels) {
    auto* pl = ts->add_labels();
    pl->set_name(l.name);
    pl->set_value(l.value);
  }
  for (const Sample& s : samples) {
    auto* ps = ts->add_samples();
    ps->set_timestamp(s.timestamp);
    ps->set_value(s.value);
  }
}

}  // namespace gnomon::testing
