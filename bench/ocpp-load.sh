#!/usr/bin/env bash
# OCPP load benchmark: one `voltgate serve` process against `voltgate sim` chargers.
#
# What it measures (DESIGN.md section 5): chargers connected, server memory per connected charger,
# server CPU time per OCPP message, messages per second and call latency percentiles, plus the
# boot storm time. Server and load generator run as separate processes on this machine, over
# loopback.
#
# How:
#   1. builds the release binary (`cargo build --release -p voltgate`);
#   2. raises the open-file limit (each charger is one socket in each process);
#   3. starts `voltgate serve` with a fresh data directory, --auto-register, the API on a free
#      port and OCPP on $OCPP_PORT, and waits until it accepts connections;
#   4. samples the server's /proc/<pid>/status VmRSS and /proc/<pid>/stat utime+stime before the
#      run, when the simulator prints `voltgate-sim: measure-start` (every charger booted) and when
#      it prints `voltgate-sim: measure-end` (the simulator then holds the connections $HOLD s);
#   5. prints the results and the exact commands.
#
#   memory per charger = (VmRSS at measure-start - VmRSS before the run) / chargers connected
#   CPU per message    = (utime+stime at measure-end - at measure-start) / messages answered
#                        in the measured phase (a CALL and its answer count as one message),
#                        for the server, and likewise for the simulator and (with DATABASE_URL)
#                        the PostgreSQL server's processes, which share the same cores
#
# Parameters (environment variables, defaults in brackets):
#   COUNT            simulated chargers [1000]
#   SCENARIO         idle | heartbeat | metervalues | sessions [heartbeat]
#   RATE             messages per second per charger [1]
#   DURATION         measured phase, seconds [30]
#   DATABASE_URL     passed as --database-url (e.g. postgres://...); empty: embedded SQLite [""]
#   OCPP_PORT        OCPP listener port on 127.0.0.1 [19000]
#   RAMP             new connections per second during the ramp, 0 = no limit [0]
#   CONCURRENCY      handshakes in flight during the ramp [200]
#   SOURCE_ADDRESSES loopback source addresses for the chargers [1 per 25 000 chargers]
#   CONNECTORS       connectors per charger [1]
#   HOLD             seconds the chargers stay connected after the measured phase [2]
#   KEEP_DATA        1 keeps the data directory and logs [0]
#   VOLTGATE_BIN     use this binary instead of building target/release/voltgate [""]
#   SERVER           voltgate | floor [voltgate]: floor runs the example ocpp_floor instead of
#                    `voltgate serve`: the same WebSocket stack answering every call at once, with
#                    no decoding, database or log; its CPU per message is the transport's share
#
# Example:
#   COUNT=10000 SCENARIO=metervalues RATE=0.1 DURATION=60 bench/ocpp-load.sh
#
# Linux only (/proc). The results go to BENCHMARKS.md together with the command printed at the end.

set -euo pipefail

COUNT=${COUNT:-1000}
SCENARIO=${SCENARIO:-heartbeat}
RATE=${RATE:-1}
DURATION=${DURATION:-30}
DATABASE_URL=${DATABASE_URL:-}
OCPP_PORT=${OCPP_PORT:-19000}
RAMP=${RAMP:-0}
CONCURRENCY=${CONCURRENCY:-200}
SOURCE_ADDRESSES=${SOURCE_ADDRESSES:-$(((COUNT + 24999) / 25000))}
CONNECTORS=${CONNECTORS:-1}
HOLD=${HOLD:-2}
KEEP_DATA=${KEEP_DATA:-0}
SERVER=${SERVER:-voltgate}

die() { echo "ocpp-load: $*" >&2; exit 1; }

[[ -r /proc/self/status ]] || die "needs Linux /proc"
cd "$(dirname "$0")/.."
REPO=$(pwd)
BIN=${VOLTGATE_BIN:-"$REPO/target/release/voltgate"}

# --- build -------------------------------------------------------------------------------------
if [[ -z ${VOLTGATE_BIN:-} ]]; then
    cargo build --release -p voltgate
fi
[[ -x $BIN ]] || die "$BIN is not an executable"
case $SERVER in
voltgate) ;;
floor)
    cargo build --release -p voltgate --example ocpp_floor
    FLOOR_BIN="$REPO/target/release/examples/ocpp_floor"
    [[ -z $DATABASE_URL ]] || die "SERVER=floor has no database; unset DATABASE_URL"
    ;;
*) die "SERVER is voltgate or floor, not $SERVER" ;;
esac

