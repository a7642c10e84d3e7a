// TextFilter: a Bloom filter over the tokens of a block's lines, so a substring search (LogQL `|=`)
// passes over blocks that cannot hold its needle without decompressing them.
//
// A token is a maximal run of ASCII letters, digits and non-ASCII bytes. For every token the
// filter holds its prefixes of 4, 5, 6, 8, 12 and 16 bytes (those not longer than the token), and
// a token shorter than 4 bytes as a whole. If a needle occurs in a line, each run of token bytes
// in the needle that comes after a non-token byte of the needle starts a token of that line, so
// the run's longest listed prefix is a key of the filter; a run shorter than 4 that also has a
// non-token byte after it is a whole token. A needle's leading run may sit inside a token and
// gives no key, so a needle made of one run ("error") gives none and no block is ruled out for it.
//
// Two kinds of token are not added, and a reader checks them another way: tokens wholly inside a
// line's correlation ID (the segment's ID dictionary holds the IDs: a key whose run is part of an
// ID of the block may be there), and the fraction of a time the block left out of the line
// (`nnnnnnnnnZ`...: a key whose run could start one, after a '.', is checked against the rows'
// times).
// Layout: docs/format/logs.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gnomon::logs {

class TextFilterBuilder {
 public:
  // Adds the tokens of `line`, except those wholly inside [id_begin, id_end) and the one starting
  // at `fraction_at` (npos: none).
  void AddLine(std::string_view line, size_t id_begin, size_t id_end, size_t fraction_at);
  // Appends the filter of the lines added since the last Finish (10 bits per distinct key) to
  // *out, and starts a new one.
  void Finish(std::string* out);

 private:
  void AddKey(uint64_t key);

  std::vector<uint64_t> tokens_;  // open addressing, 0 = empty: the distinct tokens seen
  size_t num_tokens_ = 0;
  std::vector<uint64_t> keys_;  // the distinct keys, in no order
  std::vector<uint64_t> key_set_;
};

// One key a needle's occurrence implies, with the run of the needle it stands for.
struct NeedleKey {
  uint64_t key;
  std::string_view run;  // a prefix of a token of the line (or, when `whole`, the token)
  bool whole;
  char before;  // the needle's byte before the run: the line's byte before that token
};

// The keys every block holding `needle` has (or that a reader checks the other way); empty when
// the filter cannot tell anything about `needle`. The runs point into `needle`.
std::vector<NeedleKey> NeedleKeys(std::string_view needle);

// False only when `filter` (one block's, from Finish) lacks `key`.
bool FilterHas(std::string_view filter, uint64_t key);

// The fractions (0 to 999,999,999 ns) whose left-out time's token may start with `run`: those
// whose nine digits begin with the run's, when it is digits, or nine digits then 'Z' and anything.
// Empty (lo == hi) when none can.
struct FractionRange {
  int64_t lo = 0, hi = 0;  // [lo, hi)
  bool Has(int64_t fraction_ns) const { return fraction_ns >= lo && fraction_ns < hi; }
};
FractionRange FractionsStarting(std::string_view run);

}  // namespace gnomon::logs
