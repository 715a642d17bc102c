#!/bin/sh
# vigie-site-package: a package that enrolls laptops with no per-laptop step.
#   site-package.sh --name ACME --server https://vigie.acme.example:8443 [--dir DIR]
#       [--ca FILE] [--token-uses N] [--token-ttl 30d] [--format deb|rpm]
#       [--version V] [--maintainer "ACME IT <it@acme.example>"] [--out DIR]
# writes vigie-site-acme (deb or rpm) into --out (default .): agent.conf.d/10-site.conf
# (Server=, CA=), the server's CA and a fresh enrollment token (root, 0600) made with
# "vigie-server token create" on the server directory --dir (default /var/lib/vigie-server).
# Installed beside vigie-agent, the agent's next cycle enrolls with the token and reports.
# $VIGIE_SERVER names the vigie-server binary (default: the one on $PATH).
set -eu

usage() {
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() {
	echo "vigie-site-package: $*" >&2
	exit 1
}

name="" server="" maintainer="" dir=/var/lib/vigie-server ca="" uses=1000 ttl=30d format=deb version=1 out=.
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--name) name=$2 ;;
	--server) server=$2 ;;
	--dir) dir=$2 ;;
	--ca) ca=$2 ;;
	--token-uses) uses=$2 ;;
	--token-ttl) ttl=$2 ;;
	--format) format=$2 ;;
	--version) version=$2 ;;
	--out) out=$2 ;;
	--maintainer) maintainer=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$name" ] && [ -n "$server" ] || usage
slug=$(printf '%s' "$name" | tr 'A-Z' 'a-z')
case "$slug" in
*[!a-z0-9.+-]* | [!a-z0-9]*) die "--name \"$name\" must be letters, digits, '.', '+' or '-' (it names the package vigie-site-$slug)." ;;
esac
case "$server" in
https://*) ;;
*) die "--server \"$server\" must be an https:// URL (the agent only talks TLS to its server)." ;;
esac
case "$format" in
deb | rpm) ;;
*) die "--format \"$format\": expected deb or rpm." ;;
esac
ca=${ca:-$dir/ca.pem}
[ -r "$ca" ] || die "cannot read the server CA \"$ca\": run \"vigie-server init\" first, or give --ca."
pkg=vigie-site-$slug
# The package's contact: by default IT at the server's host name.
host=${server#https://}
host=${host%%/*}
host=${host%:*}
maintainer=${maintainer:-"$name IT <it@$host>"}

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root/etc/vigie/agent.conf.d"
chmod 0755 "$root"
cp "$ca" "$root/etc/vigie/ca.pem"
"${VIGIE_SERVER:-vigie-server}" token create --dir "$dir" --uses "$uses" --ttl "$ttl" \
	--label "$pkg $version" >"$root/etc/vigie/enroll.token" ||
	die "\"vigie-server token create --dir $dir\" failed (see above)."
cat >"$root/etc/vigie/agent.conf.d/10-site.conf" <<CONF
# Written by vigie-site-package for $name: this site's server and its pinned CA.
[Agent]
Server=$server
CA=/etc/vigie/ca.pem
EnrollTokenFile=/etc/vigie/enroll.token
CONF
chmod 0644 "$root/etc/vigie/ca.pem" "$root/etc/vigie/agent.conf.d/10-site.conf"
chmod 0755 "$root/etc" "$root/etc/vigie" "$root/etc/vigie/agent.conf.d"
chmod 0600 "$root/etc/vigie/enroll.token"
mkdir -p "$out"

if [ "$format" = deb ]; then
	mkdir -p "$root/DEBIAN" "$root/usr/share/doc/$pkg" "$root/usr/share/lintian/overrides"
	cat >"$root/DEBIAN/control" <<CTRL
Package: $pkg
Version: $version
Architecture: all
Maintainer: $maintainer
Depends: vigie-agent
Section: admin
Priority: optional
Description: Vigie site settings for $name
 The Vigie server of $name, its CA and an enrollment token: with
 vigie-agent, the laptop enrolls and reports on the agent's next cycle.
CTRL
	(cd "$root" && find etc -type f | sed 's|^|/|' | sort) >"$root/DEBIAN/conffiles"
	# The agent restarts to read the new drop-in (when systemd runs it).
	cat >"$root/DEBIAN/postinst" <<'POST'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ] && command -v deb-systemd-invoke >/dev/null; then
	deb-systemd-invoke restart vigie-agent.service || true
fi
POST
	printf 'Copyright %s %s. Site settings for Vigie, made by vigie-site-package.\n' \
		"$(date -u +%Y)" "$name" \
		>"$root/usr/share/doc/$pkg/copyright"
	printf '%s (%s) unstable; urgency=medium\n\n  * Made by vigie-site-package.\n\n -- %s  %s\n' \
		"$pkg" "$version" "$maintainer" "$(LC_ALL=C date -uR)" | gzip -9n >"$root/usr/share/doc/$pkg/changelog.gz"
	cat >"$root/usr/share/lintian/overrides/$pkg" <<OVR
# The enrollment token enrolls devices: root-only on purpose (the agent requires it).
$pkg: non-standard-file-perm 0600 != 0644 [etc/vigie/enroll.token]
OVR
	find "$root/usr" -type d -exec chmod 0755 {} +
	find "$root/usr" -type f -exec chmod 0644 {} +
	chmod 0755 "$root/DEBIAN" "$root/DEBIAN/postinst"
	chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles"
	dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${version}_all.deb" >/dev/null
	echo "$out/${pkg}_${version}_all.deb"
else
	mkdir -p "$tmp/rpm"
	cat >"$tmp/site.spec" <<SPEC
Name: $pkg
Version: $version
Release: 1
Summary: Vigie site settings for $name
License: MIT
URL: $server
BuildArch: noarch
Requires: vigie-agent

%description
The Vigie server of $name, its CA and an enrollment token: with
vigie-agent, the laptop enrolls and reports on the agent's next cycle.

%install
mkdir -p %{buildroot} && cp -a $root/etc %{buildroot}/

%post
systemctl try-restart vigie-agent.service >/dev/null 2>&1 || :

%files
%dir %attr(0755,root,root) /etc/vigie
%dir %attr(0755,root,root) /etc/vigie/agent.conf.d
%config(noreplace) %attr(0644,root,root) /etc/vigie/ca.pem
%config(noreplace) %attr(0644,root,root) /etc/vigie/agent.conf.d/10-site.conf
%config(noreplace) %attr(0600,root,root) /etc/vigie/enroll.token

%changelog
* $(LC_ALL=C date -u '+%a %b %d %Y') $maintainer - $version-1
- Made by vigie-site-package.
SPEC
	rpmbuild -bb --quiet --define "_topdir $tmp/rpm" --define "_rpmdir $tmp/rpm/out" "$tmp/site.spec" >/dev/null
	find "$tmp/rpm/out" -name '*.rpm' -exec cp {} "$out/" \; -exec basename {} \; | sed "s|^|$out/|"
fi
