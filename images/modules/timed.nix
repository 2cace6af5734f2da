# nixosModules.timed: services.timed — the daemon (unit and udev rules from the package, i.e. the
# repository's systemd/timed.service and udev/60-timed.rules), its timed.toml rendered from
# `settings` and checked at build time with `timed --check-config`, and chrony configured to match.
# Every option set here is listed with its source in images/OPTIONS.md.
{ self }:
{ config, lib, pkgs, utils, ... }:
let
  cfg = config.services.timed;
  toml = pkgs.formats.toml { };
  sock = cfg.settings.chrony.sock or { };
  ppsSock = sock.pps or "/run/chrony/timed-pps.sock";
  coarseSock = sock.coarse or "/run/chrony/timed-coarse.sock";
  metricsPort = lib.toInt (lib.last (lib.splitString ":" (cfg.settings.metrics.listen or "127.0.0.1:9477")));

  # Same rules as timed itself: the build fails with timed's FILE:LINE:COL messages.
  configFile = pkgs.runCommand "timed.toml" { } ''
    cp ${toml.generate "timed.toml" cfg.settings} timed.toml
    ${cfg.package}/bin/timed --check-config timed.toml
    cp timed.toml $out
  '';

  # systemd/modules-load.d/timed.conf: class drivers loaded at boot so the unit's
  # DeviceAllow=char-* classes exist when timed starts (the file says why).
  modulesLoad = builtins.filter (l: l != "" && !lib.hasPrefix "#" l)
    (lib.splitString "\n" (builtins.readFile "${self}/systemd/modules-load.d/timed.conf"));

  chronyLines = lib.concatStringsSep "\n" (
    cfg.chrony.refclocks
    ++ map (net: "allow ${net}") cfg.chrony.allow
    # Remote chronyc (UDP 323): chronyd answers only its monitoring commands there (tracking,
    # sources, sourcestats...; chrony.conf(5) cmdallow), never ones that change the clock.
    ++ lib.optionals (cfg.chrony.cmdAllow != [ ]) ([ "bindcmdaddress 0.0.0.0" "bindcmdaddress ::" ]
    ++ map (net: "cmdallow ${net}") cfg.chrony.cmdAllow)
    # No RTC: step the clock at start-up (from the restored last-known time) until the first
    # three updates, then only slew.
    ++ [ "makestep ${toString cfg.chrony.makestep.threshold} ${toString cfg.chrony.makestep.limit}" ]
    # chronyd's own leap source, so a leap second does not rest on the refclocks' leap flags
    # alone. A zone name looked up under TZDIR, which NixOS points at tzdata for every service;
    # chrony 4.6+ could read leap-seconds.list (leapseclist) instead.
    ++ [ "leapsectz right/UTC" ]
    # The LAN's server, as the .deb's systemd/chrony/timed.conf (which says why each value).
    ++ lib.optional (cfg.chrony.rateLimit != null) "ratelimit ${cfg.chrony.rateLimit}"
    ++ [ "clientloglimit ${toString cfg.chrony.clientLogLimit}" ]
    ++ lib.optionals nts.enable ([
      "ntsservercert ${nts.certFile}"
      "ntsserverkey ${nts.keyFile}"
      # The server's cookie keys survive a restart (no NTS-KE storm from every client).
      "ntsdumpdir ${config.services.chrony.directory}"
    ] ++ lib.optional (nts.rateLimit != null) "ntsratelimit ${nts.rateLimit}")
  );
  nts = cfg.chrony.ntsServer;
  # Where systemd/nts/timed-nts-cert makes the pair (its --dir; the names are fixed).
  ntsDir = "/var/lib/timed/nts";
