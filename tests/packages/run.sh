#!/bin/sh
# make check-packages: the .debs built twice from this tree must be the same bytes
# (reproducible), lintian --pedantic clean, and install, enroll, upgrade, remove and
# purge in a fresh Debian 12 chroot, the Ansible role too (tests/integration/
# test_packages.py, as root); the .rpms rpmlint clean with the expected payload,
# requirements and scriptlets (tests/packages/check-rpm.sh).
#   run.sh BUILD VERSION      BUILD: the host build (its vigie-server and vigiectl)
set -eu

build=$1 version=$2
out=build
sh packaging/build-deb.sh "$PWD/$out/deb" "$PWD/$out/packages" >/dev/null
sh packaging/build-deb.sh "$PWD/$out/deb-again" "$PWD/$out/packages-again" >/dev/null
status=0
for f in "$out"/packages/*.deb; do
	if ! cmp -s "$f" "$out/packages-again/${f##*/}"; then
		echo "check-packages: $f differs between two builds of the same tree (not reproducible);" \
			"compare them with diffoscope $f $out/packages-again/${f##*/}" >&2
		status=1
	fi
done
[ $status -eq 0 ] && echo "check-packages: two builds gave the same bytes: $(cd "$out/packages" && echo *.deb)"
lintian --pedantic --fail-on error,warning "$out"/packages/*.changes || {
	echo "check-packages: lintian found the problems above (fix them, or override with a why comment)" >&2
	status=1
}
sh packaging/build-rpm.sh "$PWD/$out/rpm" "$PWD/$out/packages" >/dev/null
sh tests/packages/check-rpm.sh "$out/packages" "$build" || status=1
sh packaging/build-deb.sh "$PWD/$out/deb-next" "$PWD/$out/packages-next" "$version+1" >/dev/null
VIGIE_PACKAGES="$PWD/$out/packages" VIGIE_PACKAGES_NEXT="$PWD/$out/packages-next" VIGIE_BUILD="$build" \
	${PYTHON:-python3} -m pytest -ra -p no:cacheprovider tests/integration/test_packages.py || status=1
exit $status
