#include "ship/shipper.h"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include <simdjson.h>

#include "util/clock.h"
#include "util/go_json.h"
#include "util/gzip.h"
#include "util/log.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace gnomon::ship {

namespace {

// The part of a source ID before its generation: the key of its saved state.
std::string BaseId(const SourceIdentity& identity) { return SourceId(identity, 0); }

std::vector<std::string> Expand(const std::vector<std::string>& patterns) {
  std::vector<std::string> paths;
  for (const std::string& p : patterns) {
    glob_t g{};
    if (glob(p.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) paths.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  return paths;
}

// A JSON line's "ts" (RFC 3339 or Unix nanoseconds), "service" and "level"; nothing for another
// line. `capacity` is how many bytes from line.data() may be read (simdjson reads past the end);
// the views stay valid until the parser reads another document.
struct LineFields {
  std::optional<int64_t> ts;
  std::string_view service, level;
};

LineFields ReadFields(simdjson::ondemand::parser& parser, std::string_view line, size_t capacity) {
  LineFields f;
  if (line.empty() || line.front() != '{') return f;
  simdjson::ondemand::document doc;
  if (parser.iterate(line.data(), line.size(), capacity).get(doc) != simdjson::SUCCESS) return f;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return f;
  LineFields found;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return f;
    std::string_view text;
    if (key == "ts") {
      int64_t ns = 0;
      if (field.value().get_string().get(text) == simdjson::SUCCESS) {
        found.ts = ParseRfc3339Nanos(text);
      } else if (field.value().get_int64().get(ns) == simdjson::SUCCESS) {
        found.ts = ns;
      }
    } else if ((key == "service" || key == "level") && field.value().get_string().get(text) == simdjson::SUCCESS) {
      (key == "service" ? found.service : found.level) = text;  // valid until the parser's next document
    }
  }
  return found;
}

}  // namespace

Shipper::Shipper(ShipConfig config, ShipState state, EntrySplitter splitter)
    : config_(std::move(config)),
      host_(config_.host),
      state_(std::move(state)),
      splitter_(std::move(splitter)),
      client_(config_.server, config_.token, "gnomond"),
      breaker_({static_cast<int>(config_.breaker_failures), config_.breaker_window_ms, config_.breaker_cooldown_ms}),
      batch_bytes_(config_.batch_size),
      gzip_(GzipsTo(config_.server, config_.compression)) {
  client_.set_timeout_ms(config_.timeout_ms);
  client_.set_user_agent("gnomon-ship");
  if (host_.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) host_ = name;
  }
}

Result<std::unique_ptr<Shipper>> Shipper::Open(ShipConfig config) {
  GNOMON_RETURN_IF_ERROR(ValidateShipConfig(config));
  auto splitter = EntrySplitter::Make(config.multiline_firstline, config.multiline_max_lines);
  if (!splitter.ok()) return splitter.status();
  auto state = ShipState::Load(config.state_dir);
  if (!state.ok()) return state.status();
  return std::unique_ptr<Shipper>(new Shipper(std::move(config), std::move(*state), std::move(*splitter)));
}

void Shipper::RecoverRotated() {
  std::vector<std::string> gone;
  for (const auto& [base, saved] : state_.sources()) {
    const std::optional<SourceIdentity> identity = ParseSourceId(base);
    if (!identity.has_value()) continue;
    struct stat st {};
    if (stat(saved.path.c_str(), &st) == 0 && st.st_dev == identity->dev && st.st_ino == identity->ino) {
      continue;  // still at its path: its tailer resumes it
    }
    // Rotated away: look for its inode in its directory (app.log.1, app.log-20261207, ...).
    const size_t slash = saved.path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : saved.path.substr(0, slash + 1);
    std::string found;
    if (DIR* d = opendir(dir.c_str()); d != nullptr) {
      while (const dirent* e = readdir(d)) {
        if (e->d_ino != identity->ino) continue;
        const std::string candidate = (slash == std::string::npos ? "" : dir) + e->d_name;
        if (stat(candidate.c_str(), &st) == 0 && st.st_dev == identity->dev && S_ISREG(st.st_mode)) found = candidate;
      }
      closedir(d);
    }
    auto tailer = found.empty() ? Result<std::unique_ptr<FileTailer>>(Status::NotFound(saved.path))
                                : FileTailer::OpenRotated(found, *identity, saved.generation, saved.offset);
    if (!tailer.ok()) {
      log::Warn("ship: " + saved.path + " was rotated away and is gone; what it held after byte " +
                std::to_string(saved.offset) + ", if anything, was not shipped");
      gone.push_back(base);
      continue;
    }
    log::Info("ship: reading " + found + " (rotated from " + saved.path + ") from byte " +
              std::to_string(saved.offset));
    File f;
    f.tailer = std::move(*tailer);
    f.tailer->set_max_line_bytes(config_.max_line_bytes);
    f.tailer->set_rotate_wait_ms(config_.rotate_wait_ms);
    f.path = saved.path;
    f.known = base;
    rotated_.push_back(std::move(f));
  }
  for (const std::string& base : gone) state_.Erase(base);
  state_dirty_ = state_dirty_ || !gone.empty();
}

