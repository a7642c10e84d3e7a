#include "logs/text_filter.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace gnomon::logs {

namespace {

constexpr std::array<size_t, 6> kPrefixLengths = {4, 5, 6, 8, 12, 16};
constexpr size_t kShortest = 4;  // a token shorter than this is a key whole
constexpr int kProbes = 6;
constexpr size_t kBitsPerKey = 10;  // with 6 probes: ~0.8% false positives
constexpr uint64_t kPrefixSeed = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kWholeSeed = 0xc2b2ae3d27d4eb4full;

constexpr std::array<bool, 256> TokenBytes() {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[c] = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c >= 0x80;
  }
  return t;
}
constexpr std::array<bool, 256> kTokenByte = TokenBytes();

bool IsToken(char c) { return kTokenByte[static_cast<unsigned char>(c)]; }

// The next token (maximal run of token bytes) of `text` at or after *i: [*start, *i). False when
// there is none.
bool NextToken(std::string_view text, size_t* i, size_t* start) {
  while (*i < text.size() && !IsToken(text[*i])) ++*i;
  if (*i == text.size()) return false;
  *start = *i;
  while (*i < text.size() && IsToken(text[*i])) ++*i;
  return true;
}

// FNV-1a steps over a token's bytes (cheap to snapshot at every prefix length), then a murmur3
// finaliser so every bit of a key is usable.
constexpr uint64_t kFnvBasis = 14695981039346656037ull;
inline uint64_t FnvStep(uint64_t h, char c) { return (h ^ static_cast<unsigned char>(c)) * 1099511628211ull; }
inline uint64_t Mix(uint64_t h, uint64_t seed) {
  h ^= seed;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h | 1;  // never 0: the sets' empty slot
}

uint64_t PrefixKey(std::string_view run) {
  uint64_t h = kFnvBasis;
  for (char c : run) h = FnvStep(h, c);
  return Mix(h, kPrefixSeed);
}

uint64_t WholeKey(std::string_view token) {
  uint64_t h = kFnvBasis;
  for (char c : token) h = FnvStep(h, c);
  return Mix(h, kWholeSeed);
}

// Inserts `v` (never 0) into an open-addressing set; true when it was not there.
bool Insert(std::vector<uint64_t>* set, size_t* count, uint64_t v) {
  if (set->empty() || (*count + 1) * 2 > set->size()) {
    std::vector<uint64_t> bigger(std::max<size_t>(1024, set->size() * 2));
    for (uint64_t x : *set) {
      if (x == 0) continue;
      size_t i = x & (bigger.size() - 1);
      while (bigger[i] != 0) i = (i + 1) & (bigger.size() - 1);
      bigger[i] = x;
    }
    set->swap(bigger);
  }
  size_t i = v & (set->size() - 1);
  while ((*set)[i] != 0) {
    if ((*set)[i] == v) return false;
    i = (i + 1) & (set->size() - 1);
  }
  (*set)[i] = v;
  ++*count;
  return true;
}

}  // namespace

void TextFilterBuilder::AddKey(uint64_t key) {
  size_t count = keys_.size();
  if (Insert(&key_set_, &count, key)) keys_.push_back(key);
}

void TextFilterBuilder::AddLine(std::string_view line, size_t id_begin, size_t id_end, size_t fraction_at) {
  size_t i = 0, start = 0;
  while (NextToken(line, &i, &start)) {
    uint64_t h = kFnvBasis;
    std::array<uint64_t, kPrefixLengths.size()> prefix{};
    size_t listed = 0;
    for (size_t j = start; j < i; ++j) {
      h = FnvStep(h, line[j]);
      if (listed < kPrefixLengths.size() && j + 1 - start == kPrefixLengths[listed]) prefix[listed++] = h;
    }
    if (start == fraction_at || (start >= id_begin && i <= id_end)) continue;
    // Most tokens repeat within a block: their keys are added once.
    if (!Insert(&tokens_, &num_tokens_, Mix(h, kWholeSeed ^ (i - start)))) continue;
    if (i - start < kShortest) {
      AddKey(Mix(h, kWholeSeed));
      continue;
    }
    for (size_t k = 0; k < listed; ++k) AddKey(Mix(prefix[k], kPrefixSeed));
  }
}

void TextFilterBuilder::Finish(std::string* out) {
  const size_t bits = std::max<size_t>(64, keys_.size() * kBitsPerKey);
  const size_t bytes = (bits + 7) / 8;
  const size_t at = out->size();
  out->resize(at + bytes);
  auto* data = reinterpret_cast<uint8_t*>(out->data() + at);
  const uint64_t m = bytes * 8;
  for (uint64_t key : keys_) {
    const uint64_t delta = (key >> 32) | (key << 32);
    uint64_t h = key;
    for (int p = 0; p < kProbes; ++p, h += delta) {
      const uint64_t bit = h % m;
      data[bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
    }
  }
  tokens_.clear();
  num_tokens_ = 0;
  keys_.clear();
  key_set_.clear();
}

bool FilterHas(std::string_view filter, uint64_t key) {
  if (filter.empty()) return true;
  const auto* data = reinterpret_cast<const uint8_t*>(filter.data());
  const uint64_t m = filter.size() * 8;
  const uint64_t delta = (key >> 32) | (key << 32);
  uint64_t h = key;
  for (int p = 0; p < kProbes; ++p, h += delta) {
    const uint64_t bit = h % m;
    if ((data[bit / 8] & (1u << (bit % 8))) == 0) return false;
  }
  return true;
}

std::vector<NeedleKey> NeedleKeys(std::string_view needle) {
  std::vector<NeedleKey> keys;
  const size_t n = needle.size();
  size_t i = 0, start = 0;
  while (NextToken(needle, &i, &start)) {
    const std::string_view run = needle.substr(start, i - start);
    if (start == 0) continue;  // the leading run may sit inside a token
    if (run.size() >= kShortest) {
      size_t len = 0;
      for (size_t l : kPrefixLengths) {
        if (l <= run.size()) len = l;
      }
      keys.push_back({PrefixKey(run.substr(0, len)), run, false, needle[start - 1]});
    } else if (i < n) {  // a separator follows: the run is a whole token
      keys.push_back({WholeKey(run), run, true, needle[start - 1]});
    }
  }
  return keys;
}

FractionRange FractionsStarting(std::string_view run) {
  const size_t digits = std::min<size_t>(run.size(), 9);
  int64_t want = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (run[i] < '0' || run[i] > '9') return {};
    want = want * 10 + (run[i] - '0');
  }
  if (run.size() > 9 && run[9] != 'Z') return {};
  int64_t scale = 1;
  for (size_t i = digits; i < 9; ++i) scale *= 10;
  return {want * scale, (want + 1) * scale};
}

}  // namespace gnomon::logs
