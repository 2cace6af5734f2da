//! Which u-blox part the simulator models (`--model`), what identifies it (MON-VER), which
//! configuration interface and time mode it has, and the "configured" state it starts in
//! without `--factory` (the set-up the simulator always had: what timed wants, at the
//! scenario's baud rate and message set).

use crate::keys::{self, Items, Msg};
use crate::scenario::{Protocol, Scenario};

/// A modelled receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// NEO-M8N, firmware SPG 3.01 (protocol 18): legacy CFG-* only, no time mode.
    #[value(name = "m8n")]
    M8n,
    /// NEO-M8T, firmware TIM 1.10 (protocol 22): legacy CFG-*, CFG-TMODE2 survey-in/fixed.
    #[value(name = "m8t")]
    M8t,
    /// ZED-F9T, firmware TIM 2.20 (protocol 29.20): CFG-VALSET/VALGET/VALDEL keys (and the
    /// legacy CFG-* messages the F9 still accepts), CFG-TMODE keys / CFG-TMODE3.
    #[value(name = "f9t")]
    F9t,
}

impl Part {
    /// Protocol 27 and later configure through CFG-VALSET/VALGET (F9 interface description,
    /// "Configuration interface"); earlier ones only through the legacy CFG-* messages.
    pub fn has_valset(self) -> bool {
        self == Part::F9t
    }

    /// A timing part: survey-in and fixed-position time mode.
    pub fn has_time_mode(self) -> bool {
        self != Part::M8n
    }

    /// MON-VER: swVersion (`char[30]`), hwVersion (`char[10]`) and the extension strings
    /// (`char[30]` each) as these parts send them (u-blox 8 protocol spec and F9 interface
    /// description, UBX-MON-VER). The M8N strings are those of the MON-VER in the real capture
    /// `ublox8-uniqid-monhw.log`; the M8T and F9T ones are what such modules report (NEO-M8T
    /// TIM 1.10 and ZED-F9T TIM 2.20 as published by their users).
    pub fn mon_ver(self) -> (&'static str, &'static str, &'static [&'static str]) {
        match self {
            Part::M8n => (
                "ROM CORE 3.01 (107888)",
                "00080000",
                &["FWVER=SPG 3.01", "PROTVER=18.00", "GPS;GLO;GAL;BDS", "SBAS;IMES;QZSS"],
            ),
            Part::M8t => (
                "EXT CORE 3.01 (111141)",
                "00080000",
                &[
                    "ROM BASE 2.01 (75331)",
                    "FWVER=TIM 1.10",
                    "PROTVER=22.00",
                    "MOD=NEO-M8T-0",
                    "FIS=0xEF4015 (100111)",
                    "GPS;GLO;GAL;BDS",
                    "SBAS;IMES;QZSS",
                ],
            ),
            Part::F9t => (
                "EXT CORE 1.00 (3fda8e)",
                "00190000",
                &[
                    "ROM BASE 0x118B2060",
                    "FWVER=TIM 2.20",
                    "PROTVER=29.20",
                    "MOD=ZED-F9T",
                    "GPS;GLO;GAL;BDS",
                    "SBAS;QZSS",
                    "NAVIC",
                ],
            ),
        }
    }

    /// The message reporting antenna and jamming state.
    pub fn rf_msg(self) -> Msg {
        if self == Part::F9t {
            Msg::MonRf
        } else {
            Msg::MonHw
        }
    }
}

/// The state the simulator has always had, as items on top of the part's factory state: the
/// scenario's baud and message set (`protocol`, `timels_every_s`, `monrf_every_s`), the
/// time pulse every second whether or not there is a fix (so a scenario's `no_fix` keeps its
/// pulses, as before), on the GPS grid (TIM-TP in GPS time), the cable delay compensated.
/// It stands for a receiver someone configured and saved to flash: a power cycle keeps it.
pub fn configured(part: Part, s: &Scenario) -> Items {
    let mut k = keys::factory(part);
    let ubx = matches!(s.protocol, Protocol::Ubx | Protocol::UbxNmea);
    let nmea = matches!(s.protocol, Protocol::Nmea | Protocol::UbxNmea);
    let rate = |on: bool, every: u32| u64::from(if on { every.min(255) } else { 0 });
    let mut set = |key: u32, v: u64| {
        k.insert(key, v);
    };
    set(keys::UART1_BAUDRATE, u64::from(s.baud));
    for m in [Msg::NavPvt, Msg::NavTimeutc, Msg::TimTp, Msg::NavStatus, Msg::NavSat, Msg::NavEoe] {
        set(m.key(), rate(ubx, 1));
    }
    set(Msg::NavTimels.key(), rate(ubx, s.timels_every_s));
    set(part.rf_msg().key(), rate(ubx, s.monrf_every_s));
    for m in [Msg::Rmc, Msg::Gga, Msg::Gsa, Msg::Gsv, Msg::Zda] {
        set(m.key(), rate(nmea, 1));
    }
    for m in [Msg::Gll, Msg::Vtg] {
        set(m.key(), 0);
    }
    set(keys::TP_LEN_TP1, 100_000);
    set(keys::TP_TIMEGRID_TP1, 1);
    k.retain(|key, _| keys::known(part, *key));
    k
}
