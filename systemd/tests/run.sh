#!/usr/bin/env bash
# Checks the files in systemd/ with the real tools (Debian 12: systemd 252, chrony 4.3); no
# systemd runs as PID 1 here, so the unit itself is never started by a service manager.
#
#  1. `systemd-analyze security --offline=true` on timed.service: exposure must stay <= 2.0.
#  2. `systemd-analyze verify --root` on timed.service, timed-secrets.service, timed-nts-cert.service
#     (issue 16), and on Debian's chrony.service with our drop-in (which wants both): any complaint
#     (unknown key, bad value, missing executable) fails. verify exits 0 on "ignoring" messages,
#     so its output must be empty.
#  3. `systemd-sysusers --root` applies sysusers.d/timed.conf to a copy of /etc.
#  4. The privilege model, for real, in a private mount+network namespace (a tmpfs /run, the
#     timed user from step 3 bind-mounted over /etc/passwd and /etc/group): chronyd 4.3 runs as
#     _chrony (with -x: this machine's clock is never touched) using systemd/chrony/timed.conf;
#     /run/chrony gets the mode the drop-in sets; the drop-in's ExecStartPost command runs as root.
#     Before it, timed-nts-cert.service's ExecStart (on a tmpfs /var/lib) refuses dangling links
#     to the owner's pair (a failed decryption), then makes the NTS pair the
#     chrony drop-in names, and chronyd must load it (no "Could not set credentials") and present
#     that certificate in a TLS handshake on TCP 4460 (issue 16; NTS itself, cookies and time,
#     is tested end to end elsewhere).
#     Then, as user timed with the unit's groups, no capabilities and no_new_privs (setpriv, as
#     systemd would start it): a sample sent to the PPS socket reaches chronyd, and the real
#     timed binary reads chronyd's command socket (its metrics say chrony_up 1). Before the
#     drop-in's steps the same send must fail: each grant is shown to be needed.
#
# What is not checked here: the sandboxing directives taking effect (needs systemd as PID 1;
# see docs/install-raspberry-pi-os.md for the on-device checks), udev (udev/tests/run.sh).
# Needs root and apt's chrony. Exit 0 pass, 1 fail, 77 cannot run here.
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
MAX_EXPOSURE=2.0

fail() {
    echo "systemd: FAIL: $*"
    exit 1
}
if [ "$(id -u)" -ne 0 ]; then
    echo "systemd: SKIP: needs root (namespaces, chronyd, setpriv)"
    exit 77
fi
. tests/lib/setup.sh
ensure_apt chrony systemd python3 curl util-linux strace openssl

if [ "${1:-}" != --inside ]; then
    # 1. Exposure.
    out=$(systemd-analyze security --offline=true --no-pager systemd/timed.service 2>&1) ||
        fail "systemd-analyze security: $out"
    exposure=$(sed -n 's/.*Overall exposure level for timed.service: \([0-9.]*\).*/\1/p' <<<"$out")
    [ -n "$exposure" ] || fail "no exposure figure in: $out"
    awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e <= m) }' ||
        fail "timed.service exposure $exposure > $MAX_EXPOSURE:
$(grep '✗' <<<"$out")"
    echo "systemd: ok: timed.service exposure $exposure (limit $MAX_EXPOSURE)"

    # The binary under test, built if missing, copied where the timed user can run it.
    ensure_rust
    cargo build -q -p timed --bin timed
    exec unshare --mount --net --propagation private "$0" --inside "$@"
fi

W=$(mktemp -d)
chmod 755 "$W"
cleanup() {
    # Under set -e a failed kill (process already gone) would turn a PASS into exit 1.
    local rc=$?
    for p in "${CHRONYD:-}" "${TIMED:-}" "${STRACE:-}" "${FEEDER:-}"; do
        [ -n "$p" ] && { kill "$p" 2>/dev/null || true; }
    done
    wait 2>/dev/null || true
    rm -rf "$W"
    exit "$rc"
}
trap cleanup EXIT

# 2. verify, in a root holding the system's units plus ours, and the executables they name.
R=$W/root
mkdir -p "$R/usr/lib/systemd/system/chrony.service.d" "$R/usr/bin" "$R/usr/sbin" "$R/bin"
cp -a /lib/systemd/system/. "$R/usr/lib/systemd/system/"
cp systemd/timed.service systemd/secrets/timed-secrets.service systemd/timed-nts-cert.service "$R/usr/lib/systemd/system/"
install -D systemd/secrets/timed-secrets "$R/usr/lib/timed/timed-secrets"
cp systemd/nts/timed-nts-cert "$R/usr/lib/timed/"
cp systemd/chrony.service.d/timed.conf "$R/usr/lib/systemd/system/chrony.service.d/"
cp target/debug/timed "$R/usr/bin/timed"
cp /usr/sbin/chronyd "$R/usr/sbin/"
cp /bin/sh "$R/bin/"
out=$(systemd-analyze verify --root="$R" --man=no --generators=no timed.service timed-secrets.service timed-nts-cert.service chrony.service 2>&1) ||
    fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complained:
