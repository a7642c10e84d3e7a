#!/usr/bin/env bash
# bench/query_vs_vm.sh BUILD_DIR [N] [HOSTS] [HOURS]: query latency of gnomond against
# VictoriaMetrics on the same data, in the same run. Loads the reference TSBS cpu-only dataset
# (../shared/peers/gen_cpu.py, 10,000-line batches, ../shared/peers/load.sh) into gnomond (then
# /internal/flush, so queries read sealed chunks) and into VictoriaMetrics (../shared/peers/vm.sh),
# then times the three queries of ../shared/peers/vmquery.sh against both (VM with nocache=1),
# N times each (default 20), alternating between the servers request by request, and prints first
# and median seconds and response bytes.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
n=${2:-20} hosts=${3:-100} hours=${4:-24}
here=$(cd "$(dirname "$0")" && pwd)
peers=$(cd "$here/../../shared/peers" && pwd)
gport=${GNOMOND_PORT:-18502} vport=${VM_PORT:-18428}
lp=/tmp/cpu_${hosts}h${hours}.lp chunks=/tmp/cpu_${hosts}h${hours}.chunks
[ -s $lp ] || python3 $peers/gen_cpu.py --hosts $hosts --hours $hours > $lp
if [ ! -d $chunks ]; then mkdir -p $chunks && (cd $chunks && split -l 10000 -a 4 $lp x); fi
echo "dataset: $lp lines=$(wc -l < $lp) samples=$(( $(wc -l < $lp) * 10 ))"

dir=/tmp/bench-query-gnomond; rm -rf $dir
"$build/gnomond" --listen 127.0.0.1:$gport --data-dir $dir --log-level warn &
gpid=$!
vpid=
cleanup() { kill $gpid $vpid 2>/dev/null; wait $gpid 2>/dev/null; rm -rf $dir; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$gport/health >/dev/null && break; sleep 0.1; done
echo "gnomond load_wall_s=$(bash $peers/load.sh http://127.0.0.1:$gport/write $chunks 2)"
curl -sf -XPOST http://127.0.0.1:$gport/internal/flush
out=$(VM_PORT=$vport bash $peers/vm.sh $chunks)
echo "$out"
vpid=${out##*pid=}

end=1700000000 start=$((1700000000 - 86400))
# curl_args EXTRA_PARAM PARAMS...: the --data-urlencode arguments of one query, in $args.
curl_args() {
  local extra=$1; shift
  args=()
  for p in "$@"; do args+=(--data-urlencode "$p"); done
  [ -n "$extra" ] && args+=(--data-urlencode "$extra")
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }

declare -A Q=(
  [avg_by_host_24h_step60]="/api/v1/query_range|query=avg by (hostname) (cpu_usage_user)|start=$start|end=$end|step=60"
  [one_series_raw_24h]="/api/v1/export|match[]=cpu_usage_user{hostname=\"host_7\"}|start=$start|end=$end"
  [max_rate_all_5m_24h]="/api/v1/query_range|query=max by (hostname) (max_over_time({__name__=~\"cpu_usage_.*\"}[5m]))|start=$start|end=$end|step=300"
)
printf '\n%-24s %12s %12s %12s %12s %8s %12s %12s\n' query gnomond_first gnomond_med vm_first vm_med ratio gnomond_B vm_B
for name in avg_by_host_24h_step60 one_series_raw_24h max_rate_all_5m_24h; do
  IFS='|' read -r -a spec <<<"${Q[$name]}"
  path=${spec[0]}
  curl_args "" "${spec[@]:1}"; gargs=("${args[@]}")
  curl_args nocache=1 "${spec[@]:1}"; vargs=("${args[@]}")
  # The two servers are timed alternately, request by request, so that a burst of load from the
  # shared machine falls on both. Timed runs discard the body (writing it to a file would add the
  # same fixed cost to both); one more run each keeps it for the byte count and the error check.
  gt=() vt=()
  for _ in $(seq $n); do
    gt+=("$(curl -s -o /dev/null -w '%{time_total}' -G "http://127.0.0.1:$gport$path" "${gargs[@]}")")
    vt+=("$(curl -s -o /dev/null -w '%{time_total}' -G "http://127.0.0.1:$vport$path" "${vargs[@]}")")
  done
  curl -s -o /tmp/bench-query-g.out -G "http://127.0.0.1:$gport$path" "${gargs[@]}"
  curl -s -o /tmp/bench-query-v.out -G "http://127.0.0.1:$vport$path" "${vargs[@]}"
  grep -q '"status":"error"' /tmp/bench-query-g.out && echo "gnomond error on $name: $(head -c 300 /tmp/bench-query-g.out)"
  gm=$(median "${gt[@]}") vm=$(median "${vt[@]}")
  printf '%-24s %12s %12s %12s %12s %8s %12s %12s\n' "$name" "${gt[0]}" "$gm" "${vt[0]}" "$vm" \
    "$(echo "scale=2; $gm / $vm" | bc)" "$(wc -c < /tmp/bench-query-g.out)" "$(wc -c < /tmp/bench-query-v.out)"
done
echo "(seconds, curl time_total; median of $n; ratio = gnomond median / VM median)"
rss() { awk '/VmHWM|VmRSS/{printf "%s %s kB  ", $1, $2}' /proc/$1/status; }
echo "gnomond memory after the queries: $(rss $gpid)(peak includes the load)"
echo "VM memory after the queries:      $(rss $vpid)"
