//! Property: what `AgentSigner::sign` signs, `Verifier::verify` allows, and
//! any one flipped byte of what is signed is denied (SPEC 4.4, 5.1).
//!
//! The input chooses a request: the method (from the route table's five),
//! a target of 1..4 plain path segments with an optional query, a nonce
//! (16..64 of `[A-Za-z0-9_-]`), an optional `X-Agent-Model-Sha256`, and a
//! body that is a JSON object of up to 5 members with fuzzer-chosen
//! whitespace between its tokens. It is signed with the Ed25519 sample
//! agent of `testdata/pki/ed25519` (no modelProvenance, so any model hash
//! is acceptable but signed) at 2026-07-01T09:15:00Z, inside the policy's
//! hours, and verified by a fresh verifier (revocation disabled, routes
//! `/*` for every method, scopes the agent holds, no resource or trade
//! rule): it must be allowed.
//!
//! Then one byte of the method, the target, an `X-Agent-*` header name or
//! value, or the body is XORed with a fuzzer-chosen non-zero mask, and the
//! request is verified by another fresh verifier (fresh replay store). It
//! must be denied with a 4xx, except where the flip provably keeps the
//! signed meaning:
//! - a header name that only changed case (names are case-insensitive);
//! - `X-Agent-Signature-Algorithm` (not signed): a renamed header is an
//!   absent one, and the key's default is the algorithm used; a value that
//!   still names that algorithm;
//! - a body whose canonical form (SPEC 4.3, `canonicalize`) is unchanged,
//!   e.g. one JSON whitespace byte turned into another.
//!
//! `Content-Type: application/json` is sent with the body (SPEC 1.1) unless
//! the signer already returns one.

use std::sync::{Arc, OnceLock};

use kakunin_verify::canonical::canonicalize;
use kakunin_verify::chain::TrustStore;
use kakunin_verify::routes::RouteTable;
use kakunin_verify::signature::SignatureAlgorithm;
use kakunin_verify::signer::{AgentSigner, RequestToSign};
use kakunin_verify::{Denial, HttpRequest, ManualClock, Revocation, VerifiedRequest, Verifier};

const ROOT_PEM: &[u8] = include_bytes!("../../testdata/pki/ed25519/root.pem");
const INTERMEDIATE_PEM: &[u8] = include_bytes!("../../testdata/pki/ed25519/intermediate.pem");
const LEAF_PEM: &[u8] = include_bytes!("../../testdata/pki/ed25519/leaf.pem");
const LEAF_KEY: &[u8] = include_bytes!("../../testdata/pki/ed25519/leaf.key");
/// 2026-07-01T09:15:00.000Z: inside the leaf's validity and allowedHours.
const NOW_MS: u64 = 1_782_897_300_000;
const AUDIENCE: &str = "api.exchange.example";
/// Every method of the table, each on `/*`, with a scope the agent holds.
const ROUTES: &str = "GET /* query_anonymized_order_book\n\
                      POST /* submit_limit_order\n\
                      PUT /* write_report\n\
                      DELETE /* cancel_order\n\
                      PATCH /* read_data\n";
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "DELETE", "PATCH"];
/// Characters of path segments, query values and nonces (64, so a byte
/// maps onto it evenly).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
/// JSON whitespace choices between tokens.
const WHITESPACE: [&str; 6] = ["", "", " ", "\n", "\t", "\r\n "];
const ALGORITHM_HEADER: &str = "X-Agent-Signature-Algorithm";

fn signer() -> &'static AgentSigner {
    static S: OnceLock<AgentSigner> = OnceLock::new();
    S.get_or_init(|| AgentSigner::from_pem(LEAF_KEY, LEAF_PEM, None).expect("sample ed25519 agent"))
}

/// A new verifier each time: its own replay store, rate limiter and caches.
fn fresh_verifier() -> Verifier {
    let mut trust = TrustStore::new();
    trust.add_roots_pem(ROOT_PEM).expect("sample root");
    trust
        .add_intermediates_pem(INTERMEDIATE_PEM)
        .expect("sample intermediate");
    Verifier::builder(trust)
        .audience(AUDIENCE)
        .routes(ROUTES.parse::<RouteTable>().expect("routes"))
        .clock(Arc::new(ManualClock::new(NOW_MS)))
        .revocation(Revocation::Disabled)
        .build()
        .expect("verifier")
}

/// Reads the fuzzer's bytes; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::from(self.byte()) % items.len()]
    }

    fn text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(ALPHABET[usize::from(self.byte()) % 64]))
            .collect()
    }

    fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }
}

fn target(b: &mut Bytes<'_>) -> String {
    let mut t = String::new();
    for _ in 0..1 + b.byte() % 4 {
        let len = 1 + usize::from(b.byte() % 8);
        t.push('/');
        t.push_str(&b.text(len));
    }
    if b.byte().is_multiple_of(4) {
        let len = 1 + usize::from(b.byte() % 8);
        t.push_str("?q=");
        t.push_str(&b.text(len));
    }
    t
}

fn value(b: &mut Bytes<'_>, out: &mut String) {
    match b.byte() % 8 {
        0 => out.push_str(&i32::from(b.u16() as i16).to_string()),
        // Not canonical as written: trailing zero, exponent.
        1 => out.push_str(&format!("{}.{}0", b.byte(), b.byte() % 10)),
        2 => out.push_str(&format!("{}e{}", b.byte(), b.byte() % 5)),
        3 => out.push_str(["true", "false", "null"][usize::from(b.byte() % 3)]),
        4 => out.push_str("[1, \"x\" ,{ }]"),
        5 => out.push_str("\"\\u00e9\\n\\/\""),
        _ => {
            let len = usize::from(b.byte() % 12);
            out.push('"');
            out.push_str(&b.text(len));
            out.push('"');
        }
    }
}

