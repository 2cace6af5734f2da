#!/usr/bin/env bash
# The repository stands alone: whoever clones it gets a tree whose tests build and pass with
# nothing beside it. The receiver captures once lived in a directory next to the checkout, so a
# plain clone failed; they are now in testdata/receivers, found through the timed-testdata crate.
# This keeps it so, cheaply (15 s here: timed-core built from scratch), before the long suites:
#  1. no file a clone gets names a path outside the tree where that old data lived (instant,
#     and it catches the spelling in any crate, script or bench, built or not);
#  2. the tests that read captures pass from a copy of the tree in a fresh temporary directory,
#     which has no sibling directories at all (catches a path the grep cannot see, e.g. one
#     assembled at run time). Only timed-core's and timed-testdata's: every other reader of the
#     captures goes through the same crate, and building the rest again from a second path
#     would cost minutes.
# Usage: bash tests/self-contained.sh   (run by tests/run.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

# What a clone gets: tracked files, plus new ones not yet committed (ignored ones such as target/
# are not in a clone). This script names the pattern, so it is left out.
git rev-parse --is-inside-work-tree >/dev/null || { echo "tests/self-contained.sh: needs a git checkout" >&2; exit 1; }
mapfile -d '' listed < <(git ls-files -z --cached --others --exclude-standard -- ':!tests/self-contained.sh')
files=()
for f in "${listed[@]}"; do [ -e "$f" ] && files+=("$f"); done # not tracked files deleted here
pattern='\.\./shared/|/work/shared|shared/testdata'
if hits=$(printf '%s\0' "${files[@]}" | xargs -0 grep -sInE "$pattern"); then
    echo "$hits" >&2
    echo "tests/self-contained.sh: the files above read from outside the repository;" \
        "test data belongs in testdata/ (found through timed/testdata)" >&2
    exit 1
fi
echo "  ok: ${#files[@]} files, none names a path outside the tree"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy="$tmp/timed"
mkdir "$copy"
printf '%s\0' "${files[@]}" | tar --null -T - -cf - | tar -xf - -C "$copy"
# The old location relative to a checkout: must not exist next to the copy.
[ ! -e "$tmp/shared" ] || { echo "tests/self-contained.sh: $tmp/shared exists" >&2; exit 1; }
# A target dir of its own, inside the temporary directory: with the checkout's, cargo takes the
# checkout's builds as fresh (same crates, same sources, same mtimes) and would run binaries whose
# compiled-in CARGO_MANIFEST_DIR is the checkout, proving nothing; a build from the copy would in
# turn leave binaries pointing at a deleted copy behind for the checkout.
(cd "$copy" && CARGO_TARGET_DIR="$tmp/target" cargo test --quiet --locked -p timed-testdata -p timed-core \
    --lib --test gpsd_agreement)
echo "  ok: the capture-reading tests pass from a copy of the tree with nothing beside it"
