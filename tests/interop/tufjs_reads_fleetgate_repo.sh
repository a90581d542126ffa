#!/usr/bin/env bash
# Interop: a repository made by `fleetgate repo` (with key rotations) is refreshed and
# every target downloaded by the tuf-js client; then a tampered target must be refused.
# usage: tufjs_reads_fleetgate_repo.sh FLEETGATE_BINARY
# Exits 77 (skipped) when the npm peers are not installed (scripts/test-peers does it).
set -euo pipefail
fleetgate=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/tuf-js" ]; then
  echo "tuf-js not installed: run scripts/test-peers" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$fleetgate" repo init "$tmp/repo" --root-keys 2 --root-threshold 2 >/dev/null
head -c 700000 /dev/urandom >"$tmp/sensor.bin"
echo "config v2" >"$tmp/app.conf"
"$fleetgate" repo add "$tmp/repo" "$tmp/sensor.bin" --name fw/sensor-v2.bin --custom '{"hw":"b"}' >/dev/null
"$fleetgate" repo add "$tmp/repo" "$tmp/app.conf" --name app.conf >/dev/null
echo '{"site": "plant-7", "version": 1, "prefetch": ["fw/sensor-v2.bin"]}' >"$tmp/plan.json"
"$fleetgate" repo plan "$tmp/repo" "$tmp/plan.json" >/dev/null
for role in root timestamp snapshot targets; do
  "$fleetgate" repo rotate "$tmp/repo" --role "$role" >/dev/null
done
"$fleetgate" repo timestamp "$tmp/repo" >/dev/null

out=$(node "$here/tufjs_client.js" "$tmp/repo/repository" "$tmp/client1")
echo "$out"
grep -q "tuf-js verified 3 targets" <<<"$out"

# The same client must refuse a target whose bytes changed after signing.
sensor=$(ls "$tmp/repo/repository/targets/fw/"*.sensor-v2.bin)
printf 'X' | dd of="$sensor" bs=1 seek=100 conv=notrunc status=none
if node "$here/tufjs_client.js" "$tmp/repo/repository" "$tmp/client2" >"$tmp/bad.log" 2>&1; then
  echo "tuf-js accepted a tampered target" >&2
  exit 1
fi
grep -qi "hash\|digest\|length" "$tmp/bad.log" || { cat "$tmp/bad.log" >&2; exit 1; }
echo "tuf-js refused the tampered target"
