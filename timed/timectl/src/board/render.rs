//! What a board wiring turns into: config.txt lines, kernel console arguments, a timed.toml and
//! chrony refclock lines. images/lib/board.nix computes the same for the NixOS image (compared by
//! tests/nix-lint.sh); the rules are written down in boards/README.md.

use super::schema::{Board, Transport, Wiring};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// timed's default SOCK paths (timed/daemon/timed.toml `[chrony.sock]`).
pub const PPS_SOCK: &str = "/run/chrony/timed-pps.sock";
pub const COARSE_SOCK: &str = "/run/chrony/timed-coarse.sock";

fn value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// config.txt lines under the board's section: options, then base `dtparam`s (a `dtparam=`
/// after a `dtoverlay=` would apply to that overlay), then one `dtoverlay=` per overlay, then
/// `[all]`. Keys are sorted (BTreeMap), as Nix attribute sets are.
pub fn config_txt(b: &Board, w: &Wiring) -> String {
    let mut s = format!("[{}]\n", b.config_txt_section.get_ref());
    for (k, v) in w.config_txt.options.get_ref() {
        let _ = writeln!(s, "{k}={}", value(v.get_ref()));
    }
    if let Some(p) = &w.config_txt.dtparams {
        for (k, v) in p.get_ref() {
            let _ = writeln!(s, "dtparam={k}={}", value(v.get_ref()));
        }
    }
    for (name, params) in w.config_txt.overlays.get_ref() {
        s.push_str("dtoverlay=");
        s.push_str(name);
        for (k, v) in params.get_ref() {
            match v.get_ref() {
                toml::Value::Boolean(true) => {
                    let _ = write!(s, ",{k}");
                }
                other => {
                    let _ = write!(s, ",{k}={}", value(other));
                }
            }
        }
        s.push('\n');
    }
    // Back to every model: lines appended after ours (by the user or another package) must not
    // land silently inside our model filter.
    s.push_str("[all]\n");
    s
}

/// The kernel command line's `console=` arguments, in order.
pub fn kernel_params(w: &Wiring) -> Vec<String> {
    w.consoles.get_ref().iter().map(|c| format!("console={c}")).collect()
}

/// The ttys that get no getty (aliases resolved, e.g. serial0 → ttyAMA0).
pub fn getty_off(b: &Board, w: &Wiring) -> Vec<String> {
    let mut v: Vec<String> = w.keep_off.get_ref().iter().map(|k| b.resolve_tty(w, k).to_string()).collect();
    v.sort();
    v.dedup();
    v
}

/// The link udev/60-timed.rules gives a u-blox receiver on USB (vendor 1546, CDC-ACM).
pub const GPS_LINK: &str = "/dev/gps0";

/// The device timed opens: for a USB receiver on `/dev/ttyACM<n>` the stable `/dev/gps0` link
/// (the kernel numbers ACM devices in plug order, so ttyACM0 may be another device after a
/// replug); otherwise the wiring's tty (a header UART is always ttyAMA0).
pub fn timed_device(w: &Wiring) -> String {
    let dev = w.serial_device.get_ref();
    if *w.transport.get_ref() == Transport::Usb && dev.starts_with("/dev/ttyACM") {
        GPS_LINK.into()
    } else {
        dev.clone()
    }
}

/// The timed settings a wiring implies, as a TOML table (also what the NixOS module's
/// `services.timed.settings` defaults to).
pub fn timed_settings(w: &Wiring) -> toml::Table {
    let mut t = toml::Table::new();
    let mut receiver = toml::Table::new();
    receiver.insert("device".into(), timed_device(w).into());
    receiver.insert("baud".into(), (*w.baud.get_ref()).into());
    t.insert("receiver".into(), receiver.into());
    let mut pps = toml::Table::new();
    pps.insert("source".into(), "kernel".into());
    pps.insert("device".into(), w.pps_device.get_ref().clone().into());
    t.insert("pps".into(), pps.into());
    if let Some(g) = &w.led_gpio {
        // The status LED (timed/daemon/src/led.rs, `[led]`): the line named as the Raspberry Pi
        // device tree names it, searched on every GPIO chip.
        let mut led = toml::Table::new();
        led.insert("enabled".into(), true.into());
        led.insert("line".into(), format!("GPIO{}", g.get_ref()).into());
        led.insert("active_low".into(), w.led_active_low.into());
        t.insert("led".into(), led.into());
    }
    t
}

/// Without a PPS wire (`--pps off`): timed sends only coarse samples (`[pps] source = "off"`).
pub fn coarse_only_settings(w: &Wiring) -> toml::Table {
    let mut t = timed_settings(w);
    let mut pps = toml::Table::new();
    pps.insert("source".into(), "off".into());
    t.insert("pps".into(), pps.into());
    t
}

pub fn timed_toml(b: &Board, wid: &str, w: &Wiring) -> String {
    with_header(b, wid, &timed_settings(w))
}

pub fn timed_toml_coarse_only(b: &Board, wid: &str, w: &Wiring) -> String {
    with_header(b, wid, &coarse_only_settings(w))
}

fn with_header(b: &Board, wid: &str, t: &toml::Table) -> String {
    let body = toml::to_string(t).unwrap_or_default();
    format!(
        "# timed.toml for {} ({}, wiring {wid}), from boards/{}.toml.\n{body}",
        b.name,
        b.board.get_ref(),
        b.board.get_ref()
    )
}

