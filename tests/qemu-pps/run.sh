#!/usr/bin/env bash
# Real-kernel proof of timed's kernel PPS input (timed/daemon/src/pps/{kernel,reader}.rs).
#
# Boots Debian's own kernel in QEMU (TCG, no KVM needed) with a busybox initramfs. Inside, the
# kernel's pps_parport client turns the emulated parallel port's interrupt into assert edges on
# /dev/pps0, a tiny static helper (strobe.c) fires that interrupt once per second, and
# timed-pps-probe — timed's reader, built statically — prints the edges it fetches with the
# RFC 2783 ioctls. This script then checks them: at least 5 consecutive assert edges, about 1 s
# apart (0.9–1.1 s), sequence numbers strictly increasing. A second probe runs while the guest
# unloads and reloads pps_parport: the reader must report the device lost, reopen the new
# /dev/pps0, and keep its sequence numbers increasing.
#
# Idempotent. Caches under target/qemu-pps/: the kernel (only vmlinuz and the needed modules are
# kept), the static probe build and the strobe helper. Needs apt for qemu-system-x86,
# busybox-static, cpio and gcc if missing (root), and apt's mirror for the kernel package.
#
# Exit status: 0 PASS, 1 FAIL, 77 SKIP (cannot run here: not Debian-like, or packages missing and
# no root to install them).
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
# Exit 77 (the automake convention for "skipped") when this machine cannot run the test at all;
# anything else that goes wrong is a failure.
skip() {
    echo "qemu-pps: SKIP: $*"
    exit 77
}

# One run at a time: concurrent runs would rebuild the same initramfs under each other.
exec 9>"$OUT/.lock"
flock 9

PACKAGES=(qemu-system-x86 busybox-static cpio gcc libc6-dev)
command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 ||
    skip "needs a Debian-like system (apt-get, dpkg-deb) to fetch Debian's kernel"
missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ] && ! sudo -n true 2>/dev/null; then
    skip "not root and no password-less sudo to install ${missing[*]}"
fi
ensure_rust
ensure_apt "${PACKAGES[@]}"

# --- The kernel: Debian's generic amd64 image, downloaded once. --------------------------------
kernel_package() {
    if [ -n "${TIMED_QEMU_KERNEL:-}" ]; then
        echo "$TIMED_QEMU_KERNEL"
        return
    fi
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

newest_cached_kernel() {
    find "$OUT/kernel" -mindepth 2 -maxdepth 2 -name .complete 2>/dev/null |
        sed 's|/.complete$||; s|.*/||' | sort -V | tail -n 1
}

apt_update() {
    if [ "$(id -u)" -eq 0 ] || sudo -n true 2>/dev/null; then
        need_root "apt-get update"
        log "apt-get update"
        $SUDO apt-get update -qq || true
    fi
}

# modfile TREE NAME: the module file for NAME (modules name themselves with '_', files may use
# '-'; newer Debian kernels compress them).
modfile() {
    find "$1" \( -name "$2.ko" -o -name "$2.ko.xz" -o -name "${2//_/-}.ko" -o -name "${2//_/-}.ko.xz" \) \
        -print -quit
}

# fetch_kernel PKG: downloads PKG and keeps vmlinuz plus the modules we load, in load order.
# Returns non-zero (leaving no cache entry) if the package cannot be downloaded.
fetch_kernel() {
    local pkg=$1 tmp tree kver
    tmp=$(mktemp -d "$OUT/kernel-download.XXXXXX")
    log "downloading $pkg"
    # APT's sandbox user cannot write to our directory when we are root; it is only a download.
    if ! (cd "$tmp" && timeout 600 apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null); then
        rm -rf "$tmp"
        return 1
    fi
    dpkg-deb -x "$tmp"/*.deb "$tmp/x"
    tree=$(find "$tmp/x" -maxdepth 4 -type d -path '*lib/modules/*' ! -path '*lib/modules/*/*' -print -quit)
    [ -n "$tree" ] || fail "$pkg has no lib/modules"
    kver=$(basename "$tree")
    mkdir -p "$tmp/k/modules"
    cp "$tmp/x/boot/vmlinuz-$kver" "$tmp/k/vmlinuz"
    echo "$kver" >"$tmp/k/kver"

    # Each module after its dependencies, read from the "depends=" entry of its .modinfo.
    local -A seen=()
    local order=()
    visit() {
        local name=$1 f ko dep
        [ -z "${seen[$name]:-}" ] || return 0
        seen[$name]=1
        f=$(modfile "$tree" "$name")
        if [ -z "$f" ]; then
            # Built into the kernel (e.g. pps_core with CONFIG_PPS=y): nothing to load.
            grep -q "/${name}.ko$\|/${name//_/-}.ko$" "$tree/modules.builtin" && return 0
            fail "module $name is neither in $pkg nor built in"
        fi
        ko=$tmp/k/modules/$(basename "${f%.xz}")
        case "$f" in
        *.xz) xz -dc "$f" >"$ko" ;; # busybox insmod wants the plain ELF
        *) cp "$f" "$ko" ;;
        esac
        for dep in $(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | tr ',' ' '); do
            visit "$dep"
        done
        order+=("$(basename "$ko")")
    }
    for m in "${MODULES[@]}"; do visit "$m"; done
    printf '%s\n' "${order[@]}" >"$tmp/k/modules/load-order"

    rm -rf "${OUT:?}/kernel/$pkg"
    mkdir -p "$OUT/kernel"
    mv "$tmp/k" "$OUT/kernel/$pkg"
    touch "$OUT/kernel/$pkg/.complete"
    rm -rf "$tmp"
}

PKG=$(kernel_package)
if [ -z "$PKG" ]; then
    apt_update # empty package lists (a fresh container)
    PKG=$(kernel_package)
