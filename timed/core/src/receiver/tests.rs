//! Pure tests of the set-up: identity, items, the legacy and key encoders, and whole sessions
//! against a small fake receiver written here from the interface descriptions (the simulator's
//! receiver model is the independent one; the lab tests drive that).

use super::legacy::Readout;
use super::*;
use crate::framer::{Frame, Framer};
use crate::ubx::cfg::{self, MsgRates, Prt, Tmode2, Tp5};
use crate::ubx::valset::{self, KeyValue, Layers};
use crate::ubx::MonVer;

fn mon_ver(sw: &str, hw: &str, ext: &[&str]) -> MonVer {
    MonVer {
        sw_version: sw.into(),
        hw_version: hw.into(),
        extensions: ext.iter().map(|s| s.to_string()).collect(),
    }
}

fn f9t() -> MonVer {
    mon_ver(
        "EXT CORE 1.00 (f10c36)",
        "00190000",
        &["ROM BASE 0x118B2060", "FWVER=TIM 2.20", "PROTVER=29.00", "MOD=ZED-F9T"],
    )
}
fn m8t() -> MonVer {
    mon_ver(
        "EXT CORE 3.01 (111141)",
        "00080000",
        &["ROM BASE 2.01 (75331)", "FWVER=TIM 1.10", "PROTVER=22.00", "MOD=NEO-M8T"],
    )
}
fn m8n() -> MonVer {
    mon_ver("ROM CORE 3.01 (107888)", "00080000", &["FWVER=SPG 3.01", "PROTVER=18.00", "MOD=NEO-M8N"])
}

#[test]
fn identity_from_mon_ver() {
    let f = Identity::from_mon_ver(&f9t());
    assert_eq!((f.interface, f.timing, f.protocol), (Interface::Keys, true, Some((29, 0))));
    assert_eq!(f.model.as_deref(), Some("ZED-F9T"));
    assert_eq!(f.protocol_string().as_deref(), Some("29.00"));
    let t = Identity::from_mon_ver(&m8t());
    assert_eq!((t.interface, t.timing), (Interface::Legacy, true));
    let n = Identity::from_mon_ver(&m8n());
    assert_eq!((n.interface, n.timing), (Interface::Legacy, false));
    // No PROTVER: the hardware generation decides.
    let old = Identity::from_mon_ver(&mon_ver("7.03 (45969)", "00040007", &[]));
    assert_eq!(old.interface, Interface::Legacy);
    // The module name alone: a timing generation (M8T, F9T), with or without a suffix.
    for (m, timing) in
        [("MOD=NEO-M8T-0", true), ("MOD=ZED-F9T-10B", true), ("MOD=NEO-M8N", false), ("MOD=ZED-F9P", false)]
    {
        assert_eq!(Identity::from_mon_ver(&mon_ver("x", "00080000", &[m])).timing, timing, "{m}");
    }
    let f9_noprot = Identity::from_mon_ver(&mon_ver("EXT CORE", "00190000", &[]));
    assert_eq!(f9_noprot.interface, Interface::Keys);
}

#[test]
fn cable_delay_from_length() {
    assert_eq!(CableDelay::Ns(42).ns(), Some(42));
    // 10 m of RG-58 (velocity factor 0.66): 10 / (0.66 c) = 50.5 ns.
    assert_eq!(CableDelay::Length { meters: 10.0, velocity_factor: 0.66 }.ns(), Some(51));
    assert_eq!(CableDelay::Length { meters: 10.0, velocity_factor: 0.0 }.ns(), None);
}

#[test]
fn valset_valget_layout() {
    let f = valset::valset(Layers::Ram, &[KeyValue { key: valset::keys::UART1_BAUDRATE, raw: 115_200 }]);
    assert_eq!(&f[..6], &[0xB5, 0x62, 0x06, 0x8A, 12, 0]);
    assert_eq!(&f[6..10], &[0, 1, 0, 0]);
    assert_eq!(&f[10..14], &0x4052_0001u32.to_le_bytes());
    assert_eq!(&f[14..18], &115_200u32.to_le_bytes());
    let f = valset::valset(Layers::RamBbrFlash, &[KeyValue { key: valset::keys::TP_TP1_ENA, raw: 1 }]);
    assert_eq!((f[7], f.len()), (0x07, 8 + 4 + 4 + 1));
    // A VALGET answer with an I2 (cable delay −5 ns) and an L.
    let mut p = vec![1, 0, 0, 0];
    p.extend_from_slice(&valset::keys::TP_ANT_CABLEDELAY.to_le_bytes());
    p.extend_from_slice(&(-5i16).to_le_bytes());
    p.extend_from_slice(&valset::keys::TP_TP1_ENA.to_le_bytes());
    p.push(1);
    let kv = valset::valget_decode(&p).unwrap();
    assert_eq!(kv.len(), 2);
    assert_eq!(kv[0].signed(), -5);
    assert_eq!(kv[1].raw, 1);
    assert_eq!(valset::valget_decode(&p[..p.len() - 1]), Err(valset::ValgetError::Truncated));
}

