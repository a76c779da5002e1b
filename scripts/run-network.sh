#!/usr/bin/env bash
# `make run`: the whole local Modulus network on its defaults, so a newcomer sees it all at once:
#   1. the development chain (Anvil on 127.0.0.1:8545) with the registry's contracts;
#   2. the registry service (127.0.0.1:7060) indexing it into LiteDB;
#   3. every module in modules/ published (packed, stored, claimed, published on chain);
#   4. a host serving modules/ on 7050/7051/7052, announcing each module on chain;
#   5. a paid call, end to end: the host's key gets ETH for gas, dev1 deposits $GPT for the host,
#      pays util.notary (0.001 $GPT a call) five times, and the host redeems the vouchers on chain
#      (its redeem threshold is 0.005 $GPT here, 1 $GPT by default).
# It prints a short summary of what is up and where; every log goes to $MODULUS_HOME/logs
# (VERBOSE=1 prints the logs too). Ctrl+C stops the host (withdrawing its announcements), the
# registry service and the chain; the chain's state and the index stay in $MODULUS_HOME.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI="${CLI:-artifacts/cli/modulus}"
TREE="${TREE:-modules}"
HOME_DIR="${MODULUS_HOME:-$HOME/.modulus}"
LOGS="$HOME_DIR/logs"
mkdir -p "$LOGS"
registry_pid=""
host_pid=""

# Each step's output goes to its log; with VERBOSE=1 it is shown as well.
log() { if [ "${VERBOSE:-0}" = 1 ]; then tee -a "$LOGS/$1"; else cat >> "$LOGS/$1"; fi; }

stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping: the host withdraws its announcements, then the registry service and the chain stop."
  for pid in "$host_pid" "$registry_pid"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  "$CLI" chain down 2>&1 | log chain.log || true
}
trap stop INT TERM EXIT

: > "$LOGS/chain.log"; : > "$LOGS/registry.log"; : > "$LOGS/publish.log"; : > "$LOGS/host.log"
echo "Starting the development chain ..."
"$CLI" chain up 2>&1 | log chain.log
"$CLI" registry serve > >(log registry.log) 2>&1 &
registry_pid=$!

# Wait for the registry service to answer (and catch up) before publishing into it.
"$CLI" registry status --wait 60 >/dev/null

echo "Publishing the modules in $TREE ..."
published=0
failed=0
while IFS= read -r manifest; do
  module_dir="$(dirname "$manifest")"
  # A module whose files changed without a new version is reported and skipped, not fatal.
  if "$CLI" publish "$module_dir" > >(log publish.log) 2> >(tee -a "$LOGS/publish.log" | grep '^error' >&2); then
    published=$((published + 1))
  else
    failed=$((failed + 1))
    echo "warning: $module_dir was not published (see above and $LOGS/publish.log)" >&2
  fi
done < <(find "$TREE" -name module.json -not -path '*/bin/*' -not -path '*/obj/*' | sort)

"$CLI" registry status --wait 60 >/dev/null
echo "Starting the host ..."
# A low threshold so that the demo's five paid calls are redeemed within one redeem interval (10 s).
Modulus__Payments__RedeemThreshold="${REDEEM_THRESHOLD:-0.005}" "$CLI" serve "$TREE" --announce > >(log host.log) 2>&1 &
host_pid=$!
for _ in $(seq 1 240); do
  if grep -q '^Announced' "$LOGS/host.log" 2>/dev/null || ! kill -0 "$host_pid" 2>/dev/null; then break; fi
  sleep 0.5
done
if ! kill -0 "$host_pid" 2>/dev/null; then
  echo "error: the host did not start; see $LOGS/host.log:" >&2
  tail -n 20 "$LOGS/host.log" >&2
  exit 1
fi

# The paid call: the host's key (made on its first start) pays gas to redeem, so it gets ETH from a
# development account; a payer deposits for the host and calls the paid module.
: > "$LOGS/pay.log"
paid_note="not shown (see $LOGS/pay.log)"
if host_address="$("$CLI" chain fund --json 2>> "$LOGS/pay.log" | tee -a "$LOGS/pay.log" | sed -n 's/.*"address": *"\(0x[0-9a-fA-F]*\)".*/\1/p')" && [ -n "$host_address" ] \
  && "$CLI" pay deposit "$host_address" 1 --key dev1 2>&1 | log pay.log; then
  echo "Paying util.notary five times from dev1 ..."
  paid_ok=1
  for i in 1 2 3 4 5; do
    if ! "$CLI" call util.notary "paid call $i" --pay --key dev1 --max-price 0.001 2>&1 | log pay.log; then paid_ok=0; fi
  done
  if [ "$paid_ok" = 1 ]; then
    paid_note="5 calls of util.notary paid by dev1; redemption pending (see \`$CLI earnings\`)"
    for _ in $(seq 1 40); do
      if grep -q 'Redeemed' "$LOGS/host.log" 2>/dev/null; then
        paid_note="5 calls of util.notary paid by dev1 and redeemed on chain by the host $host_address"
        break
      fi
      sleep 0.5
    done
  fi
fi

serving="$(grep -m1 '^Serving' "$LOGS/host.log" || true)"
announced="$(grep -m1 '^Announced' "$LOGS/host.log" || true)"
openai="$(grep -m1 '^OpenAI-compatible API at' "$LOGS/host.log" || true)"
status="$("$CLI" registry status --json 2>/dev/null | tr -d '\n' || true)"
modules_indexed="$(printf '%s' "$status" | sed -n 's/.*"moduleCount": *"\{0,1\}\([0-9]*\).*/\1/p')"
failnote=""
if [ "$failed" -gt 0 ]; then failnote=", $failed not (see $LOGS/publish.log)"; fi
cat <<SUMMARY

The Modulus network is up (logs in $LOGS):
  chain      http://127.0.0.1:8545   contracts in $HOME_DIR/chain/deployment.json
  registry   http://127.0.0.1:7060   ${modules_indexed:-?} modules indexed; $published published now$failnote
  host       ${serving#Serving }
             ${announced}
  openai     ${openai:-not served}
  paid call  ${paid_note}

Try:  $CLI ls
      $CLI call text.stats 'Modulus serves modules by name.'
      $CLI search text        $CLI stake text.stats 100
      $CLI call util.notary 'pay me' --pay --key dev1     $CLI earnings     $CLI pay status --key dev1
Ctrl+C stops it all.
SUMMARY
wait "$host_pid"
