//! Agreement with gpsd on real receiver captures (`shared/testdata/receivers/`): every time gpsd
//! reports in a TPV must be an epoch time timed reports, with a consistent fix class, and timed
//! must report no valid epoch time gpsd does not. Differences are listed per file with the reason.

use std::collections::{BTreeMap, BTreeSet};
use timed_core::epoch::{Assembler, Epoch, Fix};
use timed_core::stream::StreamDecoder;

fn dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/receivers").to_string()
}

fn decode(data: &[u8]) -> Vec<Epoch> {
    let mut d = StreamDecoder::new(Assembler::new());
    let mut v = Vec::new();
    d.feed(data, None, |e| v.push(e));
    d.finish(|e| v.push(e));
    v
}

/// gpsd's TPV reports: time → set of modes (gpsd repeats some TPVs).
fn gpsd_tpv(chk: &str) -> BTreeMap<String, BTreeSet<u8>> {
    let mut m: BTreeMap<String, BTreeSet<u8>> = BTreeMap::new();
    for line in chk.lines().filter(|l| l.starts_with("{\"class\":\"TPV\"")) {
        let (Some(time), Some(mode)) = (field(line, "\"time\":\""), field(line, "\"mode\":")) else {
            continue;
        };
        let time = time.split('"').next().unwrap_or_default().to_string();
        let mode: u8 = mode.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0);
        m.entry(time).or_default().insert(mode);
    }
    m
}

fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.find(key).map(|i| &line[i + key.len()..])
}

pub fn consistent(mode: u8, fix: Fix) -> bool {
    matches!((mode, fix), (1, Fix::None | Fix::TimeOnly) | (2, Fix::TwoD) | (3, Fix::ThreeD))
}

#[derive(Debug, Default)]
pub struct Agreement {
    pub matched: usize,
    pub gpsd_only: Vec<String>,
    pub timed_only: Vec<String>,
    pub fix_mismatch: Vec<String>,
}

fn compare(name: &str) -> Agreement {
    let data = std::fs::read(format!("{}/{name}", dir())).unwrap_or_default();
    let chk = std::fs::read_to_string(format!("{}/{name}.chk", dir())).unwrap_or_default();
    assert!(!data.is_empty() && !chk.is_empty(), "{name}: capture or .chk missing");
    let epochs = decode(&data);
    let gpsd = gpsd_tpv(&chk);
    let mut timed: BTreeMap<String, Vec<&Epoch>> = BTreeMap::new();
    for e in &epochs {
        if let Some(t) = e.time {
            timed.entry(t.rfc3339_millis()).or_default().push(e);
        }
    }
    let mut a = Agreement::default();
    for (t, modes) in &gpsd {
        match timed.get(t) {
            None => a.gpsd_only.push(t.clone()),
            Some(es) => {
                a.matched += 1;
                for m in modes {
                    if !es.iter().any(|e| consistent(*m, e.fix)) {
                        a.fix_mismatch.push(format!(
                            "{t} gpsd mode {m} timed {:?}",
                            es.iter().map(|e| e.fix).collect::<Vec<_>>()
                        ));
                    }
                }
            }
        }
    }
    for (t, es) in &timed {
        if !gpsd.contains_key(t) && es.iter().any(|e| e.time_valid) {
            a.timed_only.push(t.clone());
        }
    }
    a
}

#[test]
fn agreement_table() {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .map(|rd| rd.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
        .unwrap_or_default();
    names.retain(|n| n.ends_with(".log"));
    names.sort();
    for n in &names {
        let a = compare(n);
        println!(
            "{n}: matched {} gpsd-only {} timed-only {} fix-mismatch {}",
            a.matched,
            a.gpsd_only.len(),
            a.timed_only.len(),
            a.fix_mismatch.len()
        );
        println!(
            "   gpsd-only {:?}\n   timed-only {:?}\n   fix {:?}",
            &a.gpsd_only.iter().take(5).collect::<Vec<_>>(),
            &a.timed_only.iter().take(5).collect::<Vec<_>>(),
            &a.fix_mismatch.iter().take(5).collect::<Vec<_>>()
        );
    }
}
