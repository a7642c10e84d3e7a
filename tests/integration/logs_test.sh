#!/usr/bin/env bash
# The log store end to end: NDJSON from the shared kit's generator pushed in batches, every sampled
# request's lines found by its correlation ID (exact counts from gen_logs.py --ids-out, time order,
# across services); plain text and Loki JSON pushes; bad lines rejected by number while the rest
# is stored; request limits (413); kill -9 during pushes loses no acknowledged batch.
source "$(dirname "$0")/lib.sh"
GEN=$SRC/../shared/logs/gen_logs.py
[ -f "$GEN" ] || { echo "the log kit is missing: expected $GEN"; exit 1; }

# Lines at fixed dates are queried with --since 100000h: the query length limit is raised to match.
# Small segments, so the lookups below read sealed segments and the head together.
printf '[logs]\nmax_lines_per_push = 5000\nmax_query_length = "200000h"\nsegment_max_lines = 1000\n' > "$WORK/gnomond.toml"
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"

python3 "$GEN" --format jsonl --lines 20000 --seed 7 --out "$WORK/logs.jsonl" --ids-out "$WORK/ids.tsv"
split -l 2000 "$WORK/logs.jsonl" "$WORK/batch."
codes=""
for f in "$WORK"/batch.*; do
  codes+=$(curl -s -o /dev/null -w "%{http_code} " -H 'Content-Type: application/x-ndjson' --data-binary "@$f" "$GNOMOND_URL/api/v1/logs")
done
check "every NDJSON batch stored (204)" "" "$(tr ' ' '\n' <<<"$codes" | grep -v '^204$' | grep -v '^$' || true)"

# Every sampled ID: exactly its lines, in time order, across its services.
out=$(python3 "$SRC/tests/integration/check_log_ids.py" "$GNOMOND_URL" "$WORK/ids.tsv")
check_contains "sampled IDs give exactly their lines in time order" "wrong=0 " "$out"
check "IDs checked" yes "$([ "$(grep -o 'checked=[0-9]*' <<<"$out" | cut -d= -f2)" -ge 100 ] && echo yes || echo "no: $out")"
check "a request's story spans many services" yes "$([ "$(grep -o 'services=[0-9]*' <<<"$out" | cut -d= -f2)" -ge 10 ] && echo yes || echo "no: $out")"
one=$(head -1 "$WORK/ids.tsv" | cut -f1)
r=$(http GET "/api/v1/logs/correlation/$one")
check_contains "answer shape" '200 {"status":"success","data":{"id":"'"$one"'","lines":[{"ts":"2023-' "$r"
check_contains "line kept as sent, with its labels" ',"labels":{"level":"' "$r"
check_contains "unknown ID: no lines" '200 {"status":"success","data":{"id":"nope","lines":[]}}' "$(http GET /api/v1/logs/correlation/nope)"
check_contains "bad start" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"start\"' "$(http GET '/api/v1/logs/correlation/x?start=soon')"
check_contains "start out of range" '400 {"status":"error","errorType":"bad_data","error":"invalid parameter \"start\": time \"9999999999\" is out of range"}' "$(http GET '/api/v1/logs/correlation/x?start=9999999999')"
check_contains "an RFC 3339 time past int64 nanoseconds" 'is out of range' "$(http GET '/api/v1/logs/correlation/x?end=9999-01-01T00:00:00Z')"
check_contains "limit over the maximum" '400 {"status":"error"' "$(http GET '/api/v1/logs/correlation/x?limit=5001')"
check "limit" 1 "$(http GET "/api/v1/logs/correlation/$one?limit=1" | grep -o '"ts":' | wc -l)"

# Plain text with ?service, and Loki's JSON push with structured metadata.
r=$(http POST '/api/v1/logs?service=billing&level=warn' -H 'Content-Type: text/plain' --data-binary $'invoice late cid=txt-1\nsecond line cid=txt-1\n')
check "text push" 204 "${r%% *}"
now_ns=$(date +%s%N)
r=$(http POST /loki/api/v1/push -H 'Content-Type: application/json' --data-binary \
  '{"streams":[{"stream":{"service":"edge"},"values":[["'"$now_ns"'","proxied",{"trace_id":"loki-1"}],["'"$((now_ns + 1))"'","done cid=txt-1"]]}]}')
