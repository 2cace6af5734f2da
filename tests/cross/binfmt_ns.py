#!/usr/bin/env python3
"""Runs a command where foreign-architecture ELF files run under qemu-user, without touching the
machine's binfmt_misc:

    binfmt_ns.py aarch64|arm COMMAND...

The command runs in a new user namespace (identity-mapped: every uid and gid means what it means
outside, and root stays root for files and processes) with a new mount namespace holding a private
binfmt_misc instance (Linux >= 6.7 gives each user namespace its own) in which qemu-<arch>-static
is registered for that architecture's ELF files. So a test running under qemu can exec the
workspace's other binaries (also foreign ELF files) as it does natively. Nothing outside the
namespace changes: the host's /proc/sys/fs/binfmt_misc stays as it was.

Exit status: the command's; 77 if the kernel has no per-namespace binfmt_misc (then the caller
must skip the tests that need it, and say so).
"""

import ctypes
import os
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000

# ELF header magic and mask for 64-bit little-endian aarch64 (e_machine 183) and 32-bit
# little-endian arm (e_machine 40), as the qemu-user-static package registers them.
MAGIC = {
    "aarch64": (b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00",
                b"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
    "arm": (b"\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00",
            b"\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff"),
}
SYSROOT = {"aarch64": "/usr/aarch64-linux-gnu", "arm": "/usr/arm-linux-gnueabihf"}


def escape(b):
    return "".join(f"\\x{c:02x}" for c in b)


def child(arch, ready_w, go_r, argv):
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0:
        err = ctypes.get_errno()
        print(f"binfmt_ns.py: unshare: {os.strerror(err)}", file=sys.stderr)
        os._exit(77)
    os.write(ready_w, b"r")
    if os.read(go_r, 1) != b"g":
        os._exit(1)
    # Private propagation first, so that the mount below stays inside this namespace.
    if os.system("mount --make-rprivate / && mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc") != 0:
        print("binfmt_ns.py: no per-namespace binfmt_misc here (Linux >= 6.7 needed)", file=sys.stderr)
        os._exit(77)
    magic, mask = MAGIC[arch]
    interp = f"/usr/bin/qemu-{arch}-static"
    # F: the interpreter is opened now, so it need not be visible to the exec'ing process.
    rule = f":qemu-{arch}:M::{escape(magic)}:{escape(mask)}:{interp}:F"
    with open("/proc/sys/fs/binfmt_misc/register", "w") as f:
        f.write(rule)
    os.environ["QEMU_LD_PREFIX"] = SYSROOT[arch]
    os.execvp(argv[0], argv)


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in MAGIC:
        sys.exit("usage: binfmt_ns.py aarch64|arm COMMAND...")
    arch, argv = sys.argv[1], sys.argv[2:]
    ready_r, ready_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            child(arch, ready_w, go_r, argv)
        finally:
            os._exit(127)
    if os.read(ready_r, 1) != b"r":
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    # The parent (root in the initial namespace) may write any mapping: identity for all ids.
    for m in ("uid_map", "gid_map"):
        with open(f"/proc/{pid}/{m}", "w") as f:
            f.write("0 0 4294967295\n")
    os.write(go_w, b"g")
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
