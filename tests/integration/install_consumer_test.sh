#!/usr/bin/env bash
# `cmake --install` puts headers, the library and a CMake package in a prefix; an out-of-tree
# project (tests/integration/consumer) finds it with find_package(gnomon), builds and runs.
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/gnomon/db.h"
cmake -S "$src/tests/integration/consumer" -B "$work/consumer" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/consumer" -j2 >/dev/null
out=$("$work/consumer/consumer" "$work/data")
echo "$out"
grep -q "consumer: read 3 samples" <<<"$out"
echo "install_consumer_test: ok"
