//! SPEC 10 (profile `kakunin-2026`): the three parsers of foreign input the
//! profile adds, selected by the first input byte (mod 3):
//!
//! * `0`: `profile::kakunin::scope::parse_scope` on the rest as text — the
//!   `.99999.3` financial scope (reached only through a CA signature, but
//!   parsed all the same). Invariants: text over 4 KiB or not UTF-8 is
//!   refused; every refusal is `policy_invalid`; an accepted scope's
//!   numbers are > 0 and its lists hold 1 to 256 entries; deterministic.
//! * `1`: `profile::kakunin::crl::read_entries` on the rest as DER — the
//!   lenient reader of Kakunin's CRLs (non-minimal entry serials). No
//!   panic; at most `MAX_CRL_ENTRIES` serials; a canonical copy, when made,
//!   is never longer than the input; `serial_text` of every 1..=17-octet
//!   prefix is 32 lowercase hex digits.
//! * `2`: `revocation::webhook::verify_webhook_headers` — Kakunin's
//!   `X-Kakunin-Timestamp` + `sha256=` form beside SPEC 7.3's. The rest is
//!   `timestamp header \n signature header \n body`; `{sig}` in the
//!   signature is replaced by the real HMAC of `"{timestamp}.{body}"`, so
//!   the fuzzer reaches past the MAC. Invariant: an accepted delivery in
//!   Kakunin's form is authentic by our own reading (HMAC over the
//!   timestamp header's digits, within 300 000 ms of now).

use kakunin_verify::profile::kakunin::crl::{read_entries, MAX_CRL_ENTRIES};
use kakunin_verify::profile::kakunin::scope::{parse_scope, MAX_SCOPE_BYTES};
use kakunin_verify::profile::kakunin::serial::serial_text;
use kakunin_verify::revocation::webhook::{verify_webhook_headers, WebhookHeaders};
use kakunin_verify::Code;
use ring::hmac;

const SECRET: &[u8] = b"whsec_fuzz_kakunin_0123456789";
/// 2026-12-01T12:32:00Z in Unix ms.
const NOW_MS: u64 = 1_796_128_320_000;
const PLACEHOLDER: &str = "{sig}";

pub fn kakunin_profile(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => scope(rest),
        1 => crl(rest),
        _ => webhook(rest),
    }
}

fn scope(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = parse_scope(text);
    match &first {
        Err(e) => assert_eq!(e.code(), Code::PolicyInvalid, "{e:?}"),
        Ok(s) => {
            assert!(text.len() <= MAX_SCOPE_BYTES, "a scope over 4 KiB accepted");
            for n in [
                &s.max_single_trade_usd,
                &s.daily_limit_usd,
                &s.max_leverage_ratio,
            ]
            .into_iter()
            .flatten()
            {
                assert!(!n.is_zero(), "a number that is not > 0 accepted");
            }
            for l in [&s.permitted_instruments, &s.permitted_venues]
                .into_iter()
                .flatten()
            {
                assert!(
                    (1..=256).contains(&l.len()),
                    "a list of {} entries",
                    l.len()
                );
            }
        }
    }
    assert_eq!(
        format!("{first:?}"),
        format!("{:?}", parse_scope(text)),
        "not deterministic"
    );
}

fn crl(data: &[u8]) {
    if let Ok(entries) = read_entries(data) {
        assert!(entries.serials.len() <= MAX_CRL_ENTRIES);
        if let Some(canonical) = &entries.canonical {
            assert!(canonical.len() <= data.len(), "the canonical copy grew");
        }
    }
    for n in 1..=data.len().min(17) {
        let prefix = data.get(..n).unwrap_or_default();
        let text = serial_text(prefix).expect("1 to 17 octets have a text");
        assert_eq!(text.len(), 32);
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }
}

fn hmac_hex(t: &str, body: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, SECRET), &message);
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn webhook(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == b'\n');
    let (Some(ts), Some(sig), body) =
        (parts.next(), parts.next(), parts.next().unwrap_or_default())
    else {
        return;
    };
    let (Ok(ts), Ok(sig)) = (std::str::from_utf8(ts), std::str::from_utf8(sig)) else {
        return;
    };
    let sig = sig.replace(PLACEHOLDER, &hmac_hex(ts, body));
    let headers = WebhookHeaders {
        timestamp: (!ts.is_empty()).then_some(ts),
        signature: (!sig.is_empty()).then_some(sig.as_str()),
    };
    let accepted = verify_webhook_headers(SECRET, headers, body, NOW_MS).is_ok();
    if accepted && !ts.is_empty() {
        // Kakunin's form: authentic by our own reading.
        let ms: u64 = ts.parse().expect("an accepted timestamp is digits");
        assert!(ms.abs_diff(NOW_MS) <= 300_000, "stale delivery accepted");
        assert_eq!(
            sig,
            format!("sha256={}", hmac_hex(ts, body)),
            "forged delivery accepted"
        );
        let other = WebhookHeaders {
            timestamp: Some(ts),
            signature: Some(sig.as_str()),
        };
        assert!(
            verify_webhook_headers(b"whsec_another_secret", other, body, NOW_MS).is_err(),
            "accepted under another secret"
        );
    }
}
