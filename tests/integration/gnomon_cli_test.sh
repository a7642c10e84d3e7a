#!/usr/bin/env bash
# The gnomon command line, the real binary against a real gnomond on a loopback port: every
# subcommand and output format, exit codes (0 ok, 1 server/query error, 2 usage), the chart's
# shape on known data, push batching with global line numbers, auth, and (in tmux) the
# terminal-only behaviour: the progress bar, colours and the terminal's width.
# (Named gnomon_cli_test, not cli_test: tests/unit/cli_test.cc already owns that CTest name.)
source "$(dirname "$0")/lib.sh"

G=$BUILD/gnomon
export TZ=UTC NO_COLOR=1
unset GNOMON_URL GNOMON_TOKEN COLUMNS

# run CMD...: sets OUT (stdout), ERR (stderr) and RC.
run() {
  RC=0
  "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
  OUT=$(cat "$WORK/out")
  ERR=$(cat "$WORK/err")
}

# The widest line of $1 in terminal columns (ANSI escapes not counted).
max_width() {
  python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
print(max(len(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", l)) for l in lines))' <<<"$1"
}

start_gnomond "$WORK/data"
export GNOMON_URL=$GNOMOND_URL

# ---- help and usage errors (no server needed for these)
for cmd in query push series labels export health check status; do
  run "$G" "$cmd" --help
  check "$cmd --help exit" 0 "$RC"
  check_contains "$cmd --help usage" "Usage:" "$OUT"
done
run "$G" --help
check "gnomon --help" 0 "$RC"
check_contains "gnomon --help lists commands" "query" "$OUT"
run "$G"
check "no command" 2 "$RC"
run "$G" frobnicate
check "unknown command" 2 "$RC"
check_contains "unknown command message" 'unknown command "frobnicate"' "$ERR"
run "$G" query up --bogus-flag
check "unknown flag" 2 "$RC"
check_contains "unknown flag message" "bogus-flag" "$ERR"
run "$G" query
check "query without EXPR" 2 "$RC"
run "$G" query up --format xml
check "bad --format" 2 "$RC"
run "$G" query up --start yesterday
check "bad --start" 2 "$RC"
check_contains "bad --start message" 'invalid time "yesterday"' "$ERR"
run "$G" query up --start -1h --step fast
check "bad --step" 2 "$RC"
run "$G" query up --format chart
check "chart needs a range" 2 "$RC"
run "$G" query up --time now --start -1h
check "--time with a range" 2 "$RC"
run "$G" series
check "series without matcher" 2 "$RC"
run "$G" push --batch-bytes lots /dev/null
check "bad --batch-bytes" 2 "$RC"
run "$G" check
check "check without what" 2 "$RC"

# ---- health
run "$G" health
check "health" 0 "$RC"
check_contains "health says OK" "OK" "$OUT"
run "$G" --server "$GNOMOND_URL" health
check "global --server before the command" 0 "$RC"

# ---- push: line protocol with known data. T0 = 1700000000 = 2023-11-14T22:13:20Z.
# temp{room="a"} ramps 0, 10, ..., 100 over ten minutes; temp{room="b"} stays at 50.
T0=1700000000
for i in $(seq 0 10); do
  echo "temp,room=a value=$((i * 10)) $((T0 + i * 60))"
  echo "temp,room=b value=50 $((T0 + i * 60))"
done > "$WORK/sample.lp"
run "$G" push --precision s "$WORK/sample.lp"
check "push exit" 0 "$RC"
check_contains "push summary" "pushed 22 lines" "$OUT"
check_contains "push summary counts" "22 accepted, 0 rejected" "$OUT"
check "no progress bar when stderr is not a terminal" "" "$(tr -d -c '\r' <"$WORK/err")"

# stdin, both implicit and "-"
run bash -c "echo 'stdin_m value=1 $T0' | '$G' push --precision s"
check "push stdin implicit" 0 "$RC"
run bash -c "echo 'stdin_m value=2 $((T0 + 1))' | '$G' push --precision s -"
check "push stdin dash" 0 "$RC"
run "$G" export stdin_m_value
check_contains "stdin lines stored" '"values":[1,2]' "$OUT"

# rejected lines across small batches are reported with their line numbers in the whole input
{
  for i in $(seq 1 20); do
    case $i in
      7) echo "bad,k=v value=12x $T0" ;;
      15) echo "also bad" ;;
      *) echo "good,k=v value=$i $((T0 + i))" ;;
    esac
  done
} > "$WORK/mixed.lp"
run "$G" push --precision s --batch-bytes 100 "$WORK/mixed.lp"
check "push with rejected lines exits 1" 1 "$RC"
check_contains "rejected line 7 by global number" "$WORK/mixed.lp:7: " "$ERR"
check_contains "rejected line 7 reason" "12x" "$ERR"
check_contains "rejected line 15 by global number" "$WORK/mixed.lp:15: " "$ERR"
check "exactly two lines reported" 2 "$(grep -c "^$WORK/mixed.lp:" <<<"$ERR")"
check_contains "summary counts rejected" "18 accepted, 2 rejected" "$OUT"
check_contains "several batches" "pushed 20 lines" "$OUT"
batches=$(grep -o "in [0-9]* batches" <<<"$OUT" | grep -o "[0-9]*")
check "batches of ~100 bytes" 1 "$([ "$batches" -ge 5 ] && echo 1 || echo 0)"
run "$G" export good_value
check_contains "good lines of partial batches stored" '"timestamps":[' "$OUT"
check "18 good samples" 18 "$(grep -o '"values":\[[^]]*\]' <<<"$OUT" | tr ',' '\n' | wc -l)"
run "$G" push --precision s /nonexistent/file.lp
check "push missing file" 1 "$RC"
check_contains "push missing file message" "cannot open /nonexistent/file.lp" "$ERR"