$out"
echo "systemd: ok: systemd-analyze verify timed.service, timed-secrets.service, timed-nts-cert.service, chrony.service + drop-in: no complaints"

# 3. sysusers on a copy of /etc.
mkdir -p "$R/etc"
for f in passwd group shadow gshadow; do cp -p "/etc/$f" "$R/etc/$f"; done
out=$(systemd-sysusers --root="$R" "$SRC/systemd/sysusers.d/timed.conf" 2>&1) || fail "systemd-sysusers: $out"
grep -q '^timed:x:[0-9]*:[0-9]*:timed GPS/PPS time daemon:/:/usr/sbin/nologin$' "$R/etc/passwd" ||
    fail "sysusers made no timed user: $(grep ^timed "$R/etc/passwd" || true)"
grep -q '^timed:x:' "$R/etc/group" || fail "sysusers made no timed group"
echo "systemd: ok: systemd-sysusers creates user and group timed ($(grep ^timed: "$R/etc/passwd"))"

# 4. The privilege model with a real chronyd.
mount --bind "$R/etc/passwd" /etc/passwd
mount --bind "$R/etc/group" /etc/group
mount -t tmpfs -o mode=755 none /run
ip link set lo up
cp target/debug/timed "$W/timed"
# The unit's identity, parsed from the files under test.
groups=$(sed -n 's/^SupplementaryGroups=//p' systemd/timed.service | tr ' ' ',')
dir_mode=$(sed -n 's/^RuntimeDirectoryMode=//p' systemd/chrony.service.d/timed.conf)
post=$(sed -n 's/^ExecStartPost=[-+]*//p' systemd/chrony.service.d/timed.conf)  # one per line
[ -n "$groups" ] && [ -n "$dir_mode" ] && [ -n "$post" ] || fail "cannot parse the unit or the drop-in"
as_timed() {
    setpriv --reuid=timed --regid=timed --groups="$groups" --bounding-set=-all --inh-caps=-all \
        --no-new-privs "$@"
}
send_sample() { # prints "sent" or the errno name
    as_timed /usr/bin/python3 - "$1" <<'EOF'
import errno, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
t = time.time()
# chrony's sock_sample on 64-bit Linux: tv_sec, tv_usec, offset, pulse, leap, pad, magic.
pkt = struct.pack("=qqdiiii", int(t), int(t % 1 * 1e6), 0.0, 0, 0, 0, 0x534F434B)
try:
    s.sendto(pkt, sys.argv[1])
    print("sent")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
}

# The first boot's NTS pair, made by the unit's own ExecStart line (the packaged script's path
# mapped to the source tree) on a tmpfs /var/lib, where the chrony drop-in looks for it.
mount -t tmpfs -o mode=755 none /var/lib
install -d -o _chrony -g _chrony /var/lib/chrony # ntsdumpdir, as Debian's chrony package makes it
nts_cmd=$(sed -n 's|^ExecStart=/usr/lib/timed/timed-nts-cert|systemd/nts/timed-nts-cert|p' systemd/timed-nts-cert.service)
[ -n "$nts_cmd" ] || fail "cannot parse timed-nts-cert.service's ExecStart"
# The owner's pair linked by timed-secrets, whose decrypted files are gone (dangling links, as a
# failed decryption would leave them): the unit's conditions (either path missing, links
# followed) let it run, and the script must refuse, name the link and leave both links alone.
install -d -m 0755 /var/lib/timed/nts
ln -s /run/timed-secrets/nts.crt /var/lib/timed/nts/nts.crt
ln -s /run/timed-secrets/nts.key /var/lib/timed/nts/nts.key
[ -e /var/lib/timed/nts/nts.crt ] && fail "the test's link is not dangling"
out=$(sh $nts_cmd 2>&1) && fail "timed-nts-cert replaced dangling links: $out"
grep -q "nts.crt is a link (to /run/timed-secrets/nts.crt).*nothing made" <<<"$out" ||
    fail "timed-nts-cert on dangling links said: $out"
for f in nts.crt nts.key; do
    [ "$(readlink /var/lib/timed/nts/$f)" = "/run/timed-secrets/$f" ] ||
        fail "timed-nts-cert touched the link $f: $(ls -la /var/lib/timed/nts)"
