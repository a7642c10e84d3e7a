#!/usr/bin/env bash
# Forwarding ([[remote_write]], src/forward) to real receivers from Debian: victoria-metrics and
# prometheus --web.enable-remote-write-receiver. What gnomond stores reaches both, series and
# samples equal; then VictoriaMetrics is stopped, more is written, gnomond is killed with SIGKILL,
# restarted, more is written, VictoriaMetrics comes back: every sample is there, and nothing was
# sent again but the batch that may have been in flight.
# Usage: forward_test.sh BUILD_DIR SOURCE_DIR
source "$(dirname "$0")/lib.sh"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

VM_PORT=$(free_port)
start_vm() {
  # -dedup.minScrapeInterval: a sample sent twice (after a kill -9) counts once, as it should.
  victoria-metrics -httpListenAddr="127.0.0.1:$VM_PORT" -storageDataPath="$WORK/vm" -loggerLevel=ERROR \
    -search.latencyOffset=0s -dedup.minScrapeInterval=1ms >>"$WORK/vm.log" 2>&1 &
  VM_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$VM_PORT/health" >/dev/null && return; sleep 0.1; done
  cat "$WORK/vm.log"; echo "victoria-metrics did not start"; exit 1
}
start_vm
PROM_PORT=$(free_port)
printf 'global:\n  scrape_interval: 1h\n' >"$WORK/prom.yml"
prometheus --config.file="$WORK/prom.yml" --storage.tsdb.path="$WORK/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
  --web.enable-remote-write-receiver --log.level=warn >"$WORK/prom.log" 2>&1 &
PROM_PID=$!
EXTRA_PIDS="$VM_PID $PROM_PID"
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && break; sleep 0.2; done

cat >"$WORK/gnomond.toml" <<EOF
[[remote_write]]
name = "vm"
url = "http://127.0.0.1:$VM_PORT/api/v1/write"
queue = { max_samples_per_send = 500, batch_send_deadline = "100ms", min_backoff = "10ms", max_backoff = "200ms" }

[[remote_write]]
url = "http://127.0.0.1:$PROM_PORT/api/v1/write"
headers = { "X-Test" = "gnomon" }
queue = { batch_send_deadline = "100ms" }
EOF
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"

# push FIRST COUNT: 50 series fw_v{s}, samples at now-600s + k s for k in [FIRST, FIRST + COUNT).
BASE=$(( $(date +%s) - 600 ))
push() {
  python3 - "$1" "$2" "$BASE" >"$WORK/body.lp" <<'PY'
import sys
first, count, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
for k in range(first, first + count):
    for s in range(50):
        print(f"fw,s=s{s} v={k * 100 + s} {(base + k) * 10**9}")
PY
  check "push $1+$2 accepted" 204 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$WORK/body.lp" "$GNOMOND_URL/write")"
}
# count URL: samples of fw_v in the last 20 minutes, over all series (VictoriaMetrics flushed first).
count() {
  curl -s "$1/api/v1/query" --data-urlencode 'query=sum(count_over_time(fw_v[20m]))' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)'
}
wait_count() {  # wait_count URL WANT: up to 20 s
  local got=
  for _ in $(seq 100); do
    curl -s "http://127.0.0.1:$VM_PORT/internal/force_flush" >/dev/null 2>&1 || true
    got=$(count "$1")
    [ "$got" == "$2" ] && break
    sleep 0.2
  done
  echo "$got"
}

push 0 100
check "VictoriaMetrics has every sample" 5000 "$(wait_count "http://127.0.0.1:$VM_PORT" 5000)"
check "Prometheus has every sample" 5000 "$(wait_count "http://127.0.0.1:$PROM_PORT" 5000)"
series() {  # series URL: the label sets of fw_v, one per line, sorted
  curl -s "$1/api/v1/series" --data-urlencode 'match[]=fw_v' --data-urlencode "start=$((BASE - 10))" |
    python3 -c 'import json, sys; [print(json.dumps(s, sort_keys=True)) for s in json.load(sys.stdin)["data"]]' | sort
}
series "$GNOMOND_URL" >"$WORK/g.series"
check "50 series stored" 50 "$(wc -l <"$WORK/g.series")"
check "VictoriaMetrics: the same series" "" "$(series "http://127.0.0.1:$VM_PORT" | diff "$WORK/g.series" - | head -3)"
check "Prometheus: the same series" "" "$(series "http://127.0.0.1:$PROM_PORT" | diff "$WORK/g.series" - | head -3)"
q1='query=sum(fw_v)'
values() { curl -s "$1/api/v1/query" --data-urlencode "$q1" --data-urlencode "time=$((BASE + 99))" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])'; }
check "VictoriaMetrics: the same values" "$(values "$GNOMOND_URL")" "$(values "http://127.0.0.1:$VM_PORT")"
metrics=$(curl -s "$GNOMOND_URL/metrics")
check_contains "/metrics: samples sent to vm" 'gnomon_remote_storage_samples_total{remote_name="vm",url="http://127.0.0.1:'"$VM_PORT"'/api/v1/write"} 5000' "$metrics"
check_contains "/metrics: the unnamed destination is named after its url" "remote_name=\"127_0_0_1_${PROM_PORT}_api_v1_write\"" "$metrics"

# VictoriaMetrics down; more written; gnomond killed and restarted; more written; VM back.
kill "$VM_PID"; wait "$VM_PID" 2>/dev/null || true
push 100 100
sleep 0.5  # the sender fails and backs off
check_contains "/metrics: failed requests counted" 'gnomon_remote_storage_failed_requests_total{remote_name="vm"' "$(curl -s "$GNOMOND_URL/metrics" | grep -v ' 0$')"
kill -9 "$GNOMOND_PID"; wait "$GNOMOND_PID" 2>/dev/null || true
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"
push 200 100
start_vm
EXTRA_PIDS="$VM_PID $PROM_PID"
check "VictoriaMetrics back: every sample" 15000 "$(wait_count "http://127.0.0.1:$VM_PORT" 15000)"
# Sent since the restart: batches 100-299 (10,000 samples, the first 5,000 were acknowledged before
# the kill), plus at most the read round that was in flight: whole WAL records, here one push of
# 5,000 samples (sent as requests of 500, acknowledged together).
sent=$(curl -s "$GNOMOND_URL/metrics" | awk '/^gnomon_remote_storage_samples_total\{remote_name="vm"/{print $2}')
check "nothing re-sent beyond the last unacknowledged batch ($sent sent)" 1 "$([ "$sent" -ge 10000 ] && [ "$sent" -le 15000 ] && echo 1)"
check "Prometheus: every sample" 15000 "$(wait_count "http://127.0.0.1:$PROM_PORT" 15000)"
check "gnomond: every sample" 15000 "$(count "$GNOMOND_URL")"
stop_gnomond
finish
