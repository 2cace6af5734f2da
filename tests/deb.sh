#!/usr/bin/env bash
# The Debian packages, built and installed for real:
#
#   bash tests/deb.sh      (as root; tests/run.sh runs it after tests/aarch64.sh)
#
# 1. builds timed_*_amd64.deb and timed_*_arm64.deb (images/deb/build.sh) and runs lintian on both;
# 2. installs the amd64 package on this machine with dpkg -i (services blocked by policy-rc.d; there
#    is no systemd here, so nothing may start anyway) and checks every file landed: binaries run,
#    the default config passes `timed --check-config`, the man pages render without warnings and
#    cover every command and option of the installed binaries, timed.toml(5) documents exactly the
#    keys timed accepts (tests/man-config.sh), the user matches sysusers.d, the unit is enabled, no
#    timed process was started;
# 3. reinstalls over a locally edited config (kept), removes (config, user and unit mask stay),
#    purges, and checks that nothing of the package is left: no file, no enablement or mask
#    symlink, no deb-systemd-helper state, no user or group (the postrm removes them: timed owns no
#    files, so no uid can be left behind on disk);
# 4. checks the arm64 package: same paths and modes as amd64, aarch64 ELF binaries (file(1)) that
#    run under qemu, the same man pages, and dependencies matching dpkg-shlibdeps' for amd64.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/setup.sh
ensure_rust
# chrony and adduser: the package's own Depends. man-db/groff: rendering. The cross toolchain and
# qemu build the arm64 package (tests/aarch64.sh installs the same).
ensure_apt dpkg-dev openssl lintian man-db groff-base file binutils chrony adduser python3 \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user-static
if [ "$(id -u)" -ne 0 ]; then
    echo "tests/deb.sh: installs a package: run as root" >&2
    exit 1
