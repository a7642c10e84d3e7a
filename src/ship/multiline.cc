#include "ship/multiline.h"

#include <re2/re2.h>

namespace gnomon::ship {

EntrySplitter::EntrySplitter() = default;
EntrySplitter::~EntrySplitter() = default;
EntrySplitter::EntrySplitter(EntrySplitter&&) noexcept = default;
EntrySplitter& EntrySplitter::operator=(EntrySplitter&&) noexcept = default;

Result<EntrySplitter> EntrySplitter::Make(const std::string& firstline, size_t max_lines) {
  EntrySplitter s;
  if (firstline.empty()) return s;
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(firstline, options);
  if (!re->ok()) return Status::InvalidArgument("multiline_firstline: invalid regular expression: " + re->error());
  s.pattern_ = std::move(re);
  s.max_lines_ = max_lines == 0 ? 1 : max_lines;
  return s;
}

std::vector<size_t> EntrySplitter::Starts(std::string_view text) const {
  std::vector<size_t> starts;
  size_t lines_in_entry = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t nl = text.find('\n', pos);
    const size_t end = nl == std::string_view::npos ? text.size() : nl;
    if (starts.empty() || pattern_ == nullptr || lines_in_entry >= max_lines_ ||
        re2::RE2::PartialMatch(text.substr(pos, end - pos), *pattern_)) {
      starts.push_back(pos);
      lines_in_entry = 0;
    }
    ++lines_in_entry;
    pos = end + 1;
  }
  return starts;
}

}  // namespace gnomon::ship