#[test]
fn legacy_roundtrips() {
    let frame_payload = |f: Vec<u8>| f[6..f.len() - 2].to_vec();
    let prt = Prt {
        port_id: 1,
        tx_ready: 0,
        mode: cfg::PRT_MODE_8N1,
        baud: 115_200,
        in_proto: 1,
        out_proto: 3,
        flags: 0,
    };
    assert_eq!(Prt::decode(&frame_payload(prt.encode())), Some(prt));
    let tp = Tp5 {
        tp_idx: 0,
        ant_cable_delay_ns: -50,
        rf_group_delay_ns: 0,
        period_us: 1_000_000,
        period_lock_us: 1_000_000,
        len_us: 0,
        len_lock_us: 100_000,
        user_delay_ns: -7,
        flags: 0xF7,
    };
    let p = frame_payload(tp.encode());
    assert_eq!((p.len(), p[1]), (32, 1));
    assert_eq!(Tp5::decode(&p), Some(tp));
    let tm = Tmode2 {
        mode: 2,
        lla: true,
        x_or_lat: 464_046_016,
        y_or_lon: -1_170_207_465,
        z_or_alt: 28_487,
        fixed_pos_acc_mm: 1000,
        svin_min_dur_s: 300,
        svin_acc_limit_mm: 5000,
    };
    assert_eq!(Tmode2::decode(&frame_payload(tm.encode())), Some(tm));
    let m = MsgRates { class: 0x0D, id: 0x01, rates: [0, 1, 0, 1, 0, 0] };
    assert_eq!(MsgRates::decode(&frame_payload(m.encode())), Some(m));
    let save = frame_payload(cfg::cfg_save_bbr_flash());
    assert_eq!(save.len(), 13);
    assert_eq!(save[12], 0x03);
}

/// The configuration traffic in gpsd's u-blox 8 capture: MON-VER answers, a CFG-PRT poll answer
/// (the USB port), ACKs and NAKs of CFG-MSG.
#[test]
fn capture_config_traffic() {
    let bytes = timed_testdata::capture("ublox8-uniqid-monhw.log");
    let mut framer = Framer::new();
    let (mut vers, mut acks, mut naks, mut prts) = (Vec::new(), 0, 0, Vec::new());
    framer.feed(&bytes, |f| {
        if let Frame::Ubx { class, id, payload } = f.frame {
            match crate::ubx::decode(class, id, payload) {
                Ok(crate::ubx::Ubx::MonVer(v)) => vers.push(Identity::from_mon_ver(&v)),
                Ok(crate::ubx::Ubx::Ack { class: 0x06, .. }) => acks += 1,
                Ok(crate::ubx::Ubx::Nak { class: 0x06, id: 0x01 }) => naks += 1,
                _ if (class, id) == (0x06, 0x00) => prts.extend(Prt::decode(payload)),
                _ => {}
            }
        }
    });
    assert_eq!(vers.len(), 4);
    let v = &vers[0];
    assert_eq!(v.firmware.as_deref(), Some("SPG 3.01"));
    assert_eq!(
        (v.protocol, v.interface, v.timing, v.model.clone()),
        (Some((18, 0)), Interface::Legacy, false, None)
    );
    assert_eq!((acks, naks), (31, 2));
    // USB (port 3): in UBX+NMEA+RTCM2, out UBX+NMEA, as gpsd's decoding of it says.
    assert_eq!(prts.len(), 1);
    assert_eq!((prts[0].port_id, prts[0].in_proto, prts[0].out_proto), (3, 0x07, 0x03));
}

