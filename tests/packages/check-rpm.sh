#!/bin/sh
# The .rpms cannot be installed on Debian: check what they would do. rpmlint (filters in
# packaging/rpm/rpmlintrc, each with its why), then each package's payload, requirements
# and scriptlets with rpm -qp, and a site package made with --format rpm.
#   check-rpm.sh PACKAGES BUILD      PACKAGES: where make rpm put them; BUILD: vigie-server
set -eu

pkgs=$1 build=$2
fail() {
	echo "check-rpm: $*" >&2
	exit 1
}
# has RPM QUERY PATTERN: the query's output has a line matching PATTERN (grep -E).
has() {
	rpm -qp "$2" "$1" 2>/dev/null | grep -Eq "$3" || fail "$(basename "$1"): rpm -qp $2 has no line matching '$3'"
}

agent=$(ls "$pkgs"/vigie-agent-[0-9]*.rpm) server=$(ls "$pkgs"/vigie-server-[0-9]*.rpm)
tray=$(ls "$pkgs"/vigie-tray-[0-9]*.rpm)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bin/vigie-server" init --dir "$tmp/server" --name vigie.acme.example >/dev/null
site=$(VIGIE_SERVER="$build/bin/vigie-server" sh packaging/site-package.sh --name ACME \
	--server https://vigie.acme.example:8443 --dir "$tmp/server" --format rpm --out "$tmp")

rpmlint -c packaging/rpm/rpmlint.toml -r packaging/rpm/rpmlintrc "$agent" "$tray" "$server" "$site" ||
	fail "rpmlint found the problems above (fix them, or filter with a why comment in packaging/rpm/rpmlintrc)"

has "$agent" --list '^/usr/sbin/vigie-agent$'
has "$agent" --list '^/usr/bin/vigie$'
has "$agent" --list '^/usr/lib/systemd/system/vigie-agent.service$'
has "$agent" --list '^/usr/lib/tmpfiles.d/vigie-agent.conf$'
has "$agent" --list '^/usr/share/locale/fr/LC_MESSAGES/vigie.mo$'
has "$agent" --configfiles '^/etc/vigie/agent.conf$'
has "$agent" --requires '^nftables'            # libnftables, dlopen()ed: the spec's own Requires
has "$agent" --recommends '^tpm2-tss'          # the tss2 libraries, dlopen()ed too, and
has "$agent" --recommends '^tpm2-openssl'      # the provider: for a key in the TPM only
! rpm -qp --requires "$agent" 2>/dev/null | grep -q '^tpm2-' || fail "vigie-agent requires tpm2-*: a laptop without a TPM needs none"
has "$agent" --requires '^systemd'
has "$agent" --requires '^sqlite-libs'         # the rest vigie dlopen()s: libsqlite3,
has "$agent" --requires '^expat'               # libexpat,
has "$agent" --requires '^xz-libs'             # liblzma, liblz4, libzstd,
has "$agent" --requires '^lz4-libs'
has "$agent" --requires '^libzstd'
has "$agent" --requires '^systemd-libs'        # and libsystemd
! rpm -qp --requires "$agent" 2>/dev/null | grep -q '^libdeflate' ||   # the server's inflate only:
	fail "vigie-agent requires libdeflate, which RHEL 8 and 9 ship only in EPEL"  # RHEL has it in EPEL
has "$agent" --scripts 'systemctl --no-reload preset vigie-agent.service|systemd-update-helper install-system-units vigie-agent.service'
has "$agent" --scripts 'systemctl --no-reload disable --now vigie-agent.service|systemd-update-helper remove-system-units vigie-agent.service'
has "$agent" --scripts 'systemctl try-restart vigie-agent.service|systemd-update-helper mark-restart-system-units vigie-agent.service'
has "$agent" --scripts 'rm -rf /var/lib/vigie '

has "$tray" --list '^/usr/bin/vigie-tray$'
has "$tray" --list '^/usr/lib/systemd/user/vigie-tray.service$'
has "$tray" --requires '^vigie-agent'

has "$server" --list '^/usr/sbin/vigie-server$'
has "$server" --list '^/usr/bin/vigiectl$'
has "$server" --list '^/usr/lib/sysusers.d/vigie-server.conf$'
has "$server" --requires '^libsqlite3.so'
has "$server" --requires '^libdeflate.so.0'     # and the inflate of every gzip body
has "$server" --scripts '^u vigie |useradd .*vigie'
# The state directory belongs to the server's user, private.
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]' "$server" |
	grep -Eq '^drwx------ vigie /var/lib/vigie-server$' || fail "vigie-server: /var/lib/vigie-server is not drwx------ vigie"

has "$site" --list '^/etc/vigie/agent.conf.d/10-site.conf$'
has "$site" --requires '^vigie-agent'
rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILENAMES}\n]' "$site" |
	grep -Eq '^-rw------- root /etc/vigie/enroll.token$' || fail "$(basename "$site"): the token is not -rw------- root"
echo "check-rpm: $(basename "$agent") $(basename "$tray") $(basename "$server") $(basename "$site"): payload, requires and scriptlets as expected"
