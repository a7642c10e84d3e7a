// Relabelling: Prometheus' relabel_configs and metric_relabel_configs (model/relabel in Prometheus
// 2.42), applied to a label set in order; a step may rewrite labels or drop the whole set.
//
//   - source_labels: [a, b]   # values joined with `separator` (";"); a missing label is ""
//     separator: ";"
//     regex: "(.*)"           # RE2, fully anchored as "^(?:REGEX)$"
//     modulus: 0              # hashmod only
//     target_label: t         # replace: may use $1 / ${name} like the replacement
//     replacement: "$1"       # Go's regexp.Expand: $1, ${1}, $name, ${name}, $$
//     action: replace         # replace keep drop keepequal dropequal hashmod labelmap labeldrop
//                             # labelkeep lowercase uppercase (case-insensitive, as Prometheus)
//
// Every action behaves as in Prometheus 2.42, edge cases included: a replace whose regex does not
// match changes nothing; an expanded target that is not a valid label name, or an empty
// replacement, deletes the (unexpanded) target_label; setting a label to "" deletes it; hashmod is
// the MD5 of the joined value, its last 8 bytes read big-endian, modulo `modulus`; lowercase and
// uppercase map Unicode letters (simple case mapping) as Go's strings.ToLower/ToUpper do.
//
// A RelabelConfig is immutable once built and safe to share between threads; Relabel only reads it.
// This file owns the rules; reading them from YAML is scrape_config.h's job.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"

namespace re2 {
class RE2;
}

namespace gnomon::scrape {

enum class RelabelAction : unsigned char {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};

// "replace", "keep", ... as Prometheus writes them.
std::string_view RelabelActionName(RelabelAction action);
// The action named `name`, compared case-insensitively (Prometheus lowercases it), or nullopt.
std::optional<RelabelAction> ParseRelabelAction(std::string_view name);

// A relabel regex: the text as written, compiled with RE2 as "^(?:TEXT)$". Copies share the
// compiled form. The default-constructed regex is Prometheus' default, "(.*)".
class RelabelRegex {
 public:
  RelabelRegex();
  // Fails with InvalidArgument naming the regex and RE2's reason if it does not compile.
  static Result<RelabelRegex> Compile(std::string_view text);

  const std::string& text() const { return text_; }
  const re2::RE2& re() const { return *re_; }
  // Whether the whole of `s` matches.
  bool Matches(std::string_view s) const;

 private:
  RelabelRegex(std::string text, std::shared_ptr<const re2::RE2> re) : text_(std::move(text)), re_(std::move(re)) {}
  std::string text_;
  std::shared_ptr<const re2::RE2> re_;
};

// One relabelling step, with Prometheus' defaults.
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  RelabelRegex regex;  // "(.*)"
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;

  // Prometheus' consistency checks on a step (relabel.Config.UnmarshalYAML), with its messages:
  // hashmod needs a modulus and a valid target_label; replace, hashmod, lowercase, uppercase,
  // keepequal and dropequal need a target_label (a template for replace); lowercase, uppercase,
  // keepequal and dropequal take no replacement; keepequal and dropequal take only source_labels
  // and target_label, labeldrop and labelkeep only regex; a labelmap replacement must be a
  // label-name template. Source label names are checked too. OK, or InvalidArgument.
  Status Validate() const;
};

// Applies `configs` in order to `*labels` (which need not be sorted). Returns false when a step
// dropped the label set (then *labels is cleared); else true, with *labels sorted by name and, if
// any step ran, without labels whose value is empty (Prometheus' labels.Builder drops them). Names
// a step produced are not validated (labelmap can produce any name): callers that store the
// labels validate them. Thread-safe for concurrent calls on distinct label sets.
bool Relabel(const std::vector<RelabelConfig>& configs, Labels* labels);

// The hashmod value: the MD5 of `value`, its last 8 bytes as a big-endian integer, modulo
// `modulus` (> 0). Prometheus: sum64(md5.Sum([]byte(val))) % cfg.Modulus.
uint64_t HashMod(std::string_view value, uint64_t modulus);

}  // namespace gnomon::scrape
