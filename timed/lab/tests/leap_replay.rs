//! Leap-second replays against a real, sandboxed chronyd 4.3 (always `-x`): a +1 and a −1 leap
//! second at the end of a 31 December and of a 30 June, a list that has expired (per the
//! `[leap] expired = "hold"` policy), the midnight INTO a leap day (the receiver announcing the
//! leap a day ahead: Normal before the day), and a receiver on its firmware's stale leap count
//! from a cold start. Every sample chrony logged in refclocks.log is held against the simulator's truth
//! log (the audit, which follows UTC's labels across the leap), chrony's leap column in that log
//! against the day, and `chronyc tracking`'s "Leap status" is read every second.
//!
//! What is simulated: only the receiver and its PPS pin (timed-sim). chronyd, timed and the
//! simulator run on ONE faked wall clock (Debian's libfaketime, `FAKETIME="+Ns"` with one
//! offset computed once, `FakeClock`), so all three agree that it is, say, 23:58:50 on
//! 2016-12-31: chrony takes a leap indication only on 30 June / 31 December by its own clock
//! (reference.c, is_leap_second_day). CLOCK_MONOTONIC(_RAW) stay real (timed's pulse count runs
//! on the real oscillator). Checked here with chronyd -x: it runs, logs and serves the faked
//! date, steps its virtual clock at the leap itself (with -x it cannot hand the leap to the
//! kernel), and its SOCK refclock reads the time inside timed's datagrams, which no kernel
//! timestamp touches. chrony.conf has no `leapsectz`: chrony 4.3 uses the zone's leap only when
//! its sources say Normal (reference.c, update_leap_status), so with it a replay could not tell
//! what timed sent. The leaps of 2016-12-31 and 2015-06-30 are real (the real list, and
//! `[engine] earliest_date` lets timed accept those dates); no negative leap has ever happened,
//! so 2027-06-30 and 2027-12-31 come from testdata/leap/synthetic-2027.list, which announces
//! them with a correct hash.
//!
//! SLOW: each replay waits for real seconds to pass (the simulator sends each edge at the
//! system time it stamps): 100 s per leap replay (about 20 s for chrony to select the PPS
//! refclock, 50 s on the leap day, 30 s after), 90 s for the stale count. The seven run at
//! once (six leap replays in one test, the stale count beside it): about 2 min for this file
//! on the shared 2-core host.
//!
//! Needs `cargo build -p timed -p timed-sim` first, root (chronyd) and `faketime`. Private
//! ports 11391–11397.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;
use timed_lab::audit::{parse_refclocks, parse_truth, truth_at, Limits};
use timed_lab::side_by_side::{side_by_side, Job};
use timed_lab::{wait_for, FakeClock, Lab, Options, Scratch};

const DAY_S: i64 = 86_400;
/// Faked seconds before the leap day's midnight when the lab starts.
const LEAD_S: i64 = 70;
const SECONDS: u64 = 100;

