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
