#include "scrape/scrape_appender.h"

#include <algorithm>

#include <fmt/format.h>

#include "index/labels_util.h"
#include "scrape/relabel.h"
#include "util/stale_marker.h"

namespace gnomon::scrape {

namespace {

constexpr const char* kReportNames[5] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                         "scrape_samples_post_metric_relabeling", "scrape_series_added"};

// Cache entries not seen for this many good scrapes are forgotten (a series that comes back
// costs one miss).
constexpr uint64_t kEvictAfterScrapes = 4;

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

}  // namespace

ScrapeAppender::ScrapeAppender(const ScrapeTarget* target, DB* db) : target_(target), db_(db) {
  for (size_t i = 0; i < 5; ++i) {
    report_[i].labels = target_->labels;
    report_[i].labels.push_back({kMetricNameLabel, kReportNames[i]});
    index::SortLabels(&report_[i].labels);
  }
}

std::string ScrapeAppender::Resolve(const ExpositionParser& parser, Text** text) {
  parser.ReadLabels(&labels_);
  AttachTargetLabels(*target_, &labels_);
  Series* series = nullptr;
  const bool kept = (target_->metric_relabel_configs.empty() || Relabel(target_->metric_relabel_configs, &labels_)) &&
                    !labels_.empty();  // relabelled to nothing: dropped, as Prometheus
  if (kept) {
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
    auto [it, created] = series_.try_emplace(key_);
    if (created) it->second.labels = labels_;
    series = &it->second;
  }
  auto [it, created] = texts_.try_emplace(std::string(parser.series_text()));
  it->second.series = series;
  *text = &it->second;
  return "";
}

void ScrapeAppender::AddToBatch(Series* series, int64_t timestamp_ms, double value) {
  if (series->ref != 0) {
    batch_.Add(series->ref, timestamp_ms, value);
    return;
  }
  const size_t entries = batch_.num_entries();
  batch_.Add(series->labels, timestamp_ms, value);
  if (batch_.num_entries() > entries) unresolved_.push_back({batch_.num_entries() - 1, series});
}

void ScrapeAppender::AddReport(int64_t scrape_ms, bool up, double duration_s, double scraped, double post_relabel,
                               double added) {
  const double values[5] = {up ? 1.0 : 0.0, duration_s, scraped, post_relabel, added};
  for (size_t i = 0; i < 5; ++i) AddToBatch(&report_[i], scrape_ms, values[i]);
}

std::string ScrapeAppender::Append(std::string_view body, ExpositionFormat format, const std::string& error,
                                   int64_t scrape_ms, double duration_s) {
  const uint64_t scrape = ++scrape_;
  std::string final_error = error;
  pending_.clear();
  now_tracked_.clear();
  size_t scraped = 0;
  uint64_t added = 0;
  if (error.empty()) {
    ExpositionParser parser(body, format);
    while (parser.Next()) {
      ++scraped;
      auto it = texts_.find(parser.series_text());
      Text* text;
      if (it != texts_.end()) {
        text = &it->second;
      } else if (final_error = Resolve(parser, &text); !final_error.empty()) {
        break;
      }
      text->seen_scrape = scrape;
      Series* series = text->series;
      if (series == nullptr) continue;              // relabelled away
      if (series->seen_scrape == scrape) continue;  // twice in one scrape: the first value, as Prometheus
      if (series->seen_scrape == 0 || series->seen_scrape + 1 != scrape) ++added;  // not in the last scrape
      series->seen_scrape = scrape;
      const bool stamped = target_->honor_timestamps && parser.timestamp_ms().has_value();
      pending_.push_back({series, {stamped ? *parser.timestamp_ms() : scrape_ms, parser.value()}});
      if (stamped) continue;  // its own timestamp: not tracked for staleness (as Prometheus)
      series->tracked_scrape = scrape;
      now_tracked_.push_back(series);
    }
    if (final_error.empty() && !parser.status().ok()) final_error = parser.status().message();
    if (final_error.empty() && target_->sample_limit != 0 && pending_.size() > target_->sample_limit) {
      final_error = "sample limit exceeded";
    }
  }
  const bool up = final_error.empty();
  if (!up) {  // nothing of this scrape is stored, and nothing is tracked
    for (const Pending& p : pending_) p.series->seen_scrape = p.series->tracked_scrape = 0;
    pending_.clear();
    now_tracked_.clear();
  }

  batch_.Clear();
  unresolved_.clear();
  for (const Pending& p : pending_) AddToBatch(p.series, p.sample.timestamp, p.sample.value);
  // The last good scrape's series that are not here any more (all of them after a failure).
  for (Series* s : tracked_) {
    if (s->tracked_scrape != scrape) batch_.Add(s->ref, scrape_ms, StaleNaN());
  }
  AddReport(scrape_ms, up, duration_s, static_cast<double>(scraped), up ? static_cast<double>(pending_.size()) : 0,
            up ? static_cast<double>(added) : 0);
  Status st = db_->Write(batch_, &refs_);
  if (st.ok()) {
    for (auto [entry, series] : unresolved_) {
      series->ref = refs_[entry];
      Labels().swap(series->labels);
    }
    tracked_.swap(now_tracked_);
  } else {
    if (up) final_error = "storing the samples: " + st.message();
    // Still tracked: what has a ref (the last good scrape's series and this one's known ones).
    for (Series* s : now_tracked_) {
      if (s->ref != 0) tracked_.push_back(s);
    }
    std::sort(tracked_.begin(), tracked_.end());
    tracked_.erase(std::unique(tracked_.begin(), tracked_.end()), tracked_.end());
  }
  if (up) Evict();
  return final_error;
}

void ScrapeAppender::Evict() {
  if (scrape_ % kEvictAfterScrapes != 0) return;
  const uint64_t cutoff = scrape_ - kEvictAfterScrapes;
  std::erase_if(texts_, [&](const auto& entry) { return entry.second.seen_scrape <= cutoff; });
  // A series is kept while a cached text leads to it or it is tracked.
  for (auto& [key, series] : series_) series.keep = false;
  for (auto& [text, entry] : texts_) {
    if (entry.series != nullptr) entry.series->keep = true;
  }
  for (Series* s : tracked_) s->keep = true;
  std::erase_if(series_, [](const auto& entry) { return !entry.second.keep; });
}

Status ScrapeAppender::MarkStale(int64_t now_ms) {
  batch_.Clear();
  unresolved_.clear();
  for (Series* s : tracked_) batch_.Add(s->ref, now_ms, StaleNaN());
  for (Series& r : report_) AddToBatch(&r, now_ms, StaleNaN());
  tracked_.clear();
  return db_->Write(batch_);
}

}  // namespace gnomon::scrape
