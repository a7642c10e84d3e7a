#!/usr/bin/env bash
# A real collector that nobody here wrote: Debian's syslog-ng tails a file of NDJSON log lines (from
# the shared kit's generator) and posts them in batches with its http() destination (batch-lines,
# body(), delimiter("\n")) to gnomond's POST /api/v1/logs; every sampled request is then found by its
# correlation ID with exactly its lines, in time order.
source "$(dirname "$0")/lib.sh"
GEN=$SRC/../shared/logs/gen_logs.py
[ -f "$GEN" ] || { echo "the log kit is missing: expected $GEN"; exit 1; }
SYSLOG_NG=$(command -v syslog-ng || true)
[ -n "$SYSLOG_NG" ] || { echo "syslog-ng is missing (scripts/install-deps.sh installs syslog-ng-core, syslog-ng-mod-http)"; exit 1; }

start_gnomond "$WORK/data"
python3 "$GEN" --format jsonl --lines 3000 --seed 11 --out "$WORK/app.log" --ids-out "$WORK/ids.tsv"
total=$(wc -l < "$WORK/app.log")

cat > "$WORK/syslog-ng.conf" <<EOF
@version: 3.38
options { stats_freq(0); };
source s_app { file("$WORK/app.log" flags(no-parse) follow-freq(0.2) log-fetch-limit(1000)); };
destination d_gnomon {
  http(url("$GNOMOND_URL/api/v1/logs")
       method("POST")
       headers("Content-Type: application/x-ndjson")
       body("\${MESSAGE}")
       delimiter("\n")
       batch-lines(500)
       batch-timeout(200));
};
log { source(s_app); destination(d_gnomon); };
EOF
"$SYSLOG_NG" -F --no-caps -f "$WORK/syslog-ng.conf" --persist-file="$WORK/syslog-ng.persist" \
  --pidfile="$WORK/syslog-ng.pid" --control="$WORK/syslog-ng.ctl" >"$WORK/syslog-ng.log" 2>&1 &
EXTRA_PIDS="$!"
sleep 0.5
kill -0 "$EXTRA_PIDS" 2>/dev/null || { cat "$WORK/syslog-ng.log"; echo "syslog-ng did not start"; exit 1; }

# Wait (at most 30 s) until every line has arrived: the last line's ID shows all its lines.
last_id=$(tail -1 "$WORK/ids.tsv" | cut -f1)
last_n=$(tail -1 "$WORK/ids.tsv" | cut -f2)
for _ in $(seq 150); do
  n=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/$last_id" | grep -o '"ts":' | wc -l || true)
  [ "$n" -ge "$last_n" ] && break
  sleep 0.2
done
out=$(python3 "$SRC/tests/integration/check_log_ids.py" "$GNOMOND_URL" "$WORK/ids.tsv")
check_contains "syslog-ng's lines: every sampled ID exact, in time order" "wrong=0 " "$out"
check "IDs checked" yes "$([ "$(grep -o 'checked=[0-9]*' <<<"$out" | cut -d= -f2)" -ge 10 ] && echo yes || echo "no: $out")"
posts=$(curl -s "$GNOMOND_URL/metrics" | grep -E '^gnomon_http_requests_total\{route="/api/v1/logs",code="204"\}' | awk '{print $2}')
check "syslog-ng batched its posts (several lines per request)" yes \
  "$([ -n "$posts" ] && [ "$posts" -ge 1 ] && [ "$posts" -lt "$total" ] && echo yes || echo "no: $posts posts for $total lines")"
check "syslog-ng reported no delivery errors" 0 "$(grep -ci 'error' "$WORK/syslog-ng.log" || true)"
stop_gnomond

finish
