#!/usr/bin/env bash
# gnomond over real HTTP with curl: every ingest endpoint's success and error paths, export,
# limits, chunked and gzip bodies, pipelining, /metrics, health, auth, restart.
source "$(dirname "$0")/lib.sh"

start_gnomond "$WORK/data" --config <(printf '[server]\nmax_body_bytes = "64KiB"\n')

# ---- line protocol
r=$(http POST "/write?precision=s" --data-binary $'cpu,host=a,region=eu usage_user=1.5,usage_idle=98i,up=true 1700000000\ncpu,host=a,region=eu usage_user=2.5,usage_idle=97i,up=f,msg="hi there" 1700000010\n')
check "line protocol write" "204 " "$r"
r=$(http GET "/api/v1/export?match[]=cpu_usage_user")
check "export line" '200 {"metric":{"__name__":"cpu_usage_user","host":"a","region":"eu"},"values":[1.5,2.5],"timestamps":[1700000000000,1700000010000]}' "$r"
r=$(http GET "/api/v1/export?match[]=cpu_up")
check_contains "booleans become 0/1" '"values":[1,0]' "$r"
r=$(http GET "/api/v1/export?match[]=cpu_usage_idle")
check_contains "integers" '"values":[98,97]' "$r"
check_contains "string fields skipped and counted" 'gnomon_ingest_skipped_string_fields_total{protocol="influx"} 1' "$(http GET /metrics)"

# each error class: 400 naming the line; valid lines of the batch are stored
r=$(http POST "/write?precision=s" --data-binary $'m,t=1 v=1 1700000000\nm,t=1 v=12x 1700000001\nm,t=1 1700000002\nm,t=1 v=3 abc\nm,t=1 s="open 1700000004\nm,host-name=x v=1 1700000005\nm,t=2 v=2 1700000006\n')
check_contains "partial write status" "400 " "$r"
check_contains "bad value named" '"line":2' "$r"
check_contains "bad value reason" '12x' "$r"
check_contains "missing fields" '"line":3' "$r"
check_contains "bad timestamp" '"line":4' "$r"
check_contains "unterminated string" '"line":5' "$r"
check_contains "invalid tag key" '"line":6' "$r"
check_contains "rejected count" '"rejected_lines":5' "$r"
r=$(http GET "/api/v1/export?match[]=m_v")
check_contains "valid lines of a partial batch stored (t=1)" '"values":[1]' "$r"
check_contains "valid lines of a partial batch stored (t=2)" '"values":[2]' "$r"
check_contains "bad precision" "400 " "$(http POST "/write?precision=fortnight" --data-binary 'x v=1')"
check_contains "v2 needs bucket" "400 " "$(http POST "/api/v2/write" --data-binary 'x v=1')"
check "v2 write" "204 " "$(http POST "/api/v2/write?org=o&bucket=b&precision=ms" --data-binary 'v2m value=7 1700000000000')"
check_contains "v2 stored" '"values":[7]' "$(http GET "/api/v1/export?match[]=v2m_value")"
check "no timestamp: server time" "204 " "$(http POST "/write" --data-binary 'nots value=1')"
check_contains "server time stored" '"values":[1]' "$(http GET "/api/v1/export?match[]=nots_value")"

# ---- chunked and gzip bodies
printf 'chunked,k=v f=1 1700000000000000000\nchunked,k=v f=2 1700000001000000000\n' > "$WORK/lp"
check "chunked body" "204 " "$(http POST /write -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/lp")"
check_contains "chunked stored" '"values":[1,2]' "$(http GET "/api/v1/export?match[]=chunked_f")"
printf 'gz,k=v f=5 1700000000000000000\n' | gzip -c > "$WORK/lp.gz"
check "gzip body" "204 " "$(http POST /write -H 'Content-Encoding: gzip' --data-binary @"$WORK/lp.gz")"
check_contains "gzip stored" '"values":[5]' "$(http GET "/api/v1/export?match[]=gz_f")"
check_contains "corrupt gzip" "400 " "$(http POST /write -H 'Content-Encoding: gzip' --data-binary 'not gzip at all')"

# ---- limits
head -c 100000 /dev/zero | tr '\0' 'a' > "$WORK/big"
check_contains "oversized body" "413 " "$(http POST /write --data-binary @"$WORK/big")"
(yes 'bomb,k=v f=1 1700000000000000000' || true) | head -c 2000000 | gzip -c > "$WORK/bomb.gz"
check_contains "gzip bomb beyond body limit" "413 " "$(http POST /write -H 'Content-Encoding: gzip' --data-binary @"$WORK/bomb.gz")"

# ---- JSON import / export
printf '%s\n' '{"metric":{"__name__":"imp","job":"a"},"values":[1.5,2,"NaN"],"timestamps":[1700000000000,1700000010000,1700000020000]}' > "$WORK/imp"
check "import" "204 " "$(http POST /api/v1/import --data-binary @"$WORK/imp")"
check "export round trip" "200 $(cat "$WORK/imp")" "$(http GET "/api/v1/export?match[]=imp")"
r=$(http POST /api/v1/import --data-binary $'{"metric":{"__name__":"imp2"},"values":[1],"timestamps":[1700000000000]}\n{bad json\n{"metric":{"__name__":"imp2"},"values":[1,2],"timestamps":[1]}\n')
check_contains "import errors" "400 " "$r"
check_contains "import bad json line" '"line":2' "$r"
check_contains "import length mismatch line" '"line":3' "$r"
check_contains "import partial stored" '"values":[1]' "$(http GET "/api/v1/export?match[]=imp2")"
check_contains "export needs match[]" "400 " "$(http GET /api/v1/export)"
check_contains "export bad selector" "400 " "$(http GET "/api/v1/export?match[]=%7Bjob%3D")"
check_contains "export empty-matching selector" "400 " "$(http GET "/api/v1/export?match[]=%7Bjob%3D%22%22%7D")"
check_contains "export time range" '"values":[2]' "$(http GET "/api/v1/export?match[]=imp&start=1700000005&end=2023-11-14T22:13:35Z")"

