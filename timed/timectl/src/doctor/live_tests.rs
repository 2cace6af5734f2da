use super::*;
use crate::doctor::testutil::{conf, facts, healthy, live, reject, report, TOML};
use crate::doctor::Status;
use timed::health::{Antenna, DeviceState, FixKind, PpsLock, Window};

fn fix(c: &Check) -> &str {
    c.fix.as_deref().unwrap_or_default()
}

fn with(b: Health) -> Facts {
    let mut f = facts(TOML);
    f.live = Ok(live(healthy(100), b, 3.0));
    f
}

fn by_id(v: Vec<Check>, id: &str) -> Check {
    v.into_iter().find(|c| c.id == id).unwrap()
}

#[test]
fn a_healthy_receiver_and_pps_pass_and_timed_down_skips() {
    let f = with(healthy(103));
    for c in receiver(&f).into_iter().chain(pps(&f)) {
        assert_eq!(c.status, Status::Ok, "{c:?}");
    }
    let r = receiver(&f);
    assert_eq!(r[0].message, "900 bytes/s from /dev/gps0 (8 % of 115200 baud)");
    assert_eq!(r[1].message, "39 frames (15 NMEA, 24 UBX) in 3.0 s, 0 garbage bytes at 115200 baud");
    assert_eq!(r[2].message, "fix 3d, 9 of 12 satellites used, time valid, accuracy 20 ns");
    let p = pps(&f);
    assert_eq!(p[0].message, "3 edges on /dev/pps0 in 3.0 s (1 Hz), last 0.3 s ago");
    assert_eq!(p[1].message, "edges paired with their second (locked-tim-tp); last sample offset +250.0 µs");
    let down = facts(TOML);
    for c in receiver(&down).into_iter().chain(pps(&down)).chain([serial_latency(&down)]) {
        assert_eq!(c.status, Status::Skip, "{c:?}");
    }
}

#[test]
fn no_bytes_a_lost_port_and_a_full_line() {
    let mut b = healthy(103);
    b.receiver.framer = healthy(100).receiver.framer;
    let c = by_id(receiver(&with(b)), "serial-data");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.message, "no bytes from /dev/gps0 in 3.0 s (90000 since timed started)");
    assert!(fix(&c).contains("console=serial0") && fix(&c).contains("fuser -v /dev/gps0"), "{c:?}");
    let mut b = healthy(103);
    b.receiver.serial_state = DeviceState::Lost;
    b.receiver.serial_error = Some("Input/output error".into());
    let r = receiver(&with(b));
    assert!(r[0].message.contains("/dev/gps0: lost (Input/output error)"), "{:?}", r[0]);
    assert_eq!(r[1].status, Status::Skip);
    let mut b = healthy(103);
    b.receiver.framer.bytes += 35_000;
    let c = by_id(receiver(&with(b)), "serial-data");
    assert_eq!(c.status, Status::Warn);
    assert!(c.message.contains("fill 109 % of 115200 baud"), "{c:?}");
}

#[test]
fn garbage_at_the_wrong_speed_fails_and_some_noise_warns() {
    // What timectl doctor saw with timed-sim --baud 9600 --host-baud 115200: zeros, no frames.
    let mut b = healthy(100);
    b.receiver.framer.bytes += 14_000;
    b.receiver.framer.garbage_bytes += 14_000;
    let c = by_id(receiver(&with(b)), "serial-speed");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.message,
        "14000 bytes from /dev/gps0 in 3.0 s but 0 NMEA/UBX frames: 100 % garbage, 0 checksum errors — the receiver \
         does not send at 115200 baud ([receiver] baud, /etc/timed/timed.toml:3)"
    );
    assert!(fix(&c).contains("9600") && fix(&c).contains("/etc/timed/timed.toml"), "{c:?}");
    let mut b = healthy(103);
    b.receiver.framer.checksum_errors += 2;
    b.receiver.framer.garbage_bytes += 200;
    let c = by_id(receiver(&with(b)), "serial-speed");
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(
        c.message.starts_with("7 % of the bytes from /dev/gps0 are garbage and 2 frames failed"),
        "{c:?}"
    );
}

