#include "alert/rule_file.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "gotemplate/template.h"
#include "index/labels_util.h"
#include "query/promql/parser.h"
#include "util/duration.h"

namespace gnomon::alert {

namespace {

// Collects "FILE:LINE:COL: message" lines.
class Errors {
 public:
  explicit Errors(std::string_view path) : path_(path) {}
  void Add(const YAML::Node& at, const std::string& msg) {
    const YAML::Mark m = at.Mark();
    if (m.is_null()) {
      lines_.push_back(path_ + ": " + msg);
    } else {
      lines_.push_back(path_ + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + msg);
    }
  }
  void AddAt(int line, int col, const std::string& msg) {
    lines_.push_back(path_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + msg);
  }
  bool empty() const { return lines_.empty(); }
  Status ToStatus() const {
    std::string all;
    for (const std::string& l : lines_) all += (all.empty() ? "" : "\n") + l;
    return Status::InvalidArgument(all);
  }

 private:
  std::string path_;
  std::vector<std::string> lines_;
};

bool Scalar(const YAML::Node& n, std::string* out) {
  if (!n.IsScalar()) return false;
  *out = n.Scalar();
  return true;
}

// Checks that every key of mapping `n` is one of `allowed`.
void CheckFields(const YAML::Node& n, std::initializer_list<std::string_view> allowed, const char* type, Errors* errors) {
  for (const auto& kv : n) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || a == key;
    if (!ok) errors->Add(kv.first, "field " + key + " not found in type " + type);
  }
}

void ReadDuration(const YAML::Node& n, const char* field, int64_t* out, Errors* errors) {
  std::string text;
  if (!Scalar(n, &text)) return errors->Add(n, std::string("'") + field + "' must be a duration");
  auto d = ParseDurationMs(text);
  if (!d.ok()) return errors->Add(n, std::string("'") + field + "': " + d.status().message());
  *out = d.value();
}

void ReadStringMap(const YAML::Node& n, const char* field, std::vector<std::pair<std::string, std::string>>* out,
                   Errors* errors) {
  if (n.IsNull()) return;
  if (!n.IsMap()) return errors->Add(n, std::string("'") + field + "' must be a mapping of strings");
  for (const auto& kv : n) {
    std::string k, v;
    if (!Scalar(kv.first, &k) || !Scalar(kv.second, &v)) {
      errors->Add(kv.first, std::string("'") + field + "' must be a mapping of strings");
      continue;
    }
    out->emplace_back(std::move(k), std::move(v));
  }
}

void CheckTemplate(const YAML::Node& at, const std::string& rule, const std::string& text, Errors* errors) {
  auto t = gotemplate::Template::Parse("__alert_" + rule, text);
  if (!t.ok()) errors->Add(at, "template: " + t.status().message());
}

void ReadRule(const YAML::Node& n, Rule* rule, Errors* errors) {
  rule->line = n.Mark().line + 1;
  if (!n.IsMap()) return errors->Add(n, "a rule must be a mapping");
  CheckFields(n, {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, "rulefmt.Rule",
              errors);
  const YAML::Node record = n["record"], alert = n["alert"], expr = n["expr"];
  if (record && !Scalar(record, &rule->record)) errors->Add(record, "'record' must be a string");
  if (alert && !Scalar(alert, &rule->alert)) errors->Add(alert, "'alert' must be a string");
  if (rule->record.empty() && rule->alert.empty()) return errors->Add(n, "one of 'record' or 'alert' must be set");
  if (!rule->record.empty() && !rule->alert.empty()) return errors->Add(n, "only one of 'record' and 'alert' must be set");
  if (!expr || !Scalar(expr, &rule->expr) || rule->expr.empty()) {
    errors->Add(n, "field 'expr' must be set in rule");
  } else if (auto parsed = promql::ParseExpr(rule->expr); !parsed.ok()) {
    errors->Add(expr, "could not parse expression: " + parsed.status().message());
  }
  if (const YAML::Node f = n["for"]) ReadDuration(f, "for", &rule->for_ms, errors);
  if (const YAML::Node f = n["keep_firing_for"]) ReadDuration(f, "keep_firing_for", &rule->keep_firing_for_ms, errors);
  if (const YAML::Node l = n["labels"]) ReadStringMap(l, "labels", &rule->labels, errors);
  if (const YAML::Node a = n["annotations"]) ReadStringMap(a, "annotations", &rule->annotations, errors);

  if (!rule->record.empty()) {
    if (!index::IsValidMetricName(rule->record)) errors->Add(record, "invalid recording rule name: " + rule->record);
    if (n["annotations"]) errors->Add(n["annotations"], "invalid field 'annotations' in recording rule");
    if (n["for"]) errors->Add(n["for"], "invalid field 'for' in recording rule");
    if (n["keep_firing_for"]) errors->Add(n["keep_firing_for"], "invalid field 'keep_firing_for' in recording rule");
  }
  for (const auto& [k, v] : rule->labels) {
    if (!index::IsValidLabelName(k) || k == kMetricNameLabel) errors->Add(n["labels"], "invalid label name: " + k);
    if (rule->is_alert()) CheckTemplate(n["labels"], rule->alert, v, errors);
  }
  for (const auto& [k, v] : rule->annotations) {
    if (!index::IsValidLabelName(k)) errors->Add(n["annotations"], "invalid annotation name: " + k);
    CheckTemplate(n["annotations"], rule->alert, v, errors);
  }
}

}  // namespace

Result<std::vector<RuleGroup>> ParseRuleFile(std::string_view path, std::string_view text) {
  Errors errors(path);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    errors.AddAt(e.mark.line + 1, e.mark.column + 1, e.msg);
    return errors.ToStatus();
  }
  std::vector<RuleGroup> groups;
  try {
    if (root.IsNull()) return groups;  // an empty file has no groups
    if (!root.IsMap()) {
      errors.Add(root, "a rule file must be a mapping with a 'groups' list");
      return errors.ToStatus();
    }
    CheckFields(root, {"groups"}, "rulefmt.RuleGroups", &errors);
    const YAML::Node list = root["groups"];
    if (list && !list.IsNull() && !list.IsSequence()) errors.Add(list, "'groups' must be a list");
    std::set<std::string> names;
    if (list && list.IsSequence()) {
      for (const YAML::Node& g : list) {
        RuleGroup group;
        group.file = std::string(path);
        if (!g.IsMap()) {
          errors.Add(g, "a group must be a mapping");
          continue;
        }
        CheckFields(g, {"name", "interval", "limit", "rules"}, "rulefmt.RuleGroup", &errors);
        if (!g["name"] || !Scalar(g["name"], &group.name) || group.name.empty()) {
          errors.Add(g, "Groupname must not be empty");
        } else if (!names.insert(group.name).second) {
          errors.Add(g["name"], "groupname: \"" + group.name + "\" is repeated in the same file");
        }
        if (const YAML::Node i = g["interval"]) ReadDuration(i, "interval", &group.interval_ms, &errors);
        if (const YAML::Node l = g["limit"]) {
          try {
            group.limit = l.as<int64_t>();
          } catch (const YAML::Exception&) {
            errors.Add(l, "'limit' must be an integer");
          }
          if (group.limit < 0) errors.Add(l, "'limit' must not be negative");
        }
        const YAML::Node rules = g["rules"];
        if (rules && !rules.IsNull() && !rules.IsSequence()) errors.Add(rules, "'rules' must be a list");
        if (rules && rules.IsSequence()) {
          for (const YAML::Node& r : rules) {
            Rule rule;
            ReadRule(r, &rule, &errors);
            group.rules.push_back(std::move(rule));
          }
        }
        groups.push_back(std::move(group));
      }
    }
  } catch (const YAML::Exception& e) {
    errors.AddAt(e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (!errors.empty()) return errors.ToStatus();
  return groups;
}

Result<std::vector<RuleGroup>> LoadRuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open rule file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Status::IOError(path + ": read failed");
  return ParseRuleFile(path, text.str());
}

}  // namespace gnomon::alert
