#!/usr/bin/env bash
# Receiver set-up figures (issue 12). NOT part of tests/run.sh: a benchmark that prints figures,
# never a pass/fail test. About 30 s with a warm build.
#
#   bash tests/bench/receiver-setup.sh [MODEL...]     # default: f9t m8t
#
# For each model, a factory-default simulated receiver (timed-sim --model M --factory: 9600 baud
# NMEA on the M8, 38400 on the F9, default time pulse, no time mode; it stands in for the
# receiver, none exists here) on a pty, then `timectl receiver apply` and `timectl receiver
# verify`, as a user runs them. One line per model:
#
#   receiver-setup MODEL seconds_to_verified=S (goal <= 15, survey excluded) read_back_equal=P%
#   (goal 100) flash_writes_without_save=N (goal 0) flash_writes_with_save=M apply_exit=E verify_exit=V
#
# seconds_to_verified: wall time from the start of `apply` to the end of a `verify` that exits 0
# (the survey-in itself is excluded: verify counts a started survey as the planned time mode).
# read_back_equal: items `verify` read back equal to the plan, of all planned items.
# flash_writes_without_save: frames in what the receiver received (--record-input) that write
# BBR or flash (CFG-VALSET with the BBR/flash layers, CFG-CFG), counted by pyubx2. Then one
# `apply --save`, to show the count is not zero by construction: the simulator's own count of
# writes to its Flash layer (its exit line) after it, flash_writes_with_save.
set -euo pipefail
cd "$(dirname "$0")/../.."
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(f9t m8t)
cargo build --quiet --bin timed-sim --bin timectl
python3 -c 'import pyubx2' 2>/dev/null || python3 -m pip install -q pyubx2
bin=target/debug
work=$(mktemp -d /tmp/receiver-setup.XXXXXX)
sim_pid=
cleanup() {
    [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for m in "${models[@]}"; do
    rm -f "$work/gps0" "$work/rec.bin"
    "$bin/timed-sim" --model "$m" --factory --pty "$work/gps0" --record-input "$work/rec.bin" \
        >"$work/sim.out" 2>"$work/sim.log" &
    sim_pid=$!
    for _ in $(seq 100); do grep -qx ready "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
    t0=$(date +%s.%N)
    set +e
    "$bin/timectl" receiver apply --device "$work/gps0" --config /nonexistent --json >"$work/apply.json"
    apply_exit=$?
    "$bin/timectl" receiver verify --device "$work/gps0" --config /nonexistent --json >"$work/verify.json"
    verify_exit=$?
    t1=$(date +%s.%N)
    before_save=$(stat -c %s "$work/rec.bin")
    "$bin/timectl" receiver apply --save --device "$work/gps0" --config /nonexistent >/dev/null
    set -e
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
    sim_flash=$(sed -n 's/.*flash writes \([0-9]*\).*/\1/p' "$work/sim.log" | tail -1)
    python3 - "$m" "$t0" "$t1" "$apply_exit" "$verify_exit" "$work" "${sim_flash:-?}" "$before_save" <<'EOF'
import json, sys
from pyubx2 import SET, UBXReader
m, t0, t1, ae, ve, work, sim_flash = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
v = json.load(open(f"{work}/verify.json"))
items = v["items"]
share = 100.0 * sum(1 for i in items if i["equal"]) / len(items) if items else 0.0
data = open(f"{work}/rec.bin", "rb").read()[: int(sys.argv[8])]
flash, i = 0, 0
while i + 8 <= len(data):
    if data[i:i + 2] != b"\xb5\x62":
        i += 1
        continue
    n = data[i + 4] | data[i + 5] << 8
    raw = data[i:i + 8 + n]
    i += 8 + n
    if raw[2] != 0x06 or raw[3] not in (0x8A, 0x09):
        continue
    try:
        msg = UBXReader.parse(raw, msgmode=SET)
    except Exception:
        continue
    if msg.identity == "CFG-VALSET" and (msg.bbr or msg.flash):
        flash += 1
    elif msg.identity == "CFG-CFG" and (msg.devBBR or msg.devFlash) and any(msg.saveMask):
        flash += 1
secs = f"{t1 - t0:.1f}" if ve == "0" else "not-verified"
print(f"receiver-setup {m} seconds_to_verified={secs} (goal <= 15, survey excluded) "
      f"read_back_equal={share:.0f}% (goal 100) flash_writes_without_save={flash} (goal 0) flash_writes_with_save={sim_flash} "
      f"apply_exit={ae} verify_exit={ve}")
EOF
done
