#!/bin/sh
# Verifies the installed units of a `make install DESTDIR=…` tree: `systemd-analyze verify`
# on each (ExecStart= pointed into the tree, man pages looked up in it), the sysusers.d and
# tmpfiles.d entries applied to a scratch root, and `systemd-analyze security --offline`
# exposure against its target. Prints the figures; exits non-zero above a target.
set -eu
destdir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Exposure targets (issue 7), in tenths. The agent's 2.3: CAP_NET_ADMIN and AF_NETLINK for
# the firewall check, CAP_DAC_READ_SEARCH for screen_lock (docs/hardening.md).
target_for() {
	case "$1" in
	vigie-agent.service) echo 23 ;;
	vigie-server.service) echo 15 ;;
	*) echo 20 ;;
	esac
}

status=0
units=$(find "$destdir" -path '*/systemd/system/vigie*.service' | sort)
[ -n "$units" ] || { echo "check-units: no unit under $destdir" >&2; exit 1; }
man=$(find "$destdir" -type d -path '*/share/man' | head -n 1)

for u in $units; do
	name=$(basename "$u")
	# Point absolute program paths into the tree so that verify finds the binaries.
	sed -E "s#^(Exec[A-Za-z]*=[-@:+!]*)(/usr/|/usr/local/)#\\1$destdir\\2#" "$u" >"$tmp/$name"
	if ! out=$(MANPATH="$man" SYSTEMD_LOG_COLOR=0 systemd-analyze verify "$tmp/$name" 2>&1) ||
	   [ -n "$out" ]; then
		echo "FAIL $name: systemd-analyze verify:"
		echo "$out" | sed 's/^/    /'
		status=1
	fi
	exposure=$(systemd-analyze security --offline=true "$tmp/$name" 2>/dev/null |
		sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
	[ -n "$exposure" ] || { echo "FAIL $name: no exposure figure"; status=1; continue; }
	target=$(target_for "$name")
	tenths=$(echo "$exposure" | tr -d .)
	if [ "$tenths" -gt "$target" ]; then
		echo "FAIL $name: exposure $exposure above target $(echo "$target" | sed 's/.$/.&/')"
		status=1
	else
		echo "ok   $name: verify clean, exposure $exposure (target ≤ $(echo "$target" | sed 's/\(.\)$/.\1/'))"
	fi
done

# sysusers.d and tmpfiles.d, applied for real to a scratch root.
sysusers=$(find "$destdir" -path '*/sysusers.d/vigie.conf')
tmpfiles=$(find "$destdir" -path '*/tmpfiles.d/vigie.conf')
mkdir -p "$tmp/root/etc"
if systemd-sysusers --root="$tmp/root" "$sysusers" >"$tmp/sysusers.log" 2>&1 &&
   grep -q '^vigie:' "$tmp/root/etc/passwd"; then
	echo "ok   sysusers.d/vigie.conf: creates user vigie"
else
	echo "FAIL sysusers.d/vigie.conf:"; sed 's/^/    /' "$tmp/sysusers.log"; status=1
fi
if systemd-tmpfiles --create --root="$tmp/root" "$tmpfiles" >"$tmp/tmpfiles.log" 2>&1 &&
   [ -d "$tmp/root/var/lib/vigie/spool" ] && [ -d "$tmp/root/run/vigie" ]; then
	echo "ok   tmpfiles.d/vigie.conf: creates the state and runtime directories"
else
	echo "FAIL tmpfiles.d/vigie.conf:"; sed 's/^/    /' "$tmp/tmpfiles.log"; status=1
fi
exit $status
