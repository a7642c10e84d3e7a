#!/usr/bin/env bash
# The web console in a real browser (issue 14): headless Chromium from Debian, driven over the
# DevTools protocol (tests/console/cdp.mjs), against gnomond on a loopback port with known metrics,
# a firing rule and one request's logs across three services. Each page loads with no console
# errors; the graph of a known expression names its series in the legend; a bad expression shows
# the parse error; the timeline of a known correlation ID has a lane per service and its error
# line; the alerts page lists the firing rule; the logs page lists lines. With auth_token, the
# page loads and its data needs the token. Screenshots go to BUILD/console-screenshots/.
# The assets: a redirect at /, ETags and 304s, gzip.
source "$(dirname "$0")/lib.sh"
SHOTS=$BUILD/console-screenshots
mkdir -p "$SHOTS"
command -v chromium >/dev/null || { echo "chromium is missing: run scripts/install-deps.sh"; exit 1; }

cat >"$WORK/rules.yml" <<'EOF'
groups:
  - name: console
    interval: 1s
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        labels: {severity: page}
        annotations: {summary: "fires for the console test"}
EOF
start_gnomond "$WORK/data" --rules "$WORK/rules.yml"

# Metrics: cpu_usage_user of three hosts over the last hour, a point a minute.
now=$(date +%s)
h=0
for host in alpha beta gamma; do
  h=$((h + 1))
  for i in $(seq 0 59); do echo "cpu,host=$host usage_user=$(((i * h) % 17 + 10 * h)) $(((now - 3600 + i * 60) * 1000000000))"; done
done >"$WORK/cpu.lp"
check "metrics written" 204 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$WORK/cpu.lp" "$GNOMOND_URL/write")"
# One request across three services: an error in payments, a compensation after it.
t0=$((now - 120))
cat >"$WORK/req.ndjson" <<EOF
{"ts":"$(date -u -d @$t0 +%FT%T).100Z","service":"gateway","level":"info","correlation_id":"req-42","msg":"POST /orders"}
{"ts":"$(date -u -d @$t0 +%FT%T).250Z","service":"inventory","level":"info","correlation_id":"req-42","msg":"reserved 2 items"}
{"ts":"$(date -u -d @$t0 +%FT%T).900Z","service":"payments","level":"error","correlation_id":"req-42","msg":"card declined"}
{"ts":"$(date -u -d @$((t0 + 1)) +%FT%T).050Z","service":"inventory","level":"warn","correlation_id":"req-42","msg":"compensate: released 2 items"}
{"ts":"$(date -u -d @$((t0 + 1)) +%FT%T).100Z","service":"gateway","level":"info","correlation_id":"req-42","msg":"502 to client"}
EOF
check "logs pushed" 204 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$WORK/req.ndjson" "$GNOMOND_URL/api/v1/logs")"

# The assets.
check_contains "/ redirects to the graph page" "location: /graph" "$(curl -s -D - -o /dev/null "$GNOMOND_URL/" | tr -d '\r' | tr 'A-Z' 'a-z')"
etag=$(curl -s -D - -o /dev/null "$GNOMOND_URL/static/console/app.js" | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
check "an unchanged asset is 304" 304 "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$GNOMOND_URL/static/console/app.js")"
check_contains "assets gzipped when accepted" "content-encoding: gzip" \
  "$(curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' "$GNOMOND_URL/static/codemirror/lib/codemirror.js" | tr -d '\r' | tr 'A-Z' 'a-z')"
check "no such asset" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$GNOMOND_URL/static/console/nope.js")"

