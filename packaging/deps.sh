#!/bin/sh
# Installs the Debian/Ubuntu packages Vigie needs to build, test, fuzz and benchmark.
# Idempotent: when every package is already installed it only runs dpkg-query and exits.
set -eu

BUILD="build-essential pkg-config clang libclang-rt-14-dev gettext
 libssl-dev libcurl4-openssl-dev libsystemd-dev libjson-c-dev libevent-dev
 libsqlite3-dev libpq-dev libinih-dev zlib1g-dev liblzma-dev liblz4-dev"
TEST="libcmocka-dev python3 python3-pytest python3-prometheus-client python3-cryptography
 cryptsetup-bin restic borgbackup dbus dbus-bin python3-dbus postgresql curl openssl valgrind
 systemd hyperfine time procps iproute2 sqlite3 apt dpkg"
# make deb, make rpm, make check-packages (docs/deploy.md).
PACKAGING="debhelper dpkg-dev lintian debootstrap rpm rpmlint file ansible"

want="$BUILD $TEST $PACKAGING"
[ "${1:-}" = "--build-only" ] && want="$BUILD"

missing=""
for p in $want; do
	s=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	case "$s" in ii*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

echo "vigie: installing missing packages:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# shellcheck disable=SC2086
$SUDO apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends $missing
