# Build infrastructure for the images (options used are listed in images/OPTIONS.md):
#   timed.build.coordinator — the x86_64 host people run `nix run .#image` on: sends aarch64 builds
#     to the builders (ssh-ng), serves its store as a signed binary cache (Harmonia), pins the
#     aarch64 outputs it copied back as GC roots and prunes old ones;
#   timed.build.builder — an aarch64 builder: a restricted `nixbuilder` user that can only run
#     `nix-daemon --stdio`, trusted by its Nix daemon;
#   timed.build.cacheClient — a machine (an appliance, a laptop) substituting from the coordinator.
{ config, lib, pkgs, ... }:
let
  cfg = config.timed.build;
  rootsDir = "/nix/var/nix/gcroots/timed-aarch64";

  # post-build-hook: runs as root in the daemon after every local or remote build, with
  # DRV_PATH and OUT_PATHS set (nix.conf(5) post-build-hook).
  pinHook = pkgs.writeShellScript "timed-pin-aarch64-outputs" ''
    set -eu
    system=$(${config.nix.package}/bin/nix-store --query --binding system "$DRV_PATH" 2>/dev/null || true)
    [ "$system" = aarch64-linux ] || exit 0
    mkdir -p ${rootsDir}
    for p in $OUT_PATHS; do
      ln -sfn "$p" "${rootsDir}/$(basename "$p")"
    done
  '';
in
{
  options.timed.build = {
    coordinator = {
      enable = lib.mkEnableOption "the image build coordinator (x86_64)";
      builders = lib.mkOption {
        description = "The aarch64 builders.";
        default = [ ];
        type = lib.types.listOf (lib.types.submodule {
          options = {
            hostName = lib.mkOption { type = lib.types.str; description = "SSH host name of the builder."; };
            maxJobs = lib.mkOption { type = lib.types.int; default = 4; description = "Jobs at once on it."; };
            speedFactor = lib.mkOption { type = lib.types.int; default = 1; description = "Relative speed."; };
            publicHostKey = lib.mkOption {
              type = lib.types.nullOr lib.types.str;
              default = null;
              description = "base64 of its /etc/ssh/ssh_host_ed25519_key.pub (null: known_hosts).";
            };
          };
        });
      };
      sshKey = lib.mkOption {
        type = lib.types.str;
        default = "/root/.ssh/id_nixbuilder";
        description = "Private key for the builders' nixbuilder user (a host path, not a store path).";
      };
      cache = {
        signKeyFile = lib.mkOption {
          type = lib.types.str;
          default = "/var/lib/secrets/timed-cache.sec";
          description = ''
            Signing key of the binary cache (nix-store --generate-binary-cache-key NAME sec pub).
          '';
        };
        port = lib.mkOption { type = lib.types.port; default = 5000; description = "Harmonia's port."; };
        openFirewall = lib.mkOption { type = lib.types.bool; default = true; description = "Open it."; };
      };
      keepDays = lib.mkOption {
        type = lib.types.int;
        default = 30;
        description = "Days a copied-back aarch64 output stays pinned.";
      };
    };

    builder = {
      enable = lib.mkEnableOption "an aarch64 image builder";
      coordinatorKeys = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        description = "SSH public keys of the coordinators (their sshKey).";
      };
    };

    # The fallback for one x86_64 machine and no aarch64 builder: qemu-user through binfmt_misc
    # (`nix run .#image -- --local BOARD`). Much slower: the kernel alone takes hours emulated.
    emulateAarch64 = lib.mkEnableOption "building aarch64-linux here under qemu-user (boot.binfmt.emulatedSystems)";

    cacheClient = {
      enable = lib.mkEnableOption "substituting from the coordinator's cache";
      url = lib.mkOption { type = lib.types.str; example = "http://coordinator.lan:5000"; description = "Cache URL."; };
      publicKey = lib.mkOption { type = lib.types.str; description = "The cache's public signing key."; };
    };
  };

  config = lib.mkMerge [
    (lib.mkIf cfg.emulateAarch64 {
      # Registers qemu-aarch64 with the F flag and adds aarch64-linux to nix's extra-platforms.
      boot.binfmt.emulatedSystems = [ "aarch64-linux" ];
    })
    (lib.mkIf cfg.coordinator.enable {
      nix.distributedBuilds = true;
      nix.buildMachines = map
        (b: {
          inherit (b) hostName maxJobs speedFactor publicHostKey;
          protocol = "ssh-ng";
          system = "aarch64-linux";
          sshUser = "nixbuilder";
          inherit (cfg.coordinator) sshKey;
          # Kernels and other large builds require big-parallel.
          supportedFeatures = [ "big-parallel" ];
        })
        cfg.coordinator.builders;
      nix.settings = {
        # Builders fetch what cache.nixos.org already has instead of receiving it from here.
        builders-use-substitutes = true;
        post-build-hook = pinHook;
      };

      services.harmonia = {
        enable = true;
        signKeyPaths = [ cfg.coordinator.cache.signKeyFile ];
        settings.bind = "[::]:${toString cfg.coordinator.cache.port}";
      };
      networking.firewall.allowedTCPPorts = lib.optional cfg.coordinator.cache.openFirewall cfg.coordinator.cache.port;

      systemd.services.timed-gcroots-prune = {
        description = "Unpin copied-back aarch64 outputs older than ${toString cfg.coordinator.keepDays} days";
        path = [ pkgs.findutils ];
        serviceConfig.Type = "oneshot";
        # -P (default): the age is the link's own, i.e. when the output was pinned.
        script = ''
          [ -d ${rootsDir} ] || exit 0
          find ${rootsDir} -mindepth 1 -maxdepth 1 -type l -mtime +${toString cfg.coordinator.keepDays} -print -delete
        '';
      };
      systemd.timers.timed-gcroots-prune = {
        wantedBy = [ "timers.target" ];
        timerConfig = { OnCalendar = "daily"; Persistent = true; };
      };
    })

    (lib.mkIf cfg.builder.enable {
      users.users.nixbuilder = {
        isSystemUser = true;
        group = "nixbuilder";
        useDefaultShell = true;
        # ssh-ng runs `nix-daemon --stdio` on the builder: allow that command only, nothing else.
        openssh.authorizedKeys.keys = map
          (k: ''command="${config.nix.package}/bin/nix-daemon --stdio",restrict ${k}'')
          cfg.builder.coordinatorKeys;
      };
      users.groups.nixbuilder = { };
      nix.settings.trusted-users = [ "nixbuilder" ];
      services.openssh.enable = true;
    })

    (lib.mkIf cfg.cacheClient.enable {
      nix.settings = {
        substituters = [ cfg.cacheClient.url ];
        trusted-public-keys = [ cfg.cacheClient.publicKey ];
      };
    })
  ];
}
