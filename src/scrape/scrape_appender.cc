#include "scrape/scrape_appender.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "index/labels_util.h"
#include "scrape/relabel.h"
#include "util/stale_marker.h"

namespace gnomon::scrape {

namespace {

constexpr const char* kReportNames[5] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                         "scrape_samples_post_metric_relabeling", "scrape_series_added"};

// The target's labels on a scraped series, as Prometheus' mutateSampleLabels.
void AttachTargetLabels(const ScrapeTarget& target, Labels* labels) {
  for (const Label& t : target.labels) {
    if (t.value.empty()) continue;
    auto it = std::find_if(labels->begin(), labels->end(), [&](const Label& l) { return l.name == t.name; });
    if (it == labels->end()) {
      labels->push_back(t);
      continue;
    }
    if (target.honor_labels) continue;  // the scraped value wins
    // The scraped one becomes exported_<name> (exported_exported_<name>, ... while taken).
    std::string name = "exported_" + t.name;
    while (std::any_of(labels->begin(), labels->end(), [&](const Label& l) { return l.name == name; })) {
      name = "exported_" + name;
    }
    std::string value = std::move(it->value);
    it->value = t.value;
    labels->push_back({name, std::move(value)});
  }
}

bool SortedContains(const std::vector<SeriesRef>& sorted, SeriesRef ref) {
  return std::binary_search(sorted.begin(), sorted.end(), ref);
}

void SortUnique(std::vector<SeriesRef>* refs) {
  std::sort(refs->begin(), refs->end());
  refs->erase(std::unique(refs->begin(), refs->end()), refs->end());
}

}  // namespace

ScrapeAppender::ScrapeAppender(const ScrapeTarget* target, DB* db) : target_(target), db_(db) {
  for (size_t i = 0; i < 5; ++i) {
    report_labels_[i] = target_->labels;
    report_labels_[i].push_back({kMetricNameLabel, kReportNames[i]});
    index::SortLabels(&report_labels_[i]);
  }
}

std::string ScrapeAppender::Resolve(const ExpositionParser& parser, Entry* entry) {
  parser.ReadLabels(&labels_);
  AttachTargetLabels(*target_, &labels_);
  if ((!target_->metric_relabel_configs.empty() && !Relabel(target_->metric_relabel_configs, &labels_)) ||
      labels_.empty()) {  // relabelled to nothing: dropped, as Prometheus
    entry->dropped = true;
    return "";
  }
  if (target_->label_limit != 0 && labels_.size() > target_->label_limit) {
    std::string_view name;
    for (const Label& l : labels_) {
      if (l.name == kMetricNameLabel) name = l.value;
    }
    return fmt::format("label_limit exceeded (metric: {:.50}, number of labels: {}, limit: {})", name, labels_.size(),
                       target_->label_limit);
  }
  index::SortLabels(&labels_);
  // What the engine would refuse (a reserved "__" name, say) fails the scrape by name, rather
  // than the whole write with up and the report.
  if (Status valid = index::ValidateLabels(labels_, target_->limits); !valid.ok()) {
    return index::MetricToString(labels_) + ": " + valid.message();
  }
  key_.clear();
  index::AppendEncodedLabels(labels_, &key_);
  auto [it, created] = miss_keys_.try_emplace(key_, static_cast<uint32_t>(miss_labels_.size()));
  if (created) {
    miss_labels_.push_back(labels_);
  } else {
    entry->duplicate = true;  // a new series twice in one scrape (two spellings): the first value
  }
  entry->miss = it->second;
  return "";
}

