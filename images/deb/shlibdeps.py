#!/usr/bin/env python3
"""Debian shared-library dependencies of ELF binaries, read from the ELF headers:

    shlibdeps.py BINARY...   →   libc6 (>= 2.34), libgcc-s1 (>= 4.2)

Each NEEDED library is mapped to its Debian package, at the newest symbol version the binaries
require from it (readelf's version-needs section). This works the same for a cross-built arm64
binary, where dpkg-shlibdeps would need arm64's libc6 installed; tests/deb.sh checks that it agrees
with dpkg-shlibdeps on the amd64 build. A library not in the table is an error: a new dependency
must be looked at, not guessed.
"""

import re
import subprocess
import sys

# soname → (Debian package, symbol-version prefix)
PACKAGES = {
    "libc.so.6": ("libc6", "GLIBC_"),
    "libm.so.6": ("libc6", "GLIBC_"),
    "libpthread.so.0": ("libc6", "GLIBC_"),
    "libdl.so.2": ("libc6", "GLIBC_"),
    "librt.so.1": ("libc6", "GLIBC_"),
    "libutil.so.1": ("libc6", "GLIBC_"),
    "ld-linux-x86-64.so.2": ("libc6", "GLIBC_"),
    "ld-linux-aarch64.so.1": ("libc6", "GLIBC_"),
    "ld-linux-armhf.so.3": ("libc6", "GLIBC_"),
    "libgcc_s.so.1": ("libgcc-s1", "GCC_"),
}


def readelf(flag, path):
    out = subprocess.run(["readelf", "-W", flag, path], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"shlibdeps.py: readelf {flag} {path}: {out.stderr.strip()}")
    return out.stdout


def version_key(v):
    return [int(x) for x in v.split(".")]


def debian_version(v):
    # Debian's symbols files write GCC_4.2.0 as 4.2 and GLIBC_2.2.5 as 2.2.5: trailing ".0" dropped
    # down to two components.
    parts = v.split(".")
    while len(parts) > 2 and parts[-1] == "0":
        parts.pop()
    return ".".join(parts)


def main():
    need = {}  # package → newest version
    for path in sys.argv[1:]:
        needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", readelf("-d", path))
        for lib in needed:
            if lib not in PACKAGES:
                sys.exit(f"shlibdeps.py: {path} needs {lib}, which has no Debian package in the table")
            need.setdefault(PACKAGES[lib][0], "0")
        current = None
        for line in readelf("-V", path).splitlines():
            m = re.search(r"File: (\S+)\s+Cnt:", line)
            if m:
                current = m.group(1)
                continue
            m = re.search(r"Name: (\S+)\s+Flags:", line)
            if m and current in PACKAGES:
                pkg, prefix = PACKAGES[current]
                if m.group(1).startswith(prefix):
                    v = m.group(1)[len(prefix):]
                    if version_key(v) > version_key(need.get(pkg, "0")):
                        need[pkg] = v
    deps = []
    for pkg in sorted(need):
        v = need[pkg]
        deps.append(pkg if v == "0" else f"{pkg} (>= {debian_version(v)})")
    print(", ".join(deps))


if __name__ == "__main__":
    main()
