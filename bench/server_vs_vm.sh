#!/usr/bin/env bash
# bench/server_vs_vm.sh BUILD_DIR [HOSTS] [HOURS]: issue 3's ingest benchmark. Generates the
# reference TSBS cpu-only dataset with ../shared/peers/gen_cpu.py, splits it into 10,000-line
# batches and loads it with ../shared/peers/load.sh (2 keep-alive connections) into gnomond and
# into VictoriaMetrics (../shared/peers/vm.sh) in the same run. Prints load wall seconds, samples/s,
# peak RSS and on-disk bytes/sample for both, then gnomond's remote_write ingest rate.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
hosts=${2:-100} hours=${3:-24}
here=$(cd "$(dirname "$0")" && pwd)
peers=$(cd "$here/../../shared/peers" && pwd)
lp=/tmp/cpu_${hosts}h${hours}.lp chunks=/tmp/cpu_${hosts}h${hours}.chunks
[ -s $lp ] || python3 $peers/gen_cpu.py --hosts $hosts --hours $hours > $lp
if [ ! -d $chunks ]; then mkdir -p $chunks && (cd $chunks && split -l 10000 -a 4 $lp x); fi
lines=$(wc -l < $lp); samples=$((lines * 10))
echo "dataset: $lp lines=$lines samples=$samples bytes=$(wc -c < $lp)"

# gnomond
dir=/tmp/bench-gnomond; rm -rf $dir
"$build/gnomond" --listen 127.0.0.1:18501 --data-dir $dir --log-level warn &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18501/health >/dev/null && break; sleep 0.1; done
wall=$(bash $peers/load.sh http://127.0.0.1:18501/write $chunks 2)
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
curl -sf -XPOST http://127.0.0.1:18501/internal/flush
flushed=$(du -sb $dir | cut -f1)
curl -sf -XPOST http://127.0.0.1:18501/internal/compact
kill -TERM $pid; wait $pid
disk=$(du -sb $dir | cut -f1)
echo "gnomond load_wall_s=$wall samples_per_s=$(echo "$samples / $wall" | bc) peak_rss_kb=$hwm bytes_per_sample_after_flush=$(echo "scale=3; $flushed / $samples" | bc) disk_bytes=$disk bytes_per_sample=$(echo "scale=3; $disk / $samples" | bc) (after compact, like VM's force_merge)"

# VictoriaMetrics, same data, same loader
out=$(bash $peers/vm.sh $chunks)
kill ${out##*pid=} 2>/dev/null
vm_wall=$(sed -n 's/.*load_wall_s=\([0-9.]*\).*/\1/p' <<<"$out")
vm_disk=$(sed -n 's/.*disk_bytes=\([0-9]*\).*/\1/p' <<<"$out")
echo "$out samples_per_s=$(echo "$samples / $vm_wall" | bc) bytes_per_sample=$(echo "scale=3; $vm_disk / $samples" | bc)"
echo "ratio gnomond/vm samples_per_s=$(echo "scale=2; $vm_wall / $wall" | bc)"

# gnomond, Prometheus remote_write (snappy protobuf, 10 samples per series per request)
rw=/tmp/cpu_${hosts}h${hours}.rw
[ -d $rw ] || "$build/gnomon_remote_write_gen" --hosts $hosts --hours $hours --samples-per-series-per-request 10 --out $rw >/dev/null
rw_samples=$((hosts * 10 * ${hours%.*} * 360))
rm -rf $dir
"$build/gnomond" --listen 127.0.0.1:18501 --data-dir $dir --log-level warn &
pid=$!
for _ in $(seq 100); do curl -sf http://127.0.0.1:18501/health >/dev/null && break; sleep 0.1; done
wall=$(LOAD_CONTENT_TYPE=application/x-protobuf bash $peers/load.sh http://127.0.0.1:18501/api/v1/write $rw 2)
hwm=$(awk '/VmHWM/{print $2}' /proc/$pid/status)
kill -TERM $pid; wait $pid
echo "gnomond remote_write load_wall_s=$wall samples_per_s=$(echo "$rw_samples / $wall" | bc) peak_rss_kb=$hwm"
rm -rf $dir
