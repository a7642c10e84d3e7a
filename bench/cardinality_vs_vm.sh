#!/usr/bin/env bash
# bench/cardinality_vs_vm.sh BUILD [SERVICES=1000] [PODS=1000] [SAMPLES=3]: issue 16's
# high-cardinality benchmark — SERVICES x PODS series of one metric (`req_count{service,pod}`),
# SAMPLES samples each 10 s apart (ending a minute ago), as line protocol in 10,000-line batches
# (time step by time step: the first SERVICES x PODS lines create every series), loaded with
# ../shared/peers/load.sh (2 keep-alive connections) into gnomond and into VictoriaMetrics in the
# same run, one after the other.
#
# Per system: load wall seconds and samples/s, peak RSS (VmHWM after the load), bytes per sample on
# disk after a flush (gnomond /internal/flush; VM force_flush + force_merge), and three queries
# over every series, each the first time and warm (median of 3; both with their series limits
# lifted), their answers checked: `count(req_count)` (= SERVICES x PODS),
# `sum by (service) (rate(req_count[5m]))` (SERVICES results) and `topk(10, req_count)` (10).
# gnomond also: count() under its default limits (max_query_series = 100000), which must fail
# with 422, and how long the failure takes; restart to /-/ready after SIGTERM and after SIGKILL
# (crash recovery), with the count checked again. Exit status 1 if an answer is wrong.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
SERVICES=${2:-1000} PODS=${3:-1000} SAMPLES=${4:-3}
source "$(dirname "$0")/lib.sh"
peers=$(cd "$ROOT/../shared/peers" && pwd)
series=$((SERVICES * PODS)) total=$((SERVICES * PODS * SAMPLES))
now_s=$(date +%s)
base_s=$((now_s - 60 - 10 * SAMPLES))
query_t=$((base_s + 10 * (SAMPLES - 1) + 1))

# ---- the dataset
python3 "$ROOT/bench/gen_cardinality.py" "$SERVICES" "$PODS" "$SAMPLES" "$base_s" "$WORK/chunks"
echo "dataset: $SERVICES services x $PODS pods = $series series, $SAMPLES samples each, $total lines in $(ls "$WORK/chunks" | wc -l) batches"

query_time() {  # URL EXPR -> "SECONDS HTTP_CODE RESULTS FIRST_VALUE"
  curl -s -o "$WORK/q.json" -w '%{time_total} %{http_code}' "$1/api/v1/query" --data-urlencode "query=$2" \
    --data-urlencode "time=$query_t" --data-urlencode nocache=1
  python3 -c 'import json, sys
try:
    r = json.load(open(sys.argv[1]))
    d = r.get("data", {}).get("result", [])
    print(f" {len(d)} " + (d[0]["value"][1] if d else "none"))
except Exception:
    print(" 0 unparsable")' "$WORK/q.json"
}
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
failed=0
queries=('count(req_count)' 'sum by (service) (rate(req_count[5m]))' 'topk(10, req_count)')
names=(count sum_rate topk)
results=(1 "$SERVICES" 10)
# time_queries URL WHO: each query the first time and warm (median of 3), its answer checked;
# sets timings to " NAME_first_s=... NAME_warm_s=..." and warm_<WHO>_<NAME> for the ratios.
time_queries() {
  local i t code n value first warm
  timings=""
  for i in "${!queries[@]}"; do
    read -r first code n value <<<"$(query_time "$1" "${queries[$i]}")"
    warm=()
    for _ in 1 2 3; do read -r t code n value <<<"$(query_time "$1" "${queries[$i]}")"; warm+=("$t"); done
    expect "$2 ${names[$i]}: HTTP status" 200 "$code"
    expect "$2 ${names[$i]}: results" "${results[$i]}" "$n"
    [ "$i" = 0 ] && expect "$2 count" "$series" "$value"
    timings+=" ${names[$i]}_first_s=$first ${names[$i]}_warm_s=$(median3 "${warm[@]}")"
    printf -v "warm_$2_${names[$i]}" '%s' "$(median3 "${warm[@]}")"
  done
}
expect() {  # WHAT EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then echo "PROBLEM: $1: expected $2, got $3"; failed=1; fi
}
wait_ready() {  # URL PID -> seconds from now until URL/-/ready answers 200
  local t0 t1
  t0=$(date +%s.%N)
  for _ in $(seq 1200); do
    curl -sf -o /dev/null "$1/-/ready" && break
    kill -0 "$2" 2>/dev/null || { echo "server died" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s.%N)
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}

