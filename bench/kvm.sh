#!/usr/bin/env bash
# bench/kvm.sh [ROUNDS] — the KVM platform against the ptrace platform and both floors, in one
# interleaved run (each round: both floors, then every workload under both platforms, the order
# of the platforms alternating by round). Needs root, gcc, out/csrunsc and /dev/kvm.
# Prints a markdown table of medians (and writes it to bench/work/kvm.md).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
rounds=${1:-3}
csrunsc=${CSRUNSC_BIN:-$repo/out/csrunsc}
work=$repo/bench/work/kvm
rm -rf "$work"; mkdir -p "$work/bin" "$work/state"
[[ -e /dev/kvm ]] || { echo "bench/kvm.sh: no /dev/kvm on this host" >&2; exit 1; }
declare -A arg=([getpid]=20000 [open_read_close]=5000 [mmap_touch]=16 [fork_exit]=100)
workloads=(getpid open_read_close mmap_touch fork_exit)
for w in "${workloads[@]}"; do gcc -static -O2 -Wall -o "$work/bin/$w" "bench/workloads/$w.c"; done
gcc -O2 -Wall -o "$work/bin/kvm_floor" bench/floor/kvm_floor.c
gcc -static -O2 -Wall -o "$work/bin/sysemu_floor" bench/floor/sysemu_floor.c
tests/assets/make-bundle.sh "$work/bundle" true >/dev/null
cp "$work"/bin/* "$work/bundle/rootfs/bin/"
raw=$work/raw.tsv; : >"$raw"

run_in() { # PLATFORM WORKLOAD → RESULT lines
  local id="kvmbench-$$-$RANDOM" cfg=$work/bundle/config.json
  python3 - "$cfg" "/bin/$2" "${arg[$2]}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = sys.argv[2:]; json.dump(c, open(sys.argv[1], "w"))
PY
  timeout 300 "$csrunsc" --platform "$1" --root "$work/state" run --bundle "$work/bundle" "$id" </dev/null 2>>"$work/stderr.log" || true
  "$csrunsc" --root "$work/state" delete -f "$id" >/dev/null 2>&1 || true
}

for ((r = 1; r <= rounds; r++)); do
  "$work/bin/kvm_floor" 50000 | awk -v r="$r" '$1=="RESULT"{print "floor\t"$2"\t"r"\t"$3"\t"$4}' >>"$raw"
  "$work/bin/sysemu_floor" 50000 | awk -v r="$r" '$1=="RESULT"{print "floor\t"$2"\t"r"\t"$3"\t"$4}' >>"$raw"
  if (( r % 2 )); then order=(kvm ptrace); else order=(ptrace kvm); fi
  for w in "${workloads[@]}"; do
    for p in "${order[@]}"; do
      run_in "$p" "$w" | awk -v p="$p" -v r="$r" '$1=="RESULT"{print p"\t"$2"\t"r"\t"$3"\t"$4}' >>"$raw"
    done
  done
  echo "bench/kvm.sh: round $r/$rounds done" >&2
done

python3 - "$raw" <<'PY' | tee "$work/kvm.md"
import sys, statistics, collections
rows = collections.defaultdict(list); units = {}
for line in open(sys.argv[1]):
    who, name, r, v, unit = line.rstrip("\n").split("\t")
    rows[(who, name)].append(float(v)); units[name] = unit
med = {k: statistics.median(v) for k, v in rows.items()}
print("| measurement | unit | kvm platform | ptrace platform | kvm / ptrace |")
print("|---|---|---|---|---|")
for name in ["getpid", "open_read_close", "mmap_touch", "fork_exit"]:
    k, p = med.get(("kvm", name)), med.get(("ptrace", name))
    fmt = lambda x: "n/a" if x is None else f"{x:.0f}" if x >= 100 else f"{x:.2f}"
    ratio = f"{k / p:.2f}" if k and p else "n/a"
    print(f"| {name} | {units.get(name, '')} | {fmt(k)} | {fmt(p)} | {ratio} |")
print()
for (who, name), v in sorted(med.items()):
    if who == "floor": print(f"- floor {name}: {v:.0f} {units[name]} (median of {len(rows[(who, name)])})")
if ("kvm", "getpid") in med and ("floor", "kvm_floor") in med:
    print(f"- KVM platform getpid / KVM floor: {med[('kvm', 'getpid')] / med[('floor', 'kvm_floor')]:.2f}x")
PY
