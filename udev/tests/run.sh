#!/usr/bin/env bash
# Checks udev/60-timed.rules with udev's own rule engine (`udevadm test`, systemd 252), against
# a fake sysfs, in a private mount namespace: nothing on this machine's /dev, /sys or /run changes.
#
# What is real: the rules parser and executor of Debian's udev, the resulting device-node
# group/mode (on mknod'ed nodes in a tmpfs /dev), symlinks and link priority, and the sysfs
# attribute write for USB autosuspend. What is simulated: the devices (sysfs directories with
# uevent, dev, idVendor and power/control files shaped like the kernel's; systemd reads them
# when SYSTEMD_DEVICE_VERIFY_SYSFS=0, as its own test suite does). No udevd runs.
#
# `udevadm verify` (a rules linter) only exists from systemd 253; here every "ignoring" or
# "invalid" message that names our rules file fails the test, and a deliberately broken copy of
# the rules must be caught (self-check of that check).
#
# Needs root (mount namespace, mknod) and apt's `udev`. Exit 0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
cd "$(dirname "$0")/../.."
RULES=$PWD/udev/60-timed.rules

if [ "$(id -u)" -ne 0 ]; then
    echo "udev: SKIP: needs root for a private mount namespace"
    exit 77
fi
if ! command -v udevadm >/dev/null 2>&1; then
    . tests/lib/setup.sh
    ensure_apt udev
fi

if [ "${1:-}" != --inside ]; then
    exec unshare --mount --propagation private "$0" --inside "$@"
fi
shift

fail() {
    echo "udev: FAIL: $*"
    exit 1
}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# --- a private world: fake sysfs, empty /dev and /run, our rules, a group "timed" -------------
mount -t tmpfs none /sys
mount -t tmpfs none /dev
mount -t tmpfs none /run
mkdir -p "$WORK/rules"
cp "$RULES" "$WORK/rules/"
mount --bind "$WORK/rules" /etc/udev/rules.d
cp /etc/group "$WORK/group"
grep -q '^timed:' "$WORK/group" || echo 'timed:x:64999:' >>"$WORK/group"
mount --bind "$WORK/group" /etc/group
TIMED_GID=$(getent group timed | cut -d: -f3)
DIALOUT_GID=$(getent group dialout | cut -d: -f3)
mkdir -p /sys/class/tty /sys/class/pps /sys/bus/usb

# dev NAME SYSPATH SUBSYSTEM_LINK MAJOR MINOR [EXTRA_UEVENT]: a device with a node in /dev.
dev() {
    local name=$1 path=$2 subsys=$3 major=$4 minor=$5 extra=${6:-}
    mkdir -p "$path"
    printf 'MAJOR=%s\nMINOR=%s\nDEVNAME=%s\n%s' "$major" "$minor" "$name" "$extra" >"$path/uevent"
    echo "$major:$minor" >"$path/dev"
    ln -s "$subsys" "$path/subsystem"
    mkdir -p "/dev/$(dirname "$name")"
    mknod "/dev/$name" c "$major" "$minor"
}
# usb_device PATH VENDOR PRODUCT: a USB device with a power/control attribute. It starts empty:
# udev writes without O_TRUNC, which replaces a sysfs attribute's value but would only overwrite
# the start of a tmpfs file (the kernel's default value is "auto").
usb_device() {
    mkdir -p "$1/power"
    printf 'DEVTYPE=usb_device\nPRODUCT=%s/%s/100\n' "$2" "$3" >"$1/uevent"
    ln -s /sys/bus/usb "$1/subsystem"
    echo "$2" >"$1/idVendor"
    echo "$3" >"$1/idProduct"
    : >"$1/power/control"
    mkdir -p "$1/$(basename "$1"):1.0"
    printf 'DEVTYPE=usb_interface\n' >"$1/$(basename "$1"):1.0/uevent"
    ln -s /sys/bus/usb "$1/$(basename "$1"):1.0/subsystem"
}

UART=/sys/devices/platform/soc/fe201000.serial/tty/ttyAMA0
UBLOX=/sys/devices/platform/soc/fe980000.usb/usb1/1-1
OTHER=/sys/devices/platform/soc/fe980000.usb/usb1/1-2
dev ttyAMA0 "$UART" /sys/class/tty 204 64
usb_device "$UBLOX" 1546 01a9
dev ttyACM0 "$UBLOX/1-1:1.0/tty/ttyACM0" /sys/class/tty 166 0
usb_device "$OTHER" 067b 2303
dev ttyACM1 "$OTHER/1-2:1.0/tty/ttyACM1" /sys/class/tty 166 1
dev pps0 /sys/devices/virtual/pps/pps0 /sys/class/pps 250 0
dev pps1 /sys/devices/virtual/pps/pps1 /sys/class/pps 250 1

