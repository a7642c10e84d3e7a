// A mutator for the fuzz smoke tests: random edits of seed inputs (bit flips, random bytes,
// inserted characters and tokens, deleted and duplicated spans, splices with other seeds,
// truncation, huge or odd numbers, long runs), deterministic for a given random engine.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <iterator>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace gnomon::testing {

// Numbers at and past the edges of int64, uint64 and double.
inline const std::vector<std::string> kHugeNumbers = {
    "1e308", "1e309", "-1e309", "4.9e-324", "1e-400", "9223372036854775807", "9223372036854775808",
    "-9223372036854775808", "18446744073709551616", "0x7fffffffffffffff", "0xffffffffffffffffffff", "1e18",
    "9.2e15", "1e19", "NaN", "Inf", "-Inf", "0", "-0", "0.0000000001", "123456789012345678901234567890",
    "1" + std::string(400, '0'), "0." + std::string(400, '0') + "1",
};

class Mutator {
 public:
  Mutator(std::mt19937_64* rng, std::vector<std::string> tokens, std::string alphabet, size_t max_size)
      : rng_(rng), tokens_(std::move(tokens)), alphabet_(std::move(alphabet)), max_size_(max_size) {}

  size_t Pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>((*rng_)() % n); }
  bool OneIn(size_t n) { return Pick(n) == 0; }
  const std::string& Token() { return tokens_[Pick(tokens_.size())]; }

  // One to `max_edits` random edits of `s`; `corpus` supplies splice partners.
  std::string Mutate(std::string s, const std::vector<std::string>& corpus, int max_edits = 4) {
    const int edits = 1 + static_cast<int>(Pick(static_cast<size_t>(max_edits)));
    for (int i = 0; i < edits; ++i) Edit(&s, corpus);
    if (s.size() > max_size_) s.resize(max_size_);
    return s;
  }

  void Edit(std::string* s, const std::vector<std::string>& corpus) {
    const size_t pos = Pick(s->size() + 1);
    switch (Pick(12)) {
      case 0:  // flip a bit
        if (pos < s->size()) (*s)[pos] = static_cast<char>((*s)[pos] ^ (1 << Pick(8)));
        break;
      case 1:  // any byte
        if (pos < s->size()) (*s)[pos] = static_cast<char>(Pick(256));
        break;
      case 2:
      case 3:  // insert a character of the alphabet
        s->insert(pos, 1, alphabet_[Pick(alphabet_.size())]);
        break;
      case 4:
      case 5: {  // insert a token, sometimes with spaces around it
        std::string t = Token();
        if (OneIn(2)) t = " " + t + " ";
        s->insert(pos, t);
        break;
      }
      case 6:  // delete a span
        if (pos < s->size()) s->erase(pos, 1 + Pick(8));
        break;
      case 7: {  // duplicate a span somewhere else
        if (s->empty()) break;
        const size_t a = Pick(s->size());
        const size_t len = 1 + Pick(std::min<size_t>(s->size() - a, 32));
        const std::string span = s->substr(a, len);
        s->insert(Pick(s->size() + 1), span);
        break;
      }
      case 8: {  // splice: a prefix of this input and a suffix of another
        if (corpus.empty()) break;
        const std::string& other = corpus[Pick(corpus.size())];
        *s = s->substr(0, pos) + other.substr(Pick(other.size() + 1));
        break;
      }
      case 9:  // truncate
        s->resize(pos);
        break;
      case 10: {  // replace a run of digits (or insert) a huge or odd number
        size_t a = pos;
        while (a < s->size() && !std::isdigit(static_cast<unsigned char>((*s)[a]))) ++a;
        size_t b = a;
        while (b < s->size() && (std::isdigit(static_cast<unsigned char>((*s)[b])) || (*s)[b] == '.')) ++b;
        const std::string& n = kHugeNumbers[Pick(kHugeNumbers.size())];
        if (a < s->size()) {
          s->replace(a, b - a, n);
        } else {
          s->insert(pos, n);
        }
        break;
      }
      case 11: {  // a long run of one character or of a token
        const size_t lengths[] = {64, 257, 4097, 70'000};
        const size_t len = lengths[Pick(std::size(lengths))];
        if (OneIn(2)) {
          s->insert(pos, std::string(len, alphabet_[Pick(alphabet_.size())]));
        } else {
          std::string run;
          const std::string& t = Token();
          while (run.size() < len) run += t;
          s->insert(pos, run);
        }
        break;
      }
    }
  }

 private:
  std::mt19937_64* rng_;
  std::vector<std::string> tokens_;
  std::string alphabet_;
  size_t max_size_;
};

}  // namespace gnomon::testing
