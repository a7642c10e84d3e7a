#!/usr/bin/env bash
# gnomond's rules across restarts and reloads: after kill -9 and a restart, pending and firing
# alerts resume their `for` clocks from ALERTS_FOR_STATE (activeAt from before the restart);
# POST /-/reload and SIGHUP re-read the rule files, keep the alerts' state, and reject a broken
# file with its errors while the old rules keep running (answer, log line, /metrics).
source "$(dirname "$0")/lib.sh"

cat > "$WORK/rules.yml" <<'YML'
groups:
  - name: g
    interval: 1s
    rules:
      - alert: Hot
        expr: temp > 50
        for: 30s
      - alert: Fired
        expr: temp > 50
        for: 2s
YML
args=(--rules "$WORK/rules.yml" --evaluation-interval 1s --rules.alert.for-grace-period 1s)
start_gnomond "$WORK/data" "${args[@]}"

push() {  # push VALUE: temp{room="lab"} = VALUE now
  local now_ms=$(($(date +%s%N) / 1000000))
  http POST /api/v1/import --data-binary "{\"metric\":{\"__name__\":\"temp\",\"room\":\"lab\"},\"values\":[$1],\"timestamps\":[$now_ms]}" >/dev/null
}
wait_for() {  # wait_for PATH NEEDLE: polls for up to 10 s
  for _ in $(seq 100); do
    if grep -qF -- "$2" <<<"$(http GET "$1")"; then return 0; fi
    sleep 0.1
  done
  return 1
}
# active_at NAME: the alert's activeAt in unix seconds
active_at() {
  local a
  a=$(http GET /api/v1/alerts | grep -o "\"alertname\":\"$1\"[^}]*},\"annotations\":{[^}]*},\"state\":\"[a-z]*\",\"activeAt\":\"[^\"]*\"" |
    grep -o '"activeAt":"[^"]*"' | cut -d'"' -f4)
  [ -n "$a" ] && date -d "$a" +%s || echo none
}

push 95
wait_for /api/v1/alerts '"alertname":"Fired","room":"lab"},"annotations":{},"state":"firing"' && r=yes || r=no
check "Fired fires" yes "$r"
hot_before=$(active_at Hot)
sleep 3  # Hot has been pending a few seconds
kill -9 "$GNOMOND_PID"
wait "$GNOMOND_PID" 2>/dev/null || true
restarted=$(date +%s)
start_gnomond "$WORK/data" "${args[@]}"
wait_for /api/v1/alerts '"alertname":"Hot"' && r=yes || r=no
check "Hot is back after kill -9" yes "$r"
hot_after=$(active_at Hot)
# Restored: its clock went on from before the restart (shifted by the downtime), not from now.
check "Hot's activeAt is from before the restart" yes "$([ "$hot_after" != none ] && [ "$hot_after" -lt "$restarted" ] && echo yes || echo "no ($hot_before -> $hot_after, restart $restarted)")"
check "Hot's activeAt moved by no more than the downtime" yes "$([ "$hot_after" -ge "$hot_before" ] && echo yes || echo no)"
check_contains "Hot still pending" '"alertname":"Hot","room":"lab"},"annotations":{},"state":"pending"' "$(http GET /api/v1/alerts)"
check_contains "Fired firing again at once, with its old activeAt" '"alertname":"Fired","room":"lab"},"annotations":{},"state":"firing"' "$(http GET /api/v1/alerts)"
fired_after=$(active_at Fired)
check "Fired's activeAt is from before the restart" yes "$([ "$fired_after" != none ] && [ "$fired_after" -lt "$restarted" ] && echo yes || echo no)"

# POST /-/reload: a new rule appears, Hot keeps its state.
cat > "$WORK/rules.yml" <<'YML'
groups:
  - name: g
    interval: 1s
    rules:
      - alert: Hot
        expr: temp > 50
        for: 30s
      - record: temp:doubled
        expr: temp * 2
YML
r=$(http POST /-/reload)
check "reload answers 200" 200 "${r%% *}"
check_contains "reload logged" "rule files reloaded: 1 groups, 2 rules" "$(cat "$GNOMOND_LOG")"
wait_for /api/v1/rules '"name":"temp:doubled"' && r=yes || r=no
check "the new rule runs" yes "$r"
check "the removed rule is gone" 0 "$(http GET /api/v1/rules | grep -c '"name":"Fired"' || true)"
check "Hot kept its activeAt across the reload" "$hot_after" "$(active_at Hot)"
check_contains "metrics: reload successful" "gnomon_rules_last_reload_successful 1" "$(http GET /metrics)"
info=$(http GET /api/v1/status/runtimeinfo)
check_contains "runtimeinfo in Prometheus' shape" '200 {"status":"success","data":{"startTime":"' "$info"
check_contains "runtimeinfo: reload succeeded" '"reloadConfigSuccess":true,"lastConfigTime":"' "$info"
check_contains "runtimeinfo: retention" '"storageRetention":"0s"' "$info"
check_contains "metrics: group duration" 'gnomon_rule_group_last_duration_seconds{rule_group="'"$WORK"'/rules.yml;g"}' "$(http GET /metrics)"

# A broken file: 500 with the file's errors, the running rules stay, the failure is visible.
printf 'groups:\n  - name: g\n    rules:\n      - alert: X\n        expr: sum((\n' > "$WORK/rules.yml"
r=$(http POST /-/reload)
check "broken reload answers 500" 500 "${r%% *}"
check_contains "broken reload names file and line" "failed to reload config: alerting: cannot load rule files: $WORK/rules.yml:5:15" "$r"
check_contains "broken reload logged" "rule files not reloaded, the previous rules keep running" "$(cat "$GNOMOND_LOG")"
check_contains "metrics: reload failed" "gnomon_rules_last_reload_successful 0" "$(http GET /metrics)"
check_contains "runtimeinfo: reload failed" '"reloadConfigSuccess":false' "$(http GET /api/v1/status/runtimeinfo)"
check_contains "old rules still there" '"name":"temp:doubled"' "$(http GET /api/v1/rules)"
check_contains "old alert still there" '"alertname":"Hot"' "$(http GET /api/v1/alerts)"
check "reload needs a POST" 405 "$(http GET /-/reload | cut -d' ' -f1)"

# SIGHUP does the same.
cat > "$WORK/rules.yml" <<'YML'
groups:
  - name: g
    interval: 1s
    rules:
      - alert: Hot
        expr: temp > 50
        for: 30s
YML
kill -HUP "$GNOMOND_PID"
for _ in $(seq 100); do grep -q "rule files reloaded: 1 groups, 1 rules" "$GNOMOND_LOG" && break; sleep 0.1; done
check_contains "SIGHUP reloads" "rule files reloaded: 1 groups, 1 rules" "$(cat "$GNOMOND_LOG")"
check_contains "metrics: reload successful again" "gnomon_rules_last_reload_successful 1" "$(http GET /metrics)"
check_contains "runtimeinfo: reload succeeded again" '"reloadConfigSuccess":true' "$(http GET /api/v1/status/runtimeinfo)"
check "gnomond still runs after SIGHUP" yes "$(kill -0 "$GNOMOND_PID" && echo yes || echo no)"
stop_gnomond

finish
