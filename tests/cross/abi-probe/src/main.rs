//! abi-probe: prints one fixed sample as timed-core encodes it for this target's C ABI
//! (`Abi::native()`), as hex, for tests/cross/chrony_abi.c to read back through the C compiler's
//! own `struct sock_sample` and `struct shmTime` on the same target.
//!
//! Depends on timed-core only: it exercises the encoders timed sends to chrony, not a copy.

use timed_core::chrony::{encode_sock, Abi, Leap, Sample, ShmLayout, ShmRecord};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    // 2023-11-14T22:13:20.123456789Z, reference 250 µs ahead, a leap second announced: every
    // field differs from zero and from its neighbours, so a shifted field cannot go unnoticed.
    let sample =
        Sample { system_ns: 1_700_000_000_123_456_789, offset_ns: 250_000, leap: Leap::InsertSecond };
    let abi = Abi::native();
    println!("sock {}", hex(&encode_sock(&sample, abi)));
    let shm = ShmRecord::new(&sample, -20).encode(ShmLayout::for_abi(abi), 7);
    println!("shm {}", hex(&shm));
}
