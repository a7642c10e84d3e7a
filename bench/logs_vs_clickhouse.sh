#!/usr/bin/env bash
# bench/logs_vs_clickhouse.sh BUILD [LINES=1000000]: the log store against ClickHouse (Debian's
# clickhouse-server, the shared kit's layout ordered by correlation ID) in one run, on the same
# gen_logs.py NDJSON in 10,000-line chunks posted over 2 keep-alive connections (../shared/peers/load.py):
# ingest lines/s, peak RSS, bytes/line on disk after a flush and compaction, and the median latency of
# the kit's queries — 300 ID lookups (each checked against --ids-out), one service's errors in a
# 5-minute window, a rare substring over all lines (for gnomond: the data's whole time range, as a
# query_range must name one), errors per service per minute (gnomond through its
# correlation API and LogQL on Loki's query API; ClickHouse through ../shared/logs/chquery.py).
# PEERS=0 runs gnomond alone (for iterating; ratios need the peer in the same run).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
LINES=${2:-1000000}
source "$(dirname "$0")/lib.sh"
KIT=$ROOT/../shared/logs

python3 "$KIT/gen_logs.py" --format jsonl --lines "$LINES" --seed 42 --out "$WORK/logs.jsonl" --ids-out "$WORK/ids.tsv"
mkdir "$WORK/chunks"
(cd "$WORK/chunks" && split -l 10000 -a 4 ../logs.jsonl x)
lines=$(wc -l < "$WORK/logs.jsonl")
raw=$(wc -c < "$WORK/logs.jsonl")
echo "data: $lines lines, $((raw / lines)) bytes/line raw"

# ---- gnomond
port=$(free_port)
"$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$WORK/gnomond" --log-level warn >"$WORK/gnomond.log" 2>&1 &
gpid=$!
pids+=("$gpid")
url="http://127.0.0.1:$port"
for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && break; sleep 0.1; done
wall=$(LOAD_CONTENT_TYPE=application/x-ndjson python3 "$ROOT/../shared/peers/load.py" "$url/api/v1/logs" "$WORK/chunks" 2)
hwm=$(awk '/VmHWM/{print $2}' "/proc/$gpid/status")
curl -sf -X POST "$url/internal/flush" >/dev/null
curl -sf -X POST "$url/internal/compact" >/dev/null
disk=$(du -sb "$WORK/gnomond" | cut -f1)
echo "gnomond lines=$lines load_wall_s=$wall lines_per_s=$(echo "$lines / $wall" | bc) peak_rss_kb=$hwm disk_bytes=$disk bytes_per_line=$(echo "scale=1; $disk / $lines" | bc)"
first=$(head -1 "$WORK/logs.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["ts"][:19])')
last=$(tail -1 "$WORK/logs.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["ts"][:19])')
python3 - "$url" "$WORK/ids.tsv" "$first" "$last" <<'PY'
import json, statistics, sys, time, urllib.parse, urllib.request
url, ids_file, first, last = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
day = first[:11]
def get(path, params=None):
    t = time.perf_counter()
    full = url + path + ("?" + urllib.parse.urlencode(params) if params else "")
    with urllib.request.urlopen(full, timeout=300) as r:
        body = json.load(r)
    return body, (time.perf_counter() - t) * 1000
rows = [l.split() for l in open(ids_file) if l.strip()]
rows = rows[::max(1, len(rows) // 300)][:300]
times, good = [], 0
for cid, count in rows:
    body, ms = get(f"/api/v1/logs/correlation/{cid}")
    times.append(ms)
    good += len(body["data"]["lines"]) == int(count)
print(f"id_lookup {statistics.median(times):.2f} {good}")
def ns(text):
    from datetime import datetime, timezone
    return str(int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc).timestamp()) * 10**9)
queries = {
    "service_errors_5min": {"query": '{service="payments", level="error"}', "start": ns(day + "18:00:00"),
                            "end": ns(day + "18:05:00"), "limit": "5000", "direction": "forward"},
    "substring_rare": {"query": '{service=~".+"} |= "SKU-04242"', "start": ns(first[:16] + ":00"),
                       "end": str(int(ns(last[:16] + ":00")) + 60 * 10**9), "limit": "5000"},
    "errors_per_service_minute": {"query": 'sum by (service) (count_over_time({service=~".+", level="error"}[1m]))',
                                  "start": ns(first[:16] + ":00"), "end": str(int(ns(last[:16] + ":00")) + 60 * 10**9),
                                  "step": "60"},
}
for name, params in queries.items():
    t = [get("/loki/api/v1/query_range", params)[1] for _ in range(10)]
    body = get("/loki/api/v1/query_range", params)[0]
    result = body["data"]["result"]
    if body["data"]["resultType"] == "streams":
        count = sum(len(s["values"]) for s in result)
    else:
        count = sum(int(float(v[1])) for s in result for v in s["values"])
    print(f"{name} {statistics.median(t):.2f} {count}")
PY
kill "$gpid"; wait "$gpid" 2>/dev/null || true

# ---- ClickHouse (the kit's script leaves it running and prints pid=N); PEERS=0 skips it
if [ "${PEERS:-1}" = 0 ]; then
  echo "clickhouse skipped (PEERS=0)"
elif command -v clickhouse-server >/dev/null; then
  ch=$(CH_PORT=${CH_PORT:-19500} bash "$KIT/clickhouse.sh" "$WORK/chunks" | tail -1)
  echo "$ch"
  chpid=${ch##*pid=}
  pids+=("$chpid")
  python3 "$KIT/chquery.py" "${CH_PORT:-19500}" "$WORK/ids.tsv" 300
  kill "$chpid" 2>/dev/null || true
else
  echo "clickhouse-server missing: scripts/install-deps.sh installs it"
fi
