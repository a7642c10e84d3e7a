// Prometheus remote_write 1.0 decoding: snappy block format, then a protobuf WriteRequest.
#include "ingest/remote_write.h"

#include <google/protobuf/arena.h>
#include <snappy.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "remote.pb.h"

namespace gnomon::ingest {

namespace {

// The arena's first block. A typical request (a few thousand series of a few samples each) decodes
// into less than this, so most requests allocate one block and free it in one go.
constexpr size_t kArenaInitialBlock = 256 << 10;
constexpr size_t kArenaMaxBlock = 4 << 20;

}  // namespace

Result<RemoteWriteResult> DecodeRemoteWrite(std::string_view body, size_t max_decompressed_bytes, WriteBatch* batch) {
  size_t raw_size = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &raw_size)) {
    return Status::InvalidArgument("snappy: corrupt input");
  }
  if (raw_size > max_decompressed_bytes) {
    return Status::InvalidArgument("snappy: decompressed size " + std::to_string(raw_size) + " exceeds limit " +
                                   std::to_string(max_decompressed_bytes));
  }
  if (raw_size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::InvalidArgument("protobuf: cannot parse WriteRequest (larger than 2 GiB)");
  }
  // No IsValidCompressedBuffer pass: it would walk the stream twice, and RawUncompress already
  // rejects malformed input without writing past raw_size. Uninitialised storage on purpose:
  // RawUncompress writes all raw_size bytes when it succeeds.
  std::unique_ptr<char[]> raw(new char[raw_size == 0 ? 1 : raw_size]);
  if (!snappy::RawUncompress(body.data(), body.size(), raw.get())) {
    return Status::InvalidArgument("snappy: corrupt input");
  }

  google::protobuf::ArenaOptions arena_options;
  arena_options.start_block_size = kArenaInitialBlock;
  arena_options.max_block_size = kArenaMaxBlock;
  google::protobuf::Arena arena(arena_options);
  auto* request = google::protobuf::Arena::CreateMessage<prompb::WriteRequest>(&arena);
  if (!request->ParseFromArray(raw.get(), static_cast<int>(raw_size))) {
    return Status::InvalidArgument("protobuf: cannot parse WriteRequest");
  }
  raw.reset();

  RemoteWriteResult result;
  Labels labels;
  std::vector<Sample> samples;
  const int num_series = request->timeseries_size();
  for (int i = 0; i < num_series; ++i) {
    const prompb::TimeSeries& ts = request->timeseries(i);
    labels.clear();
    labels.reserve(static_cast<size_t>(ts.labels_size()));
    for (const prompb::Label& l : ts.labels()) {
      if (l.value().empty()) continue;  // Prometheus: an empty value is the same as no label
      labels.push_back(Label{l.name(), l.value()});
    }
    if (labels.empty()) {
      return Status::InvalidArgument("series " + std::to_string(i) + " has no labels");
    }
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
