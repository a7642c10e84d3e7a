// Shipper: gnomon-ship's work (issue 13). It tails the files its globs match (FileTailer), sends
// their whole lines to gnomond's Loki push API in batches that name their source and byte range
// (X-Gnomon-Source, X-Gnomon-Source-Range), and saves a file's offset (ShipState) only after
// gnomond acknowledged the batch — which gnomond stores exactly once, so every line arrives once
// through crashes of either side. A JSON line keeps its text; its "ts" is its time and its
// "service" and "level" join its labels (beside `host`, `filename` and those configured); any
// other line is stamped when read.
//
// Answers: 2xx (and 400, whose valid lines were stored) move the offset; 409 moves it to where
// gnomond's range for that source ends; other 4xx but 408, 413 and 429 skip the batch (logged,
// counted, the offset moved: never retried forever); 413 halves the batch; anything else — 5xx,
// 408, 429, no answer — is an error for the caller to back off from, the offset unmoved.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gnomon/status.h"
#include "http/client/http_client.h"
#include "ship/file_tailer.h"
#include "ship/ship_state.h"

namespace gnomon::ship {

struct ShipperOptions {
  std::string server;                                       // gnomond's base URL
  std::string token;                                        // bearer token, if gnomond wants one
  std::vector<std::string> paths;                           // globs
  std::vector<std::pair<std::string, std::string>> labels;  // added to every line's labels
  std::string state_dir;
  std::string host;              // the `host` label ("" = this machine's name)
  size_t batch_bytes = 1 << 20;  // the most line bytes per push (one longer line goes alone)
  long timeout_ms = 30'000;      // per push
};

struct ShipperCounters {
  uint64_t lines_read = 0, lines_shipped = 0, bytes_shipped = 0;
  uint64_t batches_sent = 0, batches_skipped = 0, duplicates = 0, conflicts = 0;
};

class Shipper {
 public:
  static Result<std::unique_ptr<Shipper>> Open(ShipperOptions options);

  // One round over every file the globs match now: each file's whole lines, batch by batch, the
  // state saved after each acknowledged one. True when it sent something; an error (gnomond down
  // or failing) leaves the rest for the next round.
  Result<bool> Poll();

  const ShipperCounters& counters() const { return counters_; }

 private:
  struct File {
    std::unique_ptr<FileTailer> tailer;
    std::string known;  // the base source ID whose saved state the tailer was given
  };
  explicit Shipper(ShipperOptions options, ShipState state);
  // Sends one chunk; true when the file's offset moved.
  Result<bool> Send(const std::string& path, File& file, const Chunk& chunk);
  std::string PushBody(const std::string& path, const Chunk& chunk, size_t* lines) const;

  ShipperOptions options_;
  ShipState state_;
  http::HttpClient client_;
  std::map<std::string, File> files_;  // by path
  size_t batch_bytes_;
  ShipperCounters counters_;
};

}  // namespace gnomon::ship
