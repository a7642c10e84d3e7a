#!/usr/bin/env bash
# Installs every Debian 12 package Gnomon builds, tests and benchmarks with, but only those that
# are missing: a second run does nothing and takes a second. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config git python3 curl ca-certificates
  # libraries the engine and server link
  librocksdb-dev libzstd-dev zlib1g-dev libre2-dev libfmt-dev libcxxopts-dev libtomlplusplus-dev
  libasio-dev libhttp-parser-dev libprotobuf-dev protobuf-compiler libsnappy-dev nlohmann-json3-dev
  libyaml-cpp-dev  # alert rule files
  libsimdjson-dev  # log lines' JSON at ingest
  libssl-dev  # libcrypto: relabelling's hashmod (MD5, as Prometheus) and scrape basic auth
  libjemalloc-dev  # gnomond's allocator: huge pages for the head (src/gnomond/allocator.cc)
  # tests and benchmarks
  doctest-dev libbenchmark-dev
  libcurl4-openssl-dev tmux  # the gnomon command line and its terminal tests
  # peers the tests and benchmarks drive
  victoria-metrics prometheus bc time
  prometheus-alertmanager  # the notification tests deliver to a real Alertmanager
  syslog-ng-core syslog-ng-mod-http  # a real log collector posts to gnomond in the logs tests
  clickhouse-server  # the log store's benchmark peer (bench/logs_vs_clickhouse.sh)
  python3-yaml  # the rules test writes mutants of the shared rule tests
  libjs-codemirror  # the console's query editor, embedded into gnomond at build time
  chromium  # the console's tests and benchmark run it headless
  prometheus-node-exporter  # the scrape tests scrape the real exporter
)
# npm fetches the console's chart library (web/package-lock.json pins uPlot and its integrity
# hash); Debian's nodejs + npm unless a Node.js with npm is there already.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

# The console's npm packages, as web/package-lock.json pins them (integrity-checked by npm ci);
# again only when missing or another version.
web_deps() {
  local root
  root=$(cd "$(dirname "$0")/.." && pwd)
  local want have
  want=$(sed -n 's/.*"uplot": *"\([^"]*\)".*/\1/p' "$root/web/package.json")
  have=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$root/web/node_modules/uplot/package.json" 2>/dev/null | head -1 || true)
  if [ "$want" != "$have" ]; then
    echo "install-deps: npm ci in web/ (uplot $want)" >&2
    (cd "$root/web" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  web_deps
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
web_deps
