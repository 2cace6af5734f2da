#!/usr/bin/env bash
# Real-kernel proof of timed's kernel PPS input (timed/daemon/src/pps/{kernel,reader}.rs).
#
# Boots Debian's own kernel in QEMU (TCG, no KVM needed) with a busybox initramfs. Inside, the
# kernel's pps_parport client turns the emulated parallel port's interrupt into assert edges on
# /dev/pps0, a tiny static helper (strobe.c) fires that interrupt once per second, and
# timed-pps-probe — timed's reader, built statically — prints the edges it fetches with the
# RFC 2783 ioctls. This script then checks them: at least 5 consecutive assert edges, about 1 s
# apart (0.9–1.1 s), sequence numbers strictly increasing.
#
# Idempotent. Caches under target/qemu-pps/: the kernel (only vmlinuz and the needed modules are
# kept), the static probe build and the strobe helper. Needs apt for qemu-system-x86,
# busybox-static, cpio and gcc if missing (root), and apt's mirror for the kernel package.
#
# Environment: TIMED_QEMU_KERNEL=linux-image-X-amd64 picks the kernel package (default: what
# linux-image-amd64 depends on); TIMED_QEMU_TIMEOUT=seconds bounds the VM run (default 180).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/setup.sh

OUT=$PWD/target/qemu-pps
VM_TIMEOUT=${TIMED_QEMU_TIMEOUT:-180}
# The PPS client and what the strobe needs; their module dependencies are added below.
MODULES=(parport_pc pps_parport)
mkdir -p "$OUT"

log() { echo "qemu-pps: $*" >&2; }
fail() {
    echo "qemu-pps: FAIL: $*"
    exit 1
}

ensure_rust
ensure_apt qemu-system-x86 busybox-static cpio gcc libc6-dev

# --- The kernel: Debian's generic amd64 image, downloaded once. --------------------------------
kernel_package() {
    if [ -n "${TIMED_QEMU_KERNEL:-}" ]; then
        echo "$TIMED_QEMU_KERNEL"
        return
    fi
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

PKG=$(kernel_package)
if [ -z "$PKG" ]; then
    need_root "apt-get update"
    $SUDO apt-get update -qq
    PKG=$(kernel_package)
fi
if [ -z "$PKG" ]; then
    # Offline with empty package lists: reuse whatever kernel is cached.
    PKG=$(find "$OUT/kernel" -mindepth 2 -maxdepth 2 -name .complete 2>/dev/null |
        sed 's|/.complete$||; s|.*/||' | sort -V | tail -n 1)
fi
[ -n "$PKG" ] || fail "cannot find a linux-image-*-amd64 package (apt-cache depends linux-image-amd64)"
KDIR=$OUT/kernel/$PKG

# modfile TREE NAME: the module file for NAME (modules name themselves with '_', files may use '-').
modfile() {
    find "$1" \( -name "$2.ko" -o -name "${2//_/-}.ko" \) -print -quit
}

fetch_kernel() {
    local tmp tree kver
    tmp=$(mktemp -d "$OUT/kernel-download.XXXXXX")
    log "downloading $PKG"
    # APT's sandbox user cannot write to our directory when we are root; it is only a download.
    (cd "$tmp" && timeout 600 apt-get download -q -o APT::Sandbox::User=root "$PKG" >/dev/null)
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    tree=$(find "$tmp/x" -maxdepth 4 -type d -path '*lib/modules/*' -print -quit)
    [ -n "$tree" ] || fail "$PKG has no lib/modules"
    kver=$(basename "$tree")
    mkdir -p "$tmp/k/modules"
    cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz"
    echo "$kver" >"$tmp/k/kver"

    # Each module after its dependencies, read from the "depends=" entry of its .modinfo.
    local -A seen=()
    local order=()
    visit() {
        local name=$1 f dep
        [ -z "${seen[$name]:-}" ] || return 0
        seen[$name]=1
        f=$(modfile "$tree" "$name")
        if [ -z "$f" ]; then
            # Built into the kernel (e.g. pps_core with CONFIG_PPS=y): nothing to load.
            grep -q "/${name}.ko$\|/${name//_/-}.ko$" "$tree/modules.builtin" && return 0
            fail "module $name is neither in $PKG nor built in"
        fi
        case "$f" in *.ko) ;; *) fail "$f: compressed modules are not supported" ;; esac
        for dep in $(tr '\0' '\n' <"$f" | sed -n 's/^depends=//p' | tr ',' ' '); do
            visit "$dep"
        done
        cp "$f" "$tmp/k/modules/"
        order+=("$(basename "$f")")
    }
    for m in "${MODULES[@]}"; do visit "$m"; done
    printf '%s\n' "${order[@]}" >"$tmp/k/modules/load-order"

    rm -rf "$KDIR"
    mkdir -p "$(dirname "$KDIR")"
    mv "$tmp/k" "$KDIR"
    touch "$KDIR/.complete"
    rm -rf "$tmp"
}
[ -f "$KDIR/.complete" ] || fetch_kernel
log "kernel $PKG ($(cat "$KDIR/kver")), modules: $(tr '\n' ' ' <"$KDIR/modules/load-order")"

