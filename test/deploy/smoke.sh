#!/usr/bin/env bash
# Run inside the installed root, in a network namespace with only loopback: starts what
# systemd would start (the portal as its unit says, Caddy with the written Caddyfile, the
# HTTPS check), asks each a question, and stops them again. Prints one KEY=VALUE per line.
set -uo pipefail
unit=/etc/systemd/system/dask-portal.service
field() { sed -n "s/^$1=//p" "$unit"; }

# The data folder's file system, as RequiresMountsFor= would have it mounted.
grep -q ' /var/lib/dask-portal ' /etc/fstab && { mountpoint -q /var/lib/dask-portal || mount /var/lib/dask-portal; }
echo "DATA_MOUNTED=$(mountpoint -q /var/lib/dask-portal && echo yes || echo no)"

set -a
# shellcheck disable=SC1090
. "$(field EnvironmentFile)"
set +a
cd "$(field WorkingDirectory)" || exit 1
umask "$(field UMask)"
# setpriv, like systemd, executes the command itself as the unit's user (no process in between).
# shellcheck disable=SC2046
setpriv --reuid="$(field User)" --regid="$(field Group)" --init-groups -- $(field ExecStart) >/tmp/portal.log 2>&1 &
portal=$!
HOME=/var/lib/caddy XDG_DATA_HOME=/var/lib/caddy caddy run --config /etc/caddy/Caddyfile >/tmp/caddy.log 2>&1 &
caddy=$!

for _ in $(seq 1 120); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/api/health" && break
  sleep 1
done
echo "HEALTH=$(curl -s "http://127.0.0.1:$PORT/api/health")"
echo "PORTAL_USER=$(stat -c %U "/proc/$portal")"
echo "REDIRECT=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: ${NEXTAUTH_URL#https://}" http://127.0.0.1/)"
echo "CHECK=$(sed -n 's/^ExecStart=//p' /etc/systemd/system/dask-portal-https.service | sh)"
echo "PAGE=$(curl -s http://127.0.0.1/ | tr -d '\n')"
echo "PAGE_FOR_ADDRESS_PATH=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/api/health)"
echo "SECRETS_MODE=$(stat -c '%a %U' /var/lib/dask-portal/secrets.json)"

# What systemd does on stop with KillMode=process: SIGTERM to the portal alone.
kill -TERM "$portal"
wait "$portal"
echo "PORTAL_EXIT=$?"
kill -TERM "$caddy"
wait "$caddy"
echo "PORTAL_LOG=$(tr '\n' ' ' </tmp/portal.log | cut -c1-2000)"
