# Shared set-up for the test and demo entry points: installs what a fresh Debian/Ubuntu machine
# lacks. Sourced, not run. Daemons from apt are installed with their services blocked, so a
# system chronyd never starts and steers this machine's clock.

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
            echo "setup: need root (or sudo) to install: $*" >&2
            exit 1
        fi
    else
        SUDO=
    fi
}

# ensure_apt PKG... : installs the Debian packages not yet installed.
ensure_apt() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    need_root "${missing[*]}"
    echo "setup: installing ${missing[*]}" >&2
    $SUDO sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    $SUDO rm -f /usr/sbin/policy-rc.d
}

# ensure_rust: a Rust toolchain new enough for the workspace (Debian's packaged cargo is too old).
ensure_rust() {
    if [ -x "$HOME/.cargo/bin/cargo" ]; then export PATH="$HOME/.cargo/bin:$PATH"; fi
    if ! command -v cargo >/dev/null 2>&1; then
        ensure_apt curl ca-certificates gcc libc6-dev
        echo "setup: installing Rust with rustup" >&2
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
        export PATH="$HOME/.cargo/bin:$PATH"
    fi
}
