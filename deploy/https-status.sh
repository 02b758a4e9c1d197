#!/usr/bin/env bash
# Is HTTPS up for the portal's name? Run every minute by dask-portal-https.timer (and once by
# the installer). Writes the page Caddy serves on http://<this machine's address>/ and, when
# the answer changes, one line to the journal saying why HTTPS is not up yet.
#   https-status.sh HOSTNAME PORT [PUBLIC_ADDRESS]
set -uo pipefail
host=$1 port=$2 public=${3:-}
out=${DASK_PORTAL_HTTPS_DIR:-/var/lib/dask-portal-https}
mkdir -p "$out"

reason=''
if ! curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null; then
  reason="The portal is not answering on 127.0.0.1:$port yet (systemctl status dask-portal; journalctl -u dask-portal)."
elif ! tls_error=$(curl -fsS --max-time 10 -o /dev/null --resolve "$host:443:127.0.0.1" "https://$host/api/health" 2>&1); then
  addresses=$(getent ahostsv4 "$host" 2>/dev/null | awk '{print $1}' | sort -u | tr '\n' ' ')
  addresses=${addresses% }
  if [ -z "$addresses" ]; then
    reason="$host does not resolve yet: create a DNS A record for it${public:+ pointing at $public}. Caddy gets the certificate once it does."
  elif [ -n "$public" ] && [[ " $addresses " != *" $public "* ]]; then
    reason="$host resolves to $addresses, not to this machine ($public): point its A record at $public. Caddy gets the certificate once it does."
  else
    said=$(journalctl -u caddy --since -15min -o cat 2>/dev/null | grep -iE 'could not get certificate|challenge|obtain' | tail -1 | cut -c1-300)
    reason="Caddy has no valid certificate for $host yet (${tls_error##*: })${said:+; Caddy says: $said}. It keeps trying on its own."
  fi
fi

if [ -z "$reason" ]; then
  state="up"
  body="<p>HTTPS is up: the portal is at <a href=\"https://$host/\">https://$host/</a>.</p>"
else
  state="down: $reason"
  escaped=$(printf '%s' "$reason" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g')
  body="<p>The workshop portal will be at https://$host/, but HTTPS is not up yet.</p><p id=\"reason\">$escaped</p>"
fi
cat >"$out/index.html.new" <<HTML
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="60"><title>Workshop portal: HTTPS status</title></head>
<body><h1>Workshop portal</h1>$body<p>Checked $(date -u '+%Y-%m-%d %H:%M UTC').</p></body></html>
HTML
chmod 0644 "$out/index.html.new"
mv -f "$out/index.html.new" "$out/index.html"
if [ "$(cat "$out/state" 2>/dev/null)" != "$state" ]; then
  printf '%s\n' "$state" >"$out/state"
  if [ -z "$reason" ]; then echo "HTTPS for $host is up."; else echo "HTTPS for $host is not up yet: $reason"; fi
fi
