#!/usr/bin/env bash
# test.sh — the single test command: installs what the tests need (Debian packages, only when
# missing), builds csrunsc (./build.sh), runs every test of Sandbox.sln against out/csrunsc and
# ends with one line "N passed, N failed[, N skipped]". Exits non-zero when anything failed.
set -euo pipefail
cd "$(dirname "$0")"

# runc: the reference runtime; busybox-static: test rootfs; gcc/libc6-dev: static test programs
# and the NativeAOT link; binutils/zlib1g-dev: NativeAOT; containernetworking-plugins/iptables:
# the CRI tests' pod network (CNI bridge + host-local) and its firewall; procps: vmstat, free and ps in the Debian workloads;
# python3, tmux: the Debian workloads (pty.spawn, a detached tmux server).
readonly packages=(runc busybox-static gcc libc6-dev binutils zlib1g-dev containerd podman conmon bsdutils containernetworking-plugins iptables procps python3 tmux)

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

if ! ./build.sh; then
  echo "test.sh: build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

export CSRUNSC_BIN="$PWD/out/csrunsc"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

status=0
dotnet test Sandbox.sln -c Release -nologo \
  --logger "console;verbosity=normal" \
  --logger trx \
  --results-directory "$results" || status=$?

# Sum the counters of every test assembly's TRX file (<Counters total=".." executed=".." ...>).
counter() { grep -o " $1=\"[0-9]*\"" <<<"$2" | grep -o '[0-9]*' || echo 0; }
passed=0 failed=0 skipped=0 total=0
for trx in "$results"/*.trx; do
  [[ -e $trx ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  [[ -n $counters ]] || continue
  t=$(counter total "$counters")
  e=$(counter executed "$counters")
  passed=$((passed + $(counter passed "$counters")))
  failed=$((failed + $(counter failed "$counters") + $(counter error "$counters") + $(counter timeout "$counters") + $(counter aborted "$counters")))
  skipped=$((skipped + t - e))
  total=$((total + t))
done

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
