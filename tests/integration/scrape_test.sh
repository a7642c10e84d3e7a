#!/usr/bin/env bash
# gnomond scrapes exporters itself (issue 15): Debian's real prometheus-node-exporter on a loopback
# port, scraped every second through a Prometheus-format scrape config named by [scrape]
# config_file: CPU, memory and network series queryable (with rate()), up and the report series,
# metric_relabel_configs and relabel_configs applied — the same series as a real Prometheus 2.42
# scraping the same exporter with the same config — /api/v1/targets in Prometheus' shape; when
# the exporter stops, up = 0 with the reason and its series go stale; a target serving bad
# exposition text fails with the line and reason while the others are unaffected; a reload picks
# up a new job.
source "$(dirname "$0")/lib.sh"
NODE_EXPORTER=$(command -v prometheus-node-exporter || true)
[ -n "$NODE_EXPORTER" ] || { echo "prometheus-node-exporter is missing: run scripts/install-deps.sh"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

NE_PORT=$(free_port)
"$NODE_EXPORTER" --web.listen-address="127.0.0.1:$NE_PORT" --collector.disable-defaults --collector.cpu \
  --collector.meminfo --collector.netdev --collector.loadavg >"$WORK/ne.log" 2>&1 &
NE_PID=$!
# A target whose exposition text is broken on line 3.
BAD_PORT=$(free_port)
mkdir -p "$WORK/bad"
printf '# TYPE ok gauge\nok 1\nbroken{ 2\n' >"$WORK/bad/metrics"
# The same server answers a metrics_path ending in '/' (and redirects the path without it).
mkdir -p "$WORK/bad/m"
printf 'slash_ok 1\n' >"$WORK/bad/m/index.html"
python3 -m http.server "$BAD_PORT" --bind 127.0.0.1 --directory "$WORK/bad" >/dev/null 2>&1 &
BAD_PID=$!
# A target that records the Authorization header of every scrape.
AUTH_PORT=$(free_port)
cat >"$WORK/auth_target.py" <<'PY'
import http.server, sys
log = open(sys.argv[2], "a")
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        log.write((self.headers.get("Authorization") or "-") + "\n")
        log.flush()
        body = b"auth_ok 1\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
python3 "$WORK/auth_target.py" "$AUTH_PORT" "$WORK/auth.log" &
AUTH_PID=$!
printf 'first' >"$WORK/password"
EXTRA_PIDS="$NE_PID $BAD_PID $AUTH_PID"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NE_PORT/metrics" >/dev/null && break; sleep 0.05; done

cat >"$WORK/scrape.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NE_PORT']
        labels: {env: test}
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'node_scrape_collector_.*'
        action: drop
    relabel_configs:
      - source_labels: [__address__]
        regex: '127\.0\.0\.1:(\d+)'
        target_label: port
        replacement: 'p\$1'
  - job_name: broken
    static_configs:
      - targets: ['127.0.0.1:$BAD_PORT']
  - job_name: slash
    metrics_path: /m/
    static_configs:
      - targets: ['127.0.0.1:$BAD_PORT']
  - job_name: toolarge
    metrics_path: /m/
    body_size_limit: 5B
    static_configs:
      - targets: ['127.0.0.1:$BAD_PORT']
  - job_name: auth
    basic_auth: {username: u, password_file: '$WORK/password'}
    static_configs:
      - targets: ['127.0.0.1:$AUTH_PORT']
  - job_name: skipped
    static_configs:
      - targets: ['127.0.0.1:1']
    relabel_configs:
      - action: drop
        source_labels: [__address__]
        regex: '.*:1'
EOF
printf '[scrape]\nconfig_file = "%s"\n' "$WORK/scrape.yml" >"$WORK/gnomond.toml"
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"

q() {  # q EXPR: the instant query's result count and first value as "N V"
  curl -s "$GNOMOND_URL/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(len(r), r[0]["value"][1] if r else "-")'
}
wait_for() {  # wait_for EXPR WANT_N [SECONDS]: until the query has WANT_N results
  local got=""
  for _ in $(seq $(( ${3:-15} * 5 ))); do
    got=$(q "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] && break
    sleep 0.2
  done
  echo "$got"
}

check "node target up" 1 "$(wait_for 'up{job="node",env="test"} == 1' 1)"
check "CPU usage with rate()" 1 "$([ "$(wait_for 'count(rate(node_cpu_seconds_total{mode="idle"}[3s]) >= 0)' 1)" = 1 ] && echo 1)"
check "available memory" 1 "$(q 'node_memory_MemAvailable_bytes{job="node",instance="127.0.0.1:'"$NE_PORT"'"} > 0' | cut -d' ' -f1)"
check "network receive rate" 1 "$([ "$(q 'count(rate(node_network_receive_bytes_total[3s]))' | cut -d' ' -f1)" = 1 ] && echo 1)"
check "a metrics_path ending in / is requested as written" 1 "$(wait_for 'slash_ok{job="slash"} == 1' 1)"
check "a body over body_size_limit: the scrape fails" 1 "$(wait_for 'up{job="toolarge"} == 0' 1)"
check_contains "a body over body_size_limit: lastError says so" "body size limit exceeded" \
  "$(curl -s "$GNOMOND_URL/api/v1/targets?state=active")"
check "a body over body_size_limit: nothing stored" 0 "$(q 'slash_ok{job="toolarge"}' | cut -d' ' -f1)"
# basic_auth's password_file is read at every scrape: a changed password is sent from the next one.
check "basic_auth target up" 1 "$(wait_for 'up{job="auth"} == 1' 1)"
check_contains "basic_auth: the password from the file" "Basic $(printf 'u:first' | base64)" "$(cat "$WORK/auth.log")"
printf 'second' >"$WORK/password"
for _ in $(seq 50); do grep -q "Basic $(printf 'u:second' | base64)" "$WORK/auth.log" && break; sleep 0.2; done
check_contains "basic_auth: the changed password, without a reload" "Basic $(printf 'u:second' | base64)" \
  "$(cat "$WORK/auth.log")"
check "relabel_configs made a target label" 1 "$(q 'up{port="p'"$NE_PORT"'"}' | cut -d' ' -f1)"
check "metric_relabel_configs dropped series" 0 "$(q '{__name__=~"node_scrape_collector_.*"}' | cut -d' ' -f1)"
for m in scrape_duration_seconds scrape_samples_scraped scrape_samples_post_metric_relabeling scrape_series_added; do
  check "report series $m" 1 "$(q "$m{job=\"node\"}" | cut -d' ' -f1)"
done
scraped=$(q 'scrape_samples_scraped{job="node"}' | cut -d' ' -f2)
kept=$(q 'scrape_samples_post_metric_relabeling{job="node"}' | cut -d' ' -f2)
check "the dropped ones are counted before, not after" 1 "$(python3 -c "print(int(float('$scraped') > float('$kept') > 0))")"

targets=$(curl -s "$GNOMOND_URL/api/v1/targets")
check_contains "targets: the node target, up" '"health":"up"' "$targets"
check_contains "targets: its scrape URL" "\"scrapeUrl\":\"http://127.0.0.1:$NE_PORT/metrics\"" "$targets"
check_contains "targets: the dropped one" '"droppedTargets":[{"discoveredLabels":{"__address__":"127.0.0.1:1"' "$targets"
check "broken target down" 1 "$(wait_for 'up{job="broken"} == 0' 1)"
check_contains "its lastError names the line" 'line 3' "$(curl -s "$GNOMOND_URL/api/v1/targets?state=active")"
check "nothing of the broken scrape stored" 0 "$(q 'ok' | cut -d' ' -f1)"

# The same config in a real Prometheus 2.42, scraping the same exporter: the same series (label
# sets) for the node job, relabelling and metric relabelling included.
PROM_PORT=$(free_port)
prometheus --config.file="$WORK/scrape.yml" --storage.tsdb.path="$WORK/prom" --web.listen-address="127.0.0.1:$PROM_PORT" \
  --log.level=warn >"$WORK/prom.log" 2>&1 &
PROM_PID=$!
EXTRA_PIDS="$NE_PID $BAD_PID $AUTH_PID $PROM_PID"
for _ in $(seq 150); do
  curl -s "http://127.0.0.1:$PROM_PORT/api/v1/query?query=up%7Bjob%3D%22node%22%7D" | grep -q '"value"' && break
  sleep 0.2
done
sleep 1.5  # a scrape or two more on both sides
series_set() {  # series_set URL: the node job's label sets of the last 20 s, one per line, sorted
  curl -s "$1/api/v1/series" --data-urlencode 'match[]={job="node"}' --data-urlencode "start=$(( $(date +%s) - 20 ))" |
    python3 -c 'import json, sys; [print(json.dumps(s, sort_keys=True)) for s in json.load(sys.stdin)["data"]]' | sort
}
series_set "$GNOMOND_URL" >"$WORK/g.series"
series_set "http://127.0.0.1:$PROM_PORT" >"$WORK/p.series"
check "Prometheus 2.42 stored series for the node job" 1 "$([ "$(wc -l <"$WORK/p.series")" -gt 50 ] && echo 1)"
check "the same series as Prometheus 2.42 (relabelling included)" "" "$(diff "$WORK/g.series" "$WORK/p.series" | head -5)"
kill "$PROM_PID"; wait "$PROM_PID" 2>/dev/null || true

# The exporter stops: up = 0 with the reason, its series stale.
kill "$NE_PID"; wait "$NE_PID" 2>/dev/null || true
check "node target down once the exporter stops" 1 "$(wait_for 'up{job="node"} == 0' 1)"
check "its series are stale" 0 "$(wait_for 'node_memory_MemAvailable_bytes' 0)"
node_error=$(curl -s "$GNOMOND_URL/api/v1/targets" | python3 -c '
import json, sys
print([t["lastError"] for t in json.load(sys.stdin)["data"]["activeTargets"] if t["scrapePool"] == "node"][0])')
check_contains "lastError says why" "cannot reach" "$node_error"
check_contains "gnomon targets lists them" "broken" "$("$BUILD/gnomon" targets --server "$GNOMOND_URL")"

# A reload with a new job: scraped, the old ones kept.
cat >>"$WORK/scrape.yml" <<EOF
  - job_name: self
    static_configs:
      - targets: ['${GNOMOND_URL#http://}']
EOF
check "reload" 200 "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$GNOMOND_URL/-/reload")"
check "the new job is scraped" 1 "$(wait_for 'up{job="self"} == 1' 1)"
check "gnomond's own metrics scraped" 1 "$(q 'count(gnomon_series{job="self"})' | cut -d' ' -f1)"
stop_gnomond
finish
