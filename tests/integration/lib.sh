# Shared helpers for the shell-driven integration tests (sourced, not run).
# start_gnomond DATADIR [ARGS...]: starts gnomond on an ephemeral loopback port; sets GNOMOND_PID,
# GNOMOND_URL and GNOMOND_LOG. stop_gnomond: SIGTERM and wait, returns gnomond's exit code.
set -euo pipefail

BUILD=${1:?build dir}
SRC=${2:?source dir}
WORK=$(mktemp -d)
FAILS=0
PASSES=0
cleanup() {
  for pid in ${GNOMOND_PID:-} ${EXTRA_PIDS:-}; do
    { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true  # errexit applies inside traps
  done
  rm -rf "$WORK"
  return 0
}
trap cleanup EXIT

start_gnomond() {
  local dir=$1; shift
  GNOMOND_LOG=$WORK/gnomond.$RANDOM.log
  "$BUILD/gnomond" --listen 127.0.0.1:0 --data-dir "$dir" "$@" >"$GNOMOND_LOG" 2>&1 &
  GNOMOND_PID=$!
  for _ in $(seq 100); do
    if grep -q "listening on" "$GNOMOND_LOG"; then break; fi
    if ! kill -0 "$GNOMOND_PID" 2>/dev/null; then cat "$GNOMOND_LOG"; echo "gnomond died"; exit 1; fi
    sleep 0.05
  done
  GNOMOND_URL=$(grep -o "http://127.0.0.1:[0-9]*" "$GNOMOND_LOG" | head -1)
  [ -n "$GNOMOND_URL" ] || { cat "$GNOMOND_LOG"; echo "gnomond did not start"; exit 1; }
}

stop_gnomond() {
  kill -TERM "$GNOMOND_PID"
  local rc=0
  wait "$GNOMOND_PID" || rc=$?
  GNOMOND_PID=
  return $rc
}

# check NAME EXPECTED ACTUAL
check() {
  if [ "$2" == "$3" ]; then
    PASSES=$((PASSES + 1))
  else
    FAILS=$((FAILS + 1))
    echo "FAIL: $1: expected [$2], got [$3]"
  fi
}

# check_contains NAME NEEDLE HAYSTACK
check_contains() {
  if grep -qF -- "$2" <<<"$3"; then
    PASSES=$((PASSES + 1))
  else
    FAILS=$((FAILS + 1))
    echo "FAIL: $1: [$2] not found in: ${3:0:400}"
  fi
}

# http METHOD PATH [curl args...]: prints "STATUS BODY"
http() {
  local method=$1 path=$2; shift 2
  curl -s -o "$WORK/body" -w "%{http_code}" -X "$method" "$GNOMOND_URL$path" "$@" > "$WORK/code" || true
  echo "$(cat "$WORK/code") $(cat "$WORK/body")"
}

finish() {
  echo "$PASSES passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