fn midnight_after(y: i32, m: u32, d: u32) -> i64 {
    // Days from civil (Howard Hinnant's algorithm), kept here: the lab uses no timed crate.
    let (y, m) = if m <= 2 { (i64::from(y) - 1, i64::from(m) + 9) } else { (i64::from(y), i64::from(m) - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468 + 1) * DAY_S
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/leap").join(name)
}

struct Replay {
    name: &'static str,
    ntp_port: u16,
    /// The Unix second of the midnight ending the leap day.
    midnight: i64,
    sign: i8,
    /// GPS − UTC before the leap.
    base: i8,
    list: PathBuf,
    /// chrony's leap column and tracking status expected on the leap day.
    expect_on_day: (&'static str, &'static str),
    /// The replay crosses the midnight INTO the leap day (the receiver announces the leap a day
    /// ahead), instead of the leap itself.
    day_before: bool,
}

/// What one replay saw.
struct Seen {
    /// (faked Unix time asked, faked Unix time answered, chronyc tracking leap status).
    tracking: Vec<(f64, f64, String)>,
    text: String,
}

/// How long after midnight chrony's tracking may still show the old day's leap status: its PPS
/// refclock (poll 2) reports every 4 s and the first report after midnight may be made of samples
/// from before it, so about two polls; on this 2-core machine under a load average of 9 (builds
/// beside the run) the change was seen up to about 11 s after midnight, hence three polls. What
/// timed sent is checked to the second in refclocks.log above; this is chrony's own reaction.
const TRACKING_LAG_S: i64 = 12;

fn run(r: &Replay, scenario: &str, opts: Options) -> (Lab, Seen) {
    let dir = Scratch::new("leap-scenario").unwrap_or_else(|e| panic!("{}: {e}", r.name));
    let path = dir.path().join("scenario.toml");
    std::fs::write(&path, scenario).unwrap_or_else(|e| panic!("{}: {e}", r.name));
    let fake = opts.fake_clock.clone();
    let mut lab =
        Lab::start(Options { scenario: Some(path), ..opts }).unwrap_or_else(|e| panic!("{}: {e}", r.name));
    let mut tracking = Vec::new();
    let done = wait_for(Duration::from_secs(SECONDS + 120), || {
        // chronyc can take a while on a loaded machine: the status it returns is chrony's at
        // some moment between the two clock reads, so each read keeps both.
        let asked = fake.as_ref().map(FakeClock::now_s);
        if let (Ok(t), Some(f), Some(asked)) = (lab.tracking(), &fake, asked) {
            tracking.push((asked, f.now_s(), t.leap_status));
        }
        std::thread::sleep(Duration::from_millis(950));
        !lab.sim_running()
    });
    assert!(done.is_ok(), "{}: the scenario did not end; timed log:\n{}", r.name, lab.timed_log());
    // The last edges wait for the bursts that label them; let their samples reach the log.
    std::thread::sleep(Duration::from_secs(4));
    let report = match lab.audit(&Limits::default()) {
        Ok(report) => report,
        Err(e) => {
            lab.opts.keep_dir = true;
            panic!(
                "audit of {}: {e} (lab directory kept: {})\ntimed log:\n{}",
                r.name,
                lab.dir.display(),
                lab.timed_log()
            )
        }
    };
    let text = report.text();
    println!("{}:\n{text}", r.name);
    if !report.is_clean() {
        lab.opts.keep_dir = true;
        println!("{}: lab directory kept: {}", r.name, lab.dir.display());
    }
    let wrong = report.with_problem("wrong_second").len();
    assert_eq!(wrong, 0, "{}: {wrong} wrong-second samples reached chrony\n{text}", r.name);
    for p in ["blocked", "unmatched"] {
        assert!(report.with_problem(p).is_empty(), "{}: {p} samples\n{text}", r.name);
    }
    let pps = report.refclock("PPS").unwrap_or_else(|| panic!("{}: no PPS sample\n{text}", r.name));
    assert_eq!(pps.beyond_limit, 0, "{}: PPS samples beyond {} s\n{text}", r.name, pps.limit_s);
    (lab, Seen { tracking, text })
}

/// A leap replay: the receiver announces the leap from the start (NAV-TIMELS every second), the
/// lab starts `LEAD_S` faked seconds before `r.midnight`: the leap's, or with `day_before` the
/// one into the leap day.
fn leap_replay(r: &Replay, expired: &str) {
    let scenario = format!(
        "# {} (written by tests/leap_replay.rs)\nseed = 13\nseconds = {SECONDS}\nleap_seconds = {}\n\
         timels_every_s = 1\n\n[[fault]]\nkind = \"leap\"\nsign = {}\nfrom_s = 0\ndays_ahead = {}\n",
        r.name,
        r.base,
        r.sign,
        u8::from(r.day_before)
    );
    let fake = FakeClock::reading_now(r.midnight - LEAD_S).unwrap_or_else(|e| panic!("{}: {e}", r.name));
    let opts = Options {
        ntp_port: r.ntp_port,
        fake_clock: Some(fake),
        leap_list: Some((r.list.clone(), expired.into())),
        earliest_date: Some("2015-01-01".into()),
        chrony_leapsectz: false,
        ..Options::default()
    };
    let (lab, seen) = run(r, &scenario, opts);
    let text = &seen.text;
    // Before and after r.midnight: the leap day then the next, or the day before then the leap day.
    let ((col_before, status_before), (col_after, status_after)) =
        if r.day_before { (("N", "Normal"), r.expect_on_day) } else { (r.expect_on_day, ("N", "Normal")) };
    // chrony's leap column, per sample, against the true UTC label of its second: the day's
    // indication up to the leap, Normal after it.
    let truth =
        parse_truth(&std::fs::read_to_string(lab.truth_log()).unwrap_or_default()).unwrap_or_default();
    let samples = parse_refclocks(&std::fs::read_to_string(lab.refclocks_log()).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{}: {e}", r.name));
    let (mut before, mut after) = (0, 0);
    for s in samples.iter().filter(|s| s.refid == "PPS") {
        let Some((i, _)) = truth_at(&truth, s.system_ns) else { continue };
        let label = truth[i].true_label.unwrap_or(truth[i].second);
        let want = if label < r.midnight { col_before } else { col_after };
        assert_eq!(
            s.leap, want,
            "{}: refclocks.log line {} (UTC {label}) leap {}\n{text}",
            r.name, s.line, s.leap
        );
        if label < r.midnight - 2 {
            before += 1;
        } else if label > r.midnight + 2 {
            after += 1;
        }
    }
    assert!(
        before >= 20 && after >= 15,
        "{}: PPS samples {before} before, {after} after the leap\n{text}",
        r.name
    );
    // chronyc tracking: the status on the leap day once chrony is synchronised, Normal after.
    // A read counts for a side only if it was wholly on that side: answered before midnight − 2 s,
    // or asked after midnight + TRACKING_LAG_S (chrony changes its status at the first PPS
    // refclock update made of samples from after midnight).
    let synced = |t: &&(f64, f64, String)| t.2 != "Not synchronised";
    let on_day: Vec<&String> = seen
        .tracking
        .iter()
        .filter(synced)
        .filter(|(_, answered, _)| *answered < (r.midnight - 2) as f64)
        .map(|(_, _, s)| s)
        .collect();
    let after_day: Vec<&String> = seen
        .tracking
        .iter()
        .filter(synced)
        .filter(|(asked, _, _)| *asked > (r.midnight + TRACKING_LAG_S) as f64)
        .map(|(_, _, s)| s)
        .collect();
    assert!(on_day.len() >= 10 && after_day.len() >= 10, "{}: tracking {:?}", r.name, seen.tracking);
    assert!(on_day.iter().all(|s| *s == status_before), "{}: tracking before midnight {on_day:?}", r.name);
    assert!(
        after_day.iter().all(|s| *s == status_after),
        "{}: tracking after midnight {after_day:?}",
        r.name
    );
    println!(
        "{}: tracking {status_before} before midnight ({} reads), {status_after} after ({} reads)",
        r.name,
        on_day.len(),
        after_day.len()
    );
}

fn leap_replays() -> Vec<Replay> {
    let real = testdata("leap-seconds.list");
    let synthetic = testdata("synthetic-2027.list");
    vec![
        Replay {
            name: "+1 at the end of 2016-12-31",
            ntp_port: 11391,
            midnight: midnight_after(2016, 12, 31),
            sign: 1,
            base: 17,
            list: real.clone(),
            expect_on_day: ("+", "Insert second"),
            day_before: false,
        },
        Replay {
            name: "+1 at the end of 2015-06-30",
            ntp_port: 11392,
            midnight: midnight_after(2015, 6, 30),
            sign: 1,
            base: 16,
            list: real,
            expect_on_day: ("+", "Insert second"),
            day_before: false,
        },
        Replay {
            name: "-1 at the end of 2027-06-30",
            ntp_port: 11393,
            midnight: midnight_after(2027, 6, 30),
            sign: -1,
            base: 18,
            list: synthetic.clone(),
            expect_on_day: ("-", "Delete second"),
            day_before: false,
        },
        Replay {
            name: "-1 at the end of 2027-12-31",
            ntp_port: 11394,
            midnight: midnight_after(2027, 12, 31),
            sign: -1,
            base: 17,
            list: synthetic,
            expect_on_day: ("-", "Delete second"),
            day_before: false,
        },
        Replay {
            name: "+1 at the end of 2016-12-31, across the midnight into it",
            ntp_port: 11397,
            midnight: midnight_after(2016, 12, 30),
            sign: 1,
            base: 17,
            list: testdata("leap-seconds.list"),
            expect_on_day: ("+", "Insert second"),
            day_before: true,
        },
    ]
}

/// The real list expired on 2026-06-28; on 2027-06-30 it vouches for nothing, and with
/// `expired = "hold"` timed sends no leap indication for the receiver's −1 announcement: chrony
/// stays Normal throughout, and the labels still follow the leap (no wrong second).
fn expired_list_holds_the_indication() {
    let r = Replay {
        name: "-1 at the end of 2027-06-30, list expired, policy hold",
        ntp_port: 11395,
        midnight: midnight_after(2027, 6, 30),
        sign: -1,
        base: 18,
        list: testdata("leap-seconds.list"),
        expect_on_day: ("N", "Normal"),
        day_before: false,
    };
    leap_replay(&r, "hold");
}

/// A cold start on a receiver whose leap count is its firmware's default (srcOfCurrLs = 0, one
/// second short), while the list is current: the integrity gate holds every sample (the audit's
/// `blocked:stale_leap` for any that got through) and names `leap-mismatch`; once the receiver
/// has the broadcast count, samples resume. Today's date: the synthetic list is current until
/// 2028.
#[test]
fn stale_count_after_a_cold_start_is_held() {
    let r = Replay {
        name: "stale leap count from a cold start",
        ntp_port: 11396,
        midnight: 0,
        sign: 0,
        base: 18,
        list: testdata("synthetic-2027.list"),
        expect_on_day: ("N", "Normal"),
        day_before: false,
    };
    let scenario = "# stale leap count from a cold start (written by tests/leap_replay.rs)\nseed = 13\n\
                    seconds = 90\n\n[[fault]]\nkind = \"stale_leap\"\nfrom_s = 0\nto_s = 45\n";
    let opts = Options {
        ntp_port: r.ntp_port,
        leap_list: Some((r.list.clone(), "hold".into())),
        ..Options::default()
    };
    let (lab, seen) = run(&r, scenario, opts);
    let snap = lab.snapshot().unwrap_or_else(|e| panic!("snapshot: {e}"));
    let report = lab.audit(&Limits::default()).unwrap_or_else(|e| panic!("audit: {e}"));
    let pps = report.refclock("PPS").unwrap_or_else(|| panic!("no PPS sample\n{}", seen.text));
    assert!(pps.first_index.is_some_and(|i| i >= 45), "PPS samples while the count was stale\n{}", seen.text);
    let raised = snap["timed"]["integrity"]["signals"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["signal"] == "leap-mismatch"))
        .and_then(|s| s["raised"].as_u64())
        .unwrap_or(0);
    assert!(raised >= 1, "leap-mismatch never raised: {:#}", snap["timed"]["integrity"]);
    assert_eq!(
        snap["timed"]["integrity"]["state"], "open",
        "the gate reopened after the receiver's count was right"
    );
}

/// All six leap replays at once (each waits for real seconds to pass; the stale-count test runs
/// beside them on the harness's other thread); every failure is reported.
#[test]
fn leap_replays_with_chrony_show_the_leap_on_its_day_only_and_no_wrong_second() {
    let replays = leap_replays();
    let mut jobs: Vec<Job> =
        replays.iter().map(|r| (r.name.to_string(), Box::new(move || leap_replay(r, "hold")) as _)).collect();
    jobs.push(("expired list".into(), Box::new(expired_list_holds_the_indication)));
    let failed = side_by_side(jobs);
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
