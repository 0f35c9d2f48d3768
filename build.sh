#!/usr/bin/env bash
# build.sh         — publish csrunsc with NativeAOT into ./out (and link ./csrunsc -> out/csrunsc)
# build.sh demo    — build, then run a busybox container under csrunsc
#
# Needs the .NET 10 SDK on PATH, and for the NativeAOT link step a C toolchain:
# gcc (or clang), libc6-dev, binutils (objcopy), zlib1g-dev. Missing Debian packages are
# installed with apt-get when running as root.
set -euo pipefail
cd "$(dirname "$0")"

readonly aot_packages=(gcc libc6-dev binutils zlib1g-dev)
readonly demo_packages=(busybox-static)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

ensure_packages() {
  local missing
  missing=$(missing_packages "$@")
  [[ -z $missing ]] && return 0
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    echo "build.sh: missing packages: $missing (install them: apt-get install -y $missing)" >&2
    exit 1
  fi
  echo "build.sh: installing $missing" >&2
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

build() {
  if ! command -v dotnet >/dev/null; then
    echo "build.sh: 'dotnet' is not on PATH. Install the .NET 10 SDK (https://dot.net/v1/dotnet-install.sh --channel 10.0) and add it to PATH." >&2
    exit 1
  fi
  if ! dotnet --list-sdks | grep -q '^10\.'; then
    echo "build.sh: the .NET 10 SDK is required; found: $(dotnet --list-sdks | tr '\n' ' ')" >&2
    exit 1
  fi
  if command -v dpkg-query >/dev/null; then
    ensure_packages "${aot_packages[@]}"
  fi
  dotnet publish src/Csrunsc/Csrunsc.csproj -c Release -r linux-x64 -o out -nologo
  ln -sfn out/csrunsc csrunsc
  echo "build.sh: built $(pwd)/out/csrunsc"
}

demo() {
  if command -v dpkg-query >/dev/null; then
    ensure_packages "${demo_packages[@]}"
  fi
  local bundle=out/demo-bundle
  rm -rf "$bundle"
  tests/assets/make-bundle.sh "$bundle" sh -c 'echo hello from the sandbox; uname -a'
  echo "build.sh: ./csrunsc run --bundle $bundle demo-$$" >&2
  ./csrunsc run --bundle "$bundle" "demo-$$"
}

case "${1:-}" in
  "") build ;;
  demo) build; demo ;;
  *) echo "usage: $0 [demo]" >&2; exit 2 ;;
esac
