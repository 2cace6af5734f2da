#!/usr/bin/env bash
# The demo: timed on its simulated receiver (timed-sim: a u-blox stream on a pty and SIMULATED
# PPS edges) feeding a sandboxed chronyd (-x: this machine's clock is never touched), until
# chrony serves stratum 1. Prints what it serves as `name: value` lines; Ctrl-C cleans up.
# Options: --seconds N (stop by itself), --truth-offset SECONDS, --ntp-port PORT (default 11123),
#          --shm (NTP SHM instead of SOCK), --keep (keep the lab directory).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    # chronyd must start as root (it drops nothing here: -u root, but needs the privilege check).
    exec sudo -E bash "$0" "$@"
fi
. tests/lib/setup.sh
ensure_apt chrony
ensure_rust
cargo build --release --locked --quiet --bins -p timed -p timed-sim -p timed-lab
exec target/release/timed-demo "$@"
