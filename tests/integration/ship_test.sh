#!/usr/bin/env bash
# gnomon-ship end to end (issue 13): a real gnomon-ship process tails a file that is appended to
# and rotated by rename and by copytruncate, and rotated once while the shipper is down, while the
# shipper is killed with SIGKILL three times and gnomond twice; at the end every line is stored
# exactly once (by count and by correlation ID), in order, and the shipper's state names the
# file's offset. Flags, the config file and bad arguments too.
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
check_contains "a bad flag value names the flag" "--batch-wait soon: " "$("$SHIP" --server x --path y --state-dir z --batch-wait soon 2>&1 || true)"
printf '[ship]\nserver = "http://127.0.0.1:1"\npaths = ["/nonexistent/*.log"]\nbatch_wiat = "1s"\n' > "$WORK/bad.toml"
check_contains "an unknown key in the file: file:line:col" "bad.toml:4:1: key \"ship.batch_wiat\": unknown key" \
  "$("$SHIP" --config "$WORK/bad.toml" 2>&1 || true)"
printf '[ship]\nmultiline_firstline = "(["\n' > "$WORK/bad2.toml"
check_contains "a bad pattern in the file" "invalid regular expression" "$("$SHIP" --config "$WORK/bad2.toml" 2>&1 || true)"

SHIP_PID=
# The server, paths and labels from a config file; batching and backoff from flags.
printf '[ship]\nserver = "%s"\npaths = ["%s"]\nlabels = { env = "ship" }\nstate_dir = "%s"\n' \
  "$GNOMOND_URL" "$LOGS/app.log" "$WORK/state" > "$WORK/ship.toml"
start_ship() {
  "$SHIP" --config "$WORK/ship.toml" --compression gzip --batch-size 2000 --batch-wait 20ms --poll-interval 50ms \
    --min-backoff 50ms --max-backoff 500ms --breaker-cooldown 200ms --rotate-wait 100ms >>"$WORK/ship.log" 2>&1 &
  SHIP_PID=$!
  EXTRA_PIDS="$SHIP_PID"
}
start_ship
restart_gnomond() {
  kill -9 "$GNOMOND_PID"; wait "$GNOMOND_PID" 2>/dev/null || true
  # The same port: the shipper keeps its URL.
  port=${GNOMOND_URL##*:}
  : > "$WORK/gnomond2.log"
  "$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$WORK/data" >>"$WORK/gnomond2.log" 2>&1 &
  GNOMOND_PID=$!
  for _ in $(seq 100); do grep -q "listening on" "$WORK/gnomond2.log" 2>/dev/null && break; sleep 0.05; done
}
total=4000
for chunk in $(seq 0 39); do
  if [ "$chunk" -eq 26 ]; then
    # Rotated while the shipper is down, before it read this chunk: found again by its inode.
    kill -9 "$SHIP_PID"; wait "$SHIP_PID" 2>/dev/null || true
  fi
  for i in $(seq $((chunk * 100)) $((chunk * 100 + 99))); do
    echo "{\"service\":\"app\",\"level\":\"info\",\"correlation_id\":\"ship-$i\",\"msg\":\"line $i\"}"
  done >> "$LOGS/app.log"
  case $chunk in
    8 | 20) kill -9 "$SHIP_PID"; wait "$SHIP_PID" 2>/dev/null || true; start_ship ;;
    12) mv "$LOGS/app.log" "$LOGS/app.log.1" ;;  # rotation by rename: the next chunk starts a new file
    15 | 33) restart_gnomond ;;
    22) # copytruncate: wait until this chunk is shipped (the copy is not tailed), then truncate
        for _ in $(seq 200); do
          n=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/ship-$((chunk * 100 + 99))" | { grep -o '"ts":' || true; } | wc -l)
          [ "$n" -ge 1 ] && break; sleep 0.05
        done
        cp "$LOGS/app.log" "$LOGS/app.log.copy"; : > "$LOGS/app.log" ;;
    26) mv "$LOGS/app.log" "$LOGS/app.log.2"; start_ship ;;
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
for i in 0 99 100 799 800 801 1199 1200 1201 1499 1500 1501 2000 2001 2299 2300 2301 2600 2699 2700 3300 3301 3999; do
  n=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/ship-$i" | grep -o '"ts":' | wc -l)
  [ "$n" -eq 1 ] || { wrong=$((wrong + 1)); echo "ship-$i: $n lines"; }
done
check "sampled lines once each, around the kills and the rotations" 0 "$wrong"
# In order per file: the lines come back in the order they were written (their times are the
# shipper's, stamped in reading order; JSON lines without "ts").
order=$(curl -s "$GNOMOND_URL/loki/api/v1/query_range" --data-urlencode 'query={env="ship"}' \
  --data-urlencode "start=$(( $(date +%s) - 600 ))000000000" --data-urlencode "limit=5000" --data-urlencode direction=forward |
  grep -o 'ship-[0-9]*' | tr -d 'ship-' | awk 'NR > 1 && $1 < prev { bad++; print "out of order: " prev " then " $1 > "/dev/stderr" } { prev = $1 } END { print bad + 0 }')
check "every line in the order written" 0 "$order"
check_contains "the state names the file" "$LOGS/app.log" "$(cat "$WORK/state/state")"
kill -TERM "$SHIP_PID"
wait "$SHIP_PID" || true
check_contains "a clean stop says what it shipped" 'msg="ship: stopped files=' "$(cat "$WORK/ship.log")"
check_contains "the rotated file was found again" "(rotated from $LOGS/app.log)" "$(cat "$WORK/ship.log")"
EXTRA_PIDS=
stop_gnomond || true

finish
