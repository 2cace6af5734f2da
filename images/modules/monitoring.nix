# nixosModules.monitoring: a monitoring host — Prometheus scraping the appliances' metrics
# endpoints and evaluating timed's alert rules (timed/daemon/prometheus/alerts.yml, docs/alerts.md),
# and Grafana with the timed dashboard (timed/daemon/grafana/timed.json) and its Prometheus data
# source provisioned. Options used are listed in images/OPTIONS.md.
{ self }:
{ config, lib, pkgs, ... }:
let
  cfg = config.services.timed-monitoring;
  dashboards = pkgs.runCommand "timed-dashboards" { } ''
    mkdir -p $out
    cp ${self}/timed/daemon/grafana/timed.json $out/timed.json
  '';
  secretKey = "${config.services.grafana.dataDir}/secret_key";
in
{
  options.services.timed-monitoring = {
    enable = lib.mkEnableOption "Prometheus and Grafana for timed appliances";
    targets = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      example = [ "timed-pi4b.lan:9477" ];
      description = ''
        host:port of each appliance's metrics endpoint (on the appliance:
        services.timed.metrics.openFirewall = true).
      '';
    };
    alertmanagers = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "127.0.0.1:9093" ];
      description = ''
        host:port of the Alertmanagers Prometheus sends timed's alerts to. Empty: the rules
        are still evaluated (Prometheus's Alerts page, the dashboard's alerts row) but
        nothing is delivered.
      '';
    };
    grafana = {
      address = lib.mkOption {
        type = lib.types.str;
        default = "127.0.0.1";
        description = "Address Grafana listens on.";
      };
      port = lib.mkOption {
        type = lib.types.port;
        default = 3000;
        description = "Grafana's HTTP port.";
      };
      openFirewall = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Open Grafana's port.";
      };
    };
  };

  config = lib.mkIf cfg.enable {
    services.prometheus = {
      enable = true;
      listenAddress = "127.0.0.1";
      scrapeConfigs = [{
        # The rules select on this job name (TimedDown, TimedScrapeMissing).
        job_name = "timed";
        scrape_interval = "15s";
        static_configs = [{ targets = cfg.targets; }];
      }];
      # Checked with promtool at build time by the nixpkgs module.
      ruleFiles = [ "${self}/timed/daemon/prometheus/alerts.yml" ];
      alertmanagers = lib.optional (cfg.alertmanagers != [ ]) {
        static_configs = [{ targets = cfg.alertmanagers; }];
      };
    };

    services.grafana = {
      enable = true;
      settings = {
        server = {
          http_addr = cfg.grafana.address;
          http_port = cfg.grafana.port;
        };
        # Generated on the host by grafana-secret-key below, never in the store.
        security.secret_key = "$__file{${secretKey}}";
      };
      provision = {
        enable = true;
        datasources.settings = {
          apiVersion = 1;
          datasources = [{
            name = "Prometheus";
            type = "prometheus";
            uid = "prometheus-timed";
            url = "http://127.0.0.1:${toString config.services.prometheus.port}";
            isDefault = true;
          }];
        };
        dashboards.settings = {
          apiVersion = 1;
          providers = [{
            name = "timed";
            options.path = dashboards;
          }];
        };
      };
    };

    systemd.services.grafana-secret-key = {
      description = "Generate Grafana's secret key";
      wantedBy = [ "grafana.service" ];
      before = [ "grafana.service" ];
      path = [ pkgs.coreutils pkgs.openssl ];
      serviceConfig.Type = "oneshot";
      script = ''
        umask 077
        mkdir -p ${dirOf secretKey}
        [ -s ${secretKey} ] || openssl rand -hex 32 > ${secretKey}
        chown grafana:grafana ${secretKey}
      '';
    };

    networking.firewall.allowedTCPPorts = lib.optional cfg.grafana.openFirewall cfg.grafana.port;
  };
}
