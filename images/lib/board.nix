# What a board file (boards/<board>.toml, schema in boards/README.md) means for the NixOS image.
# Builtins only (no nixpkgs): tests/nix-lint.sh evaluates this file with plain
# `nix-instantiate --eval` and compares every value with `timectl board show --json`, which is
# what the Debian package installs, so the image and the .deb cannot drift apart.
#
# board: path to the board file; wiring: a wiring id, or null for the file's default_wiring.
{ board, wiring ? null }:
let
  b = builtins.fromTOML (builtins.readFile board);
  wid = if wiring == null then b.default_wiring else wiring;
  w =
    if builtins.hasAttr wid b.wiring then b.wiring.${wid}
    else throw "${toString board}: no wiring \"${wid}\" (has: ${builtins.concatStringsSep ", " (builtins.attrNames b.wiring)})";
  names = builtins.attrNames;
  str = v: if builtins.isString v then v else toString v;
  dtparams = w.config_txt.dtparams or { };
  overlays = w.config_txt.overlays;
  # serial0 as the firmware resolves it (boards/README.md; timectl's schema.rs does the same).
  serial0 =
    if b.soc == "bcm2712" then "ttyAMA10"
    else if overlays ? disable-bt || overlays ? miniuart-bt then "ttyAMA0"
    else "ttyS0";
  resolve = name:
    let tty = builtins.head (builtins.split "," name);
    in if tty == "serial0" then serial0 else tty;
  uniq = l: builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ] l;
  sort = builtins.sort builtins.lessThan;
  # chrony reads numbers with sscanf("%lf"): JSON's float syntax is fine.
  num = x: if x == 0 then "0" else builtins.toJSON x;
  c = w.chrony;
in
rec {
  inherit (b) soc config_txt_section nixos_module dt_model name;
  id = b.board;
  wiringId = wid;
  inherit (w) transport serial_device baud pps_gpio pps_device;
  led_gpio = w.led_gpio or null;

  # hardware.raspberry-pi.config.<section> for nvmd/nixos-raspberrypi (modules/configtxt-config.nix):
  # options.<k> = { enable; value; }, base-dt-params.<k> = { enable; value; },
  # dt-overlays.<name> = { enable; params.<p> = { enable; value; }; } (value null: a bare flag).
  configTxtSection = {
    options = builtins.mapAttrs (_: v: { enable = true; value = v; }) w.config_txt.options;
    base-dt-params = builtins.mapAttrs (_: v: { enable = true; value = v; }) dtparams;
    dt-overlays = builtins.mapAttrs
      (_: params: {
        enable = true;
        params = builtins.mapAttrs (_: v: { enable = true; value = if v == true then null else v; }) params;
      })
      overlays;
  };

  # The same data as config.txt text, in timectl's layout (for the parity test; nvmd renders
  # `dtoverlay=<name>` / `dtparam=<p>=<v>` / `dtoverlay=`, which the firmware reads the same way).
  config_txt =
    let
      opt = map (k: "${k}=${str w.config_txt.options.${k}}\n") (names w.config_txt.options);
      par = map (k: "dtparam=${k}=${str dtparams.${k}}\n") (names dtparams);
      ovl = map
        (o:
          let ps = overlays.${o};
          in "dtoverlay=${o}" + builtins.concatStringsSep ""
            (map (p: if ps.${p} == true then ",${p}" else ",${p}=${str ps.${p}}") (names ps)) + "\n")
        (names overlays);
    in
    "[${b.config_txt_section}]\n" + builtins.concatStringsSep "" (opt ++ par ++ ovl) + "[all]\n";

  kernel_params = map (con: "console=${con}") w.consoles;
  getty_off = sort (uniq (map resolve w.keep_off));

  # A u-blox receiver on USB (ttyACM<n>) is opened through the stable link udev/60-timed.rules
  # gives it; a header UART by its tty (timectl's render.rs: timed_device).
  timed_device =
    if w.transport == "usb" && builtins.substring 0 11 w.serial_device == "/dev/ttyACM"
    then "/dev/gps0" else w.serial_device;

  timed_settings = {
    receiver = { device = timed_device; baud = w.baud; };
    pps = { source = "kernel"; device = w.pps_device; };
  } // (if w ? led_gpio then {
    led = { enabled = true; line = "GPIO${toString w.led_gpio}"; active_low = w.led_active_low or false; };
  } else { });

  # Without a PPS wire (`timectl board ... --pps off`): timed sends coarse samples only and
  # chrony selects the coarse refclock (no noselect).
  coarse_only_settings = timed_settings // { pps = { source = "off"; }; };
  chrony_coarse_only = coarseSock:
    "refclock SOCK ${coarseSock} refid GPS poll ${toString c.poll} offset ${num c.coarse_offset} delay ${num c.coarse_delay}";

  chrony_refclocks = ppsSock: coarseSock: [
    "refclock SOCK ${ppsSock} refid PPS poll ${toString c.poll} precision ${num c.pps_precision} offset ${num c.pps_offset} prefer"
    "refclock SOCK ${coarseSock} refid GPS poll ${toString c.poll} offset ${num c.coarse_offset} delay ${num c.coarse_delay} noselect"
  ];
}