#[test]
fn plan_items_per_receiver() {
    let s = Settings::default();
    let f = items::wanted(&s, &Identity::from_mon_ver(&f9t()));
    let ids: Vec<ItemId> = f.iter().map(|w| w.0).collect();
    assert!(ids.contains(&ItemId::Rate(Msg::MonRf)) && !ids.contains(&ItemId::Rate(Msg::MonHw)));
    assert!(ids.contains(&ItemId::Rate(Msg::NavSvin)));
    assert_eq!(ids.last(), Some(&ItemId::UartBaud));
    // Survey parameters before the mode that uses them.
    let pos = |id| ids.iter().position(|i| *i == id).unwrap();
    assert!(pos(ItemId::SvinMinDurS) < pos(ItemId::TimeMode));
    let n = items::wanted(&s, &Identity::from_mon_ver(&m8n()));
    assert!(n.iter().all(|w| w.0 != ItemId::TimeMode), "no time mode on a navigation part unless asked");
    assert!(n.iter().any(|w| w.0 == ItemId::Rate(Msg::MonHw)));
    let asked = Settings { time_mode: Some(DEFAULT_SURVEY.mode()), ..Settings::default() };
    assert!(items::wanted(&asked, &Identity::from_mon_ver(&m8n())).iter().any(|w| w.0 == ItemId::TimeMode));
    // NMEA kept: the mask on, kept sentences at 1, the others 0.
    let keep = Settings { nmea_keep: vec![Nmea::Zda], ..Settings::default() };
    let k = items::wanted(&keep, &Identity::from_mon_ver(&m8n()));
    assert!(k.contains(&(ItemId::UartOutNmea, 1)) && k.contains(&(ItemId::NmeaRate(Nmea::Zda), 1)));
    assert!(k.contains(&(ItemId::NmeaRate(Nmea::Gsv), 0)));
    // A fixed position survives the survey-in wish.
    let it = Item { id: ItemId::TimeMode, current: Some(2), wanted: 1 };
    assert!(it.equal());
    assert!(!Item { current: Some(0), ..it.clone() }.equal());
}

#[test]
fn fixed_ecef_split_into_cm_and_hp() {
    let s = Settings {
        time_mode: Some(TimeMode::FixedEcef { ecef_01mm: [-20_017_237_954, 1, 45_965_728_299] }),
        ..Settings::default()
    };
    let w = items::wanted(&s, &Identity::from_mon_ver(&f9t()));
    assert!(w.contains(&(ItemId::EcefXCm, -200_172_379)) && w.contains(&(ItemId::EcefXHp01mm, -54)));
    assert!(w.contains(&(ItemId::EcefZCm, 459_657_282)) && w.contains(&(ItemId::EcefZHp01mm, 99)));
    let legacy = items::wanted(&s, &Identity::from_mon_ver(&m8t()));
    assert!(legacy.iter().all(|x| x.0 != ItemId::EcefXHp01mm), "CFG-TMODE2 has no HP part");
}

#[test]
fn legacy_readout_maps_items() {
    let mut r = Readout::default();
    let tp = Tp5 {
        tp_idx: 0,
        ant_cable_delay_ns: 50,
        rf_group_delay_ns: 0,
        period_us: 1_000_000,
        period_lock_us: 1_000_000,
        len_us: 100_000,
        len_lock_us: 100_000,
        user_delay_ns: 0,
        flags: cfg::tp5_flags::ACTIVE | cfg::tp5_flags::IS_LENGTH | (1 << cfg::tp5_flags::GRID_SHIFT),
    };
    let f = tp.encode();
    r.store(legacy::Carrier::Tp5, &f[6..f.len() - 2]);
    assert_eq!(r.current(ItemId::TpCableDelayNs), Some(50));
    assert_eq!(r.current(ItemId::TpTimeGrid), Some(1));
    assert_eq!(r.current(ItemId::TpUseLocked), Some(0));
    assert_eq!(r.current(ItemId::TpLengthDef), Some(1));
    assert_eq!(r.current(ItemId::DynModel), None);
    // Setting only the grid keeps every other field as read.
    let set = r.set_message(legacy::Carrier::Tp5, &[(ItemId::TpTimeGrid, 0)]);
    let back = Tp5::decode(&set[6..set.len() - 2]).unwrap();
    assert_eq!(back, Tp5 { flags: tp.flags & !cfg::tp5_flags::GRID_MASK, ..tp });
}

#[path = "constellations_tests.rs"]
mod constellations_tests;
#[path = "fake.rs"]
mod fake;
#[path = "session_tests.rs"]
mod session_tests;

