#!/usr/bin/env bash
# in-root.sh ROOT COMMAND...: runs COMMAND chrooted into ROOT, in a mount namespace of its
# own (so nothing stays mounted when it ends), with /dev, /proc and /sys, and the download
# caches of .cache/deploy mounted where apt, npm and pip look for them.
# With IN_ROOT_NET=none it also gets a network namespace of its own with only loopback.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
root=$1
shift
net=()
[ "${IN_ROOT_NET:-}" = none ] && net=(--net)
exec unshare --mount --fork "${net[@]}" bash -c '
  set -e
  root=$1 cache=$2
  shift 2
  [ -z "$IN_ROOT_NET" ] || ip link set lo up
  mount --rbind /dev "$root/dev"
  mount -t proc proc "$root/proc"
  mount -t sysfs sys "$root/sys"
  mkdir -p "$root/var/cache/apt/archives" "$root/var/cache/dask-portal"
  mount --bind "$cache/apt" "$root/var/cache/apt/archives"
  mount --bind "$cache/portal" "$root/var/cache/dask-portal"
  exec chroot "$root" "$@"
' in-root "$root" "$here/.cache/deploy" "$@"
