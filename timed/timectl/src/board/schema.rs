//! The board file schema (boards/README.md) and its checks. Every problem carries the byte span
//! of the value it is about, so it can be reported as `FILE:LINE:COL`.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    pub schema: Spanned<i64>,
    pub board: Spanned<String>,
    pub name: String,
    pub dt_model: Spanned<Vec<String>>,
    pub soc: Spanned<String>,
    pub config_txt_section: Spanned<String>,
    pub nixos_module: Spanned<String>,
    pub default_wiring: Spanned<String>,
    pub wiring: Spanned<BTreeMap<String, Spanned<Wiring>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wiring {
    pub summary: String,
    pub transport: Spanned<Transport>,
    pub serial_device: Spanned<String>,
    pub baud: Spanned<i64>,
    pub pps_gpio: Spanned<i64>,
    pub pps_device: Spanned<String>,
    pub consoles: Spanned<Vec<String>>,
    pub keep_off: Spanned<Vec<String>>,
    #[serde(default)]
    pub led_gpio: Option<Spanned<i64>>,
    #[serde(default)]
    pub led_active_low: bool,
    pub config_txt: ConfigTxt,
    pub chrony: Spanned<ChronyTrims>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Uart,
    Usb,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigTxt {
    pub options: Spanned<Kv>,
    #[serde(default)]
    pub dtparams: Option<Spanned<Kv>>,
    pub overlays: Spanned<BTreeMap<String, Spanned<Kv>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChronyTrims {
    pub pps_offset: Spanned<f64>,
    pub pps_precision: Spanned<f64>,
    pub coarse_offset: Spanned<f64>,
    pub coarse_delay: Spanned<f64>,
    pub poll: Spanned<i64>,
}

/// `key = value` lines of config.txt, each value with its place in the file.
pub type Kv = BTreeMap<String, Spanned<toml::Value>>;

/// One problem: where (byte span in the file), what, and how to fix it.
#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// The serial rates timed accepts (timed/daemon/src/config.rs, `receiver.baud`).
pub const BAUDS: [i64; 9] = [4800, 9600, 19_200, 38_400, 57_600, 115_200, 230_400, 460_800, 921_600];

/// Parameters of the overlays this project relies on (Raspberry Pi kernel
/// arch/arm/boot/dts/overlays/README); other overlays are passed through unchecked.
const KNOWN_OVERLAYS: [(&str, &[&str]); 3] = [
    ("pps-gpio", &["gpiopin", "assert_falling_edge", "capture_clear"]),
    ("disable-bt", &[]),
    ("miniuart-bt", &[]),
];

impl Board {
    /// Where `serial0` points for a wiring: the Raspberry Pi UART documentation says the primary
    /// UART is the mini-UART `ttyS0` on Pi 3/4 unless an overlay gives the PL011 (`ttyAMA0`) back
    /// to GPIO14/15, and the debug connector's `ttyAMA10` on the Pi 5.
    pub fn serial0(&self, w: &Wiring) -> &'static str {
        match self.soc.get_ref().as_str() {
            "bcm2712" => "ttyAMA10",
            _ if w.config_txt.overlays.get_ref().keys().any(|k| k == "disable-bt" || k == "miniuart-bt") => {
                "ttyAMA0"
            }
            _ => "ttyS0",
        }
    }

    /// The tty a console or getty name refers to (`serial0` resolved, options after `,` dropped).
    pub fn resolve_tty<'a>(&self, w: &Wiring, name: &'a str) -> &'a str {
        let tty = name.split(',').next().unwrap_or(name);
        if tty == "serial0" {
            self.serial0(w)
        } else {
            tty
        }
    }
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
}

