#include "logs/block_codec.h"

#include <algorithm>
#include <string>
#include <unordered_map>

#include "util/coding.h"
#include "util/time_format.h"

namespace gnomon::logs::segment {

namespace {

constexpr size_t kTimeBytes = 30;  // "2023-11-14T22:13:20.123456789Z"

// A value's header (varint): kTimeValue is `"<the row's time>"`, kIdValue `"<the row's ID>"`;
// otherwise 2 + 2 * length + (1 when the row's ID was cut out of the value: varint offset
// follows), then the bytes.
constexpr uint64_t kTimeValue = 0;
constexpr uint64_t kIdValue = 1;

using Members = std::vector<std::pair<std::string_view, std::string_view>>;  // key text, raw value

// Skips a JSON string starting at line[i] == '"'; the position after its closing quote, or npos.
size_t SkipString(std::string_view line, size_t i, size_t end) {
  for (++i; i < end; ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Splits a line that is one JSON object in compact form into its members; false otherwise. Only
// structure is read (values are not validated): the split is checked by putting it back.
bool SplitObject(std::string_view line, Members* members) {
  members->clear();
  if (line.size() < 7 || line.front() != '{' || line.back() != '}') return false;  // {"k":v}
  const size_t end = line.size() - 1;
  size_t i = 1;
  for (;;) {
    if (line[i] != '"') return false;
    const size_t key_end = SkipString(line, i, end);
    if (key_end == std::string_view::npos || key_end >= end || line[key_end] != ':') return false;
    const std::string_view key = line.substr(i + 1, key_end - i - 2);
    i = key_end + 1;
    const size_t value_at = i;
    if (i >= end) return false;
    if (line[i] == '"') {
      i = SkipString(line, i, end);
      if (i == std::string_view::npos) return false;
    } else if (line[i] == '{' || line[i] == '[') {
      int depth = 0;
      for (; i < end; ++i) {
        const char c = line[i];
        if (c == '"') {
          i = SkipString(line, i, end);
          if (i == std::string_view::npos) return false;
          --i;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if ((c == '}' || c == ']') && --depth == 0) {
          ++i;
          break;
        }
      }
      if (depth != 0) return false;
    } else {
      while (i < end && line[i] != ',') ++i;
    }
    members->emplace_back(key, line.substr(value_at, i - value_at));
    if (i == end) return true;
    if (line[i] != ',' || ++i >= end) return false;
  }
}

void AppendObject(const Members& members, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < members.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->push_back('"');
    out->append(members[i].first);
    out->append("\":");
    out->append(members[i].second);
  }
  out->push_back('}');
}

void PutValue(std::string_view value, std::string_view time, std::string_view id, std::string* out) {
  if (!time.empty() && value.size() == kTimeBytes + 2 && value.front() == '"' && value.back() == '"' &&
      value.substr(1, kTimeBytes) == time) {
    PutVarint64(out, kTimeValue);
    return;
  }
  if (id.empty()) {
    PutVarint64(out, 2 + 2 * value.size());
    out->append(value);
    return;
  }
  if (value.size() == id.size() + 2 && value.front() == '"' && value.back() == '"' &&
      value.substr(1, id.size()) == id) {
    PutVarint64(out, kIdValue);
    return;
  }
  const size_t at = value.find(id);
  if (at == std::string_view::npos) {
    PutVarint64(out, 2 + 2 * value.size());
    out->append(value);
    return;
  }
  PutVarint64(out, 2 + 2 * (value.size() - id.size()) + 1);
  PutVarint64(out, at);
  out->append(value.substr(0, at));
  out->append(value.substr(at + id.size()));
}

// A whole line: varint 1 + where its time was cut (0: not), varint 1 + where its ID was then cut
// (0: not), varint length, the bytes left.
void PutWholeLine(std::string_view line, std::string_view time, std::string_view id, std::string* out) {
  size_t time_at = time.empty() ? std::string_view::npos : line.find(time);
  std::string rest(line);
  if (time_at != std::string_view::npos) rest.erase(time_at, kTimeBytes);
  const size_t id_at = id.empty() ? std::string_view::npos : rest.find(id);
  if (id_at != std::string_view::npos) rest.erase(id_at, id.size());
  PutVarint64(out, time_at == std::string_view::npos ? 0 : time_at + 1);
  PutVarint64(out, id_at == std::string_view::npos ? 0 : id_at + 1);
  PutVarint64(out, rest.size());
  out->append(rest);
}

// The order rows are stored in: by ID (its rank in the segment's sorted IDs), then by row, so one
// request's lines sit together however many other requests ran meanwhile (the kit's 10 M lines:
// 11.2 bytes a line in time order, 8.1 in this one). The decoder computes the same order.
std::vector<uint32_t> StoredOrder(size_t rows, const auto& rank_of) {
  std::vector<uint64_t> keys(rows);
  for (uint32_t i = 0; i < rows; ++i) keys[i] = uint64_t{rank_of(i)} << 32 | i;
  std::sort(keys.begin(), keys.end());
  std::vector<uint32_t> order(rows);
  for (size_t i = 0; i < rows; ++i) order[i] = static_cast<uint32_t>(keys[i]);
  return order;
}

}  // namespace

void EncodeBlockLines(const std::vector<BlockLine>& lines, std::string* out) {
  std::vector<std::string_view> keys;
  std::unordered_map<std::string_view, uint32_t> key_index;
  std::vector<std::string> templates;  // each: varint key count, varint key indexes
  std::unordered_map<std::string, uint32_t> template_index;
  std::vector<std::string> columns;  // per key
  std::string whole;                 // the lines kept whole
  std::string row_templates;
  Members members;
  std::string check, shape;
  char time_text[kTimeBytes];
  for (uint32_t row : StoredOrder(lines.size(), [&](uint32_t i) { return lines[i].id_rank; })) {
    const BlockLine& l = lines[row];
    const std::string_view time =
        FormatRfc3339Fixed9(l.ts_ns, time_text) == kTimeBytes ? std::string_view(time_text, kTimeBytes) : "";
    bool split = SplitObject(l.line, &members);
    if (split) {
      check.clear();
      AppendObject(members, &check);
      split = check == l.line;
    }
    if (!split) {
      PutVarint64(&row_templates, 0);
      PutWholeLine(l.line, time, l.id, &whole);
      continue;
    }
    shape.clear();
    PutVarint64(&shape, members.size());
    for (const auto& [key, value] : members) {
      auto [it, fresh] = key_index.try_emplace(key, static_cast<uint32_t>(keys.size()));
      if (fresh) {
        keys.push_back(key);
        columns.emplace_back();
      }
      PutVarint64(&shape, it->second);
      PutValue(value, time, l.id, &columns[it->second]);
    }
    auto [t, fresh] = template_index.try_emplace(shape, static_cast<uint32_t>(templates.size()));
    if (fresh) templates.push_back(shape);
    PutVarint64(&row_templates, t->second + 1);
  }
  PutVarint64(out, keys.size());
  for (std::string_view k : keys) {
    PutVarint64(out, k.size());
    out->append(k);
  }
  PutVarint64(out, templates.size());
  for (const std::string& t : templates) out->append(t);
  out->append(row_templates);
  for (const std::string& c : columns) PutVarint64(out, c.size());
  PutVarint64(out, whole.size());
  for (const std::string& c : columns) out->append(c);
  out->append(whole);
}

namespace {

// Passes over a stored row's entries (a row not wanted).
bool SkipRow(uint32_t row_template, const std::vector<std::vector<uint32_t>>& templates,
             std::vector<std::string_view>* columns) {
  uint64_t h = 0, len = 0, at = 0;
  if (row_template == 0) {
    std::string_view& w = columns->back();
    if (!GetVarint64(&w, &h) || !GetVarint64(&w, &at) || !GetVarint64(&w, &len) || len > w.size()) return false;
    w.remove_prefix(len);
    return true;
  }
  for (uint32_t key : templates[row_template - 1]) {
    std::string_view& c = (*columns)[key];
    if (!GetVarint64(&c, &h)) return false;
    if (h == kTimeValue || h == kIdValue) continue;
    len = (h - 2) / 2;
    if ((h - 2) % 2 == 1 && !GetVarint64(&c, &at)) return false;
    if (len > c.size()) return false;
    c.remove_prefix(len);
  }
  return true;
}

}  // namespace

Status DecodeBlockLines(std::string_view in, size_t rows, const int64_t* ts, const std::string_view* ids,
                        const uint32_t* id_ranks, DecodedLines* out, const uint8_t* wanted) {
  const Status bad = Status::Corruption("log segment: bad block");
  out->text.clear();
  out->spans.clear();
  out->time_at.clear();
  uint64_t n = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  std::vector<std::string_view> keys(n);
  for (std::string_view& k : keys) {
    uint64_t len = 0;
    if (!GetVarint64(&in, &len) || len > in.size()) return bad;
    k = in.substr(0, len);
    in.remove_prefix(len);
  }
  if (!GetVarint64(&in, &n) || n > in.size()) return bad;
  std::vector<std::vector<uint32_t>> templates(n);
  for (std::vector<uint32_t>& t : templates) {
    uint64_t count = 0;
    if (!GetVarint64(&in, &count) || count > in.size()) return bad;
    t.resize(count);
    for (uint32_t& k : t) {
      uint64_t v = 0;
      if (!GetVarint64(&in, &v) || v >= keys.size()) return bad;
      k = static_cast<uint32_t>(v);
    }
  }
  std::vector<uint32_t> row_template(rows);
  for (uint32_t& t : row_template) {
    uint64_t v = 0;
    if (!GetVarint64(&in, &v) || v > templates.size()) return bad;
    t = static_cast<uint32_t>(v);
  }
  std::vector<std::string_view> columns(keys.size() + 1);  // the last: the whole lines
  std::vector<uint64_t> sizes(columns.size());
  for (uint64_t& s : sizes) {
    if (!GetVarint64(&in, &s) || s > in.size()) return bad;
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    if (sizes[c] > in.size()) return bad;
    columns[c] = in.substr(0, sizes[c]);
    in.remove_prefix(sizes[c]);
  }
  if (!in.empty()) return bad;

  char time_text[kTimeBytes];
  out->spans.assign(rows, {0, 0});
  out->time_at.assign(rows, std::string_view::npos);
  const std::vector<uint32_t> order = StoredOrder(rows, [&](uint32_t i) { return id_ranks[i]; });
  for (size_t k = 0; k < rows; ++k) {
    const size_t r = order[k];
    if (wanted != nullptr && wanted[r] == 0) {
      if (!SkipRow(row_template[k], templates, &columns)) return bad;
      continue;
    }
    const size_t start = out->text.size();
    size_t time_at = std::string_view::npos;
    auto time = [&]() -> Result<std::string_view> {
      if (FormatRfc3339Fixed9(ts[r], time_text) != kTimeBytes) return bad;
      return std::string_view(time_text, kTimeBytes);
    };
    if (row_template[k] == 0) {
      std::string_view& w = columns.back();
      uint64_t cut_time = 0, cut_id = 0, len = 0;
      if (!GetVarint64(&w, &cut_time) || !GetVarint64(&w, &cut_id) || !GetVarint64(&w, &len) || len > w.size()) {
        return bad;
      }
      std::string line(w.substr(0, len));
      w.remove_prefix(len);
      if (cut_id != 0) {
        if (cut_id - 1 > line.size()) return bad;
        line.insert(cut_id - 1, ids[r]);
      }
      if (cut_time != 0) {
        auto t = time();
        if (!t.ok() || cut_time - 1 > line.size()) return bad;
        line.insert(cut_time - 1, *t);
        time_at = cut_time - 1;
      }
      out->text += line;
    } else {
      const std::vector<uint32_t>& shape = templates[row_template[k] - 1];
      out->text.push_back('{');
      for (size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) out->text.push_back(',');
        out->text.push_back('"');
        out->text.append(keys[shape[i]]);
        out->text.append("\":");
        std::string_view& c = columns[shape[i]];
        uint64_t h = 0;
        if (!GetVarint64(&c, &h)) return bad;
        if (h == kTimeValue) {
          auto t = time();
          if (!t.ok()) return bad;
          if (time_at == std::string_view::npos) time_at = out->text.size() - start + 1;
          out->text.push_back('"');
          out->text.append(*t);
          out->text.push_back('"');
        } else if (h == kIdValue) {
          out->text.push_back('"');
          out->text.append(ids[r]);
          out->text.push_back('"');
        } else {
          const uint64_t len = (h - 2) / 2;
          uint64_t at = 0;
          if ((h - 2) % 2 == 1 && !GetVarint64(&c, &at)) return bad;
          if (len > c.size() || at > len) return bad;
          const std::string_view value = c.substr(0, len);
          c.remove_prefix(len);
          if ((h - 2) % 2 == 1) {
            out->text.append(value.substr(0, at));
            out->text.append(ids[r]);
            out->text.append(value.substr(at));
          } else {
            out->text.append(value);
          }
        }
      }
      out->text.push_back('}');
    }
    out->spans[r] = {start, out->text.size() - start};
    out->time_at[r] = time_at;
  }
  for (std::string_view c : columns) {
    if (!c.empty()) return bad;
  }
  return Status::OK();
}

}  // namespace gnomon::logs::segment
