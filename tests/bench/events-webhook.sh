#!/usr/bin/env bash
# PPS edge-to-datagram latency with and without a webhook that hangs (issue 15): the webhook
# sink must never delay the sample path. Two lab runs of the same fault scenario (a jamming
# warning every 30 s: two events a minute, and the integrity gate stays open, so every second
# makes a PPS sample); the second run POSTs each event to a local server that accepts and never
# answers. Both run at the same time. Prints timed-bench's figures for both; figures, not
# assertions.
#
#   bash tests/bench/events-webhook.sh [SECONDS (300)]
#
# Cost: SECONDS of wall time plus the builds. PROFILE=debug uses the debug build (faster
# to build, slower code: compare runs of one profile only).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-300}
profile=${PROFILE:-release}
if [ "$profile" = release ]; then
    cargo build --release --locked --quiet --bins -p timed -p timed-sim -p timed-lab
else
    cargo build --locked --quiet --bins -p timed -p timed-sim -p timed-lab
fi
bin=target/$profile
scenario=$(mktemp --suffix=.toml)
trap 'rm -f "$scenario"' EXIT
{
    echo "seed = 7"
    for ((s = 20; s < seconds; s += 30)); do
        printf '\n[[fault]]\nkind = "jamming"\njam_state = 2\njam_ind = 10\nfrom_s = %d\nto_s = %d\n' "$s" $((s + 15))
    done
} >"$scenario"
# Both runs at once (own chronyd, ports and directories each), so that both see the same host
# load: on a shared machine the load, not timed, moves a p99 most.
out=$(mktemp -d)
trap 'rm -rf "$scenario" "$out"' EXIT
port=11271
for mode in none hang; do
    args=(--seconds "$seconds" --fill 0.3 --ntp-port "$port" --scenario "$scenario")
    [ "$mode" = hang ] && args+=(--webhook-hang)
    TIMED_BIN=$bin/timed TIMED_SIM_BIN=$bin/timed-sim "$bin/timed-bench" "${args[@]}" >"$out/$mode" 2>&1 &
    port=$((port + 1))
done
wait
for mode in none hang; do
    echo "== webhook: $mode"
    cat "$out/$mode"
done