check "Loki JSON push" 204 "${r%% *}"
r=$(http GET /api/v1/logs/correlation/txt-1)
check "text and Loki lines found by ID" 3 "$(grep -o '"ts":' <<<"$r" | wc -l)"
check_contains "text line as sent" '"service":"billing","level":"warn","labels":{"level":"warn","service":"billing"},"line":"invoice late cid=txt-1"' "$r"
check_contains "structured metadata carries the ID" '"line":"proxied"' "$(http GET /api/v1/logs/correlation/loki-1)"

# The CLI: push a file in batches, then one request's timeline with its first error and slowest gap.
cat > "$WORK/saga.jsonl" <<'EOF2'
{"ts":"2026-12-01T10:00:00.000Z","service":"gateway","level":"info","correlation_id":"saga-1","msg":"POST /checkout"}
{"ts":"2026-12-01T10:00:00.040Z","service":"orders","level":"info","correlation_id":"saga-1","msg":"order created"}
{"ts":"2026-12-01T10:00:01.540Z","service":"payments","level":"error","correlation_id":"saga-1","msg":"card declined"}
{"ts":"2026-12-01T10:00:01.600Z","service":"orders","level":"warn","correlation_id":"saga-1","msg":"compensating: cancel order"}
{"ts":"2026-12-01T10:00:01.650Z","service":"inventory","level":"info","correlation_id":"saga-1","msg":"stock released"}
EOF2
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs push --batch 2 "$WORK/saga.jsonl" 2>&1) && rc=0 || rc=$?
check "gnomon logs push exit" 0 "$rc"
check_contains "gnomon logs push count" "pushed 5 lines" "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs trace saga-1 --color never 2>&1) && rc=0 || rc=$?
check "gnomon logs trace exit" 0 "$rc"
check_contains "trace header" "request saga-1: 5 lines from 2026-12-01T10:00:00Z" "$out"
check_contains "trace: first error and slowest gap marked" "+1s540ms  payments   error  card declined  <- first error  <- slowest gap: 1s500ms" "$out"
check_contains "trace: compensation after the failure" "orders     warn   compensating: cancel order" "$out"
check "trace: one line per log line (+ header)" 6 "$(wc -l <<<"$out")"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs trace nothing-here 2>&1)
check_contains "trace of an unknown ID" "no lines with correlation ID nothing-here" "$out"
printf '{"service":"a","msg":"ok"}\n{"service":\n' > "$WORK/bad.jsonl"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs push "$WORK/bad.jsonl" 2>&1) && rc=0 || rc=$?
check "gnomon logs push of a bad file fails" 1 "$rc"
check_contains "gnomon logs push names the line" "HTTP 400" "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs query '{service="payments"} |= "declined"' --since 100000h 2>&1) && rc=0 || rc=$?
check "gnomon logs query exit" 0 "$rc"
check_contains "gnomon logs query: time, labels, line" '2026-12-01T10:00:01.54Z {level=error, service=payments} {"ts":"2026-12-01T10:00:01.540Z"' "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs query '{service="orders"} | json | msg=~"comp.*"' --since 100000h --format raw 2>&1)
check_contains "gnomon logs query --format raw with a parser and label filter" '"msg":"compensating: cancel order"}' "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs query '{service=' 2>&1) && rc=0 || rc=$?
check "gnomon logs query with a parse error" 1 "$rc"
check_contains "gnomon logs query shows the parse error" "HTTP 400: parse error at line 1" "$out"
out=$("$BUILD/gnomon" --server "$GNOMOND_URL" logs bogus 2>&1) && rc=0 || rc=$?
check "gnomon logs bad subcommand" 2 "$rc"

