#!/usr/bin/env bash
# Loki's query API end to end: fixed lines pushed with Loki's push API, then query_range (log and
# metric queries, limit, direction, [start, end), step), query (instant log and metric queries,
# Grafana's health check), labels, label values and series in the JSON shapes Grafana's Loki data
# source reads, and the error paths (parse errors, bad parameters, the entries limit). logcli is
# used if installed (Debian's package), else skipped.
source "$(dirname "$0")/lib.sh"

printf '[logs]\nmax_entries_limit_per_query = 50\n' > "$WORK/gnomond.toml"
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"

T0=1700000000  # 2023-11-14T22:13:20Z
ns() { echo "$(( (T0 + $1) * 1000000000 ))"; }
body='{"streams":[
 {"stream":{"app":"api","env":"prod"},"values":[
   ["'$(ns 10)'","level=info msg=\"request done\" status=200"],
   ["'$(ns 20)'","level=error msg=\"request failed\" status=500"],
   ["'$(ns 60)'","level=error msg=\"second failure\" status=503"]]},
 {"stream":{"app":"api","env":"dev"},"values":[["'$(ns 30)'","{\"level\":\"warn\",\"req\":{\"path\":\"/a\"}}"]]},
 {"stream":{"app":"web","env":"prod"},"values":[["'$(ns 40)'","level=info msg=ok"],["'$(ns 50)'","plain <text> & \"quotes\""]]}]}'
r=$(http POST /loki/api/v1/push -H 'Content-Type: application/json' --data-binary "$body")
check "push" 204 "${r%% *}"

q() {  # q PATH query [curl args]: GET with the query URL-encoded
  local path=$1 query=$2; shift 2
  http GET "$path" -G --data-urlencode "query=$query" "$@"
}
S=$((T0)) E=$((T0 + 100))

# ---- query_range: log queries ----
r=$(q /loki/api/v1/query_range '{app="api"} |= "error"' -d start=$S -d end=$E)
check_contains "streams shape" '200 {"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"api","env":"prod"},"values":[["'$(ns 60)'","level=error msg=\"second failure\" status=503"],["'$(ns 20)'","level=error msg=\"request failed\" status=500"]]}],"stats":{"summary":{' "$r"
check_contains "stats" '"totalLinesProcessed":4,' "$r"
r=$(q /loki/api/v1/query_range '{env=~".+"}' -d start=$S -d end=$E -d limit=2 -d direction=forward)
check "limit + forward" '"'$(ns 10)'" "'$(ns 20)'"' "$(grep -o '\["[0-9]*"' <<<"$r" | tr -d '[' | tr '\n' ' ' | sed 's/ $//')"
r=$(q /loki/api/v1/query_range '{app="api"}' -d start=$(ns 20) -d end=$(ns 60))
check "[start, end) in unix ns" 2 "$(grep -o '\["[0-9]*"' <<<"$r" | wc -l)"
r=$(q /loki/api/v1/query_range '{app="api"}' -d start=2023-11-14T22:13:30Z -d end=2023-11-14T22:15:00Z)
check "RFC 3339 times" 4 "$(grep -o '\["[0-9]*"' <<<"$r" | wc -l)"
r=$(q /loki/api/v1/query_range '{app="web"} != "level"' -d start=$S -d end=$E)
check_contains "Go JSON escaping of lines" '"plain \u003ctext\u003e \u0026 \"quotes\""' "$r"
r=$(q /loki/api/v1/query_range '{app="api", env="prod"} | logfmt | status >= 500 | line_format "{{.msg}}"' -d start=$S -d end=$E)
check_contains "logfmt, label filter, line_format" '{"stream":{"app":"api","env":"prod","level":"error","msg":"request failed","status":"500"},"values":[["'$(ns 20)'","request failed"]]}' "$r"
r=$(q /loki/api/v1/query_range '{env="dev"} | json' -d start=$S -d end=$E)
check_contains "json flattened" '"stream":{"app":"api","env":"dev","level":"warn","req_path":"/a"}' "$r"
r=$(http POST /loki/api/v1/query_range --data-urlencode 'query={app="web"}' -d start=$S -d end=$E)
check_contains "POST form" '"resultType":"streams"' "$r"
r=$(q /loki/api/v1/query_range '{app="api"}')
check_contains "default window: the last hour (nothing)" '200 {"status":"success","data":{"resultType":"streams","result":[],' "$r"

# ---- query_range: metric queries ----
r=$(q /loki/api/v1/query_range 'sum by (app) (count_over_time({env=~".+"}[1m]))' -d start=$((T0 + 30)) -d end=$((T0 + 60)) -d step=30s)
check "matrix shape" '200 {"status":"success","data":{"resultType":"matrix","result":[{"metric":{"app":"api"},"values":[[1700000030,"3"],[1700000060,"4"]]},{"metric":{"app":"web"},"values":[[1700000060,"2"]]}],"stats"' "${r%%:{\"summary\"*}"
r=$(q /loki/api/v1/query_range 'rate({app="api", env="prod"}[1m])' -d start=$((T0 + 60)) -d end=$((T0 + 60)) -d step=1)
check_contains "rate, step in seconds" '"values":[[1700000060,"0.05"]]' "$r"
r=$(q /loki/api/v1/query_range 'topk(1, count_over_time({env=~".+"}[2m]))' -d start=$((T0 + 60)) -d end=$((T0 + 60)))
check_contains "topk" '"result":[{"metric":{"app":"api","env":"prod"},"values":[[1700000060,"3"]]}]' "$r"

