#!/usr/bin/env bash
# PromQL compatibility against a real Prometheus on the same data: ../shared/promql/gen_mixed.py
# generates it, promtool backfills it into blocks a real Prometheus (Debian's package) serves, and
# gnomond imports the same series through /api/v1/import. compare.py then asks both servers every
# query of the shared set and of tests/promql/extra_queries.txt (three instant times and a 2-hour
# range each) and the test fails unless every query gives the same answer.
source "$(dirname "$0")/lib.sh"

KIT=$SRC/../shared/promql
[ -f "$KIT/compare.py" ] || { echo "the PromQL kit is missing: expected $KIT (../shared/promql beside the repository)"; exit 1; }
for tool in prometheus promtool python3; do
  command -v $tool >/dev/null || { echo "$tool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
done

# ---- reference: promtool backfill + Prometheus
python3 "$KIT/gen_mixed.py" --format om > "$WORK/mixed.om"
promtool tsdb create-blocks-from openmetrics "$WORK/mixed.om" "$WORK/prom" >"$WORK/promtool.log" 2>&1 ||
  { cat "$WORK/promtool.log"; echo "promtool backfill failed"; exit 1; }
printf 'global:\n  scrape_interval: 1m\n' > "$WORK/prometheus.yml"
prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" --storage.tsdb.retention.time=100y \
  --web.listen-address=127.0.0.1:$prom_port >"$WORK/prom.log" 2>&1 &
EXTRA_PIDS=$!
REF=http://127.0.0.1:$prom_port
for _ in $(seq 150); do
  curl -sf "$REF/-/ready" >/dev/null && break
  kill -0 $EXTRA_PIDS 2>/dev/null || { cat "$WORK/prom.log"; echo "prometheus died"; exit 1; }
  sleep 0.2
done
curl -sf "$REF/-/ready" >/dev/null || { cat "$WORK/prom.log"; echo "prometheus did not become ready"; exit 1; }

# ---- candidate: gnomond with the same series imported
start_gnomond "$WORK/data"
python3 "$KIT/gen_mixed.py" --format jsonl > "$WORK/mixed.jsonl"
mkdir "$WORK/import" && (cd "$WORK/import" && split -l 20 "$WORK/mixed.jsonl" part)
for f in "$WORK"/import/part*; do
  check "import $(basename "$f")" "204 " "$(http POST /api/v1/import --data-binary @"$f")"
done
# ---- the metadata endpoints answer the same (JSON compared after parsing; order included).
# Not compared: labels and label values for a window in which a matched series has no samples;
# gnomond leaves such series out as /api/v1/series does, Prometheus 2.x looks at whole blocks.
same_json() { python3 -c 'import json,sys; a,b=(json.loads(x) for x in sys.argv[1:]); print("same" if a==b and a["status"]=="success" else "differ: %.300s | %.300s" % (sys.argv[1], sys.argv[2]))' "$1" "$2"; }
for path in '/api/v1/series?match[]={__name__=~".%2B"}' '/api/v1/series?match[]=up&match[]=batch_job_last_success{zone="a"}&start=1699990000&end=1700000000' \
    '/api/v1/series?match[]=batch_job_last_success&start=1699999000&end=1700000000' \
    '/api/v1/labels' '/api/v1/labels?match[]=up' '/api/v1/labels?start=1699990000&end=1700000000' \
    '/api/v1/label/__name__/values' '/api/v1/label/le/values?match[]=http_request_duration_seconds_bucket{zone="b"}' \
    '/api/v1/label/instance/values?match[]=batch_job_last_success&start=1699980000&end=1700000000' '/api/v1/label/nope/values'; do
  check "$path" same "$(same_json "$(curl -sg "$REF$path")" "$(curl -sg "$GNOMOND_URL$path")")"
done

# ---- compare
for queries in "$KIT/queries.txt" "$SRC/tests/promql/extra_queries.txt"; do
  out=$(python3 "$KIT/compare.py" "$REF" "$GNOMOND_URL" "$queries" --verbose) || true
  echo "$(basename "$queries"): $(tail -1 <<<"$out")"
  summary=$(tail -1 <<<"$out")
  if [[ "$summary" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then summary=ok; fi
  check "compare.py $(basename "$queries")" ok "$summary"
  grep -A1 '^DIFF' <<<"$out" || true
done

finish