# Bad input: the bad line is named, the good ones stored; past the request limit, 413.
r=$(http POST /api/v1/logs -H 'Content-Type: application/x-ndjson' --data-binary $'{"service":"a","msg":"ok cid=bad-1"}\n{"service":"a",\n{"service":"a","ts":"yesterday"}\n')
check "bad lines: 400" 400 "${r%% *}"
check_contains "bad line named" '"errors":["line 2: invalid JSON' "$r"
check_contains "bad ts named" 'line 3: ' "$r"
check "the valid line was stored" 1 "$(http GET /api/v1/logs/correlation/bad-1 | grep -o '"ts":' | wc -l)"
check "text without service" 400 "$(http POST /api/v1/logs -H 'Content-Type: text/plain' --data-binary 'x' | cut -d' ' -f1)"
r=$(seq 5001 | sed 's/.*/{"service":"a","msg":"&"}/' | curl -s -w ' %{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary @- "$GNOMOND_URL/api/v1/logs")
check "past max_lines_per_push: 413" 413 "${r##* }"
check "writes need a POST" 405 "$(http GET /api/v1/logs | cut -d' ' -f1)"

# Exactly once (gnomon-ship's headers): a batch's source range is stored with it, a resend is a
# duplicate, an overlap is refused with where to resume, and the range survives a restart.
src=(-H 'Content-Type: application/x-ndjson' -H 'X-Gnomon-Source: dev:ino:fp-1' -D "$WORK/headers")
b1='{"service":"s","msg":"one","correlation_id":"src-1"}'$'\n''{"service":"s","msg":"two","correlation_id":"src-1"}'$'\n'
b2='{"service":"s","msg":"three","correlation_id":"src-1"}'$'\n'
check "a sourced batch" 204 "$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 0-104' --data-binary "$b1" | cut -d' ' -f1)"
check "the same range again" 204 "$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 0-104' --data-binary "$b1" | cut -d' ' -f1)"
check_contains "is a duplicate" "X-Gnomon-Duplicate: true" "$(cat "$WORK/headers")"
r=$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 52-156' --data-binary "$b1$b2")
check_contains "an overlap is refused" '409 {"status":"error","errorType":"conflict","error":"log source dev:ino:fp-1: bytes [52, 156) overlap' "$r"
check_contains "with where to resume" "X-Gnomon-Source-End: 104" "$(cat "$WORK/headers")"
check "the next range" 204 "$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 104-156' --data-binary "$b2" | cut -d' ' -f1)"
check "every line of the source once" 3 "$(http GET /api/v1/logs/correlation/src-1 | grep -o '"ts":' | wc -l)"
check_contains "a range must grow" '400 {"status":"error","errorType":"bad_data","error":"X-Gnomon-Source-Range: expected START-END' \
  "$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 9-3' --data-binary "$b2")"
check_contains "a source needs its range" '400 {"status":"error","errorType":"bad_data","error":"X-Gnomon-Source and X-Gnomon-Source-Range go together"}' \
  "$(http POST /api/v1/logs "${src[@]}" --data-binary "$b2")"

# kill -9 while batches are pushed: every acknowledged batch is there after the restart.
( for i in $(seq 1 400); do
    code=$(printf '{"service":"k","msg":"batch %s a","correlation_id":"kill-%s"}\n{"service":"k","msg":"batch %s b","correlation_id":"kill-%s"}\n' "$i" "$i" "$i" "$i" |
      curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-ndjson' --data-binary @- "$GNOMOND_URL/api/v1/logs")
    [ "$code" = 204 ] && echo "$i" >> "$WORK/acked" || break
  done ) &
pusher=$!
for _ in $(seq 100); do [ -s "$WORK/acked" ] && [ "$(wc -l < "$WORK/acked")" -ge 20 ] && break; sleep 0.05; done
kill -9 "$GNOMOND_PID"
wait "$GNOMOND_PID" 2>/dev/null || true
wait "$pusher" 2>/dev/null || true
GNOMOND_PID=
start_gnomond "$WORK/data" --config "$WORK/gnomond.toml"
acked=$(wc -l < "$WORK/acked")
missing=0
while read -r i; do
  n=$(curl -s "$GNOMOND_URL/api/v1/logs/correlation/kill-$i" | grep -o '"ts":' | wc -l || true)
  [ "$n" -eq 2 ] || missing=$((missing + 1))
done < "$WORK/acked"
check "acknowledged batches before kill -9: some" yes "$([ "$acked" -ge 20 ] && echo yes || echo "no ($acked)")"
check "every acknowledged batch whole after kill -9 ($acked)" 0 "$missing"
r=$(http GET "/api/v1/logs/correlation/$one")
check_contains "earlier lines survive the restart" '"data":{"id":"'"$one"'","lines":[{' "$r"
check "a source's range survives the restart" 204 "$(http POST /api/v1/logs "${src[@]}" -H 'X-Gnomon-Source-Range: 104-156' --data-binary "$b2" | cut -d' ' -f1)"
check_contains "so a resend after it is a duplicate" "X-Gnomon-Duplicate: true" "$(cat "$WORK/headers")"
check "still once" 3 "$(http GET /api/v1/logs/correlation/src-1 | grep -o '"ts":' | wc -l)"
stop_gnomond

finish
