// Chunk header and encoding choice (see chunk.h; layout in docs/format/chunk.md).
//
// Header: encoding byte, uvarint count, zig-zag varint min_time, uvarint (max_time - min_time)
// computed in uint64. The encoding's payload follows.
#include "storage/chunk/chunk.h"

#include <cstdint>

#include "storage/chunk/decimal.h"
#include "storage/chunk/gorilla.h"
#include "util/coding.h"

namespace gnomon::chunk {

namespace {

void AppendHeader(Encoding encoding, std::span<const Sample> samples, std::string* out) {
  out->push_back(static_cast<char>(encoding));
  PutVarint64(out, samples.size());
  int64_t min_time = samples.empty() ? 0 : samples.front().timestamp;
  int64_t max_time = samples.empty() ? 0 : samples.back().timestamp;
  PutZigZagVarint64(out, min_time);
  PutVarint64(out, static_cast<uint64_t>(max_time) - static_cast<uint64_t>(min_time));
}

// Parses the header; *payload_offset is where the encoding's payload starts.
Status ParseHeader(std::string_view chunk, ChunkMeta* meta, size_t* payload_offset) {
  const uint8_t* begin = reinterpret_cast<const uint8_t*>(chunk.data());
  const uint8_t* p = begin;
  const uint8_t* end = p + chunk.size();
  if (p == end) return Status::Corruption("chunk: empty");
  const uint8_t enc = *p++;
  if (enc != static_cast<uint8_t>(Encoding::kGorilla) && enc != static_cast<uint8_t>(Encoding::kDecimal)) {
    return Status::Corruption("chunk: unknown encoding " + std::to_string(enc));
  }
  uint64_t count, span;
  int64_t min_time;
  if (!(p = GetVarint64(p, end, &count)) || !(p = GetZigZagVarint64(p, end, &min_time)) ||
      !(p = GetVarint64(p, end, &span))) {
    return Status::Corruption("chunk: truncated header");
  }
  if (count > UINT32_MAX) return Status::Corruption("chunk: sample count out of range");
  if (count <= 1 && span != 0) return Status::Corruption("chunk: time span without samples");
  meta->encoding = static_cast<Encoding>(enc);
  meta->num_samples = static_cast<uint32_t>(count);
  meta->min_time = min_time;
  meta->max_time = static_cast<int64_t>(static_cast<uint64_t>(min_time) + span);
  *payload_offset = static_cast<size_t>(p - begin);
  return Status::OK();
}

}  // namespace

bool EncodeWith(Encoding encoding, std::span<const Sample> samples, std::string* out) {
  if (samples.size() > UINT32_MAX) return false;
  out->clear();
  AppendHeader(encoding, samples, out);
  if (samples.empty()) return true;
  switch (encoding) {
    case Encoding::kGorilla:
      AppendGorillaPayload(samples, out);
      return true;
    case Encoding::kDecimal:
      return AppendDecimalPayload(samples, out);
  }
  return false;
}

std::string Encode(std::span<const Sample> samples) {
  std::string decimal;
  if (samples.empty() || !EncodeWith(Encoding::kDecimal, samples, &decimal)) {
    std::string gorilla;
    EncodeWith(Encoding::kGorilla, samples, &gorilla);
    return gorilla;
  }
  // Gorilla wins only if strictly smaller (ties go to decimal: it decodes faster and its bytes
  // compress further under zstd); give up on it as soon as it reaches the decimal size.
  std::string gorilla;
  AppendHeader(Encoding::kGorilla, samples, &gorilla);
  if (AppendGorillaPayload(samples, &gorilla, decimal.size() - 1)) return gorilla;
  return decimal;
}

Status ReadMeta(std::string_view chunk, ChunkMeta* meta) {
  size_t offset;
  return ParseHeader(chunk, meta, &offset);
}

Status Decode(std::string_view chunk, std::vector<Sample>* out) {
  ChunkMeta meta;
  size_t offset;
  GNOMON_RETURN_IF_ERROR(ParseHeader(chunk, &meta, &offset));
  std::string_view payload = chunk.substr(offset);
  if (meta.encoding == Encoding::kDecimal) return DecodeDecimalPayload(payload, meta, out);
  return DecodeGorillaPayload(payload, meta, out);
}

}  // namespace gnomon::chunk