fi
fail() { echo "tests/deb.sh: FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }

tmp=$(mktemp -d)
policy=/usr/sbin/policy-rc.d
cleanup() {
    if [ -e "$tmp/policy-rc.d.saved" ]; then mv "$tmp/policy-rc.d.saved" "$policy"; else rm -f "$policy"; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
[ ! -e "$policy" ] || cp -p "$policy" "$tmp/policy-rc.d.saved"
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod +x "$policy"

# dpkg fails at once when another process holds its lock (an apt-get of another test): retry.
dpkg_() {
    local _
    for _ in $(seq 60); do
        if dpkg "$@" > "$tmp/dpkg.out" 2>&1; then cat "$tmp/dpkg.out"; return 0; fi
        grep -q "lock" "$tmp/dpkg.out" || { cat "$tmp/dpkg.out" >&2; return 1; }
        sleep 1
    done
    cat "$tmp/dpkg.out" >&2
    return 1
}

echo "-- building the packages"
t0=$SECONDS
amd64=$(bash images/deb/build.sh amd64)
arm64=$(bash images/deb/build.sh arm64)
echo "  built $amd64 and $arm64 in $((SECONDS - t0)) s"

echo "-- lintian (errors and warnings fail; the remaining infos are explained in images/deb/README.md)"
for deb in "$amd64" "$arm64"; do
    rc=0
    lintian --fail-on error,warning --display-info "$deb" > "$tmp/lintian" 2>&1 || rc=$?
    grep -v "running with root privileges" "$tmp/lintian" | sed 's/^/  /' || true
    [ "$rc" -eq 0 ] || fail "lintian on $deb (exit $rc)"
done
ok "lintian"

if dpkg-query -W -f='${Status}' timed 2>/dev/null | grep -q installed; then
    echo "  note: a timed package is installed already; purging it first"
    dpkg_ --purge timed > /dev/null
fi
getent passwd timed >/dev/null && fail "a timed user exists before the install (not from this package)"
snapshot() {
    find /etc /lib/systemd /lib/udev /usr/lib/sysusers.d /usr/lib/modules-load.d /usr/share/man /usr/share/doc /usr/share/timed \
        /usr/bin /var/lib/systemd /var/lib/dpkg/info -xdev 2>/dev/null | grep timed | LC_ALL=C sort || true
}
snapshot > "$tmp/before"

echo "-- dpkg -i $amd64"
dpkg_ -i "$amd64" > /dev/null
dpkg-query -W -f='${Status}\n' timed | grep -qx "install ok installed" || fail "not installed"
for f in /usr/bin/timed /usr/bin/timectl /etc/timed/timed.toml /etc/chrony/conf.d/timed.conf \
    /lib/systemd/system/timed.service /lib/systemd/system/chrony.service.d/timed.conf \
    /lib/systemd/system/timed-secrets.service /usr/lib/timed/timed-secrets \
    /lib/udev/rules.d/60-timed.rules /usr/lib/sysusers.d/timed.conf /usr/lib/modules-load.d/timed.conf \
    /usr/share/man/man8/timed.8.gz /usr/share/man/man1/timectl.1.gz /usr/share/man/man5/timed.toml.5.gz \
    /usr/share/doc/timed/copyright /usr/share/doc/timed/changelog.gz /usr/share/doc/timed/timed.toml \
    /usr/share/doc/timed/README.md /usr/share/timed/boards/pi4b.toml /usr/share/timed/grafana/timed.json \
    /usr/share/timed/prometheus/alerts.yml /usr/lib/timed/timed-nts-cert /lib/systemd/system/timed-nts-cert.service; do
    [ -f "$f" ] || fail "$f missing after install"
done
# Every path the package lists exists, with the mode the package gives it.
dpkg -L timed | while read -r f; do [ -e "$f" ] || fail "dpkg -L lists $f, which is missing"; done
cmp -s timed/daemon/timed.toml /etc/timed/timed.toml || fail "/etc/timed/timed.toml differs from timed/daemon/timed.toml"
cmp -s udev/60-timed.rules /lib/udev/rules.d/60-timed.rules || fail "udev rules differ from udev/"
cmp -s systemd/timed.service /lib/systemd/system/timed.service || fail "unit differs from systemd/"
cmp -s systemd/secrets/timed-secrets /usr/lib/timed/timed-secrets || fail "timed-secrets differs from systemd/secrets/"
cmp -s systemd/timed-nts-cert.service /lib/systemd/system/timed-nts-cert.service || fail "NTS unit differs from systemd/"
[ -x /usr/lib/timed/timed-nts-cert ] || fail "/usr/lib/timed/timed-nts-cert is not executable"
# No certificate is made by the package itself (an image built from it would carry one): only
# timed-nts-cert.service on the device makes it.
[ ! -e /var/lib/timed/nts/nts.key ] || fail "installing made an NTS key"
cmp -s systemd/modules-load.d/timed.conf /usr/lib/modules-load.d/timed.conf ||
    fail "modules-load.d/timed.conf differs from systemd/ (the unit's DeviceAllow= classes need it)"
for b in boards/*.toml; do
    cmp -s "$b" "/usr/share/timed/boards/$(basename "$b")" || fail "$b not installed"
done
cmp -s timed/daemon/prometheus/alerts.yml /usr/share/timed/prometheus/alerts.yml || fail "alert rules differ from timed/daemon/prometheus/"
# The installed rules load in the Debian prometheus this script runs with (tests/run.sh installs it).
promtool check rules /usr/share/timed/prometheus/alerts.yml > /dev/null || fail "promtool check rules on the installed alerts.yml"
[ "$(dpkg-query -W -f='${Conffiles}' timed | awk 'NF {print $1}' | LC_ALL=C sort | tr '\n' ' ')" = \
    "/etc/chrony/conf.d/timed.conf /etc/timed/timed.toml " ] || fail "conffiles: $(dpkg-query -W -f='${Conffiles}' timed)"
ok "files landed ($(dpkg -L timed | wc -l) paths), conffiles registered"

version=$(dpkg-query -W -f='${Version}' timed)
[ "$(/usr/bin/timed --version)" = "timed $version" ] || fail "timed --version: $(/usr/bin/timed --version)"
[ "$(/usr/bin/timectl --version)" = "timectl $version" ] || fail "timectl --version"
out=$(/usr/bin/timed --check-config /etc/timed/timed.toml) || fail "timed --check-config /etc/timed/timed.toml exited $?"
[ "$out" = "/etc/timed/timed.toml: ok" ] || fail "check-config said: $out"
/usr/bin/timectl validate-board /usr/share/timed/boards/*.toml > /dev/null || fail "timectl validate-board on the installed boards"
ok "timed $version and timectl run; the installed config and board files pass their checks"

# Man pages: found by man(1), rendered without groff warnings, and covering the binaries.
for page in timed.8 timectl.1 timed.toml.5; do
    name=${page%.*} section=${page##*.}
    [ "$(man -w "$section" "$name")" = "/usr/share/man/man$section/$page.gz" ] || fail "man -w $section $name"
    warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "/usr/share/man/man$section/$page.gz" 2>&1 >/dev/null)
    [ -z "$warnings" ] || fail "man $page: $warnings"
    LC_ALL=C.UTF-8 MANWIDTH=200 man -l "/usr/share/man/man$section/$page.gz" 2>/dev/null | col -b > "$tmp/$page.txt"
done
# Independent of images/deb/manpage.py's parser: every subcommand path and every long option the
# installed binaries' help shows must appear in the rendered page.
cover() {
    local bin=$1 page=$2; shift 2
    local help sub
    help=$("$bin" "$@" --help)
    for opt in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u); do
        grep -qF -- "$opt" "$tmp/$page.txt" || fail "$page lacks $opt (from $bin $* --help)"
    done
    if [ $# -gt 0 ]; then
        grep -qF -- "$(basename "$bin") $*" "$tmp/$page.txt" || fail "$page lacks the command '$(basename "$bin") $*'"
    fi
    for sub in $(awk '/^Commands:/ {c=1; next} /^[^ ]/ {c=0} c && $1 != "help" {print $1}' <<<"$help"); do
        cover "$bin" "$page" "$@" "$sub"
    done
}
cover /usr/bin/timed timed.8
cover /usr/bin/timectl timectl.1
bash tests/man-config.sh /usr/bin/timed /usr/share/man/man5/timed.toml.5.gz /usr/share/doc/timed/timed.toml
ok "man pages: found, no warnings, every command and option of the installed binaries"

# The user: as sysusers.d describes it (systemd-sysusers would create nothing), a system account.
IFS=: read -r _ _ uid gid gecos home shell < <(getent passwd timed) || fail "no timed user"
[ "$(getent group timed | cut -d: -f3)" = "$gid" ] || fail "timed's primary group is not timed"
[ "$uid" -lt 1000 ] || fail "timed uid $uid is not a system uid"
sys=$(python3 -c 'import shlex, sys
for line in open(sys.argv[1]):
    f = shlex.split(line, comments=True)
    if f and f[0] == "u" and f[1] == "timed":
        print(f[3], f[4], f[5], sep=":")' /usr/lib/sysusers.d/timed.conf)
# adduser pads the GECOS field with empty room and phone fields (",,,"): compare the name field.
[ "${gecos%%,*}:$home:$shell" = "$sys" ] || fail "user timed ($gecos:$home:$shell) differs from sysusers.d ($sys)"
if command -v systemd-sysusers >/dev/null; then
    would=$(systemd-sysusers --dry-run /usr/lib/sysusers.d/timed.conf 2>&1)
    [ -z "$would" ] || fail "systemd-sysusers would still do: $would"
fi
ok "user timed ($uid:$gid, $home, $shell) matches sysusers.d"

[ "$(readlink /etc/systemd/system/multi-user.target.wants/timed.service)" = /lib/systemd/system/timed.service ] ||
    fail "timed.service not enabled"
for p in /proc/[0-9]*; do
    [ "$(readlink "$p/exe" 2>/dev/null)" != /usr/bin/timed ] || fail "a timed process was started (${p#/proc/})"
done
ok "timed.service enabled (multi-user.target.wants), no daemon started"

echo "-- reinstall over an edited configuration, remove, purge"
echo '# edited by tests/deb.sh' >> /etc/timed/timed.toml
dpkg_ -i --force-confold "$amd64" > /dev/null
tail -1 /etc/timed/timed.toml | grep -q "edited by tests/deb.sh" || fail "reinstall replaced the edited conffile"
dpkg_ -r timed > /dev/null
[ ! -e /usr/bin/timed ] || fail "remove left /usr/bin/timed"
[ -f /etc/timed/timed.toml ] || fail "remove took the conffile (only purge may)"
[ "$(readlink /etc/systemd/system/timed.service)" = /dev/null ] || fail "remove did not mask timed.service"
getent passwd timed >/dev/null || fail "remove took the user (only purge may)"
ok "remove: binaries gone; config, user and the unit mask kept"
dpkg_ --purge timed > /dev/null
if dpkg-query -W -f='${Status}' timed 2>/dev/null | grep -q "installed\|config-files"; then
    dpkg-query -W -f='${Status}' timed 2>/dev/null | grep -q "not-installed" || fail "timed still installed after purge"
fi
getent passwd timed >/dev/null && fail "purge left the timed user"
getent group timed >/dev/null && fail "purge left the timed group"
snapshot > "$tmp/after"
if ! diff -u "$tmp/before" "$tmp/after" > "$tmp/left"; then
    cat "$tmp/left" >&2
    fail "purge left files behind (above)"
fi
ok "purge: no file, symlink, helper state, user or group left"

echo "-- the arm64 package"
[ "$(dpkg-deb -f "$arm64" Architecture)" = arm64 ] || fail "arm64 package architecture"
listing() { dpkg-deb -c "$1" | awk '{print $1, $6}' | LC_ALL=C sort; }
diff -u <(listing "$amd64") <(listing "$arm64") || fail "arm64 package paths or modes differ from amd64"
mkdir -p "$tmp/a" "$tmp/b"
dpkg-deb -x "$arm64" "$tmp/a"
dpkg-deb -x "$amd64" "$tmp/b"
for b in timed timectl; do
    file -b "$tmp/a/usr/bin/$b" | grep -q "ELF 64-bit LSB pie executable, ARM aarch64" || fail "$b: $(file -b "$tmp/a/usr/bin/$b")"
    file -b "$tmp/a/usr/bin/$b" | grep -q "stripped" || fail "$b not stripped"
    [ "$(qemu-aarch64-static -L /usr/aarch64-linux-gnu "$tmp/a/usr/bin/$b" --version)" = "$b $version" ] ||
        fail "arm64 $b --version under qemu"
done
for m in man8/timed.8.gz man1/timectl.1.gz man5/timed.toml.5.gz; do
    cmp -s "$tmp/a/usr/share/man/$m" "$tmp/b/usr/share/man/$m" || fail "arm64 $m differs from amd64's"
done
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$tmp/a/usr/bin/timed" --check-config "$tmp/a/etc/timed/timed.toml" > /dev/null ||
    fail "arm64 timed --check-config on its own default config"
mkdir -p "$tmp/shl/debian" && touch "$tmp/shl/debian/control"
want=$(cd "$tmp/shl" && dpkg-shlibdeps -O "$tmp/b/usr/bin/timed" "$tmp/b/usr/bin/timectl" 2>/dev/null | sed 's/^shlibs:Depends=//')
got=$(dpkg-deb -f "$amd64" Depends)
[ "$got" = "$want, adduser, chrony, openssl, tzdata" ] || fail "amd64 Depends '$got', dpkg-shlibdeps says '$want'"
ok "arm64: $(dpkg-deb -f "$arm64" Depends); aarch64 binaries run under qemu; man pages identical"
ok "amd64 shared-library dependencies equal dpkg-shlibdeps' ($want)"
echo "tests/deb.sh: all checks passed in $SECONDS s"
