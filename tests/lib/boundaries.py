"""The source checks behind tests/boundaries.sh: python3 tests/lib/boundaries.py CHECK ROOT.

CHECK is one of:
  core-deps  timed-core's normal and build dependencies are exactly memchr (the core is sans-IO)
  unsafe     every crate root, fuzz targets included, forbids unsafe code (the daemon's library
             denies it), and `unsafe` and unsafe_code lint exemptions appear only where
             docs/architecture.md says
  headers    every lib.rs and main.rs opens with a //! doc naming what it owns and what it must
             not depend on; every other binary opens with a //! doc

Each failure is printed as `boundaries: FILE: what is wrong`, FILE relative to ROOT, and the
exit status is 1. Workspace targets come from `cargo metadata --no-deps`, so a new crate, binary,
test or bench is checked without editing this file.
"""

import json
import os
import re
import subprocess
import sys

CORE_DEPS = ["memchr"]
# The only modules that may use `unsafe`, and where their exemption is declared.
UNSAFE_MODULES = {
    "timed/daemon/src/pps/kernel.rs": ("timed/daemon/src/pps/mod.rs", "kernel"),
    "timed/daemon/src/chrony/shm_sys.rs": ("timed/daemon/src/chrony/mod.rs", "shm_sys"),
}
# The one crate root that denies rather than forbids: forbid could not be lifted for the two
# modules above.
DENY_ROOTS = {"timed/daemon/src/lib.rs"}

failures = []


def fail(path, what):
    failures.append(f"boundaries: {path}: {what}")


# The fuzz targets are a workspace of their own (built only by the fuzzer); their roots are
# crate roots all the same.
MANIFESTS = ["Cargo.toml", "timed/core/fuzz/Cargo.toml"]


def metadata(root, manifest="Cargo.toml"):
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline", "--manifest-path",
         os.path.join(root, manifest)],
        cwd=root, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def rel(root, path):
    return os.path.relpath(path, root)


def check_core_deps(root, meta):
    core = next(p for p in meta["packages"] if p["name"] == "timed-core")
    deps = sorted(d["name"] for d in core["dependencies"] if d["kind"] != "dev")
    if deps != CORE_DEPS:
        fail(rel(root, core["manifest_path"]),
             f"timed-core's non-dev dependencies are {deps or 'none'}, expected exactly {CORE_DEPS}: "
             "the core is sans-IO (no async runtime, no I/O crates); do the I/O in the daemon")


# Comments, strings and char literals are skipped so that prose about `unsafe` is not code.
TOKENS = re.compile(
    r"""(?P<skip>/\*.*?\*/|//[^\n]*|b?r(?P<h>\#*)".*?"(?P=h)|b?"(?:\\.|[^"\\])*"
          |b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^'\\\n])')
       |(?P<lint>\#!?\[\s*(?P<level>allow|expect|warn|deny|forbid)\s*\(\s*unsafe_code\b)
       |(?P<kw>\bunsafe\b)""",
    re.S | re.X,
)


def code_tokens(text):
    for m in TOKENS.finditer(text):
        if m.group("skip"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        yield line, m.group("level"), m.group("kw") is not None


def rust_files(root):
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, "timed")):
        dirnames[:] = [d for d in dirnames if d not in ("target", "corpus", "artifacts")]
        for f in filenames:
            if f.endswith(".rs"):
                yield os.path.join(dirpath, f)


def check_unsafe(root, meta):
    roots = {}
    for m in [meta] + [metadata(root, f) for f in MANIFESTS[1:]]:
        for p in m["packages"]:
            for t in p["targets"]:
                roots[rel(root, t["src_path"])] = t["name"]
    for path in sorted(roots):
        want = "deny" if path in DENY_ROOTS else "forbid"
        text = open(os.path.join(root, path), encoding="utf-8").read()
        if not re.search(r"^#!\[\s*" + want + r"\s*\(\s*unsafe_code\s*\)\s*\]", text, re.M):
            fail(path, f"crate root of `{roots[path]}` lacks #![{want}(unsafe_code)]")
    declared = {decl: module for decl, module in UNSAFE_MODULES.values()}
    for full in sorted(rust_files(root)):
        path = rel(root, full)
        text = open(full, encoding="utf-8").read()
        for line, level, kw in code_tokens(text):
            if kw and path not in UNSAFE_MODULES:
                fail(f"{path}:{line}", "`unsafe` outside the two unsafe modules "
                     f"({', '.join(sorted(UNSAFE_MODULES))}); see docs/architecture.md")
            if level in ("allow", "expect", "warn"):
                module = declared.get(path)
                ok = module and re.match(
                    r"#\[expect\(\s*unsafe_code\s*,[^\]]*\]\s*(pub(\([^)]*\))?\s+)?mod\s+" + module + r"\s*;",
                    text[text_offset(text, line):],
                )
                if not ok:
                    fail(f"{path}:{line}", f"#[{level}(unsafe_code)] lifts the ban on unsafe; only the "
                         "declarations of the two unsafe modules may, as #[expect(unsafe_code, reason)]")
    for module in UNSAFE_MODULES:
        if not os.path.exists(os.path.join(root, module)):
            fail(module, "the unsafe module is gone: update UNSAFE_MODULES and docs/architecture.md")


def text_offset(text, line):
    """Offset of the start of the 1-based `line` in `text`."""
    off = 0
    for _ in range(line - 1):
        off = text.index("\n", off) + 1
    return off


def leading_doc(text):
    lines = []
    for line in text.splitlines():
        if not line.startswith("//!"):
            break
        lines.append(line)
    return "\n".join(lines)


def check_headers(root, meta):
    for p in meta["packages"]:
        for t in p["targets"]:
            if not set(t["kind"]) & {"lib", "bin"}:
                continue
            path = rel(root, t["src_path"])
            doc = leading_doc(open(t["src_path"], encoding="utf-8").read())
            if not doc:
                fail(path, "does not open with a //! doc saying what it is")
                continue
            if os.path.basename(path) in ("lib.rs", "main.rs"):
                for word in ("owns", "must not"):
                    if word not in doc.lower():
                        fail(path, f"its //! doc does not say what it {word}"
                             + (" depend on" if word == "must not" else "")
                             + " (write `Owns:` and `Must not depend on:`)")


def main():
    check, root = sys.argv[1], os.path.abspath(sys.argv[2])
    meta = metadata(root)
    {"core-deps": check_core_deps, "unsafe": check_unsafe, "headers": check_headers}[check](root, meta)
    for f in failures:
        print(f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
