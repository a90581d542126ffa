#!/usr/bin/env bash
# Interop: `fleetgate sync` accepts a repository whose metadata was produced and signed
# with @tufjs/models (including a root rotation), fetches and pins its plan's prefetch,
# and then refuses the same repository once a signature is broken.
# usage: fleetgate_reads_tufjs_repo.sh FLEETGATE_BINARY
# Exits 77 (skipped) when the npm peers are not installed (scripts/test-peers does it).
set -euo pipefail
fleetgate=$1
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/@tufjs/models" ]; then
  echo "@tufjs/models not installed: run scripts/test-peers" >&2
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

node "$here/tufjs_publish.js" "$tmp/models" plant-7 >/dev/null
cat >"$tmp/fleetgate.toml" <<TOML
site = "plant-7"
state_dir = "$tmp/state"

[northbound]
origin = "file://$tmp/models/repository/"
trust_root = "$tmp/models/repository/1.root.json"

[cache]
quota = "64MiB"
TOML

out=$("$fleetgate" sync -c "$tmp/fleetgate.toml" --once)
echo "$out"
grep -q "plan plant-7 version 1 (new), 1 fetched, 1 pinned" <<<"$out"
again=$("$fleetgate" sync -c "$tmp/fleetgate.toml" --once)
echo "$again"
grep -q "0 fetched" <<<"$again"

# Break the timestamp signature: the next sync must be refused with status 1.
sed -i 's/"version": 1,/"version": 2,/' "$tmp/models/repository/timestamp.json"
set +e
"$fleetgate" sync -c "$tmp/fleetgate.toml" --once 2>"$tmp/err.log"
status=$?
set -e
cat "$tmp/err.log"
[ "$status" -eq 1 ] || { echo "expected exit 1, got $status" >&2; exit 1; }
grep -q "bad signature" "$tmp/err.log"
