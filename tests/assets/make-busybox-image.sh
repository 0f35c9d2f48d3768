#!/usr/bin/env bash
# make-busybox-image.sh [--add SRC:/DEST]... [--cmd JSON_ARRAY] OUT.tar [NAME]
# Writes OUT.tar: an OCI image-layout tarball (no registry needed) holding one image NAME
# (default localhost/bb:1) whose single uncompressed layer is the busybox rootfs of
# make-busybox-rootfs.sh (plus each SRC file copied to /DEST, mode kept), with CMD
# JSON_ARRAY (default ["/bin/sh"]). Layout:
#   oci-layout, index.json (annotations io.containerd.image.name and
#   org.opencontainers.image.ref.name = NAME), blobs/sha256/{layer tar, config, manifest}.
# Accepted by `ctr -n NS image import OUT.tar` and `podman load -i OUT.tar`.
# The output is reproducible (sorted tar, mtime 0, numeric root ownership).
# Needs: busybox-static, tar, sha256sum.
set -euo pipefail

adds=()
cmd='["/bin/sh"]'
while [[ $# -gt 0 ]]; do
  case $1 in
    --add) adds+=("$2"); shift 2 ;;
    --cmd) cmd=$2; shift 2 ;;
    *) break ;;
  esac
done
if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 [--add SRC:/DEST]... [--cmd JSON_ARRAY] OUT.tar [NAME]" >&2
  exit 2
fi
out=$1
name=${2:-localhost/bb:1}
here=$(cd "$(dirname "$0")" && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs" "$work/layout/blobs/sha256"
bash "$here/make-busybox-rootfs.sh" "$work/rootfs"
for add in "${adds[@]}"; do
  src=${add%%:*}
  dest=${add#*:}
  mkdir -p "$work/rootfs$(dirname "$dest")"
  cp -p "$src" "$work/rootfs$dest"
done

deterministic_tar() { # DIR OUT
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$1" -cf "$2" .
}
# blob FILE: moves FILE into blobs/sha256/<digest>, prints "digest size".
blob() {
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1)
  size=$(stat -c %s "$1")
  mv "$1" "$work/layout/blobs/sha256/$digest"
  echo "$digest $size"
}

deterministic_tar "$work/rootfs" "$work/layer.tar"
read -r layer_digest layer_size < <(blob "$work/layer.tar")

printf '%s' '{"created":"1970-01-01T00:00:00Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":'"$cmd"',"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_digest"'"]},"history":[{"created":"1970-01-01T00:00:00Z","created_by":"tests/assets/make-busybox-image.sh"}]}' \
  > "$work/config.json"
read -r config_digest config_size < <(blob "$work/config.json")

printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config_digest"'","size":'"$config_size"'},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'"$layer_digest"'","size":'"$layer_size"'}]}' \
  > "$work/manifest.json"
read -r manifest_digest manifest_size < <(blob "$work/manifest.json")

printf '%s' '{"imageLayoutVersion":"1.0.0"}' > "$work/layout/oci-layout"
printf '%s' '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$manifest_digest"'","size":'"$manifest_size"',"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"'"$name"'","org.opencontainers.image.ref.name":"'"$name"'"}}]}' \
  > "$work/layout/index.json"

mkdir -p "$(dirname "$out")"
deterministic_tar "$work/layout" "$work/image.tar"
mv "$work/image.tar" "$out"
