#!/usr/bin/env bash
# bench/ship_vs_push.sh BUILD [LINES=1000000]: gnomon-ship against `gnomon logs push` on the same
# gen_logs.py NDJSON file (issue 13), each into a fresh gnomond (own data dir, --log-level warn).
#   push: `gnomon logs push FILE`, timed to its exit: wall, lines/s, the CLI's CPU seconds and peak
#         RSS (wait4's rusage, as /usr/bin/time -v reports them).
#   ship: `gnomon-ship --path FILE` with its defaults (1 MiB gzipped batches, batch_wait 1s — the
#         file's last, partial batch waits that long, plus up to a 200 ms poll_interval nap:
#         tail_wait_s is the gap before that last acknowledgement), timed from its start
#         until it acknowledged every line (its /metrics on an ephemeral --listen port, polled every
#         50 ms over one keep-alive connection: cheaper than a LogQL count, and gnomond acknowledges
#         only what it stored); its CPU seconds (utime+stime) and peak RSS (VmHWM) from /proc just
#         before it is stopped.
# After each run gnomond's stored count (LogQL count_over_time over the data's whole time range)
# must equal the file's lines; its peak RSS and CPU seconds during the run are printed too.
# The CLI's batch is set to the shipper's lines per batch (1 MiB / mean line bytes) so both send
# the same number of requests; PUSH_BATCH=N overrides it (PUSH_BATCH=default: the CLI's 5000).
# RUNS=k repeats push and ship alternately (default 1); SHIP_ARGS adds flags to gnomon-ship;
# TIMEOUT bounds each run in seconds (default 600). Ratio: ship lines/s / push lines/s of the
# same round (target ≥ 0.8; the shipper's RSS target ≤ 30 MB).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
LINES=${2:-1000000}
RUNS=${RUNS:-1}
TIMEOUT=${TIMEOUT:-600}
source "$(dirname "$0")/lib.sh"
KIT=$ROOT/../shared/logs
for bin in gnomond gnomon gnomon-ship; do
  [ -x "$BUILD/$bin" ] || { echo "missing $BUILD/$bin (targets gnomond gnomon_cli_bin gnomon_ship_bin)" >&2; exit 1; }
done

F=$WORK/logs.jsonl
python3 "$KIT/gen_logs.py" --format jsonl --lines "$LINES" --seed 42 --out "$F"
lines=$(wc -l < "$F")
raw=$(wc -c < "$F")
ship_batch_lines=$(( 1048576 * lines / raw ))
case "${PUSH_BATCH:-}" in
  "") push_batch=(--batch "$ship_batch_lines") ;;
  default) push_batch=() ;;
  *) push_batch=(--batch "$PUSH_BATCH") ;;
esac
echo "data: $lines lines, $raw bytes, $((raw / lines)) bytes/line; shipper batch 1 MiB = ~$ship_batch_lines lines; push ${push_batch[*]:-(default batch)}"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }  # calc FORMAT EXPR
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); print ($12 + $13) / t}' "/proc/$1/stat"; }
hwm_kb() { awk '/VmHWM/{print $2}' "/proc/$1/status"; }
# Stops a pid we started and waits for it, bounded (SIGKILL after 10 s).
stop() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

gpid=; url=
start_gnomond() {  # $1: a name for its data dir and log
  local port
  port=$(free_port)
  "$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$WORK/$1" --log-level warn >"$WORK/$1.log" 2>&1 &
  gpid=$!
  pids+=("$gpid")
  url="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -sf "$url/health" >/dev/null && return 0; sleep 0.1; done
  echo "gnomond did not start: $(tail -5 "$WORK/$1.log")" >&2
  exit 1
}
# gnomond's stored lines over the data's whole time range (the generator's timestamps are in the past).
stored() {
  curl -sf -m 120 -G "$url/loki/api/v1/query" --data-urlencode 'query=sum(count_over_time({service=~".+"}[10000d]))' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)'
}

