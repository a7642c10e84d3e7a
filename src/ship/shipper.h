// Shipper: gnomon-ship's work (issue 13). It tails the files its globs match (FileTailer), sends
// their entries to gnomond's Loki push API in batches that name their source and byte range
// (X-Gnomon-Source, X-Gnomon-Source-Range), and saves a file's offset (ShipState) only after
// gnomond acknowledged the batch — which gnomond stores exactly once, so every line arrives once
// through crashes of either side. A JSON line keeps its text; its "ts" is its time and its
// "service" and "level" join its labels (beside `host`, `filename` and those configured); any
// other line is stamped when read. Entries are lines, or joined lines (EntrySplitter) when a
// start-of-entry pattern is configured.
//
// Batching: a file's bytes go out when a batch is full (batch_size), when they waited batch_wait,
// or when the file was rotated away and this is its end; with joining, the last entry of a file is
// held until a line starts another or multiline_max_wait_time passed without new lines. Bodies are
// gzipped unless configured not to be.
//
// Answers: 2xx (and 400, whose valid lines were stored) move the offset; 409 moves it to where
// gnomond's range for that source ends; 413 halves the batch; 401, 403, 404, 405 and 407 (a wrong
// token or URL: the shipper's configuration, not the lines) and 5xx, 408, 429 and no answer are
// failures: Poll returns the error for the caller to back off from, the offset unmoved; any other
// 4xx skips the batch (logged, counted, the offset moved: never retried forever). Failures feed a circuit breaker
// (notify/circuit_breaker.h): while it is open nothing is sent; after its cool-down one probe goes. Once gnomond
// answers again after failing, the backlog is sent at most at catch_up_rate bytes/s until every file is caught up.
//
// Files rotated away while the shipper was stopped are found again by identity in their old
// directory and read to their end from the saved offset. Memory is bounded by a batch per file:
// the files are the backlog. Poll is called from one thread; Snapshot from any.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gnomon/status.h"
#include "http/client/http_client.h"
#include "notify/circuit_breaker.h"
#include "ship/file_tailer.h"
#include "ship/multiline.h"
#include "ship/ship_config.h"
#include "ship/ship_state.h"

namespace gnomon::ship {

struct ShipperCounters {
  uint64_t lines_read = 0, lines_shipped = 0, bytes_shipped = 0, lines_skipped = 0;
  uint64_t batches_sent = 0, batches_skipped = 0, duplicates = 0, conflicts = 0, push_failures = 0;
};

struct FileStatus {
  std::string path;
  std::string source;  // "" before the file has a first line
  uint64_t offset = 0, size = 0;
};

struct ShipperSnapshot {
  ShipperCounters counters;
  std::vector<FileStatus> files;
  notify::CircuitBreaker::State breaker = notify::CircuitBreaker::State::kClosed;
  uint64_t breaker_opened = 0;
  bool catching_up = false;
};

class Shipper {
 public:
  // Checks the config (ValidateShipConfig, the multi-line pattern) and loads the state directory.
  static Result<std::unique_ptr<Shipper>> Open(ShipConfig config);

  // One round over every file the globs match now: a ready batch of each, the state saved after
  // each acknowledged one. True when it sent something (call again soon); an error
  // (gnomond down or failing, or the breaker open) leaves the rest for a later round.
  Result<bool> Poll();

  ShipperSnapshot Snapshot() const;
  const ShipConfig& config() const { return config_; }

 private:
  struct File {
    std::unique_ptr<FileTailer> tailer;
    std::string path;   // the tailed path: the `filename` label, also of a rotated file
    std::string known;  // the base source ID whose saved state the tailer was given
    uint64_t pending_start = ~uint64_t{0};
    int64_t pending_since_ms = 0;  // when bytes at pending_start were first seen unsent
    std::string last_error;        // the file's trouble last logged (not again until it changes)
  };
  // A chunk encoded as a push body.
  struct Batch {
    Chunk chunk;
    std::string body;
    size_t entries = 0;
    bool gzip = false;
  };
  // Batches of one file sent in one round before the others get theirs.
  static constexpr int kBatchesPerRound = 16;

  Shipper(ShipConfig config, ShipState state, EntrySplitter splitter);
  // Finds the files of saved sources that were rotated away while the shipper was not running.
  void RecoverRotated();
  // Sends what is ready of one file; *sent when a batch moved its offset. On an error,
  // file_error_ says whether it was the file's own (then prefixed with its path) or gnomond's.
  Status ShipFile(File& file, bool* sent);
  std::unique_ptr<FileTailer> NewTailer(const std::string& path) const;
  void WarnOnce(File& file, const std::string& message);
  // Whether `chunk` is to go now (batch_size, batch_wait, the writer's quiet time); with
  // multi-line joining, trims a last entry that may go on.
  bool Ready(File& file, Chunk& chunk);
  // The push body of a chunk (its text gets room for the JSON reader's padding).
  Status Prepare(const File& file, Chunk chunk, Batch* batch) const;
  // Busy while the breaker is open; waits for the catch-up rate.
  Status MayPush(size_t bytes);
  Result<http::HttpResponse> Post(const Batch& batch);
  // What gnomond's answer does: true when the offset moved past the batch; false when the file is
  // to be read again from its offset (409, 413); an error for a failed push.
  // The offsets it moves are recorded in state_, saved by SaveState.
  Result<bool> Answer(File& file, const Batch& batch, const Result<http::HttpResponse>& resp);
  // Writes state_ durably if an answer changed it.
  Status SaveState();
  std::string PushBody(const std::string& path, std::string& text, size_t* entries) const;
  void Throttle(size_t bytes);
  void Publish();

  const ShipConfig config_;
  std::string host_;
  ShipState state_;
  EntrySplitter splitter_;
  http::HttpClient client_;
  notify::CircuitBreaker breaker_;
  std::map<std::string, File> files_;  // by path
  std::vector<File> rotated_;          // files rotated away before they were read to their end
  bool recovered_ = false;
  bool state_dirty_ = false;  // state_ holds offsets not saved yet
  bool file_error_ = false;
  size_t batch_bytes_;     // batch_size, or less after a 413
  int small_batches_ = 0;  // acknowledged since the last 413
  static constexpr int kSmallBatchesAfter413 = 64;
  const bool gzip_;
  bool failing_ = false;      // the last push failed
  bool catching_up_ = false;  // gnomond is back after failing: sending at catch_up_rate
  int64_t catch_up_since_ms_ = 0;
  uint64_t catch_up_bytes_ = 0;
  ShipperCounters counters_;

  mutable std::mutex mu_;
  ShipperSnapshot published_;  // guarded by mu_
};

}  // namespace gnomon::ship
