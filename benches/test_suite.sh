#!/usr/bin/env bash
# A suite of 1,000 test cases over the repository's scripts, for the
# `studioflow test -j N` figure in docs/benchmarks.md: the scripts folder
# (25 cases) copied 40 times. Usage: bash benches/test_suite.sh DIR
# then e.g. `time target/release/studioflow test DIR -j 1` and `-j 2`.
set -euo pipefail
dir="${1:?a directory for the suite}"
cd "$(dirname "$0")/.."
rm -rf "$dir"
mkdir -p "$dir"
for i in $(seq -w 1 40); do
  cp -r scripts "$dir/copy$i"
done
cases=$(grep -h -c '^\[\[case\]\]' "$dir"/copy*/*.test.toml "$dir"/copy*/*/*.test.toml 2>/dev/null | paste -sd+ | bc)
echo "$dir: $cases cases"