declare -A push_rate ship_rate
run_push() {  # $1: round
  start_gnomond "push$1"
  local g0 out
  g0=$(cpu_s "$gpid")
  # wait4's rusage of the CLI: wall, peak RSS, CPU — what /usr/bin/time -v reports, at µs resolution.
  out=$(timeout "$TIMEOUT" python3 - "$BUILD/gnomon" --server "$url" logs push --quiet "${push_batch[@]}" "$F" <<'PY'
import os, resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.call(sys.argv[1:], stdout=sys.stderr)  # its "pushed N lines" is not ours
wall = time.perf_counter() - t
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{wall:.3f} {ru.ru_maxrss} {ru.ru_utime + ru.ru_stime:.2f} {rc}")
PY
  )
  read -r wall rss cpu rc <<<"$out"
  [ "$rc" = 0 ] || { echo "gnomon logs push failed (exit $rc)" >&2; exit 1; }
  local gcpu ghwm n
  gcpu=$(calc %.2f "$(cpu_s "$gpid") - $g0")
  ghwm=$(hwm_kb "$gpid")
  n=$(stored)
  stop "$gpid"
  push_rate[$1]=$(calc %d "$lines / $wall")
  echo "push run=$1 lines=$lines stored=$n wall_s=$wall lines_per_s=${push_rate[$1]} cli_cpu_s=$cpu cli_peak_rss_kb=$rss gnomond_cpu_s=$gcpu gnomond_peak_rss_kb=$ghwm"
  [ "$n" = "$lines" ] || { echo "push run=$1: gnomond stored $n of $lines lines" >&2; exit 1; }
}

run_ship() {  # $1: round
  start_gnomond "ship$1"
  local g0 t0 spid log="$WORK/ship$1.log" addr="" out
  g0=$(cpu_s "$gpid")
  t0=$(now)
  # shellcheck disable=SC2086
  "$BUILD/gnomon-ship" --server "$url" --path "$F" --state-dir "$WORK/ship$1-state" --listen 127.0.0.1:0 \
    ${SHIP_ARGS:-} 2>"$log" &
  spid=$!
  pids+=("$spid")
  for _ in $(seq 200); do
    addr=$(sed -n 's/.*serving \/metrics on \([0-9.:]*\).*/\1/p' "$log" | head -1)
    [ -n "$addr" ] && break
    kill -0 "$spid" 2>/dev/null || { echo "gnomon-ship exited: $(cat "$log")" >&2; exit 1; }
    sleep 0.01
  done
  [ -n "$addr" ] || { echo "gnomon-ship did not serve /metrics: $(cat "$log")" >&2; exit 1; }
  # Polls the shipper's acknowledged lines every 50 ms until all are in; prints when that happened,
  # the gap before the last acknowledgement (the last batch's batch_wait) and the failure counters.
  out=$(python3 - "$addr" "$lines" "$TIMEOUT" <<'PY'
import http.client, sys, time
addr, want, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
host, port = addr.rsplit(":", 1)
conn = http.client.HTTPConnection(host, int(port), timeout=10)
deadline = time.time() + timeout
last, last_change, prev_change, m = -1, None, None, {}
while True:
    t = time.time()
    try:
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode()
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        body = ""
    m = {l.split()[0]: l.split()[1] for l in body.splitlines() if l.startswith("gnomon_ship_") and " " in l}
    n = int(m.get("gnomon_ship_lines_shipped_total", 0))
    if n != last:
        prev_change, last_change, last = last_change, t, n
    if n >= want:
        break
    if t > deadline:
        print(f"TIMEOUT {n}")
        sys.exit(0)
    time.sleep(0.05)
tail = last_change - prev_change if prev_change else 0
print(f"{t:.6f} {tail:.2f} {m.get('gnomon_ship_push_failures_total', '?')} "
      f"{m.get('gnomon_ship_lines_skipped_total', '?')} {m.get('gnomon_ship_batches_sent_total', '?')}")
PY
  )
  if [ "${out%% *}" = TIMEOUT ]; then
    echo "ship run=$1: only ${out#* } of $lines lines acknowledged after ${TIMEOUT}s; log: $(tail -5 "$log")" >&2
    exit 1
  fi
  read -r t1 tail failures skipped batches <<<"$out"
  local cpu rss gcpu ghwm n wall
  cpu=$(cpu_s "$spid")
  rss=$(hwm_kb "$spid")
  stop "$spid"
  gcpu=$(calc %.2f "$(cpu_s "$gpid") - $g0")
  ghwm=$(hwm_kb "$gpid")
  n=$(stored)
  stop "$gpid"
  wall=$(calc %.3f "$t1 - $t0")
  ship_rate[$1]=$(calc %d "$lines / $wall")
  echo "ship run=$1 lines=$lines stored=$n wall_s=$wall lines_per_s=${ship_rate[$1]} tail_wait_s=$tail batches=$batches push_failures=$failures lines_skipped=$skipped ship_cpu_s=$cpu ship_peak_rss_kb=$rss gnomond_cpu_s=$gcpu gnomond_peak_rss_kb=$ghwm"
  [ "$n" = "$lines" ] || { echo "ship run=$1: gnomond stored $n of $lines lines" >&2; exit 1; }
}

for r in $(seq "$RUNS"); do
  run_push "$r"
  run_ship "$r"
  echo "ratio run=$r ship_over_push_lines_per_s=$(calc %.3f "${ship_rate[$r]} / ${push_rate[$r]}")"
done
