#!/usr/bin/env bash
# timed vs gpsd, side by side (issue 7). NOT part of tests/run.sh: it takes ~22 minutes by default.
#
#   bash tests/bench/compare.sh [--duration SECONDS] [--out FILE] [timed-compare options]
#   bash tests/bench/compare.sh --duration 30     # quick self-check, ~3 minutes with a warm build
#
# What it does, on a fresh Debian/Ubuntu machine (as root, or re-run through sudo):
#  1. installs what it needs: chrony, gpsd (Debian's, services blocked: ensure_apt), gcc and
#     libc6-dev for the shim below, Rust with rustup if cargo is missing;
#  2. builds timed, timed-sim and timed-lab (release) and the gpsd pty shim;
#  3. pure core: `cargo bench -p timed-core --bench day` (a simulated day: 86 400 epochs + edges
#     through decoder, engine and statistics; goal < 1 s wall) and `--bench decode` (decoder MB/s
#     over the real captures in testdata/receivers);
#  4. runs target/release/timed-compare (timed/lab/src/compare/): for each load, a 1 Hz basic NMEA
#     set at 9600 baud (~300 B/s) and a u-blox UBX+NMEA stream at 95 % of 115200 baud, ONE
#     timed-sim process writes the same bytes at the same instants to two ptys; timed reads one,
#     gpsd (`-b -N -n -D 0`, private -F control socket and -S port) the other; each feeds its own
#     `chronyd -x` (never steers this machine's clock; private socket, port, pid/drift/log files,
#     `log refclocks`). After a warm-up (20 s) it measures a window of --duration seconds
#     (default 600): CPU (utime+stime, /proc/PID/stat) and peak RSS (VmHWM, /proc/PID/status) of
#     each daemon, the simulator and the two chronyds apart; and the coarse (serial) source's
#     raw offsets in each chronyd's refclocks.log against the simulator's truth log.
#  5. prints the Markdown report and writes it to --out (default target/bench/compare-DATE.md);
#     its last lines are `RATIO <name> <timed/gpsd>` for cpu_basic, cpu_saturated, rss_basic,
#     rss_saturated, coarse_stddev_basic, coarse_stddev_saturated, coarse_added_stddev_basic,
#     coarse_added_stddev_saturated (the last two: the std dev each daemon adds beyond the
#     receiver's own burst jitter, which the truth log lets the report take out).
#
# gpsd is given one help, and only this one: gpsd 3.22 treats a pty (major 136-143) as its test
# harness and never writes NTP shared memory for it, so LD_PRELOAD=gpsd-pty-shim.so (built here from
# tests/bench/gpsd-pty-shim.c) makes stat() report a ttyS major for ptys, and gpsd treats the pty as
# the UART it stands in for. gpsd and its chronyd run in a private SysV IPC namespace, so gpsd's NTP0
# segment (key 0x4e545030) exists only there and disappears with it; timed uses chrony SOCK, so the
# two never share a segment and no other test's or system gpsd's segments are touched.
#
# Why no real-PPS figure for gpsd: timed's edge-to-datagram latency is reported from the simulated
# edges. A gpsd PPS comparison inside the QEMU guest of tests/qemu-pps was looked at and not done:
# (a) gpsd takes a PPS edge only together with in-band time of the same second from its serial
# device (its PPS thread pairs the edge with the last serial fix), and that guest has no receiver
# stream coherent with its pps_parport edges (its clock starts from a 1 s-resolution RTC; the
# strobe is generated inside the guest); (b) gpsd with debug off leaves no record of when it
# handled an edge — its NTP SHM/SOCK samples carry the edge time, not the time they were written —
# so its edge-to-sample latency could only be guessed by polling shared memory, in a TCG-emulated
# guest running many times slower than hardware, whose microsecond figures would mean nothing.
#
# Options (others are passed to timed-compare; see `target/release/timed-compare --help`):
#   --duration SECONDS       measured window per load (default 600)
#   --out FILE               report file (default target/bench/compare-YYYYmmdd-HHMMSS.md)
#   --loads basic,saturated  which loads (default both)
#   --message-jitter-ms MS   the simulated receiver's burst-start jitter (default: timed-sim's, ±5 ms)
#   --keep                   keep each load's private directory (logs, refclocks.log, truth log)
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
    # chronyd must start as root, and unshare/nsenter need CAP_SYS_ADMIN.
    exec sudo -E bash "$0" "$@"
fi
. tests/lib/setup.sh

ARGS=()
OUT=
while [ $# -gt 0 ]; do
    case "$1" in
    --out)
        OUT=$2
        shift 2
        ;;
    *)
        ARGS+=("$1")
        shift
        ;;
    esac
done
mkdir -p target/bench
[ -n "$OUT" ] || OUT=target/bench/compare-$(date -u +%Y%m%d-%H%M%S).md

ensure_apt chrony gpsd gcc libc6-dev util-linux
ensure_rust
command -v unshare >/dev/null && command -v nsenter >/dev/null || {
    echo "compare: needs unshare and nsenter (util-linux)" >&2
    exit 1
}

echo "compare: building (release)" >&2
cargo build --release --locked --quiet --bins -p timed -p timed-sim -p timed-lab
SHIM=$PWD/target/bench/gpsd-pty-shim.so
gcc -shared -fPIC -O2 -Wall -Wextra -o "$SHIM" tests/bench/gpsd-pty-shim.c -ldl

echo "compare: pure-core benches (timed-core: day, decode)" >&2
CORE=target/bench/core.log
: >"$CORE"
cargo bench --locked --quiet -p timed-core --bench day >>"$CORE"
# The decode bench reads the captures in testdata/receivers (part of the repository).
cargo bench --locked --quiet -p timed-core --bench decode >>"$CORE" 2>&1 ||
    echo "compare: decode bench failed; see $CORE" >&2

exec target/release/timed-compare --shim "$SHIM" --core-log "$CORE" --out "$OUT" \
    --command "bash tests/bench/compare.sh ${ARGS[*]}" "${ARGS[@]}"
