# nixosModules.secrets: the appliance's secrets as age-encrypted files in the owner's flake,
# decrypted on the device at activation by agenix (ryantm/agenix) with the SSH host key that
# `nix run .#provision` injected (/var/lib/timed-bootstrap, images/modules/appliance.nix). The
# store and the image hold only ciphertext; the plaintext lives in agenix's ramfs (/run/agenix.d,
# linked from /run/agenix) and nowhere on the SD card. docs/secrets.md gives the whole flow
# (recipients, rekeying); every option set here is listed with its source in images/OPTIONS.md.
#
# Owns: which secret goes where, with which owner and mode. Must not: choose the NTS paths chrony
# reads or the Wi-Fi path wpa_supplicant reads (images/modules/timed.nix and appliance.nix own
# those; the decrypted secrets are put at or pointed to from them).
{ agenix }:
{ config, lib, ... }:
let
  cfg = config.timed.secrets;
  nts = config.services.timed.chrony.ntsServer;
  ageFile = name: what: lib.mkOption {
    type = lib.types.nullOr lib.types.path;
    default = null;
    example = lib.literalExpression "./secrets/timed-pi4b-${name}.age";
    description = ''
      The ${what}, age-encrypted to this box's SSH host public key (and the owner's keys, for
      rekeying): a file in the flake (only ciphertext enters the store), decrypted at boot.
      null: not managed here.
    '';
  };
in
{
  imports = [ agenix.nixosModules.default ];

  options.timed.secrets = {
    ntsCert = ageFile "nts-cert" "NTS certificate chain (PEM)";
    ntsKey = ageFile "nts-key" "NTS private key (PEM)";
    wifi = ageFile "wifi" "Wi-Fi network block (what `timed-provision --wifi` renders: network={ ssid=… psk=… })";
    webhook = ageFile "webhook" "events webhook URL (one line, http://host[:port]/path)";
  };

  config = lib.mkIf (lib.any (s: s != null) [ cfg.ntsCert cfg.ntsKey cfg.wifi cfg.webhook ]) (lib.mkMerge [
    {
      assertions = [{
        assertion = (cfg.ntsCert == null) == (cfg.ntsKey == null);
        message = "timed.secrets: give both ntsCert and ntsKey (a certificate without its key, or the reverse, cannot serve NTS).";
      }];
      # The provisioned host key (appliance.nix's services.openssh.hostKeys): the one identity
      # every box has before its first boot, and that never leaves it.
      age.identityPaths = map (k: k.path) (lib.filter (k: k.type == "ed25519") config.services.openssh.hostKeys);
    }

    (lib.mkIf (cfg.ntsCert != null && cfg.ntsKey != null) {
      services.timed.chrony.ntsServer.enable = lib.mkDefault true;
      # Decrypted into the ramfs and linked from the paths chrony's ntsservercert/ntsserverkey
      # name (agenix `path` with its default `symlink = true`): chrony, `timectl status` and the
      # first-boot certificate unit (which leaves an existing pair alone) all find the owner's
      # pair where they look, and no plaintext reaches the SD card. chronyd reads both after
      # dropping root to user chrony (chrony.conf(5), ntsserverkey): group chrony.
      age.secrets.timed-nts-cert = {
        file = cfg.ntsCert;
        path = nts.certFile;
        owner = "root";
        group = "chrony";
        mode = "0444";
      };
      age.secrets.timed-nts-key = {
        file = cfg.ntsKey;
        path = nts.keyFile;
        owner = "root";
        group = "chrony";
        mode = "0440";
      };
    })

    (lib.mkIf (cfg.wifi != null) {
      # wpa_supplicant runs as root; appliance.nix links /etc/wpa_supplicant.conf to this file
      # and starts wpa_supplicant only when it exists.
      age.secrets.timed-wifi = { file = cfg.wifi; owner = "root"; group = "root"; mode = "0400"; };
      timed.appliance.wifiConfig = config.age.secrets.timed-wifi.path;
    })

    (lib.mkIf (cfg.webhook != null) {
      # timed reads it once at start ([events] webhook_file, timed.toml(5)); only timed may.
      age.secrets.timed-webhook = { file = cfg.webhook; owner = "timed"; group = "timed"; mode = "0400"; };
      services.timed.settings.events.webhook_file = config.age.secrets.timed-webhook.path;
      systemd.services.timed.restartTriggers = [ cfg.webhook ];
    })
  ]);
}
