#!/usr/bin/env bash
# Disk full: gnomond's data directory on a small tmpfs that fills up under ingest and is then
# enlarged. While full, writes answer 507 (never 2xx for what is not durable), /-/ready answers
# 503 and /metrics counts the failures; once there is room again ingest recovers by itself; every
# acknowledged sample survives, also a kill -9 and restart. Needs root (mount); skipped otherwise.
source "$(dirname "$0")/lib.sh"

MNT=$WORK/mnt
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=6m tmpfs "$MNT" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here (needs root)"
  finish
  exit 0
fi
unmount() {
  if [ -n "${GNOMOND_PID:-}" ]; then { kill -9 "$GNOMOND_PID" && wait "$GNOMOND_PID"; } 2>/dev/null || true; fi
  GNOMOND_PID=
  umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true
  cleanup
}
trap unmount EXIT

cat >"$WORK/gnomond.toml" <<'TOML'
[storage]
sync = "always"
wal_segment_size = "1MiB"
compaction_interval = "0"
TOML
start_gnomond "$MNT/data" --config "$WORK/gnomond.toml"

# push K: 2,000 samples (K to K+1999) over 200 series, random values (they compress badly, so the
# disk fills soon); prints the HTTP code.
push() {
  local k=$1
  seq "$k" $((k + 1999)) | awk -v seed="$k" 'BEGIN { srand(seed) }
    { printf "fill,s=%d v=%.17g %d000000000\n", $1 % 200, rand() * 1e6, 1700000000 + int($1 / 200) }' >"$WORK/batch"
  curl -s -o "$WORK/push_body" -w "%{http_code}" -X POST "$GNOMOND_URL/write" --data-binary @"$WORK/batch" || true
}

# Fill the file system: count what was acknowledged, stop at the first refusal.
acked=0 code=
for _ in $(seq 1000); do
  code=$(push "$acked")
  [ "$code" == "204" ] || break
  acked=$((acked + 2000))
done
check "a write is refused once the disk is full" "507" "$code"
check_contains "the refusal says why" "not stored" "$(cat "$WORK/push_body")"
check "something was stored before" "yes" "$([ "$acked" -gt 0 ] && echo yes || echo no)"
check "a refused write is refused again, not half-stored" "507" "$(push "$acked")"
ready=$(http GET /-/ready)
check_contains "not ready while full" "503 " "$ready"
check_contains "readiness says why" "not ready" "$ready"
check "health still answers" "200 OK" "$(http GET /health)"
m=$(http GET /metrics)
check_contains "metrics: not writable" "gnomon_storage_writable 0" "$m"
check "metrics: write errors counted" "yes" \
  "$(grep -E '^gnomon_wal_(write|sync)_errors_total [1-9]' <<<"$m" >/dev/null && echo yes || echo no)"

count() {
  local t=$((1700000000 + acked / 200 + 10))
  curl -s "$GNOMOND_URL/api/v1/query" --data-urlencode "query=sum(count_over_time(fill_v[30d]))" \
    --data-urlencode "time=$t" | grep -o '"value":\[[0-9.]*,"[0-9]*"' | grep -o '"[0-9]*"$' | tr -d '"'
}
check "every acknowledged sample is readable while full" "$acked" "$(count)"

# Room again: ingest recovers by itself, without a restart.
mount -o remount,size=128m "$MNT"
recovered=no
for _ in $(seq 40); do
  if [ "$(push "$acked")" == "204" ]; then recovered=yes; break; fi
  sleep 0.25
done
check "ingest recovers once there is room" "yes" "$recovered"
[ "$recovered" == "yes" ] && acked=$((acked + 2000))
check "ready again" "200 Gnomon is Ready." "$(http GET /-/ready | tr -d '\n')"
check_contains "metrics: writable again" "gnomon_storage_writable 1" "$(http GET /metrics)"
code=$(push "$acked")
check "later writes succeed" "204" "$code"
[ "$code" == "204" ] && acked=$((acked + 2000))
check "acknowledged samples, after recovery" "$acked" "$(count)"

# kill -9 and restart: nothing acknowledged is lost, nothing refused appears.
{ kill -9 "$GNOMOND_PID" && wait "$GNOMOND_PID"; } 2>/dev/null || true
GNOMOND_PID=
start_gnomond "$MNT/data" --config "$WORK/gnomond.toml"
check "acknowledged samples after kill -9 and restart" "$acked" "$(count)"
stop_gnomond
check "gnomond exits 0" "0" "$?"
finish
