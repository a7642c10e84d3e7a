#!/usr/bin/env bash
# Records what Prometheus 2.42 makes of prometheus.yml's targets into expected_targets.json:
# /api/v1/targets?state=any (each active target's labels, discovered labels and scrape URL, each
# dropped target's discovered labels) and the targets it refused ("Creating target failed" log
# lines). scrape_config_test checks that gnomon's scrape config, relabelling and target population
# produce the same. Needs Debian's prometheus (2.42.0+ds) and python3; run from anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
prometheus --version 2>&1 | head -1 | grep -q 'version 2\.42\.' || { echo "needs Prometheus 2.42" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# From this folder, so that relative file_sd paths (and __meta_filepath) read as they do in the test.
(cd "$here" && exec prometheus --config.file=prometheus.yml --storage.tsdb.path="$work/data" \
  --web.listen-address="127.0.0.1:$port" >"$work/log" 2>&1) &
pid=$!
# The scrape manager applies discovered targets within ~5 s; wait until every job shows up.
for _ in $(seq 150); do
  if curl -sf "http://127.0.0.1:$port/api/v1/targets?state=any" -o "$work/targets.json" &&
    python3 - "$work/targets.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["data"]
pools = {t["scrapePool"] for t in d["activeTargets"]}
sys.exit(0 if {"static", "replace", "hashmod", "labelmap", "keepdrop", "case", "failing", "files"} <= pools else 1)
PY
  then break; fi
  sleep 0.2
done
sleep 1
curl -sf "http://127.0.0.1:$port/api/v1/targets?state=any" -o "$work/targets.json"
python3 - "$work/targets.json" "$work/log" "$here/expected_targets.json" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))["data"]
active = sorted(({"scrapePool": t["scrapePool"], "scrapeUrl": t["scrapeUrl"], "labels": t["labels"],
                  "discoveredLabels": t["discoveredLabels"]} for t in d["activeTargets"]),
                key=lambda t: json.dumps(t, sort_keys=True))
dropped = sorted(({"discoveredLabels": t["discoveredLabels"]} for t in d["droppedTargets"]),
                 key=lambda t: json.dumps(t, sort_keys=True))
errors = set()
for line in open(sys.argv[2]):
    if 'msg="Creating target failed"' in line:
        pool = re.search(r'scrape_pool=(\S+)', line).group(1)
        err = re.search(r'err="((?:[^"\\]|\\.)*)"', line).group(1).encode().decode("unicode_escape")
        errors.add(pool + ": " + err)
out = {"prometheus": "2.42.0", "active": active, "dropped": dropped, "errors": sorted(errors)}
with open(sys.argv[3], "w") as f:
    json.dump(out, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")
print(f"{len(active)} active, {len(dropped)} dropped, {len(errors)} errors -> {sys.argv[3]}")
PY
