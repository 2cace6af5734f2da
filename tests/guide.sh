#!/usr/bin/env bash
# The installation guide, executed as an owner would type it (issue 17):
#
#   bash tests/guide.sh      (as root; tests/run.sh runs it after tests/deb.sh)
#
# tests/lib/guide_blocks.py extracts the shell blocks of docs/install-raspberry-pi-os.md:
#   ```sh        run, in order, in ONE bash session (variables carry over, `set -euo pipefail`)
#                inside an arm64 Debian 12 userland (mmdebstrap; foreign binaries run under
#                qemu-user through a private binfmt_misc, tests/cross/binfmt_ns.py), from a
#                directory holding the arm64 .deb, with a fake /boot/firmware (Raspberry Pi OS's
#                config.txt and cmdline.txt) and a Pi 4's device-tree model (TIMECTL_MODEL_FILE);
#   ```sh build  run natively in this tree: they build that .deb (images/deb/build.sh arm64);
#   ```sh manual not run; they need what only the real box has. In the guide today:
#                the build machine's one-time set-up (apt, rustup, git clone), `usermod -aG timed`
#                plus a new login, `--pps off` variants (the test runs the PPS wiring), `reboot`,
#                the device checks after it (/dev/gps0, /dev/pps0, /proc/cmdline), `timectl pps`
#                and `ppstest` (real pulses), restarting chrony and `chronyc sources` (no systemd
#                here), client set-up on other machines, the privilege checks of the running unit.
#                The test prints each of them with its line.
# What stands in for the box, and why:
#   - no systemd as PID 1: `systemctl start|restart|stop timed` is a shim that does what the unit
#     does for the guide's purpose (/run/timed, user timed with its groups, `timed -c
#     /etc/timed/timed.toml`); `restart chrony` is a no-op; every other systemctl call is real.
#   - no receiver and no PPS: qemu-user cannot set a pty's line (no TCGETS2 translation, see
#     tests/cross/aarch64.skip), so no simulator can stand in for the receiver of an emulated timed;
#     timed runs without one (a degraded state, as on a Pi with the HAT unplugged) and
#     `timectl status`/`doctor` read that real state. The receiver path itself runs natively in
#     the lab tests (timectl's doctor and status_e2e).
# Checked after the run: every block succeeded; config.txt ends with the board's lines and
# `[all]`; cmdline.txt lost the serial console; the rendered timed.toml passed --check-config and
# timed started from it (doctor: timed-running ok); `timectl status` as a user outside group timed
# says to join it (and not to start timed); the upgrade kept the edited timed.toml (new default
# beside it as .dpkg-dist); the uninstall left no package and the boot files as they were. Every
# `timectl`/`timed` subcommand and --flag the guide names (run or not) exists in the packaged
# binaries: a command or flag that disappears fails here.
#
# Cost (shared 2-core machine): the arm64 userland is built once and cached as a tarball in
# ${TIMED_CACHE_DIR:-~/.cache/timed} (mmdebstrap under qemu: measured cold 4.6 min alone, 9 min while the machine was busy; 240 MB); then
# about 2.5 min per run, most of it apt and dpkg under qemu. The .deb comes from tests/deb.sh's
# build (target/deb), rebuilt incrementally if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/setup.sh
ensure_rust
ensure_apt mmdebstrap arch-test qemu-user-static gcc-aarch64-linux-gnu libc6-dev-arm64-cross dpkg-dev python3
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/guide.sh: builds and enters an arm64 userland: run as root" >&2
    exit 1
