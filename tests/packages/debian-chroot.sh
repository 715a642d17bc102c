#!/bin/sh
# Prints the path of a tarball of a fresh Debian 12 minbase system with PACKAGES
# (comma-separated) installed, made once with debootstrap and cached under CACHE
# (default /var/cache/vigie-tests): the package tests unpack it into a new chroot each.
#   debian-chroot.sh PACKAGES [CACHE]
# The mirror is the host's (/etc/apt/sources.list.d/*.sources, else sources.list).
set -eu

include=$1 cache=${2:-/var/cache/vigie-tests}
suite=bookworm
key=$(printf '%s %s' "$suite" "$include" | sha256sum | cut -c1-16)
tarball=$cache/debian-$suite-minbase-$key.tar
if [ -s "$tarball" ]; then
	echo "$tarball"
	exit 0
fi

mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
mirror=${mirror:-http://deb.debian.org/debian}

mkdir -p "$cache"
root=$(mktemp -d "$cache/root.XXXXXX")
chmod 0755 "$root"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase --include="$include" "$suite" "$root" "$mirror" >"$root.log" 2>&1 || {
	tail -20 "$root.log" >&2
	echo "debian-chroot: debootstrap $suite from $mirror failed; the whole log is $root.log" >&2
	exit 1
}
rm -f "$root.log"
# The package manager's caches are not part of the system under test.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*_*
tar -C "$root" --numeric-owner -cf "$tarball.tmp" .
mv "$tarball.tmp" "$tarball"
echo "$tarball"