std::string Shipper::PushBody(const std::string& path, std::string& text, size_t* entries) const {
  thread_local simdjson::ondemand::parser parser;
  text.reserve(text.size() + simdjson::SIMDJSON_PADDING);  // simdjson reads a little past a line
  // First the entries, each with its time and stream — one stream per (service, level), few in a
  // batch — then the body, a stream after another, written once into one string.
  struct Entry {
    std::string_view text;
    int64_t ts;
  };
  std::vector<std::pair<std::string, std::string>> keys;  // (service, level) of each stream
  std::vector<std::vector<Entry>> streams;
  int64_t now = NowNs();
  size_t last = 0;
  const std::vector<size_t> starts = splitter_.Starts(text);
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t end = i + 1 < starts.size() ? starts[i + 1] : text.size();
    if (end > starts[i] && text[end - 1] == '\n') --end;
    const std::string_view entry(text.data() + starts[i], end - starts[i]);
    const std::string_view first_line = entry.substr(0, entry.find('\n'));
    const LineFields f = ReadFields(parser, first_line, text.data() + text.capacity() - first_line.data());
    if (last >= keys.size() || keys[last].first != f.service || keys[last].second != f.level) {
      last = 0;
      while (last < keys.size() && (keys[last].first != f.service || keys[last].second != f.level)) ++last;
      if (last == keys.size()) {
        keys.emplace_back(f.service, f.level);
        streams.emplace_back();
      }
    }
    streams[last].push_back({entry, f.ts.value_or(now++)});  // stamped lines keep their order
  }
  *entries = starts.size();

  std::map<std::string, std::string> labels(config_.labels.begin(), config_.labels.end());
  if (!host_.empty()) labels["host"] = host_;
  labels["filename"] = path;
  std::string body;
  body.reserve(text.size() + text.size() / 4 + starts.size() * 26 + 64);
  body += "{\"streams\":[";
  for (size_t k = 0; k < keys.size(); ++k) {
    std::map<std::string, std::string> stream = labels;
    if (!keys[k].first.empty()) stream["service"] = keys[k].first;
    if (!keys[k].second.empty()) stream["level"] = keys[k].second;
    body += k == 0 ? "{\"stream\":{" : ",{\"stream\":{";
    bool first_label = true;
    for (const auto& [name, value] : stream) {
      if (!first_label) body += ',';
      first_label = false;
      AppendJsonString(name, &body);
      body += ':';
      AppendGoJsonString(&body, value);
    }
    body += "},\"values\":[";
    bool first_entry = true;
    for (const Entry& e : streams[k]) {
      body += first_entry ? "[\"" : ",[\"";
      first_entry = false;
      char digits[24];
      body.append(digits, std::to_chars(digits, digits + sizeof(digits), e.ts).ptr);
      body += "\",";
      if (simdjson::validate_utf8(e.text.data(), e.text.size())) {
        AppendJsonString(e.text, &body);
      } else {
        AppendGoJsonString(&body, e.text);  // invalid bytes become U+FFFD: the rest of the line is kept
      }
      body += ']';
    }
    body += "]}";
  }
  body += "]}";
  return body;
}

void Shipper::Throttle(size_t bytes) {
  if (!catching_up_ || config_.catch_up_rate == 0) return;
  catch_up_bytes_ += bytes;
  const int64_t due = catch_up_since_ms_ + static_cast<int64_t>(catch_up_bytes_ * 1000 / config_.catch_up_rate);
  const int64_t wait = due - SteadyMs();
  if (wait > 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(wait, 5000)));
}

