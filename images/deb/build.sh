#!/usr/bin/env bash
# Builds the timed Debian package for one architecture:
#
#   bash images/deb/build.sh amd64|arm64 [OUTDIR]     (default OUTDIR: target/deb)
#
# prints the path of the .deb. A plain `dpkg-deb --build` of a staged tree rather than cargo-deb:
# every file, permission, dependency and maintainer script is visible here, nothing needs to be
# compiled first (cargo-deb from crates.io would cost CI minutes), and lintian checks the result
# (tests/deb.sh). Layout follows Debian 12 (bookworm, the base of Raspberry Pi OS): units and udev
# rules under /lib (the /usr-merge moratorium), sysusers.d under /usr/lib.
#
# Cross builds (arm64 on an x86_64 host) need gcc-aarch64-linux-gnu, binutils-aarch64-linux-gnu
# and qemu-user-static (the man pages are rendered from the packaged binary's own --help, run under
# qemu): tests/aarch64.sh installs them. Cargo builds are incremental: binaries already built for
# the target's release profile (e.g. by tests/aarch64.sh) are reused, not rebuilt.
set -euo pipefail
cd "$(dirname "$0")/../.."
arch=${1:?usage: build.sh amd64|arm64 [OUTDIR]}
out=${2:-target/deb}
umask 022

case "$arch" in
    amd64) triple=x86_64-unknown-linux-gnu; gnu=x86_64-linux-gnu ;;
    arm64) triple=aarch64-unknown-linux-gnu; gnu=aarch64-linux-gnu ;;
    *) echo "build.sh: unknown architecture $arch (amd64 or arm64)" >&2; exit 64 ;;
esac
host=$(rustc -vV | sed -n 's/^host: //p')
tdir=${CARGO_TARGET_DIR:-target}
if [ "$triple" = "$host" ]; then
    # Host build without --target: shares target/release with other release builds.
    cargo build --release --locked -p timed -p timectl --bin timed --bin timectl >&2
    bindir=$tdir/release
    run=()
    strip="strip"
else
    upper=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    export "CARGO_TARGET_${upper}_LINKER=${gnu}-gcc"
    cargo build --release --locked --target "$triple" -p timed -p timectl --bin timed --bin timectl >&2
    bindir=$tdir/$triple/release
    run=("qemu-${triple%%-*}-static" -L "/usr/$gnu")
    strip=${gnu}-strip
fi

version=$(cargo metadata --format-version 1 --no-deps --locked |
    python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "timed"))')
# Reproducible: dates come from the last commit (SOURCE_DATE_EPOCH also clamps dpkg-deb's mtimes).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%F)
maintainer="timed developers <timed@example.invalid>"

