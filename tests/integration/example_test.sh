#!/usr/bin/env bash
# The embedding example (examples/embed.cc) runs, writes a day of samples and reads them back;
# a second run over the same directory sees the data it wrote the first time (reopen).
set -euo pipefail
build=$1
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
out=$("$build/gnomon_example" "$dir/data")
echo "$out"
grep -q "8640 samples, last value 23.9" <<<"$out"
grep -q "room=kitchen" <<<"$out"
out=$("$build/gnomon_example" "$dir/data")
grep -q "8640 samples" <<<"$out"
echo "example_test: ok"
