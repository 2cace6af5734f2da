#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), seeded from the real receiver captures (the
# engine target from a generated minute of a healthy receiver), and prints executions and crashes
# per target; exits 1 if any target crashed or did not run. Needs cargo-fuzz
# (`cargo install --locked cargo-fuzz`) and uses a nightly toolchain if there is one.
# Usage: [CAPTURES=DIR] timed/core/fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(framer nmea ubx stream engine)
# The captures are in the repository (testdata/receivers, see its README); the Rust tests find
# them through the timed-testdata crate, this script by the same path relative to itself.
# CAPTURES overrides it.
caps=${CAPTURES:-../../../testdata/receivers}
[ -d "$caps" ] || { echo "run.sh: captures missing: $caps" >&2; exit 1; }

python3 - "$caps" <<'PY'
import glob, os, sys, hashlib
caps = sys.argv[1]
def put(target, blob):
    d = f"corpus/{target}"; os.makedirs(d, exist_ok=True)
    open(f"{d}/{hashlib.sha1(blob).hexdigest()}", "wb").write(blob)
for f in glob.glob(f"{caps}/*.log"):
    data = open(f, "rb").read()
    for k in range(0, len(data), 4096):
        put("stream", data[k:k + 4096]); put("framer", b"\x07" + data[k:k + 4096])
    i = 0
    while i < len(data) - 8:
        if data[i] == 0xB5 and data[i + 1] == 0x62:
            n = data[i + 4] | data[i + 5] << 8
            cls = {1: 0, 0x0D: 1, 0x0A: 2, 5: 3}.get(data[i + 2])
            if cls is not None:
                put("ubx", bytes([cls, data[i + 3]]) + data[i + 6:i + 6 + n])
            i += 8 + n
            continue
        if data[i] == ord("$"):
            j = data.find(b"*", i)
            if 0 < j - i < 200:
                put("nmea", data[i:j])
        i += 1
# The engine target reads a program (fuzz_targets/engine.rs): seed it with a minute of a healthy
# receiver, so the fuzzer starts from a locked pulse train instead of having to find one.
seed = bytes([1]) + (100).to_bytes(2, "little")
for _ in range(60):
    seed += bytes([2, 1]) + (0).to_bytes(4, "little")              # the edge, on time
    seed += bytes([0, 15, 0, 0])                                   # 120 ms later
    seed += bytes([4, 6, 0, 0]) + (4000).to_bytes(4, "little")     # its epoch, TIM-TP qErr 4 ns
    seed += bytes([5, 0, 110, 0, 0])                               # a tick; on to the next second
put("engine", seed)
PY

# The fuzzer's instrumentation needs unstable compiler flags: a nightly toolchain where there is
# one, else the machine's stable toolchain told to accept them (the same compiler otherwise).
toolchain=+nightly
if ! rustup toolchain list 2>/dev/null | grep '^nightly' >/dev/null; then
    toolchain=+stable
    export RUSTC_BOOTSTRAP=1
fi

found=0
for t in "${targets[@]}"; do
    log=$(mktemp)
    # Only this run's findings count, not artifacts left by an earlier one.
    before=$(ls artifacts/"$t" 2>/dev/null | grep -c -E '^(crash|oom|timeout|leak)-' || true)
    set +e
    cargo "$toolchain" fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -1 || true)
    after=$(ls artifacts/"$t" 2>/dev/null | grep -c -E '^(crash|oom|timeout|leak)-' || true)
    crashes=$((after - before))
    echo "FUZZ $t seconds=$secs executions=${execs:-?} crashes=$crashes exit=$rc"
    if [ $rc -ne 0 ] || [ $crashes -ne 0 ]; then
        # The panic message comes before the long input dump that ends the log.
        grep -E -A3 'panicked at|ERROR: (AddressSanitizer|libFuzzer)' "$log" | head -20 || true
        tail -30 "$log"
        found=1
    fi
    rm -f "$log"
done
# A crash, or a target that did not run, fails the run (the artifacts stay for reproduction).
exit $found
