#!/usr/bin/env bash
# bench/rules_vs_promtool.sh BUILD_DIR [N]: `gnomon test rules` against `promtool test rules`
# (Prometheus 2.42) on the shared kit's rule tests (../shared/alerts/tests/*_test.yml: 6 files,
# 25 test groups, 84 checks), in the same run: N alternating runs of each over all six files
# (default 10); prints the median wall time of each, their ratio, and the peak RSS of one run.
set -euo pipefail
build=$(cd "${1:?build dir}" && pwd)
n=${2:-10}
kit=$(cd "$(dirname "$0")/../../shared/alerts/tests" && pwd)
cd "$kit"
files=(*_test.yml)
wall() { local t0 t1; t0=$(date +%s%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; t1=$(date +%s%N); echo $(( (t1 - t0) / 1000 )); }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
g=() p=()
for _ in $(seq "$n"); do
  g+=("$(wall "$build/gnomon" test rules "${files[@]}")")
  p+=("$(wall promtool test rules "${files[@]}")")
done
gm=$(median "${g[@]}") pm=$(median "${p[@]}")
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
printf 'files=%d runs=%d\n' "${#files[@]}" "$n"
printf 'gnomon test rules   median %8.1f ms  peak RSS %6d KB\n' "$(echo "$gm / 1000" | bc -l)" "$(rss "$build/gnomon" test rules "${files[@]}")"
printf 'promtool test rules median %8.1f ms  peak RSS %6d KB\n' "$(echo "$pm / 1000" | bc -l)" "$(rss promtool test rules "${files[@]}")"
printf 'ratio gnomon/promtool %.2f\n' "$(echo "$gm / $pm" | bc -l)"