/// Semantic checks of a parsed board file. `stem` is the file name without `.toml`.
pub fn check(b: &Board, stem: Option<&str>) -> Vec<Issue> {
    let mut v = Vec::new();
    let mut bad = |span: Range<usize>, message: String, hint: Option<&str>| {
        v.push(Issue { span, message, hint: hint.map(str::to_string) })
    };
    if *b.schema.get_ref() != 1 {
        bad(b.schema.span(), format!("schema {} is not supported", b.schema.get_ref()), Some("schema = 1"));
    }
    let id = b.board.get_ref();
    if !is_id(id) {
        bad(b.board.span(), format!("board id {id:?} is not lowercase letters, digits and '-'"), None);
    }
    if let Some(stem) = stem {
        if stem != id {
            bad(
                b.board.span(),
                format!("board = {id:?} but the file is named {stem}.toml"),
                Some("the board id names the file and nixosConfigurations.<board>: make them equal"),
            );
        }
    }
    if b.dt_model.get_ref().is_empty() || b.dt_model.get_ref().iter().any(|m| !m.starts_with("Raspberry Pi "))
    {
        bad(
            b.dt_model.span(),
            "dt_model must list /proc/device-tree/model prefixes starting with \"Raspberry Pi \"".into(),
            Some("e.g. [\"Raspberry Pi 4 Model B\"]"),
        );
    }
    let soc = b.soc.get_ref().as_str();
    let (sections, module): (&[&str], &[&str]) = match soc {
        "bcm2837" => (&["pi3", "pi3+", "pi02"], &["raspberry-pi-3", "raspberry-pi-02"]),
        "bcm2711" => (&["pi4", "cm4", "pi400"], &["raspberry-pi-4"]),
        "bcm2712" => (&["pi5", "cm5", "pi500"], &["raspberry-pi-5"]),
        _ => {
            bad(
                b.soc.span(),
                format!("soc {soc:?} is not a supported Raspberry Pi SoC"),
                Some("bcm2837 (Pi 3, Zero 2 W), bcm2711 (Pi 4, CM4) or bcm2712 (Pi 5)"),
            );
            (&[], &[])
        }
    };
    let section = b.config_txt_section.get_ref().as_str();
    if !sections.is_empty() && !sections.contains(&section) {
        bad(
            b.config_txt_section.span(),
            format!("config.txt section [{section}] does not select a {soc} board"),
            Some(&format!("one of {sections:?}")),
        );
    }
    let nm = b.nixos_module.get_ref().as_str();
    let want_module =
        if section == "pi02" { "raspberry-pi-02" } else { module.first().copied().unwrap_or("") };
    if !module.is_empty() && nm != want_module {
        bad(
            b.nixos_module.span(),
            format!("nixos_module {nm:?} does not match a {soc} board with section [{section}]"),
            Some(&format!("nixos_module = {want_module:?} (nvmd/nixos-raspberrypi nixosModules)")),
        );
    }
    let wirings = b.wiring.get_ref();
    if wirings.is_empty() {
        bad(b.wiring.span(), "no [wiring.<id>] table".into(), Some("add [wiring.uart-hat] or [wiring.usb]"));
    }
    if !wirings.contains_key(b.default_wiring.get_ref()) {
        bad(
            b.default_wiring.span(),
            format!("default_wiring {:?} is not one of the [wiring.*] tables", b.default_wiring.get_ref()),
            Some(&format!("one of {:?}", wirings.keys().collect::<Vec<_>>())),
        );
    }
    for (wid, w) in wirings {
        if !is_id(wid) {
            v.push(Issue {
                span: w.span(),
                message: format!("wiring id {wid:?} is not lowercase letters, digits and '-'"),
                hint: None,
            });
        }
        v.extend(check_wiring(b, wid, w.get_ref()));
    }
    v
}

