#!/usr/bin/env bash
# All of timed's tests: the command README.md gives, and what .ci/run runs.
# Installs what it needs on a fresh Debian/Ubuntu machine, then runs formatting, lints and every
# test (unit, property, real-capture agreement with gpsd, and the integration suites).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/setup.sh
ensure_rust
echo "== self-contained (the tests read nothing outside the repository)"
# First, being cheap (~15 s): a plain clone must build and pass by itself, and a test that read
# data from beside the checkout would pass here yet fail there. tests/self-contained.sh: how.
bash tests/self-contained.sh
# Real peers: chronyd (-x, sandboxed), chronyc, iproute2 for network namespaces, ntpdig as a LAN
# client; prometheus (promtool) and prometheus-alertmanager for the alert rules (issue 15:
# timed/daemon/tests/alert_rules.rs, about 15 s; alerts_e2e.rs, about 7 min of waiting in
# `cargo test`). Installed with services blocked (tests/lib/setup.sh).
ensure_apt chrony iproute2 ntpsec-ntpdig python3 prometheus prometheus-alertmanager curl tmux
# Issue 16 (NTS): systemd/nts/timed-nts-cert makes the lab's NTS certificates with openssl
# (timed/daemon/tests/nts_e2e.rs, about 45 s inside `cargo test`: the lab serving NTS, plain,
# wrongly-trusting and flooding clients in network namespaces).
ensure_apt openssl
# Headless Chromium (issue 15): the status page in a real browser, timed/daemon/tests/web_browser.rs
# (about 20 s of the cargo tests; the package is ~100 MB, installed once).
ensure_apt chromium
# libfaketime (issue 13's leap replays, timed/lab/tests/leap_replay.rs, ~2 min inside the cargo
# tests): one faked wall clock shared by chronyd, timed and the simulator on a leap day.
ensure_apt faketime libfaketime
# openssl (issue 16): the reference for the NTS certificate's SHA-256 fingerprint and expiry
# (timed/daemon/src/nts_cert/tests.rs, under a second) and what timed-nts-cert runs.
ensure_apt openssl
# allantools (PyPI): the independent ADEV/TDEV reference the statistics are checked against.
python3 -c 'import allantools' 2>/dev/null || python3 -m pip install -q allantools
# Issue 12 (receiver set-up): gpsd's ubxtool (gpsd-clients, with its python3-gps module) and
# pyubx2 (PyPI) configure and read back the simulator's receiver model
# (timed/sim/tests/ubxtool.rs, about 15 s inside `cargo test`).
ensure_apt gpsd-clients python3-gps
# pyubx2 (PyPI, issue 12): the independent UBX parser that checks every frame `timectl receiver`
# sends (tests/receiver/check_frames.py, run by timectl's receiver_e2e test) and builds the
# survey-in frames the decoder tests hold (timed/core/src/ubx/decode/svin/reference.py). About 5 s
# to install.
python3 -c 'import pyubx2' 2>/dev/null || python3 -m pip install -q pyubx2
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/run.sh: the end-to-end tests start chronyd and network namespaces: run as root" >&2
    exit 1
fi
if pgrep -x chronyd >/dev/null; then
    echo "tests/run.sh: note: a chronyd is already running; the tests use private ports and sockets" >&2
fi

