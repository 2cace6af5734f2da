# The timed package (binaries timed, timed-pps-probe, timectl, timed-provision, plus the udev
# rules, the systemd unit, the board files and the Grafana dashboard) and the flake checks, with
# crane (ipetkov/crane: mkLib, buildDepsOnly, buildPackage, cargoClippy, cargoTest, cargoFmt).
{ pkgs, crane, root }:
let
  inherit (pkgs) lib;
  craneLib = crane.mkLib pkgs;
  # Only what the build reads, so editing docs or images does not rebuild the package.
  src = lib.fileset.toSource {
    inherit root;
    fileset = lib.fileset.unions [
      (root + "/Cargo.toml")
      (root + "/Cargo.lock")
      (root + "/rustfmt.toml")
      (root + "/clippy.toml")
      (root + "/timed")
      # The receiver captures the unit tests read (checks.tests), through timed/testdata.
      (root + "/testdata")
      (root + "/udev")
      (root + "/systemd")
      (root + "/boards")
    ];
  };
  common = {
    inherit src;
    pname = "timed";
    version = "0.1.0";
    strictDeps = true;
  };
  cargoArtifacts = craneLib.buildDepsOnly common;
  substitutions = import ./lib/unit-substitutions.nix { out = "$out"; };
  replaceArgs = lib.concatMapStringsSep " "
    (s: "--replace-fail ${lib.escapeShellArg s.from} \"${s.to}\"")
    substitutions;

  timed = craneLib.buildPackage (common // {
    inherit cargoArtifacts;
    cargoExtraArgs = "--locked -p timed -p timectl -p timed-provision";
    # The test suites need chronyd, root and network namespaces: they run in .ci/run and in
    # checks.tests (unit tests only), not in the package build.
    doCheck = false;
    postInstall = ''
      install -Dm644 udev/60-timed.rules $out/lib/udev/rules.d/60-timed.rules
      install -Dm644 systemd/timed.service $out/lib/systemd/system/timed.service
      substituteInPlace $out/lib/systemd/system/timed.service ${replaceArgs}
      install -Dm644 timed/daemon/grafana/timed.json $out/share/timed/grafana/timed.json
      install -Dm644 timed/daemon/prometheus/alerts.yml $out/share/timed/prometheus/alerts.yml
      install -Dm644 timed/daemon/timed.toml $out/share/doc/timed/timed.toml
      mkdir -p $out/share/timed/boards
      cp boards/*.toml boards/README.md $out/share/timed/boards/
    '';
    meta = {
      description = "GPS/PPS stratum-1 time daemon feeding chrony, and its CLI";
      license = lib.licenses.gpl2Plus;
      mainProgram = "timed";
    };
  });
in
{
  inherit timed;
  checks = {
    build = timed;
    clippy = craneLib.cargoClippy (common // {
      inherit cargoArtifacts;
      cargoClippyExtraArgs = "--workspace --all-targets -- --deny warnings";
    });
    # Unit tests of every crate (those reading receiver captures find them in testdata/); the
    # integration suites need root and chronyd (tests/run.sh runs them).
    tests = craneLib.cargoTest (common // {
      inherit cargoArtifacts;
      cargoTestExtraArgs = "--workspace --lib";
    });
    fmt = craneLib.cargoFmt { inherit src; pname = "timed"; version = "0.1.0"; };
    boards = pkgs.runCommand "timed-board-files" { } ''
      ${timed}/bin/timectl validate-board ${timed}/share/timed/boards/*.toml
      touch $out
    '';
  };
}