/// The set-up takes a survey's position from the same NAV-SVIN / TIM-SVIN decoder as the epoch
/// (one owner of those layouts): whole 0.1 mm back from the metres it gives, NAV-SVIN's
/// negative 0.1 mm parts and TIM-SVIN's variance included.
#[test]
fn survey_result_comes_from_the_stream_decoder_exactly() {
    let mut nav = vec![0u8; 40];
    for (i, (cm, hp)) in [(-200_172_379i32, -54i8), (-392_508_993, -99), (459_656_954, 1)].iter().enumerate()
    {
        nav[12 + 4 * i..16 + 4 * i].copy_from_slice(&cm.to_le_bytes());
        nav[24 + i] = *hp as u8;
    }
    nav[28..32].copy_from_slice(&14_995u32.to_le_bytes());
    nav[36] = 1;
    let Ok(crate::ubx::Ubx::Svin(s)) = crate::ubx::decode(0x01, 0x3B, &nav) else {
        panic!("NAV-SVIN not decoded")
    };
    let r = SurveyResult::from_svin(&s);
    assert_eq!(r.ecef_01mm, [-20_017_237_954, -39_250_899_399, 45_965_695_401]);
    assert_eq!((r.acc_01mm, r.done), (14_995, true));

    let mut tim = vec![0u8; 28];
    tim[4..8].copy_from_slice(&(-200_172_379i32).to_le_bytes());
    tim[16..20].copy_from_slice(&2_250_000u32.to_le_bytes()); // (1500 mm)²
    tim[24] = 1;
    tim[25] = 1; // still active: not done
    let Ok(crate::ubx::Ubx::Svin(s)) = crate::ubx::decode(0x0D, 0x04, &tim) else {
        panic!("TIM-SVIN not decoded")
    };
    let r = SurveyResult::from_svin(&s);
    assert_eq!((r.ecef_01mm[0], r.acc_01mm, r.done), (-20_017_237_900, 15_000, false));
}

/// `time_mode` left to the profile (auto) surveys with the user's limits, not the default ones.
#[test]
fn auto_time_mode_surveys_with_the_settings_limits() {
    let s = Settings { survey: SurveyLimits { min_dur_s: 600, acc_limit_mm: 2_000 }, ..Settings::default() };
    assert_eq!(s.time_mode, None);
    let f9 = Identity::from_mon_ver(&f9t());
    assert_eq!(s.effective_time_mode(&f9), Some(TimeMode::SurveyIn { min_dur_s: 600, acc_limit_mm: 2_000 }));
    let w = items::wanted(&s, &f9);
    assert!(w.contains(&(ItemId::SvinMinDurS, 600)), "{w:?}");
    assert!(w.contains(&(ItemId::SvinAccLimit01mm, 20_000)), "{w:?}");
    // Navigation profile: time mode disabled whatever the limits; a non-timing part: nothing.
    let nav = Settings { profile: Profile::Navigation, ..s.clone() };
    assert_eq!(nav.effective_time_mode(&f9), Some(TimeMode::Disabled));
    assert_eq!(s.effective_time_mode(&Identity::from_mon_ver(&m8n())), None);
}

/// A finished survey seen in a session stays its survey: an unfinished report after it (the
/// receiver switched to fixed mode by the session itself, or an older state sent last) does
/// not erase the position the plan fixed and the report hands on.
#[test]
fn a_finished_survey_is_not_replaced_by_a_later_unfinished_report() {
    use crate::ubx::{Svin, Ubx};
    let svin = |x: f64, valid, active| {
        Ubx::Svin(Svin {
            itow_ms: None,
            duration_s: 10,
            mean_acc_m: 9.45,
            mean_ecef_m: [x, 1.0, 2.0],
            observations: 7,
            valid,
            active,
        })
    };
    let mut r = steps::Readings::default();
    r.note_survey(Some(&svin(1.0, false, true)));
    assert_eq!(r.survey.map(|s| s.done), Some(false));
    r.note_survey(Some(&svin(2.0, true, false)));
    r.note_survey(Some(&svin(3.0, false, true)));
    r.note_survey(Some(&svin(0.0, false, false)));
    assert_eq!(r.survey.map(|s| (s.ecef_01mm[0], s.done)), Some((20_000, true)));
    // A later finished one is newer news.
    r.note_survey(Some(&svin(4.0, true, false)));
    assert_eq!(r.survey.map(|s| s.ecef_01mm[0]), Some(40_000));
}
