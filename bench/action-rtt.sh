#!/usr/bin/env bash
# Remote-action round trip through the API (issue 3's benchmark): `voltgate serve` with COUNT
# simulated chargers connected (idle) by `voltgate sim`, then REQUESTS sequential
# `POST /api/v3/chargers/{uuid}/actions/clear-cache` calls to one of them, each answered by the
# simulated charger over its WebSocket. Prints p50/p99/max.
#
#   COUNT=10000 REQUESTS=1000 bench/action-rtt.sh       # with 10,000 connected chargers
#   COUNT=1 bench/action-rtt.sh                          # at idle
#
# VOLTGATE_BIN skips the release build; DATABASE_URL selects PostgreSQL (default: SQLite).
set -euo pipefail
COUNT=${COUNT:-1}
REQUESTS=${REQUESTS:-1000}
OCPP_PORT=${OCPP_PORT:-19001}
API_PORT=${API_PORT:-18081}
cd "$(dirname "$0")/.."
BIN=${VOLTGATE_BIN:-}
if [[ -z "$BIN" ]]; then
  cargo build --release -p voltgate
  BIN=target/release/voltgate
fi
ulimit -n "$(ulimit -Hn)" || true
work=$(mktemp -d)
db_args=()
[[ -n "${DATABASE_URL:-}" ]] && db_args=(--database-url "$DATABASE_URL")
"$BIN" serve --data-dir "$work/data" --auto-register --api-listen 127.0.0.1:$API_PORT \
  --ocpp-listen 127.0.0.1:$OCPP_PORT "${db_args[@]}" >"$work/server.out" 2>"$work/server.err" &
server=$!
cleanup() { kill "${sim:-}" 2>/dev/null || true; kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
[[ -n "${KEEP:-}" ]] && trap - EXIT
for _ in $(seq 100); do [[ -s "$work/data/admin-token" ]] && break; sleep 0.1; done
token=$(cat "$work/data/admin-token")
"$BIN" sim --url "ws://127.0.0.1:$OCPP_PORT/ocpp" --count "$COUNT" --scenario idle --duration 3600 \
  --source-addresses $(((COUNT + 24999) / 25000)) --quiet >"$work/sim.out" 2>"$work/sim.err" &
sim=$!
echo "waiting for $COUNT chargers to be online..."
for _ in $(seq 600); do
  online=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$API_PORT/api/v3/chargers?filter%5Bconnection_status%5D=online&per_page=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["total"])' 2>/dev/null || echo 0)
  [[ "$online" -ge "$COUNT" ]] && break
  sleep 0.5
done
echo "chargers online: $online"
python3 bench/action_rtt.py "http://127.0.0.1:$API_PORT" "$token" SIM-1 "$REQUESTS"
echo "reproduce: COUNT=$COUNT REQUESTS=$REQUESTS bench/action-rtt.sh"
