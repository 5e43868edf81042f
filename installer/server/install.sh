#!/usr/bin/env bash
# Install the sync server alone (no Qt, no ML runtime, no model) as a systemd service, from this checkout:
#   sudo installer/server/install.sh [--no-start]
# Makes /opt/lmgpa-server (a virtualenv from requirements/server.lock, hashes checked), the system user
# lmgpa-server, /etc/lmgpa-server/env (with a generated JWT_SECRET_KEY; an existing file is never changed), the state
# folder /var/lib/lmgpa-server and /etc/systemd/system/lmgpa-server.service; runs `lmgpa-server check-config` as
# the service user, then enables and (re)starts the service. Idempotent: run it again after `git pull` to upgrade.
# Then: nginx in front (installer/server/nginx.conf.example) and docs/deploy-server.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PREFIX=/opt/lmgpa-server            # the unit's ExecStart points here
SERVICE_USER=lmgpa-server
ETC_DIR=/etc/lmgpa-server
ENV_FILE="$ETC_DIR/env"
STATE_DIR=/var/lib/lmgpa-server     # the unit's StateDirectory
UNIT_FILE=/etc/systemd/system/lmgpa-server.service

say() { printf '\033[1m[lmgpa-server]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[lmgpa-server] error:\033[0m %s\n' "$*" >&2; exit 1; }

start=yes
case "${1:-}" in
  "") ;;
  --no-start) start=no ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) die "unknown option: $1 (see $0 --help)" ;;
esac
[ "$(id -u)" -eq 0 ] || die "run it as root: sudo $0"
[ "$(uname -s)" = Linux ] || die "this installer is for Linux with systemd"

# shellcheck source=../setup.sh
source "$ROOT/installer/setup.sh"
declare -F lmgpa_make_venv >/dev/null || die "installer/setup.sh has no lmgpa_make_venv; update this checkout"

# 1. The service user: no login, no home of its own beyond the state folder.
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  say "creating the system user $SERVICE_USER"
  useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin \
    --comment "Little Monster GPA sync server" "$SERVICE_USER"
fi
install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$STATE_DIR"

# 2. The virtualenv: the server lock only (the service keeps running the old files until the restart below).
say "installing the server into $PREFIX (requirements/server.lock)"
# The system's Python (a pyenv or conda one under /root or /home is hidden from the service by ProtectHome).
PATH="/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin" lmgpa_make_venv "$PREFIX" server
case "$(readlink -f "$PREFIX/bin/python")" in
  /root/*|/home/*) die "$PREFIX uses $(readlink -f "$PREFIX/bin/python"), which the service cannot reach; remove $PREFIX and install python3 (3.11 or newer) from the system's packages" ;;
esac
# lmgpa_make_venv installs the project editable (code read from this checkout, which ProtectHome may hide from the
# service and which changes under it): the service gets a real copy, renewed on every run.
"$PREFIX/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  --force-reinstall "$ROOT" || die "could not install the server package into $PREFIX"
[ -x "$PREFIX/bin/lmgpa-server" ] || die "$PREFIX/bin/lmgpa-server is missing after the install"
for module in PySide6 onnxruntime llama_cpp; do
  if "$PREFIX/bin/python" -c "import $module" 2>/dev/null; then die "$PREFIX has $module: not a server-only install"; fi
done

# 3. Settings: written once with a fresh secret; afterwards they belong to the administrator.
if [ -e "$ENV_FILE" ]; then
  say "keeping the existing settings in $ENV_FILE"
else
  say "writing $ENV_FILE with a new JWT_SECRET_KEY"
  install -d -m 0750 -o root -g "$SERVICE_USER" "$ETC_DIR"
  secret="$("$PREFIX/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))')"
  umask_before="$(umask)"; umask 027
  cat >"$ENV_FILE.new" <<EOF
# Settings of lmgpa-server (read by systemd: KEY=VALUE, no quotes needed). See docs/deploy-server.md.
# Check them with:  sudo -u $SERVICE_USER $PREFIX/bin/lmgpa-server check-config --env-file $ENV_FILE
JWT_SECRET_KEY=$secret
DATABASE_URL=sqlite:///$STATE_DIR/lmgpa-server.sqlite3
# Many users or several machines: PostgreSQL, e.g. postgresql://lmgpa@localhost/lmgpa
SYNC_BLOB_DIR=$STATE_DIR/sync-blobs
# Password-reset mail (without SMTP_HOST the codes go to the journal):
#SMTP_HOST=smtp.school.example
#SMTP_PORT=587
#SMTP_TLS=starttls
#SMTP_USER=
#SMTP_PASSWORD=
#SMTP_FROM=lmgpa@school.example
# nginx on this machine is trusted for X-Forwarded-For by default (127.0.0.1,::1); elsewhere, its address:
#FORWARDED_ALLOW_IPS=10.0.0.5
#LMGPA_SERVER_PORT=8400
#LMGPA_SERVER_WORKERS=2
EOF
  umask "$umask_before"
  chown root:"$SERVICE_USER" "$ENV_FILE.new"
  chmod 0640 "$ENV_FILE.new"
  mv "$ENV_FILE.new" "$ENV_FILE"
fi

# 4. The unit (ours: local changes go in `systemctl edit lmgpa-server`, which a reinstall keeps).
install -m 0644 "$HERE/lmgpa-server.service" "$UNIT_FILE"

# 5. The settings, checked as the service will see them; a FAIL stops here, before anything is (re)started.
say "checking the settings"
rc=0
(cd "$STATE_DIR" && runuser -u "$SERVICE_USER" -- "$PREFIX/bin/lmgpa-server" check-config --env-file "$ENV_FILE") || rc=$?
[ "$rc" -eq 0 ] || [ "$rc" -ne 1 ] || die "fix the FAIL lines above in $ENV_FILE, then run this again"
[ "$rc" -eq 0 ] || die "$PREFIX/bin/lmgpa-server check-config could not run as $SERVICE_USER (exit $rc)"

# 6. Start (or restart onto the new files).
if [ "$start" = no ]; then
  say "installed; not started (--no-start). Start with: systemctl enable --now lmgpa-server"
elif [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable lmgpa-server.service >/dev/null
  systemctl restart lmgpa-server.service
  say "running: systemctl status lmgpa-server; logs: journalctl -u lmgpa-server"
else
  say "systemd is not running on this machine: the unit is installed but not started"
fi
say "next: nginx with TLS in front ($HERE/nginx.conf.example), then the first admin:"
say "  systemd-run --pipe --wait -p User=$SERVICE_USER -p EnvironmentFile=$ENV_FILE -p WorkingDirectory=$STATE_DIR \\"
say "    $PREFIX/bin/lmgpa-server set-role EMAIL admin"
