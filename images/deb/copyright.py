#!/usr/bin/env python3
"""Writes debian/copyright (machine-readable format 1.0) for the timed .deb to stdout.

    copyright.py RUST_TARGET_TRIPLE YEARS     (YEARS: e.g. 2025 or 2025-2026, from git)

timed's own code is GPL-2.0-or-later. The binaries also link Rust crates statically; they are
listed from `cargo metadata` (the crates reachable from timed and timectl through normal
dependencies on that target, without proc-macros and build scripts, which do not end up in the
binary), each with its licence expression, and every licence named is given below: by reference to
/usr/share/common-licenses where Debian ships the text, in full otherwise.
"""

import json
import re
import subprocess
import sys

COMMON = {
    "Apache-2.0": "Apache-2.0",
    "GPL-2.0-only": "GPL-2",
    "GPL-2.0-or-later": "GPL-2",
    "GPL-3.0-only": "GPL-3",
    "MPL-2.0": "MPL-2.0",
}

MIT = """Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:
.
The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.
.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE."""

ZLIB = """This software is provided 'as-is', without any express or implied
warranty. In no event will the authors be held liable for any damages
arising from the use of this software.
.
Permission is granted to anyone to use this software for any purpose,
including commercial applications, and to alter it and redistribute it
freely, subject to the following restrictions:
.
1. The origin of this software must not be misrepresented; you must not
   claim that you wrote the original software. If you use this software
   in a product, an acknowledgment in the product documentation would be
   appreciated but is not required.
2. Altered source versions must be plainly marked as such, and must not be
   misrepresented as being the original software.
3. This notice may not be removed or altered from any source distribution."""

FULL = {"MIT": MIT, "Zlib": ZLIB}


def linked_crates(triple):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--filter-platform", triple],
        capture_output=True, text=True, check=True,
    )
    meta = json.loads(out.stdout)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    todo = [p["id"] for p in meta["packages"] if p["name"] in ("timed", "timectl") and p["source"] is None]
    seen = set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for dep in nodes[pid]["deps"]:
            if not any(k["kind"] is None for k in dep["dep_kinds"]):
                continue  # dev- and build-dependencies are not linked into the binary
            if any("proc-macro" in t["kind"] for t in packages[dep["pkg"]]["targets"]):
                continue
            todo.append(dep["pkg"])
    return sorted((packages[p] for p in seen), key=lambda p: (p["name"], p["version"]))


def licence_ids(expr):
    """SPDX ids in an expression ('MIT/Apache-2.0' is the old spelling of 'MIT OR Apache-2.0')."""
    expr = expr.replace("/", " OR ")
    return [t for t in re.split(r"\s+|\(|\)", expr) if t and t not in ("OR", "AND", "WITH")]


def main():
    triple, years = sys.argv[1], sys.argv[2]
    crates = linked_crates(triple)
    own = [c for c in crates if c["source"] is None]
    third = [c for c in crates if c["source"] is not None]
    chosen = set()
    lines = []
    for c in third:
        expr = c.get("license") or ""
        if not expr:
            sys.exit(f"copyright.py: crate {c['name']} {c['version']} declares no licence")
        ids = licence_ids(expr)
        # Of alternatives, name the licence Debian ships or this file carries.
        if " OR " in expr.replace("/", " OR ") and " AND " not in expr:
            pick = next((i for i in ids if i in COMMON or i in FULL), None)
            if pick is None:
                sys.exit(f"copyright.py: no usable licence among {expr!r} ({c['name']})")
            chosen.add(pick)
        else:
            for i in ids:
                if i == "LLVM-exception":
                    continue
                if i not in COMMON and i not in FULL:
                    sys.exit(f"copyright.py: licence {i} of {c['name']} has no text here: add it")
                chosen.add(i)
        lines.append(f" {c['name']} {c['version']}: {expr}")
    chosen.add("GPL-2.0-or-later")

    print("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
    print("Upstream-Name: timed")
    print("Comment: The binaries timed and timectl are built from the crates")
    print(" " + ", ".join(c["name"] for c in own) + " (GPL-2.0-or-later) and link these")
    print(" Rust crates statically (name, version, licence as each crate declares it;")
    print(" chrony-candm is GPL-2.0-only, so the binaries as a whole are GPL-2.0-only):")
    print("\n".join(lines))
    print()
    print("Files: *")
    print(f"Copyright: {years} the timed authors")
    print("License: GPL-2.0-or-later")
    for lic in sorted(chosen):
        print()
        print(f"License: {lic}")
        if lic in COMMON:
            print(f" On Debian systems the full text is in /usr/share/common-licenses/{COMMON[lic]}.")
        else:
            print("\n".join((" " + line) if line else " ." for line in FULL[lic].split("\n")))


if __name__ == "__main__":
    main()
