# Shared set-up of the peer benchmarks (sourced by bench/*.sh, after `set -euo pipefail`):
# ROOT (the repository), WORK (a temporary folder, removed at exit), pids (processes killed at
# exit: append what you start), free_port, and wait_up URL (up to 30 s for a 2xx).
ROOT=$(cd "$(dirname "${BASH_SOURCE[1]}")/.." && pwd)
WORK=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() {  # URL
  for _ in $(seq 300); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done
  echo "timeout waiting for $1" >&2
  exit 1
}
