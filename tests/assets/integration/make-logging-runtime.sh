#!/usr/bin/env bash
# make-logging-runtime.sh REAL_RUNTIME LOG_DIR WRAPPER
# Writes WRAPPER, an executable /bin/sh script that records every call and then runs
# REAL_RUNTIME with the same arguments, stdio and environment, and exits with its status.
# Give WRAPPER the runtime's basename (…/runc or …/csrunsc): podman's runtime_supports_json
# matches the basename. For each call it appends to LOG_DIR/calls.log
#   CALL <pid> <time> ppid=<ppid>(<parent name>) cwd=<cwd> env(<N> vars)=[PATH=..;HOME=..;...] fds=<fd:target,...>
#     (env as received, selected variables; fds as received plus the shell's own 10 and 11)
#   ARGV <pid> '<arg>' '<arg>' ...
#   EXIT <pid> <time> status=<N>
# and keeps copies of the files a caller deletes or rewrites: `create --bundle B` saves
# B/config.json as LOG_DIR/create-<id>.config.json, `exec --process F` saves F as
# LOG_DIR/exec-<pid>.process.json, `update --resources F|-` saves the resources JSON.
# The REAL runtime runs as the wrapper's child (not exec'd) so that its status can be logged;
# the container's processes are still its descendants. The runtime sees PWD added to its
# environment by /bin/sh.
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: $0 REAL_RUNTIME LOG_DIR WRAPPER" >&2
  exit 2
fi
real=$(readlink -f "$1")
logdir=$(readlink -m "$2")
wrapper=$3
mkdir -p "$logdir" "$(dirname "$wrapper")"
cat > "$wrapper" <<WRAPPER
#!/bin/sh
REAL='$real'
LOGDIR='$logdir'
WRAPPER
cat >> "$wrapper" <<'WRAPPER'
log=$LOGDIR/calls.log
# Absolute paths: podman calls some commands with no PATH at all, and PATH must stay as given.
now() { /bin/date +%H:%M:%S.%N | /usr/bin/cut -c1-12; }
fds=""
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  fds="$fds$n:$(/bin/readlink "$fd" 2>/dev/null),"
done
pname=$(/bin/cat /proc/$PPID/comm 2>/dev/null || echo '?')
# The environment as received (not the shell's variables: dash invents a PATH when there is none).
nenv=$(/usr/bin/tr '\0' '\n' < /proc/$$/environ | /usr/bin/wc -l)
envs=$(/usr/bin/tr '\0' '\n' < /proc/$$/environ | /bin/grep -E '^(PATH|HOME|XDG_RUNTIME_DIR|NOTIFY_SOCKET|LISTEN_FDS|TMPDIR|container)=' | /usr/bin/tr '\n' ';')
{
  echo "CALL $$ $(now) ppid=$PPID($pname) cwd=$(pwd) env($nenv vars)=[${envs%;}] fds=${fds%,}"
  printf 'ARGV %s' "$$"
  for a in "$@"; do printf " '%s'" "$a"; done
  echo
} >> "$log"
# Keep copies of inputs the caller removes afterwards.
prev=""; cmd=""; id=""; bundle=""; process=""; resources=""
for a in "$@"; do
  case "$prev" in
    --bundle|-b) bundle=$a ;;
    --process|-p) process=$a ;;
    --resources|-r) resources=$a ;;
  esac
  case "$a" in
    --bundle=*) bundle=${a#--bundle=} ;;
    --process=*) process=${a#--process=} ;;
    --resources=*) resources=${a#--resources=} ;;
  esac
  if [ -z "$cmd" ]; then
    case "$a" in
      create|start|run|exec|kill|delete|state|pause|resume|ps|update|list|events|features|checkpoint|restore|spec) cmd=$a ;;
    esac
  fi
  prev=$a
  id=$a
done
case "$cmd" in
  create) /bin/cp "${bundle:-.}/config.json" "$LOGDIR/create-$id.config.json" 2>/dev/null || true ;;
  exec) [ -n "$process" ] && /bin/cp "$process" "$LOGDIR/exec-$$.process.json" 2>/dev/null || true ;;
esac
status=0
if [ "$cmd" = update ] && [ "$resources" = - ]; then
  # Resources come on stdin: keep a copy and pass it on.
  /bin/cat > "$LOGDIR/update-$$.resources.json"
  "$REAL" "$@" < "$LOGDIR/update-$$.resources.json" || status=$?
else
  [ "$cmd" = update ] && [ -n "$resources" ] && /bin/cp "$resources" "$LOGDIR/update-$$.resources.json" 2>/dev/null
  "$REAL" "$@" || status=$?
fi
echo "EXIT $$ $(now) status=$status" >> "$log"
exit $status
WRAPPER
chmod 0755 "$wrapper"
