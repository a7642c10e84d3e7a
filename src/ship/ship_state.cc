#include "ship/ship_state.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace gnomon::ship {

namespace {

constexpr std::string_view kHeader = "gnomon-ship state 1";

std::string Escape(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

bool Unescape(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '\\') {
      out->push_back(in[i]);
      continue;
    }
    if (++i == in.size()) return false;
    if (in[i] == '\\') {
      out->push_back('\\');
    } else if (in[i] == 't') {
      out->push_back('\t');
    } else if (in[i] == 'n') {
      out->push_back('\n');
    } else {
      return false;
    }
  }
  return true;
}

template <typename T>
bool Number(std::string_view text, T* v) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *v);
  return !text.empty() && ec == std::errc() && p == text.data() + text.size();
}

Status Errno(const std::string& what) { return Status::IOError(what + ": " + std::strerror(errno)); }

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write " + path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::OK();
}

}  // namespace

Result<ShipState> ShipState::Parse(std::string_view text, std::string_view name) {
  ShipState state;
  size_t line_no = 0;
  auto bad = [&](std::string_view why) {
    return Status::Corruption(std::string(name) + ":" + std::to_string(line_no) + ": " + std::string(why));
  };
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return bad("the last line has no newline (a torn write)");
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line_no == 1) {
      if (line != kHeader) return bad("expected \"" + std::string(kHeader) + "\"");
      continue;
    }
    std::vector<std::string_view> fields;
    size_t from = 0;
    for (int i = 0; i < 3; ++i) {
      const size_t tab = line.find('\t', from);
      if (tab == std::string_view::npos) return bad("expected SOURCE, GENERATION, OFFSET and PATH separated by tabs");
      fields.push_back(line.substr(from, tab - from));
      from = tab + 1;
    }
    fields.push_back(line.substr(from));
    SourceState s;
    if (fields[0].empty()) return bad("empty source");
    if (!Number(fields[1], &s.generation)) return bad("bad generation \"" + std::string(fields[1]) + "\"");
    if (!Number(fields[2], &s.offset)) return bad("bad offset \"" + std::string(fields[2]) + "\"");
    if (!Unescape(fields[3], &s.path)) return bad("bad escape in the path");
    if (state.sources_.count(fields[0]) > 0) return bad("source " + std::string(fields[0]) + " twice");
    state.sources_[std::string(fields[0])] = std::move(s);
  }
  if (line_no == 0) return bad("empty file");
  return state;
}

Result<ShipState> ShipState::Load(const std::string& dir) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return Errno("create state dir " + dir);
  const std::string path = dir + "/state";
  ShipState state;
  struct stat st {};
  if (stat(path.c_str(), &st) == 0) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    if (!(text << in.rdbuf())) return Status::IOError("read " + path);
    auto parsed = Parse(text.str(), path);
    if (!parsed.ok()) return parsed.status();
    state = std::move(*parsed);
  } else if (errno != ENOENT) {
    return Errno("stat " + path);
  }
  state.dir_ = dir;
  return state;
}

const SourceState* ShipState::Find(std::string_view source) const {
  auto it = sources_.find(source);
  return it == sources_.end() ? nullptr : &it->second;
}

void ShipState::Erase(std::string_view source) {
  auto it = sources_.find(source);
  if (it != sources_.end()) sources_.erase(it);
}

std::string ShipState::Serialize() const {
  std::string out(kHeader);
  out.push_back('\n');
  for (const auto& [source, s] : sources_) {
    out +=
        source + "\t" + std::to_string(s.generation) + "\t" + std::to_string(s.offset) + "\t" + Escape(s.path) + "\n";
  }
  return out;
}

Status ShipState::Save() const {
  const std::string path = dir_ + "/state", tmp = dir_ + "/state.tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("open " + tmp);
  Status s = WriteAll(fd, Serialize(), tmp);
  if (s.ok() && fsync(fd) != 0) s = Errno("fsync " + tmp);
  if (close(fd) != 0 && s.ok()) s = Errno("close " + tmp);
  if (!s.ok()) return s;
  if (rename(tmp.c_str(), path.c_str()) != 0) return Errno("rename " + tmp);
  const int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return Errno("open " + dir_);
  const bool synced = fsync(dfd) == 0;
  close(dfd);
  return synced ? Status::OK() : Errno("fsync " + dir_);
}

}  // namespace gnomon::ship