# ---- gnomond
port=$(free_port) url=http://127.0.0.1:$port dir=$WORK/gnomond-data
printf '[limits]\nmax_query_series = 0\nmax_query_samples = 0\n' >"$WORK/unlimited.toml"
start_gnomond() {  # CONFIG_ARGS...
  "$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$dir" --log-level warn "$@" >>"$WORK/gnomond.log" 2>&1 &
  gpid=$!
  pids+=($gpid)
}
start_gnomond --config "$WORK/unlimited.toml"
wait_up "$url/health"
wall=$(bash "$peers/load.sh" "$url/write" "$WORK/chunks" 2)
hwm=$(awk '/VmHWM/{print $2}' "/proc/$gpid/status")
curl -sf -XPOST "$url/internal/flush" >/dev/null
disk=$(du -sb "$dir" | cut -f1)
time_queries "$url" gnomond
echo "gnomond load_wall_s=$wall samples_per_s=$(python3 -c "print(round($total / $wall))") peak_rss_kb=$hwm" \
  "bytes_per_sample_after_flush=$(python3 -c "print(f'{$disk / $total:.3f}')")$timings"
# restart (SIGTERM), then under the default limits: the limit error and its time
kill -TERM "$gpid"; wait "$gpid" || true
start_gnomond
restart=$(wait_ready "$url" "$gpid")
if [ "$series" -gt 100000 ]; then
  read -r limit_t limit_code n value <<<"$(query_time "$url" 'count(req_count)')"
  expect "gnomond over max_query_series: HTTP status" 422 "$limit_code"
  why=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("error", ""))' "$WORK/q.json" 2>/dev/null || true)
  echo "gnomond restart_to_ready_s=$restart over_limit_answer_s=$limit_t (HTTP $limit_code: $why)"
else
  echo "gnomond restart_to_ready_s=$restart (fewer series than max_query_series: no limit check)"
fi
# crash recovery (SIGKILL), count checked again
kill -KILL "$gpid"; wait "$gpid" 2>/dev/null || true
start_gnomond --config "$WORK/unlimited.toml"
recover=$(wait_ready "$url" "$gpid")
read -r t code n value <<<"$(query_time "$url" 'count(req_count)')"
expect "gnomond count after kill -9" "$series" "$value"
echo "gnomond kill9_to_ready_s=$recover count_after=$value"
kill -TERM "$gpid"; wait "$gpid" || true
rm -rf "$dir"

# ---- VictoriaMetrics (its series limits lifted the same way)
vport=$(free_port) vurl=http://127.0.0.1:$vport vdir=$WORK/vm-data
victoria-metrics -httpListenAddr="127.0.0.1:$vport" -storageDataPath="$vdir" -retentionPeriod=100y \
  -search.latencyOffset=0s -search.maxUniqueTimeseries=100000000 -search.maxSamplesPerQuery=10000000000 \
  -loggerLevel=ERROR >"$WORK/vm.log" 2>&1 &
vpid=$!
pids+=($vpid)
wait_up "$vurl/health"
vwall=$(bash "$peers/load.sh" "$vurl/write" "$WORK/chunks" 2)
vhwm=$(awk '/VmHWM/{print $2}' "/proc/$vpid/status")
curl -sf "$vurl/internal/force_flush" >/dev/null; sleep 2
curl -sf "$vurl/internal/force_merge" >/dev/null; sleep 5
vdisk=$(du -sb "$vdir" | cut -f1)
time_queries "$vurl" vm
echo "vm load_wall_s=$vwall samples_per_s=$(python3 -c "print(round($total / $vwall))") peak_rss_kb=$vhwm" \
  "bytes_per_sample=$(python3 -c "print(f'{$vdisk / $total:.3f}')")$timings"
kill "$vpid"; wait "$vpid" 2>/dev/null || true

python3 - "$wall" "$vwall" "$hwm" "$vhwm" <<PY
wall, vwall, hwm, vhwm = map(float, "$wall $vwall $hwm $vhwm".split())
q = {"count": ($warm_gnomond_count, $warm_vm_count), "sum_rate": ($warm_gnomond_sum_rate, $warm_vm_sum_rate),
     "topk": ($warm_gnomond_topk, $warm_vm_topk)}
print(f"gnomond/vm: ingest samples/s {vwall / wall:.2f}x (target >= 2x), peak RSS {hwm / vhwm:.2f}x (target <= 1x), "
      + ", ".join(f"{k} warm {a / b:.2f}x" for k, (a, b) in q.items()) + " (targets <= 0.5x)")
PY
exit $failed
