//! Standard base64 (RFC 4648 §4, the `+/` alphabet with `=` padding) decoding, for the few
//! places timed reads it: a PEM certificate's body (the NTS certificate's fingerprint), an OpenSSH
//! public key (provisioning), a browser's screenshot (tests). Whitespace (PEM's line breaks) is
//! skipped; decoding stops at the first `=`.
//!
//! Owns: the alphabet and the bit packing. Must not depend on anything (pure, no allocation
//! beyond the output).

/// The bytes `text` encodes, or which character is not base64 and where (byte offset).
pub fn decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (at, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return Err(format!("{:?} at byte {at} is not base64", char::from(c))),
        };
        acc = (acc << 6 | u32::from(v)) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn rfc_4648_test_vectors_decode() {
        // RFC 4648 §10.
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(decode(enc).as_deref(), Ok(dec.as_bytes()), "{enc}");
        }
    }

    #[test]
    fn line_breaks_are_skipped_and_other_characters_named() {
        assert_eq!(decode("Zm9v\nYmFy\r\n").as_deref(), Ok(&b"foobar"[..]));
        assert_eq!(decode("Zm9v-mFy"), Err("'-' at byte 4 is not base64".into()));
        // Every byte value survives.
        let all: Vec<u8> = (0..=255).collect();
        let enc = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==";
        assert_eq!(decode(enc), Ok(all));
    }
}
