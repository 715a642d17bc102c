#!/bin/sh
# Builds vigie-agent, vigie-tray and vigie-server .debs from this tree (tracked and new,
# not ignored, files) with packaging/debian/ as debian/, into OUT (build/packages).
#   build-deb.sh WORKDIR OUT [DEB_VERSION]
# DEB_VERSION (e.g. 0.1.0+1) adds a changelog entry on top: how the upgrade test gets
# a higher version from the same sources. The entry keeps the previous date, so two
# builds of one tree give the same bytes (SOURCE_DATE_EPOCH comes from the changelog).
set -eu

work=$1 out=$2 version=${3:-}
top=$(git rev-parse --show-toplevel)
src=$work/vigie

rm -rf "$work"
rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mkdir -p "$src" "$out"
(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
	(cd "$top" && tar --exclude=packaging/debian --null -T - -cf -) | tar -xf - -C "$src"
cp -R "$top/packaging/debian" "$src/debian"

if [ -n "$version" ]; then
	date=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Date)
	{
		printf 'vigie (%s) unstable; urgency=medium\n\n  * Rebuilt as %s.\n\n' "$version" "$version"
		printf ' -- Vigie developers <vigie@example.org>  %s\n\n' "$date"
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

(cd "$src" && dpkg-buildpackage -b -us -uc --no-sign -j"${JOBS:-2}" >"$work/build.log" 2>&1) || {
	tail -40 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $work/build.log" >&2
	exit 1
}
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
	[ -e "$f" ] && mv "$f" "$out/"
done
ls "$out"/*.deb