# browse NAME URL WAIT [EVAL...]: one page in Chromium; sets OUT (cdp.mjs' JSON) and checks that
# it got ready with no console errors.
browse() {
  local name=$1 url=$2 wait=$3; shift 3
  local evals=()
  for e in "$@"; do evals+=(--eval "$e"); done
  OUT=$(node --experimental-websocket "$SRC/tests/console/cdp.mjs" --url "$url" --wait "$wait" --timeout 15000 \
    --screenshot "$SHOTS/$name.png" ${INIT:+--init "$INIT"} ${DARK:+--dark} "${evals[@]}" || true)
  check "$name: ready" true "$(json ok)"
  # A request the page makes on purpose and gnomond refuses (a bad expression's 400) is logged
  # by the browser as a failed load: ALLOW names that one.
  check "$name: no console errors" "[]" "$(python3 -c 'import json, re, sys
errors = json.loads(sys.argv[1] or "{}").get("console_errors", [])
allow = sys.argv[2]
print(json.dumps([e for e in errors if not (allow and re.search(allow, e))]))' "$OUT" "${ALLOW:-}")"
}
json() { python3 -c 'import json, sys; v = json.loads(sys.argv[1] or "{}").get(sys.argv[2]); print(json.dumps(v) if isinstance(v, (list, dict)) else str(v).lower() if isinstance(v, bool) else v)' "$OUT" "$1"; }
ev() { python3 -c 'import json, sys; print(json.loads(sys.argv[1] or "{}").get("evals", [None] * 9)[int(sys.argv[2])])' "$OUT" "$1"; }

# Alerts first (the rule has fired by the time the other pages are done otherwise): wait for it.
for _ in $(seq 50); do
  curl -s "$GNOMOND_URL/api/v1/alerts" | grep -q '"state":"firing"' && break
  sleep 0.1
done

browse graph "$GNOMOND_URL/graph?expr=cpu_usage_user&range=1h" \
  "document.body.dataset.chartDrawn && document.querySelectorAll('.legend-series').length >= 3" \
  "[...document.querySelectorAll('.legend-series')].map(e => e.textContent).join(' | ')"
legend=$(ev 0)
for host in alpha beta gamma; do check_contains "graph: the legend names host $host" "host=\"$host\"" "$legend"; done

ALLOW='status of 400 \(Bad Request\)'
browse graph-error "$GNOMOND_URL/graph?expr=sum(" "document.body.innerText.includes('parse error')" \
  "document.body.innerText.includes('parse error')"
ALLOW=
check "graph: a bad expression shows the parse error" True "$(ev 0)"

browse timeline "$GNOMOND_URL/logs/correlation/req-42" "document.body.dataset.pageReady === '1'" \
  "[...document.querySelectorAll('.lane-name')].map(e => e.textContent.trim()).sort().join(',')" \
  "document.querySelectorAll('.mark.error').length" \
  "document.body.innerText.includes('card declined')"
check "timeline: a lane per service" "gateway,inventory,payments" "$(ev 0)"
check "timeline: the error line is marked" 1 "$(ev 1)"
check "timeline: the error line is listed" True "$(ev 2)"
DARK=1 browse timeline-dark "$GNOMOND_URL/logs/correlation/req-42" "document.body.dataset.pageReady === '1'" \
  "getComputedStyle(document.body).backgroundColor"
check "timeline: dark mode follows the system" "rgb(20, 23, 29)" "$(ev 0)"

browse alerts "$GNOMOND_URL/alerts" "document.body.dataset.pageReady === '1' && document.body.innerText.includes('AlwaysFiring')" \
  "document.body.innerText.toLowerCase().includes('firing')"
check "alerts: the firing rule is listed as firing" True "$(ev 0)"

browse logs "$GNOMOND_URL/logs?query=%7Bservice%3D%22payments%22%7D&range=1h" "document.body.dataset.pageReady === '1'" \
  "document.body.innerText.includes('card declined')"
check "logs: the matching line is listed" True "$(ev 0)"
stop_gnomond

# With auth_token: the page itself loads; with the token in the browser, so does its data.
start_gnomond "$WORK/data2" --auth-token s3cret
curl -s --data-binary @"$WORK/cpu.lp" -H 'Authorization: Bearer s3cret' "$GNOMOND_URL/write" >/dev/null
check "auth: the page is public" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$GNOMOND_URL/graph")"
check "auth: the data is not" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$GNOMOND_URL/api/v1/query?query=1")"
INIT="localStorage.setItem('gnomon.token', 's3cret')"
browse graph-auth "$GNOMOND_URL/graph?expr=cpu_usage_user&range=1h" \
  "document.body.dataset.chartDrawn && document.querySelectorAll('.legend-series').length >= 3"
INIT=
stop_gnomond
finish
