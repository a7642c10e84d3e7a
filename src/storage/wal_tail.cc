#include "storage/wal_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "index/labels_util.h"
#include "storage/db_impl.h"
#include "storage/keyspace.h"
#include "storage/wal/wal_record.h"
#include "util/coding.h"

namespace gnomon::storage {

namespace {

// pread of exactly n bytes at offset; *got is how many were there (fewer at the end of the file).
Status ReadAt(int fd, uint64_t offset, size_t n, char* out, size_t* got) {
  *got = 0;
  while (*got < n) {
    const ssize_t r = ::pread(fd, out + *got, n - *got, static_cast<off_t>(offset + *got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return Status::IOError(std::string("read wal segment: ") + std::strerror(errno));
    if (r == 0) break;
    *got += static_cast<size_t>(r);
  }
  return Status::OK();
}

}  // namespace

WalTail::~WalTail() { CloseSegment(); }

void WalTail::CloseSegment() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

WalPosition WalTail::end() const { return UnpackWalPosition(db_->WalEnd()); }

void WalTail::Seek(WalPosition position) { position_ = position; }

Status WalTail::OpenSegment(bool* found) {
  *found = true;
  if (fd_ >= 0 && fd_segment_ == position_.segment) return Status::OK();
  CloseSegment();
  const std::string path = db_->WalSegmentPath(position_.segment);
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    if (errno == ENOENT) {
      *found = false;
      return Status::OK();
    }
    return Status::IOError("open " + path + ": " + std::strerror(errno));
  }
  fd_segment_ = position_.segment;
  return Status::OK();
}

Status WalTail::Read(size_t max_bytes, const EntryFn& fn, WalReadStats* stats) {
  size_t read = 0;
  while (read < max_bytes) {
    const WalPosition end = this->end();
    if (position_ >= end) break;
    bool found;
    GNOMON_RETURN_IF_ERROR(OpenSegment(&found));
    if (!found) {
      // The segments on disk are numbered without holes (empty ones are kept too), so a missing
      // one was deleted for the retention cap: everything up to the oldest kept one is lost here.
      const uint32_t first = db_->WalFirstSegment();
      if (position_.segment >= first) {
        return Status::Corruption("wal segment " + std::to_string(position_.segment) + " is missing");
      }
      stats->skipped_segments += first - position_.segment;
      position_ = {first, 0};
      continue;
    }
    // The current segment is read up to the acknowledged end; a closed one to its end.
    const uint64_t limit = position_.segment == end.segment ? end.offset : UINT64_MAX;
    char header[kWalRecordHeaderSize];
    size_t got;
    GNOMON_RETURN_IF_ERROR(ReadAt(fd_, position_.offset, sizeof header, header, &got));
    if (got == 0 && position_.segment < end.segment) {
      position_ = {position_.segment + 1, 0};  // this segment is done
      continue;
    }
    const std::string where =
        "wal segment " + std::to_string(position_.segment) + " offset " + std::to_string(position_.offset);
    if (got < sizeof header) return Status::Corruption(where + ": truncated record header");
    const uint32_t crc = DecodeFixed32LE(header);
    const uint32_t len = DecodeFixed32LE(header + 4);
    const auto type = static_cast<WalRecordType>(header[8]);
    uint64_t file_end = limit;
    if (limit == UINT64_MAX) {  // a closed segment: its size bounds the record
      struct stat st;
      if (::fstat(fd_, &st) != 0) return Status::IOError(where + ": stat: " + std::strerror(errno));
      file_end = static_cast<uint64_t>(st.st_size);
    }
    if (position_.offset + sizeof header + len > file_end) {
      return Status::Corruption(where + ": record runs past the end of the " +
                                (limit == UINT64_MAX ? "segment" : "log"));
    }
    record_.resize(len);
    GNOMON_RETURN_IF_ERROR(ReadAt(fd_, position_.offset + sizeof header, len, record_.data(), &got));
    if (got < len) return Status::Corruption(where + ": truncated record");
    if (WalRecordCrc(type, record_) != crc) return Status::Corruption(where + ": checksum mismatch");
    if (type == WalRecordType::kSamples) {
      // Decoded whole before fn sees any of it: a record that fails half-way passes nothing on.
      entries_.clear();
      decoded_.clear();
      GNOMON_RETURN_IF_ERROR(DecodeSamplesRecord(record_, &scratch_, [&](uint64_t ref, std::span<const Sample> s) {
        entries_.push_back({ref, decoded_.size(), s.size()});
        decoded_.insert(decoded_.end(), s.begin(), s.end());
      }));
      for (const Entry& e : entries_) fn(e.ref, std::span<const Sample>(decoded_).subspan(e.first, e.count));
      stats->samples += decoded_.size();
    }
    ++stats->records;
    stats->bytes += sizeof header + len;
    read += sizeof header + len;
    position_.offset += sizeof header + len;
  }
  return Status::OK();
}

void WalTail::SkipSegment(WalReadStats* stats) {
  if (position_.segment >= end().segment) return;  // the current segment: nothing after it yet
  ++stats->skipped_segments;
  position_ = {position_.segment + 1, 0};
}

Status WalTail::Acknowledge(WalPosition position, bool sync) {
  GNOMON_RETURN_IF_ERROR(db_->AcknowledgeWal(name_, PackWalPosition(position), sync));
  acknowledged_ = position;
  return Status::OK();
}

Status WalTail::LabelsOf(uint64_t ref, Labels* out) const {
  const std::string encoded = db_->EncodedLabelsOf(ref);
  if (encoded.empty()) return Status::NotFound("series ref " + std::to_string(ref));
  return index::DecodeLabels(encoded, out);
}

Result<std::unique_ptr<WalTail>> OpenWalTail(DB* db, std::string_view name) {
  auto* impl = dynamic_cast<DBImpl*>(db);
  if (impl == nullptr) return Status::InvalidArgument("wal tail: not a database opened by gnomon::DB::Open");
  if (!ValidKeyspaceName(name)) {
    return Status::InvalidArgument("wal consumer name \"" + std::string(name) + "\": must be 1-64 of [a-z0-9_]");
  }
  auto position = impl->RegisterWalConsumer(name);
  if (!position.ok()) return position.status();
  return std::unique_ptr<WalTail>(new WalTail(impl, std::string(name), UnpackWalPosition(*position)));
}

Result<std::vector<std::string>> ListWalConsumers(DB* db) {
  auto* impl = dynamic_cast<DBImpl*>(db);
  if (impl == nullptr) return Status::InvalidArgument("wal tail: not a database opened by gnomon::DB::Open");
  return impl->WalConsumers();
}

Status DropWalConsumer(DB* db, std::string_view name) {
  auto* impl = dynamic_cast<DBImpl*>(db);
  if (impl == nullptr) return Status::InvalidArgument("wal tail: not a database opened by gnomon::DB::Open");
  return impl->DropWalConsumer(name);
}

}  // namespace gnomon::storage