# --- The guest programs: timed-pps-probe (static) and the strobe helper. -----------------------
# Own target directory and profile overrides, so this neither rebuilds nor disturbs the
# workspace's usual build. RUSTFLAGS apply to the target only (--target), not to build scripts.
log "building timed-pps-probe (static)"
CARGO_TARGET_DIR=$OUT/cargo RUSTFLAGS='-C target-feature=+crt-static' \
    CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=symbols \
    timeout 1200 cargo build -q --release --target x86_64-unknown-linux-gnu -p timed --bin timed-pps-probe
PROBE=$OUT/cargo/x86_64-unknown-linux-gnu/release/timed-pps-probe
if [ ! -x "$OUT/strobe" ] || [ tests/qemu-pps/strobe.c -nt "$OUT/strobe" ]; then
    gcc -static -O2 -Wall -Wextra -o "$OUT/strobe" tests/qemu-pps/strobe.c
fi

# --- The initramfs. -----------------------------------------------------------------------------
ROOTFS=$OUT/initramfs
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$ROOTFS/bin/busybox"
for applet in sh mount insmod poweroff cat uname; do ln -s busybox "$ROOTFS/bin/$applet"; done
cp "$PROBE" "$OUT/strobe" "$ROOTFS/bin/"
cp "$KDIR"/modules/* "$ROOTFS/lib/modules/"
cp tests/qemu-pps/init "$ROOTFS/init"
chmod 755 "$ROOTFS/init"
(cd "$ROOTFS" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT/initrd.gz"

# --- Boot. --------------------------------------------------------------------------------------
# The default PC machine has an ISA parallel port at 0x378, IRQ 7; -nographic connects it to a
# null backend (-parallel none would remove it). Console on ttyS0 = this process's stdout.
log "booting (timeout ${VM_TIMEOUT} s)"
CONSOLE=$OUT/console.log
start=$(date +%s)
rc=0
timeout --kill-after=5 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot \
    -kernel "$KDIR/vmlinuz" -initrd "$OUT/initrd.gz" \
    -append 'console=ttyS0 panic=-1 quiet' </dev/null >"$CONSOLE" 2>&1 || rc=$?
log "VM ran $(($(date +%s) - start)) s, exit $rc"
tr -d '\r' <"$CONSOLE" >"$CONSOLE.txt"

# --- Check. -------------------------------------------------------------------------------------
show_console() {
    echo "---- guest console (last 40 lines) ----"
    tail -n 40 "$CONSOLE.txt"
    echo "----"
}
[ "$rc" -eq 0 ] || {
    show_console
    fail "QEMU exited with $rc (124: timed out after ${VM_TIMEOUT} s)"
}
grep -q '^@@timed-qemu-pps: probe end rc=' "$CONSOLE.txt" || {
    show_console
    fail "the guest never finished the probe"
}
sed -n '/^@@timed-qemu-pps: probe begin/,/^@@timed-qemu-pps: probe end/p' "$CONSOLE.txt" |
    grep '^{.*}$' >"$OUT/edges.jsonl" || true
echo "== edges from /dev/pps0 in the guest"
cat "$OUT/edges.jsonl"
grep -q '^@@timed-qemu-pps: probe end rc=0$' "$CONSOLE.txt" || {
    show_console
    fail "timed-pps-probe failed in the guest"
}

# field NAME LINE: a number or string field of one JSON line (serde_json sorts keys, so no order).
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([-0-9a-z]*\).*/\1/p" <<<"$2"; }
best=0
run=0
prev_seq=
prev_ns=
n=0
while read -r line; do
    seq=$(field seq "$line")
    ns=$(field assert_ns "$line")
    src=$(field source "$line")
    [ -n "$seq" ] && [ -n "$ns" ] || fail "malformed edge line: $line"
    [ "$src" = kernel ] || fail "edge not from the kernel: $line"
    n=$((n + 1))
    if [ -z "$prev_seq" ]; then
        run=1
    else
        [ "$seq" -gt "$prev_seq" ] || fail "sequence number not increasing: $prev_seq then $seq"
        dt=$((ns - prev_ns))
        if [ "$seq" -eq $((prev_seq + 1)) ] && [ "$dt" -ge 900000000 ] && [ "$dt" -le 1100000000 ]; then
            run=$((run + 1))
        else
            log "break in the edge run: seq $prev_seq -> $seq, ${dt} ns apart"
            run=1
        fi
    fi
    [ "$run" -le "$best" ] || best=$run
    prev_seq=$seq
    prev_ns=$ns
done <"$OUT/edges.jsonl"

if [ "$best" -ge 5 ]; then
    echo "qemu-pps: PASS: $n kernel assert edges, $best consecutive ~1 s apart (kernel $(cat "$KDIR/kver"))"
else
    show_console
    fail "only $best consecutive assert edges 0.9-1.1 s apart (of $n); need 5"
fi