# --- file descriptors ---------------------------------------------------------------------------
want=$((COUNT + 4096))
hard=$(ulimit -Hn)
if [[ $hard == unlimited || $hard -ge $want ]]; then
    ulimit -n "$want"
else
    ulimit -n "$hard"
    echo "ocpp-load: warning: open-file hard limit $hard is below $want; raise it (limits.conf)" >&2
fi
if ((COUNT > 25000 * SOURCE_ADDRESSES)); then
    echo "ocpp-load: warning: $COUNT chargers over $SOURCE_ADDRESSES source address(es) may run out of ephemeral ports" >&2
fi

# --- server -------------------------------------------------------------------------------------
if (exec 3<>"/dev/tcp/127.0.0.1/$OCPP_PORT") 2>/dev/null; then
    die "port $OCPP_PORT is in use; set OCPP_PORT"
fi
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/voltgate-bench.XXXXXX")
SERVER_LOG="$DATA_DIR/server.log"
SIM_ERR="$DATA_DIR/sim.stderr"
SUMMARY="$DATA_DIR/summary.json"

SERVER_CMD=("$BIN" serve --data-dir "$DATA_DIR/data" --auto-register
    --api-listen 127.0.0.1:0 --ocpp-listen "127.0.0.1:$OCPP_PORT")
if [[ -n $DATABASE_URL ]]; then
    SERVER_CMD+=(--database-url "$DATABASE_URL")
fi
if [[ $SERVER == floor ]]; then
    SERVER_CMD=("$FLOOR_BIN" "127.0.0.1:$OCPP_PORT")
fi

SERVER_PID=""
TAIL_PID=""
cleanup() {
    [[ -n $TAIL_PID ]] && kill "$TAIL_PID" 2>/dev/null || true
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ $KEEP_DATA == 1 ]]; then
        echo "ocpp-load: data and logs kept in $DATA_DIR" >&2
    else
        rm -rf "$DATA_DIR"
    fi
}
trap cleanup EXIT

"${SERVER_CMD[@]}" >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!

for _ in $(seq 600); do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 50 "$SERVER_LOG" >&2; die "the server exited"; }
    if grep -q listening "$SERVER_LOG" && (exec 3<>"/dev/tcp/127.0.0.1/$OCPP_PORT") 2>/dev/null; then
        break
    fi
    sleep 0.1
done
grep -q listening "$SERVER_LOG" || die "the server did not start listening within 60 s"