echo "== format"
cargo fmt --all -- --check
echo "== boundaries (docs/architecture.md: core dependencies, where unsafe lives, API docs, crate docs)"
# About 15 s plus building the workspace's dependencies for the docs, which clippy then reuses.
bash tests/boundaries.sh
echo "== file sizes (at most 500 lines of non-test code per .rs file)"
# After the format check: the count finds test modules by the layout rustfmt gives them.
bash tests/file-sizes.sh --self-test
bash tests/file-sizes.sh
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== build"
# The end-to-end tests drive the real binaries (timed, timed-sim) from the same target dir.
cargo build --workspace --locked --bins
echo "== tests"
# alerts_e2e (issue 15, about 6.5 min of waiting) stays in this sequence: run beside the other
# lab suites it was measured to fail under load (simulated edges stamped late on a busy machine
# look like a moved pulse), and the run fits its budget without that.
cargo test --workspace --locked
# Further suites, one block each (owned by the issue that added them):
# -- suites --
echo "== fuzz smoke (timed-core: framer, nmea, ubx, stream, engine; 15 s each)"
# Catches a target that no longer builds and a crash within reach of the seeds; the long runs
# are timed/core/fuzz/run.sh 600. Cost measured on the shared 2-core machine: 95 s with the
# instrumented build done (75 s of it fuzzing), about 1 min more for that build, and on a
# machine without cargo-fuzz about 1 min to install it from crates.io.
command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz@0.13.2
bash timed/core/fuzz/run.sh 15
echo "== Raspberry Pi architectures and the Debian packages (aarch64 under qemu-user, armv7, .deb)"
# Issue 6 (deb). timed.toml(5) against the keys timed accepts (1 s); tests/aarch64.sh: the workspace's
# tests for aarch64 under qemu-user with per-crate counts, timed-core and timed for armv7 with their
# unit tests under qemu-arm, chrony's C structs reading timed-core's records on each target;
# tests/deb.sh: both .debs, lintian, dpkg -i / -r / --purge of the amd64 one on this machine.
# Measured cold on the shared 2-core machine: about 12 min (aarch64 release build 4 min, shared
# with the arm64 .deb; amd64 release build 2.5 min; armv7 debug build and tests 3 min).
bash tests/man-config.sh
bash tests/aarch64.sh
bash tests/deb.sh
# Issue 17 (guide). docs/install-raspberry-pi-os.md run as written in an arm64 Debian 12 userland
# (mmdebstrap under qemu-user, cached in ~/.cache/timed) with the arm64 .deb deb.sh just built:
# install, board lines, config, doctor, status outside group timed, upgrade, uninstall; every
# timectl/timed subcommand and flag the guide names must exist. Cold about 4.6 min for the
# userland plus a run; warm about 2.5 min (apt and dpkg under qemu).
bash tests/guide.sh
echo "== boards, Nix and provisioning (boards/, flake.nix, images/, timed/provision)"
# nix-instantiate from nix-bin (syntax and builtins-only evaluation; nixpkgs is not fetched),
# real FAT+ext4 images from e2fsprogs/dosfstools/mtools/fdisk, host keys from ssh-keygen;
# deadnix and nixpkgs-fmt from crates.io only when missing (about 1 min each on 2 cores).
# age: issue 16's secrets test (a secret encrypted to a provisioned image's host key decrypts on
# it and not on another; the .deb's timed-secrets script's modes and groups), about 3 s.
ensure_apt nix-bin e2fsprogs dosfstools mtools fdisk openssh-client age
command -v deadnix >/dev/null || cargo install --locked --quiet deadnix@1.3.1
command -v nixpkgs-fmt >/dev/null || cargo install --locked --quiet nixpkgs-fmt@1.3.0
target/debug/timectl validate-board boards/*.toml
bash tests/nix-lint.sh
cargo clippy -p timed-provision --features image-tests --all-targets --locked -- -D warnings
cargo test -p timed-provision --features image-tests --locked --test provision
echo "== udev rules and systemd units (udevadm test on a fake sysfs; exposure <= 2.0; real chronyd privileges)"
# Issue 6 (units). About 1 s together, plus installing apt's udev once. 77 (cannot run) fails here.
# Issue 16 adds timed-nts-cert.service: the first-boot NTS pair loaded by chronyd (a few seconds).
bash udev/tests/run.sh
bash systemd/tests/run.sh
echo "== kernel PPS on a real kernel (Debian kernel in QEMU, pps_parport)"
# Exit 77 means "cannot run here"; in this suite that is a failure, not a skip.
bash tests/qemu-pps/run.sh
