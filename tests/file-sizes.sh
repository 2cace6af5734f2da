#!/usr/bin/env bash
# No Rust source file may hold more than 500 lines of non-test code: past that a module is doing
# more than one job and should be split along a real seam. Test code does not count, so a module
# is never split just to make room for its tests:
#   - files named tests.rs or *_tests.rs (a module's tests moved next to it),
#   - files under a directory named tests (integration tests and their support code),
#   - `#[cfg(test)] mod NAME { ... }` blocks inside a file.
# Blocks are found by layout, which `cargo fmt --all -- --check` enforces before this runs: the
# attribute on its own line, `mod NAME {` on the next one at the same indent, and the block ending
# at the first `}` line with that indent.
#
# Usage: tests/file-sizes.sh [DIR]   checks every .rs file under DIR (default: the repository),
#                                    lists the largest and exits 1 naming any file over the limit.
#        tests/file-sizes.sh --self-test
set -euo pipefail

LIMIT=500

# Prints "<non-test lines> <file>" for one file.
count() {
    awk -v file="$1" '
        in_block { if ($0 == block_end) in_block = 0; next }
        attrs {
            # The lines after a #[cfg(test)]: more attributes, then a module opening at the same
            # indent starts a block; anything else is ordinary code.
            same = substr($0, 1, length(indent)) == indent
            rest = substr($0, length(indent) + 1)
            if (same && rest ~ /^#\[/) { attrs++; n++; next }
            if (same && rest ~ /^(pub(\([a-z]+\))? )?mod [A-Za-z0-9_]+ \{$/) {
                in_block = 1
                block_end = indent "}"
                n -= attrs  # the attribute lines belonged to the block
                attrs = 0
                next
            }
            attrs = 0
        }
        /^[ \t]*#\[cfg\(test\)\][ \t]*$/ { match($0, /^[ \t]*/); indent = substr($0, 1, RLENGTH); attrs = 1; n++; next }
        { n++ }
        END { print n + 0, file }
    ' "$1"
}

check() {
    local root=$1 over=0 sizes
    sizes=$(
        cd "$root" &&
            find . \( -name target -o -name .git -o -name tests -o -name result \) -prune -o \
                -type f -name '*.rs' ! -name tests.rs ! -name '*_tests.rs' -print |
            sed 's|^\./||' | sort | while read -r f; do count "$f"; done | sort -k1,1rn -k2
    )
    echo "largest non-test line counts (limit $LIMIT):"
    head -5 <<<"$sizes" | sed 's/^/  /'
    while read -r n f; do
        if [ -n "$f" ] && [ "$n" -gt "$LIMIT" ]; then
            echo "file-sizes: $f has $n lines of non-test code (limit $LIMIT): split it" >&2
            over=1
        fi
    done <<<"$sizes"
    return $over
}

# Proves the check can fail: one line over the limit fails and is named; test code of any size,
# in a block or in a tests file, does not count.
self_test() {
    local d i
    d=$(mktemp -d)
    SELF_TEST_DIR=$d
    trap 'rm -rf "$SELF_TEST_DIR"' EXIT
    mkdir -p "$d/src/big" "$d/tests"
    {
        for i in $(seq 1 $LIMIT); do echo "const A$i: u32 = $i;"; done
        echo '#[cfg(test)]'
        echo '#[allow(clippy::unwrap_used)]'
        echo 'mod tests {'
        for i in $(seq 1 600); do echo "    fn t$i() { let _ = format!(\"{}\", $i); }"; done
        echo '}'
    } >"$d/src/at_limit.rs"
    for i in $(seq 1 700); do echo "fn t$i() {}"; done >"$d/src/big/tests.rs"
    cp "$d/src/big/tests.rs" "$d/src/big_tests.rs"
    cp "$d/src/big/tests.rs" "$d/tests/e2e.rs"
    if [ "$(count "$d/src/at_limit.rs" | cut -d' ' -f1)" != "$LIMIT" ]; then
        echo "file-sizes self-test: miscounted: $(count "$d/src/at_limit.rs")" >&2
        return 1
    fi
    if ! out=$(check "$d" 2>&1); then
        echo "file-sizes self-test: a file at the limit with large tests was rejected:" >&2
        echo "$out" >&2
        return 1
    fi
    # A cfg(test) attribute on something other than a module does not hide what follows.
    { echo '#[cfg(test)]'; for i in $(seq 1 $LIMIT); do echo "const B$i: u32 = $i;"; done; } >"$d/src/over.rs"
    if out=$(check "$d" 2>&1); then
        echo "file-sizes self-test: a file of $((LIMIT + 1)) non-test lines passed:" >&2
        echo "$out" >&2
        return 1
    fi
    if ! grep -q "file-sizes: src/over.rs has $((LIMIT + 1)) lines" <<<"$out" ||
        grep -q "at_limit.rs has\|tests.rs has\|e2e.rs has" <<<"$out"; then
        echo "file-sizes self-test: the failure did not name exactly the file over the limit:" >&2
        echo "$out" >&2
        return 1
    fi
    echo "file-sizes self-test: ok"
}

if [ "${1:-}" = --self-test ]; then
    self_test
else
    check "${1:-$(cd "$(dirname "$0")/.." && pwd)}"
fi
