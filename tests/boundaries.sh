#!/usr/bin/env bash
# The repository's boundaries, as docs/architecture.md draws them, checked:
#   core-deps  timed-core depends on memchr alone (sans-IO: no async runtime, no I/O crates)
#   unsafe     every crate root forbids unsafe code; the daemon's library denies it and only the
#              PPS ioctl and SysV SHM modules are exempt; no `unsafe` anywhere else
#   docs       the API docs build without a warning (broken or private links, bad HTML)
#   headers    every lib.rs / main.rs opens with a //! doc: what it owns, what it must not depend on
# Each failure names the offending file. Then a self-test injects one violation per check into a
# copy of the tree and requires the check to fail naming that file, so no check passes vacuously.
#
# Usage: tests/boundaries.sh [--root DIR] [--only CHECK] [--no-self-test]
# Cost: about 15 s after a build (the workspace's docs, then timed-core's docs twice in the copy).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
only=
self_test=1
while [ $# -gt 0 ]; do
    case $1 in
        --root) root=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        --no-self-test) self_test=0; shift ;;
        *) echo "usage: tests/boundaries.sh [--root DIR] [--only CHECK] [--no-self-test]" >&2; exit 64 ;;
    esac
done

# docs: rustdoc's own warnings, as errors. BOUNDARIES_DOC_ARGS narrows it (the self-test
# documents timed-core alone).
check_docs() {
    local log rc=0
    log=$(mktemp)
    # shellcheck disable=SC2086
    (cd "$1" && RUSTDOCFLAGS='-D warnings' cargo doc --no-deps --locked --keep-going \
        ${BOUNDARIES_DOC_ARGS:---workspace}) >"$log" 2>&1 || rc=$?
    if [ $rc -ne 0 ]; then
        # rustdoc prints `--> FILE:LINE:COL` under each problem: name the files.
        grep -E '^\s*--> ' "$log" | sed -E 's/^\s*--> ([^:]+):([0-9]+).*/boundaries: \1:\2: doc warning/' | sort -u
        grep -E '^(error|warning)' "$log" | grep -v -E 'could not document|build failed' | sort -u | sed 's/^/  /'
        echo "boundaries: docs: RUSTDOCFLAGS='-D warnings' cargo doc --workspace --no-deps failed"
    fi
    rm -f "$log"
    return $rc
}

run_check() {
    case $1 in
        docs) check_docs "$2" ;;
        core-deps | unsafe | headers) python3 "$here/lib/boundaries.py" "$1" "$2" ;;
        *) echo "boundaries: no check $1" >&2; return 64 ;;
    esac
}

checks=(core-deps unsafe docs headers)
[ -z "$only" ] || checks=("$only")
status=0
for c in "${checks[@]}"; do
    if run_check "$c" "$root"; then echo "boundaries: $c ok"; else status=1; fi
done
[ $status -eq 0 ] || exit 1
[ $self_test -eq 1 ] && [ -z "$only" ] || exit 0

# Self-test: each check on a copy with one injected violation must fail and name the file.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# rustdoc's output for the copy goes beside the real target dir, so the copy reuses memchr.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}/boundaries-self-test
passed=0
failed=0
fresh() {
    rm -rf "$tmp/tree"
    mkdir "$tmp/tree"
    (cd "$root" && git ls-files -z --cached --others --exclude-standard -- Cargo.toml Cargo.lock timed) |
        (cd "$root" && xargs -0 cp --parents -t "$tmp/tree")
}
# expect_failure CHECK FILE DESCRIPTION: the check on the injected copy fails, naming FILE.
expect_failure() {
    local out rc=0
    out=$(run_check "$1" "$tmp/tree" 2>&1) || rc=$?
    if [ $rc -ne 0 ] && grep -q "boundaries: $2" <<<"$out"; then
        passed=$((passed + 1))
        echo "boundaries self-test: $1 catches $3"
    else
        failed=$((failed + 1))
        echo "boundaries self-test: FAILED: $1 did not catch $3 in $2 (exit $rc):"
        sed 's/^/  /' <<<"$out"
    fi
}
inject() { python3 - "$tmp/tree/$1" "$2" "$3" <<'PY'
import sys
path, old, new = sys.argv[1:]
s = open(path).read()
assert old in s, f"{path}: nothing to replace"
open(path, "w").write(s.replace(old, new, 1))
PY
}

fresh
export BOUNDARIES_DOC_ARGS="-p timed-core"
for c in "${checks[@]}"; do
    if run_check "$c" "$tmp/tree" >/dev/null 2>&1; then passed=$((passed + 1)); else
        failed=$((failed + 1))
        echo "boundaries self-test: FAILED: $c fails on the unmodified copy"
    fi
done

inject timed/core/Cargo.toml '[dependencies]' $'[dependencies]\ntokio = "1"'
expect_failure core-deps timed/core/Cargo.toml "an I/O crate in timed-core"

fresh
inject timed/led/src/lib.rs '#![forbid(unsafe_code)]' ''
expect_failure unsafe timed/led/src/lib.rs "a crate root without forbid"
fresh
inject timed/core/fuzz/fuzz_targets/engine.rs '#![forbid(unsafe_code)]' ''
expect_failure unsafe timed/core/fuzz/fuzz_targets/engine.rs "a fuzz target without forbid"
fresh
inject timed/daemon/src/health.rs $'\n' $'\nfn peek(p: *const u8) -> u8 { unsafe { *p } }\n'
expect_failure unsafe timed/daemon/src/health.rs:2 "an unsafe block outside the two modules"
fresh
inject timed/daemon/src/run.rs $'\n' $'\n#![allow(unsafe_code)]\n'
expect_failure unsafe timed/daemon/src/run.rs:2 "a lint exemption outside the two module declarations"

fresh
inject timed/core/src/lib.rs '//! timed-core:' '//! timed-core, see [`nowhere`]:'
expect_failure docs timed/core/src/lib.rs:1 "a broken doc link"

fresh
inject timed/sim/src/main.rs '//! `timed-sim`' '// `timed-sim`'
expect_failure headers timed/sim/src/main.rs "a main.rs without a //! doc"
fresh
inject timed/core/src/lib.rs '//! Owns:' '//! Has:'
expect_failure headers timed/core/src/lib.rs "a crate doc that does not say what it owns"

echo "boundaries self-test: $passed passed, $failed failed"
[ $failed -eq 0 ]
