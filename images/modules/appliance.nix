# The time appliance on a Raspberry Pi, configured from a board file (boards/README.md):
# config.txt through nvmd/nixos-raspberrypi (the only device-tree overlay mechanism: the firmware
# applies config.txt's dtoverlay lines; hardware.deviceTree.overlays must stay empty), consoles
# and gettys kept off the GPS UART, SD-card care, the last-known time restored before chrony, and
# bootstrap secrets read from /var/lib/timed-bootstrap (put there by `nix run .#provision`).
# The board's nvmd base module is imported by images/outputs.nix (it must be known before
# evaluation). Every option set here is listed with its source in images/OPTIONS.md.
{ config, lib, pkgs, ... }:
let
  cfg = config.timed.appliance;
  board = import ../lib/board.nix { inherit (cfg) board wiring; };
  bootstrap = "/var/lib/timed-bootstrap";
  # timed-provision's ADMIN_KEYS (timed/provision/src/lib.rs): root-owned 0755/0644, outside the
  # 0700 bootstrap directory because sshd reads a user's keys with that user's rights.
  adminKeysDir = "/var/lib/timed-admin/authorized_keys.d";
  clockFile = "/var/lib/timed-clock/last";
  sock = config.services.timed.settings.chrony.sock or { };
in
{
  options.timed.appliance = {
    board = lib.mkOption {
      type = lib.types.path;
      description = "The board file (boards/<board>.toml).";
    };
    wiring = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "Wiring variant of the board file (null: its default_wiring).";
    };
    adminKeys = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      description = "SSH public keys of the `admin` user (wheel; deploys with `nix run .#deploy`).";
    };
    provisionedAdminKeys = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Read the admin's SSH keys from ${adminKeysDir}/admin, which `nix run .#provision --
        ... --admin-key FILE` writes into the image. Turning it off with adminKeys empty is refused.
      '';
    };
    ppsWired = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Whether the receiver's PPS output reaches the board's pps_gpio. false: timed sends only
        coarse (serial) samples ([pps] source = "off") and chrony selects them (no noselect), as
        `timectl board ... --pps off` renders.
      '';
    };
    mdns = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = "Answer `<hostName>.local` over mDNS (Avahi), so `ssh admin@timed-<board>.local` resolves.";
    };
    wifiConfig = lib.mkOption {
      type = lib.types.str;
      default = "${bootstrap}/wifi/wpa_supplicant.conf";
      description = ''
        wpa_supplicant's network block, outside the store: what `nix run .#provision -- ... --wifi
        FILE` writes (the default), or the decrypted age secret (timed.secrets.wifi,
        images/modules/secrets.nix). No file: no Wi-Fi.
      '';
    };
    lan = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ "10.0.0.0/8" "172.16.0.0/12" "192.168.0.0/16" "fd00::/8" ];
      description = "Networks served NTP (chrony `allow`).";
    };
  };

  config = {
    # --- boot: vendor firmware loads the kernel, device tree and config.txt overlays directly.
    boot.loader.raspberry-pi.bootloader = "kernel";
    hardware.raspberry-pi.config.${board.config_txt_section} = board.configTxtSection;
    assertions = [
      {
        assertion = config.hardware.deviceTree.overlays == [ ];
        message = ''
          timed appliance: device-tree overlays come from config.txt (hardware.raspberry-pi.config)
          only; hardware.deviceTree.overlays would be a second mechanism (set it back to []).
        '';
      }
      {
        # Password login is off: an image without a key source cannot be logged into.
        assertion = cfg.adminKeys != [ ] || cfg.provisionedAdminKeys;
        message = ''
          timed appliance: no way to log in. Either provision the admin's key into the image
          (nix run .#provision -- BOARD IMAGE --admin-key ~/.ssh/id_ed25519.pub ...; the
          default) or set timed.appliance.adminKeys.
        '';
      }
    ];

    # --- consoles: exactly the board's console= arguments (nixos-raspberrypi adds
    # console=serial0, which is the GPS UART after disable-bt), and no getty on the GPS tty.
    boot.kernelParams = lib.mkForce (board.kernel_params ++ [ "loglevel=4" ]);
    systemd.services = lib.listToAttrs
      (map
        (tty: lib.nameValuePair "serial-getty@${tty}" { enable = false; })
        board.getty_off) // {
      # --- no RTC: restore the last-known time before chrony starts, save it regularly.
      timed-clock-restore = {
        description = "Restore the last-known time (no RTC)";
        wantedBy = [ "sysinit.target" ];
        before = [ "chronyd.service" "time-set.target" "sysinit.target" ];
        after = [ "local-fs.target" ];
        unitConfig.DefaultDependencies = false;
        path = [ pkgs.coreutils ];
        serviceConfig.Type = "oneshot";
        script = ''
          [ -s ${clockFile} ] || exit 0
          saved=$(cat ${clockFile})
          case "$saved" in *[!0-9]*|"") echo "${clockFile}: not a time: $saved" >&2; exit 0;; esac
          if [ "$saved" -gt "$(date +%s)" ]; then date -s "@$saved"; fi
        '';
      };
      timed-clock-save = {
        description = "Save the time for the next boot (no RTC)";
        wantedBy = [ "multi-user.target" ];
        after = [ "timed-clock-restore.service" ];
        path = [ pkgs.coreutils ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
          StateDirectory = "timed-clock";
          # Also at shutdown, so a clean reboot loses nothing.
          ExecStop = "${pkgs.writeShellScript "timed-clock-save" "date +%s > ${clockFile}.tmp && mv ${clockFile}.tmp ${clockFile}"}";
        };
        script = "date +%s > ${clockFile}.tmp && mv ${clockFile}.tmp ${clockFile}";
      };
      timed-clock-save-periodic = {
        description = "Save the time for the next boot (periodic)";
        path = [ pkgs.coreutils ];
        serviceConfig = { Type = "oneshot"; StateDirectory = "timed-clock"; };
        script = "date +%s > ${clockFile}.tmp && mv ${clockFile}.tmp ${clockFile}";
      };
      # Wi-Fi only once provisioned.
      wpa_supplicant.unitConfig.ConditionPathExists = cfg.wifiConfig;
    };
    systemd.timers.timed-clock-save-periodic = {
      wantedBy = [ "timers.target" ];
      timerConfig = {
        OnUnitActiveSec = "15min";
        OnBootSec = "15min";
        Unit = "timed-clock-save-periodic.service";
      };
    };

    # --- SD-card care.
    services.journald.storage = "volatile";
    boot.tmp.useTmpfs = true;
    fileSystems."/".options = [ "noatime" ];

    # --- the time service.
    services.timed = {
      enable = true;
      settings = lib.mapAttrsRecursive (_: lib.mkDefault)
        (if cfg.ppsWired then board.timed_settings else board.coarse_only_settings);
      # On timed's socket paths (its defaults unless settings.chrony.sock says otherwise).
      chrony.refclocks =
        if cfg.ppsWired then
          board.chrony_refclocks
            (sock.pps or "/run/chrony/timed-pps.sock")
            (sock.coarse or "/run/chrony/timed-coarse.sock")
        else [ (board.chrony_coarse_only (sock.coarse or "/run/chrony/timed-coarse.sock")) ];
      chrony.allow = cfg.lan;
      chrony.cmdAllow = cfg.lan;
    };

    # --- access: the injected host key (never in the store), admin by SSH key only.
    services.openssh = {
      enable = true;
      hostKeys = [{ path = "${bootstrap}/ssh/ssh_host_ed25519_key"; type = "ed25519"; }];
      settings.PasswordAuthentication = false;
      authorizedKeysFiles = lib.optional cfg.provisionedAdminKeys "${adminKeysDir}/%u";
    };

    # --- <host>.local for ssh and NTP clients on the LAN (nss-mdns for the appliance's own lookups).
    services.avahi = lib.mkIf cfg.mdns {
      enable = true;
      nssmdns4 = true;
      openFirewall = true;
      publish = { enable = true; addresses = true; };
    };
    users.users.admin = {
      isNormalUser = true;
      extraGroups = [ "wheel" "timed" ];
      openssh.authorizedKeys.keys = cfg.adminKeys;
    };
    security.sudo.wheelNeedsPassword = false;
    nix.settings.trusted-users = [ "root" "@wheel" ];

    # --- Wi-Fi: the provisioned (or decrypted) network block; /etc only links to it (the secret
    # stays in /var/lib or agenix's ramfs, never in the store).
    networking.wireless.enable = true;
    systemd.tmpfiles.rules = [ "L+ /etc/wpa_supplicant.conf - - - - ${cfg.wifiConfig}" ];

    networking.hostName = lib.mkDefault "timed-${board.id}";
    system.stateVersion = "25.11";
  };
}