int64_t ScrapeAppender::Find(std::string_view text) {
  if (entries_.empty()) return -1;
  const size_t mask = index_.empty() ? 0 : index_.size() - 1;
  if (index_.empty()) {
    size_t size = 16;
    while (size < entries_.size() * 2) size *= 2;
    index_.assign(size, 0);
    for (size_t i = 0; i < entries_.size(); ++i) {
      for (size_t slot = std::hash<std::string_view>{}(entries_[i].text) & (size - 1);;
           slot = (slot + 1) & (size - 1)) {
        if (index_[slot] == 0) {
          index_[slot] = static_cast<uint32_t>(i + 1);
          break;
        }
        if (entries_[index_[slot] - 1].text == entries_[i].text) break;  // the first one stays
      }
    }
    return Find(text);
  }
  for (size_t slot = std::hash<std::string_view>{}(text)&mask;; slot = (slot + 1) & mask) {
    if (index_[slot] == 0) return -1;
    if (entries_[index_[slot] - 1].text == text) return index_[slot] - 1;
  }
}

std::string ScrapeAppender::Append(std::string_view body, ExpositionFormat format, const std::string& error,
                                   int64_t scrape_ms, double duration_s) {
  std::string final_error = error;
  current_.clear();
  samples_.clear();
  miss_labels_.clear();
  miss_keys_.clear();
  size_t scraped = 0;
  // Whether this scrape has exactly the cached texts, in order, stamped alike: then its series,
  // duplicates and staleness are the last scrape's.
  bool same = written_.size() > 0 || entries_.empty();
  if (error.empty()) {
    ExpositionParser parser(body, format);
    size_t next = 0;  // the cached entry expected next
    while (parser.Next()) {
      ++scraped;
      const std::string_view text = parser.series_text();
      const bool stamped = target_->honor_timestamps && parser.timestamp_ms().has_value();
      Entry& e = current_.emplace_back();
      e.text = text;
      e.stamped = stamped;
      samples_.push_back({stamped ? *parser.timestamp_ms() : scrape_ms, parser.value()});
      int64_t hit = -1;
      if (next < entries_.size() && entries_[next].text.size() == text.size() &&
          std::memcmp(entries_[next].text.data(), text.data(), text.size()) == 0) {
        hit = static_cast<int64_t>(next);
      } else {
        same = false;
        hit = Find(text);
      }
      if (hit >= 0) {
        const Entry& cached = entries_[static_cast<size_t>(hit)];
        e.ref = cached.ref;
        e.dropped = cached.dropped;
        e.duplicate = cached.duplicate;  // recomputed below unless the scrape is the same
        same = same && cached.stamped == stamped;
        next = static_cast<size_t>(hit) + 1;
      } else if (final_error = Resolve(parser, &e); !final_error.empty()) {
        break;
      }
    }
    if (final_error.empty() && !parser.status().ok()) final_error = parser.status().message();
    same = same && final_error.empty() && current_.size() == entries_.size();
  }

  // Duplicates among known series (new ones were found by Resolve): the first value, as Prometheus.
  if (final_error.empty() && !same) {
    by_ref_.clear();
    for (size_t i = 0; i < current_.size(); ++i) {
      Entry& e = current_[i];
      if (e.ref != 0) {
        e.duplicate = false;
        by_ref_.push_back({e.ref, i});
      }
    }
    std::sort(by_ref_.begin(), by_ref_.end());
    for (size_t i = 1; i < by_ref_.size(); ++i) {
      if (by_ref_[i].first == by_ref_[i - 1].first) current_[by_ref_[i].second].duplicate = true;
    }
  }
  size_t kept = 0;
  uint64_t added = 0;
  if (final_error.empty()) {
    for (const Entry& e : current_) {
      if (e.dropped || e.duplicate) continue;
      ++kept;
      if (!same && (e.ref == 0 || !SortedContains(written_, e.ref))) ++added;
    }
    if (target_->sample_limit != 0 && kept > target_->sample_limit) final_error = "sample limit exceeded";
  }
  const bool up = final_error.empty();

  batch_.Clear();
  // Stale markers first: a series that is back under a new spelling gets its sample after its
  // marker, and the later one wins.
  if (!up) {
    for (SeriesRef ref : tracked_) batch_.Add(ref, scrape_ms, StaleNaN());
  } else if (!same) {
    scratch_.clear();
    for (const Entry& e : current_) {
      if (e.ref != 0 && !e.dropped && !e.duplicate && !e.stamped) scratch_.push_back(e.ref);
    }
    SortUnique(&scratch_);
    for (SeriesRef ref : tracked_) {
      if (!SortedContains(scratch_, ref)) batch_.Add(ref, scrape_ms, StaleNaN());
    }
  }
  miss_entry_.assign(miss_labels_.size(), 0);
  if (up) {
    for (size_t i = 0; i < current_.size(); ++i) {
      const Entry& e = current_[i];
      if (e.dropped || e.duplicate) continue;
      if (e.ref != 0) {
        batch_.Add(e.ref, samples_[i].timestamp, samples_[i].value);
      } else {
        batch_.Add(miss_labels_[e.miss], samples_[i].timestamp, samples_[i].value);
        miss_entry_[e.miss] = batch_.num_entries() - 1;
      }
    }
  }
  const size_t report_entry = batch_.num_entries();
  AddReport(scrape_ms, up, duration_s, static_cast<double>(scraped), up ? static_cast<double>(kept) : 0,
            up ? static_cast<double>(same ? 0 : added) : 0);
  Status st = db_->Write(batch_, &refs_);
  if (!st.ok()) {
    return up ? "storing the samples: " + st.message() : final_error;  // the cache stays as it was
  }
  for (size_t i = 0; i < 5; ++i) report_refs_[i] = refs_[report_entry + i];
  if (!up) {
    tracked_.clear();
    written_.clear();
    return final_error;
  }
  if (!same) Commit();
  return "";
}

