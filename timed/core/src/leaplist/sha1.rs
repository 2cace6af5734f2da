//! SHA-1 (FIPS 180-4), only to check the `#h` line of a leap-seconds list. The list's publishers
//! chose SHA-1 as an integrity check against damage, not an authenticity proof, so its collision
//! weakness does not matter here; it is written out (about 50 lines) because timed-core may
//! depend on nothing but memchr.

/// The SHA-1 digest of `data` as five big-endian words, the form the `#h` line writes it in.
pub(crate) fn sha1(data: &[u8]) -> [u32; 5] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    // Padding: a 1 bit, zeros up to 56 bytes mod 64, then the message length in bits.
    let mut msg = data.to_vec();
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (hi, v) in h.iter_mut().zip([a, b, c, d, e]) {
            *hi = hi.wrapping_add(v);
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::sha1;

    // The FIPS 180 examples and the empty message.
    #[test]
    fn known_vectors() {
        assert_eq!(sha1(b""), [0xda39a3ee, 0x5e6b4b0d, 0x3255bfef, 0x95601890, 0xafd80709]);
        assert_eq!(sha1(b"abc"), [0xa9993e36, 0x4706816a, 0xba3e2571, 0x7850c26c, 0x9cd0d89d]);
        assert_eq!(
            sha1(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            [0x84983e44, 0x1c3bd26e, 0xbaae4aa1, 0xf95129e5, 0xe54670f1]
        );
        // Exactly one block of data, so the padding spills into a second block.
        assert_eq!(sha1(&[b'a'; 64]), [0x0098ba82, 0x4b5c1642, 0x7bd7a112, 0x2a5a442a, 0x25ec644d]);
    }
}
