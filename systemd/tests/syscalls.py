"""Checks the system calls a traced timed made against timed.service's SystemCallFilter= lines,
with the groups (@system-service, @privileged, ...) expanded by `systemd-analyze syscall-filter`,
i.e. exactly as this systemd defines them. Used by systemd/tests/run.sh.

usage: syscalls.py STRACE_OUTPUT UNIT_FILE
Counts only what follows the successful execve of .../timed (not setpriv's own set-up calls).
Exit 0: all inside the filter; 1: some outside (listed); 2: the trace shows no run of timed.
"""

import re
import subprocess
import sys


def expand(name: str, seen: set[str]) -> set[str]:
    out = subprocess.run(
        ["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True
    ).stdout
    calls: set[str] = set()
    for line in out.splitlines()[1:]:
        words = line.strip().split()
        if not words or words[0].startswith("#"):
            continue
        if words[0].startswith("@"):
            if words[0] not in seen:
                seen.add(words[0])
                calls |= expand(words[0], seen)
        else:
            calls.add(words[0])
    return calls


def allowed_by(unit: str) -> set[str]:
    """SystemCallFilter= lines in order: the first without ~ starts an allow list, later ones
    add to it, ~ lines remove from it (systemd.exec(5))."""
    allowed: set[str] = set()
    for line in open(unit, encoding="utf-8"):
        m = re.match(r"SystemCallFilter=(~?)(.*)", line.strip())
        if not m:
            continue
        names: set[str] = set()
        for n in m.group(2).split():
            names |= expand(n, {n}) if n.startswith("@") else {n}
        allowed = allowed - names if m.group(1) else allowed | names
    return allowed


def used_by_timed(trace: str) -> dict[str, int]:
    used: dict[str, int] = {}
    started = False
    for line in open(trace, encoding="utf-8", errors="replace"):
        if not started:
            started = re.search(r'execve\("[^"]*/timed", .*\) = 0$', line) is not None
            continue
        m = re.match(r"^\d+\s+(?:<\.\.\. )?([a-z0-9_]+)(?:\(| resumed>)", line)
        if m:
            used[m.group(1)] = used.get(m.group(1), 0) + 1
    return used


def main() -> int:
    trace, unit = sys.argv[1], sys.argv[2]
    used = used_by_timed(trace)
    if len(used) < 20:
        print(f"systemd: the trace shows no run of timed ({len(used)} kinds of system call)")
        return 2
    allowed = allowed_by(unit)
    if len(allowed) < 100:
        print(f"systemd: {unit} allows only {len(allowed)} system calls: filter not parsed?")
        return 2
    print(f"systemd: timed made {sum(used.values())} system calls of {len(used)} kinds: {' '.join(sorted(used))}")
    bad = sorted(set(used) - allowed)
    if bad:
        print("systemd: outside the unit's filter: " + ", ".join(f"{b} ({used[b]}x)" for b in bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
