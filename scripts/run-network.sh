#!/usr/bin/env bash
# `make run`: the whole local Modulus network on its defaults, so a newcomer sees it all at once:
#   1. the development chain (Anvil on 127.0.0.1:8545) with the registry's contracts;
#   2. the registry service (127.0.0.1:7060) indexing it into LiteDB;
#   3. every module in modules/ published (packed, stored, claimed, published on chain);
#   4. a host serving modules/ on 7050/7051/7052, announcing each module on chain.
# Ctrl+C stops the host (withdrawing its announcements), the registry service and the chain;
# the chain's state and the index stay in $MODULUS_HOME for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${CLI:-artifacts/cli/modulus}"
TREE="${TREE:-modules}"
registry_pid=""

stop() {
  trap - INT TERM EXIT
  if [ -n "$registry_pid" ] && kill -0 "$registry_pid" 2>/dev/null; then
    kill -TERM "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  "$CLI" chain down || true
}
trap stop INT TERM EXIT

"$CLI" chain up
"$CLI" registry serve &
registry_pid=$!

# Wait for the registry service to answer (and catch up) before publishing into it.
"$CLI" registry status --wait 60 >/dev/null

while IFS= read -r manifest; do
  module_dir="$(dirname "$manifest")"
  # A module whose files changed without a new version is reported and skipped, not fatal.
  "$CLI" publish "$module_dir" || echo "warning: $module_dir was not published (see above)" >&2
done < <(find "$TREE" -name module.json -not -path '*/bin/*' -not -path '*/obj/*' | sort)

"$CLI" registry status --wait 60 >/dev/null
echo
"$CLI" search --rank name
echo
echo "Try: $CLI call text.stats 'Modulus serves modules by name.'   |   $CLI search text   |   $CLI stake text.stats 100"
"$CLI" serve "$TREE" --announce
