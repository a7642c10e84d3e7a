#!/usr/bin/env bash
# bench/rules_vs_prometheus.sh BUILD_DIR [WINDOW_S] [CYCLES]: issue 11's rule evaluation benchmark.
# 10,000 alerting rules (100 groups x 100; build/rulebench_gen writes them: 10 shapes per service
# over 1,000 services, 3 of 10 with `for:`) over 100k series (1,000 services x 50 instances x
# {http_requests_total counter, process_resident_memory_bytes gauge}, one sample every 15 s from
# 45 min before the start to 10 min after it, so `rate(x[5m])` and the lookback stay filled while
# the benchmark runs), evaluated every 15 s by gnomond and by Prometheus 2.42 (Debian's
# `prometheus`) in the same run. The same remote_write bodies are POSTed to both (gnomond's and
# Prometheus' /api/v1/write, `--web.enable-remote-write-receiver`), in time order, 2 connections.
#
# Measurement: CYCLES times (default 2), for each server in turn, the other one is stopped
# (SIGSTOP, so each has the machine's cores to itself), it runs 20 s to settle, then for WINDOW_S
# seconds (default 60) its /api/v1/rules is polled (?type=record: the groups' evaluationTime and
# lastEvaluation only) and its /proc/PID/stat CPU time read at both ends. Definitions, the same
# for both servers:
#   round k          the k-th evaluation of every group within the window
#   eval sum         sum over groups of the group's evaluationTime in a round (Prometheus: the
#                    same value as prometheus_rule_group_last_duration_seconds, cross-checked
#                    from /metrics at the end); the work of a round if groups ran one at a time
#   eval max         max over groups in a round: the round's wall time if every group ran at once
#   busy wall        the union of the groups' [lastEvaluation, + evaluationTime] intervals in a
#                    round: how long some group was evaluating (groups staggered over the interval
#                    and run concurrently, as Prometheus and gnomond since f510dcd do)
#   seen wall        from the round's earliest lastEvaluation to the poll (every 0.25 s) that saw
#                    its last group done: the round's wall time when every group is due at once
#                    and they run one after another (gnomond before f510dcd)
#   CPU s / round    (utime + stime) delta over the window / rounds completed in it
#   RSS              VmRSS at the end of the window, VmHWM (peak, includes loading)
# RULEBENCH_GEN_ARGS passes flags to the generator (e.g. "--services 20 --groups 2
# --series-per-request 500" for a quick check: every time slice must span several requests, or the
# 2 connections may send one series' slices out of order and Prometheus refuses them). Medians over the rounds of every window of that server are printed, then the ratios.
set -uo pipefail
build=$(cd "${1:?build dir}" && pwd)
window=${2:-60} cycles=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
peers=$(cd "$here/../../shared/peers" && pwd)
for tool in "$build/gnomond" "$build/rulebench_gen" prometheus; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