fi
fail() { echo "tests/guide.sh: FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
guide=docs/install-raspberry-pi-os.md
blocks() { python3 tests/lib/guide_blocks.py "$guide" "$@"; }
t0=$SECONDS

echo "-- $guide: blocks and commands (marker blocks commands)"
blocks summary | sed 's/^/  /'
blocks summary > "${TMPDIR:-/tmp}/guide-summary.$$"
echo "-- docs/install-nixos.md (not run here: it needs Nix with flakes, aarch64 builders, the board)"
python3 tests/lib/guide_blocks.py docs/install-nixos.md summary | sed 's/^/  /'
rm -f "${TMPDIR:-/tmp}/guide-summary.$$"
echo "-- blocks only the box can check"
blocks list manual | sed 's/^/  /'

echo "-- the build blocks, natively in this tree"
bash -c "$(blocks script build | sed 's/^guide_section .*//')" > /tmp/guide-build.$$ 2>&1 || { cat /tmp/guide-build.$$; fail "the build blocks"; }
deb=$(tail -n1 /tmp/guide-build.$$); rm -f /tmp/guide-build.$$
[ -f "$deb" ] || fail "the build blocks printed no .deb (got: $deb)"
ok "built $deb ($((SECONDS - t0)) s so far)"

echo "-- the arm64 userland (cached)"
cache=${TIMED_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/timed}
include=sudo,systemd,chrony,adduser,tzdata,ca-certificates,curl,util-linux
mirror=${GUIDE_MIRROR:-http://deb.debian.org/debian}
tar=$cache/guide-bookworm-arm64-$(echo "$include" | md5sum | cut -c1-8).tar
if [ ! -s "$tar" ]; then
    mkdir -p "$cache"
    t1=$SECONDS
    python3 tests/cross/binfmt_ns.py aarch64 mmdebstrap --quiet --mode=root --arch=arm64 --variant=apt \
        --include="$include" bookworm "${tar%.tar}.partial.tar" "$mirror" > "$cache/mmdebstrap.log" 2>&1 ||
        { tail -n 30 "$cache/mmdebstrap.log"; fail "mmdebstrap (log: $cache/mmdebstrap.log)"; }
    mv "${tar%.tar}.partial.tar" "$tar"
    ok "built $tar in $((SECONDS - t1)) s"
else
    ok "$tar"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/timed-guide.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
root=$work/root
mkdir "$root"
tar -C "$root" --numeric-owner -xpf "$tar"
home=$root/home/owner
mkdir -p "$home" "$root/boot/firmware" "$root/etc/timed-guide" "$root/usr/local/sbin"
cp "$deb" "$home/"
# The same package one version later, for the upgrade step: another default timed.toml too, so
# dpkg meets a conffile changed on both sides.
v=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$work/next"
sed -i "s/^Version: .*/Version: $v+guide1/" "$work/next/DEBIAN/control"
echo "# (the next version's default)" >> "$work/next/etc/timed/timed.toml"
(cd "$work/next" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
    > "$work/next/DEBIAN/md5sums"
mkdir -p "$root/etc/timed-guide/next"
dpkg-deb --root-owner-group -Zxz --build "$work/next" "$root/etc/timed-guide/next/timed_${v}+guide1_arm64.deb" > /dev/null

# Raspberry Pi OS bookworm's boot files (the parts that matter here) and a Pi 4's model string.
cat > "$root/boot/firmware/config.txt" <<'EOF'
# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
arm_64bit=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[all]
EOF
echo "console=serial0,115200 console=tty1 root=PARTUUID=8a438930-02 rootfstype=ext4 fsck.repair=yes rootwait quiet" \
    > "$root/boot/firmware/cmdline.txt"
cp "$root/boot/firmware/config.txt" "$work/config.txt.orig"
cp "$root/boot/firmware/cmdline.txt" "$work/cmdline.txt.orig"
printf 'Raspberry Pi 4 Model B Rev 1.4\0' > "$root/etc/timed-guide/model"

# systemctl stand-in (see the header): timed as its unit runs it, chrony's restart a no-op.
cat > "$root/usr/local/sbin/systemctl" <<'EOF'
#!/bin/sh
# tests/guide.sh: no systemd in this userland. start/restart/stop of timed as the unit does it.
pidf=/run/timed-guide.pid
stop() { [ -s $pidf ] && kill "$(cat $pidf)" 2>/dev/null; rm -f $pidf; sleep 0.5; }
case "$1 $2" in
"start timed"|"restart timed"|"start timed.service"|"restart timed.service")
    stop
    install -d -m 0755 -o timed -g timed /run/timed
    setpriv --reuid=timed --regid=timed --init-groups /usr/bin/timed -c /etc/timed/timed.toml \
        >> /var/log/timed-guide.log 2>&1 &
    echo $! > $pidf
    for _ in $(seq 100); do [ -S /run/timed/control.sock ] && exit 0; sleep 0.2; done
    echo "systemctl (guide stand-in): timed did not create its control socket" >&2; exit 1 ;;
"stop timed"|"stop timed.service") stop ;;
"restart chrony"|"start chrony"|"restart chrony.service") echo "(no systemd here: chrony not restarted)" ;;
*) exec /usr/bin/systemctl "$@" ;;
esac
EOF
chmod 0755 "$root/usr/local/sbin/systemctl"

