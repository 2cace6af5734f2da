# Edits that turn the Debian-layout unit in systemd/timed.service into the NixOS one (applied by
# images/package.nix with `substituteInPlace --replace-fail`; tests/nix-lint.sh checks that every
# `from` string is still in the unit, so a change there fails CI instead of the image build).
# Builtins only.
{ out }:
[
  # The package's own binary instead of the Debian path.
  { from = "ExecStart=/usr/bin/timed "; to = "ExecStart=${out}/bin/timed "; }
  # chrony's group is `chrony` on NixOS (nixos/modules/services/networking/ntp/chrony.nix),
  # `_chrony` on Debian.
  { from = "SupplementaryGroups=dialout _chrony"; to = "SupplementaryGroups=dialout chrony"; }
  # The .deb's age decryption unit: on NixOS agenix decrypts at activation, before any service
  # starts (images/modules/secrets.nix), so there is no such unit to want.
  { from = "Wants=timed-secrets.service"; to = "# Secrets: agenix, at activation (no timed-secrets.service)."; }
]
