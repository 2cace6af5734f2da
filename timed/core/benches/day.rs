//! A simulated day through the whole core, single thread: 86 400 one-second bursts (UBX
//! NAV-TIMEUTC and TIM-TP, NMEA RMC/GGA/ZDA, NAV-EOE; 247 bytes) fed as bytes with receive
//! stamps through the stream decoder, 86 400 PPS edges, the engine pairing them, and the offset
//! and serial-latency statistics queried once per epoch as the daemon's event loop does
//! (timed/daemon/src/run.rs: `note_latency`, `carry_out`, `publish_stats`).
//! `cargo bench -p timed-core --bench day` prints one `day:` line per round. Figures, not
//! assertions — but a day that does not yield 86 400 PPS and coarse samples is an error (exit 1):
//! a fast wrong pipeline is no figure. Issue 7's goal: the day in under 1 s of wall time.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, Instant};
use timed_core::engine::{Action, Config, Engine};
use timed_core::epoch::{Assembler, Epoch, RxStamp};
use timed_core::framer::{nmea_sentence, ubx_frame};
use timed_core::pps::{EdgeSource, PpsEdge};
use timed_core::stats::{Config as StatsConfig, LatencyStats, OffsetStats, Span};
use timed_core::stream::StreamDecoder;
use timed_core::time::{UtcTime, GPS_EPOCH_UNIX};

const DAY: i64 = 86_400;
const NS: i64 = 1_000_000_000;
const T0: i64 = 1_750_000_000;
/// True − system, and the first byte of each burst after the true second.
const TRUTH_NS: i64 = 250_000;
const DELAY_NS: i64 = 120_000_000;
const GPS_UTC_S: i64 = 18;
/// One byte at 115200 baud (10 bits), ns.
const BYTE_NS: i64 = 86_806;

/// GPS time of week (ms) of UTC second `s`.
fn itow_ms(s: i64) -> u32 {
    ((s - GPS_EPOCH_UNIX + GPS_UTC_S).rem_euclid(604_800) * 1000) as u32
}

fn nav_timeutc(s: i64) -> Vec<u8> {
    let t = UtcTime::from_unix(s, 0);
    let mut p = Vec::with_capacity(20);
    p.extend(itow_ms(s).to_le_bytes());
    p.extend(20u32.to_le_bytes()); // tAcc, ns
    p.extend(0i32.to_le_bytes()); // nano
    p.extend((t.date.year as u16).to_le_bytes());
    p.extend([t.date.month, t.date.day, t.time.hour, t.time.minute, t.time.second]);
    p.push(0x07 | (3 << 4)); // validTOW, validWKN, validUTC; utcStandard USNO
    ubx_frame(0x01, 0x21, &p)
}

/// TIM-TP announcing the pulse of second `s + 1`, UTC time base (flags bits 0 and 1).
fn tim_tp(s: i64, qerr_ps: i32) -> Vec<u8> {
    let since = s + 1 - GPS_EPOCH_UNIX;
    let mut p = Vec::with_capacity(16);
    p.extend(((since % 604_800) * 1000).to_le_bytes()[..4].iter());
    p.extend(0u32.to_le_bytes()); // towSubMS
    p.extend(qerr_ps.to_le_bytes());
    p.extend(((since / 604_800) as u16).to_le_bytes());
    p.extend([0x03, 0x00]);
    ubx_frame(0x0D, 0x01, &p)
}

fn nmea(s: i64) -> Vec<u8> {
    let t = UtcTime::from_unix(s, 0);
    let hms = format!("{:02}{:02}{:02}.00", t.time.hour, t.time.minute, t.time.second);
    let (d, m, y) = (t.date.day, t.date.month, t.date.year);
    let mut out = nmea_sentence(&format!(
        "GNRMC,{hms},A,4722.61400,N,00832.50200,E,0.012,,{d:02}{m:02}{:02},,,A,V",
        y % 100
    ));
    out += &nmea_sentence(&format!("GNGGA,{hms},4722.61400,N,00832.50200,E,1,12,0.70,408.0,M,48.0,M,,"));
    out += &nmea_sentence(&format!("GNZDA,{hms},{d:02},{m:02},{y},00,00"));
    out.into_bytes()
}

fn burst(s: i64) -> Vec<u8> {
    // qErr sawtooth of ±10 ns, as timed-sim's default scenario.
    let qerr = ((s % 17) as i32 - 8) * 1250;
    let mut b = nav_timeutc(s);
    b.extend(tim_tp(s, qerr));
    b.extend(nmea(s));
    b.extend(ubx_frame(0x01, 0x61, &itow_ms(s).to_le_bytes()));
    b
}

/// What one day produced, and where the time went.
struct Day {
    pps: u64,
    coarse: u64,
    decode: Duration,
    engine: Duration,
    /// Pushing samples and latencies into the statistics.
    stats: Duration,
    /// The per-epoch snapshot queries (windows, histogram, ADEV/TDEV, latency summaries).
    queries: Duration,
}

