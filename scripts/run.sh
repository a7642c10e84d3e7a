#!/usr/bin/env bash
# The README's run command: install what is missing, build (Release), and run gnomond on the
# embedded default — 127.0.0.1:9201, data in ./gnomon-data, scraping its own /metrics
# (scrape.example.yml) — until Ctrl-C. Extra arguments go to
# gnomond (e.g. --listen 127.0.0.1:9300 --retention 30d). Idempotent; quick on a second run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target gnomond gnomon >/dev/null
cd "$root"
exec "$root/build/gnomond" --config "$root/config.example.toml" --scrape.config-file "$root/scrape.example.yml" "$@"
