// YamlReader: strict reading of Prometheus-style YAML (scrape configs, file_sd files) with
// yaml-cpp, decoding values the way Go's yaml.v2 does in Prometheus' strict mode, and collecting
// every error as "FILE:LINE:COL: reason".
//
// As yaml.v2: a null value is the zero value of its type ("" / false / 0 / empty list); booleans
// are YAML 1.1's (true/false, yes/no, on/off, y/n in their three cases), never quoted; a key
// repeated in a mapping is an error; integers are Go's (0x, 0o, 0b, leading-0 octal, '_'
// separators). Unlike yaml.v2, a float is not truncated into an integer field: it is an error.
// Internal to src/scrape; not thread-safe (one reader per parse).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace gnomon::scrape {

// A key Prometheus knows but gnomond does not support, and why.
struct UnsupportedKey {
  std::string_view key;
  std::string_view why;
};

class YamlReader {
 public:
  explicit YamlReader(std::string_view file) : file_(file) {}

  // Adds "FILE:LINE:COL: msg" at `at`, or at `fallback` when `at` has no position (a null value
  // yaml-cpp made up), or "FILE: msg" when neither has one.
  void Error(const YAML::Node& at, const std::string& msg, const YAML::Node* fallback = nullptr);
  void ErrorAt(int line, int col, const std::string& msg);
  bool ok() const { return errors_.empty(); }
  size_t error_count() const { return errors_.size(); }
  // Every error, one a line, as an InvalidArgument Status.
  Status ToStatus() const;

  // Calls fn(name, key node, value node) for each key of mapping `n`; `what` names `n` in errors.
  // False (and an error) if `n` is not a mapping. A repeated or non-string key is an error and is
  // not passed on.
  using FieldFn = std::function<void(const std::string&, const YAML::Node&, const YAML::Node&)>;
  bool Fields(const YAML::Node& n, std::string_view what, const FieldFn& fn);
  // Reports a key `what` does not accept: as unsupported (with the reason) if it is in
  // `unsupported`, else as unknown.
  void BadField(const YAML::Node& key, const std::string& name, std::string_view what,
                std::span<const UnsupportedKey> unsupported = {});

  // Values of field `key`. Each returns false (and adds an error) if the value has the wrong type.
  bool String(const YAML::Node& v, const YAML::Node& key, std::string* out);
  bool Bool(const YAML::Node& v, const YAML::Node& key, bool* out);
  bool Uint(const YAML::Node& v, const YAML::Node& key, uint64_t* out);
  // A size as Prometheus' units.Base2Bytes writes it: "0", or a whole number and a unit, B, KB or
  // KiB, MB or MiB, ... EB or EiB, each a power of 1024 ("10MB" = 10 MiB); null is 0.
  bool Base2Bytes(const YAML::Node& v, const YAML::Node& key, uint64_t* out);
  // A Prometheus duration (util/duration.h), in ms; null is 0.
  bool Duration(const YAML::Node& v, const YAML::Node& key, int64_t* out);
  // A list of strings.
  bool Strings(const YAML::Node& v, const YAML::Node& key, std::vector<std::string>* out);
  // A label set (model.LabelSet): valid label names, string values; sorted by name.
  bool LabelSet(const YAML::Node& v, const YAML::Node& key, Labels* out);

 private:
  std::string file_;
  std::vector<std::string> errors_;
};

}  // namespace gnomon::scrape
