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
// The cache, as Prometheus' scrapeCache: the last good scrape's samples in order, each with its
// series text as the target wrote it (ExpositionParser::series_text) and the engine reference of
// the series it became (or that relabelling dropped it). A target writes the same texts in the
// same order every time, so a sample is matched against the next cached text with one memcmp (a
// hash index, built when first needed, finds texts out of order); a series seen before costs no
// label work and no engine lookup, and a scrape with exactly the last one's series needs no
// staleness or duplicate bookkeeping either. New series are resolved through their labels and
// join the cache; texts the last good scrape did not have are forgotten. A text first seen for a
// series that another cached text already gives (two spellings of one label set) is written
// twice in that scrape, the engine keeping the later value; Prometheus keeps the first.
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

  // Series texts cached (for tests).
  size_t cached_texts() const { return entries_.size(); }

 private:
  // One sample of a scrape, in the target's order.
  struct Entry {
    std::string_view text;    // into the body (this scrape) or arena_ (the cache)
    SeriesRef ref = 0;        // 0: not known yet (a new series) or dropped
    uint32_t miss = kNoMiss;  // a new series: its index in miss_labels_
    bool dropped = false;     // relabelled away
    bool stamped = false;     // its own timestamp, honoured: not tracked for staleness
    bool duplicate = false;   // its series came earlier in the scrape: not written
  };
  static constexpr uint32_t kNoMiss = UINT32_MAX;

  // Fills a new series' entry from the parser's labels; "" or why the scrape fails.
  std::string Resolve(const ExpositionParser& parser, Entry* entry);
  // The cached entry holding `text`, or -1 (the hash index is built on first use).
  int64_t Find(std::string_view text);
  // Replaces the cache with this scrape's entries (their refs now known).
  void Commit();
  void AddReport(int64_t scrape_ms, bool up, double duration_s, double scraped, double post_relabel, double added);
  // The five report series' samples at `ms`, each by its ref once the engine gave one.
  void AddReportSamples(int64_t ms, const double (&values)[5]);

  const ScrapeTarget* const target_;
  DB* const db_;
  // The cache (see above).
  std::vector<char> arena_;  // the cached texts back to back (a vector: swapping keeps views valid)
  std::vector<char> next_arena_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> index_;     // open addressing: entry + 1, 0 empty; empty until first needed
  std::vector<SeriesRef> tracked_;  // sorted: the last good scrape's series tracked for staleness
  std::vector<SeriesRef> written_;  // sorted: the series the last scrape wrote (none after a failure)
  SeriesRef report_refs_[5] = {};
  Labels report_labels_[5];
  // This scrape's, reused.
  std::vector<Entry> current_;
  std::vector<Sample> samples_;  // current_[i]'s
  std::vector<Labels> miss_labels_;
  std::vector<size_t> miss_entry_;                       // miss_labels_[i]'s batch entry
  std::unordered_map<std::string, uint32_t> miss_keys_;  // encoded labels -> miss index
  std::vector<std::pair<SeriesRef, size_t>> by_ref_;
  std::vector<SeriesRef> scratch_;
  std::vector<SeriesRef> refs_;
  WriteBatch batch_;
  Labels labels_;
  std::string key_;
};

}  // namespace gnomon::scrape
