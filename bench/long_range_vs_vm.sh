#!/usr/bin/env bash
# bench/long_range_vs_vm.sh BUILD [DAYS=7] [HOSTS=100] [N=10]: issue 16's long ranges and start-up
# with the data kept.
#
# The reference TSBS cpu-only dataset (../shared/peers/gen_cpu.py: HOSTS hosts, 10 fields, 10 s)
# over DAYS days (7 by default: 60 M samples; the issue's 30 days, 2.6 G samples, do not fit this
# machine's time budget), loaded into gnomond (then /internal/flush: sealed chunks) and into
# VictoriaMetrics (../shared/peers/vm.sh) in the same run. Timed N times each, alternating between
# the servers request by request (median; VM with nocache=1):
#   avg by (hostname) (cpu_usage_user)   over the whole range, step 1 h
#   max_over_time(cpu_usage_user[1d])    over the whole range, step 1 d
# with the answers' series counts checked (HOSTS each) and gnomond's peak RSS during the queries.
#
# Then start-up with the days kept: gnomond restarted (SIGTERM) and timed from process start to
# /-/ready; then 1 M series more (bench/gen_cardinality.py, 1,000 x 1,000, 3 samples), and the
# restart and a kill -9 recovery timed again (count(req_count) checked after the crash). Compare
# with bench/cardinality_vs_vm.sh's restart with the 1 M series alone: open must not grow with the
# days kept. Exit status 1 if an answer is wrong.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
DAYS=${2:-7} HOSTS=${3:-100} N=${4:-10}
source "$(dirname "$0")/lib.sh"
peers=$(cd "$ROOT/../shared/peers" && pwd)
hours=$((DAYS * 24))
lp=/tmp/cpu_${HOSTS}h${hours}.lp chunks=/tmp/cpu_${HOSTS}h${hours}.chunks  # kept between runs
[ -s "$lp" ] || python3 "$peers/gen_cpu.py" --hosts "$HOSTS" --hours "$hours" >"$lp"
if [ ! -d "$chunks" ]; then mkdir -p "$chunks" && (cd "$chunks" && split -l 10000 -a 4 "$lp" x); fi
lines=$(wc -l <"$lp")
echo "dataset: $HOSTS hosts x $DAYS days at 10 s: $lines lines, $((lines * 10)) samples"
end=1700000000 start=$((1700000000 - DAYS * 86400))
failed=0
expect() {  # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "PROBLEM: $1: expected $2, got $3"; failed=1; fi
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
result_count() {  # FILE -> number of series in a Prometheus JSON answer, or "error"
  python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(len(r["data"]["result"]) if r.get("status") == "success" else "error")' "$1" 2>/dev/null || echo unparsable
}

# ---- load both
port=$(free_port) url=http://127.0.0.1:$port dir=$WORK/gnomond-data
start_gnomond() {  # -> gpid; the time of the start in t_start
  t_start=$(date +%s.%N)
  "$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$dir" --log-level warn "$@" >>"$WORK/gnomond.log" 2>&1 &
  gpid=$!
  pids+=($gpid)
}
ready_after_start() {  # -> seconds from t_start until /-/ready answers 200
  for _ in $(seq 3000); do
    curl -sf -o /dev/null "$url/-/ready" && break
    kill -0 "$gpid" 2>/dev/null || { echo "gnomond died" >&2; exit 1; }
    sleep 0.01
  done
  python3 -c "import time; print(f'{time.time() - $t_start:.2f}')"
}
printf '[limits]\nmax_query_series = 0\nmax_query_samples = 0\n' >"$WORK/unlimited.toml"
start_gnomond --config "$WORK/unlimited.toml"
wait_up "$url/health"
wall=$(bash "$peers/load.sh" "$url/write" "$chunks" 2)
curl -sf -XPOST "$url/internal/flush" >/dev/null
echo "gnomond load_wall_s=$wall samples_per_s=$(python3 -c "print(round($lines * 10 / $wall))") peak_rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$gpid/status") disk_bytes=$(du -sb "$dir" | cut -f1)"
vport=$(free_port)
out=$(VM_PORT=$vport bash "$peers/vm.sh" "$chunks")
echo "$out"
vpid=${out##*pid=}
pids+=($vpid)

# ---- the queries (memory: gnomond's resident set before, its peak after)
rss_before=$(awk '/VmRSS/{print $2}' "/proc/$gpid/status")
declare -A Q=(
  [avg_by_host_step_1h]="query=avg by (hostname) (cpu_usage_user)|step=3600"
  [max_over_time_1d_step_1d]="query=max_over_time(cpu_usage_user[1d])|step=86400"
)
printf '\n%-26s %10s %10s %10s %10s %7s %8s %8s\n' query g_first g_median vm_first vm_median ratio g_series vm_series
for name in avg_by_host_step_1h max_over_time_1d_step_1d; do
  IFS='|' read -r -a spec <<<"${Q[$name]}"
  args=(--data-urlencode "${spec[0]}" --data-urlencode "${spec[1]}" --data-urlencode "start=$start" --data-urlencode "end=$end")
  gt=() vt=()
  for _ in $(seq "$N"); do
    gt+=("$(curl -s -o "$WORK/g.json" -w '%{time_total}' "$url/api/v1/query_range" "${args[@]}")")
    vt+=("$(curl -s -o "$WORK/v.json" -w '%{time_total}' "http://127.0.0.1:$vport/api/v1/query_range" "${args[@]}" --data-urlencode nocache=1)")
  done
  gs=$(result_count "$WORK/g.json") vs=$(result_count "$WORK/v.json")
  expect "gnomond $name series" "$HOSTS" "$gs"
  expect "VictoriaMetrics $name series" "$HOSTS" "$vs"
  gm=$(median "${gt[@]}") vm=$(median "${vt[@]}")
  printf '%-26s %10s %10s %10s %10s %7s %8s %8s\n' "$name" "${gt[0]}" "$gm" "${vt[0]}" "$vm" \
    "$(python3 -c "print(f'{$gm / $vm:.2f}')")" "$gs" "$vs"
done
echo "gnomond rss_before_queries_kb=$rss_before peak_rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$gpid/status") (the peak includes the load)"
kill "$vpid"; wait "$vpid" 2>/dev/null || true

# ---- start-up with the days kept, then with 1 M series more
kill -TERM "$gpid"; wait "$gpid" || true
start_gnomond --config "$WORK/unlimited.toml"
echo "gnomond open_to_ready_s=$(ready_after_start) ($DAYS days kept)"
base_s=$(($(date +%s) - 90))
python3 "$ROOT/bench/gen_cardinality.py" 1000 1000 3 "$base_s" "$WORK/card"
bash "$peers/load.sh" "$url/write" "$WORK/card" 2 >/dev/null
kill -TERM "$gpid"; wait "$gpid" || true
start_gnomond --config "$WORK/unlimited.toml"
echo "gnomond open_to_ready_s=$(ready_after_start) ($DAYS days and 1 M series kept)"
kill -KILL "$gpid"; wait "$gpid" 2>/dev/null || true
start_gnomond --config "$WORK/unlimited.toml"
recover=$(ready_after_start)
count=$(curl -s "$url/api/v1/query" --data-urlencode 'query=count(req_count)' --data-urlencode "time=$((base_s + 21))" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
expect "count(req_count) after kill -9" 1000000 "$count"
echo "gnomond kill9_open_to_ready_s=$recover count_after=$count"
kill -TERM "$gpid"; wait "$gpid" || true
exit $failed