stage=$(mktemp -d "${TMPDIR:-/tmp}/timed-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/timed_${version}_$arch
doc=$root/usr/share/doc/timed
install -d "$root/DEBIAN" "$root/usr/bin" "$doc" "$root/usr/share/man/man1" "$root/usr/share/man/man5" \
    "$root/usr/share/man/man8" "$root/usr/share/timed/boards" "$root/usr/share/timed/grafana" \
    "$root/usr/share/timed/prometheus" \
    "$root/etc/timed" "$root/etc/chrony/conf.d" "$root/lib/systemd/system/chrony.service.d" \
    "$root/lib/udev/rules.d" "$root/usr/lib/sysusers.d" "$root/usr/lib/modules-load.d" \
    "$root/usr/lib/timed"

# Binaries, stripped (the release profile keeps line tables for backtraces in development).
for b in timed timectl; do
    install -m 0755 "$bindir/$b" "$root/usr/bin/$b"
    "$strip" --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$b"
done

# Files owned by other parts of the tree, installed where they say they belong.
install -m 0644 timed/daemon/timed.toml "$root/etc/timed/timed.toml"
install -m 0644 timed/daemon/timed.toml "$doc/timed.toml"
install -m 0644 systemd/timed.service "$root/lib/systemd/system/timed.service"
# NTS: the first-boot certificate maker and its oneshot unit (pulled in by chrony's drop-in). The
# certificate itself is never in the package: it is made on the device (docs/nts.md).
install -m 0755 systemd/nts/timed-nts-cert "$root/usr/lib/timed/timed-nts-cert"
install -m 0644 systemd/timed-nts-cert.service "$root/lib/systemd/system/timed-nts-cert.service"
install -m 0644 systemd/chrony.service.d/timed.conf "$root/lib/systemd/system/chrony.service.d/timed.conf"
install -m 0644 systemd/chrony/timed.conf "$root/etc/chrony/conf.d/timed.conf"
# Age-encrypted secrets decrypted at boot (docs/secrets.md); age is a Recommends: without secrets
# the unit does nothing.
install -m 0644 systemd/secrets/timed-secrets.service "$root/lib/systemd/system/timed-secrets.service"
install -m 0755 systemd/secrets/timed-secrets "$root/usr/lib/timed/timed-secrets"
install -m 0644 systemd/sysusers.d/timed.conf "$root/usr/lib/sysusers.d/timed.conf"
# The unit's DeviceAllow=char-ttyACM/char-pps resolve only for classes registered when timed starts.
install -m 0644 systemd/modules-load.d/timed.conf "$root/usr/lib/modules-load.d/timed.conf"
install -m 0644 udev/60-timed.rules "$root/lib/udev/rules.d/60-timed.rules"
install -m 0644 boards/*.toml "$root/usr/share/timed/boards/"
install -m 0644 timed/daemon/grafana/timed.json "$root/usr/share/timed/grafana/timed.json"
# Alert rules beside the dashboard; the monitoring host lists this file under rule_files (docs/alerts.md).
install -m 0644 timed/daemon/prometheus/alerts.yml "$root/usr/share/timed/prometheus/alerts.yml"
install -m 0644 README.md docs/*.md "$doc/"

# Man pages: command-line parts from the packaged binaries themselves (images/deb/manpage.py).
for page in timed.8 timectl.1; do
    name=${page%.*} section=${page##*.}
    python3 images/deb/manpage.py --template "docs/man/$page.in" --run "${run[*]}" --date "$date" \
        "$root/usr/bin/$name" > "$root/usr/share/man/man$section/$page"
done
# The hand-written page gets the same date and version as the generated ones.
sed "s/^\(\.TH [^ ]* [0-9] \)\"[^\"]*\" \"timed\"/\1\"$date\" \"timed $version\"/" docs/man/timed.toml.5 > "$root/usr/share/man/man5/timed.toml.5"
chmod 0644 "$root/usr/share/man/man5/timed.toml.5"
gzip -9n "$root"/usr/share/man/man*/*

first=$(git log --max-parents=0 --format=%cd --date=format:%Y 2>/dev/null | tail -n1 || true)
last=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
years=${first:-$last}; [ "$years" = "$last" ] || years=$years-$last
python3 images/deb/copyright.py "$triple" "$years" > "$doc/copyright"
cat > "$stage/changelog" <<EOF
timed ($version) unstable; urgency=medium

  * Built from the timed source tree at commit $commit.

 -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")
EOF
gzip -9nc "$stage/changelog" > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz" "$doc/copyright"

# Shared-library dependencies from the binaries' ELF headers (the same for a cross build, where
# dpkg-shlibdeps would need the target's libc6 installed): each NEEDED library's package, at the
# newest symbol version the binaries use from it. tests/deb.sh compares this with dpkg-shlibdeps
# for amd64.
shlibs=$(python3 images/deb/shlibdeps.py "$root/usr/bin/timed" "$root/usr/bin/timectl")

install -m 0755 images/deb/postinst images/deb/prerm images/deb/postrm "$root/DEBIAN/"
printf '/etc/timed/timed.toml\n/etc/chrony/conf.d/timed.conf\n' > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
    xargs -0 md5sum) > "$root/DEBIAN/md5sums"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
    -e "s/@MAINTAINER@/$maintainer/" images/deb/control > "$root/DEBIAN/control"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb=$out/timed_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
