#!/bin/sh
# make demo: Vigie's checks on this machine, then on a generated encrypted-laptop fixture,
# then the whole system: a server, this machine and simulated laptops reporting to it, and
# the security team's view with vigiectl. Everything lives in a temporary directory; no root.
set -eu
build=$1
bin=$build/bin
demo=$(mktemp -d /tmp/vigie-demo.XXXXXX)
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	rm -rf "$demo"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$demo/state"
printf '[Agent]\nStateDirectory=%s\n' "$demo/state" > "$demo/agent.conf"

cat <<MSG

== 1. This machine ==
'vigie check' looks at disk encryption, patch level and backups, and says for each
what is wrong and how to fix it. Without root, what cannot be read is "unknown", with
the reason.

MSG
"$bin/vigie" check --config "$demo/agent.conf" || true

cat <<MSG

== 2. A generated encrypted laptop ==
Vigie reads the host only through a root directory, so it can be pointed at a
fixture: a tree with /proc/self/mountinfo, /proc/swaps, /sys/block entries and a REAL
LUKS2 header written by cryptsetup. This one is a typical encrypted laptop: / and
/home are LVM volumes on one LUKS2 partition (argon2id, with a systemd-tpm2 token),
swap is zram. The check walks mount -> LVM -> dm-crypt -> partition, reads the LUKS2
header (checksum verified) and holds it against the policy.

MSG
if command -v cryptsetup >/dev/null 2>&1; then
	python3 tests/fixtures/mkroot_disk.py laptop "$demo/laptop" >/dev/null
	"$bin/vigie" check --config "$demo/agent.conf" --only disk_encryption --root "$demo/laptop" || true
	cat <<MSG

The evidence behind that verdict (the device chain of /, and its LUKS header):
MSG
	"$bin/vigie" check --config "$demo/agent.conf" --only disk_encryption --root "$demo/laptop" --json |
		python3 -c 'import json,sys; m=json.load(sys.stdin)["checks"][0]["evidence"]["mounts"][0]
s=m["stack"]
while s.get("type")!="crypt": s=s["below"][0]
print("  /:", m["chain"]); l=s["luks"]
print("  LUKS%d %s, %d-bit, keyslots: %s, tokens: %s" % (l["version"], l["cipher"], l["key_bits"],
      ", ".join("%d=%s" % (k["id"], k["pbkdf"]) for k in l["keyslots"]), ", ".join(t["type"] for t in l["tokens"])))'
	cat <<MSG

And the same laptop with / on a plain partition would fail; see
tests/fixtures/mkroot_disk.py --list for the other layouts the tests run.
MSG
else
	echo "(cryptsetup is not installed: skipping the fixture; run packaging/deps.sh)"
fi

cat <<MSG

== 3. The whole system ==
A Vigie server (its own CA, SQLite database) on 127.0.0.1, this machine and a few
simulated laptops enrolled with a one-time token, each sending a report signed with its
own key over mutual TLS; then the security team's view with vigiectl. For the demo the
policy requires disk encryption and a backup younger than two days; the patch level is
reported but not required (the simulated Fedora laptop has an rpm database and dnf's
cache, built with rpm, createrepo_c and dnf; the others have no package database).

MSG
srv=$demo/server
"$bin/vigie-server" init --dir "$srv" --name localhost >/dev/null
cat > "$demo/policy.json" <<'JSON'
{"policy_id":"demo","version":1,"report_interval_s":3600,
 "checks":{"disk_encryption":{"required":true},"patch_level":{"required":false},
           "backup":{"required":true,"max_age_hours":48}}}
JSON
"$bin/vigie-server" policy set "$demo/policy.json" --dir "$srv" >/dev/null
"$bin/vigie-server" serve --dir "$srv" --listen 127.0.0.1:0 2>"$demo/server.log" &
server_pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*Listening on port \([0-9]*\).*/\1/p' "$demo/server.log")
	[ -n "$port" ] && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$demo/server.log"; exit 1; }
	sleep 0.1