Status Shipper::Prepare(const File& file, Chunk chunk, Batch* batch) const {
  batch->chunk = std::move(chunk);
  batch->body = PushBody(file.path, batch->chunk.text, &batch->entries);
  batch->gzip = gzip_;
  if (batch->gzip) {
    auto gz = GzipCompress(batch->body, 1);  // fast: compressed for the wire, not for keeping
    if (!gz.ok()) return gz.status();
    batch->body = std::move(*gz);
  }
  return Status::OK();
}

Result<http::HttpResponse> Shipper::Post(const Batch& batch) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Gnomon-Source", batch.chunk.source},
      {"X-Gnomon-Source-Range", std::to_string(batch.chunk.start) + "-" + std::to_string(batch.chunk.end)}};
  if (batch.gzip) headers.emplace_back("Content-Encoding", "gzip");
  client_.set_headers(std::move(headers));
  return client_.Post("/loki/api/v1/push", {}, batch.body, "application/json");
}

Status Shipper::MayPush(size_t bytes) {
  if (!breaker_.Allow(SteadyMs())) {
    return Status::Busy("the circuit breaker is open after " + std::to_string(config_.breaker_failures) +
                        " failed pushes; waiting before a probe");
  }
  Throttle(bytes);
  return Status::OK();
}

Result<bool> Shipper::Answer(File& file, const Batch& batch, const Result<http::HttpResponse>& resp) {
  const std::string& path = file.path;
  const Chunk& chunk = batch.chunk;
  const long code = resp.ok() ? resp->status : 0;
  // 401/403 (a wrong token), 404/405 (not gnomond's push API) and 407 say the shipper is
  // misconfigured, not that the lines are bad: retried after backoff, like a failing gnomond,
  // never skipped (skipping would throw the whole backlog away).
  const bool refused = code == 401 || code == 403 || code == 404 || code == 405 || code == 407;
  if (!resp.ok() || code / 100 == 5 || code == 408 || code == 429 || refused) {
    breaker_.OnFailure(SteadyMs());
    ++counters_.push_failures;
    failing_ = true;
    if (!resp.ok()) return resp.status();
    return Status::IOError("gnomond answered " + std::to_string(code) + ": " + resp->body.substr(0, 300));
  }
  if (code / 100 == 2) breaker_.OnSuccess(SteadyMs());
  if (failing_) {  // gnomond is back: the backlog goes at catch_up_rate until every file is caught up
    failing_ = false;
    catching_up_ = true;
    catch_up_since_ms_ = SteadyMs();
    catch_up_bytes_ = 0;
    log::Info("ship: gnomond answers again; catching up");
  }
  const std::string base = BaseId(*file.tailer->identity());
  // Recorded now, made durable by SaveState (while the next batch is in flight, or before
  // ShipFile returns).
  auto save = [&](uint64_t offset) -> Status {
    state_.Set(base, {file.path, file.tailer->generation(), offset});
    state_dirty_ = true;
    return Status::OK();
  };
  counters_.lines_read += batch.entries;
  if (code / 100 == 2 || code == 400) {
    if (resp->Header("x-gnomon-duplicate") == "true") ++counters_.duplicates;
    if (code == 400) log::Warn("ship: gnomond rejected lines of " + path + ": " + resp->body.substr(0, 300));
    GNOMON_RETURN_IF_ERROR(save(chunk.end));
    file.tailer->Advance(chunk);
    ++counters_.batches_sent;
    counters_.lines_shipped += batch.entries;
    counters_.bytes_shipped += chunk.end - chunk.start;
    // After a 413, smaller batches for a while, then back up a doubling at a time.
    if (batch_bytes_ < config_.batch_size && ++small_batches_ >= kSmallBatchesAfter413) {
      batch_bytes_ = std::min<size_t>(config_.batch_size, batch_bytes_ * 2);
      small_batches_ = 0;
    }
    Publish();
    return true;
  }
  if (code == 409) {  // gnomond has this source up to somewhere inside the batch: go on from there
    uint64_t end = 0;
    const std::string_view v = resp->Header("x-gnomon-source-end");
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), end);
    if (ec != std::errc() || p != v.data() + v.size() || end < chunk.start) {
      return Status::IOError("gnomond answered 409 without a usable X-Gnomon-Source-End");
    }
    ++counters_.conflicts;
    GNOMON_RETURN_IF_ERROR(save(end));
    file.tailer->Resume(file.tailer->generation(), end);
    return false;  // read again from there
  }
  if (code == 413 && batch_bytes_ > 1) {
    batch_bytes_ /= 2;
    small_batches_ = 0;
    return false;  // read again, in smaller batches
  }
  log::Warn("ship: skipping bytes " + std::to_string(chunk.start) + "-" + std::to_string(chunk.end) + " of " + path +
            ": gnomond answered " + std::to_string(code) + ": " + resp->body.substr(0, 300));
  GNOMON_RETURN_IF_ERROR(save(chunk.end));
  file.tailer->Advance(chunk);
  ++counters_.batches_skipped;
  counters_.lines_skipped += batch.entries;
  return true;
}

