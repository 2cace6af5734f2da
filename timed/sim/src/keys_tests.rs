use super::*;

#[test]
fn key_sizes_follow_the_id() {
    assert_eq!(size(UART1_BAUDRATE), 4);
    assert_eq!(size(TP_TP1_ENA), 1);
    assert_eq!(size(TP_ANT_CABLEDELAY), 2);
    assert_eq!(size(TMODE_ECEF_X_HP), 1);
    assert_eq!(signed(TP_ANT_CABLEDELAY, 0xFFCE), -50);
    assert_eq!(signed(TMODE_ECEF_X, 0xFFFF_FFFF), -1);
}

#[test]
fn factory_state_is_nmea_only_at_the_parts_speed_with_a_lock_only_pulse() {
    for part in [Part::M8n, Part::M8t, Part::F9t] {
        let c = Config::from_items(&factory(part));
        assert_eq!(c.baud, if part == Part::F9t { 38_400 } else { 9_600 }, "{part:?}");
        let on: Vec<Msg> = c.rates.iter().filter(|(_, r)| **r > 0).map(|(m, _)| *m).collect();
        assert_eq!(on, [Msg::Gga, Msg::Gll, Msg::Gsa, Msg::Gsv, Msg::Rmc, Msg::Vtg], "{part:?}");
        assert_eq!(c.pulse(false, 0), None, "no pulse before the receiver locks to GNSS time");
        assert_eq!(c.pulse(true, 0), Some(0), "the 50 ns default is the antenna's real delay");
        assert_eq!((c.tp.len_lock_us, c.tp.grid_gps, c.tmode.mode), (100_000, false, 0));
    }
    assert!(!factory(Part::M8n).contains_key(&TMODE_MODE), "no time mode on an M8N");
    assert!(!factory(Part::M8t).contains_key(&Msg::MonRf.key()), "MON-RF came with the F9");
}

#[test]
fn pulse_follows_delays_period_and_lock() {
    let mut k = factory(Part::F9t);
    k.insert(TP_ANT_CABLEDELAY, stored16(-30));
    k.insert(TP_USER_DELAY_TP1, 200);
    k.insert(TP_PERIOD_LOCK_TP1, 2_000_000);
    let c = Config::from_items(&k);
    // 50 ns of real cable, −30 configured: 80 ns late, plus 200 ns of user delay.
    assert_eq!(c.pulse(true, 0), Some(280));
    assert_eq!(c.pulse(true, 1), None, "every other second at a 2 s period");
    k.insert(TP_TP1_ENA, 0);
    assert_eq!(Config::from_items(&k).pulse(true, 0), None);
}

fn stored16(v: i16) -> u64 {
    u64::from(v as u16)
}

#[test]
fn solutions_every_whole_second_of_meas_times_nav() {
    let mut k = factory(Part::M8t);
    assert_eq!(Config::from_items(&k).solution_every_s, 1);
    k.insert(RATE_MEAS, 1000);
    k.insert(RATE_NAV, 2);
    assert_eq!(Config::from_items(&k).solution_every_s, 2);
    k.insert(RATE_MEAS, 250);
    k.insert(RATE_NAV, 1);
    assert_eq!(Config::from_items(&k).solution_every_s, 1, "4 Hz is not modelled: one burst a second");
}
