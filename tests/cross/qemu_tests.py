#!/usr/bin/env python3
"""Runs a cross-built workspace's test executables under qemu-user and counts per crate.

    qemu_tests.py --runner "qemu-aarch64-static -L /usr/aarch64-linux-gnu" --skips FILE \
        < cargo-test-no-run.json

stdin: the JSON messages of `cargo test --no-run --message-format=json-render-diagnostics`
(one compiler-artifact line per test executable). Each executable runs as cargo would run it (from
its package's directory) through the runner, with the skips that apply to it. The skips file has one
entry per line:

    PACKAGE TARGET TEST|*   reason...

TARGET is `lib`, `bin:NAME` or `test:NAME`; TEST is a full test path (matched exactly) or `*` for
every test of that target. A skip naming a test or target that does not exist is an error, so the
list cannot go stale. Prints one line per crate (passed, skipped, ignored, failed) and exits 1 if a
test failed or an executable did not finish.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections import defaultdict

RESULT_RE = re.compile(
    r"test result: (\w+)\. (\d+) passed; (\d+) failed; (\d+) ignored; (\d+) measured; (\d+) filtered out"
)


def target_key(msg):
    t = msg["target"]
    kind = t["kind"][0]
    if kind in ("lib", "rlib", "cdylib", "proc-macro"):
        return "lib"
    return f"{kind}:{t['name']}"


def read_skips(path):
    skips = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(None, 3)
            if len(parts) < 4:
                sys.exit(f"qemu_tests.py: {path}:{n}: want 'PACKAGE TARGET TEST|* reason', got {line!r}")
            skips.append({"pkg": parts[0], "target": parts[1], "test": parts[2], "why": parts[3],
                          "where": f"{path}:{n}", "used": False})
    return skips


def list_tests(runner, exe, cwd):
    out = subprocess.run(runner + [exe, "--list", "--format", "terse"], cwd=cwd, capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        sys.exit(f"qemu_tests.py: {exe} --list failed: {out.stderr.strip()}")
    return [line[: -len(": test")] for line in out.stdout.splitlines() if line.endswith(": test")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runner", required=True)
    p.add_argument("--skips", required=True)
    p.add_argument("--timeout", type=int, default=900, help="seconds per test executable")
    a = p.parse_args()
    runner = shlex.split(a.runner)
    skips = read_skips(a.skips)

    exes = []
    for line in sys.stdin:
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") and msg["profile"]["test"]:
            exes.append((msg, os.path.dirname(msg["manifest_path"])))
    if not exes:
        sys.exit("qemu_tests.py: no test executables in the cargo output")

    totals = defaultdict(lambda: [0, 0, 0, 0])  # passed, skipped, ignored, failed
    broken = []
    for msg, cwd in sorted(exes, key=lambda e: e[0]["target"]["src_path"]):
        crate = package_name(msg)
        key = target_key(msg)
        mine = [s for s in skips if s["pkg"] == crate and s["target"] == key]
        tests = list_tests(runner, msg["executable"], cwd)
        label = f"{crate} {key}"
        whole = [s for s in mine if s["test"] == "*"]
        for s in mine:
            if s["test"] != "*" and s["test"] not in tests:
                sys.exit(f"qemu_tests.py: {s['where']}: {label} has no test {s['test']} (stale skip)")
            s["used"] = True
        if whole:
            totals[crate][1] += len(tests)
            print(f"-- {label}: {len(tests)} skipped ({whole[0]['why']})", flush=True)
            continue
        args = []
        for s in mine:
            args += ["--skip", s["test"]]
        if args:
            args.append("--exact")
        print(f"-- {label}: {len(tests)} tests", flush=True)
        try:
            out = subprocess.run(runner + [msg["executable"]] + args, cwd=cwd, capture_output=True,
                                 text=True, timeout=a.timeout)
        except subprocess.TimeoutExpired:
            broken.append(f"{label}: did not finish within {a.timeout} s")
            continue
        m = RESULT_RE.search(out.stdout)
        if not m:
            broken.append(f"{label}: exited {out.returncode} without a result line")
            sys.stdout.write(out.stdout[-4000:] + out.stderr[-4000:])
            continue
        passed, failed, ignored, filtered = int(m.group(2)), int(m.group(3)), int(m.group(4)), int(m.group(6))
        t = totals[crate]
        t[0] += passed
        t[1] += filtered
        t[2] += ignored
        t[3] += failed
        if failed or out.returncode != 0:
            names = re.findall(r"^test (\S+) \.\.\. FAILED$", out.stdout, re.M)
            broken.append(f"{label}: {failed} failed (exit {out.returncode}): {' '.join(names)}")
            sys.stdout.write(out.stdout[-8000:] + out.stderr[-4000:])
    for s in skips:
        if not s["used"]:
            sys.exit(f"qemu_tests.py: {s['where']}: no test executable {s['pkg']} {s['target']} (stale skip)")

    print(f"{'crate':<16} {'passed':>7} {'skipped':>8} {'ignored':>8} {'failed':>7}")
    for crate in sorted(totals):
        p_, s_, i_, f_ = totals[crate]
        print(f"{crate:<16} {p_:>7} {s_:>8} {i_:>8} {f_:>7}")
    all_ = [sum(t[i] for t in totals.values()) for i in range(4)]
    print(f"{'total':<16} {all_[0]:>7} {all_[1]:>8} {all_[2]:>8} {all_[3]:>7}")
    if broken:
        print("FAILED:\n  " + "\n  ".join(broken), file=sys.stderr)
        sys.exit(1)


def package_name(msg):
    # package_id: "path+file:///work/main/timed/daemon#timed@0.1.0" (or older "timed 0.1.0 (path+...)")
    pid = msg["package_id"]
    m = re.search(r"#([^@]+)@", pid) or re.match(r"^(\S+) ", pid)
    if m:
        return m.group(1)
    m = re.search(r"#([\d.]+)$", pid)  # "...#0.1.0" when the name equals the directory name
    if m:
        return pid.split("#")[0].rstrip("/").rsplit("/", 1)[-1]
    sys.exit(f"qemu_tests.py: cannot read a package name from {pid!r}")


if __name__ == "__main__":
    main()