bool Shipper::Ready(File& file, Chunk& chunk) {
  if (chunk.text.empty()) return false;
  const int64_t now = SteadyMs();
  if (chunk.start != file.pending_start) {
    file.pending_start = chunk.start;
    file.pending_since_ms = now;
  }
  // How long the file's writer has been quiet.
  const int64_t quiet_ms = (NowNs() - chunk.mtime_ns) / 1'000'000;
  // A full batch goes at once; a smaller one once it waited batch_wait or its writer has been
  // quiet that long, or when it is the end of a file rotated away.
  if (chunk.at_end && !chunk.last && now - file.pending_since_ms < config_.batch_wait_ms &&
      quiet_ms < config_.batch_wait_ms) {
    return false;
  }
  if (splitter_.joins() && !chunk.last) {
    // The last entry may go on in bytes not read yet: hold it, unless the file has not grown for
    // multiline_max_wait_time (or it fills the whole batch alone).
    if (!chunk.at_end || quiet_ms < config_.multiline_max_wait_time_ms) {
      const size_t cut = splitter_.Starts(chunk.text).back();
      if (cut > 0) {
        chunk.text.resize(cut);
        chunk.end = chunk.start + cut;
        chunk.at_end = false;
      } else if (chunk.at_end) {
        return false;
      }
    }
  }
  return true;
}

Status Shipper::ShipFile(File& file, bool* sent) {
  file_error_ = false;
  auto file_error = [&](const Status& st) {
    file_error_ = true;
    return Status::IOError(file.path + ": " + st.message());
  };
  for (;;) {
    auto chunk = file.tailer->Read(batch_bytes_);
    if (!chunk.ok()) return file_error(chunk.status());
    // Deleted and read to its end: the tailer closed it; its state is done with.
    if (!file.tailer->identity().has_value() && !file.known.empty()) {
      state_.Erase(file.known);
      state_dirty_ = true;
      file.known.clear();
    }
    // A file seen for the first time (at start, or after rotation): where its saved state says.
    if (file.tailer->identity().has_value() && BaseId(*file.tailer->identity()) != file.known) {
      // The tailer leaves a file only once it was read to its end: its state is done with.
      if (!file.known.empty()) {
        state_.Erase(file.known);
        state_dirty_ = true;
      }
      file.known = BaseId(*file.tailer->identity());
      if (const SourceState* saved = state_.Find(file.known); saved != nullptr) {
        file.tailer->Resume(saved->generation, saved->offset);
        continue;  // read again from there
      }
    }
    if (!Ready(file, *chunk)) return Status::OK();
    GNOMON_RETURN_IF_ERROR(MayPush(chunk->text.size()));
    Batch batch;
    GNOMON_RETURN_IF_ERROR(Prepare(file, std::move(*chunk), &batch));
    // A pipeline of two: while a batch is in flight, the next one of the same file is read and
    // encoded; it is sent only once the first was acknowledged (gnomond keeps one range per
    // source, so a source's batches go one after the other).
    // The offset an acknowledgement moved is saved while the next batch is in flight: a crash in
    // between only makes the shipper send again what gnomond has, which it does not store twice.
    for (int round = 0;; ++round) {
      auto in_flight = std::async(std::launch::async, [this, &batch] { return Post(batch); });
      Status saved = SaveState();
      std::optional<Batch> next;
      Status prepared;
      if (saved.ok() && !batch.chunk.at_end && !batch.chunk.last && round < kBatchesPerRound) {
        auto peek = file.tailer->Peek(batch.chunk.end, batch_bytes_);
        if (!peek.ok()) {
          prepared = file_error(peek.status());
        } else if (Ready(file, *peek)) {
          next.emplace();
          prepared = Prepare(file, std::move(*peek), &*next);
        }
      }
      const Result<http::HttpResponse> resp = in_flight.get();
      GNOMON_RETURN_IF_ERROR(saved);
      auto moved = Answer(file, batch, resp);
      if (!moved.ok()) return moved.status();
      if (!*moved) {  // 409 or 413: read again
        GNOMON_RETURN_IF_ERROR(SaveState());
        break;
      }
      *sent = true;
      // The next batch is still the one after the offset (nothing moved the tailer meanwhile).
      if (!prepared.ok() || !next.has_value() || file.tailer->offset() != next->chunk.start) {
        GNOMON_RETURN_IF_ERROR(SaveState());
        return prepared;
      }
      if (Status may = MayPush(next->chunk.text.size()); !may.ok()) {
        GNOMON_RETURN_IF_ERROR(SaveState());
        return may;
      }
      batch = std::move(*next);
    }
  }
}

