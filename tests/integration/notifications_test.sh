#!/usr/bin/env bash
# Alert notifications end to end: a rule fires in gnomond while its webhook receiver (the shared
# kit's webhook_sink.py) is down; the notification waits in the durable outbox; gnomond is killed
# with SIGKILL and restarted; once the receiver is up the firing notice arrives, and so does the
# resolved one, in Alertmanager's webhook format, and the alert history shows each delivery's
# outcome. A real Alertmanager gets the same alert through the API v2 receiver, and sees it resolve.
source "$(dirname "$0")/lib.sh"
SINK=$SRC/../shared/alerts/webhook_sink.py
[ -f "$SINK" ] || { echo "the alerting kit is missing: expected $SINK"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

cat > "$WORK/rules.yml" <<'YML'
groups:
  - name: fast
    interval: 1s
    rules:
      - alert: TooHot
        expr: temp > 50
        labels:
          severity: page
        annotations:
          summary: '{{ $labels.room }} is at {{ $value }} degrees'
YML
SINK_PORT=$(free_port)
up_at=$(( $(date +%s) + 6 ))
python3 "$SINK" --port "$SINK_PORT" --out "$WORK/hooks.jsonl" --down-until "$up_at" --down-mode 503 --max-seconds 120 \
  >"$WORK/sink.log" 2>&1 &
EXTRA_PIDS="$!"
ARGS=(--rules "$WORK/rules.yml" --evaluation-interval 1s --webhook "http://127.0.0.1:$SINK_PORT/hook")

push() {  # push VALUE: temp{room="lab"} = VALUE now
  local now_ms=$(($(date +%s%N) / 1000000))
  http POST /api/v1/import --data-binary "{\"metric\":{\"__name__\":\"temp\",\"room\":\"lab\"},\"values\":[$1],\"timestamps\":[$now_ms]}" >/dev/null
}
# until_true SECONDS COMMAND...: runs COMMAND every 0.2 s until it succeeds or SECONDS pass
until_true() {
  local n=$(( $1 * 5 )); shift
  for _ in $(seq "$n"); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  return 1
}
queued() { grep -q '"queued":[1-9]' <<<"$(http GET /api/v1/alerts/receivers)"; }
hook_has() { [ -f "$WORK/hooks.jsonl" ] && grep -qF -- "$1" "$WORK/hooks.jsonl"; }

start_gnomond "$WORK/data" "${ARGS[@]}"
push 95
until_true 10 queued && r=yes || r=no
check "firing notice queued while the receiver is down" yes "$r"
rcv=$(http GET /api/v1/alerts/receivers)
check_contains "failed attempts are counted" '"failedRequests":' "$rcv"
check "nothing delivered yet" no "$(hook_has TooHot && echo yes || echo no)"

# kill -9 with the notice queued, then restart: the outbox is replayed.
{ kill -9 "$GNOMOND_PID" && wait "$GNOMOND_PID"; } 2>/dev/null || true
GNOMOND_PID=
start_gnomond "$WORK/data" "${ARGS[@]}"
check_contains "restart finds the queued notices" "notifications queued from before" "$(cat "$GNOMOND_LOG")"
until_true 40 hook_has '\"status\":\"firing\"' && r=yes || r=no
check "the firing notice arrives once the receiver is up" yes "$r"
first=$(grep -m1 TooHot "$WORK/hooks.jsonl" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["body"])')
check_contains "webhook payload version 4" '{"version":"4","groupKey":"{}:{alertname=\"TooHot\"}"' "$first"
check_contains "alert labels" '"alerts":[{"status":"firing","labels":{"alertname":"TooHot","room":"lab","severity":"page"}' "$first"
check_contains "alert annotation" '"annotations":{"summary":"lab is at 95 degrees"}' "$first"
check_contains "receiver name" '"receiver":"webhook-1"' "$first"

push 10
until_true 40 hook_has '\"status\":\"resolved\"' && r=yes || r=no
check "the resolved notice arrives" yes "$r"
until_true 10 bash -c "! grep -q '\"queued\":[1-9]' <<<\"\$(curl -s $GNOMOND_URL/api/v1/alerts/receivers)\"" && r=yes || r=no
check "the outbox empties" yes "$r"
# The history answers "was anyone told, and when?": each outcome is an event of the alert.
hist=$(http GET '/api/v1/alerts/history?alertname=TooHot')
check_contains "history: the failure while the receiver was down" '"receiver":"webhook-1","outcome":"failed","notice":"firing","labels":{"alertname":"TooHot","room":"lab","severity":"page"},"detail":"HTTP 503' "$hist"
check_contains "history: the firing notice delivered" '"receiver":"webhook-1","outcome":"sent","notice":"firing"' "$hist"
check_contains "history: the resolved notice delivered" '"receiver":"webhook-1","outcome":"sent","notice":"resolved"' "$hist"
# A failure is recorded once per notification and process (the firing notice before the kill, then
# it and the notifier's resend after the restart), not at each of the retries.
failed_events=$(grep -o '"outcome":"failed","notice":"firing"' <<<"$hist" | wc -l)
check "history: a failure per notification, not per retry" yes "$([ "$failed_events" -ge 1 ] && [ "$failed_events" -le 3 ] && echo yes || echo "no ($failed_events)")"
check_contains "history by label selector keeps notifications" '"outcome":"sent"' \
  "$(http GET /api/v1/alerts/history --get --data-urlencode 'match[]={severity="page"}')"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" alerts history --alertname TooHot --color never 2>&1)
check_contains "gnomon alerts history: delivery" "TooHot  firing notice sent to webhook-1" "$out"
check_contains "gnomon alerts history: failure with the answer" "TooHot  firing notice failed to webhook-1 (HTTP 503" "$out"
m=$(http GET /metrics)
check "metrics: notifications sent" yes "$(grep -qE '^gnomon_notify_sent_total\{receiver="webhook-1"\} [1-9]' <<<"$m" && echo yes || echo no)"
stop_gnomond
check "gnomond exits 0" "0" "$?"

# A real Alertmanager as an API v2 receiver.
if [ -x /usr/bin/prometheus-alertmanager ]; then
  AM_PORT=$(free_port)
  printf 'route:\n  receiver: none\nreceivers:\n  - name: none\n' > "$WORK/am.yml"
  /usr/bin/prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/am" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= >"$WORK/am.log" 2>&1 &
  EXTRA_PIDS="$EXTRA_PIDS $!"
  start_gnomond "$WORK/data-am" --rules "$WORK/rules.yml" --evaluation-interval 1s --alertmanager "http://127.0.0.1:$AM_PORT"
  push 95
  am_has() { grep -qF -- "$1" <<<"$(curl -s "http://127.0.0.1:$AM_PORT/api/v2/alerts")"; }
  until_true 20 am_has '"alertname":"TooHot"' && r=yes || r=no
  check "Alertmanager shows the alert" yes "$r"
  am=$(curl -s "http://127.0.0.1:$AM_PORT/api/v2/alerts")
  check_contains "Alertmanager: labels" '"labels":{"alertname":"TooHot","room":"lab","severity":"page"}' "$am"
  check_contains "Alertmanager: annotation" '"annotations":{"summary":"lab is at 95 degrees"}' "$am"
  check_contains "Alertmanager: active" '"state":"active"' "$am"
  check_contains "Alertmanager: generator URL" '"generatorURL":"/graph?g0.expr=temp%20%3E%2050\u0026g0.tab=1"' "$am"
  # Cooler: the resolved notice ends the alert in Alertmanager (its API lists only unresolved ones).
  push 10
  until_true 20 bash -c "! grep -qF '\"alertname\":\"TooHot\"' <<<\"\$(curl -s http://127.0.0.1:$AM_PORT/api/v2/alerts)\"" && r=yes || r=no
  check "the alert resolves in Alertmanager" yes "$r"
  check_contains "history: resolved notice sent to Alertmanager" '"receiver":"alertmanager-1","outcome":"sent","notice":"resolved"' \
    "$(http GET '/api/v1/alerts/history?alertname=TooHot')"
  stop_gnomond
else
  echo "SKIP: no /usr/bin/prometheus-alertmanager (scripts/install-deps.sh installs it)"
fi
finish