done
[ "$(ls -A /var/lib/timed/nts | wc -l)" = 2 ] || fail "timed-nts-cert left files: $(ls -A /var/lib/timed/nts)"
echo "systemd: ok: on dangling links to the owner's pair timed-nts-cert refuses and makes nothing ($out)"
rm /var/lib/timed/nts/nts.crt /var/lib/timed/nts/nts.key
out=$(sh $nts_cmd 2>&1) || fail "timed-nts-cert: $out"
[ "$(stat -c '%G %a' /var/lib/timed/nts/nts.key)" = "_chrony 640" ] ||
    fail "NTS key: $(stat -c '%n %G %a' /var/lib/timed/nts/nts.key)"
echo "systemd: ok: $out"

# systemd's RuntimeDirectory= for chrony.service (User=_chrony), without the drop-in first.
mkdir -m 0700 /run/chrony
chown _chrony:_chrony /run/chrony
cat >"$W/chrony.conf" <<EOF
include $SRC/systemd/chrony/timed.conf
bindcmdaddress /run/chrony/chronyd.sock
cmdport 0
port 0
# NTS-KE answers allowed addresses only (measured: chronyd 4.3 resets others' TLS handshakes).
allow 127.0.0.1
pidfile /run/chrony/chronyd.pid
driftfile $W/chrony.drift
logdir $W/log
log refclocks
EOF
chmod 644 "$W/chrony.conf"
mkdir -m 0750 "$W/log"
chown _chrony:_chrony "$W/log"
# With the drop-in's directory mode from the start, as systemd creates it before ExecStart.
chmod "$dir_mode" /run/chrony
chronyd -d -x -u _chrony -f "$W/chrony.conf" >"$W/chronyd.log" 2>&1 &
CHRONYD=$!
for _ in $(seq 50); do [ -S /run/chrony/timed-pps.sock ] && [ -S /run/chrony/chronyd.sock ] && break; sleep 0.1; done
[ -S /run/chrony/timed-pps.sock ] || fail "chronyd made no SOCK socket: $(cat "$W/chronyd.log")"
# As _chrony, chronyd read the pair (it would log "Could not set credentials") and runs NTS-KE.
grep -i "credentials" "$W/chronyd.log" && fail "chronyd could not load the NTS pair: $(cat "$W/chronyd.log")"
# chronyd listens on 4460 even without credentials: the TLS handshake is the proof.
served=$(echo | timeout 5 openssl s_client -connect 127.0.0.1:4460 -alpn ntske/1 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/^.*=//') || true
made=$(openssl x509 -in /var/lib/timed/nts/nts.crt -noout -fingerprint -sha256 | sed 's/^.*=//')
[ -n "$served" ] && [ "$served" = "$made" ] ||
    fail "NTS-KE on 127.0.0.1:4460 served '${served:-no certificate}', the first-boot one is $made"
echo "systemd: ok: chronyd (as _chrony) serves NTS-KE on TCP 4460 with the first-boot certificate (SHA-256 $made)"
[ "$(stat -c %a /run/chrony)" = "${dir_mode#0}" ] ||
    fail "chronyd changed /run/chrony to $(stat -c %a /run/chrony)"

# Without the ExecStartPost step: chronyd's socket is root's, the timed user may not send.
r=$(send_sample /run/chrony/timed-pps.sock)
[ "$r" = EACCES ] || fail "before the drop-in's chgrp, sending gave $r (expected EACCES)"
# And with Debian's 0700 directory even the path is out of reach.
chmod 0700 /run/chrony
r=$(send_sample /run/chrony/timed-pps.sock)
[ "$r" = EACCES ] || fail "with /run/chrony 0700, sending gave $r (expected EACCES)"
chmod "$dir_mode" /run/chrony
echo "systemd: ok: without the drop-in, timed cannot reach chronyd's sockets (EACCES, as expected)"

# chronyd 4.3 makes its command socket 0755 too: only root and _chrony could use it.
r=$(as_timed chronyc -h /run/chrony/chronyd.sock tracking 2>&1) &&
    fail "before the drop-in, the timed user could command chronyd: $r"
# The drop-in's ExecStartPost lines, verbatim, as root (systemd splits a line with shell-like
# quoting; eval does the same for these).
while IFS= read -r line; do
    eval "$line" || fail "the drop-in's ExecStartPost failed: $line"
done <<<"$post"
stat -c '%G %A' /run/chrony/timed-pps.sock /run/chrony/timed-coarse.sock | grep -qv '^timed srwxrwx' &&
    fail "ExecStartPost left: $(stat -c '%n %G %A' /run/chrony/timed-*.sock)"
for _ in 1 2 3; do
    r=$(send_sample /run/chrony/timed-pps.sock)
    [ "$r" = sent ] || fail "after the drop-in, the timed user's send gave $r"
    sleep 1
done
grep -q ' PPS ' "$W/log/refclocks.log" 2>/dev/null ||
    fail "chronyd logged no PPS refclock sample: $(cat "$W/log/refclocks.log" 2>/dev/null; cat "$W/chronyd.log")"
echo "systemd: ok: after the drop-in, samples from user timed reach chronyd (refclocks.log)"

# The real timed, as user timed: chronyd's command socket through the _chrony group, a receiver
# on a pty (the tty handed to timed's user, as udev hands /dev/gps0's tty to dialout), its
# control socket at the default path; under strace, to compare its system calls with the unit's
# filter below. Its mount namespace mimics the unit's: /run read-only but for /run/timed
# (ProtectSystem=strict; RuntimeDirectory=timed with the unit's mode), a private /tmp and
# /var/tmp (PrivateTmp=yes: chronyd cannot reach sockets there), and the unit's Environment=.
T=/run/timed-test # timed's files, outside /tmp (which timed will not see); /run is our tmpfs
mkdir -m 0755 "$T"
cp "$W/timed" "$T/timed"
/usr/bin/python3 "$SRC/systemd/tests/pty_feeder.py" "$T/pty" timed 60 &
FEEDER=$!
for _ in $(seq 50); do [ -e "$T/pty" ] && break; sleep 0.1; done
[ -e "$T/pty" ] || fail "no pty from pty_feeder.py"
mkdir -m "$(sed -n 's/^RuntimeDirectoryMode=//p' systemd/timed.service)" /run/timed
chown timed:timed /run/timed
printf '[receiver]\ndevice = "%s"\nbaud = 9600\n[pps]\nsource = "off"\n[metrics]\nlisten = "127.0.0.1:9477"\n' \
    "$T/pty" >"$T/timed.toml"
chmod 644 "$T/timed.toml"
unit_env=()
while IFS= read -r e; do unit_env+=("$e"); done < <(sed -n 's/^Environment=//p' systemd/timed.service)
# shellcheck disable=SC2016 # $@ is for the inner sh
strace -f -qq -o "$W/strace.txt" unshare --mount --propagation private sh -c '
    mount --bind /run /run && mount -o remount,bind,ro /run &&
    mount --bind /run/timed /run/timed && mount -o remount,bind,rw /run/timed &&
    mount -t tmpfs none /tmp && mount -t tmpfs none /var/tmp && exec "$@"' sh \
    env "${unit_env[@]}" setpriv --reuid=timed --regid=timed --groups="$groups" \
    --bounding-set=-all --inh-caps=-all --no-new-privs "$T/timed" -c "$T/timed.toml" >"$W/timed.log" 2>&1 &
STRACE=$!
up=
for _ in $(seq 100); do
    up=$(curl -sf http://127.0.0.1:9477/metrics | sed -n 's/^chrony_up \([0-9]\).*/\1/p') || true
    [ "$up" = 1 ] && break
    sleep 0.2
done
TIMED=$(pgrep -P "$STRACE" || true)
[ "$up" = 1 ] || fail "timed (user timed) could not read chronyd: chrony_up=$up
$(curl -s http://127.0.0.1:9477/metrics | grep -i '^chrony_' | head; cat "$W/timed.log")"
sleep 2
/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
assert s.recv(100), "empty"' /run/timed/control.sock || fail "timed's control socket did not answer"
grep -q "receiver serial open" "$W/timed.log" || fail "timed did not open the pty receiver: $(cat "$W/timed.log")"
grep -qi "permission denied" "$W/timed.log" && fail "timed logged permission problems: $(cat "$W/timed.log")"
[ -n "$TIMED" ] && kill -TERM "$TIMED"
wait "$STRACE" || true
TIMED=
kill "$FEEDER" 2>/dev/null || true
echo "systemd: ok: timed as user timed reads chronyd's command socket (chrony_up 1), its pty receiver, serves its control socket"

# Every system call timed made (after its exec) must be inside timed.service's SystemCallFilter=,
# with the groups as this systemd defines them. Not exercised here: the kernel PPS ioctls and the
# GPIO chardev (ioctl, allowed as a whole) and SysV SHM (@ipc, part of @system-service).
/usr/bin/python3 "$SRC/systemd/tests/syscalls.py" "$W/strace.txt" "$SRC/systemd/timed.service" ||
    fail "timed's system calls vs the unit's SystemCallFilter= (above)"
echo "systemd: ok: every system call timed made is inside the unit's SystemCallFilter="
echo "systemd: PASS"
