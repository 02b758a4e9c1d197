#!/usr/bin/env bash
# Installs (or upgrades) the workshop portal on one Debian 13 or Amazon Linux 2023 host,
# unattended: the distribution's Node, Python, bubblewrap and Caddy; a system user
# `portal`; the portal at a pinned commit, built; a systemd unit; Caddy in front with
# automatic HTTPS. The host stack's user data (cloudformation/portal-host.yaml) runs it,
# and so can anyone on any VM:
#
#   sudo deploy/install.sh --hostname workshop.example.org --commit <40 hex> [options]
#
# Running it again with the same settings changes nothing; with a newer --commit it
# builds that commit beside the running one, switches over and restarts the portal,
# keeping the store. Settings are remembered in /etc/dask-portal/install.conf, so an
# upgrade needs only --commit. docs/hosting.md describes every option and file.
set -euo pipefail
umask 022

usage() {
  cat <<'EOF'
Usage: install.sh --hostname NAME --commit SHA [options]
  --hostname NAME        the portal's public name; Caddy gets its certificate (required once)
  --commit SHA           the commit to run, 40 hex digits (required)
  --repo URL             where to fetch it (default: the remembered one, else this checkout's origin)
  --provider local|aws   PORTAL_PROVIDER (default local)
  --email ADDRESS        the ACME account's email for Let's Encrypt (optional)
  --data-device DEV      a block device for the data folder: formatted if blank, mounted by UUID
  --backup-bucket NAME   PORTAL_BACKUP_BUCKET (the host stack's bucket)
  --aws-region REGION    AWS_REGION for the aws provider and the bucket
  --event-stack NAME     PORTAL_EVENT_STACK; sets PORTAL_AWS_MODE=event
  --dashboard-access address|vpc   PORTAL_DASHBOARD_ACCESS (vpc: this host is in the event's VPC)
  --host-security-group SG  PORTAL_HOST_SECURITY_GROUP, this host's group (needed with vpc)
  --content-domain NAME  serve *.NAME as the content origin (issue 21), with on-demand certificates
  --content-port PORT    serve https://HOSTNAME:PORT as the content origin (issue 21)
  --public-address IP    this machine's public IPv4 address, to say when the name points elsewhere
  --env-file FILE        more KEY=VALUE lines for the portal's environment
  --port PORT            the portal's loopback port (default 3000)
EOF
}

die() {
  echo "install.sh: $*" >&2
  exit 1
}
say() { echo "install.sh: $*"; }
# Seconds each slow step took, said at the end (a first install on a small instance takes minutes).
declare -A took=()
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  took[$name]=$((SECONDS - start))
}

# ---- settings: the command line over what the last run remembered

CONF=/etc/dask-portal/install.conf
declare -A set_now=()
while [ $# -gt 0 ]; do
  case "$1" in
    --hostname | --commit | --repo | --provider | --email | --data-device | --backup-bucket | --aws-region | --event-stack | --dashboard-access | --host-security-group | --content-domain | --content-port | --public-address | --env-file | --port)
      [ $# -ge 2 ] || die "$1 needs a value"
      key=${1#--}
      set_now[${key//-/_}]=$2
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root (it installs packages, a user and a service)"

hostname='' commit='' repo='' provider=local email='' data_device='' backup_bucket='' aws_region='' event_stack=''
dashboard_access='' host_security_group=''
content_domain='' content_port='' public_address='' env_file='' port=3000
# shellcheck disable=SC1090
[ -f "$CONF" ] && . "$CONF"
for key in "${!set_now[@]}"; do printf -v "$key" '%s' "${set_now[$key]}"; done
if [ -z "$repo" ]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  repo=$(git -C "$here" remote get-url origin 2>/dev/null || echo "$here")
fi

[ -n "$hostname" ] || die "--hostname is required: the name attendees type, which must resolve to this machine"
[[ $hostname =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$ ]] || die "--hostname '$hostname' is not a DNS name such as workshop.example.org"
[[ $commit =~ ^[0-9a-f]{40}$ ]] || die "--commit must be a full commit id (40 hex digits), got '$commit'"
[[ $provider =~ ^(local|aws)$ ]] || die "--provider must be local or aws, got '$provider'"
[[ $port =~ ^[0-9]{2,5}$ ]] || die "--port must be a port number, got '$port'"
[ -z "$email" ] || [[ $email =~ ^[^@[:space:]]+@[^@[:space:]]+$ ]] || die "--email '$email' is not an email address"
[ -z "$content_domain" ] || [[ $content_domain =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$ ]] || die "--content-domain '$content_domain' is not a DNS name"
[ -z "$content_port" ] || [[ $content_port =~ ^[0-9]{2,5}$ ]] || die "--content-port must be a port number"
[ -z "$backup_bucket" ] || [[ $backup_bucket =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]] || die "--backup-bucket '$backup_bucket' is not an S3 bucket name"
[ -z "$aws_region" ] || [[ $aws_region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || die "--aws-region '$aws_region' is not a region name such as us-west-2"
[ -z "$public_address" ] || [[ $public_address =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "--public-address '$public_address' is not an IPv4 address"
[ -z "$dashboard_access" ] || [[ $dashboard_access =~ ^(address|vpc)$ ]] || die "--dashboard-access must be address or vpc, got '$dashboard_access'"
[ -z "$host_security_group" ] || [[ $host_security_group =~ ^sg-[0-9a-f]{8,17}$ ]] || die "--host-security-group '$host_security_group' is not a security group id"
[ "$dashboard_access" != vpc ] || [ -n "$host_security_group" ] || die "--dashboard-access vpc needs --host-security-group, the group the schedulers admit"
[ -z "$env_file" ] || [ -r "$env_file" ] || die "--env-file $env_file cannot be read"
[ -z "$data_device" ] || [ -b "$data_device" ] || die "--data-device $data_device is not a block device"

APP=/opt/dask-portal
DATA=/var/lib/dask-portal
ETC=/etc/dask-portal
UNIT=/etc/systemd/system/dask-portal.service
CHECK_UNIT=/etc/systemd/system/dask-portal-https.service
CHECK_TIMER=/etc/systemd/system/dask-portal-https.timer
CADDYFILE=/etc/caddy/Caddyfile
changed_portal=0
changed_caddy=0

# Writes stdin to $1 (mode $2, owner $3) only when the content differs; says whether it did.
put() {
  local target=$1 mode=$2 owner=$3 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    return 1
  fi
  install -D -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$tmp" "$target"
  rm -f "$tmp"
  say "wrote $target"
}

# Downloads are cached outside the data folder, which holds only the room's own files.
as_portal() { runuser -u portal -- env HOME="$DATA" npm_config_cache=/var/cache/dask-portal/npm PIP_CACHE_DIR=/var/cache/dask-portal/pip "$@"; }

# ---- packages

. /etc/os-release
case "$ID:$VERSION_ID" in
  debian:13)
    # make and g++: better-sqlite3 compiles itself where its prebuilt binary cannot be downloaded.
    need=(nodejs npm python3 python3-venv bubblewrap caddy git openssl ca-certificates curl e2fsprogs make g++)
    python_bin=python3
    missing=()
    for p in "${need[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
      say "installing ${missing[*]}"
      apt-get update -qq
      timed packages env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >/dev/null
    fi
    ;;
  amzn:2023)
    # /usr/bin/python3 stays 3.9 on AL2023; the pins need 3.11 or later, namespaced as python3.12.
    need=(nodejs22 nodejs22-npm python3.12 python3.12-pip bubblewrap git openssl tar e2fsprogs make gcc-c++)
    python_bin=python3.12
    missing=()
    for p in "${need[@]}"; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} -eq 0 ] || { say "installing ${missing[*]}"; dnf install -y -q "${missing[@]}"; }
    # AL2023 ships no Caddy; the Caddy project's own COPR builds for EL9 run on it
    # (docs/hosting.md, "Amazon Linux 2023").
    if ! rpm -q caddy >/dev/null 2>&1; then
      dnf install -y -q 'dnf-command(copr)'
      dnf copr enable -y @caddy/caddy "epel-9-$(uname -m)"
      dnf install -y -q caddy
    fi
    ;;
  *) die "this installer supports Debian 13 and Amazon Linux 2023, not ${PRETTY_NAME:-$ID $VERSION_ID}" ;;
esac
node_bin=$(command -v node)
node_major=$("$node_bin" -p 'process.versions.node.split(".")[0]')
[[ $node_major =~ ^(20|22)$ ]] || die "the portal runs on Node 20 or 22; $node_bin is Node $node_major"

# ---- the portal's user and folders

if ! id portal >/dev/null 2>&1; then
  useradd --system --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin --user-group portal
  say "created the system user portal"
fi
install -d -m 0755 -o root -g root "$APP" "$APP/releases" "$APP/python"
install -d -m 0700 -o portal -g portal "$DATA" /var/cache/dask-portal /var/cache/dask-portal/npm
install -d -m 0750 -o root -g portal "$ETC"

if [ -n "$data_device" ]; then
  uuid=$(blkid -s UUID -o value "$data_device" || true)
  if [ -z "$uuid" ]; then
    [ -z "$(blkid -p -o value -s TYPE "$data_device" 2>/dev/null || true)" ] || die "$data_device holds something that is not a file system with a UUID; it was left alone"
    say "making an ext4 file system on the empty $data_device"
    mkfs.ext4 -q -L portal-data "$data_device"
    uuid=$(blkid -s UUID -o value "$data_device")
  fi
  if ! grep -q "^UUID=$uuid " /etc/fstab; then
    echo "UUID=$uuid $DATA ext4 defaults,nofail,noatime 0 2" >>/etc/fstab
    say "added $data_device (UUID=$uuid) to /etc/fstab at $DATA"
  fi
  mountpoint -q "$DATA" || mount "$DATA"
  chown portal:portal "$DATA"
  chmod 0700 "$DATA"
fi

# ---- the commit, built beside the running one

mirror=$APP/repo.git
if [ ! -d "$mirror" ]; then
  git init -q --bare "$mirror"
  chown -R portal:portal "$mirror"
fi
release=$APP/releases/$commit
if [ ! -f "$release/.built" ]; then
  say "fetching $commit from $repo"
  as_portal git -C "$mirror" fetch -q --no-tags "$repo" "$commit" || as_portal git -C "$mirror" fetch -q --no-tags "$repo"
  as_portal git -C "$mirror" cat-file -e "$commit^{commit}" 2>/dev/null || die "$repo has no commit $commit"
  rm -rf "$release"
  install -d -m 0755 -o portal -g portal "$release"
  as_portal sh -c "git -C '$mirror' archive '$commit' | tar -x -C '$release'"
  previous=$(readlink "$APP/current" 2>/dev/null || true)
  cd "$release"
  if [ -n "$previous" ] && [ -d "$previous/node_modules" ] && cmp -s "$previous/package-lock.json" "$release/package-lock.json" && cmp -s "$previous/package.json" "$release/package.json"; then
    say "building $commit (the running release's npm packages, next build)"
    timed npm as_portal cp -a "$previous/node_modules" "$release/node_modules"
  else
    say "building $commit (npm ci, next build)"
    timed npm as_portal npm ci --no-audit --no-fund --loglevel=error
  fi
  timed build as_portal npm run build --silent
  cd /
  as_portal touch "$release/.built"
fi

# The local provider's Dask, JupyterLab and sample data, one Python env per pin set.
python_env=''
if [ "$provider" = local ]; then
  pins=$(cat "$release/docker/requirements.txt" "$release/notebooks/requirements.txt" | sha256sum | cut -c1-12)
  python_env=$APP/python/$pins
  if [ ! -f "$python_env/.complete" ]; then
    say "making the Python env $python_env"
    rm -rf "$python_env"
    install -d -m 0755 -o portal -g portal "$python_env"
    as_portal "$python_bin" -m venv "$python_env"
    as_portal "$python_env/bin/pip" install --quiet --upgrade pip
    timed python as_portal "$python_env/bin/pip" install --quiet -r "$release/notebooks/requirements.txt"
    sha256sum "$release/docker/requirements.txt" | cut -c1-12 | as_portal tee "$python_env/pins" >/dev/null
    as_portal touch "$python_env/.complete"
  fi
  timed sample-data as_portal "$python_env/bin/python" "$release/notebooks/generate_sample_data.py" --base "$DATA/sample/era5" >/dev/null
fi

# ---- configuration: the portal's environment, the unit, Caddy

content_line=''
[ -n "$content_domain" ] && content_line="PORTAL_CONTENT_DOMAIN=$content_domain"
{
  echo "# Written by deploy/install.sh from $CONF; change the options and run it again."
  echo "PORT=$port"
  echo "PORTAL_PROVIDER=$provider"
  echo "PORTAL_DATA_DIR=$DATA"
  echo "NEXTAUTH_URL=https://$hostname"
  # Caddy on this machine is the one hop whose X-Forwarded-For is believed.
  echo "PORTAL_TRUSTED_PROXIES=127.0.0.1/32,::1/128"
  [ -z "$python_env" ] || echo "PORTAL_PYTHON_ENV=$python_env"
  [ -z "$content_line" ] || echo "$content_line"
  # The portal's content server listens on the next port; Caddy serves it on --content-port.
  [ -z "$content_port" ] || printf 'PORTAL_CONTENT_PORT=%s\nPORTAL_CONTENT_PUBLIC_PORT=%s\n' "$((port + 1))" "$content_port"
  [ -z "$backup_bucket" ] || echo "PORTAL_BACKUP_BUCKET=$backup_bucket"
  [ -z "$aws_region" ] || echo "AWS_REGION=$aws_region"
  [ -z "$event_stack" ] || printf 'PORTAL_AWS_MODE=event\nPORTAL_EVENT_STACK=%s\n' "$event_stack"
  [ -z "$dashboard_access" ] || echo "PORTAL_DASHBOARD_ACCESS=$dashboard_access"
  [ -z "$host_security_group" ] || echo "PORTAL_HOST_SECURITY_GROUP=$host_security_group"
  [ -z "$env_file" ] || grep -E '^[A-Z][A-Z0-9_]*=' "$env_file"
} | put "$ETC/portal.env" 0640 root:portal && changed_portal=1

sed -e "s|@NODE@|$node_bin|g" -e "s|@APP@|$APP|g" -e "s|@DATA@|$DATA|g" -e "s|@ETC@|$ETC|g" \
  "$release/deploy/dask-portal.service" | put "$UNIT" 0644 root:root && changed_portal=1
sed -e "s|@APP@|$APP|g" -e "s|@HOSTNAME@|$hostname|g" -e "s|@PORT@|$port|g" -e "s|@PUBLIC@|$public_address|g" \
  "$release/deploy/dask-portal-https.service" | put "$CHECK_UNIT" 0644 root:root || true
put "$CHECK_TIMER" 0644 root:root <"$release/deploy/dask-portal-https.timer" || true

{
  echo "# Written by deploy/install.sh; run it again rather than editing this file."
  if [ -n "$email$content_domain" ]; then
    echo "{"
    [ -z "$email" ] || echo "	email $email"
    if [ -n "$content_domain" ]; then
      # Certificates for environments' hosts are made when first asked for, and only for
      # hosts the portal vouches for (issue 21's content origin answers this question).
      echo "	on_demand_tls {"
      echo "		ask http://127.0.0.1:$port/api/internal/content-host"
      echo "	}"
    fi
    echo "}"
  fi
  echo
  sed -e "s|@HOSTNAME@|$hostname|g" -e "s|@PORT@|$port|g" "$release/deploy/Caddyfile.portal"
  if [ -n "$content_domain" ] || [ -n "$content_port" ]; then
    echo
    if [ -n "$content_domain" ]; then tls='tls {\n\t\ton_demand\n\t}'; else tls=''; fi
    sed -e "s|@SITE@|${content_domain:+*.$content_domain}${content_port:+$hostname:$content_port}|g" \
      -e "s|@CONTENT_PORT@|$((port + 1))|g" -e "s|@TLS_ON_DEMAND@|$tls|" -e '/^\t*$/d' \
      "$release/deploy/Caddyfile.content"
  fi
} | put "$CADDYFILE" 0644 root:root && changed_caddy=1
caddy validate --adapter caddyfile --config "$CADDYFILE" >/dev/null 2>&1 || die "Caddy refuses $CADDYFILE: $(caddy validate --adapter caddyfile --config "$CADDYFILE" 2>&1 | tail -1)"

# ---- switch over, keep the previous release, start

current=$(readlink "$APP/current" 2>/dev/null || true)
if [ "$current" != "$release" ]; then
  ln -sfn "$release" "$APP/current.new"
  mv -T "$APP/current.new" "$APP/current"
  changed_portal=1
  say "now running $commit${current:+ (was $(basename "$current"))}"
fi
for old in $(ls -1dt "$APP"/releases/*/ 2>/dev/null | tail -n +3); do
  old=${old%/}
  [ "$old" = "$release" ] || [ "$old" = "$current" ] || { rm -rf "$old"; say "removed the old release $(basename "$old")"; }
done

printf 'hostname=%q\ncommit=%q\nrepo=%q\nprovider=%q\nemail=%q\ndata_device=%q\nbackup_bucket=%q\naws_region=%q\nevent_stack=%q\ndashboard_access=%q\nhost_security_group=%q\ncontent_domain=%q\ncontent_port=%q\npublic_address=%q\nenv_file=%q\nport=%q\n' \
  "$hostname" "$commit" "$repo" "$provider" "$email" "$data_device" "$backup_bucket" "$aws_region" "$event_stack" "$dashboard_access" "$host_security_group" "$content_domain" "$content_port" "$public_address" "$env_file" "$port" |
  put "$CONF" 0600 root:root || true

systemctl enable -q dask-portal.service dask-portal-https.timer caddy.service
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$changed_portal" = 1 ]; then
    say "restarting the portal (running environments are adopted by the new process)"
    systemctl restart dask-portal.service
  else
    systemctl start dask-portal.service
  fi
  if [ "$changed_caddy" = 1 ]; then systemctl reload-or-restart caddy.service; else systemctl start caddy.service; fi
  systemctl start dask-portal-https.timer
else
  # A root being prepared (an image build, a chroot): the units start at its first boot.
  say "systemd is not running here: the units are enabled and start when this system boots"
fi
"$APP/current/deploy/https-status.sh" "$hostname" "$port" "$public_address" || true
[ "$changed_portal$changed_caddy" = 00 ] && say "nothing to change: $commit is installed as configured"
steps=''
for name in packages npm build python sample-data; do [ -z "${took[$name]:-}" ] || steps+=" $name ${took[$name]} s,"; done
say "took $SECONDS s${steps:+ (${steps%,} )}"
say "done: https://$hostname (until its certificate is issued, http://<this machine's address>/ says why not)"