fi
if [ -n "$PKG" ] && [ ! -f "$OUT/kernel/$PKG/.complete" ] && ! fetch_kernel "$PKG"; then
    # Stale package lists name a kernel the mirror no longer has: refresh once and retry.
    apt_update
    PKG=$(kernel_package)
    [ -z "$PKG" ] || [ -f "$OUT/kernel/$PKG/.complete" ] || fetch_kernel "$PKG" || PKG=
fi
if [ -z "$PKG" ] || [ ! -f "$OUT/kernel/$PKG/.complete" ]; then
    # No mirror: fall back to whatever kernel an earlier run cached.
    PKG=$(newest_cached_kernel)
    [ -n "$PKG" ] || fail "cannot download a linux-image-*-amd64 package (apt-cache depends linux-image-amd64)"
    log "using the cached $PKG"
fi
KDIR=$OUT/kernel/$PKG
log "kernel $PKG ($(cat "$KDIR/kver")), modules: $(tr '\n' ' ' <"$KDIR/modules/load-order")"

# --- The guest programs: timed-pps-probe (static) and the strobe helper. -----------------------
# Own target directory and profile overrides, so this neither rebuilds nor disturbs the
# workspace's usual build. RUSTFLAGS apply to the target only (--target), not to build scripts.
log "building timed-pps-probe (static)"
unset CARGO_ENCODED_RUSTFLAGS # it would override RUSTFLAGS
CARGO_TARGET_DIR=$OUT/cargo RUSTFLAGS='-C target-feature=+crt-static' \
    CARGO_PROFILE_DEV_DEBUG=0 CARGO_PROFILE_DEV_STRIP=symbols \
    timeout 1200 cargo build -q --target x86_64-unknown-linux-gnu -p timed --bin timed-pps-probe
# (A dev build: the kernel stamps the edges, the probe's speed does not matter, and it builds in a
# fraction of a release build's time on a 2-core CI machine.)
PROBE=$OUT/cargo/x86_64-unknown-linux-gnu/debug/timed-pps-probe
if [ ! -x "$OUT/strobe" ] || [ tests/qemu-pps/strobe.c -nt "$OUT/strobe" ]; then
    gcc -static -O2 -Wall -Wextra -o "$OUT/strobe" tests/qemu-pps/strobe.c
fi

# --- The initramfs. -----------------------------------------------------------------------------
ROOTFS=$OUT/initramfs
rm -rf "$ROOTFS"
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,lib/modules}
cp "$(command -v busybox || echo /bin/busybox)" "$ROOTFS/bin/busybox"
for applet in sh mount insmod rmmod kill sleep poweroff uname; do ln -s busybox "$ROOTFS/bin/$applet"; done
cp "$PROBE" "$OUT/strobe" "$ROOTFS/bin/"
cp "$KDIR"/modules/* "$ROOTFS/lib/modules/"
cp tests/qemu-pps/init "$ROOTFS/init"
chmod 755 "$ROOTFS/init"
(cd "$ROOTFS" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$OUT/initrd.gz"

# --- Boot. --------------------------------------------------------------------------------------
# The default PC machine has an ISA parallel port at 0x378, IRQ 7; -nographic connects it to a
# null backend (-parallel none would remove it). Console on ttyS0 = this process's stdout.
# -nic none: no network card, so no iPXE option ROM to wait for.
log "booting (timeout ${VM_TIMEOUT} s)"
CONSOLE=$OUT/console.log
start=$(date +%s)
rc=0
timeout --kill-after=5 "$VM_TIMEOUT" qemu-system-x86_64 -accel tcg -m 256 -nographic -no-reboot -nic none \
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
grep -q '^@@timed-qemu-pps: reload end rc=' "$CONSOLE.txt" || {
    show_console
    fail "the guest never finished the probes"
}
# section NAME: the guest console between "NAME begin" and "NAME end rc=N".
section() { sed -n "/^@@timed-qemu-pps: $1 begin/,/^@@timed-qemu-pps: $1 end/p" "$CONSOLE.txt"; }
section steady | grep '^{.*}$' >"$OUT/edges.jsonl" || true
section reload | grep '^{.*}$' >"$OUT/reload.jsonl" || true
echo "== edges from /dev/pps0 in the guest"
cat "$OUT/edges.jsonl"
for s in steady reload; do
    grep -q "^@@timed-qemu-pps: $s end rc=0$" "$CONSOLE.txt" || {
        show_console
        fail "timed-pps-probe failed in the guest ($s)"
    }
done

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

[ "$best" -ge 5 ] || {
    show_console
    fail "only $best consecutive assert edges 0.9-1.1 s apart (of $n); need 5"
}

# The reload: lost once, reopened, and the sequence numbers still strictly increasing although
# the new device counts from 0 again.
echo "== across rmmod/insmod pps_parport"
section reload | grep '^timed-pps-probe: ' || true
cat "$OUT/reload.jsonl"
section reload | grep -q '^timed-pps-probe: PPS device lost, reopening: /dev/pps0: ' ||
    fail "the reader did not report the removed device as lost"
[ "$(section reload | grep -c '^timed-pps-probe: /dev/pps0: opened')" -ge 2 ] ||
    fail "the reader did not reopen the device after it came back"
prev=
while read -r line; do
    seq=$(field seq "$line")
    [ -z "$prev" ] || [ "$seq" -gt "$prev" ] || fail "sequence number not increasing across the reload: $prev then $seq"
    prev=$seq
done <"$OUT/reload.jsonl"

echo "qemu-pps: PASS: $n kernel assert edges, $best consecutive ~1 s apart; device loss and reopen" \
    "detected (kernel $(cat "$KDIR/kver"))"
