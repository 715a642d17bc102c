#!/bin/sh
# disk_encryption speed: `vigie check --only disk_encryption` on this machine and on the
# largest fixture (ubuntu_laptop_big: LVM on LUKS2, zram, 60 snap loops, 40 overlays),
# beside what a person would run to find the same facts: lsblk plus cryptsetup luksDump.
# Prints medians and ratios; asserts nothing.
set -eu
build=$1
vigie=$build/bin/vigie
work=$(mktemp -d /tmp/vigie-bench-disk.XXXXXX)
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { echo "hyperfine is not installed (packaging/deps.sh)"; exit 1; }
python3 tests/fixtures/mkroot_disk.py ubuntu_laptop_big "$work/root" >/dev/null
img=$work/root/dev/nvme0n1p3
lsblk_cmd='lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT'

hyperfine -N -i --warmup 5 --runs 200 --export-json "$work/h.json" \
	-n "vigie (this machine)" "$vigie check --only disk_encryption --no-state" \
	-n "vigie (fixture)" "$vigie check --only disk_encryption --no-state --root $work/root" \
	-n "lsblk" "$lsblk_cmd" \
	-n "cryptsetup luksDump (fixture)" "cryptsetup luksDump $img" \
	>/dev/null 2>&1

python3 - "$work/h.json" "$vigie" "$work/root" <<'PY'
import json, statistics, subprocess, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
# the check's own time (duration_us in its result), without process start-up and linking
for label, extra in (("this machine", []), ("fixture", ["--root", sys.argv[3]])):
    us = [json.loads(subprocess.run([sys.argv[2], "check", "--json", "--only", "disk_encryption", "--no-state", *extra],
                                    capture_output=True, text=True).stdout)["checks"][0]["duration_us"]
          for _ in range(50)]
    print(f"  {'check alone (' + label + ')':34} median {statistics.median(us) / 1000:8.3f} ms (duration_us)")
med = {k: v["median"] * 1000 for k, v in r.items()}
for k, v in med.items():
    print(f"  {k:34} median {v:8.3f} ms")
pair = med["lsblk"] + med["cryptsetup luksDump (fixture)"]
print(f"  {'lsblk + luksDump':34} median {pair:8.3f} ms (sum)")
print(f"  ratio (lsblk + luksDump) / vigie (fixture):      {pair / med['vigie (fixture)']:.1f}x")
print(f"  ratio lsblk / vigie (this machine):              {med['lsblk'] / med['vigie (this machine)']:.1f}x")
PY