/// A JSON object with distinct member names and chosen whitespace.
fn body(b: &mut Bytes<'_>) -> Vec<u8> {
    let mut out = String::from(b.pick(&WHITESPACE));
    out.push('{');
    for i in 0..b.byte() % 6 {
        if i > 0 {
            out.push(',');
        }
        out.push_str(b.pick(&WHITESPACE));
        let suffix_len = usize::from(b.byte() % 3);
        out.push_str(&format!("\"k{i}{}\"", b.text(suffix_len)));
        out.push_str(b.pick(&WHITESPACE));
        out.push(':');
        out.push_str(b.pick(&WHITESPACE));
        value(b, &mut out);
        out.push_str(b.pick(&WHITESPACE));
    }
    out.push('}');
    out.push_str(b.pick(&WHITESPACE));
    out.into_bytes()
}

/// A request as sent: owned parts.
#[derive(Clone, Debug)]
struct Sent {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Sent {
    fn verify(&self) -> Result<VerifiedRequest, Denial> {
        let pairs: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let req = HttpRequest::new(&self.method, &self.target, &pairs, &self.body);
        pollster::block_on(fresh_verifier().verify(&req))
    }
}

/// XORs one byte of `bytes`; `None` when it is empty.
fn flip(bytes: &mut [u8], position: u16, mask: u8) -> Option<()> {
    let len = bytes.len();
    let byte = bytes.get_mut(usize::from(position) % len.max(1))?;
    *byte ^= mask;
    Some(())
}

/// Flips a byte of a `String`; `None` when the result is not UTF-8.
fn flip_text(text: &str, position: u16, mask: u8) -> Option<String> {
    let mut bytes = text.as_bytes().to_vec();
    flip(&mut bytes, position, mask)?;
    String::from_utf8(bytes).ok()
}

/// One flipped byte and whether it keeps the signed meaning.
fn mutate(sent: &Sent, b: &mut Bytes<'_>) -> Option<(Sent, bool)> {
    let region = b.byte() % 6;
    let position = b.u16();
    let mask = b.byte().max(1);
    let mut m = sent.clone();
    let agent_headers: Vec<usize> = (0..m.headers.len())
        .filter(|&i| m.headers[i].0.to_ascii_lowercase().starts_with("x-agent-"))
        .collect();
    let which = agent_headers[usize::from(position) % agent_headers.len()];
    let keeps = match region {
        0 => {
            m.method = flip_text(&sent.method, position, mask)?;
            false
        }
        1 => {
            m.target = flip_text(&sent.target, position, mask)?;
            false
        }
        2 => {
            let (name, _) = &sent.headers[which];
            let flipped = flip_text(name, position / 64, mask)?;
            let keeps = flipped.eq_ignore_ascii_case(name) || name == ALGORITHM_HEADER;
            m.headers[which].0 = flipped;
            keeps
        }
        3 => {
            let (name, value) = &mut m.headers[which];
            flip(value, position / 64, mask)?;
            name == ALGORITHM_HEADER
                && std::str::from_utf8(value)
                    .ok()
                    .and_then(SignatureAlgorithm::from_name)
                    == Some(SignatureAlgorithm::Ed25519)
        }
        _ => {
            flip(&mut m.body, position, mask)?;
            let before = canonicalize(&sent.body).expect("signed body canonicalizes");
            canonicalize(&m.body)
                .is_ok_and(|after| after.canonical_bytes() == before.canonical_bytes())
        }
    };
    Some((m, keeps))
}

/// The fuzz target's body (see the module documentation).
pub fn roundtrip(data: &[u8]) {
    let mut b = Bytes(data);
    let method = b.pick(&METHODS);
    let target = target(&mut b);
    let nonce_len = 16 + usize::from(b.byte() % 49);
    let nonce = b.text(nonce_len);
    let model = (b.byte() % 2 == 1).then(|| {
        (0..32)
            .map(|_| format!("{:02x}", b.byte()))
            .collect::<String>()
    });
    let body = body(&mut b);

    let signed = signer()
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method,
            target: &target,
            body: &body,
            timestamp_ms: NOW_MS,
            nonce: Some(&nonce),
            model_sha256: model.as_deref(),
            prompt_sha256: None,
        })
        .expect("a generated request signs");
    let mut headers: Vec<(String, Vec<u8>)> = signed
        .into_iter()
        .map(|(n, v)| (n.to_string(), v.into_bytes()))
        .collect();
    // SPEC 1.1: a body is sent as application/json.
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".into(), b"application/json".to_vec()));
    }
    let sent = Sent {
        method: method.into(),
        target,
        headers,
        body,
    };

    let verified = match sent.verify() {
        Ok(v) => v,
        Err(d) => panic!("a signed request was denied: {d} {sent:?}"),
    };
    let canonical = canonicalize(&sent.body).expect("signed body canonicalizes");
    assert_eq!(
        verified.body().canonical_bytes(),
        canonical.canonical_bytes()
    );
    assert_eq!(verified.agent_id(), "sample_ed25519");

    let Some((mutated, keeps)) = mutate(&sent, &mut b) else {
        return;
    };
    match (mutated.verify(), keeps) {
        (Ok(_), true) => {}
        (Ok(_), false) => panic!("a flipped request was allowed: {mutated:?}"),
        (Err(d), true) => {
            panic!("a flip that keeps the signed meaning was denied: {d} {mutated:?}")
        }
        (Err(d), false) => {
            let status = d.error.http_status();
            assert!((400..500).contains(&status), "{d}: status {status}");
            assert_eq!(d.audit.decision, "deny");
        }
    }
}
