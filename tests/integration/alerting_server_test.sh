#!/usr/bin/env bash
# gnomond evaluating rule files ([alerting] in the config): recording rules write series, alerting
# rules go pending -> firing -> resolved and write ALERTS; /api/v1/rules and /api/v1/alerts answer
# in Prometheus' shapes; `gnomon alerts` lists them; a broken rule file stops gnomond at start.
source "$(dirname "$0")/lib.sh"

cat > "$WORK/rules.yml" <<'YML'
groups:
  - name: fast
    interval: 1s
    rules:
      - record: job:temp:doubled
        expr: temp * 2
      - alert: TooHot
        expr: temp > 50
        labels:
          severity: '{{ if gt $value 90.0 }}page{{ else }}ticket{{ end }}'
        annotations:
          summary: '{{ $labels.room }} is at {{ $value }} degrees'
      - alert: Slow
        expr: temp > 50
        for: 1h
YML
cat > "$WORK/gnomond.toml" <<EOF2
[alerting]
rule_files = ["$WORK/rules*.yml"]
evaluation_interval = "1s"
external_url = "https://gnomon.example"
EOF2
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"
check_contains "rules loaded" "loaded 3 rules" "$(cat "$GNOMOND_LOG")"

push() {  # push VALUE: temp{room="lab"} = VALUE now
  local now_ms=$(($(date +%s%N) / 1000000))
  http POST /api/v1/import --data-binary "{\"metric\":{\"__name__\":\"temp\",\"room\":\"lab\"},\"values\":[$1],\"timestamps\":[$now_ms]}" >/dev/null
}
# wait_for PATH NEEDLE: polls for up to 10 s
wait_for() {
  for _ in $(seq 100); do
    if grep -qF -- "$2" <<<"$(http GET "$1")"; then return 0; fi
    sleep 0.1
  done
  return 1
}

push 95
wait_for /api/v1/alerts '"state":"firing"' && r=yes || r=no
check "alert fires" yes "$r"
alerts=$(http GET /api/v1/alerts)
check_contains "alerts status" '200 {"status":"success","data":{"alerts":[' "$alerts"
check_contains "alert labels, severity from a template" '"labels":{"alertname":"TooHot","room":"lab","severity":"page"}' "$alerts"
check_contains "alert annotation" '"annotations":{"summary":"lab is at 95 degrees"}' "$alerts"
check_contains "alert value" '"value":"9.5e+01"' "$alerts"
check_contains "for: 1h stays pending" '"labels":{"alertname":"Slow","room":"lab"},"annotations":{},"state":"pending"' "$alerts"

rules=$(http GET /api/v1/rules)
check_contains "rules group" '"name":"fast","file":"'"$WORK"'/rules.yml","rules":[' "$rules"
check_contains "recording rule" '"name":"job:temp:doubled","query":"temp * 2","labels":{},"health":"ok"' "$rules"
check_contains "alerting rule state" '{"state":"firing","name":"TooHot","query":"temp \u003e 50","duration":0,' "$rules"
check_contains "group interval" '"interval":1,"limit":0' "$rules"
check_contains "type=record filter" '"type":"recording"' "$(http GET '/api/v1/rules?type=record')"
check "type=record has no alerting rules" 0 "$(http GET '/api/v1/rules?type=record' | grep -c '"type":"alerting"' || true)"
check_contains "bad type" '400 {"status":"error","errorType":"bad_data"' "$(http GET '/api/v1/rules?type=x')"

q() { http GET /api/v1/query -G --data-urlencode "query=$1"; }
check_contains "recorded series" '"metric":{"__name__":"job:temp:doubled","room":"lab"},"value":[' "$(q 'job:temp:doubled')"
check_contains "recorded value" '"190"]' "$(q 'job:temp:doubled')"
check_contains "ALERTS series" '"alertstate":"firing","room":"lab","severity":"page"' "$(q 'ALERTS{alertname="TooHot"}')"

out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts 2>&1) && rc=0 || rc=$?
check "gnomon alerts exit" 0 "$rc"
check_contains "gnomon alerts table" "TooHot     firing" "$out"
check_contains "gnomon alerts labels" "room=lab, severity=page" "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts --state pending --format json 2>&1)
check_contains "gnomon alerts --state pending" '"alertname": "Slow"' "$out"
check "gnomon alerts --state pending has no firing" 0 "$(grep -c '"firing"' <<<"$out" || true)"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts --state bogus 2>&1) && rc=0 || rc=$?
check "gnomon alerts bad state" 2 "$rc"

