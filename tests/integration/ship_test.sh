#!/usr/bin/env bash
# gnomon-ship end to end (issue 13): a real gnomon-ship process tails a file that is appended to
# and rotated by rename while the shipper is killed with SIGKILL twice and gnomond once; at the
# end every line is stored exactly once (by count and by correlation ID), and the shipper's state
# names the file's offset. Flags and bad arguments too.
source "$(dirname "$0")/lib.sh"
SHIP=$BUILD/gnomon-ship
start_gnomond "$WORK/data"
LOGS=$WORK/logs
mkdir -p "$LOGS"

check "--version" "gnomon-ship" "$("$SHIP" --version | cut -d' ' -f1)"
check_contains "--help" "--state-dir" "$("$SHIP" --help)"
r=$("$SHIP" --path "$LOGS/*.log" --state-dir "$WORK/state" 2>&1 || echo "exit=$?")
check_contains "no server: a clear error" "gnomon-ship: no server: give --server URL" "$r"
check_contains "and exit 2" "exit=2" "$r"
check_contains "a bad label" "--label oops: expected NAME=VALUE" "$("$SHIP" --server x --path y --state-dir z --label oops 2>&1 || true)"

SHIP_PID=
start_ship() {
  "$SHIP" --server "$GNOMOND_URL" --path "$LOGS/app.log" --state-dir "$WORK/state" --label env=ship \
    --batch-bytes 2000 --poll 50 --max-backoff 500 >>"$WORK/ship.log" 2>&1 &
  SHIP_PID=$!
  EXTRA_PIDS="$SHIP_PID"
}
start_ship
total=3000
for chunk in $(seq 0 29); do
  for i in $(seq $((chunk * 100)) $((chunk * 100 + 99))); do
    echo "{\"service\":\"app\",\"level\":\"info\",\"correlation_id\":\"ship-$i\",\"msg\":\"line $i\"}"
  done >> "$LOGS/app.log"
  case $chunk in
    8 | 20) kill -9 "$SHIP_PID"; wait "$SHIP_PID" 2>/dev/null || true; start_ship ;;
    12) mv "$LOGS/app.log" "$LOGS/app.log.1" ;;  # rotation by rename: the next chunk starts a new file
    15) kill -9 "$GNOMOND_PID"; wait "$GNOMOND_PID" 2>/dev/null || true
        # The same port: the shipper keeps its URL.
        port=${GNOMOND_URL##*:}
        "$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$WORK/data" >>"$WORK/gnomond2.log" 2>&1 &
        GNOMOND_PID=$!
        for _ in $(seq 100); do grep -q "listening on" "$WORK/gnomond2.log" 2>/dev/null && break; sleep 0.05; done ;;
  esac
  sleep 0.05
done

count() {
  curl -s "$GNOMOND_URL/loki/api/v1/query" --data-urlencode 'query=sum(count_over_time({env="ship"}[1h]))' |
    grep -o '"value":\[[0-9.]*,"[0-9]*"' | grep -o '"[0-9]*"$' | tr -d '"'
}
stored=0
for _ in $(seq 300); do  # at most 30 s
  stored=$(count || true)
  [ "${stored:-0}" -ge "$total" ] && break
  sleep 0.1
done
check "every line stored exactly once (by count)" "$total" "$stored"
wrong=0
for i in 0 99 100 799 800 801 1199 1200 1201 1499 1500 1501 2000 2001 2999; do
  n=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/ship-$i" | grep -o '"ts":' | wc -l)
  [ "$n" -eq 1 ] || { wrong=$((wrong + 1)); echo "ship-$i: $n lines"; }
done
check "sampled lines once each, around the kills and the rotation" 0 "$wrong"
check_contains "the state names the file" "$LOGS/app.log" "$(cat "$WORK/state/state")"
kill -TERM "$SHIP_PID"
wait "$SHIP_PID" || true
check_contains "a clean stop says what it shipped" 'msg="ship: stopped lines_shipped=' "$(cat "$WORK/ship.log")"
EXTRA_PIDS=
stop_gnomond || true

finish