done
[ -n "$port" ] || { echo "vigie-server did not start:"; cat "$demo/server.log"; exit 1; }
url=https://localhost:$port
echo "\$ vigie-server serve --dir $srv --listen 127.0.0.1:0    # listening on port $port"
token=$("$bin/vigie-server" token create --dir "$srv" --uses 10 --label demo)
"$bin/vigie-server" admin-cert create security-team --out "$demo/admin" --dir "$srv" >/dev/null
echo "\$ vigie-server token create --uses 10    # $token"

# agent_conf NAME [ROOT]: an agent configuration with its state in the demo directory
agent_conf() {
	mkdir -p "$demo/$1"
	{
		printf '[Agent]\nServer=%s\nStateDirectory=%s\n' "$url" "$demo/$1"
		if [ -n "${2:-}" ]; then
			# a simulated laptop: its own device id, its own root, a backup stamp
			printf 'DeviceIdSeed=%s\nRoot=%s\n' "$1" "$2"
			printf '[Backup "hook"]\nType=stamp\nPath=/var/lib/backup/last-success\n'
		fi
	} > "$demo/$1.conf"
	echo "$demo/$1.conf"
}

enroll_and_report() {
	"$bin/vigie" enroll --config "$1" --token "$token" --ca "$srv/ca.pem" >/dev/null
	"$bin/vigie" report --config "$1" | sed 's/^/    /'
}

echo
echo "This machine (checks as this user; what needs root is \"unknown\"), two reports:"
enroll_and_report "$(agent_conf this-machine)"
"$bin/vigie" report --config "$demo/this-machine.conf" | sed 's/^/    /'

if command -v cryptsetup >/dev/null 2>&1; then
	for laptop in "encrypted laptop 0 ubuntu 24.04" "old-backup lvm_on_luks 9 debian 12" \
		"unencrypted plain_ext4 0 debian 13" "fedora laptop 1 fedora 43"; do
		# shellcheck disable=SC2086 # split the fields on purpose
		set -- $laptop
		name=$1 layout=$2 backup_days=$3
		root=$demo/roots/$name
		python3 tests/fixtures/mkroot_disk.py "$layout" "$root" >/dev/null
		if [ "$4" = fedora ] && command -v dnf >/dev/null 2>&1 && command -v createrepo_c >/dev/null 2>&1; then
			python3 tests/fixtures/mkroot_dnf.py demo "$root" "$build/dnf-fixtures" "$demo/fedora-repo"
		fi
		mkdir -p "$root/var/lib/backup" "$root/etc"
		printf 'ID=%s\nVERSION_ID="%s"\nPRETTY_NAME="%s %s"\n' "$4" "$5" "$4" "$5" > "$root/etc/os-release"
		date -u -d "@$(( $(date +%s) - backup_days * 86400 ))" +%Y-%m-%dT%H:%M:%SZ \
			> "$root/var/lib/backup/last-success"
		echo "Simulated laptop \"$name\" ($layout, last backup $backup_days days ago):"
		enroll_and_report "$(agent_conf "$name" "$root")"
		if [ -d "$root/var/lib/rpm" ]; then
			echo "    its patch level, read from rpm's database and dnf's cache:"
			"$bin/vigie" check --config "$demo/agent.conf" --only patch_level --root "$root" --no-state |
				sed 's/^/    /' || true
		fi
	done
else
	echo "(cryptsetup is not installed: no simulated laptops; run packaging/deps.sh)"
fi
echo "A laptop that enrolls and has not reported yet:"
"$bin/vigie" enroll --config "$(agent_conf new-laptop "$demo/roots/new")" --token "$token" \
	--ca "$srv/ca.pem" >/dev/null && echo "    enrolled"

ctl() {
	echo
	echo "\$ vigiectl $*"
	"$bin/vigiectl" "$@" --server "$url" --ca "$srv/ca.pem" \
		--cert "$demo/admin/security-team.pem" --key "$demo/admin/security-team.key"
}
ctl summary
ctl devices --status noncompliant
this_device=$(openssl x509 -noout -subject -nameopt multiline -in "$demo/this-machine/device.crt" |
	sed -n 's/^ *commonName *= *//p')
ctl audit "$this_device"

cat <<MSG

The audit downloaded the stored reports and verified each signature, the certificate
chain to the CA and the seq/prev chain on this side, trusting nothing the server says.
Try a filter: vigiectl devices --check backup --check-status fail; docs/vigiectl.md.
MSG