# Cooler: the alert resolves, ALERTS goes stale at once, the severity label follows the value.
push 20
wait_for /api/v1/alerts '{"alerts":[]}' && r=yes || r=no
check "alert resolves" yes "$r"
check_contains "ALERTS gone" '"result":[]' "$(q 'ALERTS{alertname="TooHot"}')"

# The event log: every state change, durable across a restart.
events=$(http GET /api/v1/alerts/events)
check_contains "event: pending" '"alertname":"TooHot","from":"inactive","to":"pending"' "$events"
check_contains "event: firing" '"alertname":"TooHot","from":"pending","to":"firing","labels":{"alertname":"TooHot","room":"lab","severity":"page"},"annotations":{"summary":"lab is at 95 degrees"},"value":"9.5e+01"' "$events"
check_contains "event: resolved" '"alertname":"TooHot","from":"firing","to":"inactive"' "$events"
check_contains "event: pending dropped" '"alertname":"Slow","from":"pending","to":"inactive"' "$events"
check "events limit" 1 "$(http GET '/api/v1/alerts/events?limit=1' | grep -o '"time_ms"' | wc -l)"
check_contains "events since the future" '{"events":[]}' "$(http GET '/api/v1/alerts/events?since=4000000000')"
check_contains "events bad limit" '400 {"status":"error","errorType":"bad_data"' "$(http GET '/api/v1/alerts/events?limit=x')"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts --events --since -1h 2>&1) && rc=0 || rc=$?
check "gnomon alerts --events exit" 0 "$rc"
check_contains "gnomon alerts --events table" "TooHot     pending -> firing" "$out"
check_contains "gnomon alerts --events labels" "room=lab, severity=page" "$out"
check "gnomon alerts --events --limit 1" 2 "$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts --events --limit 1 --format csv | wc -l)"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts --events --since never 2>&1) && rc=0 || rc=$?
check "gnomon alerts --events bad --since" 2 "$rc"

# History: the event log filtered by alert name, label selector and time; `gnomon alerts history`.
hist=$(http GET '/api/v1/alerts/history?alertname=TooHot')
check_contains "history by alertname" '"alertname":"TooHot","from":"pending","to":"firing"' "$hist"
check "history by alertname has no other alert" 0 "$(grep -c '"alertname":"Slow"' <<<"$hist" || true)"
check "history: TooHot's three changes" 3 "$(grep -o '"time_ms"' <<<"$hist" | wc -l)"
hist=$(http GET '/api/v1/alerts/history' --get --data-urlencode 'match[]={severity="page"}')
check_contains "history by label matcher" '"alertname":"TooHot","from":"inactive","to":"pending"' "$hist"
check "history by label matcher leaves out Slow (no severity)" 0 "$(grep -c '"alertname":"Slow"' <<<"$hist" || true)"
hist=$(http GET '/api/v1/alerts/history' --get --data-urlencode 'match[]={alertname=~"Slow|Nope"}' --data-urlencode 'match[]={severity="nope"}')
check_contains "history: any of several selectors" '"alertname":"Slow"' "$hist"
check "history: the other selector matches nothing" 0 "$(grep -c '"alertname":"TooHot"' <<<"$hist" || true)"
check "history limit keeps the newest" 1 "$(http GET '/api/v1/alerts/history?alertname=TooHot&limit=1' | grep -o '"to":"inactive"' | wc -l)"
check_contains "history before everything" '{"events":[]}' "$(http GET '/api/v1/alerts/history?end=1000000000')"
check_contains "history bad selector" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\"' \
  "$(http GET '/api/v1/alerts/history' --get --data-urlencode 'match[]={severity=}')"
