// Prometheus remote_write 1.0 decoding: snappy block format, then a protobuf WriteRequest.
#include "ingest/remote_write.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "ingest/snappy_body.h"
#include "remote.pb.h"

namespace gnomon::ingest {

namespace {

// Per-thread scratch kept between requests, so a server decoding a stream of requests of similar
// size neither maps fresh pages nor grows the arena block by block for each one. Requests larger
// than the cap use one-off memory instead, so no thread keeps more than about 2 x kScratchCap.
constexpr size_t kScratchCap = 8 << 20;

struct Scratch {
  std::unique_ptr<char[]> raw;  // decompressed request
  size_t raw_capacity = 0;
  std::unique_ptr<char[]> arena_block;  // the arena's first block
  size_t arena_capacity = 0;
  Labels labels;
  std::vector<Sample> samples;
};

// Returns a buffer of at least n bytes: the thread's scratch one when n <= kScratchCap (grown
// as needed), else *one_off.
char* Buffer(std::unique_ptr<char[]>* kept, size_t* capacity, size_t n, std::unique_ptr<char[]>* one_off) {
  if (n > kScratchCap) {
    one_off->reset(new char[n]);
    return one_off->get();
  }
  if (*capacity < n) {
    size_t grown = std::min(kScratchCap, std::max(n, *capacity * 2));
    kept->reset(new char[grown]);  // uninitialised on purpose: every use writes before reading
    *capacity = grown;
  }
  return kept->get();
}

}  // namespace

Result<RemoteWriteResult> DecodeRemoteWrite(std::string_view body, size_t max_decompressed_bytes, WriteBatch* batch) {
  auto checked = SnappyBodySize(body, max_decompressed_bytes, "WriteRequest");
  if (!checked.ok()) return checked.status();
  const size_t raw_size = *checked;
  thread_local Scratch scratch;
  // No IsValidCompressedBuffer pass: it would walk the stream twice, and RawUncompress already
  // rejects malformed input without writing past raw_size.
  std::unique_ptr<char[]> raw_one_off;
  char* raw = Buffer(&scratch.raw, &scratch.raw_capacity, std::max<size_t>(raw_size, 1), &raw_one_off);
  if (!snappy::RawUncompress(body.data(), body.size(), raw)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }

  // The decoded messages take a little more room than the wire form (string headers, repeated
  // field arrays): start with a block of about that size so most requests need only this one.
  std::unique_ptr<char[]> block_one_off;
  const size_t block_size = std::max<size_t>(raw_size + raw_size / 2, 64 << 10);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = Buffer(&scratch.arena_block, &scratch.arena_capacity, block_size, &block_one_off);
  arena_options.initial_block_size = block_one_off ? block_size : scratch.arena_capacity;
  arena_options.max_block_size = 4 << 20;
  google::protobuf::Arena arena(arena_options);
  auto* request = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
  if (!request->ParseFromArray(raw, static_cast<int>(raw_size))) {
    return Status::InvalidArgument("protobuf: cannot parse WriteRequest");
  }

  RemoteWriteResult result;
  Labels& labels = scratch.labels;
  std::vector<Sample>& samples = scratch.samples;
  const int num_series = request->timeseries_size();
  for (int i = 0; i < num_series; ++i) {
    const prompb::TimeSeries& ts = request->timeseries(i);
    // Assign into the strings already there: no allocation once they have grown.
    size_t n = 0;
    for (const prompb::Label& l : ts.labels()) {
      if (l.value().empty()) continue;  // Prometheus: an empty value is the same as no label
      if (n == labels.size()) labels.emplace_back();
      labels[n].name.assign(l.name());
      labels[n].value.assign(l.value());
      ++n;
    }
    if (n == 0) {
      return Status::InvalidArgument("series " + std::to_string(i) + " has no labels");
    }
    labels.resize(n);
    samples.resize(static_cast<size_t>(ts.samples_size()));
    for (int j = 0; j < ts.samples_size(); ++j) {
      const prompb::Sample& s = ts.samples(j);
      samples[static_cast<size_t>(j)] = Sample{s.timestamp(), s.value()};
    }
    batch->Add(labels, samples);
    ++result.series;
    result.samples += samples.size();
  }
  return result;
}

}  // namespace gnomon::ingest
