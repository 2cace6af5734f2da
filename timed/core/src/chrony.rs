//! Pure encoders for chrony's refclock inputs: the SOCK `sock_sample` datagram and the
//! gpsd-compatible NTP SHM segment (`shmTime`), for the 64-bit (LP64) and 32-bit (ILP32, e.g.
//! armv7 Raspberry Pi OS) C ABIs. Layouts follow chrony 4.x `refclock_sock.c` / `refclock_shm.c`.
//! The writers that put these bytes on a socket or into shared memory live in the daemon.

/// chrony's SOCK magic: `0x534f434b` ("SOCK").
pub const SOCK_MAGIC: i32 = 0x534f_434b;

/// Leap indicator as chrony's SOCK/SHM inputs encode it (`NTP_Leap`: 0 normal, 1 insert,
/// 2 delete).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Leap {
    #[default]
    Normal,
    InsertSecond,
    DeleteSecond,
}

impl Leap {
    pub fn code(self) -> i32 {
        match self {
            Leap::Normal => 0,
            Leap::InsertSecond => 1,
            Leap::DeleteSecond => 2,
        }
    }
}

/// A complete sample for chrony: at system time `system_ns` (CLOCK_REALTIME), true time was
/// `system_ns + offset_ns` (offset = true − system, chrony's `pulse=0` convention).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    pub system_ns: i64,
    pub offset_ns: i64,
    pub leap: Leap,
}

impl Sample {
    /// The true time the sample stands for, ns since the Unix epoch.
    pub fn true_ns(&self) -> i64 {
        self.system_ns + self.offset_ns
    }
}

/// The C ABI whose struct layout to produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// 64-bit `time_t` and `long` (x86_64, aarch64).
    Lp64,
    /// 32-bit `time_t` and `long` (armv7 gnueabihf, i686); `double` 8-aligned as in ARM EABI.
    Ilp32,
}

impl Abi {
    /// The ABI of the target this crate is built for.
    pub const fn native() -> Abi {
        if cfg!(target_pointer_width = "64") {
            Abi::Lp64
        } else {
            Abi::Ilp32
        }
    }

    /// Size of `struct sock_sample`.
    pub const fn sock_len(self) -> usize {
        match self {
            Abi::Lp64 => 40,
            Abi::Ilp32 => 32,
        }
    }
}

fn split_ns(ns: i64) -> (i64, i64) {
    (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000))
}

/// Encodes `struct sock_sample { struct timeval tv; double offset; int pulse; int leap;
/// int _pad; int magic; }` in native byte order, `pulse = 0`.
pub fn encode_sock(sample: &Sample, abi: Abi) -> Vec<u8> {
    let (sec, nsec) = split_ns(sample.system_ns);
    let usec = nsec / 1000;
    // The offset keeps the nanoseconds the microsecond timestamp dropped: true − (tv as sent).
    let offset = (sample.offset_ns + (nsec - usec * 1000)) as f64 * 1e-9;
    let mut b = Vec::with_capacity(abi.sock_len());
    match abi {
        Abi::Lp64 => {
            b.extend(sec.to_ne_bytes());
            b.extend(usec.to_ne_bytes());
        }
        Abi::Ilp32 => {
            b.extend((sec as i32).to_ne_bytes());
            b.extend((usec as i32).to_ne_bytes());
        }
    }
    b.extend(offset.to_ne_bytes());
    b.extend(0i32.to_ne_bytes()); // pulse = 0: a complete sample
    b.extend(sample.leap.code().to_ne_bytes());
    b.extend(0i32.to_ne_bytes());
    b.extend(SOCK_MAGIC.to_ne_bytes());
    b
}

/// Byte offsets of `struct shmTime` fields (gpsd/ntpd NTP SHM, as chrony reads it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShmLayout {
    pub size: usize,
    pub mode: usize,
    pub count: usize,
    pub clock_sec: usize,
    pub clock_usec: usize,
    pub receive_sec: usize,
    pub receive_usec: usize,
    pub leap: usize,
    pub precision: usize,
    pub nsamples: usize,
    pub valid: usize,
    pub clock_nsec: usize,
    pub receive_nsec: usize,
    /// `time_t` width in bytes (8 or 4).
    pub time_t: usize,
}

impl ShmLayout {
    pub const fn for_abi(abi: Abi) -> ShmLayout {
        match abi {
            Abi::Lp64 => ShmLayout {
                size: 96,
                mode: 0,
                count: 4,
                clock_sec: 8,
                clock_usec: 16,
                receive_sec: 24,
                receive_usec: 32,
                leap: 36,
                precision: 40,
                nsamples: 44,
                valid: 48,
                clock_nsec: 52,
                receive_nsec: 56,
                time_t: 8,
            },
            Abi::Ilp32 => ShmLayout {
                size: 80,
                mode: 0,
                count: 4,
                clock_sec: 8,
                clock_usec: 12,
                receive_sec: 16,
                receive_usec: 20,
                leap: 24,
                precision: 28,
                nsamples: 32,
                valid: 36,
                clock_nsec: 40,
                receive_nsec: 44,
                time_t: 4,
            },
        }
    }
}

/// The field values of one SHM sample: `clock` is the reference (true) time, `receive` the
/// system time; microsecond and nanosecond fields agree (usec = nsec / 1000).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShmRecord {
    pub clock_sec: i64,
    pub clock_nsec: u32,
    pub receive_sec: i64,
    pub receive_nsec: u32,
    pub leap: i32,
    /// log2 seconds of the sample's precision (−20 ≈ 1 µs for PPS, −10 ≈ 1 ms for serial).
    pub precision: i32,
}

