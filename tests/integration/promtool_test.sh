#!/usr/bin/env bash
# Prometheus' own client against gnomond's query API: `promtool query instant|range|series|labels`
# (Go's client_golang: POST form bodies, RFC 3339 / float times) must parse every answer and print
# what a real Prometheus would. Also a few raw-HTTP checks of the API's parameter errors.
source "$(dirname "$0")/lib.sh"

command -v promtool >/dev/null || { echo "promtool is not installed (scripts/install-deps.sh installs it)"; exit 1; }
start_gnomond "$WORK/data"

# Two series of m (every 15 s from 1699999700 to 1700000000), one of other, one stopping early.
python3 - > "$WORK/import" <<'PY'
import json
ts = [1699999700000 + 15000 * i for i in range(21)]
print(json.dumps({"metric": {"__name__": "m", "job": "a", "zone": "x"}, "values": [1.5 + i for i in range(21)], "timestamps": ts}))
print(json.dumps({"metric": {"__name__": "m", "job": "b", "zone": "y"}, "values": [10] * 21, "timestamps": ts}))
print(json.dumps({"metric": {"__name__": "other", "job": "a", "env": "prod"}, "values": [0.25] * 21, "timestamps": ts}))
print(json.dumps({"metric": {"__name__": "gone", "job": "c"}, "values": [1, 2], "timestamps": [1600000000000, 1600000015000]}))
PY
check "import" "204 " "$(http POST /api/v1/import --data-binary @"$WORK/import")"

pq() { promtool query "$@" 2>&1 || echo "rc=$?"; }

# ---- instant
check "instant vector" 'm{job="a", zone="x"} => 21.5 @[1700000000]
m{job="b", zone="y"} => 10 @[1700000000]' "$(pq instant "$GNOMOND_URL" 'm' --time=1700000000)"
check "instant aggregation" '{job="a"} => 21.5 @[1700000000]' "$(pq instant "$GNOMOND_URL" 'sum by (job) (m{job="a"})' --time=1700000000)"
check "instant scalar" 'scalar: 3 @[1700000000]' "$(pq instant "$GNOMOND_URL" '1 + 2' --time=1700000000)"
check "instant RFC 3339 time" 'other{env="prod", job="a"} => 0.25 @[1700000000]' \
  "$(pq instant "$GNOMOND_URL" 'other' --time=2023-11-14T22:13:20Z)"
check "instant range vector" 'm{job="b", zone="y"} =>
10 @[1699999970]
10 @[1699999985]
10 @[1700000000]' "$(pq instant "$GNOMOND_URL" 'm{job="b"}[30s]' --time=1700000000)"
check "instant empty result" '' "$(pq instant "$GNOMOND_URL" 'nothing_here' --time=1700000000)"
check_contains "instant parse error" 'bad_data' "$(pq instant "$GNOMOND_URL" 'm{')"
check_contains "instant parse error exit code" 'rc=1' "$(pq instant "$GNOMOND_URL" 'm{')"
r=$(pq instant "$GNOMOND_URL" 'm{job="a"}' -o json --time=1700000000)
check "instant JSON output" '[{"metric":{"__name__":"m","job":"a","zone":"x"},"value":[1700000000,"21.5"]}]' "$r"

# ---- range
check "range" 'm{job="a", zone="x"} =>
17.5 @[1699999940]
18.5 @[1699999955]
19.5 @[1699999970]
20.5 @[1699999985]
21.5 @[1700000000]' "$(pq range --start=1699999940 --end=1700000000 --step=15s "$GNOMOND_URL" 'm{job="a"}')"
check "range scalar" '{} =>
1699999940 @[1699999940]
1700000000 @[1700000000]' "$(pq range --start=1699999940 --end=1700000000 --step=1m "$GNOMOND_URL" 'time()')"
check "range end before start" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"end\": end timestamp must not be before start time"}' \
  "$(http GET '/api/v1/query_range?query=m&start=1700000000&end=1699999000&step=15')"

