#!/usr/bin/env bash
# Checks the Nix code without nixpkgs (which cannot be fetched here):
#   1. every .nix file parses (nix-instantiate --parse);
#   2. deadnix --fail -L (no unused bindings or arguments) and nixpkgs-fmt --check;
#   3. board parity: images/lib/board.nix (builtins only, so plain `nix-instantiate --eval` runs it)
#      gives, for every board file and wiring, the same config.txt, console arguments, gettys off,
#      timed settings and chrony refclock lines as `timectl board show --json` (what the .deb
#      installs);
#   4. the Debian-unit edits in images/lib/unit-substitutions.nix still match systemd/timed.service.
# Needs: nix-bin (apt), deadnix and nixpkgs-fmt (cargo install --locked), python3, and TIMECTL
# pointing at a built timectl (default target/debug/timectl).
set -euo pipefail
cd "$(dirname "$0")/.."
TIMECTL=${TIMECTL:-target/debug/timectl}
# nix-bin's default nix.conf names a build group this machine does not have; evaluation needs none.
export NIX_CONFIG="build-users-group ="

mapfile -t files < <(git ls-files '*.nix'; git ls-files --others --exclude-standard '*.nix')
[ ${#files[@]} -gt 0 ] || { echo "nix-lint: no .nix files found" >&2; exit 1; }
for f in "${files[@]}"; do
    nix-instantiate --parse "$f" >/dev/null
done
echo "nix-lint: ${#files[@]} files parse"
deadnix --fail -L "${files[@]}"
nixpkgs-fmt --check "${files[@]}"

python3 - "$TIMECTL" <<'EOF'
import json, os, subprocess, sys
timectl = sys.argv[1]
boards = sorted(f for f in os.listdir("boards") if f.endswith(".toml"))
assert boards, "no board files"
def nix_eval(expr):
    out = subprocess.run(["nix-instantiate", "--eval", "--strict", "--json", "--expr", expr],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("nix-lint: nix-instantiate failed:\n" + out.stderr)
    return json.loads(out.stdout)
def tokens(line):
    # chrony reads numbers with sscanf %lf: compare numbers as numbers (1e-07 == 1e-7).
    out = []
    for t in line.split():
        try:
            out.append(float(t))
        except ValueError:
            out.append(t)
    return out
checked = 0
for f in boards:
    deb = json.loads(subprocess.run([timectl, "--json", "board", "show", "boards/" + f],
                                    capture_output=True, text=True, check=True).stdout)
    for wid, w in deb["wiring"].items():
        n = nix_eval(f'''let x = import ./images/lib/board.nix {{ board = ./boards/{f}; wiring = "{wid}"; }};
          in {{ inherit (x) config_txt kernel_params getty_off timed_settings serial_device baud pps_gpio pps_device
                  coarse_only_settings;
                chrony = x.chrony_refclocks "/run/chrony/timed-pps.sock" "/run/chrony/timed-coarse.sock";
                chrony_coarse_only = x.chrony_coarse_only "/run/chrony/timed-coarse.sock"; }}''')
        for key in ["config_txt", "kernel_params", "getty_off", "timed_settings", "serial_device", "baud",
                    "pps_gpio", "pps_device", "coarse_only_settings"]:
            if n[key] != w[key]:
                sys.exit(f"nix-lint: boards/{f} wiring {wid}: {key} differs\n  nix:     {n[key]!r}\n  timectl: {w[key]!r}")
        if [tokens(l) for l in n["chrony"]] != [tokens(l) for l in w["chrony_refclocks"]]:
            sys.exit(f"nix-lint: boards/{f} wiring {wid}: chrony lines differ\n  nix:     {n['chrony']}\n  timectl: {w['chrony_refclocks']}")
        if tokens(n["chrony_coarse_only"]) != tokens(w["chrony_coarse_only"]):
            sys.exit(f"nix-lint: boards/{f} wiring {wid}: coarse-only chrony line differs\n  nix:     {n['chrony_coarse_only']}\n  timectl: {w['chrony_coarse_only']}")
        checked += 1
    d = nix_eval(f'(import ./images/lib/board.nix {{ board = ./boards/{f}; }}).wiringId')
    if d != deb["default_wiring"]:
        sys.exit(f"nix-lint: boards/{f}: default wiring {d} vs {deb['default_wiring']}")
print(f"nix-lint: board parity: {len(boards)} boards, {checked} wirings agree with timectl")

subs = nix_eval('import ./images/lib/unit-substitutions.nix { out = "/nix/store/x"; }')
unit = open("systemd/timed.service").read()
for s in subs:
    if unit.count(s["from"]) != 1:
        sys.exit(f"nix-lint: systemd/timed.service no longer contains {s['from']!r} exactly once "
                 "(images/lib/unit-substitutions.nix would fail the image build)")
print(f"nix-lint: {len(subs)} unit substitutions match systemd/timed.service")
EOF
