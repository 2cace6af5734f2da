# The flake's outputs (flake.nix stays thin). Layout:
#   packages.<system>.timed, checks.<system>.*, devShells.<system>.default   (x86_64, aarch64)
#   nixosModules.{timed, appliance, secrets, monitoring, build}
#   nixosConfigurations.<board> and .<board>-<wiring> for each boards/*.toml
#   packages.aarch64-linux.sd-image-<board>[-<wiring>] = config.system.build.sdImage
#   apps.<system>.{image, provision, deploy}
{ self, nixpkgs, nixos-raspberrypi, crane, agenix, ... }:
let
  inherit (nixpkgs) lib;
  systems = [ "x86_64-linux" "aarch64-linux" ];
  forAll = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
  built = pkgs: import ./package.nix { inherit pkgs crane; root = ../.; };

  boardIds = map (lib.removeSuffix ".toml")
    (builtins.filter (lib.hasSuffix ".toml") (builtins.attrNames (builtins.readDir ../boards)));
  boardFile = id: ../boards + "/${id}.toml";
  wiringsOf = id: builtins.attrNames (builtins.fromTOML (builtins.readFile (boardFile id))).wiring;

  appliance = id: wiring:
    let b = import ./lib/board.nix { board = boardFile id; inherit wiring; };
    in nixos-raspberrypi.lib.nixosSystem {
      specialArgs = { inherit nixos-raspberrypi; };
      modules = [
        nixos-raspberrypi.nixosModules.${b.nixos_module}.base
        nixos-raspberrypi.nixosModules.sd-image
        self.nixosModules.timed
        self.nixosModules.appliance
        # Options only until timed.secrets.* names an age file (docs/secrets.md).
        self.nixosModules.secrets
        {
          timed.appliance = { board = boardFile id; inherit wiring; };
          # Uncompressed, so `nix run .#provision` can write into a copy of it directly.
          sdImage.compressImage = false;
          image.baseName = lib.mkForce "timed-${id}-${b.wiringId}";
        }
      ];
    };
  configs = lib.listToAttrs (lib.concatMap
    (id:
      [ (lib.nameValuePair id (appliance id null)) ]
      ++ map (w: lib.nameValuePair "${id}-${w}" (appliance id w)) (wiringsOf id))
    boardIds);

  app = pkgs: name: runtimeInputs: text: {
    type = "app";
    program = lib.getExe (pkgs.writeShellApplication { inherit name runtimeInputs text; });
  };
  apps = pkgs:
    let timed = (built pkgs).timed;
    in {
      # nix run .#image -- <board>[-<wiring>]: builds the SD image on the aarch64 builders
      # (--max-jobs 0: nothing builds locally; nix.buildMachines from timed.build.coordinator).
      # --local: build on this machine instead (an x86_64 NixOS host with
      # boot.binfmt.emulatedSystems = [ "aarch64-linux" ], i.e. timed.build.emulateAarch64;
      # hours instead of minutes, docs/install-nixos.md).
      image = app pkgs "timed-image" [ pkgs.nix ] ''
        jobs=(--max-jobs 0)
        if [ "''${1:-}" = --local ]; then jobs=(); shift; fi
        if [ $# -ne 1 ]; then echo "usage: nix run .#image -- [--local] <board>[-<wiring>]  (${toString (builtins.attrNames configs)})" >&2; exit 2; fi
        case " ${toString (builtins.attrNames configs)} " in *" $1 "*) ;; *)
          echo "no board configuration '$1'; boards: ${toString (builtins.attrNames configs)}" >&2; exit 2;; esac
        out=$(nix build --no-link --print-out-paths "''${jobs[@]}" "${self}#packages.aarch64-linux.sd-image-$1")
        echo "$out"/sd-image/*.img
      '';
      # nix run .#provision -- <board> <image> --ssh-host-key F --admin-key F.pub [--wifi F] [--output F]
      provision = app pkgs "timed-provision-app" [ timed pkgs.e2fsprogs pkgs.mtools pkgs.util-linux ] ''
        exec timed-provision --boards ${timed}/share/timed/boards "$@"
      '';
      # nix run .#deploy -- <host> [<configuration>] [nixos-rebuild options]: switch a running
      # appliance, letting it fetch what it can from its substituters.
      deploy = app pkgs "timed-deploy" [ pkgs.nixos-rebuild ] ''
        if [ $# -lt 1 ]; then echo "usage: nix run .#deploy -- <host> [<configuration>] [nixos-rebuild options]" >&2; exit 2; fi
        host=$1; shift
        conf=''${host#*@}
        if [ $# -gt 0 ] && [ "''${1#-}" = "$1" ]; then conf=$1; shift; fi
        exec nixos-rebuild switch --flake "${self}#$conf" --target-host "$host" --use-remote-sudo --use-substitutes "$@"
      '';
    };
in
{
  packages = forAll (pkgs: { inherit (built pkgs) timed; default = (built pkgs).timed; })
    // {
    aarch64-linux = { inherit (built nixpkgs.legacyPackages.aarch64-linux) timed; default = (built nixpkgs.legacyPackages.aarch64-linux).timed; }
      // lib.mapAttrs' (n: c: lib.nameValuePair "sd-image-${n}" c.config.system.build.sdImage) configs;
  };

  checks = forAll (pkgs: (built pkgs).checks);

  devShells = forAll (pkgs: {
    default = (crane.mkLib pkgs).devShell {
      checks = (built pkgs).checks;
      # agenix and age: writing and rekeying the owner's secrets (docs/secrets.md).
      packages = [ pkgs.rust-analyzer pkgs.chrony pkgs.nixpkgs-fmt pkgs.deadnix pkgs.e2fsprogs pkgs.mtools pkgs.dosfstools ]
        ++ [ agenix.packages.${pkgs.stdenv.hostPlatform.system}.agenix pkgs.age ];
    };
  });

  nixosModules = {
    timed = import ./modules/timed.nix { inherit self; };
    appliance = ./modules/appliance.nix;
    secrets = import ./modules/secrets.nix { inherit agenix; };
    monitoring = import ./modules/monitoring.nix { inherit self; };
    build = ./modules/build.nix;
  };

  nixosConfigurations = configs;

  apps = forAll apps;
}