void ScrapeAppender::Commit() {
  for (Entry& e : current_) {
    if (e.miss != kNoMiss) e.ref = refs_[miss_entry_[e.miss]];
  }
  tracked_.clear();
  written_.clear();
  size_t bytes = 0;
  for (const Entry& e : current_) {
    bytes += e.text.size();
    if (e.dropped) continue;
    written_.push_back(e.ref);
    if (!e.stamped && !e.duplicate) tracked_.push_back(e.ref);
  }
  SortUnique(&tracked_);
  SortUnique(&written_);
  // The cache: this scrape's texts, copied out of the body.
  next_arena_.resize(bytes);
  size_t at = 0;
  for (Entry& e : current_) {
    if (!e.text.empty()) std::memcpy(next_arena_.data() + at, e.text.data(), e.text.size());
    e.text = std::string_view(next_arena_.data() + at, e.text.size());
    e.miss = kNoMiss;
    at += e.text.size();
  }
  arena_.swap(next_arena_);
  std::vector<char>().swap(next_arena_);  // the old texts: the cache is rebuilt rarely, memory is kept always
  entries_.swap(current_);
  if (miss_labels_.size() > 64) {  // a target's first scrape: its new series' labels are not needed again
    std::vector<Labels>().swap(miss_labels_);
    std::unordered_map<std::string, uint32_t>().swap(miss_keys_);
    batch_ = WriteBatch();  // nor the room their encoded labels took in the batch
  }
  index_.clear();
}

void ScrapeAppender::AddReport(int64_t scrape_ms, bool up, double duration_s, double scraped, double post_relabel,
                               double added) {
  const double values[5] = {up ? 1.0 : 0.0, duration_s, scraped, post_relabel, added};
  AddReportSamples(scrape_ms, values);
}

void ScrapeAppender::AddReportSamples(int64_t ms, const double (&values)[5]) {
  for (size_t i = 0; i < 5; ++i) {
    if (report_refs_[i] != 0) {
      batch_.Add(report_refs_[i], ms, values[i]);
    } else {
      batch_.Add(report_labels_[i], ms, values[i]);
    }
  }
}

Status ScrapeAppender::MarkStale(int64_t now_ms) {
  batch_.Clear();
  for (SeriesRef ref : tracked_) batch_.Add(ref, now_ms, StaleNaN());
  const double stale = StaleNaN();
  AddReportSamples(now_ms, {stale, stale, stale, stale, stale});
  tracked_.clear();
  return db_->Write(batch_);
}

}  // namespace gnomon::scrape
