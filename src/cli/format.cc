#include "cli/format.h"

#include <algorithm>
#include <set>

#include "cli/terminal.h"
#include "cli/time_parse.h"

namespace gnomon::cli {

Table ToTable(const QueryResult& result, bool rfc3339) {
  Table t;
  auto time_text = [&](int64_t ms) { return rfc3339 ? FormatRfc3339(ms) : FormatUnixSeconds(ms); };
  if (result.type == "scalar" || result.type == "string") {
    t.header = {"timestamp", "value"};
    t.right_align = {false, result.type == "scalar"};
    for (const Series& s : result.series) {
      for (const Point& p : s.points) t.rows.push_back({time_text(p.t_ms), p.value});
    }
    return t;
  }
  bool has_name = false;
  std::set<std::string> names;
  for (const Series& s : result.series) {
    for (const auto& [k, v] : s.labels) {
      if (k == "__name__") {
        has_name = true;
      } else {
        names.insert(k);
      }
    }
  }
  std::vector<std::string> label_cols;
  if (has_name) label_cols.push_back("__name__");
  label_cols.insert(label_cols.end(), names.begin(), names.end());
  t.header = label_cols;
  t.right_align.assign(label_cols.size(), false);
  const bool matrix = result.type == "matrix";
  const bool has_values = result.type != "series";
  if (matrix) {
    t.header.push_back("timestamp");
    t.right_align.push_back(false);
  }
  if (has_values) {
    t.header.push_back("value");
    t.right_align.push_back(true);
  }
  for (const Series& s : result.series) {
    std::vector<std::string> cells;
    for (const std::string& name : label_cols) {
      auto it = std::find_if(s.labels.begin(), s.labels.end(), [&](const auto& l) { return l.first == name; });
      cells.push_back(it == s.labels.end() ? std::string() : it->second);
    }
    if (!has_values) {
      t.rows.push_back(std::move(cells));
      continue;
    }
    for (const Point& p : s.points) {
      std::vector<std::string> row = cells;
      if (matrix) row.push_back(time_text(p.t_ms));
      row.push_back(p.value);
      t.rows.push_back(std::move(row));
    }
  }
  return t;
}

std::string RenderTable(const Table& table) {
  std::vector<size_t> width(table.header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], DisplayWidth(row[i]));
  };
  measure(table.header);
  for (const auto& row : table.rows) measure(row);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < width.size(); ++i) {
      if (i > 0) line += "  ";
      bool right = i < table.right_align.size() && table.right_align[i];
      line += right ? PadLeft(row[i], width[i]) : PadRight(row[i], width[i]);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit(table.header);
  for (const auto& row : table.rows) emit(row);
  return out;
}

namespace {

std::string CsvCell(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string out = "\"";
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace

std::string RenderCsv(const Table& table) {
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) out += ',';
      out += CsvCell(row[i]);
    }
    out += '\n';
  };
  emit(table.header);
  for (const auto& row : table.rows) emit(row);
  return out;
}

std::string RenderJson(const nlohmann::ordered_json& data, bool compact) {
  return data.dump(compact ? -1 : 2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace gnomon::cli
