#!/usr/bin/env bash
# bench/scrape_vs_peers.sh BUILD [TARGETS=100] [SERIES=1000] [SECONDS=120] [INTERVAL=5s]: issue 15's
# benchmark — gnomond, Prometheus 2.42 (Debian's `prometheus`) and VictoriaMetrics (Debian's
# `victoria-metrics`, -promscrape.config) scraping the same TARGETS loopback exporters of SERIES
# series each, with the same scrape config file, in the same run.
#
# Targets: bench/scrape_targets.py, one asyncio process listening on TARGETS ports (distinct
# __address__es), each serving a text exposition of SERIES `bench_metric` series with 4 labels
# whose values change every scrape (precomputed format strings; its CPU time is printed too).
# Config: one job `bench`, scrape_interval = scrape_timeout = INTERVAL, the TARGETS addresses in
# one static_config; nothing else scraped (no self-scrape).
#
# The three systems run one after the other, never together (a 2-core machine): each starts on a
# fresh data directory and a free loopback port, the script waits until `count(up{job="bench"} ==
# 1)` = TARGETS (every target scraped once, about one interval, since offsets are spread over it),
# then takes the baseline: CPU (utime + stime of /proc/PID/stat) at t0; SECONDS later, at t1, CPU
# again and VmHWM (peak RSS, start-up included); then, after 3 s for the last writes to become
# visible, the system itself is asked, at time=t1 over the window W = t1 - t0 (same queries for all):
#   samples   sum(sum_over_time(scrape_samples_scraped{job="bench"}[W]))   samples scraped
#   stored    sum(count_over_time(bench_metric[W]))                          samples stored (must = samples)
#   scrapes   sum(count_over_time(up{job="bench"}[W])), ok = sum(sum_over_time(up{...}[W]))
#   series    count(bench_metric)                                            must = TARGETS * SERIES
#   scrape_ms avg(avg_over_time(scrape_duration_seconds{job="bench"}[W])) * 1000
# and it is stopped (SIGTERM, waited for) before the next one starts. cpu_ns_per_sample = CPU
# seconds over the window / samples. VictoriaMetrics runs with -search.latencyOffset=0s and the
# queries carry nocache=1. The load average is printed with each window (the machine is shared).
# Exit status 1 if a check fails (series count, stored != scraped, failed scrapes).
# SYSTEMS (default "gnomond prometheus victoria-metrics") runs a subset, e.g. SYSTEMS=gnomond.
#
# The machine is shared and its speed drifts: the same work can cost twice the CPU seconds a few
# minutes later. Two aids: targets_cpu_s, the target server's CPU time in the same window (identical
# work in every window, so a gauge of the machine's speed then), and cpu_per_ref = cpu_s /
# targets_cpu_s (a rough speed-corrected figure, printed beside the plain one); and ROUNDS=N (default
# 1) runs the systems N times, the order rotated each round, and summarises with medians (CPU) and
# maxima (peak RSS).
set -euo pipefail
BUILD=$(cd "${1:?build dir}" && pwd)
TARGETS=${2:-100} SERIES=${3:-1000} SECONDS_=${4:-120} INTERVAL=${5:-5s}
source "$(dirname "$0")/lib.sh"
for tool in "$BUILD/gnomond" prometheus victoria-metrics; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done
hz=$(getconf CLK_TCK)
interval_s=$(python3 -c 'import re, sys
m = re.fullmatch(r"(\d+)(ms|s|m|h)", sys.argv[1]) or sys.exit("INTERVAL: e.g. 5s, 500ms, 1m")
print(int(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m[2]])' "$INTERVAL")
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# ---- targets ----
python3 "$ROOT/bench/scrape_targets.py" "$TARGETS" "$SERIES" "$WORK/ports" >"$WORK/targets.log" 2>&1 &
tpid=$!
pids+=($tpid)
for _ in $(seq 300); do [ -s "$WORK/ports" ] && break; kill -0 $tpid 2>/dev/null || break; sleep 0.1; done
[ -s "$WORK/ports" ] || { echo "the target server did not start:" >&2; cat "$WORK/targets.log" >&2; exit 1; }
read -r -a ports <"$WORK/ports"
{
  printf 'global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n' "$INTERVAL" "$INTERVAL"
  printf '  - job_name: bench\n    static_configs:\n      - targets:\n'
  for p in "${ports[@]}"; do printf "          - '127.0.0.1:%s'\n" "$p"; done
} >"$WORK/scrape.yml"
curl -sf "http://127.0.0.1:${ports[0]}/metrics" | grep -c '^bench_metric{' | grep -qx "$SERIES" ||
  { echo "target 0 does not serve $SERIES series" >&2; exit 1; }

query() {  # URL EXPR TIME -> the scalar value of a one-element instant vector ("" if empty)
  curl -sf "$1/api/v1/query" --data-urlencode "query=$2" --data-urlencode "time=$3" --data-urlencode nocache=1 |
    python3 -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

failed=0
: >"$WORK/results"
run() {  # ROUND NAME READY_PATH COMMAND...
  local round=$1 name=$2 ready=$3 port
  shift 3
  port=$(free_port)
  local url=http://127.0.0.1:$port
  local args=("$@")
  args=("${args[@]//@PORT@/$port}")
  args=("${args[@]//@DATA@/$WORK/$name-data-$round}")
  "${args[@]}" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  pids+=($pid)
  for _ in $(seq 300); do
    curl -sf -o /dev/null "$url$ready" && break
    kill -0 $pid 2>/dev/null || { echo "$name died:" >&2; tail -20 "$WORK/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  # every target scraped once (and successfully), up to 3 intervals + 30 s
  local up="" deadline=$((SECONDS + 3 * ${interval_s%.*} + 30))
  while [ $SECONDS -lt $deadline ]; do
    up=$(query "$url" "count(up{job=\"bench\"} == 1)" "$(date +%s.%N)" || true)
    [ "$up" = "$TARGETS" ] && break
    sleep 0.5
  done
  [ "$up" = "$TARGETS" ] || { echo "$name: only '$up' of $TARGETS targets up" >&2; tail -20 "$WORK/$name.log" >&2; exit 1; }
  local c0 tc0 t0 c1 tc1 t1 hwm rss load0 load1
  c0=$(cpu_ticks $pid) tc0=$(cpu_ticks $tpid) t0=$(date +%s.%N) load0=$(cut -d' ' -f1-3 /proc/loadavg)
  sleep "$SECONDS_"
  c1=$(cpu_ticks $pid) tc1=$(cpu_ticks $tpid) t1=$(date +%s.%N) load1=$(cut -d' ' -f1-3 /proc/loadavg)
  hwm=$(status_kb $pid VmHWM) rss=$(status_kb $pid VmRSS)
  sleep 3
  local w
  w=$(python3 -c "print(f'{int(($t1 - $t0) * 1000)}ms')")
  local samples stored scrapes ok series dur
  samples=$(query "$url" "sum(sum_over_time(scrape_samples_scraped{job=\"bench\"}[$w]))" "$t1")
  stored=$(query "$url" "sum(count_over_time(bench_metric[$w]))" "$t1")
  scrapes=$(query "$url" "sum(count_over_time(up{job=\"bench\"}[$w]))" "$t1")
  ok=$(query "$url" "sum(sum_over_time(up{job=\"bench\"}[$w]))" "$t1")
  series=$(query "$url" "count(bench_metric)" "$t1")
  dur=$(query "$url" "avg(avg_over_time(scrape_duration_seconds{job=\"bench\"}[$w])) * 1000" "$t1")
  kill $pid
  wait $pid 2>/dev/null || true
  python3 - "$round" "$name" "$hz" "$c0" "$c1" "$tc0" "$tc1" "$t0" "$t1" "$hwm" "$rss" "$samples" "$stored" "$scrapes" "$ok" \
    "$series" "$dur" "$TARGETS" "$SERIES" "$load0" "$load1" "$WORK/results" <<'PY'
import json, sys
(rnd, name, hz, c0, c1, tc0, tc1, t0, t1, hwm, rss, samples, stored, scrapes, ok, series, dur, targets,
 nseries, load0, load1, out) = sys.argv[1:]
hz = float(hz)
num = lambda s: float(s) if s not in ("", "NaN") else float("nan")
r = dict(round=int(rnd), system=name, window_s=round(float(t1) - float(t0), 1), cpu_s=(int(c1) - int(c0)) / hz,
         samples=num(samples), stored=num(stored), scrapes=num(scrapes), scrapes_ok=num(ok),
         series=num(series), scrape_ms=num(dur), peak_rss_kb=int(hwm), rss_kb=int(rss),
         targets_cpu_s=(int(tc1) - int(tc0)) / hz, load=f"{load0} -> {load1}")
r["cpu_ns_per_sample"] = r["cpu_s"] * 1e9 / r["samples"] if r["samples"] > 0 else float("nan")
r["cpu_per_ref"] = r["cpu_s"] / r["targets_cpu_s"] if r["targets_cpu_s"] > 0 else float("nan")
problems = []
if r["series"] != int(targets) * int(nseries):
    problems.append(f"count(bench_metric) = {series}, not {int(targets) * int(nseries)}")
if r["stored"] != r["samples"]:
    problems.append(f"stored {stored} != scraped {samples}")
if r["scrapes_ok"] != r["scrapes"]:
    problems.append(f"{r['scrapes'] - r['scrapes_ok']:.0f} failed scrapes")
r["problems"] = problems
with open(out, "a") as f:
    f.write(json.dumps(r) + "\n")
print(f"round {rnd} {name}: cpu_s={r['cpu_s']:.2f} samples={r['samples']:.0f} cpu_ns_per_sample={r['cpu_ns_per_sample']:.1f} "
      f"peak_rss_kb={r['peak_rss_kb']} rss_kb={r['rss_kb']} stored={r['stored']:.0f} "
      f"scrapes={r['scrapes_ok']:.0f}/{r['scrapes']:.0f} series={r['series']:.0f} scrape_ms={r['scrape_ms']:.2f} "
      f"window_s={r['window_s']} targets_cpu_s={r['targets_cpu_s']:.2f} cpu_per_ref={r['cpu_per_ref']:.2f} "
      f"load={r['load']}"
      + "".join(" PROBLEM: " + p for p in problems))
PY
  tail -1 "$WORK/results" | grep -q '"problems": \[\]' || failed=1
}

echo "targets=$TARGETS series=$SERIES seconds=$SECONDS_ interval=$INTERVAL ($((TARGETS * SERIES)) series," \
  "$(python3 -c "print(f'{$TARGETS * $SERIES / $interval_s:.0f}')") samples/s expected)"
SYSTEMS=${SYSTEMS:-gnomond prometheus victoria-metrics} ROUNDS=${ROUNDS:-1}
read -r -a systems <<<"$SYSTEMS"
start() {  # ROUND NAME
  case $2 in
  gnomond)
    run "$1" gnomond /health "$BUILD/gnomond" --listen 127.0.0.1:@PORT@ --data-dir @DATA@ --log-level warn \
      --scrape.config-file "$WORK/scrape.yml" ;;
  prometheus)
    run "$1" prometheus /-/ready prometheus --config.file="$WORK/scrape.yml" --storage.tsdb.path=@DATA@ \
      --web.listen-address=127.0.0.1:@PORT@ --log.level=warn ;;
  victoria-metrics)
    run "$1" victoria-metrics /health victoria-metrics -promscrape.config="$WORK/scrape.yml" \
      -storageDataPath=@DATA@ -httpListenAddr=127.0.0.1:@PORT@ -search.latencyOffset=0s -loggerLevel=ERROR ;;
  *) echo "unknown system $2" >&2; exit 2 ;;
  esac
}
for round in $(seq "$ROUNDS"); do
  n=${#systems[@]}
  for i in $(seq 0 $((n - 1))); do start "$round" "${systems[$(((i + round - 1) % n))]}"; done
done

python3 - "$WORK/results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for x in rows:
    by.setdefault(x["system"], []).append(x)
m = {}
for name, xs in by.items():
    m[name] = dict(cpu=statistics.median(x["cpu_ns_per_sample"] for x in xs),
                   ref=statistics.median(x["cpu_per_ref"] for x in xs),
                   rss=max(x["peak_rss_kb"] for x in xs))
    if len(xs) > 1:
        print(f"{name} over {len(xs)} rounds: median cpu_ns_per_sample={m[name]['cpu']:.1f} "
              f"median cpu_per_ref={m[name]['ref']:.2f} max peak_rss_kb={m[name]['rss']}")
g = m.get("gnomond")
for peer, target in (("prometheus", " (target <= 0.5x)"), ("victoria-metrics", "")):
    if g and peer in m:
        p = m[peer]
        print(f"gnomond/{peer}: cpu per sample {g['cpu'] / p['cpu']:.2f}x{target}, speed-corrected "
              f"{g['ref'] / p['ref']:.2f}x; peak RSS {g['rss'] / p['rss']:.2f}x (target <= 1x)")
PY
exit $failed
