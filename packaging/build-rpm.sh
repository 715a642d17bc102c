#!/bin/sh
# Builds vigie-agent, vigie-tray and vigie-server .rpms from this tree (tracked and new,
# not ignored, files) with packaging/rpm/vigie.spec, into OUT (build/packages).
#   build-rpm.sh WORKDIR OUT
# On a host whose rpm lacks systemd-rpm-macros (Debian), packaging/rpm/macros.debian-host
# stands in for them and build requirements are not checked against an rpm database.
set -eu

work=$1 out=$2
top=$(git rev-parse --show-toplevel)
spec=$top/packaging/rpm/vigie.spec
version=$(rpmspec -q --srpm --qf '%{version}' "$spec" 2>/dev/null || sed -n 's/^Version: *//p' "$spec")

rm -rf "$work"
rm -f "$out"/*.rpm
mkdir -p "$work/SOURCES" "$out"
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$top" && tar --null -T - --transform "s|^|vigie-$version/|" -czf "$work/SOURCES/vigie-$version.tar.gz")
cp "$top/systemd/sysusers.conf" "$work/SOURCES/vigie-server.sysusers"

set -- --define "_topdir $work"
if [ -z "$(rpm --eval '%{?systemd_post:1}')" ]; then
	set -- "$@" --load "$top/packaging/rpm/macros.debian-host" --nodeps
fi
rpmbuild -bb "$@" "$spec" >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "build-rpm: rpmbuild failed; the whole log is $work/build.log" >&2
	exit 1
}
find "$work/RPMS" -name '*.rpm' -exec mv {} "$out/" \;
ls "$out"/*.rpm
