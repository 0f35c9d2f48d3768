#!/usr/bin/env bash
# make-debian-bundle.sh DIR [ARGS...]
# Makes an OCI bundle in DIR that runs the host's own Debian userland without copying it:
#   DIR/rootfs   a small skeleton: /bin /lib /lib64 /sbin as symlinks into /usr (Debian 12's
#                merged /usr), empty mount points, and copies of the /etc files programs read
#                (passwd, group, ld.so.cache, nsswitch.conf, ...)
#   DIR/config.json  like `runc spec` (terminal=false, no network namespace) with host /usr
#                bind-mounted read-only, a tmpfs on /tmp and process.args set to ARGS
#                (default: bash).
# No network is needed. Environment: WORKLOAD_ENV="K=V K=V" adds environment variables.
set -euo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: $0 DIR [ARGS...]" >&2
  exit 2
fi
dir=$1
shift
if [[ $# -eq 0 ]]; then set -- bash; fi

rootfs=$dir/rootfs
mkdir -p "$rootfs"
for d in usr etc tmp proc dev sys root home var/tmp run; do
  mkdir -p "$rootfs/$d"
done
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
for link in bin lib lib64 sbin; do
  if [[ -L /$link ]]; then
    ln -sfn "$(readlink "/$link")" "$rootfs/$link"
  else
    ln -sfn "usr/$link" "$rootfs/$link"
  fi
done
for f in passwd group ld.so.cache ld.so.conf nsswitch.conf hosts host.conf localtime \
         gitconfig inputrc bash.bashrc profile os-release debian_version; do
  if [[ -e /etc/$f ]]; then
    cp -L "/etc/$f" "$rootfs/etc/$f"
  fi
done
if [[ -d /etc/ld.so.conf.d ]]; then
  cp -rL /etc/ld.so.conf.d "$rootfs/etc/"
fi
if [[ -d /etc/alternatives ]]; then
  # Debian's update-alternatives links (cc, editor, ...) point into /etc/alternatives.
  cp -a /etc/alternatives "$rootfs/etc/"
fi
[[ -e $rootfs/etc/passwd ]] || echo 'root:x:0:0:root:/root:/bin/bash' > "$rootfs/etc/passwd"
[[ -e $rootfs/etc/group ]] || echo 'root:x:0:' > "$rootfs/etc/group"

# JSON string literal of $1 (backslash, quote and the common control characters escaped).
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  printf '"%s"' "$s"
}

json_array() {
  local out="[" separator="" arg
  for arg in "$@"; do
    out+="$separator$(json_string "$arg")"
    separator=", "
  done
  printf '%s]' "$out"
}

args_json=$(json_array "$@")
# shellcheck disable=SC2206
extra_env=(${WORKLOAD_ENV:-})
env_json=$(json_array "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  "HOME=/root" "LANG=C" "TERM=xterm" "${extra_env[@]}")

cat > "$dir/config.json" <<JSON
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": $args_json,
    "env": $env_json,
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "csrunsc-test",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": ["nosuid", "noexec", "nodev", "ro"] },
    { "destination": "/usr", "type": "bind", "source": "/usr",
      "options": ["rbind", "ro"] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
      "options": ["nosuid", "nodev", "mode=1777", "size=262144k"] }
  ],
  "linux": {
    "resources": { "devices": [{ "allow": false, "access": "rwm" }] },
    "namespaces": [
      { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
JSON