# The guide's blocks, with the test's own steps at section boundaries.
{
    cat <<'EOF'
export TIMECTL_MODEL_FILE=/etc/timed-guide/model
cd /home/owner
guide_section() {
    echo "=== guide line $2 (section $1)"
    # The package's version and /etc/timed as each block starts.
    mkdir -p "/etc/timed-guide/at-$2"
    dpkg-query -W -f='${Version}' timed > "/etc/timed-guide/at-$2/version" 2>/dev/null || true
    cp -a /etc/timed/. "/etc/timed-guide/at-$2/" 2>/dev/null || true
    case "$1" in
    5) cp /boot/firmware/config.txt /boot/firmware/cmdline.txt /etc/timed/timed.toml /etc/timed-guide/ ;;
    9) timectl doctor > /etc/timed-guide/doctor.txt 2>&1 || true
       setpriv --reuid=nobody --regid=nogroup --clear-groups timectl status > /etc/timed-guide/status-nobody.txt 2>&1 || true ;;
    10) if [ -e /etc/timed-guide/next ]; then
            systemctl stop timed; rm -f timed_*_arm64.deb; mv /etc/timed-guide/next/*.deb .; rmdir /etc/timed-guide/next
        fi ;;
    esac
}
EOF
    blocks script run
    echo 'echo "=== guide done"'
} > "$root/etc/timed-guide/run.sh"
# The tools the guide names, checked against the packaged binaries (after the install).
blocks tools | while IFS= read -r l; do
    prog=${l%% *}; rest=${l#* }; subs=${rest%%::*}; flags=${rest#*::}
    echo "h=\$($prog $subs --help 2>&1) || { echo \"GUIDE-TOOL-MISSING: $prog $subs\"; exit 1; }"
    for f in $flags; do
        echo "printf '%s' \"\$h\" | grep -q -- '$f' || { echo \"GUIDE-FLAG-MISSING: $prog $subs $f\"; exit 1; }"
    done
done > "$root/etc/timed-guide/tools.sh"

echo "-- the guide's run blocks in the arm64 userland ($(grep -c . "$root/etc/timed-guide/run.sh") lines)"
t2=$SECONDS
set +e
python3 tests/cross/binfmt_ns.py aarch64 bash -c '
    set -e
    root=$1
    for d in proc sys dev; do mount --rbind /$d "$root/$d"; done
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    env -u QEMU_LD_PREFIX chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        HOME=/root USER=root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive bash /etc/timed-guide/run.sh
' guide "$root" > "$work/transcript" 2>&1
rc=$?
set -e
echo "  (${SECONDS}s total, $((SECONDS - t2)) s in the userland)"
if [ "$rc" -ne 0 ]; then
    tail -n 40 "$work/transcript" | sed 's/^/  | /'
    fail "a run block failed (exit $rc); the line above '=== guide line N' names its block"
fi
grep -q "^=== guide done" "$work/transcript" || fail "the guide did not run to its end"
ok "every run block succeeded"

state=$root/etc/timed-guide
want_cfg=$(cat "$work/config.txt.orig"; printf '[pi4]\nenable_uart=1\ndtoverlay=disable-bt\ndtoverlay=pps-gpio,gpiopin=18\n[all]\n')
[ "$(cat "$state/config.txt")" = "$want_cfg" ] || { diff <(echo "$want_cfg") "$state/config.txt"; fail "config.txt after step 4"; }
ok "config.txt: the board's lines appended, ending with [all]"
[ "$(cat "$state/cmdline.txt")" = "console=tty1 root=PARTUUID=8a438930-02 rootfstype=ext4 fsck.repair=yes rootwait quiet" ] ||
    fail "cmdline.txt after step 4: $(cat "$state/cmdline.txt")"
ok "cmdline.txt: serial console removed, the rest kept"
grep -q '^device = "/dev/ttyAMA0"' "$state/timed.toml" && grep -q '^baud = 9600' "$state/timed.toml" ||
    fail "timed.toml from the board: $(cat "$state/timed.toml")"
ok "timed.toml rendered for pi4b uart-hat"
grep -Eq '^ok +timed-running' "$state/doctor.txt" || { cat "$state/doctor.txt"; fail "doctor: timed not running"; }
grep -Eq '^ok +timed-config' "$state/doctor.txt" || { cat "$state/doctor.txt"; fail "doctor: timed-config"; }
grep -Eq '^FAIL +serial-device' "$state/doctor.txt" || { cat "$state/doctor.txt"; fail "doctor: no receiver not named"; }
ok "timectl doctor on the installed box: timed-config and timed-running ok, the missing receiver named"
grep -q "usermod -aG timed" "$state/status-nobody.txt" || { cat "$state/status-nobody.txt"; fail "status outside group timed"; }
if grep -q "start timed\|start chronyd" "$state/status-nobody.txt"; then cat "$state/status-nobody.txt"; fail "status outside group timed says start"; fi
ok "timectl status outside group timed: join the group (no 'start timed')"
# The block after the upgrade (the uninstall) starts with the upgraded package in place.
after=$(blocks list run | grep '(section 10)' | sed -n 2p | sed -E 's/^[^:]*:([0-9]+) .*/\1/')
[ -n "$after" ] && [ -d "$state/at-$after" ] || fail "no state recorded before the uninstall block (line '$after')"
[ "$(cat "$state/at-$after/version")" = "$v+guide1" ] ||
    fail "the upgrade installed $(cat "$state/at-$after/version"), not $v+guide1"
