#!/bin/sh
# Installs a kiosk on a counter machine (Debian, Ubuntu or Raspberry Pi OS), as root, from a
# checkout of the repository:
#   deploy/kiosk/install.sh --office "Bộ phận Một cửa xã ..." --counter 1:H40.22.01:admin \
#       --collector-url https://khaosat.example.gov.vn --collector-token TOKEN [--pin 246813]
# The options are those of `sipas kiosk init`. Then it starts the kiosk server, the hourly
# backup and, when SIPAS_SCREEN_COUNTER is set (the counter whose screen is attached to this
# machine, e.g. 1), Chromium in kiosk mode on that counter.
#
#   SIPAS_ROOT            install under this folder instead of / (checks, images)
#   SIPAS_NO_SYSTEM=1     do not install packages, add users or touch systemd
#   SIPAS_VENV            the virtual environment to install into (kept as it is when sipas is
#                         already in it)
#   SIPAS_WHEEL           a wheel built beforehand (`python -m build --wheel`), e.g. on another
#                         machine; without it the wheel is built here from the checkout
set -eu

src=$(cd "$(dirname "$0")/../.." && pwd)
root=${SIPAS_ROOT:-}
opt="$root/opt/sipas"
venv=${SIPAS_VENV:-$opt/.venv}
instance="$root/var/lib/sipas-kiosk"
etc="$root/etc/sipas"
units="$root/etc/systemd/system"
screen=${SIPAS_SCREEN_COUNTER:-}
system=1
[ "${SIPAS_NO_SYSTEM:-0}" = "1" ] && system=0

if [ "$system" = 1 ]; then
  apt-get update -qq
  pkgs="python3-venv sqlite3 curl"
  [ -n "$screen" ] && pkgs="$pkgs chromium cage fonts-dejavu-core"
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs
  id sipas >/dev/null 2>&1 || useradd --system --home-dir /var/lib/sipas-kiosk --shell /usr/sbin/nologin sipas
  if [ -n "$screen" ]; then
    id sipas-screen >/dev/null 2>&1 || useradd --create-home --groups video,render,input sipas-screen
  fi
fi

mkdir -p "$opt" "$instance" "$etc" "$units"
if [ "$src" != "$opt" ]; then
  # The program: the checkout copied as it is (without its own virtual environment and data).
  tar -C "$src" --exclude=.venv --exclude=.git --exclude=instance --exclude=demo -cf - . | tar -C "$opt" -xf -
fi
if [ ! -x "$venv/bin/sipas" ]; then
  python3 -m venv "$venv"
  builder=""
  wheel=${SIPAS_WHEEL:-}
  if [ -z "$wheel" ]; then
    # The same wheel as every install (docs/deploy.md), built in a throw-away environment.
    builder=$(mktemp -d)
    python3 -m venv "$builder/venv"
    "$builder/venv/bin/pip" install --quiet build
    "$builder/venv/bin/python" -m build --wheel --outdir "$builder/dist" "$opt"
    for wheel in "$builder"/dist/sipas-*.whl; do :; done
  fi
  "$venv/bin/pip" install --quiet "$wheel"
  if [ -n "$builder" ]; then rm -rf "$builder"; fi
fi

if [ ! -f "$instance/kiosk.toml" ]; then
  "$venv/bin/sipas" kiosk init --instance "$instance" "$@"
fi
"$venv/bin/sipas" kiosk check --instance "$instance"

for unit in sipas-kiosk.service sipas-kiosk-backup.service sipas-kiosk-backup.timer \
    sipas-kiosk-screen.service; do
  install -m 0644 "$src/deploy/kiosk/$unit" "$units/$unit"
done
if [ -n "$screen" ]; then
  printf 'SIPAS_KIOSK_SCREEN_URL=http://127.0.0.1:5001/c/%s\n' "$screen" > "$etc/kiosk-screen.env"
fi

if [ "$system" = 1 ]; then
  chown -R sipas:sipas "$instance"
  chmod 0700 "$instance"
  systemctl daemon-reload
  systemctl enable --now sipas-kiosk.service sipas-kiosk-backup.timer
  if [ -n "$screen" ]; then
    systemctl set-default graphical.target
    systemctl enable --now sipas-kiosk-screen.service
  fi
fi
echo "kiosk installed in $instance"
