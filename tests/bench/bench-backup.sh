#!/bin/sh
# The backup check beside the raw tool calls it wraps, on a local restic repository of 200
# snapshots and a borg repository of 200 archives (built once, cached in build/bench/), and
# the cached path (probe not due: no tool runs). Prints figures; asserts nothing.
set -eu
build=$(cd "$1" && pwd)
vigie=$build/bin/vigie
work=$(pwd)/build/bench/backup
runs=${BENCH_RUNS:-10}
export TZ=UTC LC_ALL=C.UTF-8
mkdir -p "$work"
cd "$work"

printf 'bench-secret\n' > pw
chmod 600 pw
mkdir -p data
[ -f data/file ] || head -c 65536 /dev/urandom > data/file
export RESTIC_REPOSITORY=$work/restic RESTIC_PASSWORD_FILE=$work/pw RESTIC_CACHE_DIR=$work/restic-cache
export BORG_BASE_DIR=$work/borgbase BORG_PASSPHRASE=bench-secret

if [ ! -f restic.done ]; then
	echo "building a restic repository of 200 snapshots (once; cached in $work)…"
	rm -rf restic
	restic init -q
	i=0
	while [ $i -lt 200 ]; do
		restic backup -q --host laptop --time "$(date -u -d "2026-01-01 +$i hours" '+%Y-%m-%d %H:%M:%S')" data
		i=$((i + 1))
	done
	touch restic.done
fi
if [ ! -f borg.done ]; then
	echo "building a borg repository of 200 archives (once)…"
	rm -rf borg
	borg init -e repokey borg 2>/dev/null
	i=0
	while [ $i -lt 200 ]; do
		borg create --timestamp "$(date -u -d "2026-01-01 +$i hours" '+%Y-%m-%dT%H:%M:%S')" "borg::a$i" data
		i=$((i + 1))
	done
	touch borg.done
fi

mkdir -p state-probe state-cached
cat > probe.conf <<EOC
[Agent]
StateDirectory=$work/state-probe
[Backup "restic"]
Type=restic
Repository=$work/restic
PasswordFile=$work/pw
[Backup "borg"]
Type=borg
Repository=$work/borg
PasswordFile=$work/pw
EOC
sed -e "s|state-probe|state-cached|" -e '/^PasswordFile/a ProbeInterval=6h' probe.conf > cached.conf
export VIGIE_NOW=2026-01-09T12:00:00Z
"$vigie" check --config cached.conf --only backup --json > /dev/null || true # warms the cache

hyperfine -N --warmup 1 --runs "$runs" --export-json times.json \
	-n "restic snapshots --json --no-lock (raw, all 200)" "restic snapshots --json --no-lock" \
	-n "restic snapshots --json --latest 1 --no-lock (what the check runs)" \
	"restic snapshots --json --latest 1 --no-lock --cache-dir $work/restic-cache" \
	-n "borg list --json (raw, all 200)" "borg list --json borg" \
	-n "borg list --json --last 1 --bypass-lock (what the check runs)" "borg list --json --last 1 --bypass-lock borg" \
	-n "vigie check --only backup (probes restic + borg)" "$vigie check --config probe.conf --only backup --json" \
	-n "vigie check --only backup (cached, no probe due)" "$vigie check --config cached.conf --only backup --json" \
	> /dev/null

# The check's own time (duration_us in its result) on the cached path, median of 50 runs.
i=0
: > cached-us
while [ $i -lt 50 ]; do
	"$vigie" check --config cached.conf --only backup --json |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["checks"][0]["duration_us"])' >> cached-us
	i=$((i + 1))
done

/usr/bin/python3 - "$runs" <<'EOP'
import json, statistics, sys
res = json.load(open("times.json"))["results"]
print(f"| command ({sys.argv[1]} runs, hyperfine -N) | median | min |")
print("|---|---|---|")
for r in res:
    print(f"| {r['command']} | {statistics.median(r['times'])*1000:.1f} ms | {r['min']*1000:.1f} ms |")
us = sorted(int(x) for x in open("cached-us"))
print(f"\ncached path, the check's own duration_us over {len(us)} runs: median {statistics.median(us):.0f} µs, "
      f"max {us[-1]} µs")
EOP
