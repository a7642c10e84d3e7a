// label_replace() and label_join(). Labels of a series do not change from step to step, so the
// new label set is computed once per series; __name__ is kept.
#include <re2/re2.h>

#include <map>

#include "index/labels_util.h"
#include "query/promql/eval_internal.h"

namespace gnomon::promql {
namespace {

std::string StringArg(Evaluator& ev, const Expr& e) {
  Value v = ev.Eval(e);
  if (v.type != ValueType::kString) ThrowStatus(Status::InvalidArgument("expected a string argument"));
  return v.str;
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Go's regexp.Expand: $1, ${1}, $name, ${name}, $$; "$1x" names the group "1x"; an unknown
// group expands to nothing; a malformed reference is kept as text.
std::string Expand(std::string_view tmpl, const std::vector<re2::StringPiece>& groups,
                   const std::map<std::string, int>& names) {
  std::string out;
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t d = tmpl.find('$', i);
    if (d == std::string_view::npos) break;
    out.append(tmpl.substr(i, d - i));
    i = d + 1;
    if (i < tmpl.size() && tmpl[i] == '$') {
      out += '$';
      ++i;
      continue;
    }
    const bool brace = i < tmpl.size() && tmpl[i] == '{';
    size_t j = brace ? i + 1 : i;
    const size_t name_start = j;
    while (j < tmpl.size() && IsNameChar(tmpl[j])) ++j;
    std::string_view name = tmpl.substr(name_start, j - name_start);
    if (name.empty() || (brace && (j >= tmpl.size() || tmpl[j] != '}'))) {
      out += '$';  // malformed: keep the '$' as text
      continue;
    }
    i = brace ? j + 1 : j;
    bool numeric = true;
    for (char c : name) numeric = numeric && c >= '0' && c <= '9';
    int idx = -1;
    if (numeric) {
      if (name.size() < 9 && !(name[0] == '0' && name.size() > 1)) idx = std::stoi(std::string(name));
    } else if (auto it = names.find(std::string(name)); it != names.end()) {
      idx = it->second;
    }
    if (idx >= 0 && static_cast<size_t>(idx) < groups.size() && groups[static_cast<size_t>(idx)].data() != nullptr) {
      out.append(groups[static_cast<size_t>(idx)].data(), groups[static_cast<size_t>(idx)].size());
    }
  }
  if (i < tmpl.size()) out.append(tmpl.substr(i));
  return out;
}

}  // namespace

std::optional<Value> EvalLabelFunction(Evaluator& ev, const Call& call) {
  const std::string& f = call.func;
  if (f == "label_replace") {
    if (call.args.size() != 5) ThrowStatus(Status::InvalidArgument("label_replace() needs 5 arguments"));
    const std::string dst = StringArg(ev, *call.args[1]);
    const std::string repl = StringArg(ev, *call.args[2]);
    const std::string src = StringArg(ev, *call.args[3]);
    const std::string regex = StringArg(ev, *call.args[4]);
    RE2::Options opts;
    opts.set_log_errors(false);
    RE2 re("^(?:" + regex + ")$", opts);
    if (!re.ok()) ThrowExec("invalid regular expression in label_replace(): " + regex);
    if (!index::IsValidLabelName(dst)) ThrowExec("invalid destination label name in label_replace(): " + dst);
    Value in = ev.Eval(*call.args[0]);
    std::vector<re2::StringPiece> groups(static_cast<size_t>(re.NumberOfCapturingGroups()) + 1);
    for (Series& s : in.series) {
      const std::string* sv = GetLabel(s.labels, src);
      const std::string src_val = sv ? *sv : "";
      if (!re.Match(src_val, 0, src_val.size(), RE2::ANCHOR_BOTH, groups.data(), static_cast<int>(groups.size()))) {
        continue;
      }
      const std::string res = Expand(repl, groups, re.NamedCapturingGroups());
      SetLabel(s.labels, dst, res);
    }
    MergeSameLabels(&in.series);
    return in;
  }
  if (f == "label_join") {
    if (call.args.size() < 3) ThrowStatus(Status::InvalidArgument("label_join() needs at least 3 arguments"));
    const std::string dst = StringArg(ev, *call.args[1]);
    const std::string sep = StringArg(ev, *call.args[2]);
    std::vector<std::string> srcs;
    for (size_t i = 3; i < call.args.size(); ++i) {
      srcs.push_back(StringArg(ev, *call.args[i]));
      if (!index::IsValidLabelName(srcs.back())) ThrowExec("invalid source label name in label_join(): " + srcs.back());
    }
    if (!index::IsValidLabelName(dst)) ThrowExec("invalid destination label name in label_join(): " + dst);
    Value in = ev.Eval(*call.args[0]);
    for (Series& s : in.series) {
      std::string joined;
      for (size_t i = 0; i < srcs.size(); ++i) {
        if (i > 0) joined += sep;
        if (const std::string* v = GetLabel(s.labels, srcs[i])) joined += *v;
      }
      SetLabel(s.labels, dst, joined);
    }
    MergeSameLabels(&in.series);
    return in;
  }
  return std::nullopt;
}

}  // namespace gnomon::promql
