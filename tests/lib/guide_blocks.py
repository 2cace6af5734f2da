#!/usr/bin/env python3
"""Shell blocks of an installation guide (docs/install-*.md), for tests/guide.sh.

    guide_blocks.py GUIDE summary            per-marker counts of blocks and commands, one line each
    guide_blocks.py GUIDE script MARKER      the blocks with that marker as one bash script
    guide_blocks.py GUIDE list MARKER        each block with that marker: line, section, commands
    guide_blocks.py GUIDE tools              every `timectl ...`/`timed ...` invocation, one a line

A block is a fenced block whose info string starts with `sh`; the word after it is its marker:

    ```sh          run as written on the device (tests/guide.sh: in the arm64 userland)
    ```sh build    run on the build machine, in the source tree (tests/guide.sh: natively)
    ```sh manual   not run: needs the real board, a reboot, another machine or the owner's network

Any other marker is an error, so a typo cannot hide a block from the test. A command is a line
that is not blank and not only a comment, with backslash continuations joined. In `script`
output each block is preceded by `guide_section N` (the `## N.` heading it is under), a function
the caller defines to hook its own steps in between (e.g. swap the package before an upgrade).
"""

import re
import shlex
import sys

MARKERS = ("run", "build", "manual")


def blocks(path):
    out, section, cur = [], "0", None
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if cur is None:
                m = re.match(r"^## (\d+)\.", line)
                if m:
                    section = m.group(1)
                m = re.match(r"^```sh(?:\s+(\S+))?\s*$", line)
                if m:
                    marker = m.group(1) or "run"
                    if marker not in MARKERS:
                        sys.exit(f"{path}:{n}: unknown block marker {marker!r} (one of {MARKERS})")
                    cur = {"line": n, "section": section, "marker": marker, "text": []}
                continue
            if line.startswith("```"):
                out.append(cur)
                cur = None
            else:
                cur["text"].append(line)
    if cur is not None:
        sys.exit(f"{path}:{cur['line']}: block not closed")
    return out


def commands(block):
    cmds, acc = [], ""
    for line in block["text"]:
        line = line.rstrip("\n")
        if line.endswith("\\"):
            acc += line[:-1] + " "
            continue
        line, acc = acc + line, ""
        if line.strip() and not line.strip().startswith("#"):
            cmds.append(line.strip())
    return cmds


def tools(cmd):
    """`timectl`/`timed` invocations in a command: program, subcommand words, --flags."""
    cmd = cmd.replace("$(", " $( ").replace(")", " ) ").replace("|", " | ")
    try:
        words = shlex.split(cmd, comments=True)
    except ValueError:
        words = cmd.split()
    found = []
    starts = ("sudo", "|", "||", "&&", ";", "$(", "!", "then", "do")
    for i, w in enumerate(words):
        # Only in command position: `systemctl show timed` names a unit, not the program.
        if w in ("timectl", "timed") and (i == 0 or words[i - 1] in starts or words[i - 1].endswith("=")):
            subs, flags = [], []
            for a in words[i + 1:]:
                if a in ("|", "||", "&&", ";", ")") or a.startswith(("|", ">", "<")):
                    break
                if a.startswith("--"):
                    flags.append(a.split("=")[0])
                elif a.startswith("-") or "$" in a or "/" in a or "." in a:
                    continue
                elif not flags and a.replace("-", "").isalpha():
                    subs.append(a)
            found.append((w, subs, flags))
    return found


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, what = sys.argv[1], sys.argv[2]
    bs = blocks(path)
    if what == "summary":
        for m in MARKERS:
            sel = [b for b in bs if b["marker"] == m]
            print(f"{m} {len(sel)} {sum(len(commands(b)) for b in sel)}")
    elif what == "script":
        print("set -euo pipefail")
        for b in bs:
            if b["marker"] == sys.argv[3]:
                print(f"guide_section {b['section']} {b['line']}")
                print("".join(b["text"]), end="")
    elif what == "list":
        for b in bs:
            if b["marker"] == sys.argv[3]:
                print(f"{path}:{b['line']} (section {b['section']}): " + " ; ".join(commands(b)))
    elif what == "tools":
        seen = set()
        for b in bs:
            for c in commands(b):
                for prog, subs, flags in tools(c):
                    key = (prog, tuple(subs), tuple(flags))
                    if key not in seen:
                        seen.add(key)
                        print(prog, " ".join(subs), "::", " ".join(flags))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
