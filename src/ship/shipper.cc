#include "ship/shipper.h"

#include <glob.h>
#include <unistd.h>

#include <charconv>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "util/clock.h"
#include "util/log.h"
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

// A JSON line's "ts" (RFC 3339 or Unix nanoseconds), "service" and "level"; nothing for another line.
struct LineFields {
  std::optional<int64_t> ts;
  std::string service, level;
};

LineFields ReadFields(simdjson::ondemand::parser& parser, std::string_view line) {
  LineFields f;
  if (line.empty() || line.front() != '{') return f;
  simdjson::padded_string padded(line);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return f;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return f;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return f;
    std::string_view text;
    if (key == "ts") {
      int64_t ns = 0;
      if (field.value().get_string().get(text) == simdjson::SUCCESS) {
        f.ts = ParseRfc3339Nanos(text);
      } else if (field.value().get_int64().get(ns) == simdjson::SUCCESS) {
        f.ts = ns;
      }
    } else if ((key == "service" || key == "level") && field.value().get_string().get(text) == simdjson::SUCCESS) {
      (key == "service" ? f.service : f.level) = std::string(text);
    }
  }
  return f;
}

}  // namespace

Shipper::Shipper(ShipperOptions options, ShipState state)
    : options_(std::move(options)),
      state_(std::move(state)),
      client_(options_.server, options_.token, "gnomond"),
      batch_bytes_(options_.batch_bytes) {
  client_.set_timeout_ms(options_.timeout_ms);
  client_.set_user_agent("gnomon-ship");
  if (options_.host.empty()) {
    char name[256] = {};
    if (gethostname(name, sizeof(name) - 1) == 0) options_.host = name;
  }
}

Result<std::unique_ptr<Shipper>> Shipper::Open(ShipperOptions options) {
  if (options.server.empty()) return Status::InvalidArgument("no server: give --server URL");
  if (options.paths.empty()) return Status::InvalidArgument("no files: give --path GLOB");
  if (options.state_dir.empty()) return Status::InvalidArgument("no state directory: give --state-dir DIR");
  auto state = ShipState::Load(options.state_dir);
  if (!state.ok()) return state.status();
  return std::unique_ptr<Shipper>(new Shipper(std::move(options), std::move(*state)));
}

std::string Shipper::PushBody(const std::string& path, const Chunk& chunk, size_t* lines) const {
  thread_local simdjson::ondemand::parser parser;
  // One stream per (service, level); the labels of each.
  std::map<std::pair<std::string, std::string>, nlohmann::json> streams;
  const int64_t now = NowNs();
  std::string_view text = chunk.text;
  *lines = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    LineFields f = ReadFields(parser, line);
    nlohmann::json& values = streams[{f.service, f.level}];
    values.push_back({std::to_string(f.ts.value_or(now)), std::string(line)});
    ++*lines;
  }
  nlohmann::json body;
  body["streams"] = nlohmann::json::array();
  for (auto& [key, values] : streams) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [name, value] : options_.labels) labels[name] = value;
    if (!options_.host.empty()) labels["host"] = options_.host;
    labels["filename"] = path;
    if (!key.first.empty()) labels["service"] = key.first;
    if (!key.second.empty()) labels["level"] = key.second;
    body["streams"].push_back({{"stream", std::move(labels)}, {"values", std::move(values)}});
  }
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<bool> Shipper::Send(const std::string& path, File& file, const Chunk& chunk) {
  size_t lines = 0;
  const std::string body = PushBody(path, chunk, &lines);
  counters_.lines_read += lines;
  client_.set_headers({{"X-Gnomon-Source", chunk.source},
                       {"X-Gnomon-Source-Range", std::to_string(chunk.start) + "-" + std::to_string(chunk.end)}});
  auto resp = client_.Post("/loki/api/v1/push", {}, body, "application/json");
  if (!resp.ok()) return resp.status();
  const long code = resp->status;
  const std::string base = BaseId(*file.tailer->identity());
  auto save = [&](uint64_t offset) -> Status {
    state_.Set(base, {path, file.tailer->generation(), offset});
    return state_.Save();
  };
  if (code / 100 == 2 || code == 400) {
    if (resp->Header("x-gnomon-duplicate") == "true") ++counters_.duplicates;
    if (code == 400) log::Warn("ship: gnomond rejected lines of " + path + ": " + resp->body.substr(0, 300));
    GNOMON_RETURN_IF_ERROR(save(chunk.end));
    file.tailer->Advance(chunk);
    ++counters_.batches_sent;
    counters_.lines_shipped += lines;
    counters_.bytes_shipped += chunk.text.size();
    batch_bytes_ = options_.batch_bytes;
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
    return true;
  }
  if (code == 413 && batch_bytes_ > 1) {
    batch_bytes_ /= 2;
    return true;
  }
  if (code / 100 == 4 && code != 408 && code != 429) {
    log::Warn("ship: skipping bytes " + std::to_string(chunk.start) + "-" + std::to_string(chunk.end) + " of " + path +
              ": gnomond answered " + std::to_string(code) + ": " + resp->body.substr(0, 300));
    GNOMON_RETURN_IF_ERROR(save(chunk.end));
    file.tailer->Advance(chunk);
    ++counters_.batches_skipped;
    return true;
  }
  return Status::IOError("gnomond answered " + std::to_string(code) + ": " + resp->body.substr(0, 300));
}

Result<bool> Shipper::Poll() {
  for (const std::string& path : Expand(options_.paths)) {
    if (files_.count(path) == 0) {
      File f;
      f.tailer = std::make_unique<FileTailer>(path);
      GNOMON_RETURN_IF_ERROR(f.tailer->Start(std::nullopt, 0, 0));
      files_.emplace(path, std::move(f));
    }
  }
  bool sent = false;
  for (auto& [path, file] : files_) {
    for (;;) {
      auto chunk = file.tailer->Read(batch_bytes_);
      if (!chunk.ok()) return chunk.status();
      // A file seen for the first time (at start, or after rotation): where its saved state says.
      if (file.tailer->identity().has_value() && BaseId(*file.tailer->identity()) != file.known) {
        file.known = BaseId(*file.tailer->identity());
        if (const SourceState* saved = state_.Find(file.known); saved != nullptr) {
          file.tailer->Resume(saved->generation, saved->offset);
          continue;  // read again from there
        }
      }
      if (chunk->text.empty()) break;
      auto moved = Send(path, file, *chunk);
      if (!moved.ok()) return moved.status();
      sent = true;
    }
  }
  return sent;
}

}  // namespace gnomon::ship
