#!/usr/bin/env bash
# make-busybox-rootfs.sh DIR
# Builds a minimal busybox root filesystem in DIR (created if missing):
#   /bin/busybox (Debian's busybox-static), one symlink per applet in /bin,
#   empty /sbin, /proc, /sys, /dev, /tmp, /root, /etc/{passwd,group,hostname}.
# Needs: busybox-static (apt-get install -y busybox-static).
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1

busybox_bin=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [[ -x $candidate ]]; then busybox_bin=$candidate; break; fi
done
if [[ -z $busybox_bin ]]; then
  echo "$0: busybox not found; install it with: apt-get install -y busybox-static" >&2
  exit 1
fi
# A dynamically linked busybox would not run in a rootfs without libc.
# (ldd exits 0 only for dynamic executables.)
if command -v ldd >/dev/null && ldd "$busybox_bin" >/dev/null 2>&1; then
  echo "$0: $busybox_bin is dynamically linked; install busybox-static" >&2
  exit 1
fi

mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,tmp,root}
chmod 1777 "$dir/tmp"
chmod 700 "$dir/root"
install -m 0755 "$busybox_bin" "$dir/bin/busybox"

for applet in $("$busybox_bin" --list); do
  [[ $applet == busybox ]] && continue
  ln -sfn busybox "$dir/bin/$applet"
done

cat > "$dir/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$dir/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
GROUP
echo "csrunsc" > "$dir/etc/hostname"
