//! ADEV/TDEV against allantools, an independent implementation (NIST SP 1065 formulas in numpy).
//!
//! The constants below are the output of
//!   python3 timed/core/src/stats/reference.py --rust
//! with allantools 2024.6 (numpy 2.4.6), which regenerates the two series of `series` bit for
//! bit with the same SplitMix64 + Box–Muller generator. `live_against_allantools` reruns the
//! script and compares when allantools is installed.

use super::super::Allan;
use super::{assert_rel, SplitMix64};
use std::process::Command;

const N: usize = 4096;
/// ADEV uses the same sum of squares: only summation order differs.
const ADEV_REL: f64 = 1e-9;
/// allantools accumulates TDEV's inner sums with a running cumsum over the whole series.
const TDEV_REL: f64 = 1e-6;

// allantools 2024.06, numpy 2.4.6
const SPLITMIX_SEED0: [u64; 3] = [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F];
const WHITE_ENDS: [f64; 2] = [-2.8249746095854695e-08, 1.7420522970315946e-06];
const WHITE_ADEV: [f64; 11] = [
    1.7492388368417894e-06,
    8.703203620871882e-07,
    4.41049500173792e-07,
    2.2154036501053048e-07,
    1.0848809390853473e-07,
    5.553243341163295e-08,
    2.7225386152317817e-08,
    1.357946843549304e-08,
    6.854708509705468e-09,
    3.4067434488762843e-09,
    1.7384893835854539e-09,
];
const WHITE_TDEV: [f64; 11] = [
    1.009923513327555e-06,
    7.130494743457917e-07,
    5.162596956799366e-07,
    3.69912515667623e-07,
    2.385292400662955e-07,
    1.8678748216506747e-07,
    1.2952532783335552e-07,
    9.311535710353042e-08,
    6.84727285607926e-08,
    6.185848705884084e-08,
    2.6956455237086543e-08,
];
const WALK_ENDS: [f64; 2] = [-5.477828653810879e-12, 2.9099447064692557e-08];
const WALK_ADEV: [f64; 11] = [
    1.0039982777353923e-09,
    7.178712607015877e-10,
    5.065858086426403e-10,
    3.546088477907038e-10,
    2.640700455631295e-10,
    1.9035175281723733e-10,
    1.3033738946772666e-10,
    9.076595372955595e-11,
    4.987375061774228e-11,
    3.3990654286729196e-11,
    1.9056642002306597e-11,
];
const WALK_TDEV: [f64; 11] = [
    5.796586759164495e-10,
    6.591990071640847e-10,
    8.454863391188364e-10,
    1.181714657018557e-09,
    1.7528510356028225e-09,
    2.5215824676897176e-09,
    3.406866741485897e-09,
    4.3642371726448705e-09,
    4.7814097445182135e-09,
    6.346709318112131e-09,
    7.964837336977255e-09,
];

/// The series of reference.py: white phase noise σ = 1 µs (seed 1) and a random walk of phase
/// with 1 ns steps (seed 2), 4096 s each.
fn series(name: &str) -> Vec<f64> {
    match name {
        "white" => {
            let mut g = SplitMix64::new(1);
            (0..N).map(|_| 1e-6 * g.normal()).collect()
        }
        _ => {
            let mut g = SplitMix64::new(2);
            let mut acc = 0.0;
            (0..N)
                .map(|_| {
                    acc += 1e-9 * g.normal();
                    acc
                })
                .collect()
        }
    }
}

fn ours(name: &str) -> (Vec<f64>, Vec<f64>) {
    let mut a = Allan::default();
    for (i, &x) in series(name).iter().enumerate() {
        a.push_phase(1_800_000_000 + i as i64, x);
    }
    let values = |v: Vec<(f64, Option<f64>)>| v.into_iter().map(|(_, d)| d.unwrap()).collect();
    (values(a.adev()), values(a.tdev()))
}

/// Compares and returns the largest relative differences (ADEV, TDEV).
fn compare(name: &str, adev_ref: &[f64], tdev_ref: &[f64]) -> (f64, f64) {
    let (adev, tdev) = ours(name);
    let mut worst = (0.0f64, 0.0f64);
    for k in 0..11 {
        assert_rel(adev[k], adev_ref[k], ADEV_REL, &format!("{name} adev tau={}", 1 << k));
        assert_rel(tdev[k], tdev_ref[k], TDEV_REL, &format!("{name} tdev tau={}", 1 << k));
        worst.0 = worst.0.max(((adev[k] - adev_ref[k]) / adev_ref[k]).abs());
        worst.1 = worst.1.max(((tdev[k] - tdev_ref[k]) / tdev_ref[k]).abs());
    }
    println!("{name}: max relative difference ADEV {:.1e}, TDEV {:.1e}", worst.0, worst.1);
    worst
}

#[test]
fn generator_matches_reference_py() {
    // Seed 0 is SplitMix64's published test vector.
    let mut g = SplitMix64::new(0);
    assert_eq!(SPLITMIX_SEED0.map(|_| g.next_u64()), SPLITMIX_SEED0);
    for (name, ends) in [("white", WHITE_ENDS), ("walk", WALK_ENDS)] {
        let x = series(name);
        assert_eq!([x[0].to_bits(), x[N - 1].to_bits()], ends.map(f64::to_bits), "{name}");
    }
}

#[test]
fn pasted_allantools_values() {
    compare("white", &WHITE_ADEV, &WHITE_TDEV);
    compare("walk", &WALK_ADEV, &WALK_TDEV);
}

#[test]
fn live_against_allantools() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/src/stats/reference.py");
    let have = Command::new("python3").args(["-c", "import allantools"]).output();
    if !have.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "SKIPPED live allantools comparison: python3 with allantools not found. \
             Install it with `pip install allantools` (2024.6 was used) and rerun \
             `cargo test -p timed-core stats::tests::reference`. The pasted values were still checked."
        );
        return;
    }
    let out = Command::new("python3").arg(script).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let pick = |name: &str, stat: &str| -> Vec<f64> {
        text.lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 4 && f[0] == name && f[1] == stat).then(|| f[3].parse().unwrap())
            })
            .collect()
    };
    for name in ["white", "walk"] {
        let (adev, tdev) = (pick(name, "adev"), pick(name, "tdev"));
        assert_eq!((adev.len(), tdev.len()), (11, 11), "{text}");
        compare(name, &adev, &tdev);
        let ends = [pick(name, "first")[0], pick(name, "last")[0]];
        let x = series(name);
        assert_eq!([x[0], x[N - 1]], ends, "{name}: the generators differ");
    }
}
