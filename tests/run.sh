#!/usr/bin/env bash
# All of timed's tests: the command README.md gives, and what .ci/run runs.
# Installs what it needs on a fresh Debian/Ubuntu machine, then runs formatting, lints and every
# test (unit, property, real-capture agreement with gpsd, and the integration suites).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/setup.sh
ensure_rust

echo "== format"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== tests"
cargo test --workspace --locked
