// ScrapeAppender: turns one target's scrapes into engine writes, as Prometheus' scrapeLoop.append
// with its scrapeCache (issue 15). Owns what the target's scrapes remember between them; no I/O
// but the DB writes (the loop fetches the body).
//
// Contract. Append() stores one scrape in one DB write: its samples with the target's labels
// attached (honor_labels as Prometheus: a clashing scraped label becomes exported_<name>, or wins
// when honoured) and metric_relabel_configs applied; stale markers for series the last good scrape
// had and this one has not (all of them after a failed scrape); and the five report series (up,
// scrape_duration_seconds, scrape_samples_scraped, scrape_samples_post_metric_relabeling,
// scrape_series_added). A scrape fails — none of its samples stored, up = 0 — when it was given
// an error (HTTP), when its body is malformed ("line N: reason"), when sample_limit or
// label_limit is exceeded, or when a series is one the engine would refuse (named). A series
// written twice in one scrape keeps its first value; one with its own timestamp, honoured, is not
// tracked for staleness (both as Prometheus). MarkStale() ends every series of the target.
//
// The cache: per series text as the target wrote it (ExpositionParser::series_text) the series it
// became after the target's labels and relabelling (or that it was dropped), and per series its
// engine reference, so a series seen before costs a hash lookup and no label work or engine
// lookup. Entries not seen for a few good scrapes are forgotten.
//
// Thread safety: one thread at a time (the target's loop).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gnomon/db.h"
#include "gnomon/series.h"
#include "gnomon/write_batch.h"
#include "scrape/exposition.h"
#include "scrape/scrape_target.h"

namespace gnomon::scrape {

class ScrapeAppender {
 public:
  // `target` and `db` outlive the appender.
  ScrapeAppender(const ScrapeTarget* target, DB* db);

  ScrapeAppender(const ScrapeAppender&) = delete;
  ScrapeAppender& operator=(const ScrapeAppender&) = delete;

  // Stores the scrape made at `scrape_ms` that took `duration_s`: `body` in `format`, or, when
  // `error` is not empty, a scrape that failed with it (then `body` is ignored). Returns the
  // scrape's error: "" for a good scrape, else why it failed (`error`, a malformed body, a limit,
  // a refused series, or "storing the samples: ..." when the write failed).
  std::string Append(std::string_view body, ExpositionFormat format, const std::string& error, int64_t scrape_ms,
                     double duration_s);

  // The target went away: stale markers at `now_ms` for its series and its report series.
  Status MarkStale(int64_t now_ms);

  // Series text entries cached (for tests).
  size_t cached_texts() const { return texts_.size(); }

 private:
  // A series as stored: its labels until the engine gave it a ref.
  struct Series {
    SeriesRef ref = 0;
    Labels labels;                // cleared once ref is known
    uint64_t seen_scrape = 0;     // the last scrape that wrote it (dedups a series written twice)
    uint64_t tracked_scrape = 0;  // the last scrape where it was tracked for staleness
    bool keep = false;            // Evict's mark
  };
  struct Text {
    Series* series = nullptr;  // nullptr: relabelled away
    uint64_t seen_scrape = 0;
  };
  struct Pending {
    Series* series;
    Sample sample;
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using TextMap = std::unordered_map<std::string, Text, StringHash, std::equal_to<>>;

  // The cache entry for the parser's current sample, made on a miss; "" or the reason the scrape
  // fails (label_limit, a series the engine refuses).
  std::string Resolve(const ExpositionParser& parser, Text** text);
  // Adds a sample for `series` to batch_, remembering which entry gives it its ref.
  void AddToBatch(Series* series, int64_t timestamp_ms, double value);
  void AddReport(int64_t scrape_ms, bool up, double duration_s, double scraped, double post_relabel, double added);
  void Evict();

  const ScrapeTarget* const target_;
  DB* const db_;
  uint64_t scrape_ = 0;  // scrapes appended so far
  TextMap texts_;
  std::unordered_map<std::string, Series> series_;  // by encoded labels
  std::vector<Series*> tracked_;                    // the last good scrape's, for staleness
  Series report_[5];                                // up, scrape_duration_seconds, ...
  // Reused between scrapes.
  std::vector<Pending> pending_;
  std::vector<Series*> now_tracked_;
  std::vector<std::pair<size_t, Series*>> unresolved_;  // batch entry -> series without a ref
  std::vector<SeriesRef> refs_;
  WriteBatch batch_;
  Labels labels_;
  std::string key_;
};

}  // namespace gnomon::scrape
