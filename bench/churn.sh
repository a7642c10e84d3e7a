#!/usr/bin/env bash
# bench/churn.sh BUILD [SERVICES=1000] [PODS=1000]: issue 16's series churn, gnomond alone.
# SERVICES x PODS series of req_count (bench/gen_cardinality.py, 3 samples each) are created,
# sealed (/internal/flush), then replaced by as many new ones (the pods restarted under new
# names), sealed again. After each step: gnomon_head_bytes (/metrics), split into the head's runs
# (gnomon_head_run_bytes) and the index entries (gnomon_index_bytes: series table + label index),
# the head's series with unsealed samples, the resident set (VmRSS) and its peak.
# What it shows: what a sealed (inactive) series still costs in memory, and whether the head
# returns to the level of SERVICES x PODS active series once the old ones are sealed.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
SERVICES=${2:-1000} PODS=${3:-1000}
source "$(dirname "$0")/lib.sh"
peers=$(cd "$ROOT/../shared/peers" && pwd)
port=$(free_port) url=http://127.0.0.1:$port
base_s=$(($(date +%s) - 120))
python3 "$ROOT/bench/gen_cardinality.py" "$SERVICES" "$PODS" 3 "$base_s" "$WORK/old" pod
python3 "$ROOT/bench/gen_cardinality.py" "$SERVICES" "$PODS" 3 "$((base_s + 30))" "$WORK/new" pod2
"$BUILD/gnomond" --listen "127.0.0.1:$port" --data-dir "$WORK/data" --log-level warn >"$WORK/gnomond.log" 2>&1 &
gpid=$!
pids+=($gpid)
wait_up "$url/health"
report() {  # STEP
  local m
  m=$(curl -sf "$url/metrics")
  echo "$1: series=$(awk '/^gnomon_series /{print $2}' <<<"$m") head_series=$(awk '/^gnomon_head_series /{print $2}' <<<"$m")" \
    "head_bytes=$(awk '/^gnomon_head_bytes /{print $2}' <<<"$m") (runs=$(awk '/^gnomon_head_run_bytes /{print $2}' <<<"$m")" \
    "index=$(awk '/^gnomon_index_bytes /{print $2}' <<<"$m"))" \
    "rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$gpid/status") peak_rss_kb=$(awk '/VmHWM/{print $2}' "/proc/$gpid/status")"
}
bash "$peers/load.sh" "$url/write" "$WORK/old" 2 >/dev/null
report "1. $((SERVICES * PODS)) series loaded"
curl -sf -XPOST "$url/internal/flush" >/dev/null
report "2. sealed"
bash "$peers/load.sh" "$url/write" "$WORK/new" 2 >/dev/null
report "3. as many new series loaded"
curl -sf -XPOST "$url/internal/flush" >/dev/null
report "4. sealed again"
