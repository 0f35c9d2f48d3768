#!/usr/bin/env bash
# bench/strace_ab.sh [--rounds N] [--calls N] [--baseline BIN] — what --strace costs on the syscall
# path: the getpid workload (bench/workloads/getpid.c, ns/call measured inside the container) under
#   base   BIN given with --baseline (e.g. a build of the commit before a change), strace off
#   off    out/csrunsc, strace off
#   on     out/csrunsc --strace (every call formatted and written to a --debug-log file)
# in interleaved rounds (the order rotates), medians over rounds. Prints a markdown table; the
# numbers recorded in bench/RESULTS-strace.md came from this script. Needs root and gcc.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=7 calls=200000 baseline=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds N] [--calls N] [--baseline BIN]" >&2; exit 2 ;;
  esac
done
bin=$PWD/out/csrunsc
[[ -x $bin ]] || { echo "strace_ab: build out/csrunsc first (./build.sh)" >&2; exit 1; }
work=$(mktemp -d /tmp/csrunsc-strace-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
tests/assets/make-bundle.sh "$work/b" /bench/getpid "$calls" >/dev/null
mkdir -p "$work/b/rootfs/bench"
gcc -static -O2 -Ibench/workloads -o "$work/b/rootfs/bench/getpid" bench/workloads/getpid.c
variants=(off on)
[[ -n $baseline ]] && variants=(base off on)
declare -A samples
run_one() { # variant -> ns/call
  local v=$1 exe=$bin flags=()
  [[ $v == base ]] && exe=$baseline
  [[ $v == on ]] && flags=(--strace --debug-log "$work/strace.log")
  rm -f "$work/strace.log"
  "$exe" --root "$work/state" "${flags[@]}" run --bundle "$work/b" "ab-$v-$RANDOM" | awk '$1 == "RESULT" { print $3 }'
}
for ((r = 0; r < rounds; r++)); do
  n=${#variants[@]}
  for ((k = 0; k < n; k++)); do
    v=${variants[$(((k + r) % n))]}
    samples[$v]+="$(run_one "$v") "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "| variant | getpid ns/call (median of $rounds) | samples |"
echo "|---|---|---|"
for v in "${variants[@]}"; do
  echo "| $v | $(echo "${samples[$v]}" | median) | ${samples[$v]}|"
done
