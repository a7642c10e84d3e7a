// Targets: from discovered target groups (static_configs, file_sd files) to the label sets of the
// targets a job scrapes, as Prometheus 2.42 builds them (scrape/target.go, discovery/file).
//
// PopulateLabels, per discovered target (its labels, then its group's):
//   1. __address__ comes from discovery; job, __scrape_interval__, __scrape_timeout__,
//      __metrics_path__ and __scheme__ from the job unless discovery set them; __param_<name> for
//      each of the job's params (its first value). These are the "discovered labels".
//   2. relabel_configs; a dropped target is reported as such, with its discovered labels.
//   3. Checks: __address__ present (else "no address"); a port added if there is none (:80 for
//      http); no "/" in the address; __scrape_interval__ and __scrape_timeout__ valid non-zero
//      durations with timeout <= interval; every label value valid UTF-8.
//   4. __meta_* labels removed; instance defaults to __address__.
// The other "__" labels stay in the result (the scrape needs __address__, __scheme__,
// __metrics_path__ and __param_*); PublicLabels gives what goes on the target's series.
//
// One deliberate difference: gnomond scrapes over plain HTTP, so a target whose __scheme__ is not
// "http" after relabelling is an error ("scheme ... is not supported"), where Prometheus would
// scrape it over HTTPS.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gnomon/series.h"
#include "gnomon/status.h"
#include "scrape/scrape_config.h"

namespace gnomon::scrape {

struct PopulatedTarget {
  Labels labels;             // sorted; empty if relabelling dropped the target
  Labels discovered_labels;  // sorted; the labels relabelling started from
  bool dropped() const { return labels.empty(); }
};

// Prometheus' PopulateLabels for one target's discovered labels (need not be sorted). A target
// that fails a check is an InvalidArgument error with Prometheus' reason (e.g. "no address",
// "scrape timeout cannot be greater than scrape interval (\"2s\" > \"1s\")").
Result<PopulatedTarget> PopulateLabels(const Labels& discovered, const ScrapeConfig& job);

// Prometheus' TargetsFromGroup: every target of `group` through PopulateLabels, in order. Targets
// that fail are left out and their errors appended to `errors` as "instance I in group SOURCE:
// reason"; dropped targets are kept (dropped() is true), for /api/v1/targets' droppedTargets.
std::vector<PopulatedTarget> TargetsFromGroup(const TargetGroup& group, const ScrapeConfig& job,
                                              std::vector<std::string>* errors);

// The labels a target's series carry: its labels without those starting with "__".
Labels PublicLabels(const Labels& target_labels);

// The URL to scrape (Prometheus' Target.URL()): __scheme__://__address____metrics_path__, with the
// job's params as the query, each __param_<name> label replacing that parameter's first value;
// parameters sorted by name and query-escaped as Go's url.Values.Encode.
std::string TargetUrl(const Labels& target_labels, const std::map<std::string, std::vector<std::string>>& params);

// A file_sd config's files now: each glob expanded (Go's filepath.Glob syntax: * ? [...] and \),
// matches sorted, in the config's order. A pattern that matches nothing contributes nothing.
std::vector<std::string> ExpandFileSdPaths(const FileSdConfig& sd);

// Reads one file_sd file: a JSON (.json) or YAML (.yml, .yaml) list of {targets: [...], labels:
// {...}}, strictly (unknown keys and invalid label names are errors, with FILE:LINE:COL for YAML
// and FILE: reason at byte N for JSON). Each group gets __meta_filepath = `path` and the source
// "PATH:INDEX". NotFound / IOError if the file cannot be read.
Result<std::vector<TargetGroup>> ReadFileSd(const std::string& path);
// The same on text already read; `path` names the file and picks the format by its extension.
Result<std::vector<TargetGroup>> ParseFileSd(std::string_view text, const std::string& path);

}  // namespace gnomon::scrape