in
{
  options.services.timed = {
    enable = lib.mkEnableOption "timed, the GPS/PPS time daemon feeding chrony";

    package = lib.mkOption {
      type = lib.types.package;
      default = self.packages.${pkgs.stdenv.hostPlatform.system}.timed;
      defaultText = lib.literalExpression "timed.packages.\${system}.timed";
      description = "The timed package (daemon, timectl, unit, udev rules).";
    };

    settings = lib.mkOption {
      type = toml.type;
      default = { };
      example = { receiver = { device = "/dev/ttyAMA0"; baud = 9600; }; };
      description = ''
        timed.toml as Nix (sections receiver, pps, engine, chrony.sock, chrony.shm, metrics, log,
        led, control, leap; timed/daemon/timed.toml documents every key). Checked at build time with
        `timed --check-config`.
      '';
    };

    configFile = lib.mkOption {
      type = lib.types.path;
      readOnly = true;
      default = configFile;
      defaultText = lib.literalMD "the checked rendering of `settings`";
      description = "The checked timed.toml, installed as /etc/timed/timed.toml.";
    };

    metrics = {
      openFirewall = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = ''
          Serve the metrics endpoint and the status page (docs/web.md) to the LAN: listen on all
          addresses, open its TCP port, and let the unit's IP filter (IPAddressAllow=localhost in
          timed.service) accept `allowFrom`.
        '';
      };
      allowFrom = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ "10.0.0.0/8" "172.16.0.0/12" "192.168.0.0/16" "fd00::/8" ];
        description = "Networks allowed to scrape when `openFirewall` is set (systemd IPAddressAllow=).";
      };
    };

    enableLocalScraping = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Add a scrape job for this host's timed to a Prometheus running on the same host.";
    };

    chrony = {
      enable = lib.mkOption {
        type = lib.types.bool;
        default = true;
        description = "Configure chrony (services.chrony) for timed's refclocks and as the LAN's server.";
      };
      refclocks = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [
          "refclock SOCK ${ppsSock} refid PPS poll 2 precision 1e-7 prefer"
          "refclock SOCK ${coarseSock} refid GPS poll 2 noselect"
        ];
        defaultText = lib.literalMD "PPS (`prefer`) and coarse (`noselect`) SOCK refclocks on timed's socket paths";
        description = "chrony refclock lines (the appliance sets them from the board file's trims).";
      };
      allow = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        example = [ "192.168.1.0/24" ];
        description = "Networks chrony serves time to (`allow` lines); UDP 123 is opened when non-empty.";
      };
      cmdAllow = lib.mkOption {
        type = lib.types.listOf lib.types.str;
        default = [ ];
        example = [ "192.168.1.0/24" ];
        description = "Networks that may run read-only `chronyc -h HOST tracking|sources` (`cmdallow`); UDP 323 is opened when non-empty.";
      };
      makestep = {
        threshold = lib.mkOption {
          type = lib.types.number;
          default = 1;
          description = "chrony `makestep` threshold in seconds.";
        };
        limit = lib.mkOption {
          type = lib.types.int;
          default = 3;
          description = "chrony `makestep` limit: clock updates after start-up in which a step is allowed.";
        };
      };
      ntsClient = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Use NTS with the upstream servers (services.chrony.enableNTS).";
      };
      rateLimit = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = "interval 1 burst 16 leak 2";
        description = ''
          chrony `ratelimit` options per client address (null: none). The default answers one
          request per 2 s on average with bursts of 16 (an iburst start, a few hosts behind one
          NAT), then every 4th request, so a spoofed flood cannot silence a real client.
        '';
      };
      clientLogLimit = lib.mkOption {
        type = lib.types.ints.positive;
        default = 16777216;
        description = ''
          chrony `clientloglimit`, bytes: the client table behind rate limiting, interleaved mode
          and `chronyc clients`. 16 MiB holds 131072 addresses (chrony.conf(5): 512 KiB holds
          4096); the default 512 KiB would forget clients, and their rate limits, past 4096.
        '';
      };
      ntsServer = {
        enable = lib.mkOption {
          type = lib.types.bool;
          default = true;
          description = "Serve NTS (NTS-KE on TCP 4460, opened with `allow`) with `certFile` and `keyFile`.";
        };
        certFile = lib.mkOption {
          type = lib.types.str;
          default = "${ntsDir}/nts.crt";
          description = ''
            Certificate chain for `ntsservercert` (a path on the host, never in the store). Left at
            the default, a self-signed one is made on the device at first boot (`generate`).
          '';
        };
        keyFile = lib.mkOption {
          type = lib.types.str;
          default = "${ntsDir}/nts.key";
          description = "Private key for `ntsserverkey` (a path on the host, never in the store).";
        };
        generate = lib.mkOption {
          type = lib.types.bool;
          default = nts.certFile == "${ntsDir}/nts.crt" && nts.keyFile == "${ntsDir}/nts.key";
          defaultText = lib.literalMD "true while `certFile` and `keyFile` are the defaults";
          description = ''
            Make a self-signed certificate and key at first boot when either file is missing
            (timed-nts-cert.service, before chronyd; an existing pair is never replaced). Off when
            the owner supplies the files (e.g. decrypted secrets).
          '';
        };
        extraNames = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          example = [ "time.example.lan" "192.168.1.10" ];
          description = ''
            Names and addresses the made certificate carries besides the host name and NAME.local
            (timed-nts-cert's arguments; an all-digits-and-dots or a colon'd one is an address).
            Read when the pair is made: after a change, remove the pair and start the unit again
            (docs/nts.md, Rotating).
          '';
        };
        rateLimit = lib.mkOption {
          type = lib.types.nullOr lib.types.str;
          default = "interval 3 burst 8 leak 2";
          description = "chrony `ntsratelimit` options (null: chrony's default): NTS-KE is a TLS handshake, far dearer than an NTP reply.";
        };
      };
    };
  };

  config = lib.mkIf cfg.enable (lib.mkMerge [
    {
      environment.systemPackages = [ cfg.package ];
      boot.kernelModules = modulesLoad;
      environment.etc."timed/timed.toml".source = configFile;

      users.users.timed = {
        isSystemUser = true;
        group = "timed";
        description = "timed GPS/PPS time daemon";
      };
      users.groups.timed = { };

      # udev/60-timed.rules (/dev/gps0, /dev/pps* group timed, no USB autosuspend).
      services.udev.packages = [ cfg.package ];
      # systemd/timed.service, with the store path and NixOS's chrony group
      # (images/lib/unit-substitutions.nix).
      systemd.packages = [ cfg.package ];
      systemd.services.timed = {
        wantedBy = [ "multi-user.target" ];
        restartTriggers = [ configFile ];
        serviceConfig = lib.mkIf cfg.metrics.openFirewall {
          IPAddressAllow = cfg.metrics.allowFrom;
        };
      };

      services.timed.settings.metrics.listen = lib.mkIf cfg.metrics.openFirewall (lib.mkDefault "[::]:9477");
      # NixOS has no /usr/share/zoneinfo (timed's default [leap] list): the store's tzdata, which
      # `timed --check-config` at build time can read too.
      services.timed.settings.leap.list = lib.mkDefault "${pkgs.tzdata}/share/zoneinfo/leap-seconds.list";
      networking.firewall.allowedTCPPorts =
        lib.optional cfg.metrics.openFirewall metricsPort
        ++ lib.optional (cfg.chrony.enable && nts.enable && cfg.chrony.allow != [ ]) 4460;
      # `timectl status` shows the certificate chronyd serves.
      services.timed.settings.nts.cert = lib.mkDefault (if cfg.chrony.enable && nts.enable then nts.certFile else "");
    }

    (lib.mkIf cfg.enableLocalScraping {
      assertions = [{
        assertion = config.services.prometheus.enable;
        message = "services.timed.enableLocalScraping needs services.prometheus.enable on this host.";
      }];
      services.prometheus.scrapeConfigs = [{
        job_name = "timed";
        static_configs = [{ targets = [ "127.0.0.1:${toString metricsPort}" ]; }];
      }];
    })

    (lib.mkIf cfg.chrony.enable {
      services.chrony = {
        enable = true;
        # A Raspberry Pi has no RTC to trim (and rtcfile/rtcautotrim would fail without one).
        enableRTCTrimming = false;
        # Deprecated in chrony in favour of makestep (set in extraConfig).
        initstepslew.enabled = false;
        enableNTS = cfg.chrony.ntsClient;
        extraConfig = chronyLines;
      };
      networking.firewall.allowedUDPPorts = lib.optional (cfg.chrony.allow != [ ]) 123
        ++ lib.optional (cfg.chrony.cmdAllow != [ ]) 323;

      # chronyd creates the refclock sockets as root, 0755, before dropping privileges; timed
      # (an unprivileged user in chrony's group) needs write permission on them, and on
      # chronyd's command socket for the chrony_* statistics (docs/privileges.md; the Debian
      # drop-in systemd/chrony.service.d/timed.conf does the same). NixOS runs chronyd as Type=simple, so an ExecStartPost could race
      # the socket creation: this unit waits for the sockets instead, and follows chronyd's
      # restarts (PartOf=).
      # systemd/timed-nts-cert.service for NixOS: the pair made on the device at first boot,
      # never in the image or the store; chronyd (group chrony here) reads the key.
      assertions = [{
        assertion = !(nts.enable && nts.generate) || (nts.certFile == "${ntsDir}/nts.crt" && nts.keyFile == "${ntsDir}/nts.key");
        message = "services.timed.chrony.ntsServer.generate makes ${ntsDir}/nts.{crt,key} only; set generate = false for other paths.";
      }];
      systemd.services.timed-nts-cert = lib.mkIf (nts.enable && nts.generate) {
        description = "timed: NTS certificate and key for chrony (first boot)";
        wantedBy = [ "chronyd.service" ];
        before = [ "chronyd.service" ];
        path = [ pkgs.openssl pkgs.coreutils pkgs.gnused pkgs.getent ];
        unitConfig.ConditionPathExists = [ "|!${nts.certFile}" "|!${nts.keyFile}" ];
        serviceConfig = {
          Type = "oneshot";
          # systemd quoting (not a shell's: % and $ doubled) for the owner's names.
          ExecStart = utils.escapeSystemdExecArgs ([ pkgs.runtimeShell "${self}/systemd/nts/timed-nts-cert" "--dir" ntsDir "--group" "chrony" ] ++ nts.extraNames);
          StateDirectory = "timed";
          ProtectSystem = "strict";
          ProtectHome = true;
          PrivateTmp = true;
          PrivateNetwork = true;
          NoNewPrivileges = true;
        };
      };

      systemd.services.timed-chrony-sockets = {
        description = "Hand chronyd's refclock sockets to timed";
        wantedBy = [ "chronyd.service" ];
        after = [ "chronyd.service" ];
        partOf = [ "chronyd.service" ];
        path = [ pkgs.coreutils ];
        serviceConfig = {
          Type = "oneshot";
          RemainAfterExit = true;
        };
        script = ''
          for s in ${lib.escapeShellArg ppsSock} ${lib.escapeShellArg coarseSock}; do
            for _ in $(seq 100); do [ -S "$s" ] && break; sleep 0.1; done
            if [ -S "$s" ]; then
              chgrp timed "$s" && chmod g+w "$s"
            else
              echo "$s: chronyd created no socket (refclock line missing?)" >&2
            fi
          done
          if [ -S /run/chrony/chronyd.sock ]; then chmod g+w /run/chrony/chronyd.sock; fi
        '';
      };
    })
  ]);
}
