#!/usr/bin/env bash
# A real Prometheus (Debian's package) scrapes gnomond's /metrics every second and remote_writes
# what it scrapes back to gnomond; the scraped series must then be readable through
# /api/v1/export, labelled as Prometheus labels them.
source "$(dirname "$0")/lib.sh"

command -v prometheus >/dev/null || { echo "prometheus is not installed (scripts/install-deps.sh installs it)"; exit 1; }
start_gnomond "$WORK/data"
target=${GNOMOND_URL#http://}
prom_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gnomond
    static_configs:
      - targets: ["$target"]
remote_write:
  - url: $GNOMOND_URL/api/v1/write
    queue_config:
      batch_send_deadline: 1s
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prom" \
  --web.listen-address=127.0.0.1:$prom_port >"$WORK/prom.log" 2>&1 &
EXTRA_PIDS=$!

found=""
for _ in $(seq 60); do
  r=$(curl -s "$GNOMOND_URL/api/v1/export?match[]=up&start=0")
  if grep -q '"job":"gnomond"' <<<"$r"; then found=$r; break; fi
  sleep 1
done
check_contains "up{job=gnomond} arrived over remote_write" "\"instance\":\"$target\"" "$found"
check_contains "up is 1" '"values":[1' "$found"
r=$(curl -s "$GNOMOND_URL/api/v1/export?match[]=gnomon_http_requests_total&start=0")
check_contains "gnomond's own metric scraped and written back" '"job":"gnomond"' "$r"
m=$(curl -s "$GNOMOND_URL/metrics")
check_contains "remote_write counted" 'gnomon_ingested_samples_total{protocol="remote_write"}' "$m"
check_contains "no failed remote_write requests" 'gnomon_http_requests_total{route="/api/v1/write",code="204"}' "$m"
if grep -q 'route="/api/v1/write",code="[45]' <<<"$m"; then check "remote_write errors" "none" "some"; fi
[ -n "$found" ] || tail -20 "$WORK/prom.log"
finish