cmp -s "$state/timed.toml" "$state/at-$after/timed.toml" || fail "the upgrade replaced the edited timed.toml"
[ -f "$state/at-$after/timed.toml.dpkg-dist" ] || fail "upgrade: no timed.toml.dpkg-dist beside the kept file"
ok "upgrade to $v+guide1: the edited timed.toml kept, the new default beside it (.dpkg-dist)"
chroot_q() { env -u QEMU_LD_PREFIX python3 tests/cross/binfmt_ns.py aarch64 chroot "$root" "$@"; }
status=$(chroot_q /usr/bin/dpkg-query -W -f='${Status}' timed 2>/dev/null || true)
case "$status" in ""|*not-installed*|"unknown ok not-installed") ;; *) fail "after purge dpkg says: $status" ;; esac
cmp -s "$work/config.txt.orig" "$root/boot/firmware/config.txt" || fail "config.txt not restored"
cmp -s "$work/cmdline.txt.orig" "$root/boot/firmware/cmdline.txt" || fail "cmdline.txt not restored"
[ ! -e "$root/etc/timed/timed.toml" ] || fail "purge left /etc/timed/timed.toml"
ok "uninstall: package purged, config.txt and cmdline.txt as before"

echo "-- the subcommands and flags the guide names, in the packaged binaries"
# Reinstall for the check (the guide ended by purging).
cp "$deb" "$root/tmp/"
chroot_q /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    bash -c "apt-get install -y -qq /tmp/$(basename "$deb") > /dev/null 2>&1 && bash /etc/timed-guide/tools.sh" \
    > "$work/tools" 2>&1 || { cat "$work/tools"; fail "a command or flag of the guide is gone"; }
ok "$(grep -c . <(blocks tools)) distinct invocations checked"
echo "tests/guide.sh: ok ($((SECONDS - t0)) s)"