# ---- query: instant ----
r=$(q /loki/api/v1/query 'count_over_time({app="web"}[1m])' -d time=$((T0 + 60)))
check_contains "vector shape" '200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{"app":"web","env":"prod"},"value":[1700000060,"2"]}],"stats"' "$r"
r=$(q /loki/api/v1/query '{app="web"}' -d time=$((T0 + 45)))
check_contains "instant log query: (time - 1h, time]" '"result":[{"stream":{"app":"web","env":"prod"},"values":[["'$(ns 40)'","level=info msg=ok"]]}]' "$r"
r=$(q /loki/api/v1/query 'vector(1)+vector(1)')
check_contains "Grafana's health check" '"resultType":"vector","result":[{"metric":{},"value":[' "$r"

# ---- labels, values, series ----
check "labels" '200 {"status":"success","data":["app","env"]}' "$(http GET "/loki/api/v1/labels?start=$S&end=$E")"
check "labels: default window, the last 6h (nothing)" '200 {"status":"success","data":[]}' "$(http GET /loki/api/v1/labels)"
check "label values" '200 {"status":"success","data":["api","web"]}' "$(http GET "/loki/api/v1/label/app/values?start=$S&end=$E")"
check "label values out of range" '200 {"status":"success","data":[]}' "$(http GET "/loki/api/v1/label/app/values?start=$((E + 7200))")"
check "unknown label: no values" '200 {"status":"success","data":[]}' "$(http GET "/loki/api/v1/label/nope/values?start=$S&end=$E")"
check "series" '200 {"status":"success","data":[{"app":"api","env":"dev"},{"app":"api","env":"prod"}]}' \
  "$(http GET /loki/api/v1/series -G --data-urlencode 'match[]={app="api"}' -d start=$S -d end=$E)"
check "series of two selectors" 2 "$(http GET /loki/api/v1/series -G --data-urlencode 'match[]={app="web"}' --data-urlencode 'match[]={env="dev"}' --data-urlencode 'match[]={app="web"}' -d start=$S -d end=$E | grep -o '"app"' | wc -l | tr -d ' ')"
check "every series" 3 "$(http GET "/loki/api/v1/series?start=$S&end=$E" | grep -o '"app"' | wc -l | tr -d ' ')"

# ---- errors: Loki's plain-text 400 ----
r=$(q /loki/api/v1/query_range '{app="api"')
check "parse error" '400 parse error at line 1, col 11: syntax error: unexpected $end, expecting } or ,' "$(tr -d '\n' <<<"$r")"
r=$(q /loki/api/v1/query_range '{app=~".*"}')
check_contains "empty-matching selector" '400 parse error : queries require at least one regexp or equality matcher' "$r"
r=$(q /loki/api/v1/query_range '{app="api"}' -d limit=51)
check "entries limit" '400 max entries limit per query exceeded, limit > max_entries_limit (51 > 50)' "$(tr -d '\n' <<<"$r")"
check_contains "bad start" '400 invalid parameter "start"' "$(q /loki/api/v1/query_range '{app="api"}' -d start=soon)"
check_contains "end before start" '400 end timestamp must not be before' "$(q /loki/api/v1/query_range '{app="api"}' -d start=$E -d end=$S)"
check_contains "max query length" '400 the query time range exceeds the limit (query length: 32d, limit: 30d1h)' \
  "$(q /loki/api/v1/query_range '{app="api"}' -d start=$((E - 768 * 3600)) -d end=$E)"
check_contains "bad direction" '400 invalid direction' "$(q /loki/api/v1/query_range '{app="api"}' -d direction=up)"
check_contains "bad step" '400 invalid parameter "step"' "$(q /loki/api/v1/query_range 'rate({app="api"}[1m])' -d step=often)"
check_contains "too many steps" '400 exceeded maximum resolution of 11000 points' "$(q /loki/api/v1/query_range 'rate({app="api"}[1m])' -d start=$S -d end=$((S + 100000)) -d step=1)"
check_contains "labels: bad end" '400 invalid parameter "end"' "$(http GET '/loki/api/v1/labels?end=x')"
check_contains "series: a metric query" '400 match[] takes a stream selector' "$(http GET /loki/api/v1/series -G --data-urlencode 'match[]=rate({app="a"}[1m])')"
check "error content type" "text/plain; charset=utf-8" "$(curl -s -o /dev/null -w '%{content_type}' "$GNOMOND_URL/loki/api/v1/query_range?query=x")"

# ---- logcli, when Debian's package is installed ----
if command -v logcli >/dev/null; then
  out=$(LOKI_ADDR=$GNOMOND_URL logcli query --quiet --output=raw --from=2023-11-14T22:13:00Z --to=2023-11-14T22:15:00Z '{app="api"} |= "error"' 2>&1)
  check "logcli query" $'level=error msg="second failure" status=503\nlevel=error msg="request failed" status=500' "$out"
  check_contains "logcli labels" "env" "$(LOKI_ADDR=$GNOMOND_URL logcli labels --quiet 2>&1)"
else
  echo "logcli not installed: skipped"
fi

finish
