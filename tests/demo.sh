#!/usr/bin/env bash
# The demo: timed on its simulated receiver (timed-sim: a u-blox stream on a pty and SIMULATED
# PPS edges) feeding a sandboxed chronyd (-x: this machine's clock is never touched), until
# chrony serves stratum 1. Prints what it serves as `name: value` lines; Ctrl-C cleans up.
# Options: --seconds N (stop by itself), --truth-offset SECONDS, --ntp-port PORT (default 11123),
#          --shm (NTP SHM instead of SOCK), --keep (keep the lab directory),
#          --scenario FILE (replay a timed-sim scenario, e.g. timed/sim/scenarios/faults.toml:
#          prints `truth: PATH` and `refclocks: PATH`, ends with the scenario and prints the audit
#          of every sample chrony received against the simulator's truth).
set -euo pipefail
# A relative --scenario path is relative to where the demo was started, not to the repository.
args=()
while [ $# -gt 0 ]; do
    args+=("$1")
    if [ "$1" = "--scenario" ] && [ $# -gt 1 ]; then
        shift
        args+=("$(realpath -- "$1")")
    fi
    shift
done
set -- "${args[@]}"
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    # chronyd must start as root (it drops nothing here: -u root, but needs the privilege check).
    exec sudo -E bash "$0" "$@"
fi
. tests/lib/setup.sh
ensure_apt chrony
ensure_rust
# timectl too: README.md points it at the running demo (target/release/timectl).
cargo build --release --locked --quiet --bins -p timed -p timed-sim -p timed-lab -p timectl
exec target/release/timed-demo "$@"