#[test]
fn no_valid_time_fails_and_no_epochs_skips() {
    let mut b = healthy(103);
    b.receiver.time_valid = false;
    b.receiver.fix = FixKind::None;
    b.receiver.sats_used = Some(0);
    b.receiver.antenna = Some(Antenna::Open);
    let c = by_id(receiver(&with(b)), "receiver-fix");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.message,
        "the receiver on /dev/gps0 reports no valid time: fix none, 0 of 12 satellites used, antenna open"
    );
    let mut b = healthy(103);
    b.receiver.epochs = 100;
    assert_eq!(by_id(receiver(&with(b)), "receiver-fix").status, Status::Skip);
}

#[test]
fn no_edges_too_many_edges_and_flaky_edges() {
    let mut b = healthy(103);
    b.pps.edges = 100;
    b.pps.last_edge_ns = Some(1_100 * 1_000_000_000);
    let p = pps(&with(b.clone()));
    assert_eq!(p[0].status, Status::Fail);
    assert_eq!(
        p[0].message,
        "no PPS edge on /dev/pps0 in 3.0 s (last edge 3.3 s ago; 100 since timed started)"
    );
    assert!(fix(&p[0]).contains("GPIO18") && fix(&p[0]).contains("ppstest /dev/pps0"), "{:?}", p[0]);
    assert_eq!(p[1].status, Status::Skip, "nothing to pair");
    b.pps.simulated = true;
    b.pps.source = timed::config::PpsSource::Simulated;
    b.pps.device = "/tmp/lab/sim-pps.sock".into();
    assert!(fix(&pps(&with(b))[0]).contains("timed-sim sends no edges to /tmp/lab/sim-pps.sock"));
    let mut b = healthy(103);
    b.pps.edges = 110;
    let c = &pps(&with(b))[0];
    assert_eq!(
        (c.status, c.message.as_str()),
        (Status::Fail, "10 edges on /dev/pps0 in 3.0 s (3.3 Hz): not a 1 Hz pulse")
    );
    let mut b = healthy(103);
    reject(&mut b, "duplicate", 1);
    assert_eq!(pps(&with(b))[0].status, Status::Warn);
    let mut b = healthy(103);
    b.pps.device_state = DeviceState::Absent;
    b.pps.device_error = Some("No such file or directory".into());
    let p = pps(&with(b));
    assert!(p[0].message.contains("cannot use PPS /dev/pps0: absent (No such file"), "{:?}", p[0]);
    assert_eq!(p[1].status, Status::Skip);
    let mut b = healthy(103);
    b.pps.source = timed::config::PpsSource::Off;
    assert!(pps(&with(b)).iter().all(|c| c.status == Status::Skip));
}

#[test]
fn unpaired_edges_name_the_dominant_reject_and_its_fix() {
    let mut b = healthy(103);
    b.pps.state = PpsLock::Acquiring;
    b.pps.samples = 100;
    reject(&mut b, "wrong_second", 3);
    reject(&mut b, "no_fix", 1);
    let c = &pps(&with(b))[1];
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.message,
        "PPS edges arrive but none was paired with a second in 3.0 s (state acquiring; rejected: wrong_second 3, \
         no_fix 1)"
    );
    assert!(fix(c).contains("time-pulse alignment"), "{c:?}");
    let mut b = healthy(103);
    b.pps.state = PpsLock::Acquiring;
    b.pps.samples = 100;
    reject(&mut b, "unlabelled", 3);
    assert!(fix(&pps(&with(b))[1]).contains("[0, 990] ms"));
    let mut b = healthy(103);
    reject(&mut b, "wrong_second", 1);
    assert_eq!(pps(&with(b))[1].status, Status::Warn);
}

fn latency(mean_s: f64) -> Health {
    let mut b = healthy(103);
    let w = |m: f64| Window { window: "10m".into(), count: 100, mean_s: m, ..Window::default() };
    b.stats.serial_latency = vec![("UBX-NAV-PVT".into(), w(mean_s)), ("GGA".into(), w(mean_s + 0.03))];
    b
}