check_contains "history end before start" '400 {"status":"error"' "$(http GET '/api/v1/alerts/history?start=2000000000&end=1000000000')"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts history --alertname TooHot --since -1h --color never 2>&1) && rc=0 || rc=$?
check "gnomon alerts history exit" 0 "$rc"
check_contains "gnomon alerts history timeline" "TooHot  pending → firing  value=9.5e+01  {room=lab, severity=page}" "$out"
check_contains "gnomon alerts history relative time" " ago " "$out"
check "gnomon alerts history: one line per change" 3 "$(wc -l <<<"$out")"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts history --match '{severity="page"}' --color always 2>&1)
check_contains "gnomon alerts history colours firing" $'\x1b[31mfiring\x1b[0m' "$out"
check "gnomon alerts history --format csv" 4 "$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts history --alertname TooHot --format csv | wc -l)"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts history --until yesterday 2>&1) && rc=0 || rc=$?
check "gnomon alerts history bad --until" 2 "$rc"
stop_gnomond
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"
check_contains "events survive a restart" '"alertname":"TooHot","from":"pending","to":"firing"' "$(http GET /api/v1/alerts/events)"
stop_gnomond

# A broken rule file: gnomond refuses to start and says where.
printf 'groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: sum((\n' > "$WORK/rules-bad.yml"
out=$(timeout 20 "$BUILD/gnomond" --listen 127.0.0.1:0 --data-dir "$WORK/data2" --config "$WORK/gnomond.toml" 2>&1) && rc=0 || rc=$?
check "bad rule file exit" 1 "$rc"
check_contains "bad rule file message" "rules-bad.yml:5:15: could not parse expression" "$out"
rm "$WORK/rules-bad.yml"

# The quick-start flags: --rules and --evaluation-interval instead of a config file; receivers by
# flag are checked at start.
start_gnomond "$WORK/data3" --rules "$WORK/rules.yml" --evaluation-interval 1s --webhook http://127.0.0.1:9/hook
check_contains "--rules loads the rules" "loaded 3 rules from 1 rule file patterns" "$(cat "$GNOMOND_LOG")"
check_contains "--evaluation-interval reaches the groups" '"interval":1,' "$(http GET /api/v1/rules)"
check_contains "receivers API" '{"name":"webhook-1","type":"webhook","url":"http://127.0.0.1:9/hook","state":"closed","timesOpened":0,"queued":0,' \
  "$(http GET /api/v1/alerts/receivers)"
m=$(http GET /metrics)
check_contains "metrics: receiver queue" 'gnomon_notify_queued{receiver="webhook-1"} 0' "$m"
check_contains "metrics: breaker state" 'gnomon_notify_circuit_state{receiver="webhook-1"} 0' "$m"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts receivers 2>&1) && rc=0 || rc=$?
check "gnomon alerts receivers exit" 0 "$rc"
check_contains "gnomon alerts receivers table" "webhook-1  webhook  closed" "$out"
stop_gnomond
start_gnomond "$WORK/data5" --rules "$WORK/rules.yml"
check_contains "no receivers: empty list" '{"status":"success","data":{"receivers":[]}}' "$(http GET /api/v1/alerts/receivers)"
check_contains "gnomon alerts receivers, none" "no receivers configured" "$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts receivers 2>&1)"
stop_gnomond
out=$(timeout 20 "$BUILD/gnomond" --listen 127.0.0.1:0 --data-dir "$WORK/data4" --webhook ftp://x 2>&1) && rc=0 || rc=$?
check "bad --webhook exit" 2 "$rc"
check_contains "bad --webhook message" 'gnomond: --webhook: receiver "webhook-1": url "ftp://x" must start with http:// or https://' "$out"
out=$(timeout 20 "$BUILD/gnomond" --listen 127.0.0.1:0 --data-dir "$WORK/data4" --evaluation-interval soon 2>&1) && rc=0 || rc=$?
check "bad --evaluation-interval exit" 2 "$rc"
check_contains "bad --evaluation-interval message" "--evaluation-interval: override" "$out"
printf '[[alerting.receivers]]\nname = "x"\n' > "$WORK/bad-receiver.toml"
out=$(timeout 20 "$BUILD/gnomond" --listen 127.0.0.1:0 --data-dir "$WORK/data4" --config "$WORK/bad-receiver.toml" 2>&1) && rc=0 || rc=$?
check "receiver without url exit" 2 "$rc"
check_contains "receiver without url message" 'bad-receiver.toml:1:1: key "alerting.receivers": item 1 (line 1): receiver "x" needs a url' "$out"

finish
