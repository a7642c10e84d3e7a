#!/usr/bin/env bash
# Alert rules against promtool 2.42: `gnomon check rules` and `gnomon test rules` must give the
# verdict `promtool check rules` / `promtool test rules` give, on the shared kit's rule files and
# tests (../shared/alerts, all passing under promtool), and on mutants of those tests: every
# expected alert and every expected sample changed one at a time, which promtool fails, so
# gnomon must fail them too. Also error paths of the CLI.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { echo "promtool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
KIT=$(cd "$SRC/../shared/alerts" 2>/dev/null && pwd) || { echo "../shared/alerts is missing"; exit 1; }
G="$BUILD/gnomon"

# ---- check rules
for f in "$KIT"/rules/*.yml; do
  out=$("$G" check rules "$f" 2>&1) && rc=0 || rc=$?
  check "check rules $(basename "$f") exit" 0 "$rc"
  check "check rules $(basename "$f") matches promtool" "$(promtool check rules "$f" 2>&1 | grep -o 'SUCCESS: [0-9]* rules found')" \
    "$(grep -o 'SUCCESS: [0-9]* rules found' <<<"$out")"
done
cat > "$WORK/bad_rules.yml" <<'YML'
groups:
  - name: g
    rules:
      - alert: A
        expr: sum((
      - record: "not a name"
        expr: up
YML
out=$("$G" check rules "$WORK/bad_rules.yml" 2>&1) && rc=0 || rc=$?
check "check rules bad file exit" 1 "$rc"
check_contains "check rules bad expr" "bad_rules.yml:5:15: could not parse expression" "$out"
check_contains "check rules bad name" "invalid recording rule name: not a name" "$out"
out=$("$G" check rules 2>&1) && rc=0 || rc=$?
check "check rules without files" 2 "$rc"

# ---- test rules on the kit's files: everything passes, as under promtool
for f in "$KIT"/tests/*_test.yml; do
  out=$(cd "$KIT/tests" && "$G" test rules "$(basename "$f")" 2>&1) && rc=0 || rc=$?
  check "test rules $(basename "$f")" 0 "$rc"
  [ "$rc" = 0 ] || echo "$out" | head -40
done

# ---- mutants: each expectation changed alone must fail under both
python3 - "$KIT" "$WORK/mutants" <<'PY'
import copy, os, sys, yaml
kit, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
n = 0
for name in sorted(os.listdir(os.path.join(kit, "tests"))):
    if not name.endswith("_test.yml"):
        continue
    with open(os.path.join(kit, "tests", name)) as f:
        doc = yaml.safe_load(f)
    doc["rule_files"] = [os.path.normpath(os.path.join(kit, "tests", p)) for p in doc["rule_files"]]
    def emit(d, tag):
        global n
        n += 1
        with open(os.path.join(out, "%03d_%s_%s.yml" % (n, name[:-9], tag)), "w") as f:
            yaml.safe_dump(d, f, sort_keys=False)
    for ti, t in enumerate(doc.get("tests", [])):
        for ai, a in enumerate(t.get("alert_rule_test", []) or []):
            d = copy.deepcopy(doc)
            case = d["tests"][ti]["alert_rule_test"][ai]
            alerts = case.get("exp_alerts") or []
            if alerts:
                first = alerts[0]
                anns = first.get("exp_annotations") or {}
                if anns:
                    k = sorted(anns)[0]
                    anns[k] = str(anns[k]) + "X"
                    emit(d, "annotation")
                    d = copy.deepcopy(doc)
                    case = d["tests"][ti]["alert_rule_test"][ai]
                case["exp_alerts"] = case["exp_alerts"][1:]
                emit(d, "dropalert")
            else:
                case["exp_alerts"] = [{"exp_labels": {"mutant": "yes"}}]
                emit(d, "addalert")
        for pi, p in enumerate(t.get("promql_expr_test", []) or []):
            d = copy.deepcopy(doc)
            case = d["tests"][ti]["promql_expr_test"][pi]
            samples = case.get("exp_samples") or []
            if samples:
                samples[0]["value"] = float(samples[0].get("value", 0)) + 1
            else:
                case["exp_samples"] = [{"labels": "{}", "value": 1}]
            emit(d, "value")
print(n)
PY
mutants=0 agree=0
for m in "$WORK"/mutants/*.yml; do
  mutants=$((mutants + 1))
  promtool test rules "$m" >/dev/null 2>&1 && p=0 || p=$?
  "$G" test rules "$m" >"$WORK/g.out" 2>&1 && g=0 || g=$?
  if [ "$p" = "$g" ]; then
    agree=$((agree + 1))
  else
    echo "mutant $(basename "$m"): promtool exit $p, gnomon exit $g"
    head -30 "$WORK/g.out"
  fi
done
echo "mutants: $agree of $mutants with promtool's verdict"
check "mutants agree with promtool" "$mutants" "$agree"
[ "$mutants" -ge 60 ] && check "enough mutants" yes yes || check "enough mutants ($mutants)" ">= 60" "$mutants"

# ---- a subquery without a step (`x[5m:]`) runs at the test file's evaluation_interval
# (tests/rules/subquery_step_*): each file passes under both tools, and each fails under both
# with the other file's evaluation_interval, with the same failures.
RULES=$SRC/tests/rules
sq_files=0
for f in "$RULES"/subquery_step_*_test.yml; do
  sq_files=$((sq_files + 1))
  b=$(basename "$f")
  promtool test rules "$f" >/dev/null 2>&1 && p=0 || p=$?
  "$G" test rules "$f" >"$WORK/g.out" 2>&1 && g=0 || g=$?
  check "promtool test rules $b" 0 "$p"
  check "test rules $b" 0 "$g"
  [ "$g" = 0 ] || head -30 "$WORK/g.out"
  grep -q '^evaluation_interval: 30s$' "$f" && other=1m || other=30s
  swapped=$WORK/swapped_$b
  sed -e "s/^evaluation_interval: .*/evaluation_interval: $other/" \
      -e "s|^rule_files: \[subquery_step_rules.yml\]|rule_files: [$RULES/subquery_step_rules.yml]|" "$f" >"$swapped"
  promtool test rules "$swapped" >/dev/null 2>"$WORK/p.err" && p=0 || p=$?
  "$G" test rules "$swapped" >"$WORK/g.out" 2>&1 && g=0 || g=$?
  check "promtool test rules $b at $other" 1 "$p"
  check "test rules $b at $other" 1 "$g"
  # The failures themselves (promtool prints them to stderr, blank lines to stdout).
  check "test rules $b at $other: promtool's failures" "$(grep -v '^$' "$WORK/p.err")" \
    "$(grep -v -e '^$' -e '^Unit Testing:' "$WORK/g.out")"
done
check "subquery step test files" 2 "$sq_files"

# ---- test rules: CLI error paths
out=$("$G" test rules "$WORK/nonexistent_test.yml" 2>&1) && rc=0 || rc=$?
check "test rules missing file exit" 1 "$rc"
check_contains "test rules missing file message" "cannot open test file" "$out"
out=$("$G" test 2>&1) && rc=0 || rc=$?
check "test without args" 2 "$rc"
out=$("$G" test nonsense x 2>&1) && rc=0 || rc=$?
check "test unknown kind" 2 "$rc"

finish