work=$(mktemp -d /tmp/rulebench.XXXXXX)
gpid="" ppid_=""
cleanup() {
  for p in $gpid $ppid_; do kill -CONT "$p" 2>/dev/null; kill -TERM "$p" 2>/dev/null; done
  for p in $gpid $ppid_; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {  # URL PID: up to 30 s
  for _ in $(seq 300); do
    curl -sf -o /dev/null "$1" && return 0
    kill -0 "$2" 2>/dev/null || { echo "server $2 died" >&2; exit 1; }
    sleep 0.1
  done
  echo "timeout waiting for $1" >&2
  exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"; }

# ---- data and rules ----
now_ms=$(date +%s%3N)
# shellcheck disable=SC2086  # RULEBENCH_GEN_ARGS: extra generator flags, e.g. a smaller case
"$build/rulebench_gen" ${RULEBENCH_GEN_ARGS:-} --start-ms $((now_ms - 45 * 60000)) --end-ms $((now_ms + 10 * 60000)) --out "$work/data" ||
  exit 1
rules=$work/data/rules.yml

# ---- servers ----
gport=$(free_port) pport=$(free_port)
gurl=http://127.0.0.1:$gport purl=http://127.0.0.1:$pport
"$build/gnomond" --listen 127.0.0.1:$gport --data-dir "$work/gnomond" --log-level warn --rules "$rules" \
  --evaluation-interval 15s >"$work/gnomond.log" 2>&1 &
gpid=$!
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files: ['$rules']
EOF
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
  --web.listen-address=127.0.0.1:$pport --web.enable-remote-write-receiver --log.level=warn \
  >"$work/prometheus.log" 2>&1 &
ppid_=$!
wait_up "$gurl/health" $gpid
wait_up "$purl/-/ready" $ppid_

# Each server loads alone (the other one stopped); both evaluate their rules meanwhile.
load() {  # NAME URL PID OTHER_PID
  kill -STOP "$4"
  local wall
  wall=$(LOAD_CONTENT_TYPE=application/x-protobuf bash "$peers/load.sh" "$2/api/v1/write" "$work/data/rw" 2) ||
    { echo "loading $1 failed" >&2; exit 1; }
  echo "$1 load_wall_s=$wall rss_kb=$(status_kb "$3" VmRSS) hwm_kb=$(status_kb "$3" VmHWM)"
  kill -CONT "$4"
}
load gnomond $gurl $gpid $ppid_
load prometheus $purl $ppid_ $gpid

# ---- measurement ----
hz=$(getconf CLK_TCK)
: >"$work/windows.jsonl"
measure() {  # NAME URL PID OTHER_PID
  kill -STOP "$4"
  kill -CONT "$3"
  sleep 20
  local c0 c1
  c0=$(cpu_ticks "$3")
  python3 - "$1" "$2" "$window" >>"$work/windows.jsonl" <<'EOF'
import json, sys, time, urllib.request
from datetime import datetime
name, url, window = sys.argv[1], sys.argv[2], float(sys.argv[3])
def ts(s):  # RFC 3339 with up to ns -> seconds
    if s.startswith("0001-"): return 0.0
    s = s.replace("Z", "+00:00")
    if "." in s:
        head, rest = s.split(".", 1)
        i = next((k for k, ch in enumerate(rest) if not ch.isdigit()), len(rest))
        s = head + "." + (rest[:i] + "000000")[:6] + rest[i:]
    return datetime.fromisoformat(s).timestamp()
seen, evals = {}, {}  # group -> last lastEvaluation; group -> [(start, seconds, observed)]
t0 = time.time()
while time.time() - t0 < window:
    try:
        body = json.load(urllib.request.urlopen(url + "/api/v1/rules?type=record", timeout=30))
    except Exception as e:
        print(f"poll: {e}", file=sys.stderr); time.sleep(0.25); continue
    now = time.time()
    for g in body["data"]["groups"]:
        key, last = g["file"] + ";" + g["name"], g["lastEvaluation"]
        if key in seen and seen[key] != last:
            evals.setdefault(key, []).append((ts(last), g["evaluationTime"], now))
        seen[key] = last
    time.sleep(0.25)
groups = len(seen)
n = min((len(evals.get(k, [])) for k in seen), default=0)
rounds = []
for k in range(n):
    r = [evals[g][k] for g in seen]
    starts = [e[0] for e in r]
    # busy: the union of the groups' [start, start + duration] intervals
    iv = sorted((e[0], e[0] + e[1]) for e in r)
    busy, cur_s, cur_e = 0.0, iv[0][0], iv[0][1]
    for s, e in iv[1:]:
        if s > cur_e: busy += cur_e - cur_s; cur_s, cur_e = s, e
        else: cur_e = max(cur_e, e)
    busy += cur_e - cur_s
    # seen: from the earliest start to the poll that saw the last group done
    seen_wall = max(e[2] for e in r) - min(starts)
    rounds.append({"sum": sum(e[1] for e in r), "max": max(e[1] for e in r), "busy": busy, "seen": seen_wall})
done = sum(len(v) for v in evals.values()) / groups if groups else 0
print(json.dumps({"name": name, "groups": groups, "rounds": rounds, "group_evals_per_group": done, "window": window}))
EOF
  c1=$(cpu_ticks "$3")
  local rss hwm
  rss=$(status_kb "$3" VmRSS) hwm=$(status_kb "$3" VmHWM)
  python3 - "$work/windows.jsonl" "$((c1 - c0))" "$hz" "$rss" "$hwm" <<'EOF'
import json, sys
path, ticks, hz, rss, hwm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
lines = open(path).read().splitlines()
w = json.loads(lines[-1])
w.update(cpu_s=ticks / hz, rss_kb=rss, hwm_kb=hwm)
lines[-1] = json.dumps(w)
open(path, "w").write("\n".join(lines) + "\n")
r = w["rounds"]
print(f"  window {w['name']}: {len(r)} whole rounds, {w['group_evals_per_group']:.2f} evaluations per group, "
      f"cpu {w['cpu_s']:.2f} s, rss {rss} kB, hwm {hwm} kB; sums "
      + " ".join(f"{x['sum']:.3f}" for x in r) + "; busy " + " ".join(f"{x['busy']:.2f}" for x in r)
      + "; seen " + " ".join(f"{x['seen']:.2f}" for x in r))
EOF
  kill -CONT "$4"
}
for c in $(seq "$cycles"); do
  echo "cycle $c"
  measure gnomond $gurl $gpid $ppid_
  measure prometheus $purl $ppid_ $gpid
done

# ---- sanity: both see the same data and raise the same alerts; Prometheus' own metric ----
count_alerts() { curl -sf "$1/api/v1/alerts" | python3 -c '
import json, sys, collections
a = json.load(sys.stdin)["data"]["alerts"]
c = collections.Counter(x["state"] for x in a)
print(" ".join(f"{k}={c[k]}" for k in sorted(c)) or "none")'; }
echo "alerts gnomond: $(count_alerts $gurl)"
echo "alerts prometheus: $(count_alerts $purl)"
for q in 'count(http_requests_total)' 'sum(rate(http_requests_total[5m]))' 'count(ALERTS{alertstate="firing"})'; do
  enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$q")
  g=$(curl -sf "$gurl/api/v1/query?query=$enc" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "-")')
  p=$(curl -sf "$purl/api/v1/query?query=$enc" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "-")')
  echo "query $q: gnomond=$g prometheus=$p"
done
echo "prometheus /metrics: sum(prometheus_rule_group_last_duration_seconds)=$(curl -sf $purl/metrics |
  awk '/^prometheus_rule_group_last_duration_seconds/{s += $2} END{printf "%.3f", s}') missed_iterations=$(curl -sf $purl/metrics |
  awk '/^prometheus_rule_group_iterations_missed_total/{s += $2} END{print s}')"

# ---- table ----
python3 - "$work/windows.jsonl" <<'EOF'
import json, statistics, sys
ws = [json.loads(l) for l in open(sys.argv[1])]
def med(xs): return statistics.median(xs) if xs else float("nan")
rows = {}
for name in ("gnomond", "prometheus"):
    w = [x for x in ws if x["name"] == name]
    r = [y for x in w for y in x["rounds"]]
    rows[name] = dict(
        sum=med([y["sum"] for y in r]), max=med([y["max"] for y in r]), busy=med([y["busy"] for y in r]), seen=med([y["seen"] for y in r]),
        cpu=med([x["cpu_s"] / x["group_evals_per_group"] for x in w if x["group_evals_per_group"]]),
        rounds_per_min=med([x["group_evals_per_group"] * 60 / x["window"] for x in w]),
        rss=max(x["rss_kb"] for x in w) / 1024, hwm=max(x["hwm_kb"] for x in w) / 1024, n=len(r))
print()
print("| server | rounds | eval sum s/round | eval max s/round | busy wall s | seen wall s | CPU s/round | rounds/min | VmRSS MB | VmHWM MB |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for name, x in rows.items():
    print(f"| {name} | {x['n']} | {x['sum']:.3f} | {x['max']:.3f} | {x['busy']:.2f} | {x['seen']:.2f} | {x['cpu']:.2f} | {x['rounds_per_min']:.1f} | {x['rss']:.0f} | {x['hwm']:.0f} |")
g, p = rows["gnomond"], rows["prometheus"]
print(f"| ratio gnomond/prometheus | | {g['sum']/p['sum']:.2f} | {g['max']/p['max']:.2f} | {g['busy']/p['busy']:.2f} | | {g['cpu']/p['cpu']:.2f} | | {g['rss']/p['rss']:.2f} | {g['hwm']/p['hwm']:.2f} |")
EOF
