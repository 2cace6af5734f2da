//! `timed-provision <board> <image> --ssh-host-key F --admin-key F [--wifi F]`: see the library's docs.
//! Run as `nix run .#provision -- ...` (which passes --boards); docs/install-nixos.md.
//!
//! Owns: the command line and exit status. Must not contain: checking or writing, which are the
//! library's (tested on real images without this binary).
#![forbid(unsafe_code)]

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use timed_provision::{board_section, check_board, entries, image::Image, inputs, write_and_verify};

#[derive(Parser)]
#[command(
    name = "timed-provision",
    version,
    about = "Put an appliance's SSH host key, admin keys and Wi-Fi into its SD image"
)]
struct Cli {
    /// Board (boards/<board>.toml), or <board>-<wiring>.
    board: String,
    /// The SD image built by `nix run .#image` (uncompressed .img).
    image: PathBuf,
    /// OpenSSH ed25519 private host key; <FILE>.pub must be next to it.
    #[arg(long, value_name = "FILE")]
    ssh_host_key: PathBuf,
    /// The admin user's SSH public key(s) (e.g. ~/.ssh/id_ed25519.pub): the image allows no
    /// password login, so without a key nobody can log in.
    #[arg(long, value_name = "FILE", required_unless_present = "no_admin_key")]
    admin_key: Option<PathBuf>,
    /// Provision without admin keys (the configuration sets timed.appliance.adminKeys itself).
    #[arg(long, conflicts_with = "admin_key")]
    no_admin_key: bool,
    /// Wi-Fi credentials: lines ssid=NAME and psk=PASSPHRASE.
    #[arg(long, value_name = "FILE")]
    wifi: Option<PathBuf>,
    /// Where the provisioned image goes (the built image is read-only in the Nix store).
    #[arg(long, short, value_name = "FILE", default_value = "timed-provisioned.img")]
    output: PathBuf,
    /// Write into IMAGE itself instead of a copy.
    #[arg(long, conflicts_with = "output")]
    in_place: bool,
    /// Directory of board files.
    #[arg(long, value_name = "DIR", default_value = "boards")]
    boards: PathBuf,
}

fn fail(problems: &[String]) -> ExitCode {
    for p in problems {
        eprintln!("timed-provision: {p}");
    }
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Everything that can be checked without the image first.
    let key = match inputs::host_key(&cli.ssh_host_key) {
        Ok(k) => k,
        Err(e) => return fail(&[e]),
    };
    let wifi = match cli.wifi.as_deref().map(inputs::wifi).transpose() {
        Ok(w) => w,
        Err(e) => return fail(&[e]),
    };
    let admin = match cli.admin_key.as_deref().map(inputs::admin_keys).transpose() {
        Ok(a) => a,
        Err(e) => return fail(&[e]),
    };
    let (board, section) = match board_section(&cli.boards, &cli.board) {
        Ok(b) => b,
        Err(e) => return fail(&[e]),
    };
    let source = match Image::open(&cli.image) {
        Ok(i) => i,
        Err(e) => return fail(&[e]),
    };
    if let Err(e) = check_board(&source, &board, &section) {
        return fail(&[e]);
    }
    let target = if cli.in_place {
        source
    } else {
        if cli.output.exists() {
            return fail(&[format!(
                "{}: exists; remove it or choose another --output",
                cli.output.display()
            )]);
        }
        if let Err(e) = std::fs::copy(&cli.image, &cli.output) {
            return fail(&[format!("{}: cannot copy the image there: {e}", cli.output.display())]);
        }
        // A copy of a store path is read-only.
        let writable = std::fs::metadata(&cli.output).map(|m| {
            let mut p = m.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            p.set_readonly(false);
            std::fs::set_permissions(&cli.output, p)
        });
        if let Err(e) = writable.and_then(|r| r) {
            return fail(&[format!("{}: cannot make it writable: {e}", cli.output.display())]);
        }
        match Image::open(&cli.output) {
            Ok(i) => i,
            Err(e) => return fail(&[e]),
        }
    };
    let list = entries(&key, wifi, admin);
    match write_and_verify(&target, &list) {
        Ok(()) => {
            for e in &list {
                println!(
                    "{}: {} ({} bytes, mode {:o}) verified",
                    target.path.display(),
                    e.path,
                    e.data.len(),
                    e.mode
                );
            }
            ExitCode::SUCCESS
        }
        Err(problems) => {
            if !cli.in_place {
                let _ = std::fs::remove_file(&cli.output);
            }
            fail(&problems)
        }
    }
}