# --- sampling -----------------------------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
# utime + stime (fields 14 and 15) of the given processes (the server by default); strip
# "pid (comm) " first, as comm may contain spaces.
cpu_ticks() {
    local pid
    for pid in "${@:-$SERVER_PID}"; do
        sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null || true
    done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
# PostgreSQL's processes, when the server uses it and it runs on this machine.
pg_pids() { [[ -n $DATABASE_URL ]] && pgrep -x postgres | tr '\n' ' ' || true; }
pg_cpu_ticks() { if [[ -n $PG_PIDS ]]; then cpu_ticks $PG_PIDS; else echo 0; fi; }

RSS_BEFORE=$(rss_kb)
CPU_BEFORE=$(cpu_ticks)

# --- load ---------------------------------------------------------------------------------------
SIM_CMD=("$BIN" sim --url "ws://127.0.0.1:$OCPP_PORT/ocpp" --count "$COUNT"
    --scenario "$SCENARIO" --rate "$RATE" --duration "$DURATION" --ramp "$RAMP"
    --concurrency "$CONCURRENCY" --source-addresses "$SOURCE_ADDRESSES"
    --connectors "$CONNECTORS" --hold "$HOLD" --json)

"${SIM_CMD[@]}" >"$SUMMARY" 2>"$SIM_ERR" &
SIM_PID=$!
tail -s 0.2 -n +1 -f "$SIM_ERR" >&2 &
TAIL_PID=$!

RSS_START="" CPU_START="" RSS_END="" CPU_END=""
SIM_CPU_START=0 SIM_CPU_END=0 PG_PIDS="" PG_CPU_START=0 PG_CPU_END=0
while kill -0 "$SIM_PID" 2>/dev/null; do
    if [[ -z $RSS_START ]] && grep -q 'voltgate-sim: measure-start' "$SIM_ERR"; then
        RSS_START=$(rss_kb)
        CPU_START=$(cpu_ticks)
        SIM_CPU_START=$(cpu_ticks "$SIM_PID")
        PG_PIDS=$(pg_pids)
        PG_CPU_START=$(pg_cpu_ticks)
    fi
    if [[ -n $RSS_START && -z $RSS_END ]] && grep -q 'voltgate-sim: measure-end' "$SIM_ERR"; then
        RSS_END=$(rss_kb)
        CPU_END=$(cpu_ticks)
        SIM_CPU_END=$(cpu_ticks "$SIM_PID")
        PG_CPU_END=$(pg_cpu_ticks)
    fi
    sleep 0.05
done
SIM_STATUS=0
wait "$SIM_PID" || SIM_STATUS=$?
sleep 0.2
kill "$TAIL_PID" 2>/dev/null || true
TAIL_PID=""
((SIM_STATUS == 0)) || die "voltgate sim failed with status $SIM_STATUS"
[[ -n $RSS_END ]] || die "missed the measure markers in the simulator's stderr"
kill -0 "$SERVER_PID" 2>/dev/null || { tail -n 50 "$SERVER_LOG" >&2; die "the server died during the run"; }

# --- results ------------------------------------------------------------------------------------
# The summary is one line of JSON; top-level keys are unique, and "latency" (quote first) is the
# measured phase's latency object, not "ramp_latency".
field() { grep -o "\"$1\":[^,}]*" <<<"$2" | head -n 1 | cut -d: -f2; }
JSON=$(grep '^{' "$SUMMARY" | tail -n 1)
LATENCY=$(grep -o '"latency":{[^}]*}' <<<"$JSON")
CONNECTED=$(field connected "$JSON")
ANSWERED=$(field answered "$JSON")

awk -v count="$COUNT" -v connected="$CONNECTED" -v answered="$ANSWERED" \
    -v rss0="$RSS_BEFORE" -v rss1="$RSS_START" -v rss2="$RSS_END" \
    -v cpu1="$CPU_START" -v cpu2="$CPU_END" -v tck="$CLK_TCK" \
    -v sim1="$SIM_CPU_START" -v sim2="$SIM_CPU_END" -v pg1="$PG_CPU_START" -v pg2="$PG_CPU_END" \
    -v pg="${PG_PIDS:+yes}" \
    -v rate="$(field messages_per_sec "$JSON")" -v storm="$(field boot_storm_secs "$JSON")" \
    -v p50="$(field p50_ms "$LATENCY")" -v p95="$(field p95_ms "$LATENCY")" \
    -v p99="$(field p99_ms "$LATENCY")" -v max="$(field max_ms "$LATENCY")" \
    -v errors="$(field call_errors "$JSON")" -v failures="$(field failures "$JSON")" '
BEGIN {
    printf "\n== OCPP load benchmark ==\n"
    printf "chargers connected          %d of %d\n", connected, count
    printf "boot storm                  %.2f s\n", storm
    if (connected > 0) {
        printf "server RSS per charger      %.1f KiB (all booted), %.1f KiB (end of run)\n",
            (rss1 - rss0) / connected, (rss2 - rss0) / connected
    }
    printf "server RSS                  %.1f MiB before, %.1f MiB booted, %.1f MiB at the end\n",
        rss0 / 1024, rss1 / 1024, rss2 / 1024
    cpu_us = (cpu2 - cpu1) * 1000000 / tck
    if (answered > 0) {
        printf "server CPU per message      %.1f us (%.2f s CPU for %d messages)\n",
            cpu_us / answered, cpu_us / 1000000, answered
        printf "simulator CPU per message   %.1f us\n", (sim2 - sim1) * 1000000 / tck / answered
        if (pg == "yes") {
            printf "PostgreSQL CPU per message  %.1f us (its processes on this machine)\n",
                (pg2 - pg1) * 1000000 / tck / answered
        }
    } else {
        printf "server CPU per message      n/a (no messages answered; %.2f s CPU)\n", cpu_us / 1000000
    }
    printf "messages/s                  %.1f\n", rate
    printf "latency                     p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        p50, p95, p99, max
    printf "CALLERROR / failed          %d / %d\n", errors, failures
}'

echo
echo "summary:  $JSON"
echo "server:   ${SERVER_CMD[*]//"$DATABASE_URL"/<DATABASE_URL>}"
echo "sim:      ${SIM_CMD[*]}"
echo "reproduce: SERVER=$SERVER COUNT=$COUNT SCENARIO=$SCENARIO RATE=$RATE DURATION=$DURATION${DATABASE_URL:+ DATABASE_URL=<set>} OCPP_PORT=$OCPP_PORT RAMP=$RAMP CONCURRENCY=$CONCURRENCY SOURCE_ADDRESSES=$SOURCE_ADDRESSES CONNECTORS=$CONNECTORS bench/ocpp-load.sh"