# ---- remote_write
"$BUILD/gnomon_remote_write_gen" --hosts 2 --hours 0.01 --samples-per-series-per-request 4 --out "$WORK/rw" >/dev/null
first=$(ls "$WORK/rw" | head -1)
check "remote_write" "204 " "$(http POST /api/v1/write -H 'Content-Encoding: snappy' -H 'Content-Type: application/x-protobuf' --data-binary @"$WORK/rw/$first")"
check_contains "remote_write stored" '"__name__":"cpu_usage_user"' "$(http GET "/api/v1/export?match[]=cpu_usage_user&start=0")"
head -c 20 "$WORK/rw/$first" > "$WORK/trunc"
check_contains "truncated snappy" "400 " "$(http POST /api/v1/write --data-binary @"$WORK/trunc")"
check_contains "garbage" "400 " "$(http POST /api/v1/write --data-binary 'this is not snappy')"
python3 - "$WORK/garbage_pb" <<'PY'
import sys
# Valid snappy framing (a literal) around bytes that are not a WriteRequest protobuf.
data = bytes([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02])
out = bytes([len(data)]) + bytes([(len(data) - 1) << 2]) + data
open(sys.argv[1], "wb").write(out)
PY
check_contains "snappy of garbage protobuf" "400 " "$(http POST /api/v1/write --data-binary @"$WORK/garbage_pb")"

# ---- pipelining: three requests in one write, answered in order
port=${GNOMOND_URL##*:}
r=$(python3 - "$port" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
reqs = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p for p in (b"/health", b"/nope", b"/-/ready"))
s.sendall(reqs)
data = b""
s.settimeout(5)
while data.count(b"HTTP/1.1 ") < 3:
    chunk = s.recv(65536)
    if not chunk: break
    data += chunk
import re
print(" ".join(code.decode() for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)))
PY
)
check "pipelined responses in order" "200 404 200" "$r"

# ---- health, metrics
check "health" "200 OK" "$(http GET /health)"
m=$(http GET /metrics)
check_contains "metrics: requests" 'gnomon_http_requests_total{route="/write",code="204"}' "$m"
check_contains "metrics: latency histogram" 'gnomon_http_request_duration_seconds_bucket{route="/write",le="+Inf"}' "$m"
check_contains "metrics: series" 'gnomon_series ' "$m"
check_contains "metrics: rejected" 'gnomon_ingest_rejected_lines_total{protocol="influx"} 5' "$m"
check_contains "metrics: rocksdb" 'gnomon_rocksdb_sst_bytes' "$m"

# ---- restart: SIGTERM exits 0, everything is served again
before=$(http GET "/api/v1/export?match[]=%7B__name__%3D~%22.%2B%22%7D&start=0")
stop_gnomond; rc=$?
check "SIGTERM exit code" "0" "$rc"
start_gnomond "$WORK/data"
after=$(http GET "/api/v1/export?match[]=%7B__name__%3D~%22.%2B%22%7D&start=0")
check "data after restart" "$before" "$after"
stop_gnomond

# ---- auth
start_gnomond "$WORK/data2" --auth-token s3cret
check_contains "no token: 401" "401 " "$(http POST /write --data-binary 'a v=1')"
check_contains "wrong token: 401" "401 " "$(http POST /write -H 'Authorization: Bearer nope' --data-binary 'a v=1')"
check "right token" "204 " "$(http POST /write -H 'Authorization: Bearer s3cret' --data-binary 'a v=1')"
check "health needs no token" "200 OK" "$(http GET /health)"
stop_gnomond

# ---- a series limit per metric name: 400 naming the metric and the limit; other metrics unaffected
start_gnomond "$WORK/data3" --config <(printf '[limits]\nmax_series_per_metric = 2\n')
check "per-metric limit: up to the limit" "204 " "$(http POST /write --data-binary $'req,id=1 v=1\nreq,id=2 v=1\n')"
r=$(http POST /write --data-binary $'req,id=3 v=1\nother,id=1 v=1\n')
check_contains "per-metric limit: 400" "400 " "$r"
check_contains "per-metric limit: the metric and the limit named" 'series limit of metric \"req_v\" reached (2, limits.max_series_per_metric)' "$r"
check "per-metric limit: other metrics written" "204 " "$(http POST /write --data-binary 'other,id=1 v=1')"
check_contains "per-metric limit: existing series still written" "204 " "$(http POST /write --data-binary 'req,id=1 v=2')"
stop_gnomond

# ---- bad flags and config
set +e
"$BUILD/gnomond" --retention forever >/dev/null 2>"$WORK/err"; rc=$?
set -e
check "bad flag exit code" "2" "$rc"
check_contains "bad flag message" "retention" "$(cat "$WORK/err")"
printf '[server]\nlisten = 5\n[storge]\n' > "$WORK/bad.toml"
set +e
"$BUILD/gnomond" --config "$WORK/bad.toml" >/dev/null 2>"$WORK/err"; rc=$?
set -e
check "bad config exit code" "2" "$rc"
check_contains "bad config names line" "bad.toml:2" "$(cat "$WORK/err")"
check_contains "bad config names unknown section" "bad.toml:3" "$(cat "$WORK/err")"

finish