/// A number as chrony reads it (sscanf %lf): `0`, `0.2`, `1e-7`.
pub fn num(x: f64) -> String {
    if x == 0.0 {
        "0".into()
    } else if x.abs() < 1e-3 {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// chrony `refclock` lines for timed's two SOCK streams with the wiring's trims.
pub fn chrony_refclocks(w: &Wiring, pps_sock: &str, coarse_sock: &str) -> Vec<String> {
    let c = w.chrony.get_ref();
    vec![
        format!(
            "refclock SOCK {pps_sock} refid PPS poll {} precision {} offset {} prefer",
            c.poll.get_ref(),
            num(*c.pps_precision.get_ref()),
            num(*c.pps_offset.get_ref())
        ),
        format!(
            "refclock SOCK {coarse_sock} refid GPS poll {} offset {} delay {} noselect",
            c.poll.get_ref(),
            num(*c.coarse_offset.get_ref()),
            num(*c.coarse_delay.get_ref())
        ),
    ]
}

/// Without a PPS wire the coarse refclock is chrony's only GPS source: selectable (no
/// `noselect`), with the wiring's offset and delay (the delay says how uncertain serial time is,
/// so network servers with a smaller one still win when they are reachable).
pub fn chrony_coarse_only(w: &Wiring, coarse_sock: &str) -> String {
    let c = w.chrony.get_ref();
    format!(
        "refclock SOCK {coarse_sock} refid GPS poll {} offset {} delay {}",
        c.poll.get_ref(),
        num(*c.coarse_offset.get_ref()),
        num(*c.coarse_delay.get_ref())
    )
}

/// chronyd's own leap-second source, so a leap does not rest on the refclocks' leap flags alone.
/// A zone name (chrony 4.3, Debian 12's, has no `leapseclist`); Debian's tzdata ships right/UTC.
pub const CHRONY_LEAP: &str = "leapsectz right/UTC";

/// The LAN's server, whatever the board: NTS with the pair timed-nts-cert makes at first boot
/// (or the owner's, at the same paths), rate limits and the client table's memory. The same
/// lines as the .deb's systemd/chrony/timed.conf, which says why each value (a test holds them
/// equal); the NixOS module renders them from its options with these defaults.
pub const CHRONY_SERVER: [&str; 7] = [
    "# The LAN's server: NTS, rate limits, client table (docs/nts.md).",
    "ntsservercert /var/lib/timed/nts/nts.crt",
    "ntsserverkey /var/lib/timed/nts/nts.key",
    "ntsdumpdir /var/lib/chrony",
    "ratelimit interval 1 burst 16 leak 2",
    "ntsratelimit interval 3 burst 8 leak 2",
    "clientloglimit 16777216",
];

/// What `timectl board chrony` prints: the refclocks, the leap source, the server lines.
pub fn chrony_lines(w: &Wiring, pps_sock: &str, coarse_sock: &str) -> Vec<String> {
    let mut v = chrony_refclocks(w, pps_sock, coarse_sock);
    v.push(CHRONY_LEAP.to_string());
    v.extend(CHRONY_SERVER.map(String::from));
    v
}

/// What `timectl board chrony --pps off` prints: the selectable coarse refclock, the leap
/// source, the server lines.
pub fn chrony_lines_coarse_only(w: &Wiring, coarse_sock: &str) -> Vec<String> {
    let mut v = vec![chrony_coarse_only(w, coarse_sock), CHRONY_LEAP.to_string()];
    v.extend(CHRONY_SERVER.map(String::from));
    v
}

/// Everything about one wiring, for `timectl board show --json` and the parity test.
#[derive(Serialize)]
pub struct WiringOut {
    pub summary: String,
    pub transport: Transport,
    pub serial_device: String,
    pub baud: i64,
    pub pps_gpio: i64,
    pub pps_device: String,
    pub led_gpio: Option<i64>,
    pub config_txt: String,
    pub kernel_params: Vec<String>,
    pub getty_off: Vec<String>,
    pub timed_settings: toml::Table,
    pub chrony_refclocks: Vec<String>,
    /// `--pps off`: the timed settings and the chrony refclock without a PPS wire.
    pub coarse_only_settings: toml::Table,
    pub chrony_coarse_only: String,
}

#[derive(Serialize)]
pub struct BoardOut {
    pub board: String,
    pub name: String,
    pub soc: String,
    pub dt_model: Vec<String>,
    pub config_txt_section: String,
    pub nixos_module: String,
    pub default_wiring: String,
    pub wiring: BTreeMap<String, WiringOut>,
}

pub fn board_out(b: &Board) -> BoardOut {
    let wiring = b
        .wiring
        .get_ref()
        .iter()
        .map(|(id, w)| {
            let w = w.get_ref();
            let out = WiringOut {
                summary: w.summary.clone(),
                transport: *w.transport.get_ref(),
                serial_device: w.serial_device.get_ref().clone(),
                baud: *w.baud.get_ref(),
                pps_gpio: *w.pps_gpio.get_ref(),
                pps_device: w.pps_device.get_ref().clone(),
                led_gpio: w.led_gpio.as_ref().map(|g| *g.get_ref()),
                config_txt: config_txt(b, w),
                kernel_params: kernel_params(w),
                getty_off: getty_off(b, w),
                timed_settings: timed_settings(w),
                chrony_refclocks: chrony_refclocks(w, PPS_SOCK, COARSE_SOCK),
                coarse_only_settings: coarse_only_settings(w),
                chrony_coarse_only: chrony_coarse_only(w, COARSE_SOCK),
            };
            (id.clone(), out)
        })
        .collect();
    BoardOut {
        board: b.board.get_ref().clone(),
        name: b.name.clone(),
        soc: b.soc.get_ref().clone(),
        dt_model: b.dt_model.get_ref().clone(),
        config_txt_section: b.config_txt_section.get_ref().clone(),
        nixos_module: b.nixos_module.get_ref().clone(),
        default_wiring: b.default_wiring.get_ref().clone(),
        wiring,
    }
}
