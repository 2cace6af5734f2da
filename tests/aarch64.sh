#!/usr/bin/env bash
# The workspace on the Raspberry Pi's architectures, on this x86_64 machine.
#
#   bash tests/aarch64.sh        (as root; installs its cross toolchains; tests/run.sh runs it)
#
# aarch64 (64-bit Raspberry Pi OS, the NixOS image): every unit and integration test of the
# workspace cross-built for aarch64-unknown-linux-gnu and run under qemu-user, except the few in
# tests/cross/aarch64.skip (each with its reason); prints passed/skipped/ignored/failed per crate.
# The tests run in a user namespace with a private binfmt_misc (tests/cross/binfmt_ns.py), so a
# test can start the workspace's aarch64 binaries (timed, timed-sim, timectl) and real host
# daemons (chronyd -x, Prometheus) as it does natively.
#
# Built in the release profile: it shares every compiled dependency with the arm64 .deb's
# binaries (images/deb/build.sh reuses them), and emulated optimised code runs the tests several
# times faster. Debug assertions and overflow checks are covered by the native run in tests/run.sh.
#
# armv7 (32-bit Raspberry Pi OS): timed-core and timed (the daemon and its library) built for
# armv7-unknown-linux-gnueabihf, so the compile-time asserts hold on the 32-bit ABI (libc's
# timeval/time_t against timed-core's ILP32 sock_sample/shmTime layouts; the PPS ioctl numbers),
# and the unit tests of both (the chrony record encoders and sinks among them) run under qemu-arm.
#
# Then the records themselves against C: tests/cross/abi-probe prints one sample as timed-core
# encodes it for the target's ABI, and tests/cross/chrony_abi.c, compiled by that target's gcc,
# reads it back through chrony's own struct declarations (x86_64, aarch64, armv7; both under qemu).
#
# Linkers and runners are set here, not in a committed .cargo/config.toml: there they would also
# apply to native builds on an arm64 machine (a qemu runner where none is needed or installed).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/setup.sh
ensure_rust
ensure_apt gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross \
    qemu-user-static python3
rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf 2>&1 | grep -v "is up to date" >&2 || true
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/aarch64.sh: the end-to-end tests start chronyd and network namespaces: run as root" >&2
    exit 1
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
a64=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
arm=(qemu-arm-static -L /usr/arm-linux-gnueabihf)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "-- aarch64: building the workspace's tests (release)"
t0=$SECONDS
cargo test --release --locked --workspace --target aarch64-unknown-linux-gnu --no-run \
    --message-format=json-render-diagnostics > "$tmp/a64.json"
echo "-- aarch64: built in $((SECONDS - t0)) s; running under qemu-aarch64"
t0=$SECONDS
python3 tests/cross/binfmt_ns.py aarch64 \
    python3 tests/cross/qemu_tests.py --runner "${a64[*]}" --skips tests/cross/aarch64.skip < "$tmp/a64.json"
echo "-- aarch64: tests ran in $((SECONDS - t0)) s"

echo "-- armv7: timed-core and timed (lib and bins) for the 32-bit ABI"
t0=$SECONDS
# `check`, not `build`: the compile-time layout/ioctl asserts are const items, evaluated by check;
# the libraries are compiled for real (and run) by the test build below. Saves ~1 min of CI.
cargo check --locked --target armv7-unknown-linux-gnueabihf -p timed-core -p timed --lib --bins
cargo test --locked --target armv7-unknown-linux-gnueabihf -p timed-core -p timed --lib --no-run \
    --message-format=json-render-diagnostics > "$tmp/arm.json"
echo "-- armv7: built in $((SECONDS - t0)) s; running under qemu-arm"
python3 tests/cross/binfmt_ns.py arm \
    python3 tests/cross/qemu_tests.py --runner "${arm[*]}" --skips tests/cross/armv7.skip < "$tmp/arm.json"

echo "-- chrony's structs read timed-core's records (probe and C reader built for each target)"
want_sock="tv=1700000000.123456 offset=0.000250789 pulse=0 leap=1 magic=534f434b"
want_shm="mode=1 count=7 clock=1700000000.123706/123706789 receive=1700000000.123456/123456789 leap=1 precision=-20 nsamples=0 valid=1"
abi_check() { # TRIPLE CC SOCK_BYTES SHM_BYTES [RUNNER...]
    local triple=$1 cc=$2 sock=$3 shm=$4
    shift 4
    CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}/abi-probe cargo build -q --locked --manifest-path tests/cross/abi-probe/Cargo.toml \
        --target "$triple"
    "$cc" -O1 -Wall -Wextra -Werror -o "$tmp/abi-$triple" tests/cross/chrony_abi.c
    "$@" "${CARGO_TARGET_DIR:-target}/abi-probe/$triple/debug/abi-probe" | "$@" "$tmp/abi-$triple" > "$tmp/abi-$triple.out" || {
        cat "$tmp/abi-$triple.out" >&2
        echo "tests/aarch64.sh: $triple: chrony's structs cannot read timed-core's records" >&2
        exit 1
    }
    local want
    want=$(printf 'sock size=%s %s\nshm size=%s %s' "$sock" "$want_sock" "$shm" "$want_shm")
    if [ "$(cat "$tmp/abi-$triple.out")" != "$want" ]; then
        diff <(echo "$want") "$tmp/abi-$triple.out" >&2 || true
        echo "tests/aarch64.sh: $triple: fields read back differ from the sample encoded (above)" >&2
        exit 1
    fi
    echo "  ok: $triple: sock_sample $sock bytes, shmTime $shm bytes, every field as encoded"
}
abi_check x86_64-unknown-linux-gnu gcc 40 96
abi_check aarch64-unknown-linux-gnu aarch64-linux-gnu-gcc 40 96 "${a64[@]}"
abi_check armv7-unknown-linux-gnueabihf arm-linux-gnueabihf-gcc 32 80 "${arm[@]}"
# Not a target timed builds for yet, shown so it is not forgotten: Debian 13 builds armhf with a
# 64-bit time_t (_TIME_BITS=64), which makes chrony's records the LP64 sizes; timed's armv7 build
# (Rust's libc: 32-bit time_t) sends ILP32 records that such a chronyd drops.
arm-linux-gnueabihf-gcc -D_TIME_BITS=64 -D_FILE_OFFSET_BITS=64 -o "$tmp/abi-t64" tests/cross/chrony_abi.c
echo "  note: armhf with _TIME_BITS=64 (Debian 13): $("${arm[@]}" "$tmp/abi-t64" --layout) (timed armv7 sends 32/80)"
echo "tests/aarch64.sh: done in $SECONDS s"