# ---- query: instant, table/json/csv
run "$G" query temp_value --time 2023-11-14T22:23:20Z
check "instant table exit" 0 "$RC"
check "instant table" "__name__    room  value
temp_value  a       100
temp_value  b        50" "$OUT"
run "$G" query temp_value --time $((T0 + 600)) --format csv
check "instant csv" "__name__,room,value
temp_value,a,100
temp_value,b,50" "$OUT"
run "$G" query 'sum(temp_value)' --time $((T0 + 600)) --format json --compact
check "instant json" '{"resultType":"vector","result":[{"metric":{},"value":[1700000600,"150"]}]}' "$OUT"
# A 100 KB expression: longer than any URL the server takes (64 KiB of headers), so it must go
# as a form body, as Prometheus clients send it.
long_expr="sum(temp_value{room!=\"$(python3 -c 'print("x" * 100000)')\"})"
check "long expression is long" 1 "$([ ${#long_expr} -gt 100000 ] && echo 1 || echo 0)"
run "$G" query "$long_expr" --time $((T0 + 600)) --format csv
check "long expression exit" 0 "$RC"
check "long expression answer" "value
150" "$OUT"
run "$G" query 'sum(temp_value)' --time $((T0 + 600)) --format json
check_contains "pretty json" '  "resultType": "vector",' "$OUT"
run "$G" query '1 + 1' --time $T0
check "scalar table" "timestamp             value
2023-11-14T22:13:20Z      2" "$OUT"
run "$G" query nothing_here --time $T0
check "empty result exit" 0 "$RC"
check "empty result stdout" "" "$OUT"
check_contains "empty result note" "no data" "$ERR"

# ---- query: range, table/csv
run "$G" query 'temp_value{room="a"}' --start $T0 --end 2023-11-14T22:16:20Z --step 1m
check "range table" "__name__    room  timestamp             value
temp_value  a     2023-11-14T22:13:20Z      0
temp_value  a     2023-11-14T22:14:20Z     10
temp_value  a     2023-11-14T22:15:20Z     20
temp_value  a     2023-11-14T22:16:20Z     30" "$OUT"
run "$G" query 'temp_value{room="b"}' --start $T0 --end $((T0 + 120)) --step 60 --format csv
check "range csv" "__name__,room,timestamp,value
temp_value,b,1700000000,50
temp_value,b,1700000060,50
temp_value,b,1700000120,50" "$OUT"
run "$G" query 'temp_value' --start now-1h
check "relative range exit" 0 "$RC"

# ---- query: errors
run "$G" query 'sum(' --time $T0
check "bad expression exit" 1 "$RC"
check_contains "bad expression message" "bad_data" "$ERR"
check_contains "bad expression names the problem" "parse error" "$ERR"
check "bad expression: nothing on stdout" "" "$OUT"