impl ShmRecord {
    pub fn new(sample: &Sample, precision: i32) -> ShmRecord {
        let (cs, cn) = split_ns(sample.true_ns());
        let (rs, rn) = split_ns(sample.system_ns);
        ShmRecord {
            clock_sec: cs,
            clock_nsec: cn as u32,
            receive_sec: rs,
            receive_nsec: rn as u32,
            leap: sample.leap.code(),
            precision,
        }
    }

    /// The segment's bytes after a complete mode-1 write with `count` (for tests and for
    /// checking what a writer produced). Mode 1, valid 1, nsamples 0.
    pub fn encode(&self, layout: ShmLayout, count: i32) -> Vec<u8> {
        let mut b = vec![0u8; layout.size];
        let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        put(layout.mode, &1i32.to_ne_bytes());
        put(layout.count, &count.to_ne_bytes());
        let time = |v: i64| {
            if layout.time_t == 8 {
                v.to_ne_bytes().to_vec()
            } else {
                (v as i32).to_ne_bytes().to_vec()
            }
        };
        put(layout.clock_sec, &time(self.clock_sec));
        put(layout.clock_usec, &((self.clock_nsec / 1000) as i32).to_ne_bytes());
        put(layout.receive_sec, &time(self.receive_sec));
        put(layout.receive_usec, &((self.receive_nsec / 1000) as i32).to_ne_bytes());
        put(layout.leap, &self.leap.to_ne_bytes());
        put(layout.precision, &self.precision.to_ne_bytes());
        put(layout.valid, &1i32.to_ne_bytes());
        put(layout.clock_nsec, &self.clock_nsec.to_ne_bytes());
        put(layout.receive_nsec, &self.receive_nsec.to_ne_bytes());
        b
    }
}

/// SysV key of NTP SHM unit `n` ("NTP0" = 0x4e545030 + n), as chrony and gpsd use.
pub const fn shm_key(unit: u8) -> i32 {
    0x4e54_5030 + unit as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn i32_at(b: &[u8], at: usize) -> i32 {
        i32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    fn f64_at(b: &[u8], at: usize) -> f64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[at..at + 8]);
        f64::from_ne_bytes(a)
    }

    #[test]
    fn sock_sample_lp64_layout() {
        let s = Sample { system_ns: 1_700_000_000_123_456_789, offset_ns: 250_000, leap: Leap::InsertSecond };
        let b = encode_sock(&s, Abi::Lp64);
        assert_eq!(b.len(), 40);
        assert_eq!(i64::from_ne_bytes(b[0..8].try_into().unwrap_or_default()), 1_700_000_000);
        assert_eq!(i64::from_ne_bytes(b[8..16].try_into().unwrap_or_default()), 123_456);
        // 250 µs plus the 789 ns the microsecond timestamp dropped.
        assert!((f64_at(&b, 16) - 250_789e-9).abs() < 1e-15);
        assert_eq!((i32_at(&b, 24), i32_at(&b, 28), i32_at(&b, 32), i32_at(&b, 36)), (0, 1, 0, SOCK_MAGIC));
    }

    #[test]
    fn sock_sample_ilp32_layout_for_armv7() {
        let s = Sample { system_ns: 1_700_000_000_000_001_000, offset_ns: -5, leap: Leap::Normal };
        let b = encode_sock(&s, Abi::Ilp32);
        assert_eq!(b.len(), 32);
        assert_eq!((i32_at(&b, 0), i32_at(&b, 4)), (1_700_000_000, 1));
        assert!((f64_at(&b, 8) + 5e-9).abs() < 1e-18);
        assert_eq!((i32_at(&b, 16), i32_at(&b, 20), i32_at(&b, 28)), (0, 0, SOCK_MAGIC));
    }

    #[test]
    fn negative_times_split_toward_minus_infinity() {
        let s = Sample { system_ns: -1, offset_ns: 0, leap: Leap::Normal };
        let b = encode_sock(&s, Abi::Lp64);
        assert_eq!(i64::from_ne_bytes(b[0..8].try_into().unwrap_or_default()), -1);
        assert_eq!(i64::from_ne_bytes(b[8..16].try_into().unwrap_or_default()), 999_999);
    }

    #[test]
    fn shm_record_fields_agree_and_layouts_match_chrony() {
        let s = Sample { system_ns: 1_700_000_000_999_999_999, offset_ns: 2, leap: Leap::DeleteSecond };
        let r = ShmRecord::new(&s, -20);
        assert_eq!((r.clock_sec, r.clock_nsec), (1_700_000_001, 1));
        assert_eq!((r.receive_sec, r.receive_nsec), (1_700_000_000, 999_999_999));
        let l = ShmLayout::for_abi(Abi::Lp64);
        let b = r.encode(l, 7);
        assert_eq!(b.len(), 96, "chrony's shmTime is 96 bytes on x86_64 (verified-here.md)");
        assert_eq!((i32_at(&b, l.mode), i32_at(&b, l.count), i32_at(&b, l.valid)), (1, 7, 1));
        assert_eq!(i32_at(&b, l.receive_usec), 999_999);
        assert_eq!(i32_at(&b, l.leap), 2);
        let l32 = ShmLayout::for_abi(Abi::Ilp32);
        let b = r.encode(l32, 1);
        assert_eq!(b.len(), 80);
        assert_eq!(i32_at(&b, l32.clock_sec), 1_700_000_001);
        assert_eq!(i32_at(&b, l32.receive_nsec), 999_999_999);
        assert_eq!(shm_key(1), 0x4e54_5031);
    }
}
