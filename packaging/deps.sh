#!/bin/sh
# Installs the Debian/Ubuntu packages Vigie needs, by purpose:
#   deps.sh [build|demo|check|packages|fuzz|bench]     (default: check)
# build: compile; demo: build + what `make demo` runs; check: everything the tests use;
# packages: check + what builds and lints .deb/.rpm; fuzz: build + clang's fuzzer runtime;
# bench: check + the tools benchmarks compare with.
# Supported: Debian 12 and 13, Ubuntu 22.04 and 24.04. Idempotent: when every package is
# already installed it only runs dpkg-query and exits.
#
# A word "a|b" takes the first of a and b that the release has (package names differ
# between releases); it is satisfied when any of them is installed.
set -eu

BUILD="build-essential pkg-config gettext
 libssl-dev libsystemd-dev libjson-c-dev libevent-dev
 libsqlite3-dev libpq-dev libinih-dev zlib1g-dev libdeflate-dev liblzma-dev liblz4-dev libzstd-dev
 libnftables-dev libexpat1-dev libgtk-3-dev libtss2-dev"
DEMO="cryptsetup-bin python3 openssl"
# Test tools and the real components the tests drive (one line per area).
TEST="libcmocka-dev python3 python3-pytest python3-prometheus-client python3-cryptography
 python3-gi python3-dbus dbus dbus-bin|dbus cryptsetup-bin restic borgbackup postgresql
 curl openssl valgrind systemd man-db time procps iproute2 util-linux sqlite3 lz4 xz-utils zstd gzip apt dpkg
 nftables
 strace
 dconf-cli
 nginx openvpn tinyproxy
 chromium|chromium-browser chromium-driver|chromium-chromedriver python3-selenium libnss3-tools
 rpm createrepo-c dnf db5.3-util
 xvfb xfce4-panel dunst xdotool imagemagick fonts-dejavu-core adwaita-icon-theme
 swtpm swtpm-tools tpm2-openssl tpm2-tools tpm2-abrmd libtss2-tcti-tabrmd0
 libtss2-tcti-swtpm0t64|libtss2-tcti-swtpm0"
# make deb, make rpm, make check-packages (docs/deploy.md).
PACKAGING="debhelper dpkg-dev lintian debootstrap rpm rpmlint file ansible"
BENCH="hyperfine"

# clang and its fuzzer/sanitizer runtime, whatever LLVM version the release ships: the
# runtime package is named after clang's major version (libclang-rt-N-dev, or inside
# libclang-common-N-dev on older releases).
fuzz_runtime() {
	v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -n 1)
	[ -n "$v" ] && echo "libclang-rt-$v-dev|libclang-common-$v-dev"
}

case "${1:-check}" in
build) want="$BUILD" ;;
demo) want="$BUILD $DEMO" ;;
check) want="$BUILD $DEMO $TEST" ;;
packages) want="$BUILD $DEMO $TEST $PACKAGING" ;;
bench) want="$BUILD $DEMO $TEST $BENCH" ;;
fuzz) want="$BUILD clang $(fuzz_runtime)" ;;
*) echo "usage: $0 [build|demo|check|packages|fuzz|bench]" >&2; exit 2 ;;
esac

installed() { # any alternative of $1 installed?
	for p in $(echo "$1" | tr '|' ' '); do
		case "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)" in ii*) return 0 ;; esac
	done
	return 1
}

missing=""
for w in $want; do installed "$w" || missing="$missing $w"; done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
pick=""
for w in $missing; do
	for p in $(echo "$w" | tr '|' ' '); do
		if [ -n "$(apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 1p)" ]; then
			pick="$pick $p"
			continue 2
		fi
	done
	echo "vigie: none of \"$w\" is available from this system's apt sources (is this a supported release?)" >&2
	exit 1
done
echo "vigie: installing missing packages:$pick" >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -o DPkg::Lock::Timeout=300 --no-install-recommends $pick
# `make fuzz` on a machine that had no clang: the runtime follows clang's version.
if [ "${1:-check}" = fuzz ] && [ -n "$(fuzz_runtime)" ] && ! installed "$(fuzz_runtime)"; then
	exec sh "$0" fuzz
fi
