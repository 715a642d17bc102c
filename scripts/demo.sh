#!/bin/sh
# make demo: Vigie's checks on this machine, then on a generated encrypted-laptop fixture.
set -eu
build=$1
bin=$build/bin
demo=$(mktemp -d /tmp/vigie-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
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
