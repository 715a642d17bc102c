#!/bin/sh
# SPDX-License-Identifier: MIT
# The patch-level check on a Fedora-shaped root beside `dnf -C check-update` (cache only)
# and `dnf -C updateinfo list --security`: median wall time, CPU time (user+sys) and peak
# RSS over RUNS runs each, and the ratios. Figures only, never a verdict.
# The root: N installed packages (rpmbuild, one spec with N subpackages; rpm --root
# --justdb), one repository whose primary.xml has N + OTHER packages and whose updateinfo
# has security and bugfix advisories (tests/bench/dnf-bench-gen.py), cached by real
# `dnf --installroot makecache`. Built once under BUILD/dnf-bench.
# vigie runs cold (--no-state: every metadata file decompressed and parsed) and warm (a
# state directory holding the metadata digests, as the agent runs).
#   sh tests/bench/bench-patch-dnf.sh BUILD_DIR [RUNS] [N] [OTHER]
build=${1:-build}
runs=${2:-10}
n=${3:-2000}
other=${4:-60000}
vigie="$build/bin/vigie"
export LC_ALL=C

for t in rpmbuild rpm createrepo_c modifyrepo_c dnf; do
	command -v $t >/dev/null || { echo "bench-patch-dnf: needs $t (packaging/deps.sh)"; exit 1; }
done
[ -x "$vigie" ] && [ -x /usr/bin/time ] || { echo "bench-patch-dnf: needs $vigie and /usr/bin/time"; exit 1; }
src=$(cd "$(dirname "$0")" && pwd)
work=$(cd "$build" && pwd)/dnf-bench-$n-$other
R=$work/root
export HOME="$work/home" # Debian's rpm: ~/.rpmmacros points it at /var/lib/rpm
dnf_root() {
	dnf --installroot "$R" --releasever 43 -c "$R/etc/dnf/dnf.conf" --setopt "reposdir=$R/etc/yum.repos.d" \
		--disableplugin='*' "$@"
}
if [ ! -e "$work/done" ]; then
	rm -rf "$work" && mkdir -p "$work/home" "$R/etc/yum.repos.d" "$R/etc/dnf" "$work/repo"
	echo '%_dbpath /var/lib/rpm' > "$work/home/.rpmmacros"
	{
		printf 'Name: benchbase\nVersion: 1.0\nRelease: 1\nSummary: b\nLicense: MIT\nBuildArch: noarch\n'
		printf '%%description\nb\n%%files\n'
		i=0
		while [ $i -lt "$n" ]; do
			p=$(printf 'bp%05d' $i)
			printf '%%package -n %s\nSummary: b\n%%description -n %s\nb\n%%files -n %s\n' "$p" "$p" "$p"
			i=$((i + 1))
		done
	} > "$work/bench.spec"
	rpmbuild -bb --quiet --define "_topdir $work/top" --define "_rpmdir $work/rpms" \
		--define "_build_id_links none" "$work/bench.spec" >/dev/null 2>&1
	rpm --root "$R" --dbpath /var/lib/rpm -i --nodeps --justdb "$work"/rpms/noarch/bp*.rpm 2>/dev/null
	cp "$work/rpms/noarch/benchbase-1.0-1.noarch.rpm" "$work/repo/"
	createrepo_c -q --no-database "$work/repo"
	(cd "$work" && python3 "$src/dnf-bench-gen.py" "$n" "$other")
	modifyrepo_c --mdtype=primary "$work/primary.xml" "$work/repo/repodata" >/dev/null 2>&1
	modifyrepo_c --mdtype=updateinfo "$work/updateinfo.xml" "$work/repo/repodata" >/dev/null
	rm -f "$work/primary.xml" "$work/updateinfo.xml"
	printf '[main]\ngpgcheck=0\n' > "$R/etc/dnf/dnf.conf"
	printf '[bench]\nname=bench\nbaseurl=file://%s/repo\ngpgcheck=0\n' "$work" > "$R/etc/yum.repos.d/bench.repo"
	printf 'ID=fedora\nVERSION_ID=43\n' > "$R/etc/os-release"
	dnf_root -q makecache && touch "$work/done"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/measure.sh"

printf '[Agent]\nStateDirectory=%s\n' "$tmp/state" > "$tmp/agent.conf"
mkdir "$tmp/state"
# /usr/bin/time runs programs, not shell functions.
printf '#!/bin/sh\nexec dnf --installroot "%s" --releasever 43 -c "%s/etc/dnf/dnf.conf" --setopt "reposdir=%s/etc/yum.repos.d" --disableplugin="*" "$@"\n' \
	"$R" "$R" "$R" > "$tmp/dnf-root"
chmod +x "$tmp/dnf-root"
measure cold "$vigie" check --only patch_level --json --no-state --root "$R"
measure warm "$vigie" check --config "$tmp/agent.conf" --only patch_level --json --root "$R"
measure checkupdate "$tmp/dnf-root" -C -q check-update
measure updateinfo "$tmp/dnf-root" -C -q updateinfo list --security

echo "root: $n installed packages, $((n + n / 10 + other)) in primary.xml, $((n / 20)) security advisories"
printf '%-42s %10s %10s %10s\n' "command (median of $runs)" "wall s" "cpu s" "rss KiB"
for m in cold warm checkupdate updateinfo; do
	case $m in
	cold) label="vigie check (cold, --no-state)";;
	warm) label="vigie check (warm, metadata digests)";;
	checkupdate) label="dnf -C check-update";;
	updateinfo) label="dnf -C updateinfo list --security";;
	esac
	printf '%-42s %10s %10s %10s\n' "$label" "$(median "$tmp/$m" 1)" "$(median "$tmp/$m" 2)" "$(median "$tmp/$m" 3)"
done
for v in cold warm; do
	awk -v vw="$(median "$tmp/$v" 1)" -v vc="$(median "$tmp/$v" 2)" -v vr="$(median "$tmp/$v" 3)" \
	    -v aw="$(median "$tmp/checkupdate" 1)" -v ac="$(median "$tmp/checkupdate" 2)" -v ar="$(median "$tmp/checkupdate" 3)" \
	    -v v="$v" \
	    'BEGIN { if (vw == 0) vw = 0.001; if (vc == 0) vc = 0.001;
	             printf "vigie %-4s vs dnf -C check-update: wall %.1fx faster, cpu %.1fx less, rss %.2f of it\n",
	                    v, aw / vw, ac / vc, vr / ar }'
done
