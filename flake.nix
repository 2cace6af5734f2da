{
  description = "timed: GPS/PPS stratum-1 time appliance (Raspberry Pi images, NixOS modules, packages)";

  # Prebuilt Raspberry Pi kernels and firmware from nixos-raspberrypi (its README gives this key).
  nixConfig = {
    extra-substituters = [ "https://nixos-raspberrypi.cachix.org" ];
    extra-trusted-public-keys = [
      "nixos-raspberrypi.cachix.org-1:4iMO9LXa8BqhU+Rpg6LQKiGa2lsNh/j2oiYLNOQ5sPI="
    ];
  };

  inputs = {
    nixos-raspberrypi.url = "github:nvmd/nixos-raspberrypi/main";
    # The nixpkgs nixos-raspberrypi is built and cached against, so images hit its cache.
    nixpkgs.follows = "nixos-raspberrypi/nixpkgs";
    crane.url = "github:ipetkov/crane";
    # Secrets as age files decrypted on the device with its host key (images/modules/secrets.nix).
    # darwin and home-manager are used only by agenix's own checks: not fetched.
    agenix = {
      url = "github:ryantm/agenix";
      inputs.nixpkgs.follows = "nixpkgs";
      inputs.darwin.follows = "";
      inputs.home-manager.follows = "";
    };
  };

  # Everything lives in images/ (images/README.md).
  outputs = inputs: import ./images/outputs.nix inputs;
}