fn one_day(bursts: &[Vec<u8>]) -> Day {
    let mut decoder = StreamDecoder::new(Assembler::new());
    decoder.set_byte_ns(BYTE_NS);
    let mut engine = Engine::new(Config { serial_delay_ns: DELAY_NS, ..Config::default() });
    let mut stats_pps = OffsetStats::new(&StatsConfig::pps());
    let mut stats_coarse = OffsetStats::new(&StatsConfig::serial());
    let mut latency = LatencyStats::new();
    let zero = Duration::ZERO;
    let mut d = Day { pps: 0, coarse: 0, decode: zero, engine: zero, stats: zero, queries: zero };
    let mut pps_offset: Option<i64> = None;
    let mut epochs: Vec<Epoch> = Vec::new();
    for (i, bytes) in bursts.iter().enumerate() {
        let s = T0 + i as i64;
        // A deterministic ±1 µs of stamping jitter.
        let jitter = (i as i64 * 7919 % 2001) - 1000;
        let edge_ns = s * NS - TRUTH_NS + jitter;
        let rx_ns = s * NS - TRUTH_NS + DELAY_NS;

        let t = Instant::now();
        let edge = PpsEdge { seq: i as u64 + 1, system_ns: edge_ns, source: EdgeSource::Simulated };
        let mut actions = engine.on_edge(edge, RxStamp { realtime_ns: edge_ns, monotonic_ns: edge_ns });
        d.engine += t.elapsed();

        let t = Instant::now();
        epochs.clear();
        // The serial thread hands over ~20 ms batches: 230 bytes at 115200 baud.
        for (k, chunk) in bytes.chunks(230).enumerate() {
            let at = rx_ns + k as i64 * 230 * BYTE_NS;
            decoder.feed(chunk, Some(RxStamp { realtime_ns: at, monotonic_ns: at }), |e| epochs.push(e));
        }
        d.decode += t.elapsed();

        let t = Instant::now();
        for e in &epochs {
            actions.extend(engine.on_epoch(e));
        }
        let now = s * NS + 500_000_000;
        actions.extend(engine.tick(RxStamp { realtime_ns: now, monotonic_ns: now }));
        d.engine += t.elapsed();

        let t = Instant::now();
        for e in &epochs {
            note_latency(&mut latency, e, pps_offset);
        }
        for a in &actions {
            match a {
                Action::SendPps(p) => {
                    stats_pps.push(p.sample.system_ns, p.sample.offset_ns);
                    pps_offset = Some(p.sample.offset_ns);
                    d.pps += 1;
                }
                Action::SendCoarse(c) => {
                    stats_coarse.push(c.sample.system_ns, c.sample.offset_ns);
                    d.coarse += 1;
                }
                _ => {}
            }
        }
        d.stats += t.elapsed();
        let t = Instant::now();
        if !epochs.is_empty() {
            publish(&stats_pps, &stats_coarse, &latency, rx_ns);
        }
        d.queries += t.elapsed();
    }
    d
}

/// The daemon's per-epoch serial latency bookkeeping (run.rs `note_latency`).
fn note_latency(l: &mut LatencyStats, e: &Epoch, pps_offset: Option<i64>) {
    let (Some(offset), Some(t), true) = (pps_offset, e.time, e.time_valid) else { return };
    let Ok(second_ns) = i64::try_from(t.unix_nanos()) else { return };
    let mut first: Option<i64> = None;
    for (kind, rx) in &e.message_rx {
        let lat = rx.realtime_ns + offset - second_ns;
        if (0..NS).contains(&lat) {
            l.push(kind, rx.realtime_ns, lat);
            first = Some(first.map_or(lat, |f| f.min(lat)));
        }
    }
    if let Some(f) = first {
        l.push_epoch(f);
    }
}

/// The daemon's per-epoch snapshot queries (run.rs `publish_stats`, health.rs `from_core`).
fn publish(pps: &OffsetStats, coarse: &OffsetStats, latency: &LatencyStats, now: i64) {
    for s in [pps, coarse] {
        let w: Vec<_> = Span::ALL.iter().filter_map(|sp| s.summary(*sp, now)).collect();
        let h: Vec<_> = s.histogram().buckets().collect();
        black_box((w, h, s.histogram().count(), s.adev(), s.tdev()));
    }
    let l: Vec<_> = latency.summaries(now).collect();
    black_box((l, latency.suggest_coarse_offset()));
}

fn main() {
    let t = Instant::now();
    let bursts: Vec<Vec<u8>> = (0..DAY).map(|i| burst(T0 + i)).collect();
    let bytes: usize = bursts.iter().map(Vec::len).sum();
    println!(
        "input: {DAY} bursts of {} bytes ({:.1} MB), generated in {:.2} s (not timed below)",
        bursts[0].len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    for round in 0..3 {
        let t = Instant::now();
        let d = one_day(&bursts);
        let wall = t.elapsed().as_secs_f64();
        if d.pps != DAY as u64 || d.coarse != DAY as u64 {
            eprintln!(
                "day: round {round}: {} PPS and {} coarse samples, expected {DAY} each",
                d.pps, d.coarse
            );
            std::process::exit(1);
        }
        println!(
            "day: round {round}: {DAY} epochs + {DAY} edges -> {} PPS + {} coarse samples, wall {wall:.3} s \
             (decode {:.3} s = {:.0} MB/s, engine {:.3} s, statistics {:.3} s, per-epoch snapshot queries \
             {:.3} s); without the queries {:.3} s",
            d.pps,
            d.coarse,
            d.decode.as_secs_f64(),
            bytes as f64 / 1e6 / d.decode.as_secs_f64(),
            d.engine.as_secs_f64(),
            d.stats.as_secs_f64(),
            d.queries.as_secs_f64(),
            wall - d.queries.as_secs_f64()
        );
    }
}
