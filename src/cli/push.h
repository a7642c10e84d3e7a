// `gnomon push`: sends line protocol or JSON lines to gnomond in batches.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gnomon::cli {

// One request body: whole lines of the input.
struct Batch {
  std::string body;
  size_t first_line = 1;  // the input's 1-based line number of the body's first line
  size_t line_count = 0;  // physical lines in the body (a final line without '\n' counts)
  size_t data_lines = 0;  // of those, lines that are not blank (nor '#' comments for line protocol)
};

// Cuts a stream of bytes into batches of at most `batch_bytes` at line boundaries (a single line
// longer than that is a batch of its own). Feed it with Append, take batches with Next.
class BatchSplitter {
 public:
  BatchSplitter(size_t batch_bytes, bool hash_comments) : batch_bytes_(batch_bytes), hash_comments_(hash_comments) {}

  void Append(std::string_view data) { pending_.append(data); }

  // Moves the next batch into *out and returns true if one is ready: a full batch, or at
  // `end_of_input` whatever is left (if anything).
  bool Next(bool end_of_input, Batch* out);

  size_t pending_bytes() const { return pending_.size(); }

 private:
  size_t batch_bytes_;
  bool hash_comments_;
  std::string pending_;
  size_t next_line_ = 1;
};

struct PushOptions {
  std::string path = "-";        // "-" is stdin
  bool jsonl = false;            // /api/v1/import instead of /write
  std::string precision;         // line protocol timestamp precision (ns, us, ms, s); "" = server default
  size_t batch_bytes = 4 << 20;
  bool progress = true;          // drawn only if stderr is a terminal as well
  int max_retries = 5;           // for 503 (busy) answers
};

}  // namespace gnomon::cli
namespace gnomon::http {
class HttpClient;
}  // namespace gnomon::http
namespace gnomon::cli {
using http::HttpClient;

// Runs the push; returns the process exit code (0, or 1 if a line was rejected or a request
// failed). Rejected lines go to stderr as "NAME:LINE: reason", the summary to stdout.
int RunPush(HttpClient* client, const PushOptions& options);

}  // namespace gnomon::cli