# ---- series and labels (promtool's default window is the last hour: give the data's)
window=(--start=1699999000 --end=1700000000)
check "series" '{__name__="m", job="a", zone="x"}
{__name__="m", job="b", zone="y"}' "$(pq series --match=m "${window[@]}" "$GNOMOND_URL")"
check "series, several match[]" '{__name__="m", job="a", zone="x"}
{__name__="other", env="prod", job="a"}' "$(pq series --match='m{job="a"}' --match='{job="a"}' "${window[@]}" "$GNOMOND_URL")"
check "series outside the window" '' "$(pq series --match='gone' "${window[@]}" "$GNOMOND_URL")"
check "series of all time" '{__name__="gone", job="c"}' "$(pq series --match='gone' --start=0 --end=1700000000 "$GNOMOND_URL")"
check "label values" 'a
b' "$(pq labels "${window[@]}" "$GNOMOND_URL" job)"
check "label values with match[]" 'x' "$(pq labels --match='m{job="a"}' "${window[@]}" "$GNOMOND_URL" zone)"
check "metric names" 'm
other' "$(pq labels "${window[@]}" "$GNOMOND_URL" __name__)"
check "metric names of all time" 'gone
m
other' "$(pq labels --start=0 "$GNOMOND_URL" __name__)"

# ---- the API directly: label names, defaults, errors
check "labels" '200 {"status":"success","data":["__name__","env","job","zone"]}' "$(http GET /api/v1/labels)"
check "labels with match[]" '200 {"status":"success","data":["__name__","job","zone"]}' "$(http GET '/api/v1/labels?match[]=m')"
check "labels in a window" '200 {"status":"success","data":["__name__","job"]}' \
  "$(http GET '/api/v1/labels?start=1500000000&end=1650000000')"
check "label values without a window" '200 {"status":"success","data":["a","b","c"]}' "$(http GET /api/v1/label/job/values)"
check "invalid label name" '400 {"status":"error","errorType":"bad_data","error":"invalid label name: \"a-b\""}' \
  "$(http GET /api/v1/label/a-b/values)"
check "series needs match[]" '400 {"status":"error","errorType":"bad_data","error":"no match[] parameter provided"}' \
  "$(http GET /api/v1/series)"
check_contains "bad match[]" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\"' \
  "$(http GET /api/v1/series --data-urlencode 'match[]=m{' -G)"
check "query via POST form" '200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"b"},"value":[1700000000,"10"]}]}}' \
  "$(http POST /api/v1/query --data-urlencode 'query=sum by (job) (m{job="b"})' --data-urlencode time=1700000000)"
check "query via GET" '200 {"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.0000001"]}}' \
  "$(http GET /api/v1/query -G --data-urlencode 'query=1e-7' --data-urlencode time=1700000000.5)"
check "range query" '200 {"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.500,"1.5"],[2,"2"]]}]}}' \
  "$(http GET '/api/v1/query_range?query=time()&start=1.5&end=2&step=0.5')"
check "bad time" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"time\": Invalid time value for '"'"'time'"'"': cannot parse \"abc\" to a valid timestamp"}' \
  "$(http GET '/api/v1/query?query=1&time=abc')"
check "zero step" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"step\": zero or negative query resolution step widths are not accepted. Try a positive integer"}' \
  "$(http GET '/api/v1/query_range?query=1&start=1&end=5&step=0')"
check "too many points" '400 {"status":"error","errorType":"bad_data","error":"exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)"}' \
  "$(http GET '/api/v1/query_range?query=1&start=1&end=50000&step=1')"
check_contains "missing start" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"start\"' \
  "$(http GET '/api/v1/query_range?query=1&end=5&step=1')"
check_contains "parse error" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:' \
  "$(http GET /api/v1/query -G --data-urlencode 'query=m{')"
check_contains "execution error" '422 {"status":"error","errorType":"execution"' \
  "$(http GET /api/v1/query -G --data-urlencode 'query=m + ignoring(job, zone) m' --data-urlencode time=1700000000)"
check_contains "buildinfo" '"version":"' "$(http GET /api/v1/status/buildinfo)"

stop_gnomond
finish