#[test]
fn serial_latency_against_timed_and_chrony_windows() {
    // serial_delay_ms = 120 in TOML.
    let c = serial_latency(&with(latency(0.1205)));
    assert_eq!(c.status, Status::Ok, "{c:?}");
    assert_eq!(
        c.message,
        "bursts start 120.500 ms after the second; with serial_delay_ms = 120 (/etc/timed/timed.toml:4) coarse \
         samples are -500.0 µs off"
    );
    let mut f = with(latency(0.450));
    let c = serial_latency(&f);
    assert_eq!(c.status, Status::Warn, "{c:?}");
    assert!(
        fix(&c).starts_with("set serial_delay_ms = 450 in [receiver] (/etc/timed/timed.toml:4)"),
        "{c:?}"
    );
    // The same latency with a PPS refclock locked to the coarse one: chrony drops the pulses.
    f.chrony_conf = Ok(conf(
        "refclock SOCK /run/chrony/timed-pps.sock refid PPS lock GPS\nrefclock SOCK /run/chrony/timed-coarse.sock refid GPS\n",
    ));
    let c = serial_latency(&f);
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert!(
        c.message.contains("outside chrony's lock window of 0.2 s (/etc/chrony/chrony.conf:1 locks to GPS)"),
        "{c:?}"
    );
    // chrony's own offset on the coarse refclock counts.
    f.chrony_conf = Ok(conf(
        "refclock SOCK /run/chrony/timed-pps.sock refid PPS lock GPS\nrefclock SOCK /run/chrony/timed-coarse.sock refid GPS offset 0.33\n",
    ));
    let c = serial_latency(&f);
    assert_eq!(c.status, Status::Ok, "{c:?}");
    assert!(c.message.contains("chrony's offset +0.330 s (/etc/chrony/chrony.conf:2)"), "{c:?}");
    // Beyond timed's own PPS/coarse agreement, and beyond its epoch window.
    assert_eq!(serial_latency(&with(latency(0.6))).status, Status::Fail);
    let c = serial_latency(&with(latency(0.995)));
    assert!(c.message.contains("outside [engine] epoch_window_ms [0, 990]"), "{c:?}");
    let mut b = healthy(103);
    b.stats.suggested_coarse = Some((0.121, 0.004));
    assert_eq!(serial_latency(&with(b)).status, Status::Ok);
    assert_eq!(serial_latency(&with(healthy(103))).status, Status::Skip, "not measured yet");
}

#[test]
fn pulses_a_second_off_the_ntp_sources_are_paired_with_the_wrong_second() {
    let mut f = with(healthy(103));
    f.chrony_conf = Ok(conf("refclock SOCK /run/chrony/timed-pps.sock refid PPS prefer\n"));
    // system − PPS = −1 s: the receiver names the next second; the NTP servers agree with the
    // system clock (the median decides, one wild server does not).
    f.chrony = Ok(report(&[
        ("PPS", "refclock", -1.0002),
        ("ntp1", "server", 0.0001),
        ("ntp2", "server", 0.0003),
        ("ntp3", "server", 5.0),
    ]));
    let c = &pps(&f)[1];
    assert_eq!(c.status, Status::Fail, "{c:?}");
    assert_eq!(
        c.message,
        "chronyd's PPS refclock PPS runs 1.000 s ahead of its NTP source ntp2: the pulses are paired with the \
         wrong second"
    );
    f.chrony = Ok(report(&[("PPS", "refclock", -0.0002), ("ntp1", "server", 0.001)]));
    assert_eq!(pps(&f)[1].status, Status::Ok);
    f.chrony = Ok(report(&[("PPS", "refclock", -1.0002)]));
    assert_eq!(pps(&f)[1].status, Status::Ok, "no independent clock: nothing to compare");
}

#[test]
fn unpaired_edges_without_epochs_point_at_the_serial_line() {
    let mut b = healthy(103);
    b.pps.state = PpsLock::Acquiring;
    b.pps.samples = 100;
    b.receiver.epochs = 100;
    reject(&mut b, "unlabelled", 3);
    let c = &pps(&with(b))[1];
    assert_eq!(c.status, Status::Fail);
    assert!(fix(c).contains("see serial-data and serial-speed"), "{c:?}");
}
