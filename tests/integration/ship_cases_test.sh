#!/usr/bin/env bash
# gnomon-ship's other cases (issue 13), one shipper over a glob: a file that appears while it runs,
# multi-line entries joined by a start pattern (the last one sent after the wait time), a file
# deleted while tailed (closed, and a new file at its path read from its start), and a gnomond
# behind a proxy that answers 503 for a while: the circuit breaker opens and closes again in the
# shipper's /metrics, and no line is lost or doubled. A status line is logged.
source "$(dirname "$0")/lib.sh"
SHIP=$BUILD/gnomon-ship
start_gnomond "$WORK/data"
LOGS=$WORK/logs
mkdir -p "$LOGS"

# gnomond behind a proxy that answers 503 while $WORK/down exists.
python3 "$SRC/tests/integration/unavailable_proxy.py" "$GNOMOND_URL" "$WORK/down" "$WORK/proxy.port" &
PROXY_PID=$!
for _ in $(seq 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.05; done
PROXY_URL=http://127.0.0.1:$(cat "$WORK/proxy.port")

json_lines() {  # json_lines SERVICE FROM TO
  for i in $(seq "$2" "$3"); do echo "{\"service\":\"$1\",\"level\":\"info\",\"cid\":\"$1-$i\",\"msg\":\"line $i\"}"; done
}
echo "{\"service\":\"a\",\"msg\":\"first\"}" > "$LOGS/a.log"
"$SHIP" --server "$PROXY_URL" --path "$LOGS/*.log" --state-dir "$WORK/state" --label env=cases \
  --listen 127.0.0.1:0 --batch-size 4KiB --batch-wait 20ms --poll-interval 50ms --min-backoff 50ms \
  --max-backoff 200ms --breaker-failures 3 --breaker-cooldown 300ms --status-interval 1s \
  --multiline-firstline '^(\{|\d{4}-\d\d-\d\d )' --multiline-max-wait-time 500ms >"$WORK/ship.log" 2>&1 &
SHIP_PID=$!
EXTRA_PIDS="$SHIP_PID $PROXY_PID"
for _ in $(seq 100); do grep -q "serving /metrics on" "$WORK/ship.log" && break; sleep 0.05; done
METRICS_URL=http://$(grep -o 'serving /metrics on [0-9.:]*' "$WORK/ship.log" | awk '{print $4}')/metrics

count() {  # count LOGQL-SELECTOR: the lines stored in the last hour
  curl -s "$GNOMOND_URL/loki/api/v1/query" --data-urlencode "query=sum(count_over_time($1[1h]))" |
    { grep -o '"value":\[[0-9.]*,"[0-9]*"' || true; } | { grep -o '"[0-9]*"$' || true; } | tr -d '"'
}
wait_count() {  # wait_count SELECTOR N: up to 20 s
  local n=0
  for _ in $(seq 200); do
    n=$(count "$1"); n=${n:-0}
    [ "$n" -ge "$2" ] && break
    sleep 0.1
  done
  echo "$n"
}
metric() { curl -s "$METRICS_URL" | awk -v m="$1" '$1 == m { print $2 }'; }

check "the file there at start" 1 "$(wait_count '{service="a"}' 1)"

# A new file matching the glob.
json_lines b 1 50 > "$LOGS/b.log"
check "a new file matching the glob is shipped" 50 "$(wait_count '{service="b"}' 50)"

# Multi-line entries: a stack trace is one entry; the last entry goes after the wait time.
{
  echo "2026-12-07 10:00:00 ERROR payment failed cid=mt-1"
  echo "  at charge(billing.go:42)"
  echo "  at main(main.go:7)"
  echo "Caused by: card declined"
  echo "2026-12-07 10:00:01 INFO compensated cid=mt-2"
  echo "  at refund(billing.go:80)"
} > "$LOGS/trace.log"
check "two entries of six lines" 2 "$(wait_count "{filename=\"$LOGS/trace.log\"}" 2)"
body=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/mt-1")
check_contains "the stack trace is one entry" 'payment failed cid=mt-1\n  at charge(billing.go:42)\n  at main(main.go:7)\nCaused by: card declined"' "$body"
check_contains "the last entry, sent after the wait" 'compensated cid=mt-2\n  at refund(billing.go:80)"' \
  "$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/mt-2")"

# A file deleted while tailed: closed once read; a new file at its path is read from its start.
json_lines c 1 30 > "$LOGS/c.log"
check "the file before it is deleted" 30 "$(wait_count '{service="c"}' 30)"
rm "$LOGS/c.log"
sleep 0.5
check "the deleted file is not held open" 0 "$(ls -l "/proc/$SHIP_PID/fd" 2>/dev/null | grep -c 'c.log (deleted)' || true)"
json_lines c 31 50 > "$LOGS/c.log"
check "a new file at the deleted one's path" 50 "$(wait_count '{service="c"}' 50)"

# gnomond answers 503 for a while: backoff, the breaker opens; then it recovers and closes.
touch "$WORK/down"
json_lines d 1 300 >> "$LOGS/d.log"
opened=0
for _ in $(seq 100); do
  opened=$(metric gnomon_ship_breaker_opened_total); [ "${opened:-0}" -ge 1 ] && break; sleep 0.1
done
check "the breaker opened while gnomond answered 503" 1 "$([ "${opened:-0}" -ge 1 ] && echo 1 || echo 0)"
check "its state is in the metrics" 1 "$(metric 'gnomon_ship_breaker_state{state="open"}')$(metric 'gnomon_ship_breaker_state{state="half-open"}' | tr -d 0)"
failures=$(metric gnomon_ship_push_failures_total)
check "failed pushes counted" 1 "$([ "${failures:-0}" -ge 3 ] && echo 1 || echo 0)"
stored=$(count '{service="d"}')
check "nothing of it stored meanwhile" 0 "${stored:-0}"
rm "$WORK/down"
check "every line once gnomond recovered" 300 "$(wait_count '{service="d"}' 300)"
closed=0
for _ in $(seq 100); do
  closed=$(metric 'gnomon_ship_breaker_state{state="closed"}'); [ "${closed:-0}" = 1 ] && break; sleep 0.1
done
check "the breaker closed again" 1 "$closed"
for _ in $(seq 50); do [ "$(metric "gnomon_ship_lag_bytes{path=\"$LOGS/d.log\"}")" = 0 ] && break; sleep 0.1; done
check "no lag left" 0 "$(metric "gnomon_ship_lag_bytes{path=\"$LOGS/d.log\"}")"
check "no line twice" 300 "$(count '{service="d"}')"
check "b still once" 50 "$(count '{service="b"}')"
check_contains "a status line" 'msg="ship: status files=' "$(cat "$WORK/ship.log")"
check_contains "breaker transitions logged" "circuit breaker is open" "$(cat "$WORK/ship.log")"

kill -TERM "$SHIP_PID"; wait "$SHIP_PID" || true
kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true
EXTRA_PIDS=
stop_gnomond || true
finish
