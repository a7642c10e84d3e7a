// Parser cases as data files (tests/promql/parse_cases.txt, tests/logql/parse_cases.txt), one case
// a line ('#' lines and blank lines are skipped):
//   <query>                  parses, and String() gives the query back unchanged
//   <query> => <string>      parses, and String() gives <string>
//   <query> !> <substring>   fails, with <substring> in the message
// The separator is the last " => " or " !> " on the line. "\n" in a query stands for a newline.
// Files are found below $GNOMON_SOURCE_DIR (ctest sets it; "." otherwise). Header-only.
#pragma once

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace gnomon::testing {

inline std::string SourceDir() {
  const char* d = std::getenv("GNOMON_SOURCE_DIR");
  return d ? d : ".";
}

struct ParseCase {
  int line = 0;
  std::string query;
  bool want_error = false;
  std::string want;  // String() output, or an error substring
};

// The cases of `path`, relative to the source directory.
inline std::vector<ParseCase> LoadParseCases(const std::string& path) {
  const std::string full = SourceDir() + "/" + path;
  std::ifstream in(full);
  REQUIRE_MESSAGE(in.good(), "cannot open " << full << " (set GNOMON_SOURCE_DIR)");
  std::vector<ParseCase> cases;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    ParseCase c;
    c.line = n;
    const size_t ok = line.rfind(" => ");
    const size_t err = line.rfind(" !> ");
    size_t sep = std::string::npos;
    if (ok != std::string::npos && (err == std::string::npos || ok > err)) {
      sep = ok;
    } else if (err != std::string::npos) {
      sep = err;
      c.want_error = true;
    }
    if (sep == std::string::npos) {
      c.query = line;
      c.want = line;
    } else {
      c.query = line.substr(0, sep);
      c.want = line.substr(sep + 4);
    }
    for (size_t p; (p = c.query.find("\\n")) != std::string::npos;) c.query.replace(p, 2, "\n");
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace gnomon::testing