# ---- chart: shape on known data (ramp 0..100 and constant 50 over 10 minutes)
export COLUMNS=60
run "$G" query temp_value --start $T0 --end $((T0 + 600)) --step 60 --format chart --height 10
check "chart exit" 0 "$RC"
check "chart lines: 10 rows + axis + times + 2 legend" 14 "$(wc -l <"$WORK/out")"
check "chart fits COLUMNS" 60 "$(max_width "$OUT")"
check_contains "chart max label" "100 ┤" "$(sed -n 1p "$WORK/out")"
check_contains "chart min label" "  0 ┤" "$(sed -n 10p "$WORK/out")"
check_contains "chart mid label" " 50 ┤" "$OUT"
check_contains "chart x axis" "    └───" "$(sed -n 11p "$WORK/out")"
check_contains "chart start time" "22:13:20" "$(sed -n 12p "$WORK/out")"
check_contains "chart end time" "22:23:20" "$(sed -n 12p "$WORK/out")"
check_contains "legend a" 'temp_value{room="a"}' "$(sed -n 13p "$WORK/out")"
check_contains "legend b" 'temp_value{room="b"}' "$(sed -n 14p "$WORK/out")"
check "two series without colour: distinct glyphs" "█ ▒" "$(sed -n '13,14p' "$WORK/out" | awk '{print $1}' | tr '\n' ' ' | sed 's/ $//')"
run "$G" query 'temp_value{room="a"}' --start $T0 --end $((T0 + 600)) --step 60 --format chart --height 6
check_contains "one series: braille" "⣿ temp_value" "$OUT"
check "braille chart lines" 9 "$(wc -l <"$WORK/out")"
COLUMNS=40 run "$G" query temp_value --start $T0 --end $((T0 + 600)) --step 60 --format chart --ascii --height 5
check "ascii chart lines" 9 "$(wc -l <"$WORK/out")"
check "ascii chart fits COLUMNS=40" 40 "$(max_width "$OUT")"
check "ascii chart is ASCII" "" "$(LC_ALL=C grep -n '[^ -~]' "$WORK/out" || true)"
check_contains "ascii legend" '* temp_value{room="a"}' "$OUT"
check_contains "ascii legend b" '+ temp_value{room="b"}' "$OUT"
check_contains "ascii max" "100 +" "$OUT"
check_contains "ascii axis" "    +-----" "$OUT"
run "$G" query temp_value --start $T0 --end $((T0 + 600)) --format chart --color always --height 4
check_contains "--color always colours" $'\e[32m' "$OUT"
run "$G" query nothing_here --start $T0 --end $((T0 + 600)) --format chart
check "chart of nothing" 0 "$RC"
check_contains "chart of nothing note" "no data" "$ERR"
unset COLUMNS

# ---- series, labels
run "$G" series temp_value
check "series table" "__name__    room
temp_value  a
temp_value  b" "$OUT"
run "$G" series '{__name__=~"temp_.*",room="b"}' --format csv
check "series csv" "__name__,room
temp_value,b" "$OUT"
run "$G" series temp_value --format json --compact
check "series json" '[{"__name__":"temp_value","room":"a"},{"__name__":"temp_value","room":"b"}]' "$OUT"
run "$G" series '{bad'
check "series bad matcher exit" 1 "$RC"
check_contains "series bad matcher message" "bad_data" "$ERR"
run "$G" labels
check_contains "labels" "room" "$OUT"
check_contains "labels has __name__" "__name__" "$OUT"
run "$G" labels room
check "label values" "a
b" "$OUT"
run "$G" labels room --format json
check_contains "label values json" '"a"' "$OUT"
run "$G" labels room --format csv
check "label values csv" "value
a
b" "$OUT"
run "$G" labels __name__ --match '{room="a"}'
check "labels with --match" "temp_value" "$OUT"

# ---- status: the index's cardinality (GET /api/v1/status/tsdb, Prometheus' shape)
run "$G" series '{__name__=~".+"}' --format json --compact
all_series=$(python3 -c 'import json, sys; print(len(json.load(sys.stdin)))' <<<"$OUT")
run "$G" status --format json --limit 1000
check "status json exit" 0 "$RC"
check "status json" "ok" "$(python3 -c '
import json, sys
d = json.load(sys.stdin)
top = lambda k: {e["name"]: e["value"] for e in d[k]}
problems = []
if sorted(d) != ["headStats", "labelValueCountByLabelName", "memoryInBytesByLabelName",
                 "seriesCountByLabelValuePair", "seriesCountByMetricName"]:
    problems.append(f"keys {sorted(d)}")