LOG=$WORK/udevadm.log
# event ACTION SYSPATH: one udev event, its log appended to $LOG.
event() {
    echo "### $1 $2" >>"$LOG"
    SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action="$1" "$2" >>"$LOG" 2>&1 ||
        fail "udevadm test $1 $2 failed: $(tail -5 "$LOG")"
}
owner() { stat -c '%g %a' "$1"; }
link() { readlink "$1" || echo none; }

# 1. Pi UART alone: /dev/gps0 -> ttyAMA0, dialout 0660.
event add "$UART"
[ "$(link /dev/gps0)" = ttyAMA0 ] || fail "UART: /dev/gps0 -> $(link /dev/gps0), want ttyAMA0"
[ "$(owner /dev/ttyAMA0)" = "$DIALOUT_GID 660" ] || fail "ttyAMA0 is $(owner /dev/ttyAMA0)"
echo "udev: ok: Pi UART ttyAMA0 -> /dev/gps0, group dialout, 0660"

# 2. u-blox on USB: autosuspend off on the USB device; its tty takes /dev/gps0 from the UART.
event add "$UBLOX"
[ "$(cat "$UBLOX/power/control")" = on ] || fail "u-blox power/control is $(cat "$UBLOX/power/control")"
# `udevadm trigger` after installing sends "change": a receiver already plugged in gets it too.
: >"$UBLOX/power/control"
event change "$UBLOX"
[ "$(cat "$UBLOX/power/control")" = on ] || fail "change event: power/control is $(cat "$UBLOX/power/control")"
event add "$UBLOX/1-1:1.0/tty/ttyACM0"
[ "$(link /dev/gps0)" = ttyACM0 ] || fail "USB: /dev/gps0 -> $(link /dev/gps0), want ttyACM0"
[ "$(owner /dev/ttyACM0)" = "$DIALOUT_GID 660" ] || fail "ttyACM0 is $(owner /dev/ttyACM0)"
# A later UART event must not take it back (link_priority=10 beats the UART's 0).
event change "$UART"
[ "$(link /dev/gps0)" = ttyACM0 ] || fail "UART change event took /dev/gps0: -> $(link /dev/gps0)"
echo "udev: ok: u-blox USB (1546:01a9) ttyACM0 -> /dev/gps0 over the UART; power/control=on"

# 3. Another vendor's USB serial device: no /dev/gps0, autosuspend untouched.
event add "$OTHER"
event add "$OTHER/1-2:1.0/tty/ttyACM1"
[ -z "$(cat "$OTHER/power/control")" ] || fail "067b device's power/control was changed"
[ "$(link /dev/gps0)" = ttyACM0 ] || fail "ttyACM1 (067b) took /dev/gps0"
grep -q "ttyACM1: .*60-timed.rules.*LINK" "$LOG" && fail "a 60-timed.rules LINK applied to ttyACM1"
echo "udev: ok: other vendor (067b) ignored"

# 4. USB receiver unplugged: /dev/gps0 falls back to the UART.
rm -f /dev/ttyACM0
event remove "$UBLOX/1-1:1.0/tty/ttyACM0"
[ "$(link /dev/gps0)" = ttyAMA0 ] || fail "after removing ttyACM0, /dev/gps0 -> $(link /dev/gps0)"
echo "udev: ok: unplugging the USB receiver returns /dev/gps0 to the UART"

# 5. PPS devices: group timed, 0640.
event add /sys/devices/virtual/pps/pps0
event add /sys/devices/virtual/pps/pps1
for p in pps0 pps1; do
    [ "$(owner /dev/$p)" = "$TIMED_GID 640" ] || fail "/dev/$p is $(owner /dev/$p), want gid $TIMED_GID 0640"
done
echo "udev: ok: /dev/pps0 and /dev/pps1 group timed, 0640"

# 6. Nothing in our rules was ignored or rejected by the parser.
if grep -E "60-timed\.rules" "$LOG" | grep -iE "invalid|ignor|unknown|error|fail"; then
    fail "udev complained about 60-timed.rules (above)"
fi
# Self-check: the same grep catches a broken rule.
printf 'SUBSYSTEM=="tty", ATTRS{idVendor}=="1546", SYMLNK+="x"\nKERNEL=="pps0", GROUP="no-such-group-x"\n' \
    >>"$WORK/rules/60-timed.rules"
SYSTEMD_DEVICE_VERIFY_SYSFS=0 udevadm test --action=add /sys/devices/virtual/pps/pps0 >"$WORK/broken.log" 2>&1 || true
if ! grep -E "60-timed\.rules" "$WORK/broken.log" | grep -qiE "invalid|ignor|unknown"; then
    fail "self-check: a misspelt key and an unknown group went unnoticed: $(grep 60-timed "$WORK/broken.log")"
fi
echo "udev: ok: no parser complaints (and a broken rule would have been caught)"
echo "udev: PASS"