Status Shipper::SaveState() {
  if (!state_dirty_) return Status::OK();
  GNOMON_RETURN_IF_ERROR(state_.Save());
  state_dirty_ = false;
  return Status::OK();
}

Result<bool> Shipper::Poll() {
  if (!recovered_) {
    RecoverRotated();
    recovered_ = true;
  }
  std::set<std::string> matched;
  for (const std::string& path : Expand(config_.paths)) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // directories, devices, ...
    matched.insert(path);
    if (files_.count(path) > 0) continue;
    File f;
    f.tailer = NewTailer(path);
    f.path = path;
    if (Status st = f.tailer->Start(std::nullopt, 0, 0); !st.ok()) {
      WarnOnce(f, "ship: " + path + ": " + st.message());
      continue;
    }
    files_.emplace(path, std::move(f));
  }
  // Files gone from the globs whose tailer has nothing open any more.
  for (auto it = files_.begin(); it != files_.end();) {
    const bool done = matched.count(it->first) == 0 && !it->second.tailer->identity().has_value();
    it = done ? files_.erase(it) : std::next(it);
  }
  bool sent = false;
  Status status;
  // A file's own trouble (unreadable, say) is logged and the others go on; a failing gnomond
  // ends the round.
  auto ship = [&](File& f) {
    Status st = ShipFile(f, &sent);
    if (st.ok()) {
      f.last_error.clear();
    } else if (file_error_) {
      WarnOnce(f, "ship: " + st.message());
    } else {
      status = st;
    }
  };
  for (size_t i = 0; i < rotated_.size() && status.ok();) {
    File& f = rotated_[i];
    ship(f);
    if (status.ok() && f.tailer->finished()) {
      log::Info("ship: finished " + f.tailer->path());
      state_.Erase(f.known);
      state_dirty_ = true;
      status = SaveState();
      rotated_.erase(rotated_.begin() + static_cast<ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
  for (auto it = files_.begin(); it != files_.end() && status.ok(); ++it) ship(it->second);
  Publish();
  if (!status.ok()) return status;
  return sent;
}

std::unique_ptr<FileTailer> Shipper::NewTailer(const std::string& path) const {
  auto t = std::make_unique<FileTailer>(path);
  t->set_max_line_bytes(config_.max_line_bytes);
  t->set_rotate_wait_ms(config_.rotate_wait_ms);
  return t;
}

void Shipper::WarnOnce(File& file, const std::string& message) {
  if (file.last_error == message) return;
  file.last_error = message;
  log::Warn(message);
}

void Shipper::Publish() {
  ShipperSnapshot s;
  s.counters = counters_;
  uint64_t lag = 0;
  auto add = [&](const std::string& path, const File& f) {
    FileStatus fs;
    fs.path = path;
    if (f.tailer->identity().has_value()) fs.source = SourceId(*f.tailer->identity(), f.tailer->generation());
    fs.offset = f.tailer->offset();
    fs.size = std::max(f.tailer->size(), fs.offset);
    lag += fs.size - fs.offset;
    s.files.push_back(std::move(fs));
  };
  for (const File& f : rotated_) add(f.tailer->path(), f);  // lag by the name it has now
  for (const auto& [path, f] : files_) add(path, f);
  if (catching_up_ && lag == 0) {
    catching_up_ = false;
    log::Info("ship: caught up");
  }
  const int64_t now = SteadyMs();
  s.breaker = breaker_.state(now);
  s.breaker_opened = breaker_.times_opened();
  s.catching_up = catching_up_;
  std::lock_guard lock(mu_);
  published_ = std::move(s);
}

ShipperSnapshot Shipper::Snapshot() const {
  std::lock_guard lock(mu_);
  return published_;
}

}  // namespace gnomon::ship
