#!/usr/bin/env bash
# test.sh — the single test command: installs what the tests need (Debian packages, only when
# missing), builds csrunsc (./build.sh), runs every test of Sandbox.sln against out/csrunsc and
# ends with one line "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")"

# runc: the reference runtime; busybox-static: test rootfs; gcc/libc6-dev: static test programs
# and the NativeAOT link; binutils/zlib1g-dev: NativeAOT; python3: tests/assets/make-bundle.sh.
readonly packages=(runc busybox-static gcc libc6-dev binutils zlib1g-dev python3)

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "test.sh: missing packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
  echo "test.sh: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

./build.sh

export CSRUNSC_BIN="$PWD/out/csrunsc"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
dotnet test Sandbox.sln -c Release -nologo \
  --logger "console;verbosity=normal" \
  --logger trx \
  --results-directory "$results" || status=$?

# Sum the counters of every test assembly's TRX file.
read -r passed failed skipped total < <(python3 - "$results" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
passed = failed = skipped = total = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    counters = ET.parse(path).getroot().find("t:ResultSummary/t:Counters", ns)
    if counters is None:
        continue
    c = {k: int(v) for k, v in counters.attrib.items() if v.isdigit()}
    passed += c.get("passed", 0)
    failed += c.get("failed", 0) + c.get("error", 0) + c.get("timeout", 0) + c.get("aborted", 0)
    total += c.get("total", 0)
    skipped += c.get("total", 0) - c.get("executed", c.get("total", 0))
print(passed, failed, skipped, total)
PY
)

if [[ $total -eq 0 && $status -ne 0 ]]; then
  echo "test.sh: dotnet test failed before running any test (build error?)" >&2
  failed=$((failed + 1))
fi
if [[ $skipped -gt 0 ]]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
if [[ $status -ne 0 || $failed -ne 0 ]]; then
  exit 1
fi
