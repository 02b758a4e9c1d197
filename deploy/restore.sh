#!/usr/bin/env bash
# On a host deploy/install.sh set up: stops the portal, makes a copy of the store (a file, or
# s3://<bucket>/store/portal-….sqlite) its store again as the portal's user, starts it again.
#   sudo /opt/dask-portal/current/deploy/restore.sh SOURCE
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: restore.sh <a copy's path, or s3://bucket/store/portal-….sqlite>" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "restore.sh: run as root (it stops and starts the portal)" >&2; exit 1; }
node_bin=$(command -v node)
# Where systemd is not running (a root being prepared), there is no service to stop.
booted=0
[ -d /run/systemd/system ] && booted=1
[ $booted = 0 ] || systemctl stop dask-portal.service
status=0
(
  cd /opt/dask-portal/current
  set -a
  . /etc/dask-portal/portal.env
  set +a
  setpriv --reuid=portal --regid=portal --init-groups -- env HOME=/var/lib/dask-portal \
    "$node_bin" --conditions=react-server --import tsx scripts/restore.ts "$1"
) || status=$?
[ $booted = 0 ] || systemctl start dask-portal.service
exit $status