n = d["headStats"]["numSeries"]
if n != int(sys.argv[1]): problems.append(f"numSeries {n} != {sys.argv[1]}")
if top("seriesCountByMetricName").get("temp_value") != 2: problems.append("temp_value is not 2 series")
if top("labelValueCountByLabelName").get("room") != 2: problems.append("room has not 2 values")
if top("seriesCountByLabelValuePair").get("room=a") != 1: problems.append("room=a is not 1 series")
if top("memoryInBytesByLabelName").get("room") != 2: problems.append("room values are not 2 bytes")
counts = [e["value"] for e in d["seriesCountByMetricName"]]
if counts != sorted(counts, reverse=True): problems.append("not largest first")
print("; ".join(problems) or "ok")' "$all_series" <<<"$OUT")"
run "$G" status --limit 1
check "status table exit" 0 "$RC"
check_contains "status table head" "series $all_series, label pairs" "$OUT"
check "status --limit 1: one row per list" 4 "$(grep -c '^label_pair\|^metric_name\|^label_name' <<<"$OUT")"
check "status --limit 1: four one-row lists" 8 "$(grep -v '^series\|^$' <<<"$OUT" | wc -l)"
run "$G" status --limit 0
check "status --limit 0 exit" 2 "$RC"
check "status: a bad limit is a 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' "$GNOMOND_URL/api/v1/status/tsdb?limit=abc")"

# ---- export and a JSON-lines round trip through push --format jsonl
run "$G" export temp_value
check "export exit" 0 "$RC"
check "export lines" 2 "$(wc -l <"$WORK/out")"
check_contains "export content" '{"metric":{"__name__":"temp_value","room":"b"},"values":[50,50,50' "$OUT"
cp "$WORK/out" "$WORK/export.jsonl"
run "$G" export temp_value --start $((T0 + 300)) --end $((T0 + 360))
check_contains "export range" '"values":[50,60]' "$OUT"
run "$G" export '{bad'
check "export bad matcher" 1 "$RC"

# ---- check config
printf '[server]\nlisten = "127.0.0.1:9300"\n[storage]\nretention = "15d"\n' > "$WORK/good.toml"
run "$G" check config "$WORK/good.toml"
check "check good config" 0 "$RC"
check_contains "check good config says OK" "OK" "$OUT"
printf '[server]\nlisten = "127.0.0.1:9300"\nlisne = 1\n[storage]\nretention = "fortnight"\n' > "$WORK/bad.toml"
run "$G" check config "$WORK/bad.toml"
check "check bad config" 1 "$RC"
check_contains "bad key with file:line" "$WORK/bad.toml:3:" "$ERR"
check_contains "bad value with file:line" "$WORK/bad.toml:5:" "$ERR"
run "$G" check config "$WORK/missing.toml"
check "check missing config" 1 "$RC"

# ---- auth: a second server that wants a token; import the export there
GOOD_URL=$GNOMOND_URL
GOOD_PID=$GNOMOND_PID
start_gnomond "$WORK/data2" --auth-token s3cret
EXTRA_PIDS=$GOOD_PID
AUTH_URL=$GNOMOND_URL
run "$G" --server "$AUTH_URL" series temp_value
check "no token: exit 1" 1 "$RC"
check_contains "no token: the server says why" "unauthorized" "$ERR"
run "$G" push --server "$AUTH_URL" --token s3cret --format jsonl "$WORK/export.jsonl"
check "push jsonl with --token" 0 "$RC"
check_contains "push jsonl summary" "pushed 2 lines" "$OUT"
GNOMON_TOKEN=s3cret run "$G" export --server "$AUTH_URL" temp_value
check "export round trip via GNOMON_TOKEN" "$(cat "$WORK/export.jsonl")" "$OUT"
printf '{"metric":{"__name__":"j"},"values":[1],"timestamps":[1700000000000]}\n{broken\n' > "$WORK/bad.jsonl"
GNOMON_TOKEN=s3cret run "$G" push --server "$AUTH_URL" --format jsonl "$WORK/bad.jsonl"
check "push bad jsonl" 1 "$RC"
check_contains "bad jsonl line number" "$WORK/bad.jsonl:2: invalid JSON" "$ERR"
stop_gnomond

# ---- server down
run "$G" --server "$AUTH_URL" health
check "health when down" 1 "$RC"
check_contains "health when down message" "cannot reach gnomond" "$ERR"
run "$G" query up --server "$AUTH_URL"
check "query when down" 1 "$RC"
run "$G" push --server "$AUTH_URL" "$WORK/sample.lp"
check "push when down" 1 "$RC"
check_contains "push when down message" "cannot reach gnomond" "$ERR"
GNOMOND_PID=$GOOD_PID
EXTRA_PIDS=
export GNOMON_URL=$GOOD_URL

