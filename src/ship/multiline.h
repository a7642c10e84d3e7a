// EntrySplitter: where the entries of a run of whole lines start (issue 13's multi-line joining).
// With a start-of-entry pattern (RE2, found anywhere in the line unless anchored with ^,
// as promtail's `multiline.firstline`), a line matching it begins an entry and the lines after it up to the next
// such line — a stack trace's frames, say — belong to it, at most `max_lines` lines an entry;
// without a pattern every line is an entry. Lines before the first match in a run begin an entry
// of their own (the continuation of an entry already sent). An entry's text is its lines joined by
// their newlines, without the last newline.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/status.h"

namespace re2 {
class RE2;
}

namespace gnomon::ship {

class EntrySplitter {
 public:
  // An invalid pattern is kInvalidArgument with RE2's reason.
  static Result<EntrySplitter> Make(const std::string& firstline, size_t max_lines);
  EntrySplitter();  // each line an entry
  ~EntrySplitter();
  EntrySplitter(EntrySplitter&&) noexcept;
  EntrySplitter& operator=(EntrySplitter&&) noexcept;

  bool joins() const { return pattern_ != nullptr; }

  // Offsets in `text` (whole lines, each ending in '\n' but maybe the last) where entries begin:
  // 0 first when `text` is not empty, ascending.
  std::vector<size_t> Starts(std::string_view text) const;

 private:
  std::unique_ptr<re2::RE2> pattern_;
  size_t max_lines_ = 0;
};

}  // namespace gnomon::ship
