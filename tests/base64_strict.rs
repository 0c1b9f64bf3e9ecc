//! SPEC 4.1's strict base64 (RFC 4648 section 4: padded, canonical, no
//! whitespace), decoded by base64-simd, compared input by input with an
//! independent strict decoder (the `base64` crate's `STANDARD` engine,
//! which the verifier used before): both must accept exactly the same
//! texts and give the same bytes. The certificate cache relies on this
//! (a presented header is the one encoding of its DER), so the comparison
//! covers every one-byte change of real encodings, not samples alone.

use base64::Engine as _;
use kakunin_verify::request::{decode_base64, decode_base64_into};

fn reference(text: &[u8]) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Every decode the crate offers agrees with the reference on `text`:
/// the heap form, the buffer form with room, and the buffer form without.
fn assert_agrees(text: &[u8]) {
    let expected = reference(text);
    assert_eq!(
        decode_base64(text).ok(),
        expected,
        "decode_base64 on {:?}",
        String::from_utf8_lossy(text)
    );
    let mut room = vec![0u8; text.len()];
    let mut small = [0u8; 5];
    for (what, buffer) in [("room", &mut room[..]), ("small buffer", &mut small[..])] {
        assert_eq!(
            decode_base64_into(text, buffer)
                .ok()
                .map(|d| d.as_bytes().to_vec()),
            expected,
            "decode_base64_into ({what}) on {:?}",
            String::from_utf8_lossy(text)
        );
    }
}

/// A small deterministic generator (xorshift64*), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn spec_4_1_every_valid_encoding_decodes_to_its_bytes() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Lengths across the scalar tail and the SIMD blocks (RSA-2048's
    // signature is 256 bytes, a certificate ≈ 1 KiB).
    for len in (0..=300).chain([384, 512, 1024, 1500, 4096]) {
        for _ in 0..4 {
            let bytes = rng.bytes(len);
            let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
            assert_eq!(decode_base64(&text).unwrap(), bytes);
            let mut buf = vec![0u8; len];
            assert_eq!(
                decode_base64_into(&text, &mut buf).unwrap().as_bytes(),
                bytes
            );
            assert_agrees(text.as_bytes());
        }
    }
}

#[test]
fn spec_4_1_every_one_byte_change_of_an_encoding_is_judged_as_the_reference_judges_it() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut judged = 0usize;
    let mut accepted = 0usize;
    // 256 bytes (344 characters, RSA's signature), and the three padding
    // forms at a short length so each final quantum is covered.
    for len in [256usize, 30, 31, 32] {
        let bytes = rng.bytes(len);
        let text = base64::engine::general_purpose::STANDARD
            .encode(&bytes)
            .into_bytes();
        for position in 0..text.len() {
            for value in 0..=255u8 {
                let mut changed = text.clone();
                changed[position] = value;
                assert_agrees(&changed);
                judged += 1;
                accepted += usize::from(reference(&changed).is_some());
            }
        }
    }
    // Every position times every byte value, so the loop could not have
    // been cut short; a part of them (the alphabet in data positions) is
    // accepted, and the rest (e.g. trailing bits set, `=` inside) is not.
    assert_eq!(judged, (344 + 40 + 44 + 44) * 256);
    assert!(accepted > 0 && accepted < judged, "{accepted} of {judged}");
}

#[test]
fn spec_4_1_random_texts_over_the_alphabet_and_its_neighbours_agree() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    const CHARS: &[u8] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n\r\t.\x00\xff";
    let mut accepted = 0usize;
    for _ in 0..100_000 {
        let len = rng.below(80);
        let text: Vec<u8> = (0..len).map(|_| CHARS[rng.below(CHARS.len())]).collect();
        assert_agrees(&text);
        accepted += usize::from(reference(&text).is_some());
    }
    // The texts' alphabet is mostly base64, so some are valid (every empty
    // text is, at least); most are not.
    assert!(accepted > 0 && accepted < 50_000, "{accepted}");
}

#[test]
fn spec_4_1_the_forms_the_rule_names_are_rejected() {
    for text in [
        "AAF=",     // trailing bits set
        "AAE",      // padding missing
        "AA==AA==", // padding inside
        "AA E=",    // whitespace
        "AAE=\n",   // line break
        "AAE-",     // URL-safe alphabet
        "=AAA",     // padding first
        "A===",     // three padding characters
        "====", "A",
    ] {
        assert!(decode_base64(text).is_err(), "{text:?}");
        assert!(reference(text.as_bytes()).is_none(), "{text:?}");
    }
    assert_eq!(decode_base64("").unwrap(), Vec::<u8>::new());
}