# ---- the terminal: tmux gives the commands a real tty of a known size
# ---- push retries a busy server (503 + Retry-After) and does not count the batch twice: a stub
# server answers the first write 503, the rest 204, and logs what it received.
cat >"$WORK/busy.py" <<'PY'
import http.server, sys
log = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    calls = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        H.calls += 1
        log.write("%d %d\n" % (H.calls, body.count(b"\n"))); log.flush()
        if H.calls == 1:
            self.send_response(503); self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0"); self.end_headers()
        else:
            self.send_response(204); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$WORK/busy.py" "$WORK/busy.log" >"$WORK/busy.port" &
EXTRA_PIDS="${EXTRA_PIDS:-} $!"
for _ in $(seq 100); do [ -s "$WORK/busy.port" ] && break; sleep 0.05; done
printf 'busy,k=v value=1 %s\nbusy,k=v value=2 %s\n' "$T0" "$((T0 + 1))" >"$WORK/busy.lp"
start_s=$(date +%s%N)
run "$G" push --server "http://127.0.0.1:$(cat "$WORK/busy.port")" --precision s "$WORK/busy.lp"
waited_ms=$(( ($(date +%s%N) - start_s) / 1000000 ))
check "push after a 503: exit" 0 "$RC"
check_contains "push after a 503: summary counts each line once" "pushed 2 lines" "$OUT$ERR"
check "push after a 503: the batch was sent twice" "1 2
2 2" "$(cat "$WORK/busy.log")"
check "push after a 503: waited Retry-After (>= 1 s)" 1 "$([ "$waited_ms" -ge 1000 ] && echo 1 || echo 0)"

if command -v tmux >/dev/null; then
  SOCK="gnomon-cli-test-$$"
  tmux_run() {  # tmux_run WIDTH NAME COMMAND: runs COMMAND in a WIDTHx50 pane; output in $WORK/NAME.pane
    local width=$1 name=$2 cmd=$3
    rm -f "$WORK/$name.done" "$WORK/$name.go"
    # The command waits for $name.go so that pipe-pane records all of its output.
    tmux -L "$SOCK" new-session -d -s "$name" -x "$width" -y 50 \
      "while [ ! -f $WORK/$name.go ]; do sleep 0.02; done; env -u COLUMNS -u NO_COLOR TERM=xterm-256color TZ=UTC GNOMON_URL=$GNOMON_URL bash -c '$cmd'; echo \$? > $WORK/$name.done; sleep 60"
    tmux -L "$SOCK" pipe-pane -t "$name" -o "cat >> $WORK/$name.raw"
    touch "$WORK/$name.go"
    for _ in $(seq 200); do [ -f "$WORK/$name.done" ] && break; sleep 0.05; done
    tmux -L "$SOCK" capture-pane -t "$name" -p -e > "$WORK/$name.pane"
    tmux -L "$SOCK" kill-session -t "$name"
  }
  # The chart takes the terminal's width (TIOCGWINSZ) and colours by default on a terminal.
  tmux_run 50 chart "$G query temp_value --start $T0 --end $((T0 + 600)) --step 60 --format chart --height 8"
  pane=$(sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$WORK/chart.pane")
  check "tmux chart exit" 0 "$(cat "$WORK/chart.done" 2>/dev/null)"
  check "tmux chart fits the 50-column pane" 50 "$(max_width "$pane")"
  check_contains "tmux chart is coloured" $'\e[' "$pane"
  check_contains "tmux chart is braille" "⣿" "$pane"
  check_contains "tmux chart legend" 'temp_value{room="b"}' "$pane"
  # The progress bar: drawn on stderr while pushing (captured through pipe-pane), then cleared,
  # leaving the summary.
  for i in $(seq 1 20000); do echo "prog,k=v value=$i $((T0 + i))"; done > "$WORK/prog.lp"
  tmux_run 100 progress "$G push --precision s --batch-bytes 4KiB $WORK/prog.lp"
  check "tmux push exit" 0 "$(cat "$WORK/progress.done" 2>/dev/null)"
  check_contains "tmux push summary" "pushed 20000 lines" "$(cat "$WORK/progress.pane")"
  check "pipe-pane recorded the push" 1 "$([ -s "$WORK/progress.raw" ] && echo 1 || echo 0)"
  if [ -s "$WORK/progress.raw" ]; then
    raw=$(tr '\r' '\n' <"$WORK/progress.raw")
    check_contains "progress bar drawn" "lines/s" "$raw"
    check_contains "progress bar percent" "%" "$raw"
    check_contains "progress bar bytes" "KiB / " "$raw"
  fi
  check "progress bar cleared" 0 "$(grep -c '\[#*-*\]' "$WORK/progress.pane" || true)"
  tmux -L "$SOCK" kill-server 2>/dev/null || true
else
  echo "tmux not installed: terminal checks skipped"
fi

finish
