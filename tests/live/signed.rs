//! Signed trade requests of the live tests (SPEC 4): a fresh nonce each,
//! and the request as a raw HTTP/1.1 file (SPEC 9).

use std::sync::atomic::{AtomicUsize, Ordering};

use kakunin_verify::signer::{AgentSigner, RequestToSign};

use super::pki::{AUDIENCE, TRADE};

static NONCE: AtomicUsize = AtomicUsize::new(0);

/// A signed request (headers owned), fresh nonce.
#[derive(Clone, Debug)]
pub struct Signed {
    pub method: &'static str,
    pub target: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: &'static str,
}

pub fn sign_trade(signer: &AgentSigner, ts_ms: u64) -> Signed {
    let n = NONCE.fetch_add(1, Ordering::SeqCst);
    let nonce = format!("live-nonce-{n:08}-{}-{ts_ms}", std::process::id());
    let headers = signer
        .sign(&RequestToSign {
            audience: AUDIENCE,
            method: "POST",
            target: "/v1/trades",
            body: TRADE.as_bytes(),
            timestamp_ms: ts_ms,
            nonce: Some(&nonce),
            model_sha256: None,
            prompt_sha256: None,
        })
        .expect("sign");
    let mut headers = headers;
    // SPEC 4.1 (rev 1.1): a non-empty body is `application/json`; added
    // unless the signer already emits it.
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type", "application/json".to_owned()));
    }
    Signed {
        method: "POST",
        target: "/v1/trades",
        headers,
        body: TRADE,
    }
}

impl Signed {
    /// The request as a raw HTTP/1.1 file (SPEC 9).
    pub fn raw_http(&self) -> Vec<u8> {
        let mut s = format!(
            "{} {} HTTP/1.1\r\nHost: {AUDIENCE}\r\n",
            self.method, self.target
        );
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        // SPEC 4.1 (1.1): the signer sends the Content-Type of a non-empty body.
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            s.push_str("Content-Type: application/json\r\n");
        }
        s.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        s.into_bytes()
    }
}