fn check_wiring(b: &Board, wid: &str, w: &Wiring) -> Vec<Issue> {
    let mut v = Vec::new();
    let mut bad = |span: Range<usize>, message: String, hint: Option<String>| {
        v.push(Issue { span, message: format!("wiring {wid}: {message}"), hint })
    };
    let soc = b.soc.get_ref().as_str();
    let transport = *w.transport.get_ref();
    let dev = w.serial_device.get_ref().as_str();
    let tty = dev.strip_prefix("/dev/").unwrap_or(dev);
    let overlays = w.config_txt.overlays.get_ref();
    match transport {
        Transport::Uart => {
            if dev != "/dev/ttyAMA0" {
                bad(
                    w.serial_device.span(),
                    format!("a uart wiring uses the PL011 on GPIO14/15, /dev/ttyAMA0, not {dev}"),
                    Some(
                        "the mini-UART (ttyS0) changes rate with the core clock; route the PL011 instead"
                            .into(),
                    ),
                );
            }
            if soc == "bcm2712" {
                let on = w.config_txt.dtparams.as_ref().and_then(|p| p.get_ref().get("uart0"));
                if on.map(|x| x.get_ref().as_str()) != Some(Some("on")) {
                    bad(
                        w.config_txt.overlays.span(),
                        "the Pi 5 enables UART0 on GPIO14/15 only with dtparam uart0=on".into(),
                        Some("[config_txt] dtparams = { uart0 = \"on\" }".into()),
                    );
                }
            } else if !overlays.contains_key("disable-bt") && !overlays.contains_key("miniuart-bt") {
                bad(
                    w.config_txt.overlays.span(),
                    "on this board the PL011 (ttyAMA0) drives Bluetooth unless an overlay moves it to GPIO14/15"
                        .into(),
                    Some("add disable-bt = {} to config_txt.overlays".into()),
                );
            }
        }
        Transport::Usb => {
            let ok = ["/dev/ttyACM", "/dev/ttyUSB"].iter().any(|p| {
                dev.strip_prefix(p).is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
            }) || dev.starts_with("/dev/serial/by-id/");
            if !ok {
                bad(
                    w.serial_device.span(),
                    format!("{dev} is not a USB serial device"),
                    Some("/dev/ttyACM0 (u-blox CDC-ACM), /dev/ttyUSB0 or a /dev/serial/by-id/ link".into()),
                );
            }
        }
    }
    if !BAUDS.contains(w.baud.get_ref()) {
        bad(
            w.baud.span(),
            format!("baud {} is not a rate timed accepts", w.baud.get_ref()),
            Some(format!("{BAUDS:?}")),
        );
    }
    let uart_pins = |g: i64| transport == Transport::Uart && (g == 14 || g == 15);
    let pps = *w.pps_gpio.get_ref();
    if !(2..=27).contains(&pps) || uart_pins(pps) {
        bad(
            w.pps_gpio.span(),
            format!("PPS on GPIO{pps} is not usable"),
            Some(
                "a header GPIO in 2..27 (0/1 are the HAT ID EEPROM), not the UART's 14/15; GPIO18 is usual"
                    .into(),
            ),
        );
    }
    match overlays.get("pps-gpio") {
        None => bad(
            w.config_txt.overlays.span(),
            "no pps-gpio overlay: the kernel would create no PPS device".into(),
            Some(format!("pps-gpio = {{ gpiopin = {pps} }}")),
        ),
        Some(p) => match p.get_ref().get("gpiopin").map(|g| g.get_ref().as_integer()) {
            Some(Some(g)) if g == pps => {}
            _ => bad(
                p.span(),
                format!("pps-gpio must set gpiopin = {pps} (pps_gpio)"),
                Some("the overlay's default pin is 18; say it explicitly so both agree".into()),
            ),
        },
    }
    let pd = w.pps_device.get_ref();
    if !pd.strip_prefix("/dev/pps").is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())) {
        bad(w.pps_device.span(), format!("{pd} is not a PPS device"), Some("/dev/pps0".into()));
    }
    if let Some(led) = &w.led_gpio {
        let g = *led.get_ref();
        if !(2..=27).contains(&g) || g == pps || uart_pins(g) {
            bad(
                led.span(),
                format!("status LED on GPIO{g} clashes or is out of range"),
                Some("a free GPIO in 2..27".into()),
            );
        }
    }
    for (name, p) in overlays {
        if !is_id(name) {
            bad(p.span(), format!("overlay name {name:?} is not a valid overlay name"), None);
        }
        if name == "disable-bt" && soc == "bcm2712" {
            bad(p.span(), "disable-bt is not needed on the Pi 5 (Bluetooth has its own UART)".into(), None);
        }
        let known = KNOWN_OVERLAYS.iter().find(|(n, _)| n == name).map(|(_, ps)| *ps);
        for (param, value) in p.get_ref() {
            if known.is_some_and(|ps| !ps.contains(&param.as_str())) {
                bad(
                    value.span(),
                    format!("overlay {name} has no parameter {param:?}"),
                    Some(format!("{known:?}")),
                );
            }
            if !matches!(
                value.get_ref(),
                toml::Value::Integer(_) | toml::Value::String(_) | toml::Value::Boolean(true)
            ) {
                bad(
                    value.span(),
                    format!("{name}.{param}: use an integer, a string, or true for a flag"),
                    None,
                );
            }
        }
    }
    let mut kv: Vec<(&String, &Spanned<toml::Value>)> = w.config_txt.options.get_ref().iter().collect();
    if let Some(p) = &w.config_txt.dtparams {
        kv.extend(p.get_ref().iter());
    }
    for (k, x) in kv {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bad(x.span(), format!("config.txt key {k:?} is not a valid name"), None);
        }
        if !matches!(x.get_ref(), toml::Value::Integer(_) | toml::Value::String(_)) {
            bad(
                x.span(),
                format!("config.txt value of {k} must be an integer or a string"),
                Some("enable_uart = 1".into()),
            );
        }
    }
    let keep_off = w.keep_off.get_ref();
    let aliases: Vec<&str> = if b.serial0(w) == tty { vec!["serial0"] } else { vec![] };
    for need in std::iter::once(tty).chain(aliases) {
        if !keep_off.iter().any(|k| k == need) {
            bad(
                w.keep_off.span(),
                format!("keep_off must list {need:?}: it is the GPS tty {tty}"),
                Some("a console or getty there would eat the receiver's bytes and write into it".into()),
            );
        }
    }
    let consoles = w.consoles.get_ref();
    if consoles.is_empty() {
        bad(w.consoles.span(), "no console".into(), Some("[\"tty1\"]".into()));
    }
    for c in consoles {
        let t = b.resolve_tty(w, c);
        if t.is_empty() || t == tty || keep_off.iter().any(|k| b.resolve_tty(w, k) == t) {
            bad(
                w.consoles.span(),
                format!("console {c:?} is on {t}, which must stay free for the receiver"),
                Some("use tty1, or a serial console on a UART the GPS does not use".into()),
            );
        }
    }
    let c = w.chrony.get_ref();
    let ranges: [(&str, &Spanned<f64>, f64, f64); 4] = [
        ("pps_offset", &c.pps_offset, -0.1, 0.1),
        ("pps_precision", &c.pps_precision, 1e-9, 1e-3),
        ("coarse_offset", &c.coarse_offset, -1.0, 1.0),
        ("coarse_delay", &c.coarse_delay, 0.0, 1.0),
    ];
    for (key, x, lo, hi) in ranges {
        let v = *x.get_ref();
        if !(v.is_finite() && (lo..=hi).contains(&v)) {
            bad(x.span(), format!("chrony.{key} = {v} is outside {lo}..{hi} seconds"), None);
        }
    }
    if !(0..=6).contains(c.poll.get_ref()) {
        let hint = Some("timed sends one sample a second; 2 is usual".into());
        bad(c.poll.span(), format!("chrony.poll = {} is outside 0..6", c.poll.get_ref()), hint);
    }
    v
}
