#!/usr/bin/env bash
# bench/console_vs_prometheus.sh BUILD [RUNS=5]: issue 14's benchmark — the time from navigation to
# a drawn chart of 1,000 series x 1,441 points (range 1d, step 60 s), in headless Chromium driven
# over the DevTools protocol (tests/console/cdp.mjs), for gnomond's console (/graph) and Prometheus
# 2.42's own /graph page (Debian's package: its classic UI, Rickshaw/SVG), on the same data in the
# same run, and the bytes each page transferred. Each navigation is a fresh browser profile (cold
# caches, both sides alike); the runs alternate between the two; medians are printed with the ratio.
#
# Data: gnomon_remote_write_gen --hosts 100 --hours 24 --interval 60 (the TSBS cpu shape: 100 hosts
# x 10 fields = 1,000 series, a point a minute for the last 24 h), POSTed as remote_write to both
# over one connection (Prometheus' receiver takes each series' samples in time order only).
# "Drawn": gnomond — the page set document.body.dataset.chartDrawn and lists 1,000 legend rows;
# Prometheus — 1,000 legend rows and a path per series in the chart's SVG.
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
RUNS=${2:-5}
source "$(dirname "$0")/lib.sh"
PEERS=$ROOT/../shared/peers

end_ms=$(date +%s%3N)
"$BUILD/gnomon_remote_write_gen" --hosts 100 --hours 24 --interval 60 --end-ms "$end_ms" \
  --samples-per-series-per-request 60 --out "$WORK/rw" >&2

gport=$(free_port) pport=$(free_port)
gurl=http://127.0.0.1:$gport purl=http://127.0.0.1:$pport
"$BUILD/gnomond" --listen 127.0.0.1:$gport --data-dir "$WORK/gnomond" --log-level warn >"$WORK/gnomond.log" 2>&1 &
pids+=($!)
printf 'global:\n  scrape_interval: 1h\n' >"$WORK/prometheus.yml"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/prometheus" \
  --web.listen-address=127.0.0.1:$pport --web.enable-remote-write-receiver --log.level=warn \
  >"$WORK/prometheus.log" 2>&1 &
pids+=($!)
wait_up "$gurl/health"
wait_up "$purl/-/ready"
for url in "$gurl" "$purl"; do
  LOAD_CONTENT_TYPE=application/x-protobuf bash "$PEERS/load.sh" "$url/api/v1/write" "$WORK/rw" 1 >/dev/null
done
for url in "$gurl" "$purl"; do
  n=$(curl -s "$url/api/v1/query" --data-urlencode 'query=count({__name__=~"cpu_.*"})' |
    grep -o '"value":\[[0-9.]*,"[0-9]*"' | grep -o '"[0-9]*"$' | tr -d '"')
  [ "$n" = 1000 ] || { echo "$url holds $n series, not 1000" >&2; exit 1; }
done

expr='{__name__=~"cpu_.*"}'
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$expr")
end_s=$((end_ms / 1000))
g_page="$gurl/graph?expr=$enc&range=1d&end=$end_s&step=60s"
p_page="$purl/graph?g0.expr=$enc&g0.tab=0&g0.stacked=0&g0.range_input=1d&g0.step_input=60&g0.end_input=$(date -u -d @$end_s '+%Y-%m-%d%%20%H:%M:%S')&g0.moment_input=$(date -u -d @$end_s '+%Y-%m-%d%%20%H:%M:%S')"
g_wait="document.body.dataset.chartDrawn && document.querySelectorAll('.legend-series').length >= 1000"
p_wait="document.querySelectorAll('.rickshaw_legend li').length >= 1000 && document.querySelectorAll('.rickshaw_graph svg path').length >= 1000"

measure() {  # NAME URL WAIT -> "ms bytes"
  local out
  out=$(node --experimental-websocket "$ROOT/tests/console/cdp.mjs" --url "$2" --wait "$3" --timeout 60000) || {
    echo "$1: $out" >&2
    exit 1
  }
  python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(r["waited_ms"], r["bytes"])' "$out"
}
: >"$WORK/results"
for r in $(seq "$RUNS"); do
  read -r gms gbytes <<<"$(measure gnomond "$g_page" "$g_wait")"
  read -r pms pbytes <<<"$(measure prometheus "$p_page" "$p_wait")"
  echo "run=$r gnomond_ms=$gms gnomond_bytes=$gbytes prometheus_ms=$pms prometheus_bytes=$pbytes"
  echo "$gms $gbytes $pms $pbytes" >>"$WORK/results"
done
python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
g, gb, p, pb = (statistics.median(c) for c in zip(*rows))
print(f"median: gnomond {g:.0f} ms, {gb / 1e6:.2f} MB; prometheus {p:.0f} ms, {pb / 1e6:.2f} MB; "
      f"time ratio {g / p:.2f}x, bytes ratio {gb / pb:.2f}x")
PY
